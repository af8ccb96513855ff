"""CA architectures: the notebook's wiring schemes and fresh models (training init, random test models).

Perception layer 0 is ``first_kernel`` wired: its 8 neurons pair each of the
8 neighbours (a) with the centre (b), in a random order; later perception
layers and all update layers use Petersen's ``unique`` wiring
(:func:`gatecc.train.wiring.unique_wiring`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..model import Layer
from ..train.wiring import unique_wiring
from .model import CENTRE, PATCH, CAModel, KernelLayer

NEIGHBOURS = np.array([f for f in range(PATCH) if f != CENTRE], dtype=np.int64)


@dataclass(frozen=True)
class CAArch:
    """Channels, kernels, perception widths (after the 9-bit patch) and update widths (last = channels)."""

    channels: int
    n_kernels: int
    perceive: tuple[int, ...] = (8, 4, 2, 1)
    update: tuple[int, ...] = (128,) * 17 + (64, 32, 16, 8, 4, 2, 1)
    periodic: bool = True

    @property
    def n_features(self) -> int:
        """Inputs of the update network."""
        return self.channels * (1 + self.perceive[-1] * self.n_kernels)


def first_kernel_wiring(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """The notebook's Moore wiring: each neighbour paired with the centre, permuted."""
    perm = rng.permutation(len(NEIGHBOURS))
    return NEIGHBOURS[perm].copy(), np.full(len(NEIGHBOURS), CENTRE, dtype=np.int64)


def arch_wiring(arch: CAArch, rng: np.random.Generator):
    """Perception and update wiring lists [(a, b)] for ``arch``."""
    perceive, prev = [], PATCH
    for i, width in enumerate(arch.perceive):
        perceive.append(first_kernel_wiring(rng) if i == 0 and width == 8 else unique_wiring(prev, width, rng))
        prev = width
    update, prev = [], arch.n_features
    for width in arch.update:
        update.append(unique_wiring(prev, width, rng))
        prev = width
    return perceive, update


#: Gates that keep a random net alive: half XOR/XNOR (a random net of ANDs and ORs is nearly constant).
LIVE_GATES = (6, 9, 6, 9, 1, 7, 8, 14)


def init_model(arch: CAArch, seed: int = 0, init_logit: float = 10.0, noise: float = 0.0,
               random_gates: bool = False, gate_set=None) -> CAModel:
    """A fresh CA: pass-through logits (``init_logit`` on gate 3, plus ``noise``), or random hard gates.

    Random gates are uniform over the 16 ids, or over ``gate_set`` (e.g. :data:`LIVE_GATES`).
    """
    if arch.update[-1] != arch.channels:
        raise ValueError(f"the last update layer must have {arch.channels} neurons (one per channel)")
    rng = np.random.default_rng(seed)
    pw, uw = arch_wiring(arch, rng)

    def logits(shape):
        w = np.zeros(shape + (16,), dtype=np.float32)
        w[..., 3] = init_logit
        if noise:
            w += (rng.standard_normal(w.shape) * noise).astype(np.float32)
        return w

    if random_gates:
        ids = np.arange(16) if gate_set is None else np.asarray(gate_set)

        def gates(shape):
            return ids[rng.integers(0, len(ids), shape)].astype(np.uint8)

        perceive = [KernelLayer(a, b, gates=gates((arch.n_kernels, len(a)))) for a, b in pw]
        update = [Layer(a, b, gates=gates(len(a))) for a, b in uw]
    else:
        perceive = [KernelLayer(a, b, logits=logits((arch.n_kernels, len(a)))) for a, b in pw]
        update = [Layer(a, b, logits=logits((len(a),))) for a, b in uw]
    return CAModel(arch.channels, perceive, update, arch.periodic)


#: The notebook's Game-of-Life CA: 16 kernels of [9, 8, 4, 2, 1]; update [128] x 16 + [128, 64, ..., 1].
LIFE_ARCH = CAArch(1, 16, (8, 4, 2, 1), (128,) * 17 + (64, 32, 16, 8, 4, 2, 1), True)
#: The notebook's synchronous checkerboard CA: 8 channels, 16 kernels of [9, 8, 4, 2], zero boundary.
CHECKERBOARD_ARCH = CAArch(8, 16, (8, 4, 2), (256,) * 10 + (128, 64, 32, 16, 8, 8), False)
#: The notebook's asynchronous checkerboard CA: as the synchronous one with update [256] x 14 + [128, ..., 8, 8].
CHECKERBOARD_ASYNC_ARCH = CAArch(8, 16, (8, 4, 2), (256,) * 14 + (128, 64, 32, 16, 8, 8), False)
