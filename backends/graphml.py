"""GraphML export through networkx: the gate graph as data for graph tools.

A directed graph whose node ids are the names used everywhere (``x{i}``,
``n{id}``, ``y{k}``).  Node attributes: ``kind`` (input, const, gate, not,
popcount, uint, output), ``op`` (the gate mnemonic of
:data:`gatecc.ir.gates.GATE_NAMES`, else the kind), ``gate_id`` (0-15, -1 for
non-gates), ``index`` (input or output position, constant value, else
-1) and, on inputs and outputs, ``name`` (the port's name: the graph's own,
else the node id).  Edge attribute ``port``: ``a`` or ``b`` into a gate, the bit position
into a ``uint``, empty otherwise.  Graph attributes: ``inputs``,
``outputs`` and, for a GroupSum head, ``groupsum_k`` and ``groupsum_tau``.
Read it back with ``networkx.read_graphml``.
"""

from __future__ import annotations


from .. import __version__
from ..ir import gates as G
from ..ir.graph import Graph, Op
from .export import ExportTarget, input_name, node_names
from .names import port_names

_KINDS = {Op.CONST: "const", Op.GATE: "gate", Op.NOT: "not", Op.POPCOUNT: "popcount", Op.UINT: "uint"}


def to_networkx(graph: Graph, groupsum=None):
    """The gate graph as a ``networkx.MultiDiGraph`` with the attributes in the module docstring."""
    import networkx as nx

    # A multigraph: a raw gate may read one node twice, a counter may count it twice.
    g = nx.MultiDiGraph(generator=f"gatecc {__version__}", inputs=graph.n_inputs, outputs=graph.n_outputs)
    if groupsum is not None:
        g.graph.update(groupsum_k=int(groupsum.k), groupsum_tau=float(groupsum.tau))
    ins, outs = port_names(graph)
    for i in range(graph.n_inputs):
        g.add_node(input_name(i), kind="input", op="input", gate_id=-1, index=i, name=ins[i])
    ops, args = graph.op.tolist(), graph.arg.tolist()
    fa, fb = graph.a.tolist(), graph.b.tolist()
    names = node_names(graph)
    for node in range(graph.n_inputs, graph.n_nodes):
        op, name = Op(ops[node]), f"n{node}"
        kind = _KINDS[op]
        g.add_node(name, kind=kind, op=G.GATE_NAMES[args[node]] if op == Op.GATE else kind,
                   gate_id=args[node] if op == Op.GATE else -1, index=args[node] if op == Op.CONST else -1)
        if op == Op.GATE:
            g.add_edge(names[fa[node]], name, port="a")
            g.add_edge(names[fb[node]], name, port="b")
        elif op == Op.NOT:
            g.add_edge(names[fa[node]], name, port="")
        elif op in (Op.POPCOUNT, Op.UINT):
            for bit, src in enumerate(graph.operands[node]):
                g.add_edge(names[src], name, port=str(bit) if op == Op.UINT else "")
    for k, node in enumerate(graph.outputs):
        g.add_node(f"y{k}", kind="output", op="output", gate_id=-1, index=k, name=outs[k])
        g.add_edge(names[node], f"y{k}", port="")
    return g


def emit_graphml(graph: Graph, groupsum=None) -> str:
    """GraphML text for ``graph`` (counters kept as count nodes)."""
    import networkx as nx

    return "\n".join(nx.generate_graphml(to_networkx(graph, groupsum))) + "\n"


TARGET = ExportTarget("graphml", "GraphML of the gate graph via networkx (.graphml)", ".graphml", keeps_counts=True,
                      writer=emit_graphml)
