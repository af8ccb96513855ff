"""Discrete repair of a nearly exact hard net by resubstitution.

Gradient training of the soft model gets a hard net to a handful of wrong
bits and then crawls.  Repair finishes the job on the hard net directly,
bit-parallel over all training patterns (one uint64 word holds 64 patterns):

1. For every neuron, its *observability*: the patterns on which flipping the
   neuron's value would flip each output.  Computed for a whole layer at once
   by re-running the layers after it with each neuron complemented in turn.
2. A neuron can only fix errors it observes.  For such a neuron j in layer i,
   try every pair (x, y) of layer i-1's signals as new inputs: the pair splits
   the patterns into four classes by (x, y), and on each class the best
   constant output is the one that leaves fewer wrong bits (patterns where j
   is unobservable keep their errors whatever j does).  The four choices are
   the new gate's truth table, so each (pair, gate) is scored exactly.
3. Apply the single best move (neuron, wiring, gate) if it lowers the number
   of wrong bits, and repeat.

This is resubstitution with observability don't-cares, as logic optimisers
use it, applied to the layered net: a move never leaves the architecture
(a neuron still reads two signals of the previous layer).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..ir.gates import evaluate_words

ONES = ~np.uint64(0)


@dataclass
class RepairResult:
    """What a repair run did: errors before and after, and the moves applied."""

    errors_before: int
    errors_after: int
    moves: list[tuple[int, int, int, int, int]]   # (layer, neuron, a, b, gate)


def _popcount(words: np.ndarray) -> np.ndarray:
    return np.bitwise_count(words).sum(axis=-1, dtype=np.int64)


def forward_words(gates, wires, x_planes: np.ndarray) -> list[np.ndarray]:
    """Each layer's values, (width, words) uint64, starting with the inputs."""
    values = [x_planes]
    for g, (a, b) in zip(gates, wires):
        x = values[-1]
        values.append(evaluate_words(g.astype(np.uint64)[:, None], x[a], x[b]))
    return values


def observability(values, gates, wires, layer: int) -> np.ndarray:
    """(neurons, outputs, words): where flipping each neuron of ``layer`` flips each output."""
    cur = values[layer + 1]
    n = cur.shape[0]
    x = np.repeat(cur[None], n, axis=0)
    x[np.arange(n), np.arange(n)] ^= ONES
    for k in range(layer + 1, len(gates)):
        a, b = wires[k]
        x = evaluate_words(gates[k].astype(np.uint64)[None, :, None], x[:, a], x[:, b])
    return x ^ values[-1][None]


def _best_resubstitution(prev: np.ndarray, value: np.ndarray, obs: np.ndarray, errors: np.ndarray):
    """Best (wrong bits, a, b, gate) for one neuron reading two rows of ``prev``.

    ``value`` (words,) is the neuron's current value, ``obs`` and ``errors``
    are (outputs, words).  A pattern's output k changes iff obs[k] and the
    neuron's value changes there.
    """
    unobserved = int(_popcount(errors & ~obs).sum())
    xa, xb = prev[:, None, :], prev[None, :, :]
    total = np.full((prev.shape[0], prev.shape[0]), unobserved, dtype=np.int64)
    bits = []
    # Truth-table order: bit 3 is (0,0), bit 2 (0,1), bit 1 (1,0), bit 0 (1,1).
    for cls in (~xa & ~xb, ~xa & xb, xa & ~xb, xa & xb):
        cost = []
        for t in (np.uint64(0), ONES):
            flip = t ^ value                       # where the new value differs from the old
            wrong = errors[:, None, None, :] ^ (obs[:, None, None, :] & flip)
            cost.append(_popcount(cls[None] & wrong & obs[:, None, None, :]).sum(axis=0))
        total += np.minimum(cost[0], cost[1])
        bits.append(cost[1] < cost[0])
    k = np.unravel_index(int(np.argmin(total)), total.shape)
    gate = sum(int(bits[c][k]) << (3 - c) for c in range(4))
    return int(total[k]), int(k[0]), int(k[1]), gate


def care_mask(n_patterns: int) -> np.ndarray:
    """(words,) uint64 with one bit set per real pattern (the padding is don't-care)."""
    words = max(1, -(-n_patterns // 64))
    bits = np.zeros(words * 64, dtype=np.uint8)
    bits[:n_patterns] = 1
    return np.packbits(bits, bitorder="little").view("<u8").astype(np.uint64)


def repair(gates, wires, x_planes: np.ndarray, y_planes: np.ndarray, n_patterns: int,
           max_moves: int = 16) -> RepairResult:
    """Greedily resubstitute neurons until the hard net is exact or no move helps.

    ``gates`` (list of (n_i,) uint8) and ``wires`` (list of (a, b)) are
    updated in place; ``x_planes`` (n_inputs, words) and ``y_planes``
    (n_outputs, words) are the packed training patterns, of which the first
    ``n_patterns`` are real.
    """
    n_patterns_mask = care_mask(n_patterns)
    moves = []
    errors = None
    before = None
    for _ in range(max_moves + 1):
        values = forward_words(gates, wires, x_planes)
        err = (values[-1] ^ y_planes) & n_patterns_mask
        errors = int(_popcount(err).sum())
        if before is None:
            before = errors
        if errors == 0 or len(moves) == max_moves:
            break
        best = (errors, None)
        for layer in range(len(gates)):
            obs = observability(values, gates, wires, layer) & n_patterns_mask    # (n, outputs, words)
            candidates = np.flatnonzero(_popcount(obs & err[None]).sum(axis=1) > 0)
            for j in candidates:
                score, a, b, g = _best_resubstitution(values[layer], values[layer + 1][j], obs[j], err)
                if score < best[0]:
                    best = (score, (layer, int(j), a, b, g))
        if best[1] is None:
            break
        layer, j, a, b, g = best[1]
        gates[layer][j] = g
        wires[layer][0][j] = a
        wires[layer][1][j] = b
        moves.append(best[1])
    return RepairResult(before, errors, moves)
