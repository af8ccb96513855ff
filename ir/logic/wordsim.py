"""One 64-bit word of simulation patterns per node, level by level with numpy.

SAT sweeping simulates each counterexample (and its neighbours, at most 64
patterns) over the whole cone it sweeps.  Node by node in Python that costs
about a microsecond per node; level by level it is a handful of vector
operations per logic level, so on a cone that is wide rather than deep
(most control logic) it is many times faster.  :meth:`WordSim.worth_it`
says which: the caller keeps the node-by-node simulator for deep, narrow
cones (a 5000-level square root).
"""

from __future__ import annotations

import numpy as np

from .xag import AND, XAG

_ONES = np.uint64(0xFFFFFFFFFFFFFFFF)


class WordSim:
    """A levelised copy of ``order`` (a fanins-first list of ``net``'s gate nodes)."""

    def __init__(self, net: XAG, order: list[int]):
        self.n_nodes = net.n_nodes
        self.n_inputs = net.n_inputs
        level = [0] * net.n_nodes
        fa, fb = net.fa, net.fb
        for n in order:
            la, lb = level[fa[n] >> 1], level[fb[n] >> 1]
            level[n] = 1 + (la if la > lb else lb)
        nodes = np.array(order, dtype=np.int64)
        lev = np.array([level[n] for n in order], dtype=np.int64)
        by_level = np.argsort(lev, kind="stable")
        nodes, lev = nodes[by_level], lev[by_level]
        a = np.array([fa[n] for n in nodes.tolist()], dtype=np.int64)
        b = np.array([fb[n] for n in nodes.tolist()], dtype=np.int64)
        is_and = np.array([net.kind[n] == AND for n in nodes.tolist()], dtype=bool)
        cuts = np.flatnonzero(np.diff(lev)) + 1
        self.levels = [
            (nn, aa >> 1, (aa & 1).astype(np.uint64) * _ONES, bb >> 1, (bb & 1).astype(np.uint64) * _ONES, ia)
            for nn, aa, bb, ia in zip(np.split(nodes, cuts), np.split(a, cuts), np.split(b, cuts),
                                      np.split(is_and, cuts))
            if len(nn)
        ]

    def worth_it(self) -> bool:
        """Whether levels are wide enough for vector operations to beat a per-node loop."""
        size = sum(len(lv[0]) for lv in self.levels)
        return len(self.levels) * 40 < size

    def run(self, words: list[int], width: int) -> np.ndarray:
        """Values of every node (``width`` <= 64 patterns, bit j pattern j) given one word per input."""
        vals = np.zeros(self.n_nodes, dtype=np.uint64)
        vals[1:self.n_inputs + 1] = np.array(words, dtype=np.uint64)
        for nodes, a, na, b, nb, is_and in self.levels:
            x = vals[a] ^ na
            y = vals[b] ^ nb
            vals[nodes] = np.where(is_and, x & y, x ^ y)
        return vals & np.uint64((1 << width) - 1)
