"""The CA model: the notebook importer, the model file, the kernel graph, and stepping on every backend.

The oracle for the notebook layout is tests/ca_support.py, a plain-numpy
rendition of the notebook's own code (no gatecc); within gatecc the oracle is
the reference stepper (the kernel graph through ir.evaluate) and the JAX hard
model.
"""

import numpy as np
import pytest

import gatecc
from gatecc.ca import CAModel, load_ca, save_ca
from gatecc.ca.arch import CAArch, init_model
from gatecc.ca.jaxca import JaxStepper
from gatecc.ca.engine import make_ca_engine
from gatecc.ca.stepper import compiled_stepper, evaluator_stepper, reference_stepper
from gatecc.errors import InputError, ModelError

from backend_support import runnable_targets
from ca_support import make_notebook_ca, notebook_run_sync, save_notebook_npz


@pytest.mark.parametrize("channels,periodic,shape", [(1, 1, (5, 7)), (2, 0, (7, 5)), (3, 1, (3, 9)), (4, 0, (5, 5))])
def test_notebook_file_steps_as_the_notebook(tmp_path, channels, periodic, shape):
    rng = np.random.default_rng(channels)
    params, wires = make_notebook_ca(rng, channels, n_kernels=3, periodic=periodic)
    path = tmp_path / "ca.npz"
    save_notebook_npz(path, params, wires, channels, periodic)
    model = gatecc.load(path, "difflogic-ca")
    assert isinstance(model, CAModel) and model.channels == channels and model.periodic == bool(periodic)
    board = rng.integers(0, 2, (*shape, channels)).astype(np.uint8)
    expected = notebook_run_sync(params, wires, board, periodic, 3)
    np.testing.assert_array_equal(reference_stepper(model).run(board, 3), expected)
    np.testing.assert_array_equal(JaxStepper(model).run(board, 3), expected)
    from gatecc.backends import get_target

    for target in ("c", "llvm", "wgsl"):
        assert get_target(target).available() is None, f"{target}: {get_target(target).available()}"
        engine = make_ca_engine(model, target)
        assert engine.name == f"stencil-{target}"            # every compiled target on the stencil engine
        np.testing.assert_array_equal(engine.run(board, 3), expected, err_msg=engine.name)


@pytest.mark.parametrize("target", runnable_targets())
@pytest.mark.parametrize("channels", [1, 2, 3, 4])
def test_every_backend_matches_reference_and_jax(target, channels):
    rng = np.random.default_rng(10 + channels)
    for periodic in (True, False):
        arch = CAArch(channels, 2, (8, 4, 2), (24, 12, channels), periodic)
        model = init_model(arch, seed=channels + 2 * periodic, random_gates=True)
        board = rng.integers(0, 2, (9, 7, channels)).astype(np.uint8)
        ref, jax_model = reference_stepper(model), JaxStepper(model)
        engines = [make_ca_engine(model, target), compiled_stepper(model, target)]
        if target == "c":
            engines.append(evaluator_stepper(model))
        for fire_rate, seed in ((None, 0), (0.6, 12345), (0.25, 2**32 - 1)):
            expected = ref.run(board, 4, fire_rate, seed)
            np.testing.assert_array_equal(jax_model.run(board, 4, fire_rate, seed), expected)
            for engine in engines:
                np.testing.assert_array_equal(engine.run(board, 4, fire_rate, seed), expected, err_msg=engine.name)


def test_async_keeps_unfired_cells():
    model = init_model(CAArch(2, 2, (8, 4, 2), (16, 2), True), seed=3, random_gates=True)
    board = np.random.default_rng(0).integers(0, 2, (6, 6, 2)).astype(np.uint8)
    ref = reference_stepper(model)
    from gatecc.ir.spatial.firing import fire_mask

    fires = fire_mask(9, 0, 6, 6, 0.5)
    one = ref.run(board, 1, 0.5, 9)
    sync = ref.run(board, 1)
    np.testing.assert_array_equal(one[~fires], board[~fires])
    np.testing.assert_array_equal(one[fires], sync[fires])
    np.testing.assert_array_equal(ref.run(board, 3, 0.0, 1), board)
    np.testing.assert_array_equal(ref.run(board, 3, 1.0, 1), ref.run(board, 3))


def test_kernel_graph_is_the_conv_stage():
    model = init_model(CAArch(3, 2, (8, 4, 2), (16, 3), False), seed=1, random_gates=True)
    conv = model.to_conv()
    assert conv.kernel.n_inputs == 27 and conv.kernel.n_outputs == 3
    assert conv.window[:10] == tuple((0, dy, dx) for dy in range(3) for dx in range(3)) + ((1, 0, 0),)
    assert (conv.size, conv.stride, conv.padding, conv.boundary) == ((3, 3), (1, 1), (1, 1), "zero")
    prog = model.to_program(5, 7)
    assert [str(s) for s in prog.shapes()] == ["3x5x7", "3x5x7"]
    # Optimised and raw kernel graphs compute the same function.
    from gatecc.ir.evaluate import evaluate_samples

    x = np.random.default_rng(0).integers(0, 2, (500, 27)).astype(np.uint8)
    np.testing.assert_array_equal(evaluate_samples(model.kernel_graph(), x),
                                  evaluate_samples(model.kernel_graph(raw=True), x))


def test_model_file_round_trip(tmp_path):
    model = init_model(CAArch(2, 3, (8, 4, 2), (16, 2), False), seed=4, noise=1.0)
    save_ca(model, tmp_path / "a.npz")
    again = gatecc.load(tmp_path / "a.npz")
    assert isinstance(again, CAModel)
    assert again.kernel_graph() == model.kernel_graph() and again.periodic is False
    save_ca(again, tmp_path / "b.npz")
    assert (tmp_path / "a.npz").read_bytes() == (tmp_path / "b.npz").read_bytes()
    hard = model.hardened()
    save_ca(hard, tmp_path / "h.npz")
    assert load_ca(tmp_path / "h.npz").kernel_graph() == model.kernel_graph()


def _notebook_arrays(channels=2):
    return make_notebook_ca(np.random.default_rng(5), channels, n_kernels=2)


BAD_NOTEBOOK = {
    "missing channels": (lambda a: a.pop("['channels']"), "['channels']"),
    "periodic 2": (lambda a: a.update({"['periodic']": np.array(2)}), "periodic"),
    "logits NaN": (lambda a: a["['params']['update'][0]"].__setitem__((0, 0), np.nan), "NaN"),
    "wire out of range": (lambda a: a.update({"['wires']['update'][1][0]": np.full(16, 999, np.int32)}),
                          "out of range"),
    "perceive 2-D": (lambda a: a.update({"['params']['perceive'][1]": np.zeros((4, 16), np.float32)}),
                     "n_kernels"),
    "unknown key": (lambda a: a.update({"['params']['other'][0]": np.zeros((2, 16))}), "unexpected key"),
    "missing wire": (lambda a: a.pop("['wires']['perceive'][0][1]"), "['wires']['perceive'][0][1]"),
    "channels mismatch": (lambda a: a.update({"['channels']": np.array(3)}), "channels"),
    "float wiring": (lambda a: a.update({"['wires']['update'][0][0]": np.zeros(16, np.float32)}), "integer"),
}


@pytest.mark.parametrize("case", sorted(BAD_NOTEBOOK))
def test_bad_notebook_files(tmp_path, case, cli):
    from conftest import assert_one_line_error

    params, wires = _notebook_arrays()
    path = tmp_path / "ca.npz"
    save_notebook_npz(path, params, wires, 2, 1)
    arrays = dict(np.load(path))
    change, needle = BAD_NOTEBOOK[case]
    change(arrays)
    np.savez(path, **arrays)
    with pytest.raises(ModelError, match="ca.npz"):
        gatecc.load(path, "difflogic-ca")
    result = cli("ca", path, "--from", "difflogic-ca", "--size", "8", "--steps", "1")
    assert_one_line_error(result, needle)


def test_not_a_zip(tmp_path):
    path = tmp_path / "junk.npz"
    path.write_bytes(b"PK\x03\x04 not really")
    with pytest.raises(ModelError, match="junk.npz"):
        gatecc.load(path, "difflogic-ca")


BAD_CA_FILE = {
    "version": (lambda a: a.update({"version": np.array(7)}), "version 7"),
    "missing layer": (lambda a: a.pop("update1/a"), "update1/a"),
    "both logits and gates": (lambda a: a.update({"update0/gates": np.zeros(16, np.uint8)}), "has both logits and gates"),
    "gate id": (lambda a: a.update({"perceive0/gates": np.full((2, 8), 16, np.uint8)}) or a.pop("perceive0/logits"),
                "0..15"),
    "kernels differ": (lambda a: a.update({"perceive1/logits": np.zeros((3, 4, 16), np.float32)}), "kernels"),
    "extra key": (lambda a: a.update({"junk": np.zeros(1)}), "unexpected key"),
}


@pytest.mark.parametrize("case", sorted(BAD_CA_FILE))
def test_bad_ca_files(tmp_path, case):
    from gatecc.ca.store import to_arrays
    from gatecc.model import write_npz

    arrays = to_arrays(init_model(CAArch(2, 2, (8, 4, 2), (16, 2), True), seed=1))
    change, needle = BAD_CA_FILE[case]
    change(arrays)
    write_npz(tmp_path / "m.npz", arrays)
    with pytest.raises(ModelError, match=needle):
        gatecc.load(tmp_path / "m.npz")


def test_bad_boards():
    ref = reference_stepper(init_model(CAArch(2, 2, (8, 4, 2), (16, 2), True), seed=1, random_gates=True))
    for board, needle in ((np.zeros((4, 4, 3), np.uint8), "expected"), (np.full((4, 4, 2), 2, np.uint8), "0 or 1"),
                          (np.zeros((4, 4, 2), np.float32), "dtype"), (np.zeros((4, 4), np.uint8), "expected")):
        with pytest.raises(InputError, match=needle):
            ref.run(board, 1)


def test_wide_board_on_the_stencil_engine():
    """Boards wider than one 64-cell word, odd sizes, both boundaries."""
    for periodic in (True, False):
        model = init_model(CAArch(2, 2, (8, 4, 2), (24, 2), periodic), seed=7, random_gates=True)
        board = np.random.default_rng(1).integers(0, 2, (5, 131, 2)).astype(np.uint8)
        ref, engine = reference_stepper(model), make_ca_engine(model, "c")
        for fire_rate in (None, 0.6):
            np.testing.assert_array_equal(engine.run(board, 3, fire_rate, 5), ref.run(board, 3, fire_rate, 5))
