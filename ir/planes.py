"""Bit planes: the packed layout every evaluator and backend shares.

Sample ``j`` of a batch is bit ``j % 64`` of word ``j // 64`` of each signal's
plane.  A batch that is not a multiple of 64 is padded with zero samples, and
callers never see the padding.  Packing and unpacking are vectorised numpy.
"""

from __future__ import annotations

import numpy as np

WORD_BITS = 64


def n_words(batch: int, word_bits: int = WORD_BITS) -> int:
    """Words needed to hold ``batch`` samples."""
    return max(1, -(-batch // word_bits))


def pack_bits(x: np.ndarray, word_bits: int = WORD_BITS) -> np.ndarray:
    """Pack a (batch, n) array of 0/1 values into (n, words) little-endian words.

    ``word_bits`` is 64 (uint64 words) or 32 (uint32 words).
    """
    x = np.asarray(x)
    if x.ndim != 2:
        raise ValueError(f"expected a 2-D (batch, n) array, got shape {x.shape}")
    batch, n = x.shape
    words = n_words(batch, word_bits)
    padded = np.zeros((n, words * word_bits), dtype=np.uint8)
    padded[:, :batch] = x.T
    packed = np.packbits(padded, axis=1, bitorder="little")
    dtype = np.dtype("<u8") if word_bits == 64 else np.dtype("<u4")
    return np.ascontiguousarray(packed.view(dtype)).astype(dtype.newbyteorder("="), copy=False)


def unpack_bits(planes: np.ndarray, batch: int) -> np.ndarray:
    """Unpack (n, words) planes into a (batch, n) uint8 array of 0/1."""
    planes = np.ascontiguousarray(planes)
    little = planes.astype(planes.dtype.newbyteorder("<"), copy=False)
    bits = np.unpackbits(little.view(np.uint8).reshape(planes.shape[0], -1), axis=1, bitorder="little")
    return np.ascontiguousarray(bits[:, :batch].T)


def plane_counts(planes: np.ndarray, batch: int, weights: np.ndarray | None = None) -> np.ndarray:
    """Per-sample weighted sums of bit planes: sum_i weights[i] * bit_i.

    With no weights this is the popcount of each sample's bits; with weights
    2**i it reads the planes as a little-endian binary number.
    """
    bits = unpack_bits(planes, batch).astype(np.int64)
    if weights is None:
        return bits.sum(axis=1)
    return bits @ np.asarray(weights, dtype=np.int64)
