"""Conway's Game of Life: the rule as a 9-input truth table, and a plain numpy board step.

Input j of a 3x3 pattern is cell (j // 3, j % 3) of the neighbourhood, input 0
the most significant bit of the pattern number; the centre is input 4.  These
are the oracles that learned circuits and compiled engines are checked against.
"""

from __future__ import annotations

import numpy as np

#: (row, column) offset of input j from the centre cell.
OFFSETS = tuple((j // 3 - 1, j % 3 - 1) for j in range(9))


def life_rule(patterns: np.ndarray) -> np.ndarray:
    """Next state of the centre for (n, 9) 0/1 patterns: birth on 3, survival on 2 or 3."""
    patterns = np.asarray(patterns, dtype=np.int64)
    centre = patterns[:, 4]
    neighbours = patterns.sum(axis=1) - centre
    return ((neighbours == 3) | ((centre == 1) & (neighbours == 2))).astype(np.uint8)


def reference_step(board: np.ndarray) -> np.ndarray:
    """One Life step of a bool board on a torus, with plain numpy (no gatecc)."""
    b = np.asarray(board, dtype=np.uint8)
    neighbours = sum(
        np.roll(np.roll(b, dr, axis=0), dc, axis=1)
        for dr in (-1, 0, 1) for dc in (-1, 0, 1) if (dr, dc) != (0, 0)
    )
    return (neighbours == 3) | ((b == 1) & (neighbours == 2))


def random_board(size: int, seed: int = 0, density: float = 0.35) -> np.ndarray:
    """A square bool board with each cell alive with probability ``density``."""
    return np.random.default_rng(seed).random((size, size)) < density
