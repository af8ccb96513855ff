"""GroupSum counters as adder trees over bit planes.

A ``popcount`` node becomes a column-compression (Wallace) tree of full and
half adders whose result bits feed a ``uint`` node.  Backends then see only
bit logic, the count is a handful of bit planes per 64 samples rather than a
per-sample loop, and the optimiser sees the adders like any other gates.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

import numpy as np

from .. import gates as G
from ..builder import Builder
from ..graph import Graph, Op
from .base import Pass, register


def full_adder(bld: Builder, x: int, y: int, z: int) -> tuple[int, int]:
    """Sum and carry of three bits: 2 XOR, 2 AND, 1 OR."""
    t = bld.gate(G.XOR, x, y)
    s = bld.gate(G.XOR, t, z)
    c = bld.gate(G.OR, bld.gate(G.AND, x, y), bld.gate(G.AND, t, z))
    return s, c


def half_adder(bld: Builder, x: int, y: int) -> tuple[int, int]:
    """Sum and carry of two bits: XOR and AND."""
    return bld.gate(G.XOR, x, y), bld.gate(G.AND, x, y)


def adder_tree(bld: Builder, bits) -> list[int]:
    """Build the binary count of ``bits``; returns its bits, least significant first.

    Each column is a FIFO: the oldest (shallowest) three bits go into a full
    adder, whose sum rejoins the column's tail and whose carry joins the next
    column, so the depth grows with log(len(bits)).
    """
    columns = [deque(bits)]
    result = []
    w = 0
    while w < len(columns):
        col = columns[w]
        while len(col) >= 3:
            s, c = full_adder(bld, col.popleft(), col.popleft(), col.popleft())
            col.append(s)
            _column(columns, w + 1).append(c)
        if len(col) == 2:
            s, c = half_adder(bld, col.popleft(), col.popleft())
            col.append(s)
            _column(columns, w + 1).append(c)
        result.append(col[0] if col else bld.const(0))
        w += 1
    return result


def _column(columns: list, w: int) -> deque:
    if w == len(columns):
        columns.append(deque())
    return columns[w]


class _Appender:
    """Appends raw gates after a copy of a graph's nodes (a Builder.raw without the rebuild)."""

    def __init__(self, graph: Graph, keep: np.ndarray):
        index = np.cumsum(keep) - 1
        self.n_inputs = graph.n_inputs
        self.index = index
        remap = lambda f: np.where(f >= 0, index[np.maximum(f, 0)], -1)  # noqa: E731
        self.op = [graph.op[keep]]
        self.arg = [graph.arg[keep]]
        self.a = [remap(graph.a[keep])]
        self.b = [remap(graph.b[keep])]
        self.n = int(keep.sum())
        self.new: list[tuple[int, int, int, int]] = []
        self.operands = {int(index[i]): tuple(int(index[x]) for x in ops)
                         for i, ops in graph.operands.items() if keep[i]}

    def _append(self, op, arg, x, y) -> int:
        self.new.append((int(op), arg, x, y))
        return self.n + len(self.new) - 1

    def gate(self, g: int, x: int, y: int) -> int:
        return self._append(Op.GATE, g, x, y)

    def const(self, value: int) -> int:
        return self._append(Op.CONST, value, -1, -1)

    def uint(self, bits) -> int:
        node = self._append(Op.UINT, 0, -1, -1)
        self.operands[node] = tuple(bits)
        return node

    def finish(self, outputs) -> Graph:
        if self.new:
            op, arg, a, b = zip(*self.new)
            self.op.append(np.array(op, dtype=np.uint8))
            self.arg.append(np.array(arg, dtype=np.int32))
            self.a.append(np.array(a, dtype=np.int64))
            self.b.append(np.array(b, dtype=np.int64))
        return Graph(self.n_inputs, np.concatenate(self.op), np.concatenate(self.arg),
                     np.concatenate(self.a), np.concatenate(self.b), self.operands, list(outputs))


def expand_popcounts(graph: Graph) -> Graph:
    """``graph`` with every popcount replaced by an adder tree and a uint.

    Popcounts are read only by outputs, so the other nodes are copied as
    arrays and the adder trees are appended after them.
    """
    keep = graph.op != Op.POPCOUNT
    app = _Appender(graph, keep)
    made: dict[int, int] = {}
    outputs = []
    for o in graph.outputs:
        if keep[o]:
            outputs.append(int(app.index[o]))
            continue
        if o not in made:
            bits = [int(app.index[x]) for x in graph.operands[o]]
            made[o] = app.uint(adder_tree(app, bits))
        outputs.append(made[o])
    return app.finish(outputs)


def has_popcounts(graph: Graph) -> bool:
    """True when some popcount node is left to expand."""
    return bool((graph.op == Op.POPCOUNT).any())


@register
@dataclass(frozen=True)
class Adders(Pass):
    """Expand GroupSum popcounts into adder trees (a no-op without them)."""

    name = "adders"

    def run(self, graph):
        if not has_popcounts(graph):
            return graph, {}
        return expand_popcounts(graph), {"counters": int((graph.op == Op.POPCOUNT).sum())}
