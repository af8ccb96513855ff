"""``gatecc.compile`` / ``gatecc lower`` / ``gatecc stats`` of a CA model: its per-cell circuit.

The compiled circuit takes each cell's 9C inputs in the documented order
(input c*9 + 3*dy + dx = channel c of the cell at (y + dy - 1, x + dx - 1)),
built here with plain numpy, and must give the next board of the reference
stepper (``evaluate_program`` of the CA's one-stage program).
"""

import json

import numpy as np
import pytest

import gatecc
from gatecc.ca import save_ca
from gatecc.ca.arch import LIVE_GATES, CAArch, init_model
from gatecc.ca.stepper import reference_stepper

from backend_support import runnable_targets


def _rows(board, periodic):
    """(H*W, 9C): the documented input order, written out cell by cell (the test's own oracle of the layout)."""
    h, w, c = board.shape
    rows = np.zeros((h * w, 9 * c), dtype=np.uint8)
    for y in range(h):
        for x in range(w):
            for ch in range(c):
                for dy in range(3):
                    for dx in range(3):
                        yy, xx = y + dy - 1, x + dx - 1
                        if periodic:
                            v = board[yy % h, xx % w, ch]
                        else:
                            v = board[yy, xx, ch] if 0 <= yy < h and 0 <= xx < w else 0
                        rows[y * w + x, ch * 9 + 3 * dy + dx] = v
    return rows


def _model(channels, periodic, seed=0):
    arch = CAArch(channels, 2, (8, 4, 2), (24, 12, channels), periodic)
    return init_model(arch, seed=seed, random_gates=True, gate_set=LIVE_GATES)


@pytest.mark.parametrize("target", runnable_targets())
@pytest.mark.parametrize("channels,periodic", [(1, True), (2, False), (3, True)])
def test_compiled_cell_circuit_steps_as_the_reference(target, channels, periodic):
    model = _model(channels, periodic, seed=channels)
    board = np.random.default_rng(channels).integers(0, 2, (5, 7, channels)).astype(np.uint8)
    expected = reference_stepper(model).run(board, 1)
    for level in (0, 2, 3):
        net = gatecc.compile(model, target, opt_level=level, cache=False)
        assert (net.n_inputs, net.n_outputs) == (9 * channels, channels)
        got = net(_rows(board, periodic)).reshape(board.shape)
        np.testing.assert_array_equal(got, expected, err_msg=f"{target} -O{level}")


def test_compile_a_ca_file(tmp_path):
    model = _model(2, False, seed=5)
    save_ca(model, tmp_path / "ca.npz")
    board = np.random.default_rng(4).integers(0, 2, (4, 6, 2)).astype(np.uint8)
    net = gatecc.compile(tmp_path / "ca.npz", "c")
    np.testing.assert_array_equal(net(_rows(board, False)).reshape(board.shape), reference_stepper(model).run(board, 1))


def test_lower_and_stats_of_a_ca(cli, tmp_path):
    model = _model(3, True, seed=7)
    save_ca(model, tmp_path / "ca.npz")
    res = cli("stats", "ca.npz", "--json", "-O3")
    assert res.returncode == 0, res.stderr
    st = json.loads(res.stdout)
    assert (st["inputs"], st["outputs"]) == (27, 3)
    for target, marker in (("c", "#include"), ("llvm", "define"), ("wgsl", "fn ")):
        res = cli("lower", "ca.npz", "--target", target, "-o", f"ca.{target}")
        assert res.returncode == 0, res.stderr
        assert marker in (tmp_path / f"ca.{target}").read_text()
    res = cli("lower", "ca.npz", "--unroll")
    assert res.returncode == 2 and "--unroll" in res.stderr
