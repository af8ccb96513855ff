"""The reference evaluator: the one definition of what a graph computes.

Every pass and every backend is tested against it.  It evaluates all nodes of
one logic level at once with numpy, straight from the gate truth tables
(:func:`gatecc.ir.gates.evaluate_words`), over packed uint64 words.  A graph
with LUT nodes is evaluated node by node, each LUT from its truth table
(:func:`gatecc.ir.lut.lut_words`).
"""

from __future__ import annotations

import numpy as np

from . import gates as G
from .graph import Graph, Op
from .planes import WORD_BITS, pack_bits, plane_counts, unpack_bits

# Keep the (nodes x words) value table under this many bytes per chunk.
_CHUNK_BYTES = 256 << 20


def levels(graph: Graph) -> np.ndarray:
    """Logic level of each node: 0 for inputs and constants, else 1 + max over fanins.

    Count nodes get the level of their deepest operand (they are not gates).
    The one levelisation, :func:`gatecc.ir.logic.levels.graph_levels`.
    """
    from .logic.levels import graph_levels

    return graph_levels(graph)


def _schedule(graph: Graph) -> list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]]:
    """Per level: node ids, gate ids, fanin a, fanin b (NOT = gate 12 on a, a)."""
    lev = levels(graph)
    op = graph.op
    logic = np.flatnonzero((op == Op.GATE) | (op == Op.NOT))
    gid = np.where(op[logic] == Op.NOT, G.NOT_A, graph.arg[logic]).astype(np.uint64)
    fa = graph.a[logic]
    fb = np.where(op[logic] == Op.NOT, fa, graph.b[logic])
    order = np.argsort(lev[logic], kind="stable")
    logic, gid, fa, fb = logic[order], gid[order], fa[order], fb[order]
    bounds = np.flatnonzero(np.diff(lev[logic])) + 1
    return [
        (n, g, x, y)
        for n, g, x, y in zip(*(np.split(arr, bounds) for arr in (logic, gid, fa, fb)))
        if len(n)
    ]


def evaluate(graph: Graph, planes: np.ndarray) -> list[np.ndarray]:
    """Evaluate ``graph`` on packed inputs.

    ``planes`` is a uint64 array (n_inputs, words).  Returns one array per
    output: the output's bit plane (words,) uint64 for a bit, or the per-sample
    value (words * 64,) int64 for a count.
    """
    planes = np.asarray(planes, dtype=np.uint64)
    if planes.ndim != 2 or planes.shape[0] != graph.n_inputs:
        raise ValueError(f"expected planes of shape ({graph.n_inputs}, words), got {planes.shape}")
    words = planes.shape[1]
    schedule = _schedule(graph)
    chunk = max(1, min(words, _CHUNK_BYTES // (8 * max(1, graph.n_nodes))))
    parts = [_evaluate_chunk(graph, schedule, planes[:, s : s + chunk]) for s in range(0, words, chunk)]
    return [np.concatenate([p[k] for p in parts]) for k in range(graph.n_outputs)]


def _evaluate_chunk(graph, schedule, planes):
    words = planes.shape[1]
    values = np.zeros((graph.n_nodes, words), dtype=np.uint64)
    values[: graph.n_inputs] = planes
    ones = (graph.op == Op.CONST) & (graph.arg == 1)
    values[ones] = ~np.uint64(0)
    if graph.luts:
        _evaluate_with_luts(graph, values)
    for nodes, gid, fa, fb in schedule if not graph.luts else ():
        values[nodes] = G.evaluate_words(gid[:, None], values[fa], values[fb])
    results = []
    for o in graph.outputs:
        op = graph.op[o]
        if op == Op.POPCOUNT:
            results.append(plane_counts(values[list(graph.operands[o])], words * WORD_BITS))
        elif op == Op.UINT:
            operands = graph.operands[o]
            weights = np.left_shift(np.int64(1), np.arange(len(operands), dtype=np.int64))
            results.append(plane_counts(values[list(operands)], words * WORD_BITS, weights))
        else:
            results.append(values[o].copy())
    return results


def _evaluate_with_luts(graph: Graph, values: np.ndarray) -> None:
    """Node by node in order (a LUT is the OR of its table's minterms; see :mod:`.lut`)."""
    from .lut import lut_words

    ops, args = graph.op.tolist(), graph.arg.tolist()
    fa, fb = graph.a.tolist(), graph.b.tolist()
    for i in range(graph.n_inputs, graph.n_nodes):
        op = ops[i]
        if op == Op.GATE:
            values[i] = G.evaluate_words(np.uint64(args[i]), values[fa[i]], values[fb[i]])
        elif op == Op.NOT:
            values[i] = ~values[fa[i]]
        elif op == Op.LUT:
            values[i] = lut_words(graph.luts[i], [values[x] for x in graph.operands[i]])


def evaluate_samples(graph: Graph, x: np.ndarray) -> np.ndarray:
    """Evaluate on a (batch, n_inputs) 0/1 array; returns (batch, n_outputs) int64."""
    x = np.asarray(x)
    if x.ndim != 2 or x.shape[1] != graph.n_inputs:
        raise ValueError(f"expected shape (batch, {graph.n_inputs}), got {x.shape}")
    batch = x.shape[0]
    outs = evaluate(graph, pack_bits(x))
    cols = []
    for k, val in enumerate(outs):
        if graph.is_count(graph.outputs[k]):
            cols.append(val[:batch].astype(np.int64))
        else:
            cols.append(unpack_bits(val[None, :], batch)[:, 0].astype(np.int64))
    return np.stack(cols, axis=1) if cols else np.zeros((batch, 0), dtype=np.int64)


def all_inputs(n_inputs: int) -> np.ndarray:
    """Every input row of an ``n_inputs``-bit function, (2**n, n) uint8.

    Row ``r`` holds the bits of ``r``, input 0 being the most significant,
    matching the convention for 3x3 Life patterns.
    """
    r = np.arange(1 << n_inputs, dtype=np.int64)[:, None]
    shifts = np.arange(n_inputs - 1, -1, -1, dtype=np.int64)[None, :]
    return ((r >> shifts) & 1).astype(np.uint8)
