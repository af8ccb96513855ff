"""Bit-parallel simulation of an XAG with Python integers as bit vectors.

A signal's value over ``width`` input patterns is one Python int (bit j is
pattern j); AND, XOR and complement are single big-integer operations, so one
sweep costs well under a microsecond per node.  Used to find candidate
equivalent nodes (:mod:`.fraig`) and quick counterexamples (:mod:`gatecc.verify`).
"""

from __future__ import annotations

import numpy as np

from .xag import AND, XAG


def random_patterns(n_inputs: int, width: int, seed: int = 0) -> list[int]:
    """``width`` random bits per input, as ints (reproducible for a seed)."""
    rng = np.random.default_rng(seed)
    n_bytes = (width + 7) // 8
    data = rng.integers(0, 256, (n_inputs, n_bytes), dtype=np.uint8)
    mask = (1 << width) - 1
    return [int.from_bytes(row.tobytes(), "little") & mask for row in data]


def propagate(net: XAG, vals, order, full: int) -> None:
    """Fill ``vals[n]`` for each node of ``order`` (fanins first) from its fanins' values.

    The one XAG simulator: ``vals`` is any mapping from node id to a
    ``full``-masked int (a list over all nodes for whole-network simulation, a
    dict over a window for a cone's truth table).
    """
    kind, fa, fb = net.kind, net.fa, net.fb
    for n in order:
        a, b = fa[n], fb[n]
        x = vals[a >> 1] ^ (full if a & 1 else 0)
        y = vals[b >> 1] ^ (full if b & 1 else 0)
        vals[n] = x & y if kind[n] == AND else x ^ y


def simulate(net: XAG, patterns: list[int], width: int, order: list[int] | None = None) -> list[int]:
    """Values of every node (index = node id; dead or unreached nodes are 0)."""
    vals = [0] * net.n_nodes
    for i, p in enumerate(patterns):
        vals[i + 1] = p
    propagate(net, vals, order if order is not None else net.topological(), (1 << width) - 1)
    return vals


def literal_value(vals: list[int], lit: int, width: int) -> int:
    """The value of a literal given node values."""
    v = vals[lit >> 1]
    return v ^ ((1 << width) - 1) if lit & 1 else v
