"""``gatecc ca``: boards in and out, async, --check, --gif, --bench, and one clear line for every bad input."""

import numpy as np
import pytest

from gatecc.ca import save_ca
from gatecc.ca.arch import CAArch, init_model
from gatecc.ca.stepper import reference_stepper

from conftest import assert_one_line_error


@pytest.fixture
def ca_files(tmp_path):
    model = init_model(CAArch(2, 2, (8, 4, 2), (24, 2), False), seed=11, random_gates=True)
    save_ca(model, tmp_path / "m.npz")
    board = np.random.default_rng(2).integers(0, 2, (9, 13, 2)).astype(np.uint8)
    np.save(tmp_path / "b.npy", board)
    return model, board


@pytest.mark.parametrize("target", ["c", "llvm", "reference", "jax"])
def test_board_in_and_out(cli, tmp_path, ca_files, target):
    model, board = ca_files
    res = cli("ca", "m.npz", "--board", "b.npy", "--steps", "5", "-o", "out.npy", "--target", target,
              "--async", "--fire-rate", "0.7", "--seed", "3")
    assert res.returncode == 0, res.stderr
    got = np.load(tmp_path / "out.npy")
    assert got.dtype == np.uint8 and got.shape == board.shape
    np.testing.assert_array_equal(got, reference_stepper(model).run(board, 5, 0.7, 3))
    assert "async, fire rate 0.7" in res.stdout


def test_check_gif_and_random_board(cli, tmp_path, ca_files):
    res = cli("ca", "m.npz", "--size", "7x9", "--steps", "4", "--check", "--gif", "a.gif", "--async")
    assert res.returncode == 0, res.stderr
    assert "matches the reference stepper" in res.stdout and "7x9x2 board" in res.stdout
    from PIL import Image

    with Image.open(tmp_path / "a.gif") as gif:
        assert gif.n_frames == 5


def test_bench_prints_both_rates(cli, ca_files):
    res = cli("ca", "m.npz", "--size", "32", "--steps", "3", "--bench")
    assert res.returncode == 0, res.stderr
    assert "cell updates/s" in res.stdout and "JAX hard model" in res.stdout and "speed-up" in res.stdout


def _bad_boards(tmp_path):
    np.save(tmp_path / "c3.npy", np.zeros((4, 4, 3), np.uint8))
    np.save(tmp_path / "two.npy", np.full((4, 4, 2), 2, np.uint8))
    np.save(tmp_path / "float.npy", np.zeros((4, 4, 2), np.float32))
    np.save(tmp_path / "flat.npy", np.zeros((4, 4), np.uint8))
    (tmp_path / "junk.npy").write_bytes(b"\x93NUMPY junk")


BAD = [
    (("--board", "c3.npy"), "(H, W, 2)"),
    (("--board", "two.npy"), "0 or 1"),
    (("--board", "float.npy"), "dtype"),
    (("--board", "flat.npy"), "(H, W, 2)"),
    (("--board", "junk.npy"), "junk.npy"),
    (("--board", "missing.npy"), "no such file"),
    (("--board", "b.npy", "--size", "8"), "not both"),
    (("--fire-rate", "0.5"), "--async"),
    (("--async", "--fire-rate", "1.5"), "[0, 1]"),
    (("--async", "--seed", "-1"), "--seed"),
    (("--steps", "-1"), "--steps"),
    (("--size", "0"), "--size"),
    (("--size", "axb"), "--size"),
    (("--target", "verilog"), "invalid choice"),
    (("--threads", "0"), "--threads"),
]


@pytest.mark.parametrize("args,needle", BAD)
def test_bad_arguments(cli, tmp_path, ca_files, args, needle):
    _bad_boards(tmp_path)
    assert_one_line_error(cli("ca", "m.npz", *args), needle)


def test_not_a_ca_model(cli, tmp_path):
    from importlib.resources import files

    assert_one_line_error(cli("ca", str(files("gatecc.examples") / "life.npz")), "not a CA model")
    (tmp_path / "x.npz").write_bytes(b"garbage")
    assert_one_line_error(cli("ca", "x.npz"), "x.npz")
