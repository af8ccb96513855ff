"""Which cells fire at a step of an asynchronous cellular automaton: one hash, defined here.

At step ``t`` (0-based, counted from the start of a run) cell ``(y, x)`` of an
H x W board takes its new state iff it fires, else it keeps its old state (all
channels).  All arithmetic is uint32 with wrap-around; ``i = y * W + x``::

    h = seed ^ (t * 0x9E3779B9) ^ (i * 0x85EBCA6B)
    h ^= h >> 16; h *= 0x7FEB352D; h ^= h >> 15; h *= 0x846CA68B; h ^= h >> 16
    fires iff (h >> 8) < round(fire_rate * 2**24)

This module is the numpy reference; every backend's generated code computes
the same hash from the constants below (:data:`STEP_MUL`, ...), and the
stencil engine tests compare them with :func:`fire_mask`.
"""

from __future__ import annotations

import math

import numpy as np

from ...errors import InputError

#: The hash's constants, in the order the formula above uses them.
STEP_MUL, CELL_MUL, MIX1, MIX2 = 0x9E3779B9, 0x85EBCA6B, 0x7FEB352D, 0x846CA68B

#: Bits of the hash compared with the threshold (the top 24 of 32).
RATE_BITS = 24


def threshold(fire_rate) -> int:
    """``round(fire_rate * 2**24)``: a cell fires iff ``(h >> 8)`` is below it; :class:`InputError` if not in [0, 1]."""
    if isinstance(fire_rate, bool) or not isinstance(fire_rate, (int, float, np.floating, np.integer)):
        raise InputError(f"fire_rate must be a number in [0, 1], not {fire_rate!r}")
    if not (math.isfinite(float(fire_rate)) and 0.0 <= float(fire_rate) <= 1.0):
        raise InputError(f"fire_rate must be in [0, 1], not {fire_rate!r}")
    return int(round(float(fire_rate) * (1 << RATE_BITS)))


def check_seed(seed) -> int:
    """``seed`` as an int in [0, 2**32), else :class:`InputError`."""
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or not 0 <= int(seed) < 1 << 32:
        raise InputError(f"seed must be an integer in [0, 2**32), not {seed!r}")
    return int(seed)


def fire_hash(seed: int, step: int, cells: np.ndarray) -> np.ndarray:
    """The uint32 hash of each cell index in ``cells`` at ``step``."""
    with np.errstate(over="ignore"):
        i = np.asarray(cells, dtype=np.uint32)
        h = np.uint32(seed) ^ (np.uint32(step & 0xFFFFFFFF) * np.uint32(STEP_MUL)) ^ (i * np.uint32(CELL_MUL))
        h ^= h >> np.uint32(16)
        h *= np.uint32(MIX1)
        h ^= h >> np.uint32(15)
        h *= np.uint32(MIX2)
        h ^= h >> np.uint32(16)
    return h


def fire_mask(seed: int, step: int, height: int, width: int, fire_rate) -> np.ndarray:
    """(height, width) bool: the cells that fire at ``step``."""
    cells = np.arange(height * width, dtype=np.uint64).astype(np.uint32)
    fires = (fire_hash(check_seed(seed), step, cells) >> np.uint32(32 - RATE_BITS)) < threshold(fire_rate)
    return fires.reshape(height, width)
