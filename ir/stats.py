"""Size and depth of a graph, counted the way gatecc reports them everywhere.

A *gate* is a 2-input gate node (one whose output depends on both inputs) or
a standalone NOT.  Wires (ids 3 and 5) and constants (ids 0 and 15, const
nodes) are free.  *Depth* is the longest input-to-output path in gates.
"""

from __future__ import annotations

from collections import Counter

import numpy as np
from dataclasses import asdict, dataclass, field

from . import gates as G
from .graph import Graph, Op, gate_kind


@dataclass(frozen=True)
class GraphStats:
    """Counts for one graph."""

    inputs: int
    outputs: int
    gates: int
    depth: int
    nots: int
    kinds: dict[str, int] = field(default_factory=dict)  # gate mnemonic -> count
    counters: int = 0   # popcount / uint nodes (GroupSum groups)

    def to_dict(self) -> dict:
        """A JSON-ready dict."""
        return asdict(self)


def _gate_depth_rule(g: int):
    """How a GATE node's depth follows from its fanins' depths."""
    shape, _, _, neg = G.FORMS[g]
    if shape >= G.SHAPE_AND:
        return lambda x, y: 1 + max(x, y)
    if shape == G.SHAPE_A:
        return lambda x, y: x + neg      # a wire, or a NOT (one level)
    if shape == G.SHAPE_B:
        return lambda x, y: y + neg
    return lambda x, y: 0  # constant


_DEPTH_RULES = tuple(_gate_depth_rule(g) for g in range(16))


def depths(graph: Graph) -> list[int]:
    """Depth in gates of every node (inputs and constants are 0)."""
    ops, args = graph.op.tolist(), graph.arg.tolist()
    fa, fb = graph.a.tolist(), graph.b.tolist()
    d = [0] * graph.n_nodes
    for i in range(graph.n_inputs, graph.n_nodes):
        op = ops[i]
        if op == Op.GATE:
            d[i] = _DEPTH_RULES[args[i]](d[fa[i]], d[fb[i]])
        elif op == Op.NOT:
            d[i] = 1 + d[fa[i]]
        elif op in (Op.POPCOUNT, Op.UINT):
            d[i] = max(d[x] for x in graph.operands[i])
    return d


def graph_stats(graph: Graph) -> GraphStats:
    """Inputs, outputs, gates (by kind), standalone NOTs, depth and counters (LUT nodes counted as lowered)."""
    graph = _without_luts(graph)
    kinds: Counter[str] = Counter()
    nots = gates = counters = 0
    for op, arg in zip(graph.op.tolist(), graph.arg.tolist()):
        kind = gate_kind(op, arg)
        if kind == "gate":
            gates += 1
            kinds[G.GATE_NAMES[arg]] += 1
        elif kind == "not":
            gates += 1
            nots += 1
            kinds["not"] += 1
        elif op in (Op.POPCOUNT, Op.UINT):
            counters += 1
    d = depths(graph)
    depth = max((d[o] for o in graph.outputs), default=0)
    return GraphStats(
        inputs=graph.n_inputs,
        outputs=graph.n_outputs,
        gates=gates,
        depth=depth,
        nots=nots,
        kinds=dict(sorted(kinds.items())),
        counters=counters,
    )


# 1 where a GATE node of that id is a real gate or a NOT, 0 where it is free.
_GATE_COST = [1 if gate_kind(Op.GATE, g) else 0 for g in range(16)]


def count_gates(graph: Graph) -> int:
    """Number of gates (2-input gates plus standalone NOTs), vectorised; LUT nodes counted as lowered."""
    graph = _without_luts(graph)
    is_gate = graph.op == Op.GATE
    cost = np.asarray(_GATE_COST, dtype=np.int64)[graph.arg[is_gate]]
    return int(cost.sum() + np.count_nonzero(graph.op == Op.NOT))


def _without_luts(graph: Graph) -> Graph:
    """The graph with LUT nodes lowered to gates (what they cost), else itself."""
    if not graph.luts:
        return graph
    from .lut import lower_luts

    return lower_luts(graph)
