"""The soft model in JAX: the real-valued network a LogicNet was trained as.

Each gate's relaxation is affine in (1, a, b, ab) (see
:func:`gatecc.ir.gates.relaxation_coefficients`), so a neuron's softmax mixture
over the 16 gates folds into four coefficients: softmax(w) @ C, a (16, 4)
matrix.  Hard mode uses the argmax gate instead (ties to the lowest id, the
same argmax the compiler lowers), which makes the soft model in hard mode the
specification every compiled target must match bit for bit.

JAX is imported when these functions run, not when gatecc is imported.
"""

from __future__ import annotations

from functools import cache

import numpy as np

from .errors import InputError
from .ir.gates import relaxation_coefficients
from .model import LogicNet

#: (16, 4) float32: relaxation of gate g = C[g] @ (1, a, b, ab).
COEFFICIENTS = relaxation_coefficients()


def neuron_coefficients(logits, hard: bool = False):
    """(n, 4) coefficients of (1, a, b, ab) for a layer's (n, 16) logits.

    Soft: softmax(logits) @ C.  Hard: C[argmax(logits)].  Works on numpy or JAX
    arrays and under ``jax.jit`` / ``jax.grad``.
    """
    import jax
    import jax.numpy as jnp

    c = jnp.asarray(COEFFICIENTS)
    if hard:
        return c[jnp.argmax(logits, axis=-1)]
    return jax.nn.softmax(logits, axis=-1) @ c


def layer_forward(coefs, a, b, x):
    """One layer: x (batch, m) -> (batch, n) with per-neuron coefficients (n, 4)."""
    xa = x[:, a]
    xb = x[:, b]
    return coefs[:, 0] + coefs[:, 1] * xa + coefs[:, 2] * xb + coefs[:, 3] * (xa * xb)


def layer_forward_t(coefs, xa, xb):
    """The same layer in the trainer's (features, batch) layout, on gathered operand rows.

    ``xa``, ``xb`` are (n, batch): each neuron's two operands, gathered with
    fixed wiring (``x[a]``) or mixed by :func:`soft_wiring`.
    """
    return coefs[:, 0:1] + coefs[:, 1:2] * xa + coefs[:, 2:3] * xb + coefs[:, 3:4] * (xa * xb)


def soft_wiring(candidates, logits, x, hard: bool = False):
    """Learnable wiring: each operand a softmax mixture of candidate rows of x (features, batch).

    ``candidates`` (n, c) int and ``logits`` (n, c) float; the hard wiring is
    the argmax candidate (ties to the first), which is what gets compiled.
    """
    import jax
    import jax.numpy as jnp

    if hard:
        return x[jnp.take_along_axis(candidates, jnp.argmax(logits, axis=-1)[:, None], axis=-1)[:, 0]]
    p = jax.nn.softmax(logits, axis=-1)                          # (n, c)
    return jnp.einsum("nc,ncb->nb", p, x[candidates])


def hard_wiring(candidates, logits) -> np.ndarray:
    """The argmax wiring of a learnable-wiring operand, as int64 (n,)."""
    candidates, logits = np.asarray(candidates), np.asarray(logits)
    return np.take_along_axis(candidates, np.argmax(logits, axis=-1)[:, None], axis=-1)[:, 0].astype(np.int64)


def _bucket(n: int) -> int:
    """Round a dimension up to a power of two (at least 8)."""
    return max(8, 1 << (int(n) - 1).bit_length())


@cache
def _jitted_layers():
    """JIT-compiled layer functions (soft from logits, fixed coefficients)."""
    import jax

    def soft(logits, a, b, x):
        return layer_forward(neuron_coefficients(logits), a, b, x)

    return jax.jit(soft), jax.jit(layer_forward)


def _pad(arr: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    out = np.zeros(shape, dtype=arr.dtype)
    out[tuple(slice(0, s) for s in arr.shape)] = arr
    return out


def soft_eval(net: LogicNet, x, hard: bool = False) -> np.ndarray:
    """Evaluate the soft model on x (batch, n_inputs) with values in [0, 1].

    A net with an input encoder takes raw features (batch, n_features)
    instead, encoded first (:meth:`gatecc.encoder.ThermometerEncoder.encode`).

    Returns float32 (batch, n_outputs): the last layer's activations, or each
    GroupSum group's sum / tau.  ``hard=True`` uses argmax gates (ties to the
    lowest id), giving exactly 0/1 activations for 0/1 inputs.
    """
    if not isinstance(net, LogicNet):   # a LutNet (torchlogix warp/light/LUT-k neurons) has its own
        return net.soft_eval(x, hard)
    x = net.encoder.encode(x) if net.encoder is not None else np.asarray(x)
    if x.ndim != 2 or x.shape[1] != net.n_inputs:
        raise InputError(f"expected inputs of shape (batch, {net.n_inputs}), got {x.shape}")
    soft_layer, fixed_layer = _jitted_layers()
    batch = x.shape[0]
    # Shapes are padded to powers of two so the jitted layers are reused
    # across nets; padded neurons are never wired to and are sliced away.
    h = _pad(x.astype(np.float32), (_bucket(batch), _bucket(x.shape[1])))
    for layer in net.layers:
        n = _bucket(layer.width)
        a, b = _pad(layer.a.astype(np.int32), (n,)), _pad(layer.b.astype(np.int32), (n,))
        if hard or layer.gates is not None:
            coefs = _pad(COEFFICIENTS[layer.gate_ids()], (n, 4))
            h = fixed_layer(coefs, a, b, h)
        else:
            h = soft_layer(_pad(layer.logits.astype(np.float32), (n, 16)), a, b, h)
    out = np.asarray(h)[:batch, : net.layers[-1].width]
    if net.groupsum is None:
        return out
    # XLA may divide through a reciprocal (off by an ulp); divide the exact
    # float32 group sums in numpy so sums / tau is correctly rounded.
    sums = out.reshape(batch, net.groupsum.k, -1).sum(axis=-1, dtype=np.float32)
    return sums / np.float32(net.groupsum.tau)
