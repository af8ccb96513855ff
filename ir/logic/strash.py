"""Vectorised structural hashing: fold, absorb inverters, merge duplicates and drop dead logic.

The numpy counterpart of building a graph through the XAG (:mod:`.xag`): one
sweep over the logic levels of the input graph, each level handled as whole
arrays.  Every gate becomes an AND or XOR of literals (``2 * node + neg``);
constants and degenerate gates fold, ``f(x, x)`` and ``f(x, ~x)`` fold,
inverters move onto edges, and a hash table (a dict probed once per node
from a list, the only per-node Python work) merges structurally equal nodes.
A reverse sweep keeps only what sinks read, and the result is emitted as a
gate graph with each node in the polarity most of its sinks want, so NOTs
appear only where a sink needs both polarities.

This is the -O1/-O2 workhorse: about a microsecond per node, so a
million-gate net is canonical in a couple of seconds.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .. import gates as G
from ..graph import Graph, Op
from .xag import AND, GATE_XAG, XAG, XAG_GATE, XOR, Sinks

# Per gate id: kind (0 const, 1 wire of a, 2 wire of b, 3 AND, 4 XOR), negations.
_KIND = np.zeros(16, dtype=np.int64)
_NA = np.zeros(16, dtype=np.int64)
_NB = np.zeros(16, dtype=np.int64)
_NO = np.zeros(16, dtype=np.int64)
for _g in range(16):
    if _g in GATE_XAG:
        _k, _na, _nb, _no = GATE_XAG[_g]
        _KIND[_g] = 3 if _k == AND else 4
        _NA[_g], _NB[_g], _NO[_g] = _na, _nb, _no
    elif G.depends_on_a(_g):
        _KIND[_g] = 1
        _NO[_g] = 1 - G.cofactor_b(_g, 0)[1]      # 0: copy, 1: not
    elif G.depends_on_b(_g):
        _KIND[_g] = 2
        _NO[_g] = 1 - G.cofactor_a(_g, 0)[1]
    else:
        _KIND[_g] = 0
        _NO[_g] = _g & 1                           # constant value

# XAG_GATE as an array: [is_xor, neg_a, neg_b, neg_out] -> gate id.
_GATE_OF = np.zeros((2, 2, 2, 2), dtype=np.int32)
for _x, _k in enumerate((AND, XOR)):
    for _a in (0, 1):
        for _b in (0, 1):
            for _o in (0, 1):
                _GATE_OF[_x, _a, _b, _o] = XAG_GATE[_k][_a][_b][_o]


def _levels(graph: Graph, block: int = 65536, max_sweeps: int = 48) -> np.ndarray:
    """Logic level of each GATE/NOT node (others 0), numpy-fast on shallow graphs.

    Blocks of consecutive nodes are relaxed with whole-array sweeps until
    stable (fanins before the block are already final); a block deeper than
    ``max_sweeps`` levels is finished by a plain loop instead.
    """
    op = graph.op
    logic = (op == Op.GATE) | (op == Op.NOT)
    a = graph.a
    b = np.where(op == Op.NOT, graph.a, graph.b)
    lev = np.zeros(graph.n_nodes, dtype=np.int64)
    for start in range(graph.n_inputs, graph.n_nodes, block):
        idx = start + np.flatnonzero(logic[start:start + block])
        if not len(idx):
            continue
        fa, fb = a[idx], b[idx]
        for _ in range(max_sweeps):
            new = 1 + np.maximum(lev[fa], lev[fb])
            if np.array_equal(new, lev[idx]):
                break
            lev[idx] = new
        else:
            values = lev.tolist()
            for n, x, y in zip(idx.tolist(), fa.tolist(), fb.tolist()):
                lx, ly = values[x], values[y]
                values[n] = 1 + (lx if lx > ly else ly)
            lev[idx] = np.asarray(values, dtype=np.int64)[idx]
    return lev


class _Net:
    """Growing XAG arrays: node 0 constant, 1..n inputs, then gates."""

    def __init__(self, n_inputs: int, capacity: int):
        size = n_inputs + 1 + capacity
        self.is_xor = np.zeros(size, dtype=np.int8)
        self.fa = np.full(size, -1, dtype=np.int64)
        self.fb = np.full(size, -1, dtype=np.int64)
        self.n = n_inputs + 1
        self.n_inputs = n_inputs
        self.table: dict[int, int] = {}

    def add_level(self, is_xor: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Node ids for (is_xor, x, y) triples (normalised, x < y), made or found."""
        keys = ((x << 32) | y) << 1 | is_xor
        table = self.table
        found = np.fromiter((table.get(k, -1) for k in keys.tolist()), dtype=np.int64, count=len(keys))
        missing = found < 0
        if missing.any():
            uniq, first, inverse = np.unique(keys[missing], return_index=True, return_inverse=True)
            ids = np.arange(self.n, self.n + len(uniq), dtype=np.int64)
            src = np.flatnonzero(missing)[first]
            self.is_xor[ids] = is_xor[src]
            self.fa[ids] = x[src]
            self.fb[ids] = y[src]
            self.n += len(uniq)
            table.update(zip(uniq.tolist(), ids.tolist()))
            found[missing] = ids[inverse]
        return found


def _gate_level(net: _Net, g: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Literals of gates ``g`` on literals ``x``, ``y`` (one logic level)."""
    kind = _KIND[g]
    out = np.where(kind == 1, x, np.where(kind == 2, y, 0)) ^ _NO[g]
    binary = kind >= 3
    if not binary.any():
        return out
    idx = np.flatnonzero(binary)
    gb = g[idx]
    xa = x[idx] ^ _NA[gb]
    yb = y[idx] ^ _NB[gb]
    is_xor = (kind[idx] == 4).astype(np.int64)
    neg = np.where(is_xor == 1, (xa ^ yb) & 1, 0)
    xa = np.where(is_xor == 1, xa & ~1, xa)
    yb = np.where(is_xor == 1, yb & ~1, yb)
    lo, hi = np.minimum(xa, yb), np.maximum(xa, yb)
    res = np.full(len(idx), -1, dtype=np.int64)
    # AND folds: 0 & y = 0, 1 & y = y, x & x = x, x & ~x = 0.
    a_ = is_xor == 0
    res = np.where(a_ & (lo == 0), 0, res)
    res = np.where(a_ & (lo == 1), hi, res)
    res = np.where(a_ & (lo == hi), lo, res)
    res = np.where(a_ & ((lo ^ 1) == hi), 0, res)
    # XOR folds (complements already pulled out): x ^ x = 0, 0 ^ y = y.
    x_ = ~a_
    res = np.where(x_ & (lo == hi), 0, res)
    res = np.where(x_ & (lo == 0) & (hi != 0), hi, res)
    todo = res < 0
    if todo.any():
        t = np.flatnonzero(todo)
        nodes = net.add_level(is_xor[t], lo[t], hi[t])
        res[t] = 2 * nodes
    out[idx] = (res ^ neg) ^ _NO[gb]
    return out


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


def _sink_spec(graph: Graph) -> tuple[list[int], tuple]:
    nodes: list[int] = []
    outputs = []
    for o in graph.outputs:
        if graph.op[o] in (Op.POPCOUNT, Op.UINT):
            bits = graph.operands[o]
            outputs.append(("popcount" if graph.op[o] == Op.POPCOUNT else "uint",
                            tuple(range(len(nodes), len(nodes) + len(bits)))))
            nodes.extend(bits)
        else:
            outputs.append(("bit", len(nodes)))
            nodes.append(o)
    return nodes, tuple(outputs)


def build(graph: Graph) -> ArrayNet:
    """The hashed, folded XAG of ``graph`` (dead nodes included)."""
    ops = graph.op
    lev = _levels(graph)
    n = graph.n_nodes
    lit = np.zeros(n, dtype=np.int64)
    lit[: graph.n_inputs] = 2 * (np.arange(graph.n_inputs, dtype=np.int64) + 1)
    consts = np.flatnonzero(ops == Op.CONST)
    lit[consts] = graph.arg[consts]
    logic = np.flatnonzero((ops == Op.GATE) | (ops == Op.NOT))
    net = _Net(graph.n_inputs, len(logic))
    order = logic[np.argsort(lev[logic], kind="stable")]
    bounds = np.flatnonzero(np.diff(lev[order])) + 1
    for nodes in np.split(order, bounds):
        if not len(nodes):
            continue
        is_not = ops[nodes] == Op.NOT
        g = np.where(is_not, G.NOT_A, graph.arg[nodes]).astype(np.int64)
        x = lit[graph.a[nodes]]
        y = np.where(is_not, x, lit[np.maximum(graph.b[nodes], 0)])
        lit[nodes] = _gate_level(net, g, x, y)
    sink_nodes, outputs = _sink_spec(graph)
    sinks = lit[np.asarray(sink_nodes, dtype=np.int64)] if sink_nodes else np.zeros(0, dtype=np.int64)
    size = net.n
    return ArrayNet(graph.n_inputs, net.is_xor[:size].copy(), net.fa[:size].copy(), net.fb[:size].copy(),
                    sinks, outputs)


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


def strash(graph: Graph) -> Graph:
    """``graph`` folded, inverter-free on edges, hashed and without dead logic."""
    return to_graph(live(build(graph)))


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


def from_xag(xag: XAG, sinks: Sinks, order: list[int] | None = None) -> ArrayNet:
    """The live part of a Python :class:`XAG` as arrays, numbered in ``order`` (default: topological)."""
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
