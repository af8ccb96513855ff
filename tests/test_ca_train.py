"""CA training (tiny settings): the trainer's hard verdict agrees with the reference, files load, the CLI."""

from dataclasses import replace

import numpy as np
import pytest

import gatecc
from gatecc.ca import CAModel
from gatecc.ca.arch import CAArch
from gatecc.ca.stepper import reference_stepper
from gatecc.ca.train import ASYNC_TASKS, TASKS, _batch, checkerboard, life_next, train_ca
from gatecc.ir.evaluate import all_inputs, evaluate_samples
from gatecc.life.rule import life_rule

TINY_LIFE = replace(TASKS["life-ca"], arch=CAArch(1, 4, (8, 4, 2, 1), (32, 32, 16, 8, 4, 2, 1), True),
                    epochs=60, eval_every=20)
TINY_CHECKER = replace(TASKS["checkerboard"], arch=CAArch(3, 2, (8, 4, 2), (32, 16, 3), False), board=6, steps=3,
                       epochs=20, eval_every=10, eval_boards=3)


def test_life_targets():
    boards = np.random.default_rng(0).integers(0, 2, (4, 5, 6)).astype(np.uint8)
    from gatecc.life.rule import reference_step

    for b, nxt in zip(boards, life_next(boards)):
        np.testing.assert_array_equal(nxt, reference_step(b))
    np.testing.assert_array_equal(checkerboard(4), [[0, 0, 1, 1], [0, 0, 1, 1], [1, 1, 0, 0], [1, 1, 0, 0]])


def test_life_ca_verdict_matches_the_reference():
    result = train_ca(TINY_LIFE, seed=3, progress=False)
    assert result.epochs == 60 and len(result.history) == 3
    assert result.history[-1]["soft"] < result.history[0]["soft"] * 2   # trained, not diverged
    x = all_inputs(9)
    wrong = int((evaluate_samples(result.model.kernel_graph(), x)[:, 0] != life_rule(x)).sum())
    assert result.wrong == wrong and result.exact == (wrong == 0)
    assert int(result.model.meta["hard_wrong"]) == wrong


def test_checkerboard_verdict_matches_the_reference():
    seed = 1
    result = train_ca(TINY_CHECKER, seed=seed, progress=False)
    # The trainer judges the hard CA on eval_boards held-out starts drawn with seed + 2.
    starts, targets = _batch(replace(TINY_CHECKER, batch=3), np.random.default_rng(seed + 2))
    ref = reference_stepper(result.model)
    wrong = sum(int((ref.run(s.astype(np.uint8), 3)[..., 0] != t).sum()) for s, t in zip(starts, targets))
    assert result.wrong == wrong


TINY_ASYNC = replace(ASYNC_TASKS["checkerboard"], arch=TINY_CHECKER.arch, board=6, steps=4, epochs=20,
                     eval_every=10, eval_boards=3)


def test_async_checkerboard_verdict_matches_the_reference():
    seed = 2
    result = train_ca(TINY_ASYNC, seed=seed, progress=False)
    # Held-out starts drawn with seed + 2, their fire masks from one seed drawn with seed + 4.
    starts, targets = _batch(replace(TINY_ASYNC, batch=3), np.random.default_rng(seed + 2))
    fire_seed = int(np.random.default_rng(seed + 4).integers(0, 2**32))
    ref = reference_stepper(result.model)
    wrong = sum(int((ref.run(s.astype(np.uint8), 4, 0.6, fire_seed)[..., 0] != t).sum())
                for s, t in zip(starts, targets))
    assert result.wrong == wrong
    assert float(result.model.meta["fire_rate"]) == 0.6
    # Asynchronous: the same starts stepped synchronously differ somewhere (the masks matter).
    assert any(not np.array_equal(ref.run(s.astype(np.uint8), 4, 0.6, fire_seed), ref.run(s.astype(np.uint8), 4))
               for s in starts)


def test_train_cli_async(tmp_path, monkeypatch, capsys):
    from gatecc.ca import train as ca_train
    from gatecc.cli import main

    monkeypatch.setitem(ca_train.ASYNC_TASKS, "checkerboard", TINY_ASYNC)
    out = tmp_path / "a.npz"
    main(["train", "checkerboard", "--async", "--epochs", "2", "--eval-every", "1", "-o", str(out), "--quiet"])
    assert float(gatecc.load(out).meta["fire_rate"]) == 0.6


@pytest.mark.parametrize("task", ["life-ca", "life"])
def test_async_only_for_the_checkerboard(cli, task):
    from conftest import assert_one_line_error

    assert_one_line_error(cli("train", task, "--async"), "--async")


def test_train_cli(tmp_path, monkeypatch, capsys):
    """``gatecc train life-ca`` in-process, on the tiny architecture (the full one compiles for a minute)."""
    from gatecc.ca import train as ca_train
    from gatecc.cli import main

    monkeypatch.setitem(ca_train.TASKS, "life-ca", TINY_LIFE)
    out = tmp_path / "l.npz"
    assert main(["train", "life-ca", "--epochs", "2", "--eval-every", "1", "-o", str(out), "--quiet"]) == 1
    assert "NOT exact" in capsys.readouterr().out
    model = gatecc.load(out)
    assert isinstance(model, CAModel) and model.channels == 1 and model.n_kernels == 4
    assert int(model.meta["epochs"]) == 2


@pytest.mark.parametrize("args,needle", [(("--layers", "8,1"), "--layers"), (("--epochs", "0"), "--epochs"),
                                         (("--label", "y"), "--label")])
def test_train_cli_bad_options(cli, args, needle):
    from conftest import assert_one_line_error

    assert_one_line_error(cli("train", "checkerboard", *args), needle)


def test_shipped_life_ca_is_conways_rule():
    """examples/life-ca.npz (gatecc train life-ca --seed 0, hardened) is Life on every neighbourhood and board."""
    from importlib.resources import files

    from gatecc.ca.engine import make_ca_engine
    from gatecc.life.rule import reference_step

    model = gatecc.load(files("gatecc.examples") / "life-ca.npz")
    assert isinstance(model, CAModel) and model.n_kernels == 16 and model.periodic
    x = all_inputs(9)
    np.testing.assert_array_equal(evaluate_samples(model.kernel_graph(), x)[:, 0], life_rule(x))
    board = np.random.default_rng(3).random((37, 70)) < 0.4
    got = make_ca_engine(model, "c", opt_level=3).run(board[:, :, None].astype(np.uint8), 40)[:, :, 0]
    for _ in range(40):
        board = reference_step(board)
    np.testing.assert_array_equal(got, board)


def test_shipped_checkerboard_best_is_what_the_docs_say():
    """examples/checkerboard-ca-best.npz: 67 of the 2048 held-out channel-0 cells wrong after 20 steps (docs/ca.md),
    by the reference stepper; the C stencil engine steps it the same way."""
    from importlib.resources import files

    from gatecc.ca.engine import make_ca_engine

    model = gatecc.load(files("gatecc.examples") / "checkerboard-ca-best.npz")
    task = TASKS["checkerboard"]
    assert (model.channels, model.n_kernels, model.periodic) == (8, 16, False)
    starts, targets = _batch(replace(task, batch=task.eval_boards), np.random.default_rng(0 + 2))
    ref, engine = reference_stepper(model), make_ca_engine(model, "c", opt_level=3)
    wrong = 0
    for s, t in zip(starts, targets):
        out = ref.run(s.astype(np.uint8), 20)
        np.testing.assert_array_equal(engine.run(s.astype(np.uint8), 20), out)
        wrong += int((out[..., 0] != t).sum())
    assert wrong == 67 == int(model.meta["hard_wrong"])
