"""An XAG as flat arrays, and the one XAG -> gate graph emitter.

:class:`ArrayNet` is the form the vectorised algorithms (:mod:`.strash`,
:mod:`.mapper`) work on; :func:`to_graph` turns it back into a gate graph
with each node in the polarity most of its sinks want, and is the emitter
behind :func:`.xag.to_graph` too.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .. import gates as G
from ..graph import Graph, Op

# [is_xor, neg_a, neg_b, neg_out] -> gate id.
_GATE_OF = np.zeros((2, 2, 2, 2), dtype=np.int32)
for _x, _shape in enumerate((G.SHAPE_AND, G.SHAPE_XOR)):
    for _a in (0, 1):
        for _b in (0, 1):
            for _o in (0, 1):
                _GATE_OF[_x, _a, _b, _o] = G.gate_of_form(_shape, _a, _b, _o)


@dataclass
class ArrayNet:
    """An XAG as arrays: node 0 is the constant, 1..n_inputs the inputs, then
    AND/XOR nodes in topological order (fanins are literals ``2 * node + neg``).

    ``sinks`` are the literals the graph's outputs read; ``outputs`` says how
    (``("bit", i)`` or ``("popcount" | "uint", (i, ...))``, as :class:`.xag.Sinks`).
    """

    n_inputs: int
    is_xor: np.ndarray
    fa: np.ndarray
    fb: np.ndarray
    sinks: np.ndarray
    outputs: tuple

    @property
    def first_gate(self) -> int:
        """Id of the first AND/XOR node."""
        return self.n_inputs + 1

    @property
    def n_nodes(self) -> int:
        """Nodes, constant and inputs included."""
        return len(self.fa)

    def refs(self) -> np.ndarray:
        """Readers of each node (fanouts plus sinks)."""
        refs = np.zeros(self.n_nodes, dtype=np.int64)
        gates = slice(self.first_gate, None)
        np.add.at(refs, self.fa[gates] >> 1, 1)
        np.add.at(refs, self.fb[gates] >> 1, 1)
        np.add.at(refs, self.sinks >> 1, 1)
        return refs


def live(net: ArrayNet) -> ArrayNet:
    """``net`` without the nodes no sink reads, renumbered (order kept)."""
    size, first_gate = net.n_nodes, net.first_gate
    alive = np.zeros(size, dtype=bool)
    alive[:first_gate] = True
    frontier = np.unique(net.sinks >> 1)
    alive[frontier] = True
    while len(frontier):
        frontier = frontier[frontier >= first_gate]
        kids = np.unique(np.concatenate([net.fa[frontier] >> 1, net.fb[frontier] >> 1]))
        kids = kids[~alive[kids]]
        alive[kids] = True
        frontier = kids
    if alive.all():
        return net
    new_id = np.cumsum(alive) - 1
    keep = np.flatnonzero(alive)

    def remap(lits):
        return np.where(lits >= 0, 2 * new_id[np.maximum(lits, 0) >> 1] + (lits & 1), -1)

    return ArrayNet(net.n_inputs, net.is_xor[keep], remap(net.fa[keep]), remap(net.fb[keep]),
                    remap(net.sinks), net.outputs)


def to_graph(net: ArrayNet) -> Graph:
    """The gate graph of a live ``net``: one gate per node, each in the polarity most sinks want."""
    size, first_gate = net.n_nodes, net.first_gate
    sinks = net.sinks
    gates = np.arange(first_gate, size)
    # Polarity: a node most of whose sinks read its complement is emitted complemented.
    votes = np.zeros(size, dtype=np.int64)
    np.add.at(votes, sinks >> 1, np.where(sinks & 1, 1, -1))
    pol = (votes > 0).astype(np.int64)
    pol[:first_gate] = 0
    # Graph node numbering: inputs 0..n-1, then the gates in id order.
    n_in = net.n_inputs
    node_of = np.full(size, -1, dtype=np.int64)
    node_of[1:first_gate] = np.arange(n_in)
    node_of[gates] = n_in + np.arange(len(gates))
    fa, fb = net.fa[gates], net.fb[gates]
    na = (fa & 1) ^ pol[fa >> 1]
    nb = (fb & 1) ^ pol[fb >> 1]
    gid = _GATE_OF[net.is_xor[gates].astype(np.int64), na, nb, pol[gates]]
    op = [np.full(n_in, Op.INPUT, dtype=np.uint8), np.full(len(gates), Op.GATE, dtype=np.uint8)]
    arg = [np.arange(n_in, dtype=np.int32), gid.astype(np.int32)]
    a_ = [np.full(n_in, -1, dtype=np.int64), node_of[fa >> 1]]
    b_ = [np.full(n_in, -1, dtype=np.int64), node_of[fb >> 1]]
    extra_op, extra_arg, extra_a = [], [], []
    next_id = n_in + len(gates)
    made: dict[int, int] = {}

    def sink_node(s: int) -> int:
        nonlocal next_id
        n = s >> 1
        if n == 0:
            key = -1 - (s & 1)
            if key not in made:
                extra_op.append(Op.CONST); extra_arg.append(s & 1); extra_a.append(-1)
                made[key] = next_id
                next_id += 1
            return made[key]
        if ((s & 1) ^ int(pol[n])) == 0:
            return int(node_of[n])
        if s not in made:
            extra_op.append(Op.NOT); extra_arg.append(0); extra_a.append(int(node_of[n]))
            made[s] = next_id
            next_id += 1
        return made[s]

    mapped = [sink_node(int(s)) for s in sinks.tolist()]
    outputs, operands = [], {}
    for kind, ref in net.outputs:
        if kind == "bit":
            outputs.append(mapped[ref])
            continue
        extra_op.append(Op.POPCOUNT if kind == "popcount" else Op.UINT); extra_arg.append(0); extra_a.append(-1)
        operands[next_id] = tuple(mapped[i] for i in ref)
        outputs.append(next_id)
        next_id += 1
    op.append(np.array(extra_op, dtype=np.uint8))
    arg.append(np.array(extra_arg, dtype=np.int32))
    a_.append(np.array(extra_a, dtype=np.int64))
    b_.append(np.full(len(extra_op), -1, dtype=np.int64))
    return Graph(
        n_inputs=n_in,
        op=np.concatenate(op),
        arg=np.concatenate(arg),
        a=np.concatenate(a_),
        b=np.concatenate(b_),
        operands=operands,
        outputs=outputs,
    )


def from_xag(xag, sinks, order: list[int] | None = None) -> ArrayNet:
    """The live part of a Python :class:`.xag.XAG` as arrays, numbered in ``order`` (default: topological)."""
    from .xag import XOR

    order = xag.topological() if order is None else order
    n_in = xag.n_inputs
    new_id = np.zeros(xag.n_nodes, dtype=np.int64)
    new_id[: n_in + 1] = np.arange(n_in + 1)
    new_id[np.asarray(order, dtype=np.int64)] = np.arange(n_in + 1, n_in + 1 + len(order))
    kind = np.asarray(xag.kind, dtype=np.int64)
    fa_all, fb_all = np.asarray(xag.fa, dtype=np.int64), np.asarray(xag.fb, dtype=np.int64)
    idx = np.asarray(order, dtype=np.int64)

    def remap(lits):
        return 2 * new_id[lits >> 1] + (lits & 1)

    head = np.full(n_in + 1, -1, dtype=np.int64)
    is_xor = np.concatenate([np.zeros(n_in + 1, dtype=np.int8), (kind[idx] == XOR).astype(np.int8)])
    fa = np.concatenate([head, remap(fa_all[idx])]) if len(idx) else head
    fb = np.concatenate([head, remap(fb_all[idx])]) if len(idx) else head
    sink_lits = remap(np.asarray(xag.sinks, dtype=np.int64)) if xag.sinks else np.zeros(0, dtype=np.int64)
    return ArrayNet(n_in, is_xor, fa, fb, sink_lits, sinks.outputs)


def bit_literals(graph: Graph, gate) -> list[int]:
    """The literal of every bit node of ``graph``, building each gate with ``gate(id, lit_a, lit_b)``.

    Literals are ``2 * node + complemented`` with node 0 the constant and
    node ``i + 1`` input ``i`` (the XAG's and AIGER's numbering); a NOT is a
    complemented literal; count nodes get 0.
    """
    lit = [0] * graph.n_nodes
    ops, args = graph.op.tolist(), graph.arg.tolist()
    fa, fb = graph.a.tolist(), graph.b.tolist()
    for i in range(graph.n_nodes):
        op = ops[i]
        if op == Op.GATE:
            lit[i] = gate(args[i], lit[fa[i]], lit[fb[i]])
        elif op == Op.NOT:
            lit[i] = lit[fa[i]] ^ 1
        elif op == Op.INPUT:
            lit[i] = 2 * (args[i] + 1)
        elif op == Op.CONST:
            lit[i] = args[i]
        elif op == Op.LUT:
            raise ValueError("lut nodes must be lowered to gates first (gatecc.ir.lut)")
    return lit
