"""LUT nodes: k-input lookup tables (k <= 6), how they evaluate, and their lowering to 2-input gates.

A LUT node reads operands ``(o_0, ..., o_{k-1})``; its table is an int of
``2**k`` bits and bit ``m`` is the output on the row where ``o_j = (m >> j) & 1``
(operand 0 is the least significant bit of the row, as in
:mod:`gatecc.ir.logic.truth`).

Lowering (:func:`lower_luts`): a LUT of up to 4 inputs becomes the fewest-gate
circuit of its function from the exact 4-input table
(:mod:`gatecc.ir.logic.exact`, NPN transform included); 5 and 6 inputs are
split by Shannon decomposition on the last operand,
``f = (o_{k-1} & f1) | (~o_{k-1} & f0)``, down to 4-input cofactors.  The
builder's folding and hashing then share what the cofactors have in common.
Passes and backends only see 2-input gates: :class:`gatecc.ir.passes.Pass`
and :func:`gatecc.backends.target.legalize` lower LUTs first.
"""

from __future__ import annotations

import numpy as np

from . import gates as G
from .builder import Builder, rebuild
from .graph import Graph, Op


def has_luts(graph: Graph) -> bool:
    """True when ``graph`` holds a LUT node."""
    return bool(graph.luts)


def lut_words(table: int, operands: list[np.ndarray]) -> np.ndarray:
    """The LUT on packed uint64 words: the OR of the minterms its table holds."""
    k = len(operands)
    out = np.zeros_like(operands[0])
    ones = ~np.uint64(0)
    for m in range(1 << k):
        if not (table >> m) & 1:
            continue
        term = np.full_like(operands[0], ones)
        for j, v in enumerate(operands):
            term &= v if (m >> j) & 1 else ~v
        out |= term
    return out


def _widen(table: int, k: int) -> int:
    """A k-input table as a 4-input one (inputs k..3 ignored: the table repeats)."""
    width = 1 << k
    out = 0
    for rep in range(16 // width):
        out |= table << (rep * width)
    return out


def _exact(bld: Builder, table: int, leaves: list[int]) -> int:
    from .logic.exact import database

    circuits, perm, neg, oneg = database().circuits(table & 0xFFFF, "gates")
    circuit = circuits[0]
    if circuit.out < 0:
        return bld.const(circuit.out_neg ^ oneg)
    vals = [bld.not_(leaves[perm[j]]) if (neg >> j) & 1 else leaves[perm[j]] for j in range(4)]
    for g, a, b in circuit.gates:
        vals.append(bld.gate(g, vals[a], vals[b]))
    out = vals[circuit.out]
    return bld.not_(out) if circuit.out_neg ^ oneg else out


def build_lut(bld: Builder, operands: list[int], table: int) -> int:
    """2-input gates computing the LUT ``table`` on ``operands`` (see the module docstring)."""
    k = len(operands)
    if k <= 4:
        pad = bld.const(0)   # the widened table ignores the padding inputs
        return _exact(bld, _widen(table, k), list(operands) + [pad] * (4 - k))
    half = 1 << (k - 1)
    f0 = build_lut(bld, operands[:-1], table & ((1 << half) - 1))
    f1 = build_lut(bld, operands[:-1], table >> half)
    s = operands[-1]
    return bld.gate(G.OR, bld.gate(G.AND, s, f1), bld.gate(G.negate_a(G.AND), s, f0))


def lower_luts(graph: Graph) -> Graph:
    """``graph`` with every LUT node replaced by 2-input gates (names kept); unchanged without LUTs."""
    if not has_luts(graph):
        return graph
    return rebuild(graph, Builder(graph.n_inputs), lower={Op.LUT: build_lut}).names_from(graph)
