"""Asynchronous cellular-automaton updates: which cells fire at a step (the numpy reference).

At step ``t`` (0-based, counted from the start of a run) cell ``(y, x)`` of an
``H x W`` board takes its new state iff it fires, else it keeps its old state
(all channels).  Whether it fires is a counter-based hash, so every backend
(numpy, JAX, generated C / LLVM / WGSL) computes the same mask without sharing
a random-number generator.  All arithmetic is uint32 with wrap-around::

    i = y * W + x
    h = seed ^ (t * 0x9E3779B9) ^ (i * 0x85EBCA6B)
    h ^= h >> 16; h *= 0x7FEB352D; h ^= h >> 15; h *= 0x846CA68B; h ^= h >> 16
    fires  iff  (h >> 8) < round(fire_rate * 2**24)

``seed`` is in [0, 2**32).  The functions take the array module (numpy or
jax.numpy) so the JAX model uses this very definition.
"""

from __future__ import annotations

import numpy as np

GOLDEN = 0x9E3779B9
MIX_INDEX = 0x85EBCA6B
MUL1 = 0x7FEB352D
MUL2 = 0x846CA68B


def fire_threshold(fire_rate: float) -> int:
    """The 24-bit threshold of a fire rate in [0, 1]: round(fire_rate * 2**24)."""
    if not 0.0 <= float(fire_rate) <= 1.0:
        raise ValueError(f"fire rate must be in [0, 1], not {fire_rate}")
    return int(round(float(fire_rate) * (1 << 24)))


def fire_hash(seed, step, index, xp=np):
    """The uint32 hash of (seed, step, cell index); arrays broadcast (``xp``: numpy or jax.numpy)."""
    u32 = xp.uint32
    h = (xp.asarray(seed, dtype=u32) ^ (xp.asarray(step, dtype=u32) * u32(GOLDEN))
         ^ (xp.asarray(index, dtype=u32) * u32(MIX_INDEX)))
    h = h ^ (h >> u32(16))
    h = h * u32(MUL1)
    h = h ^ (h >> u32(15))
    h = h * u32(MUL2)
    return h ^ (h >> u32(16))


def fire_mask(seed: int, step: int, height: int, width: int, fire_rate: float, xp=np):
    """bool (height, width): the cells that take their new state at ``step``."""
    if not 0 <= int(seed) < 1 << 32:
        raise ValueError(f"seed must be in [0, 2**32), not {seed}")
    index = xp.arange(height * width, dtype=xp.uint32).reshape(height, width)
    with np.errstate(over="ignore"):
        h = fire_hash(seed, step, index, xp)
    return (h >> xp.uint32(8)) < xp.uint32(fire_threshold(fire_rate))
