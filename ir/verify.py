"""The IR verifier: checks every invariant a well-formed :class:`Graph` keeps."""

from __future__ import annotations

import numpy as np

from .graph import COUNT_OPS, MAX_LUT_INPUTS, NARY_OPS, Graph, Op


class IRError(ValueError):
    """A graph breaks an IR invariant; the message names the node."""


def _first(mask: np.ndarray) -> int:
    return int(np.flatnonzero(mask)[0])


def verify(graph: Graph) -> Graph:
    """Raise :class:`IRError` unless ``graph`` is well formed; return it.

    Checked: parallel arrays agree; the first ``n_inputs`` nodes are the
    inputs in order and no other node is; op codes, constants and gate ids are
    in range; every fanin is an earlier node (so there is no cycle) and is a
    bit; n-ary nodes have a non-empty operand list; outputs exist; port names,
    where present, are one string per port.
    """
    n = graph.n_nodes
    op, arg, a, b = graph.op, graph.arg, graph.a, graph.b
    if not (len(arg) == len(a) == len(b) == n):
        raise IRError("node arrays have different lengths")
    if graph.n_inputs < 0 or graph.n_inputs > n:
        raise IRError(f"n_inputs={graph.n_inputs} does not fit {n} nodes")
    valid_ops = np.isin(op, [int(o) for o in Op])
    if not valid_ops.all():
        i = _first(~valid_ops)
        raise IRError(f"node {i}: unknown op code {int(op[i])}")
    idx = np.arange(n)
    is_input = op == Op.INPUT
    head = slice(0, graph.n_inputs)
    if not is_input[head].all() or not np.array_equal(arg[head], idx[head]):
        raise IRError("the first n_inputs nodes must be the inputs 0..n_inputs-1 in order")
    if is_input[graph.n_inputs:].any():
        i = graph.n_inputs + _first(is_input[graph.n_inputs:])
        raise IRError(f"node {i}: input after the input block")

    is_const = op == Op.CONST
    bad = is_const & ~np.isin(arg, [0, 1])
    if bad.any():
        i = _first(bad)
        raise IRError(f"node {i}: constant {int(arg[i])} is not 0 or 1")
    is_gate = op == Op.GATE
    bad = is_gate & ((arg < 0) | (arg > 15))
    if bad.any():
        i = _first(bad)
        raise IRError(f"node {i}: gate id {int(arg[i])} out of range 0..15")

    is_count = np.isin(op, [int(o) for o in COUNT_OPS])
    for uses, fanin, name in ((is_gate | (op == Op.NOT), a, "a"), (is_gate, b, "b")):
        bad = uses & ((fanin < 0) | (fanin >= idx))
        if bad.any():
            i = _first(bad)
            raise IRError(f"node {i}: fanin {name}={int(fanin[i])} is not an earlier node (a cycle or dangling reference)")
        reads = np.flatnonzero(uses)
        bad_type = is_count[fanin[reads]]
        if bad_type.any():
            i = int(reads[_first(bad_type)])
            raise IRError(f"node {i}: fanin {name}={int(fanin[i])} is a count, not a bit")

    nary = {int(i) for i in np.flatnonzero(np.isin(op, [int(o) for o in NARY_OPS]))}
    if set(graph.operands) != nary:
        extra = sorted(set(graph.operands) ^ nary)
        raise IRError(f"node {extra[0]}: operand list does not match its op")
    for i in sorted(nary):
        ops_i = graph.operands[i]
        if len(ops_i) == 0:
            raise IRError(f"node {i}: {Op(int(op[i])).name.lower()} has no operands")
        for x in ops_i:
            if not 0 <= x < i:
                raise IRError(f"node {i}: operand {x} is not an earlier node (a cycle or dangling reference)")
            if is_count[x]:
                raise IRError(f"node {i}: operand {x} is a count, not a bit")
    luts = {int(i) for i in np.flatnonzero(op == Op.LUT)}
    if set(graph.luts) != luts:
        extra = sorted(set(graph.luts) ^ luts)
        raise IRError(f"node {extra[0]}: lut table does not match its op")
    for i in sorted(luts):
        k = len(graph.operands[i])
        if k > MAX_LUT_INPUTS or not 0 <= graph.luts[i] < 1 << (1 << k):
            raise IRError(f"node {i}: lut with {k} operands and table {graph.luts[i]:#x} "
                          f"(at most {MAX_LUT_INPUTS} operands, a table of 2**k bits)")
    for k, o in enumerate(graph.outputs):
        if not 0 <= o < n:
            raise IRError(f"output {k}: node {o} does not exist")
    for names, count, what in ((graph.input_names, graph.n_inputs, "input"),
                               (graph.output_names, graph.n_outputs, "output")):
        if names is not None and (len(names) != count or not all(isinstance(x, str) for x in names)):
            raise IRError(f"{what} names: expected {count} strings, got {len(names)}")
    return graph
