"""The CA's soft and hard model in JAX: whole boards, many steps (training and the baseline).

Layers use gatecc's one relaxation (:mod:`gatecc.soft`: softmax(w) @ C over
(1, a, b, ab); hard mode is C[argmax w]) in the (features, cells) layout,
where gathering rows is cheap.  Boards are float (B, H, W, C) in [0, 1].

``params`` is ``{"perceive": [(K, n, 16) logits], "update": [(m, 16) logits]}``
and ``wires`` the matching ``[(a, b)]`` lists; :func:`model_params` makes
both from a :class:`~gatecc.ca.model.CAModel` (a hard model's gates become
one-hot logits, whose argmax is the gate).  Training uses
:func:`training_wires` instead, ``[(a, b, inv_a, inv_b)]``, whose inverse
tables make the gradient of each gather a gather.  Asynchronous steps use the
fire mask of :mod:`gatecc.ir.spatial.firing`, so the hard JAX model steps
exactly as every compiled target does.
"""

from __future__ import annotations

import numpy as np

from ..ir.spatial.firing import CELL_MUL, MIX1, MIX2, RATE_BITS, STEP_MUL, threshold
from ..soft import layer_forward_t, neuron_coefficients
from .model import CENTRE, CAModel


def model_params(model: CAModel):
    """(params, wires) of ``model`` as numpy arrays (see module doc)."""
    def logits_of(layer, shape):
        if layer.logits is not None:
            return np.asarray(layer.logits, dtype=np.float32)
        return np.eye(16, dtype=np.float32)[layer.gate_ids()].reshape(shape) * 10.0

    params = {
        "perceive": [logits_of(l, (model.n_kernels, l.width, 16)) for l in model.perceive],
        "update": [logits_of(l, (l.width, 16)) for l in model.update],
    }
    wires = {name: [(np.asarray(l.a, np.int32), np.asarray(l.b, np.int32)) for l in getattr(model, name)]
             for name in ("perceive", "update")}
    return params, wires


def inverse_wiring(index, rows: int) -> np.ndarray:
    """(rows, k) int32: for each input row, the positions of ``index`` that read it, padded with len(index).

    The gradient of a gather ``x[index]`` is a scatter-add, which XLA on a CPU
    runs one element at a time (measured: the checkerboard step's backward
    pass 100x its forward pass); with this table it is a gather and a sum.
    """
    index = np.asarray(index, dtype=np.int64)
    counts = np.bincount(index, minlength=rows)
    table = np.full((rows, max(1, int(counts.max(initial=0)))), len(index), dtype=np.int32)
    order = np.argsort(index, kind="stable")
    starts = np.cumsum(counts) - counts
    table[index[order], np.arange(len(index)) - starts[index[order]]] = order
    return table


def training_wires(model: CAModel):
    """The wires of :func:`model_params` with each gather's inverse table: ``[(a, b, inv_a, inv_b)]``.

    :func:`cell_forward` differentiates these gathers as gathers (fast on a CPU).
    """
    _, wires = model_params(model)
    out, rows = {}, {"perceive": 9, "update": model.n_features}
    for name, layers in wires.items():
        out[name], m = [], rows[name]
        for a, b in layers:
            out[name].append((a, b, inverse_wiring(a, m), inverse_wiring(b, m)))
            m = len(a)
    return out


def _take_rows():
    """``take(x, index, inverse) = x[index]`` whose gradient gathers through ``inverse`` (:func:`inverse_wiring`)."""
    import jax
    import jax.numpy as jnp

    @jax.custom_vjp
    def take(x, index, inverse):
        return x[index]

    def forward(x, index, inverse):
        return x[index], inverse

    def backward(inverse, g):
        padded = jnp.concatenate([g, jnp.zeros((1,) + g.shape[1:], g.dtype)])
        return padded[inverse].sum(axis=1), None, None

    take.defvjp(forward, backward)
    return take


_TAKE = []


def _rows(x, wire, side: int):
    """Rows ``wire[side]`` of x (features first); through the fast-gradient gather when ``wire`` has inverses."""
    if len(wire) == 2:
        return x[wire[side]]
    if not _TAKE:
        _TAKE.append(_take_rows())
    return _TAKE[0](x, wire[side], wire[2 + side])


def patches(board, periodic: bool):
    """(9, C, N) neighbourhood bits of a (B, H, W, C) board, N = B*H*W cells, f = 3*dy + dx."""
    import jax.numpy as jnp

    bsz, h, w, c = board.shape
    if periodic:
        shifted = [jnp.roll(board, (1 - dy, 1 - dx), axis=(1, 2)) for dy in range(3) for dx in range(3)]
    else:
        padded = jnp.pad(board, ((0, 0), (1, 1), (1, 1), (0, 0)))
        shifted = [padded[:, dy:dy + h, dx:dx + w] for dy in range(3) for dx in range(3)]
    return jnp.stack(shifted).transpose(0, 4, 1, 2, 3).reshape(9, c, bsz * h * w)


def coefficients(w, hard: bool, straight: bool = False):
    """Per-neuron (1, a, b, ab) coefficients: soft, hard (argmax), or straight-through.

    Straight-through: the forward value is the hard gate's, the gradient the
    soft mixture's, so the loss a training step sees is the hard CA's loss.
    """
    import jax

    if not straight:
        return neuron_coefficients(w, hard)
    soft = neuron_coefficients(w, False)
    return soft + jax.lax.stop_gradient(neuron_coefficients(w, True) - soft)


def cell_forward(params, wires, x, hard: bool, straight: bool = False):
    """The per-cell circuit on (9, C, N) patches -> (C, N) next states (soft, hard, or straight-through)."""
    import jax.numpy as jnp

    _, c, n = x.shape
    # Perception in the (n_i, K, C*N) layout: the kernels share their wiring, so one row gather serves all
    # of them (vmapping over kernels gathers along a middle axis, whose gradient XLA runs far slower).
    h = x.reshape(9, 1, c * n)
    for wire, w in zip(wires["perceive"], params["perceive"]):
        coefs = jnp.swapaxes(coefficients(w, hard, straight), 0, 1)[..., None]     # (n_i, K, 4, 1)
        xa, xb = _rows(h, wire, 0), _rows(h, wire, 1)
        h = coefs[:, :, 0] + coefs[:, :, 1] * xa + coefs[:, :, 2] * xb + coefs[:, :, 3] * (xa * xb)
    s, k = h.shape[0], h.shape[1]
    feats = h.reshape(s, k, c, n).transpose(2, 0, 1, 3).reshape(c * s * k, n)   # 'k c s -> (c s k)'
    h = jnp.concatenate([x[CENTRE], feats], axis=0)
    for wire, w in zip(wires["update"], params["update"]):
        h = layer_forward_t(coefficients(w, hard, straight), _rows(h, wire, 0), _rows(h, wire, 1))
    return h


def step(params, wires, board, periodic: bool, hard: bool, fire=None, straight: bool = False):
    """One step of a (B, H, W, C) board; ``fire`` a (H, W) 0/1 mask for an asynchronous step."""
    bsz, hh, ww, c = board.shape
    new = cell_forward(params, wires, patches(board, periodic), hard, straight)
    new = new.reshape(c, bsz, hh, ww).transpose(1, 2, 3, 0)
    if fire is None:
        return new
    f = fire[None, :, :, None]
    return board + f * (new - board)


def fire_hash_jax(seed, step, index):
    """:func:`gatecc.ir.spatial.firing.fire_hash` in jax.numpy (uint32 arithmetic wraps the same way)."""
    import jax.numpy as jnp

    u = jnp.uint32
    h = jnp.asarray(seed, u) ^ (jnp.asarray(step, u) * u(STEP_MUL)) ^ (jnp.asarray(index, u) * u(CELL_MUL))
    h = h ^ (h >> u(16))
    h = h * u(MIX1)
    h = h ^ (h >> u(15))
    h = h * u(MIX2)
    return h ^ (h >> u(16))


def run(params, wires, board, steps, periodic: bool, hard: bool, fire_rate=None, seed=0, straight: bool = False,
        first_step=0):
    """``steps`` steps of a (B, H, W, C) board; asynchronous when ``fire_rate`` is given.

    ``straight``: straight-through gates (hard forward, soft gradient; :func:`coefficients`).
    ``first_step``: the run's first step is step ``first_step`` of the fire masks (a run continued in pieces
    draws the masks the whole run would).

    A Python-int ``steps`` unrolls into a scan (differentiable); a traced one
    runs a while loop (one compilation for any step count).  Step t's fire mask
    is computed in the loop from (seed, t), as :mod:`gatecc.ir.spatial.firing` defines it.
    """
    import jax
    import jax.numpy as jnp

    hh, ww = board.shape[1], board.shape[2]
    index = jnp.arange(hh * ww, dtype=jnp.uint32).reshape(hh, ww)
    limit = None if fire_rate is None else jnp.uint32(threshold(fire_rate))

    def body(t, b):
        if limit is None:
            return step(params, wires, b, periodic, hard, straight=straight)
        h = fire_hash_jax(seed, t + first_step, index)
        fire = ((h >> jnp.uint32(32 - RATE_BITS)) < limit).astype(b.dtype)
        return step(params, wires, b, periodic, hard, fire, straight)

    # Rematerialised steps: the gradient recomputes each step's layers instead of storing them for all T
    # steps, which on a CPU halves the training step (measured on the checkerboard CA: the stored
    # activations make the backward pass memory-bound).
    return jax.lax.fori_loop(0, steps, body if hard else jax.checkpoint(body), board)


class JaxStepper:
    """The hard CA as a jitted JAX model on one (H, W, C) 0/1 board: the reference of the notebook's path."""

    name = "jax"

    def __init__(self, model: CAModel):
        import jax

        self.model = model
        params, wires = model_params(model)
        self._params = jax.tree_util.tree_map(jax.numpy.asarray, params)
        self._wires = jax.tree_util.tree_map(jax.numpy.asarray, wires)
        self._run = jax.jit(run, static_argnames=("periodic", "hard", "fire_rate"))

    def run(self, board: np.ndarray, steps: int, fire_rate: float | None = None, seed: int = 0) -> np.ndarray:
        """(H, W, C) uint8 0/1 -> the board after ``steps`` steps (uint8)."""
        import jax.numpy as jnp

        x = jnp.asarray(np.asarray(board, dtype=np.float32)[None])
        out = self._run(self._params, self._wires, x, steps=jnp.int32(steps), periodic=self.model.periodic, hard=True,
                        fire_rate=fire_rate, seed=jnp.uint32(seed))
        return (np.asarray(out)[0] > 0.5).astype(np.uint8)
