"""Life: the rule, boards, engines, the shipped learned net and `gatecc life`."""

import itertools
from pathlib import Path

import numpy as np
import pytest

import gatecc
from gatecc.commands.life import default_model
from gatecc.ir import all_inputs, evaluate_samples, print_graph
from gatecc.life import (FusedCEngine, PlaneEngine, life_rule, pack_board, random_board, reference_step,
                         unpack_board)
from gatecc.life.board import neighbour_planes

from backend_support import runnable_targets
from conftest import assert_one_line_error
from life_support import handwritten_life, majority_circuit

X9 = all_inputs(9)


def _naive_rule(bits):
    """B3/S23 read straight off the definition, one pattern at a time."""
    grid = [bits[0:3], bits[3:6], bits[6:9]]
    alive = grid[1][1]
    n = sum(grid[r][c] for r in range(3) for c in range(3)) - alive
    return int(n == 3 or (alive and n == 2))


def test_rule_table():
    assert life_rule(X9).tolist() == [_naive_rule(list(row)) for row in X9.tolist()]
    assert int(life_rule(X9).sum()) == 140


def test_reference_step_against_naive_loops():
    board = random_board(64, seed=3)
    nxt = reference_step(board)
    n = 64
    for r, c in itertools.product(range(0, n, 7), range(n)):
        bits = [int(board[(r + dr) % n, (c + dc) % n]) for dr in (-1, 0, 1) for dc in (-1, 0, 1)]
        assert nxt[r, c] == _naive_rule(bits)


def test_pack_and_neighbour_planes():
    board = random_board(128, seed=4)
    words = pack_board(board)
    assert words.shape == (128, 2) and np.array_equal(unpack_board(words), board)
    planes = neighbour_planes(words)
    for j, (dr, dc) in enumerate([(j // 3 - 1, j % 3 - 1) for j in range(9)]):
        expect = np.roll(board, (-dr, -dc), axis=(0, 1))
        assert np.array_equal(unpack_board(planes[j].reshape(128, 2)), expect), j


@pytest.mark.parametrize("make", [lambda g: FusedCEngine(g), lambda g: FusedCEngine(g, threads=1),
                                  lambda g: PlaneEngine(gatecc.compile(g))], ids=["fused", "fused-1t", "planes"])
def test_engines_follow_numpy_life(make):
    graph = handwritten_life()
    assert np.array_equal(evaluate_samples(graph, X9)[:, 0], life_rule(X9))
    engine = make(graph)
    for size in (64, 192):
        board = random_board(size, seed=size)
        words = pack_board(board)
        for _ in range(3):
            words = engine.run(words, 1)
            board = reference_step(board)
            assert np.array_equal(unpack_board(words), board)
        many = engine.run(pack_board(random_board(size, seed=9)), 25)
        ref = random_board(size, seed=9)
        for _ in range(25):
            ref = reference_step(ref)
        assert np.array_equal(unpack_board(many), ref)


def test_engines_reject_non_life_models():
    from gatecc.ir import Builder
    b = Builder(4)
    b.output(b.gate(1, 0, 1))
    with pytest.raises(gatecc.ModelError, match="not a Life model"):
        FusedCEngine(b.finish())


# -- the shipped, trained net -------------------------------------------------

@pytest.fixture(scope="module")
def shipped():
    path = Path(default_model())
    assert path.exists(), "examples/life.npz is not installed with gatecc"
    return gatecc.load(path)


@pytest.mark.parametrize("target", runnable_targets())
@pytest.mark.parametrize("level", [0, 2])
def test_shipped_life_is_exact_on_all_512_patterns(shipped, target, level):
    compiled = gatecc.compile(shipped, target=target, opt_level=level)
    assert compiled(X9)[:, 0].tolist() == life_rule(X9).tolist()


def test_shipped_life_soft_model_rounds_to_the_rule(shipped):
    soft = gatecc.soft_eval(shipped, X9)[:, 0]
    assert np.array_equal(np.rint(soft).astype(int), life_rule(X9))
    assert np.array_equal(gatecc.soft_eval(shipped, X9, hard=True)[:, 0], life_rule(X9))


# -- the command --------------------------------------------------------------

def test_life_check_passes_on_a_small_board(cli):
    res = cli("life", "--check", "--size", "64", "--steps", "30")
    assert res.returncode == 0, res.stderr
    assert "matches numpy Life at every step" in res.stdout


def test_life_check_passes_with_the_planes_engine_and_fails_for_a_wrong_circuit(tmp_path, cli):
    (tmp_path / "life.gir").write_text(print_graph(handwritten_life()))
    res = cli("life", "--model", "life.gir", "--check", "--size", "128", "--steps", "10", "-O0")
    assert res.returncode == 0, res.stderr
    (tmp_path / "majority.gir").write_text(print_graph(majority_circuit()))
    res = cli("life", "--model", "majority.gir", "--check", "--size", "64", "--steps", "5")
    assert res.returncode == 1
    assert "mismatch at step 1" in res.stderr


def test_life_bench_prints_rates(cli):
    res = cli("life", "--bench", "--size", "64", "--steps", "50")
    assert res.returncode == 0, res.stderr
    assert "steps/s" in res.stdout and "speed-up over the JAX model" in res.stdout


def test_life_gif_has_one_frame_per_step(tmp_path, cli):
    from PIL import Image
    res = cli("life", "--size", "64", "--steps", "6", "--gif", "out.gif")
    assert res.returncode == 0, res.stderr
    with Image.open(tmp_path / "out.gif") as im:
        assert im.n_frames == 7
        assert im.size == (512, 512)


def test_life_tui_draws_frames(cli):
    res = cli("life", "--tui", "--size", "64", "--steps", "2", "--fps", "1000")
    assert res.returncode == 0, res.stderr
    assert res.stdout.count("step ") == 3
    assert any(glyph in res.stdout for glyph in ("\u2580", "\u2584", "\u2588"))


@pytest.mark.parametrize("args, needle", [
    (["--size", "100"], "multiple of 64"),
    (["--steps", "-1"], "--steps"),
    (["--model", "nope.npz"], "no such file"),
])
def test_life_bad_arguments(cli, args, needle):
    assert_one_line_error(cli("life", *args), needle)


def test_life_rejects_a_non_life_model(tmp_path, cli):
    from foreign import random_arrays, write
    write(tmp_path / "m.npz", random_arrays(1, n_inputs=9, widths=(4, 2)))
    assert_one_line_error(cli("life", "--model", "m.npz", "--size", "64"), "not a Life model")
