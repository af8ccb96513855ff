"""Bit-packed boards: 64 cells per uint64 word, row by row.

Cell (r, c) of an N x N board is bit c % 64 of word c // 64 of row r; N must
be a multiple of 64.  Flattened, a packed board is exactly one bit plane of
the shared layout (sample r*N + c), so a compiled circuit can be applied to
the nine neighbour planes of a whole board at once.
"""

from __future__ import annotations

import numpy as np

from ..errors import InputError
from .rule import OFFSETS

ONE = np.uint64(1)
TOP = np.uint64(63)


def check_size(size: int) -> None:
    """Boards are square with a side that is a positive multiple of 64."""
    if size < 64 or size % 64:
        raise InputError(f"board size must be a positive multiple of 64 (64 cells per word), not {size}")


def pack_board(board: np.ndarray) -> np.ndarray:
    """(N, N) bool -> (N, N/64) uint64."""
    board = np.asarray(board, dtype=bool)
    check_size(board.shape[1])
    packed = np.packbits(board, axis=1, bitorder="little")
    return np.ascontiguousarray(packed).view("<u8").astype(np.uint64, copy=False)


def unpack_board(words: np.ndarray) -> np.ndarray:
    """(N, N/64) uint64 -> (N, N) bool."""
    words = np.ascontiguousarray(words, dtype=np.uint64).astype("<u8", copy=False)
    return np.unpackbits(words.view(np.uint8), axis=1, bitorder="little").astype(bool)


def shifted(words: np.ndarray, dr: int, dc: int) -> np.ndarray:
    """The plane whose cell (r, c) holds cell (r + dr, c + dc) of the torus."""
    rows = np.roll(words, -dr, axis=0)
    if dc == -1:  # bit c takes bit c - 1: shift left, carry in from the word before
        return (rows << ONE) | (np.roll(rows, 1, axis=1) >> TOP)
    if dc == 1:   # bit c takes bit c + 1: shift right, carry in from the word after
        return (rows >> ONE) | (np.roll(rows, -1, axis=1) << TOP)
    return rows


def neighbour_planes(words: np.ndarray) -> np.ndarray:
    """(9, N*N/64) uint64: the nine inputs of the Life circuit for every cell."""
    return np.stack([shifted(words, dr, dc).ravel() for dr, dc in OFFSETS])
