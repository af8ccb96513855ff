"""NPN classes of 4-input Boolean functions.

A 4-input function is a 16-bit truth table ``tt``: bit ``m`` is f(x) where
``x_i = (m >> i) & 1`` (x0 is the least significant variable).  Two
functions are NPN-equivalent when one becomes the other by permuting the
inputs, complementing some inputs and possibly complementing the output.  The
65536 functions fall into 222 classes; the representative of a class is its
numerically smallest member.

:func:`npn_table` classifies every function at once (computed by
:func:`compute_npn_table`, stored in ``data/npn4_classes.npz``).  For each function ``f`` it gives the class
representative ``c`` and how to build ``f`` from a circuit for ``c``:

    f(y) = oneg ^ c(x)   with   x_j = y[perm[j]] ^ ((neg >> j) & 1)

so input ``j`` of the class circuit reads leaf ``perm[j]`` complemented by
bit ``j`` of ``neg``, and the output is complemented when ``oneg`` is 1.
"""

from __future__ import annotations

import functools
import itertools
from dataclasses import dataclass
from pathlib import Path

import numpy as np

N_VARS = 4
N_ROWS = 1 << N_VARS
MASK = (1 << N_ROWS) - 1

#: Truth tables of the four variables (x0 = 0xAAAA ... x3 = 0xFF00).
VAR_TT: tuple[int, ...] = tuple(
    sum(1 << m for m in range(N_ROWS) if (m >> i) & 1) for i in range(N_VARS)
)

PERMS: tuple[tuple[int, ...], ...] = tuple(itertools.permutations(range(N_VARS)))


@dataclass(frozen=True)
class NPNTable:
    """Per function (index = truth table): class representative and transform."""

    canon: np.ndarray   # uint16: the class representative c
    perm: np.ndarray    # uint8: index into PERMS
    neg: np.ndarray     # uint8: input complement mask (bit j: class input j)
    oneg: np.ndarray    # uint8: 1 when the output is complemented

    def transform(self, tt: int) -> tuple[int, tuple[int, ...], int, int]:
        """(c, perm, neg, oneg) for truth table ``tt`` (see the module docstring)."""
        return int(self.canon[tt]), PERMS[int(self.perm[tt])], int(self.neg[tt]), int(self.oneg[tt])

    def classes(self) -> list[int]:
        """The class representatives, sorted (222 of them)."""
        return sorted(set(self.canon.tolist()))


def apply_transform(c: int, perm, neg: int, oneg: int) -> int:
    """Truth table of ``f(y) = oneg ^ c(x)``, ``x_j = y[perm[j]] ^ neg_j`` (the definition)."""
    out = 0
    for m in range(N_ROWS):
        x = 0
        for j in range(N_VARS):
            x |= (((m >> perm[j]) & 1) ^ ((neg >> j) & 1)) << j
        out |= (((c >> x) & 1) ^ oneg) << m
    return out


DATA = Path(__file__).resolve().parent / "data" / "npn4_classes.npz"


@functools.cache
def npn_table() -> NPNTable:
    """The classification of all 65536 functions, loaded once per process from ``data/``.

    The file is :func:`compute_npn_table`'s output, written by
    ``scripts/gen_npn4_db.py`` and checked against it by the tests; loading
    takes a millisecond where computing takes about a second.
    """
    with np.load(DATA) as data:
        return NPNTable(data["canon"], data["perm"], data["neg"], data["oneg"])


def compute_npn_table() -> NPNTable:
    """Classify all 65536 four-input functions (vectorised, about a second)."""
    f = np.arange(1 << N_ROWS, dtype=np.uint32)
    best = np.full(f.shape, MASK + 1, dtype=np.uint32)
    best_perm = np.zeros(f.shape, dtype=np.uint8)
    best_neg = np.zeros(f.shape, dtype=np.uint8)
    best_oneg = np.zeros(f.shape, dtype=np.uint8)
    rows = np.arange(N_ROWS)
    for p_index, perm in enumerate(PERMS):
        for neg in range(N_ROWS):
            # Candidate c = the function with f(y) = c(x), x_j = y[perm[j]] ^ neg_j,
            # i.e. c(x) = f(y) where y[perm[j]] = x_j ^ neg_j.
            src = np.zeros(N_ROWS, dtype=np.int64)
            for j in range(N_VARS):
                src |= (((rows >> j) & 1) ^ ((neg >> j) & 1)) << perm[j]
            cand = np.zeros(f.shape, dtype=np.uint32)
            for m in range(N_ROWS):
                cand |= ((f >> np.uint32(src[m])) & np.uint32(1)) << np.uint32(m)
            for oneg in (0, 1):
                c = cand ^ np.uint32(MASK) if oneg else cand
                better = c < best
                best = np.where(better, c, best)
                best_perm[better] = p_index
                best_neg[better] = neg
                best_oneg[better] = oneg
    return NPNTable(best.astype(np.uint16), best_perm, best_neg, best_oneg)
