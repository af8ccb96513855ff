"""Logic levels of a DAG whose node ids are topological: the one levelisation.

Every consumer (the reference evaluator's level schedule, vectorised
structural hashing, cut enumeration and mapping) asks for levels through
:func:`dag_levels`, or one of the two adapters below that turn a gate graph
or an XAG's fanin arrays into its edge list.  A node with fanins is
``step[node] + max`` over them (``step`` 0 lets a count node take its deepest
operand's level); a node without fanins is level 0.

The sweep relaxes blocks of consecutive nodes with whole-array operations
until they are stable (fanins before the block are already final), so a
shallow million-node graph costs a few numpy passes; a block deeper than
``max_sweeps`` levels is finished by one plain loop instead.
"""

from __future__ import annotations

import numpy as np


def dag_levels(n_nodes: int, dst: np.ndarray, src: np.ndarray, step: np.ndarray,
               block: int = 65536, max_sweeps: int = 48) -> np.ndarray:
    """Level of each of ``n_nodes`` nodes given edges ``src -> dst`` (``dst`` ascending, ``src < dst``)."""
    dst = np.asarray(dst, dtype=np.int64)
    src = np.asarray(src, dtype=np.int64)
    step = np.asarray(step, dtype=np.int64)
    lev = np.zeros(n_nodes, dtype=np.int64)
    if not len(dst):
        return lev
    cuts = np.searchsorted(dst, np.arange(0, n_nodes + block, block))
    for e0, e1 in zip(cuts[:-1].tolist(), cuts[1:].tolist()):
        if e0 == e1:
            continue
        d, s = dst[e0:e1], src[e0:e1]
        first = np.flatnonzero(np.r_[True, d[1:] != d[:-1]])
        nodes = d[first]
        inc = step[nodes]
        for _ in range(max_sweeps):
            new = inc + np.maximum.reduceat(lev[s], first)
            if np.array_equal(new, lev[nodes]):
                break
            lev[nodes] = new
        else:
            _finish(lev, d, s, first, nodes, inc)
    return lev


def _finish(lev: np.ndarray, d: np.ndarray, s: np.ndarray, first: np.ndarray, nodes: np.ndarray,
            inc: np.ndarray) -> None:
    """One ordered pass over a deep block (nodes ascending, so each sees its fanins final)."""
    values = lev.tolist()
    srcs = s.tolist()
    ends = first[1:].tolist() + [len(srcs)]
    for n, i0, i1, k in zip(nodes.tolist(), first.tolist(), ends, inc.tolist()):
        values[n] = k + max(values[x] for x in srcs[i0:i1])
    lev[nodes] = np.asarray(values, dtype=np.int64)[nodes]


def net_levels(fa: np.ndarray, fb: np.ndarray, first_gate: int) -> np.ndarray:
    """Levels of an XAG in array form (fanins are literals; 0 for the constant and the inputs)."""
    n = len(fa)
    nodes = np.arange(first_gate, n, dtype=np.int64)
    dst = np.repeat(nodes, 2)
    src = np.stack([np.asarray(fa[first_gate:]) >> 1, np.asarray(fb[first_gate:]) >> 1], axis=1).ravel()
    return dag_levels(n, dst, src, np.ones(n, dtype=np.int64))


def graph_levels(graph) -> np.ndarray:
    """Level of each node of a gate graph: 0 for inputs and constants, else 1 + max over fanins.

    A NOT and a LUT are one level; a count node (POPCOUNT / UINT) gets the
    level of its deepest operand (it is not a gate).
    """
    from ..graph import Op

    op = graph.op
    gate = np.flatnonzero(op == Op.GATE)
    inv = np.flatnonzero(op == Op.NOT)
    parts_dst = [np.repeat(gate, 2), inv]
    parts_src = [np.stack([graph.a[gate], graph.b[gate]], axis=1).ravel(), graph.a[inv]]
    step = np.ones(graph.n_nodes, dtype=np.int64)
    if graph.operands:
        ids = sorted(graph.operands)
        parts_dst.append(np.repeat(np.asarray(ids, dtype=np.int64), [len(graph.operands[i]) for i in ids]))
        parts_src.append(np.asarray([x for i in ids for x in graph.operands[i]], dtype=np.int64))
        counts = np.asarray([i for i in ids if op[i] in (Op.POPCOUNT, Op.UINT)], dtype=np.int64)
        step[counts] = 0
    dst = np.concatenate(parts_dst).astype(np.int64)
    src = np.concatenate(parts_src).astype(np.int64)
    order = np.argsort(dst, kind="stable")
    return dag_levels(graph.n_nodes, dst[order], src[order], step)
