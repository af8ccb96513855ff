"""Training cellular automata in JAX: ``gatecc train life-ca`` and ``gatecc train checkerboard``.

The recipe is the DiffLogic CA notebook's: pass-through init (logit 10 on
gate 3), optax ``clip(100)`` then AdamW (lr 0.05, b1 0.9, b2 0.99, weight
decay 1e-2), the soft CA unrolled over T steps (a ``lax.scan``) with the loss,
a sum of squared errors, on the state after T steps.  Every ``eval_every``
epochs the hard CA (argmax gates) is judged, and training stops as soon as
it is exact:

* ``life-ca``: Conway's Game of Life from random board transitions (each
  epoch a fresh batch of random 3x3 torus boards and their next state, as
  the notebook); exact = the hard CA gives Life's next state for every one of
  the 512 3x3 neighbourhoods.
* ``checkerboard``: 8 channels, zero boundary, 16x16 boards started from
  random bits; after T = 20 steps channel 0 must show a checkerboard of 2x2
  squares (the notebook's synchronous checkerboard); exact = the hard CA
  reaches it exactly from each of ``eval_boards`` held-out random starts.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from functools import partial

import numpy as np

from ..model import Layer
from .arch import CHECKERBOARD_ARCH, CHECKERBOARD_ASYNC_ARCH, LIFE_ARCH, CAArch, init_model
from .model import CAModel, KernelLayer


@dataclass(frozen=True)
class CATask:
    """A CA training task and its defaults (options override them)."""

    name: str
    description: str
    arch: CAArch
    board: int              # side of the training boards
    steps: int              # T: steps unrolled before the loss
    batch: int
    epochs: int
    lr: float = 0.05
    eval_every: int = 10
    eval_boards: int = 8    # checkerboard: held-out random starts judged for exactness
    fire_rate: float | None = None
    straight_from: int | None = None    # from this epoch on, straight-through gates (hard forward, soft gradient)
    loss_from: int | None = None        # loss summed over the states after steps loss_from..steps (None: steps only)


def checkerboard(size: int, square: int = 2) -> np.ndarray:
    """(size, size) uint8: 1 where (x // square + y // square) is odd (the notebook's create_checkerboard)."""
    y, x = np.mgrid[0:size, 0:size]
    return (((x // square) + (y // square)) % 2).astype(np.uint8)


def life_next(boards: np.ndarray) -> np.ndarray:
    """Conway's rule on (B, H, W) 0/1 torus boards."""
    n = sum(np.roll(boards, (dy, dx), axis=(1, 2)) for dy in (-1, 0, 1) for dx in (-1, 0, 1) if (dy, dx) != (0, 0))
    return ((n == 3) | ((boards == 1) & (n == 2))).astype(np.uint8)


TASKS = {
    "life-ca": CATask("life-ca", "the Game of Life as a CA, learned from random board transitions",
                      LIFE_ARCH, board=3, steps=1, batch=20, epochs=10000),
    "checkerboard": CATask("checkerboard", "8-channel CA growing a checkerboard from random bits in 20 steps",
                           CHECKERBOARD_ARCH, board=16, steps=20, batch=2, epochs=2000),
}

#: The asynchronous variants (``gatecc train TASK --async``): the notebook's fire-rate checkerboard, each cell
#: updated with probability 0.6 per step (the fire mask of gatecc.ir.spatial.firing, a fresh seed each epoch),
#: T = 50, batch 1, 800 epochs.
ASYNC_TASKS = {
    "checkerboard": CATask("checkerboard", "the checkerboard grown with asynchronous updates (fire rate 0.6) in 50 steps",
                           CHECKERBOARD_ASYNC_ARCH, board=16, steps=50, batch=1, epochs=800, fire_rate=0.6),
}


def _batch(task: CATask, rng: np.random.Generator):
    """(x, y): float32 (B, H, W, C) start boards and (B, H, W) targets of channel 0."""
    c = task.arch.channels
    x = rng.integers(0, 2, (task.batch, task.board, task.board, c)).astype(np.float32)
    if task.name == "life-ca":
        y = life_next(x[..., 0].astype(np.uint8))
    else:
        y = np.broadcast_to(checkerboard(task.board), x.shape[:3])
    return x, y.astype(np.float32)


def _life_patches() -> np.ndarray:
    """(9, 1, 512): every 3x3 neighbourhood (pattern r's cell f is bit 8 - f of r) and their Life targets."""
    from ..ir.evaluate import all_inputs

    return all_inputs(9).T[:, None, :].astype(np.float32)


def _life_target() -> np.ndarray:
    from ..life.rule import life_rule

    return life_rule(_life_patches()[:, 0, :].T).astype(np.float32)


@dataclass
class CATrainResult:
    """The trained CA and how the run went."""

    model: CAModel
    epochs: int
    seconds: float
    exact: bool
    wrong: int                  # hard-model errors at the end (neighbourhoods or cells)
    history: list[dict] = field(default_factory=list)


def train_ca(task: CATask, seed: int = 0, epochs: int | None = None, progress: bool = True,
             lr: float | None = None, eval_every: int | None = None, log=None, checkpoint=None,
             start: CAModel | None = None, straight_from: int | None = None,
             loss_from: int | None = None) -> CATrainResult:
    """Train ``task``; stops once the hard CA is exact (see the module doc).

    The result's model is the best hard CA of the run's evaluations (fewest
    wrong; the earliest of equals), not the last, with its logits.
    ``log``, if given, is called with each evaluation's history entry;
    ``checkpoint``, if given, with ``(model, entry)`` whenever the hard CA is the
    best so far (fewest wrong), so a long run can be stopped and still kept.
    ``start``: continue from this model's logits and wiring instead of a fresh
    init (its architecture must be the task's).  ``straight_from``: overrides
    the task's epoch from which gates are straight-through.  ``loss_from``:
    overrides the task's first step whose state enters the loss (the loss is
    then the sum over steps ``loss_from..T``: the pattern must be reached by
    step ``loss_from`` and held to T; the notebook's loss is step T alone).
    """
    import jax
    import jax.numpy as jnp
    import optax

    from ..train.progress import progress_bar
    from .jaxca import cell_forward, model_params, run, training_wires

    task = replace(task, epochs=epochs or task.epochs, lr=lr or task.lr, eval_every=eval_every or task.eval_every,
                   straight_from=task.straight_from if straight_from is None else straight_from,
                   loss_from=task.loss_from if loss_from is None else loss_from)
    if task.loss_from is not None and not 1 <= task.loss_from <= task.steps:
        raise ValueError(f"loss_from must be in 1..{task.steps} (the unrolled steps), not {task.loss_from}")
    model0 = init_model(task.arch, seed) if start is None else start
    params, _ = model_params(model0)
    wires = training_wires(model0)
    params = jax.tree_util.tree_map(jnp.asarray, params)
    wires = jax.tree_util.tree_map(jnp.asarray, wires)
    periodic, steps = task.arch.periodic, task.steps
    opt = optax.chain(optax.clip(100.0), optax.adamw(task.lr, b1=0.9, b2=0.99, weight_decay=1e-2))
    state = opt.init(params)

    first = steps if task.loss_from is None else task.loss_from

    def loss_fn(p, x, y, fire_seed, straight):
        def advance(board, n, t0):
            return run(p, wires, board, n, periodic, hard=False, fire_rate=task.fire_rate, seed=fire_seed,
                       straight=straight, first_step=t0)

        out = advance(x, first, 0)
        loss = jnp.sum((out[..., 0] - y) ** 2)
        for t in range(first, steps):   # the held steps, one at a time (at most T of them)
            out = advance(out, 1, t)
            loss = loss + jnp.sum((out[..., 0] - y) ** 2)
        return loss

    @partial(jax.jit, static_argnames=("straight",))
    def train_step(p, s, x, y, fire_seed, straight=False):
        value, grads = jax.value_and_grad(loss_fn)(p, x, y, fire_seed, straight)
        updates, s = opt.update(grads, s, p)
        return optax.apply_updates(p, updates), s, value

    rng = np.random.default_rng(seed + 1)
    # Asynchronous tasks: each epoch's fire masks from a fresh seed (as the notebook draws fresh masks), from
    # a generator of their own so that the batches are those of the synchronous task.
    fire_rng = np.random.default_rng(seed + 3)
    eval_fire_seed = jnp.uint32(np.random.default_rng(seed + 4).integers(0, 2**32))
    if task.name == "life-ca":
        patches, target = jnp.asarray(_life_patches()), jnp.asarray(_life_target())

        @jax.jit
        def hard_wrong(p):
            return jnp.sum(jnp.abs(cell_forward(p, wires, patches, hard=True)[0] - target))
    else:
        ex, ey = _batch(replace(task, batch=task.eval_boards), np.random.default_rng(seed + 2))
        ex, ey = jnp.asarray(ex), jnp.asarray(ey)

        @jax.jit
        def hard_wrong(p):
            out = run(p, wires, ex, steps, periodic, hard=True, fire_rate=task.fire_rate, seed=eval_fire_seed)
            return jnp.sum(jnp.abs(out[..., 0] - ey))

    bar = progress_bar(task.epochs, 0, progress)
    history, wrong, epoch, best, best_params = [], -1, 0, None, params
    started = time.perf_counter()
    for epoch in range(1, task.epochs + 1):
        x, y = _batch(task, rng)
        fire_seed = jnp.uint32(fire_rng.integers(0, 2**32) if task.fire_rate is not None else 0)
        straight = task.straight_from is not None and epoch >= task.straight_from
        params, state, soft = train_step(params, state, jnp.asarray(x), jnp.asarray(y), fire_seed, straight=straight)
        bar.update(1)
        if epoch % task.eval_every and epoch != task.epochs:
            continue
        wrong = int(round(float(hard_wrong(params))))
        history.append({"epoch": epoch, "soft": float(soft), "wrong": wrong, "seconds": time.perf_counter() - started,
                        "straight": straight})
        bar.set_postfix(soft=f"{float(soft):.4g}", wrong=wrong, refresh=False)
        if log is not None:
            log(history[-1])
        if best is None or wrong < best["wrong"]:
            best, best_params = history[-1], params
            if checkpoint is not None:
                checkpoint(_to_model(model0, params), history[-1])
        if wrong == 0:
            break
    bar.close()
    seconds = time.perf_counter() - started
    wrong = best["wrong"] if best is not None else -1
    model = _to_model(model0, best_params)
    model.meta.update({"task": np.array(task.name), "seed": np.array(seed), "epochs": np.array(epoch),
                       "best_epoch": np.array(best["epoch"] if best is not None else 0),
                       "steps": np.array(task.steps), "hard_wrong": np.array(wrong)})
    if task.fire_rate is not None:
        model.meta["fire_rate"] = np.array(task.fire_rate)
    if task.loss_from is not None:
        model.meta["loss_from"] = np.array(task.loss_from)
    return CATrainResult(model, epoch, seconds, wrong == 0, wrong, history)


def _to_model(model0: CAModel, params) -> CAModel:
    perceive = [KernelLayer(l.a, l.b, logits=np.asarray(w, dtype=np.float32))
                for l, w in zip(model0.perceive, params["perceive"])]
    update = [Layer(l.a, l.b, logits=np.asarray(w, dtype=np.float32)) for l, w in zip(model0.update, params["update"])]
    return CAModel(model0.channels, perceive, update, model0.periodic)
