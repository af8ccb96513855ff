"""Wiring: which two outputs of the previous layer each neuron reads.

``unique`` follows Petersen et al.'s scheme: pairs (0,1), (2,3), ... first,
then (1,2), (3,4), ..., then pairs at offsets 2, 3, ..., so that every input
is used and no pair repeats until all pairs of the kind have been taken; the
list is truncated to the layer's width and randomly permuted.  When a wide
layer reads a narrow one there are fewer distinct pairs than neurons (9
inputs have only 36 pairs for 128 neurons); the sequence then starts again,
so pairs repeat as evenly as possible (difflogic's own code refuses such
layers).  ``random`` draws both inputs of each neuron uniformly.
"""

from __future__ import annotations

import numpy as np

WIRINGS = ("unique", "random")


def _pair_sequence(m: int) -> tuple[np.ndarray, np.ndarray]:
    """All pairs of m inputs in the unique-wiring order (even pairs, odd pairs, offsets 2..m-1)."""
    idx = np.arange(m)
    a_parts = [idx[0::2][: m // 2], idx[1::2][: (m - 1) // 2]]
    b_parts = [idx[1::2][: m // 2], idx[2::2][: (m - 1) // 2]]
    for offset in range(2, m):
        a_parts.append(idx[:-offset])
        b_parts.append(idx[offset:])
    return np.concatenate(a_parts), np.concatenate(b_parts)


def unique_wiring(m: int, n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Wiring of n neurons over m inputs, Petersen's unique scheme (see module doc)."""
    if m < 1 or n < 1:
        raise ValueError("layers need at least one input and one neuron")
    if m == 1:
        a = b = np.zeros(n, dtype=np.int64)
    else:
        pa, pb = _pair_sequence(m)
        reps = -(-n // len(pa))
        a, b = np.tile(pa, reps)[:n], np.tile(pb, reps)[:n]
    perm = rng.permutation(n)
    return a[perm].astype(np.int64), b[perm].astype(np.int64)


def random_wiring(m: int, n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Wiring of n neurons with both inputs drawn uniformly from m."""
    return rng.integers(0, m, n).astype(np.int64), rng.integers(0, m, n).astype(np.int64)


def make_wiring(kind: str, m: int, n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Wiring of the named kind."""
    if kind == "unique":
        return unique_wiring(m, n, rng)
    if kind == "random":
        return random_wiring(m, n, rng)
    raise ValueError(f"unknown wiring {kind!r} (known: {', '.join(WIRINGS)})")
