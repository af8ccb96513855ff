"""Don't-care optimisation: resynthesise small-support outputs from their truth tables.

Only the outputs are observed.  Once a decision head (:mod:`.heads`) has
replaced a GroupSum net's counts by the class or the threshold bits, every
internal value (the counts among them) is free to change as long as the
decision does not: the logic that only shaped counts the head never shows
is an observability don't-care.  The strongest use of that freedom is to
forget the structure entirely: an output bit whose support has at most
``inputs`` primary inputs is evaluated on all ``2**s`` rows of its support by
the reference evaluator, and that truth table is synthesised again from
scratch (:func:`gatecc.ir.logic.resynth.candidates`: Shannon splits down to
exact 4-input circuits, or counting a symmetric variable group).  A learned
9-input Life net read through a threshold head becomes whatever its 9-input
decision costs, whatever the net looked like.

The rebuilt graph replaces the old one only when it costs less (``cost``:
gates, or ``aig``, ABC's AND count; each table's implementation is chosen
by the same cost).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..builder import Builder, rebuild
from ..graph import Graph, Op
from .base import Pass, register


def supports(graph: Graph) -> list[int]:
    """Per node, the set of primary inputs it depends on, as a bit mask."""
    sup = [0] * graph.n_nodes
    for i in range(graph.n_inputs):
        sup[i] = 1 << i
    ops, fa, fb = graph.op.tolist(), graph.a.tolist(), graph.b.tolist()
    for i in range(graph.n_inputs, graph.n_nodes):
        if ops[i] == Op.GATE:
            sup[i] = sup[fa[i]] | sup[fb[i]]
        elif ops[i] == Op.NOT:
            sup[i] = sup[fa[i]]
    return sup


def output_bits(graph: Graph) -> list[int] | None:
    """The bit nodes the outputs are made of (a uint's operands), or None with popcounts left."""
    bits = []
    for o in graph.outputs:
        op = graph.op[o]
        if op == Op.POPCOUNT:
            return None
        bits.extend(graph.operands[o] if op == Op.UINT else (o,))
    return bits


def truth_tables(graph: Graph, nodes: list[int], variables: list[int]) -> list[int]:
    """Truth tables of ``nodes`` (each depending only on ``variables``) by the reference evaluator.

    Bit m of a table is the value on the row where variable ``variables[i]``
    is bit i of m (the convention of :mod:`gatecc.ir.logic.truth`).
    """
    from ..evaluate import evaluate
    from ..logic.truth import var_table

    # Row m's input v is bit i of m: variable i's own table, laid out as the plane's words.
    k = len(variables)
    n_bytes = max(8, (1 << k) // 8)
    planes = np.zeros((graph.n_inputs, n_bytes // 8), dtype=np.uint64)
    for i, v in enumerate(variables):
        planes[v] = np.frombuffer(var_table(i, k).to_bytes(n_bytes, "little"), dtype="<u8")
    probe = _cone_graph(graph, nodes)
    tables = []
    for plane in evaluate(probe, planes):
        bits = np.unpackbits(plane.view(np.uint8), bitorder="little")[: 1 << k]
        tables.append(int.from_bytes(np.packbits(bits, bitorder="little").tobytes(), "little"))
    return tables


def _cone_graph(graph: Graph, nodes: list[int]) -> Graph:
    """The graph of ``nodes``' cones (bit nodes) alone, every input kept, ``nodes`` its outputs.

    Evaluating only the cone keeps a table of 2**16 rows from costing the whole graph's nodes.
    """
    fa, fb = graph.a, graph.b
    seen = set(range(graph.n_inputs))
    stack = [n for n in nodes if n not in seen]
    while stack:
        n = stack.pop()
        if n in seen:
            continue
        seen.add(n)
        stack.extend(int(x) for x in (fa[n], fb[n]) if x >= 0 and x not in seen)
    keep = np.asarray(sorted(seen), dtype=np.int64)
    new = np.full(graph.n_nodes + 1, -1, dtype=np.int64)      # new[-1] = -1 keeps unused fanins
    new[keep] = np.arange(len(keep))
    return Graph(graph.n_inputs, graph.op[keep], graph.arg[keep], new[graph.a[keep]], new[graph.b[keep]], {},
                 [int(new[n]) for n in nodes])


def _stamp(bld: Builder, impl, leaves: list[int]) -> int:
    """Build an :class:`Implementation` (inputs, then constants 0 and 1, then gates) on ``leaves``."""
    node = leaves + [bld.const(0), bld.const(1)]
    for g, a, b in impl.gates:
        node.append(bld.gate(g, node[a], node[b]))
    out = bld.const(0) if impl.out < 0 else node[impl.out]
    return bld.not_(out) if impl.out_neg else out


@register
@dataclass(frozen=True)
class Collapse(Pass):
    """Resynthesise every output bit of at most ``inputs`` primary inputs from its truth table.

    Safe for any graph (only outputs are observed); a no-op on outputs with
    a wider support and while popcounts are left (run ``adders`` first).
    ``cost`` ("gates" or "aig") picks each table's implementation and
    decides whether the result replaces the input.
    """

    name = "collapse"
    inputs: int = 16
    cost: str = "gates"

    def run(self, graph):
        from ..logic.resynth import candidates
        from .costs import graph_cost, implementation_cost
        from .logic import _check_cost

        _check_cost(self.name, self.cost)

        bits = output_bits(graph)
        if bits is None or not 1 <= self.inputs <= 20:
            if bits is not None:
                from .pipeline import PipelineError

                raise PipelineError(f"collapse: inputs must be 1..20, not {self.inputs}")
            return graph, {}
        sup = supports(graph)
        ops = graph.op
        todo = sorted({b for b in bits if ops[b] in (Op.GATE, Op.NOT) and sup[b].bit_count() <= self.inputs})
        if not todo:
            return graph, {"collapsed": 0}
        by_support: dict[int, list[int]] = {}
        for b in todo:
            by_support.setdefault(sup[b], []).append(b)
        # A verbatim copy keeps node ids; the final strash drops what the new outputs no longer read.
        bld = Builder.raw(graph.n_inputs)
        rebuild(Graph(graph.n_inputs, graph.op, graph.arg, graph.a, graph.b, graph.operands, []), bld)
        bld.fold = bld.copyprop = bld.cse = True
        replacement: dict[int, int] = {}
        cache: dict = {}
        for mask, nodes in by_support.items():
            variables = [i for i in range(graph.n_inputs) if (mask >> i) & 1]
            for node, tt in zip(nodes, truth_tables(graph, nodes, variables)):
                key = (tt, len(variables))
                if key not in cache:
                    cache[key] = min(candidates(tt, len(variables)),
                                     key=lambda impl: implementation_cost(impl, self.cost))
                replacement[node] = _stamp(bld, cache[key], variables)
        new = _with_outputs(bld, graph, replacement)
        from ..logic.strash import strash

        new = strash(new)
        before, after = graph_cost(graph, self.cost), graph_cost(new, self.cost)
        if after >= before:
            return graph, {"collapsed": 0, "tried": len(todo)}
        return new, {"collapsed": len(todo)}


def _with_outputs(bld: Builder, graph: Graph, replacement: dict[int, int]) -> Graph:
    """Finish ``bld`` (a copy of ``graph``'s nodes, same ids) with outputs using ``replacement``."""
    pick = lambda x: replacement.get(x, x)  # noqa: E731
    for o in graph.outputs:
        if graph.op[o] == Op.UINT:
            bld.output(bld.uint([pick(x) for x in graph.operands[o]]))
        else:
            bld.output(pick(o))
    return bld.finish()
