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


import numpy as np

from .. import gates as G
from ..graph import Graph, Op
from .levels import graph_levels
from .arrays import ArrayNet, from_xag, live, to_graph  # noqa: F401  (the array form's home; re-exported)

# Per gate id, :data:`gatecc.ir.gates.FORMS` as arrays: shape (0 const, 1 wire of a, 2 wire of b,
# 3 AND, 4 XOR) and the negations of a, b and the output.
_KIND, _NA, _NB, _NO = (np.array(column, dtype=np.int64) for column in zip(*G.FORMS))
assert (G.SHAPE_CONST, G.SHAPE_A, G.SHAPE_B, G.SHAPE_AND, G.SHAPE_XOR) == (0, 1, 2, 3, 4)


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
    lev = graph_levels(graph)
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


def strash(graph: Graph) -> Graph:
    """``graph`` folded, inverter-free on edges, hashed and without dead logic."""
    return to_graph(live(build(graph)))
