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


class _Recorder:
    """Records the nodes an adder tree asks for; node k < width is input k, then step k - width."""

    def __init__(self, width: int):
        self.width = width
        self.steps: list[tuple[int, int, int, int]] = []

    def _append(self, op, arg, x, y) -> int:
        self.steps.append((int(op), arg, x, y))
        return self.width + len(self.steps) - 1

    def gate(self, g: int, x: int, y: int) -> int:
        return self._append(Op.GATE, g, x, y)

    def const(self, value: int) -> int:
        return self._append(Op.CONST, value, -1, -1)


class _TreeTemplate:
    """The adder tree of ``width`` bits as arrays, built once and stamped out per counter."""

    def __init__(self, width: int):
        rec = _Recorder(width)
        self.outputs = np.asarray(adder_tree(rec, range(width)), dtype=np.int64)
        steps = np.array(rec.steps, dtype=np.int64).reshape(-1, 4)
        self.width = width
        self.op, self.arg, self.x, self.y = steps.T

    def stamp(self, bits: np.ndarray, base: int):
        """(op, arg, a, b, outputs) for the tree on node ids ``bits``, its steps numbered from ``base``."""
        def node(ref):
            return np.where(ref < 0, -1, np.where(ref < self.width, bits[np.clip(ref, 0, self.width - 1)],
                                                  base + ref - self.width))
        return self.op, self.arg, node(self.x), node(self.y), node(self.outputs)


def expand_popcounts(graph: Graph) -> Graph:
    """``graph`` with every popcount replaced by an adder tree and a uint.

    Popcounts are read only by outputs, so the other nodes are copied as
    arrays and the adder trees are appended after them.  Counters of one
    width share one tree shape, recorded once and stamped out with numpy (a
    GroupSum head's groups all have the same width).
    """
    keep = graph.op != Op.POPCOUNT
    index = np.cumsum(keep) - 1
    remap = lambda f: np.where(f >= 0, index[np.maximum(f, 0)], -1)  # noqa: E731
    blocks = [(graph.op[keep], graph.arg[keep], remap(graph.a[keep]), remap(graph.b[keep]))]
    operands = {int(index[i]): tuple(int(index[x]) for x in ops) for i, ops in graph.operands.items() if keep[i]}
    n = int(keep.sum())
    templates: dict[int, _TreeTemplate] = {}
    made: dict[int, int] = {}
    outputs = []
    for o in graph.outputs:
        if keep[o]:
            outputs.append(int(index[o]))
            continue
        if o not in made:
            bits = index[np.asarray(graph.operands[o], dtype=np.int64)]
            tree = templates.get(len(bits)) or templates.setdefault(len(bits), _TreeTemplate(len(bits)))
            op, arg, a, b, outs = tree.stamp(bits, n)
            blocks.append((op, arg, a, b))
            n += len(op)
            blocks.append((np.array([Op.UINT]), np.array([0]), np.array([-1]), np.array([-1])))
            operands[n] = tuple(int(x) for x in outs)
            made[o] = n
            n += 1
        outputs.append(made[o])
    op, arg, a, b = (np.concatenate([blk[k] for blk in blocks]) for k in range(4))
    return Graph(graph.n_inputs, op.astype(np.uint8), arg.astype(np.int32), a.astype(np.int64),
                 b.astype(np.int64), operands, outputs)


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
