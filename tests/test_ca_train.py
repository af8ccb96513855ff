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
                                         (("--label", "y"), "--label"), (("--loss-from", "0"), "--loss-from"),
                                         (("--loss-from", "21"), "--loss-from")])
def test_train_cli_bad_options(cli, args, needle):
    from conftest import assert_one_line_error

    assert_one_line_error(cli("train", "checkerboard", *args), needle)


@pytest.mark.parametrize("task", ["life-ca", "life"])
def test_loss_from_only_for_the_checkerboard(cli, task):
    from conftest import assert_one_line_error

    assert_one_line_error(cli("train", task, "--loss-from", "1"), "--loss-from")


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


def _notebook_soft_loss(params, wires, boards, targets, steps, periodic):
    """The notebook's training loss written per cell, as its code computes it, in plain jax.numpy (no gatecc):
    the 16 real-valued gate forms mixed by softmax(logits), every kernel on every channel's (9, C) patch,
    'k c s -> (c s k)' after the centre's C bits, the update layers, the net's output the new state, T steps,
    then the sum of squared errors of channel 0."""
    import jax
    import jax.numpy as jnp

    def layer(w, wire, x):
        a, b = x[..., wire[0]], x[..., wire[1]]
        forms = jnp.stack([0 * a, a * b, a - a * b, a, b - a * b, b, a + b - 2 * a * b, a + b - a * b,
                           1 - (a + b - a * b), 1 - (a + b - 2 * a * b), 1 - b, 1 - b + a * b, 1 - a,
                           1 - a + a * b, 1 - a * b, 0 * a + 1], axis=-1)
        return jnp.sum(forms * jax.nn.softmax(w, axis=-1), axis=-1)

    def cell(patch):                                     # (9, C) -> (C,)
        x = jnp.repeat(patch.T[None], params["perceive"][0].shape[0], axis=0)       # (K, C, 9)
        for w, wire in zip(params["perceive"], wires["perceive"]):
            x = jax.vmap(layer, in_axes=(0, None, 0))(w, wire, x)
        h = jnp.concatenate([patch[4], x.transpose(1, 2, 0).reshape(-1)])
        for w, wire in zip(params["update"], wires["update"]):
            h = layer(w, wire, h)
        return h

    def step(g):
        h, w, c = g.shape
        pad = jnp.pad(g, ((1, 1), (1, 1), (0, 0)), mode="wrap" if periodic else "constant")
        cells = jnp.stack([pad[dy:dy + h, dx:dx + w] for dy in range(3) for dx in range(3)], axis=2)
        return jax.vmap(cell)(cells.reshape(h * w, 9, c)).reshape(h, w, c)

    def one(g):
        for _ in range(steps):
            g = step(g)
        return g

    return jnp.sum((jax.vmap(one)(boards)[..., 0] - targets) ** 2)


@pytest.mark.parametrize("periodic", [False, True])
def test_trainer_loss_and_gradient_are_the_notebooks(periodic):
    """The trainer's fast path (fused kernel gathers, inverse-table gradients, rematerialised scan) computes the
    notebook's loss and gradient (checked against a per-cell plain-JAX transcription of its formulas)."""
    import jax
    import jax.numpy as jnp

    from gatecc.ca.arch import init_model
    from gatecc.ca.jaxca import model_params, run, training_wires

    arch = CAArch(3, 2, (8, 4, 2), (16, 8, 3), periodic)
    model = init_model(arch, seed=4, noise=1.5)          # noisy logits: every gate mixture matters
    params, wires = model_params(model)
    params = jax.tree_util.tree_map(jnp.asarray, params)
    fast_wires = jax.tree_util.tree_map(jnp.asarray, training_wires(model))
    rng = np.random.default_rng(5)
    boards = jnp.asarray(rng.integers(0, 2, (2, 5, 7, 3)).astype(np.float32))
    targets = jnp.asarray(np.broadcast_to(checkerboard(7)[:5], (2, 5, 7)).astype(np.float32))

    def fast(p):
        return jnp.sum((run(p, fast_wires, boards, 3, periodic, hard=False)[..., 0] - targets) ** 2)

    value, grads = jax.value_and_grad(fast)(params)
    want, want_grads = jax.value_and_grad(lambda p: _notebook_soft_loss(p, wires, boards, targets, 3, periodic))(
        params)
    np.testing.assert_allclose(float(value), float(want), rtol=1e-5)
    for got, ref in zip(jax.tree_util.tree_leaves(grads), jax.tree_util.tree_leaves(want_grads)):
        assert np.abs(np.asarray(ref)).max() > 0
        np.testing.assert_allclose(np.asarray(got), np.asarray(ref), rtol=1e-4, atol=1e-6)


def test_straight_through_forward_is_the_hard_ca():
    """Straight-through gates: the forward value is the hard CA's loss, the gradient is not zero."""
    import jax
    import jax.numpy as jnp

    from gatecc.ca.arch import init_model
    from gatecc.ca.jaxca import model_params, run, training_wires

    model = init_model(CAArch(3, 2, (8, 4, 2), (16, 8, 3), False), seed=6, noise=1.5)
    params, _ = model_params(model)
    params = jax.tree_util.tree_map(jnp.asarray, params)
    wires = jax.tree_util.tree_map(jnp.asarray, training_wires(model))
    boards = jnp.asarray(np.random.default_rng(7).integers(0, 2, (2, 6, 6, 3)).astype(np.float32))
    target = jnp.asarray(checkerboard(6).astype(np.float32))

    def loss(p, **kw):
        return jnp.sum((run(p, wires, boards, 3, False, **kw)[..., 0] - target) ** 2)

    value, grads = jax.value_and_grad(lambda p: loss(p, hard=False, straight=True))(params)
    ref = reference_stepper(model)
    hard_wrong = sum(int((ref.run(np.asarray(b).astype(np.uint8), 3)[..., 0] != checkerboard(6)).sum())
                     for b in boards)
    assert float(value) == hard_wrong == float(loss(params, hard=True))
    assert any(np.abs(np.asarray(g)).max() > 0 for g in jax.tree_util.tree_leaves(grads))


def test_shipped_checkerboard_grows_the_exact_checkerboard_by_step_30():
    """examples/checkerboard-ca-best.npz grows the task's target exactly, only later than T = 20 (docs/ca.md): from
    fresh random 16x16 starts (not the trainer's held-out ones), by the reference stepper, channel 0 is the
    checkerboard of 2x2 squares at every step from 30 to 36; at step 20 it is not yet, for some start."""
    from importlib.resources import files

    model = gatecc.load(files("gatecc.examples") / "checkerboard-ca-best.npz")
    ref = reference_stepper(model)
    target = checkerboard(16)
    rng = np.random.default_rng(100)
    late = 0
    for _ in range(3):
        board = ref.run(rng.integers(0, 2, (16, 16, 8)).astype(np.uint8), 20)
        late += int((board[..., 0] != target).sum())
        board = ref.run(board, 10)
        for _ in range(7):
            np.testing.assert_array_equal(board[..., 0], target)
            board = ref.run(board, 1)
    assert late > 0


def test_loss_from_sums_the_held_steps():
    """``loss_from``: the trainer's loss is the notebook's squared error summed over the states after steps
    loss_from..T (each checked against the per-cell transcription), from a noisy start model."""
    import jax
    import jax.numpy as jnp

    from gatecc.ca.arch import init_model
    from gatecc.ca.jaxca import model_params

    task = replace(TINY_CHECKER, steps=4, epochs=1, eval_every=1)
    start = init_model(task.arch, seed=8, noise=1.5)
    result = train_ca(task, seed=9, progress=False, start=start, loss_from=2)
    assert int(result.model.meta["loss_from"]) == 2
    params, wires = model_params(start)
    params = jax.tree_util.tree_map(jnp.asarray, params)
    x, y = _batch(task, np.random.default_rng(9 + 1))          # the trainer's first batch
    per_step = [float(_notebook_soft_loss(params, wires, jnp.asarray(x), jnp.asarray(y), t, False))
                for t in range(1, 5)]
    assert len(set(np.round(per_step, 3))) == 4                # the steps' losses differ: the sum is a real check
    np.testing.assert_allclose(result.history[0]["soft"], sum(per_step[1:]), rtol=1e-5)
    with pytest.raises(ValueError, match="loss_from"):
        train_ca(task, seed=9, progress=False, loss_from=5)


def test_async_run_continued_in_pieces_is_the_whole_run():
    """``first_step``: an asynchronous run split in two draws the fire masks the whole run draws."""
    import jax
    import jax.numpy as jnp

    from gatecc.ca.arch import init_model
    from gatecc.ca.jaxca import model_params, run

    model = init_model(TINY_CHECKER.arch, seed=3, random_gates=True)
    params, wires = model_params(model)
    params, wires = (jax.tree_util.tree_map(jnp.asarray, t) for t in (params, wires))
    board = jnp.asarray(np.random.default_rng(4).integers(0, 2, (1, 7, 6, 3)).astype(np.float32))
    kw = dict(periodic=False, hard=True, fire_rate=0.5, seed=jnp.uint32(11))
    whole = run(params, wires, board, 5, **kw)
    head = run(params, wires, board, 2, **kw)
    np.testing.assert_array_equal(run(params, wires, head, 3, first_step=2, **kw), whole)
    assert not np.array_equal(np.asarray(run(params, wires, head, 3, **kw)), np.asarray(whole))
    ref = reference_stepper(model).run(np.asarray(board[0]).astype(np.uint8), 5, 0.5, 11)
    np.testing.assert_array_equal(np.asarray(whole[0]).astype(np.uint8), ref)


def test_shipped_searched_checkerboard_is_what_the_docs_say():
    """examples/checkerboard-ca-search.npz (the epoch-630 CA after the hard-CA gate search, docs/ca.md): 26 of the
    trainer's 2048 held-out channel-0 cells wrong after 20 steps (starts the search never saw), by the reference
    stepper; from fresh random starts it still holds the exact checkerboard from step 30 on."""
    from importlib.resources import files

    model = gatecc.load(files("gatecc.examples") / "checkerboard-ca-search.npz")
    task = TASKS["checkerboard"]
    starts, targets = _batch(replace(task, batch=task.eval_boards), np.random.default_rng(0 + 2))
    ref = reference_stepper(model)
    wrong = sum(int((ref.run(s.astype(np.uint8), 20)[..., 0] != t).sum()) for s, t in zip(starts, targets))
    assert wrong == 26 == int(model.meta["hard_wrong"])
    rng = np.random.default_rng(101)
    for _ in range(2):
        board = ref.run(rng.integers(0, 2, (16, 16, 8)).astype(np.uint8), 30)
        for _ in range(4):
            np.testing.assert_array_equal(board[..., 0], checkerboard(16))
            board = ref.run(board, 1)
