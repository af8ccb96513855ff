"""The learned Life net run as a JAX model (hard mode) on a whole board: the baseline.

This is how a JAX user would run their trained net: gather each cell's 3x3
neighbourhood as floats and evaluate the layers with argmax gates.
"""

from __future__ import annotations

import numpy as np

from ..model import LogicNet
from ..soft import COEFFICIENTS, layer_forward
from .rule import OFFSETS


def jax_life_stepper(net: LogicNet):
    """A jitted ``step(board) -> board`` on (N, N) float32 boards, hard gates."""
    import jax
    import jax.numpy as jnp

    layers = [(jnp.asarray(COEFFICIENTS[layer.gate_ids()]), jnp.asarray(layer.a), jnp.asarray(layer.b))
              for layer in net.layers]

    @jax.jit
    def step(board):
        n = board.shape[0]
        x = jnp.stack([jnp.roll(board, (-dr, -dc), axis=(0, 1)).ravel() for dr, dc in OFFSETS], axis=1)
        for coefs, a, b in layers:
            x = layer_forward(coefs, a, b, x)
        return x[:, 0].reshape(n, n)

    return step


def run_jax(net: LogicNet, board: np.ndarray, steps: int) -> np.ndarray:
    """``steps`` generations of a bool board through the JAX model."""
    step = jax_life_stepper(net)
    b = np.asarray(board, dtype=np.float32)
    for _ in range(steps):
        b = step(b)
    return np.asarray(b) > 0.5
