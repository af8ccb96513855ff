"""GroupSum counters as adder trees over bit planes.

A ``popcount`` node becomes a column-compression (Wallace) tree of full and
half adders whose result bits feed a ``uint`` node.  Backends then see only
bit logic, the count is a handful of bit planes per 64 samples rather than a
per-sample loop, and the optimiser sees the adders like any other gates.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

from .. import gates as G
from ..builder import Builder, rebuild
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


def expand_popcounts(graph: Graph) -> Graph:
    """``graph`` with every popcount replaced by an adder tree and a uint."""
    lower = {Op.POPCOUNT: lambda bld, bits: bld.uint(adder_tree(bld, bits))}
    return rebuild(graph, Builder.raw(graph.n_inputs), lower=lower)


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
