"""The hard-CA gate search: its bit-packed stepper is the reference stepper, its live cone is what the outputs
read, and the search's verdicts are the reference stepper's."""

import numpy as np
import pytest

from gatecc.ca.arch import LIVE_GATES, CAArch, init_model
from gatecc.ca.search import PackedCA, gate_search, truth_tables
from gatecc.ca.stepper import reference_stepper
from gatecc.ca.train import checkerboard


def test_truth_tables_are_the_gate_ids():
    t = truth_tables()      # (a, b) = (0,0), (0,1), (1,0), (1,1)
    assert t[0].tolist() == [0, 0, 0, 0] and t[15].tolist() == [1, 1, 1, 1]
    assert t[1].tolist() == [0, 0, 0, 1] and t[6].tolist() == [0, 1, 1, 0] and t[7].tolist() == [0, 1, 1, 1]
    assert t[3].tolist() == [0, 0, 1, 1] and t[5].tolist() == [0, 1, 0, 1]
    assert len({tuple(r) for r in t}) == 16


@pytest.mark.parametrize("channels,periodic,shape", [(1, True, (4, 16, 16)), (2, False, (3, 8, 8)),
                                                     (3, True, (4, 4, 4)), (3, False, (2, 1, 64))])
def test_packed_steps_are_the_reference(channels, periodic, shape):
    model = init_model(CAArch(channels, 3, (8, 4, 2), (24, 16, channels), periodic), seed=channels,
                       random_gates=True, gate_set=LIVE_GATES)
    boards = np.random.default_rng(channels).integers(0, 2, shape + (channels,)).astype(np.uint8)
    got = PackedCA(model).run(boards, 3)
    ref = reference_stepper(model)
    for b, g in zip(boards, got):
        np.testing.assert_array_equal(g, ref.run(b, 3))


def test_live_cone_is_what_the_outputs_read():
    """Changing a neuron outside the live cone changes no board; the live cone is not everything."""
    model = init_model(CAArch(2, 2, (8, 4, 2), (16, 8, 2), False), seed=5, random_gates=True)
    ca = PackedCA(model)
    live = set(ca.live())
    boards = np.random.default_rng(6).integers(0, 2, (4, 8, 8, 2)).astype(np.uint8)
    before = ca.run(boards, 2)
    dead = [("update", li, n, 0) for li, l in enumerate(model.update) for n in range(l.width)
            if ("update", li, n, 0) not in live]
    dead += [("perceive", li, n, k) for li, l in enumerate(model.perceive) for k in range(model.n_kernels)
             for n in range(l.width) if ("perceive", li, n, k) not in live]
    assert dead and live
    for where in dead:
        ca.set_gate(where, 6 if ca.gate(where) != 6 else 9)
    np.testing.assert_array_equal(ca.run(boards, 2), before)


def test_search_lowers_the_reference_error():
    model = init_model(CAArch(2, 2, (8, 4, 2), (16, 8, 2), False), seed=7, random_gates=True,
                       gate_set=LIVE_GATES)
    starts = np.random.default_rng(8).integers(0, 2, (4, 8, 8, 2)).astype(np.uint8)
    target = checkerboard(8)

    def ref_wrong(m):
        ref = reference_stepper(m)
        return sum(int((ref.run(s, 3)[..., 0] != target).sum()) for s in starts)

    result = gate_search(model, starts, target, 3, seed=1, sweeps=1)
    assert result.wrong_before == ref_wrong(model)
    assert result.wrong == ref_wrong(result.model) < result.wrong_before
    assert result.changes and result.changes[-1]["wrong"] == result.wrong
    with pytest.raises(ValueError, match="64-cell"):
        gate_search(model, starts[:1, :3, :3], target[:3, :3], 1)
