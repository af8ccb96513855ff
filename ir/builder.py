"""Build gate graphs, normalising as they are built.

The builder is where the cheap algebra lives.  Each node asked for goes
through the rules switched on for this builder, so a pass that only needs
these rules is a single rebuild of its input graph (:func:`rebuild`):

* ``fold``: constants and degenerate gates.  ``f(x, x)``, a gate with a
  constant input, and the ids 0 and 15 collapse to a constant, a wire or a NOT;
  ``not 0 -> 1``.
* ``copyprop``: pass-through gates (ids 3 and 5) become wires, ids 10 and 12
  become NOT nodes, ``not (not x) -> x``, and a NOT feeding a gate is absorbed
  into the gate's id (``f(not x, y) -> f'(x, y)``).
* ``cse``: structural hashing.  Commutative inputs are ordered (``a < b``, the
  gate id swapped to match), then an existing node with the same op, argument
  and fanins is returned instead of a new one.

With every rule off (:meth:`Builder.raw`) the builder appends nodes verbatim.
"""

from __future__ import annotations

import numpy as np

from . import gates as G
from .graph import COUNT_OPS, MAX_LUT_INPUTS, Graph, Op


class Builder:
    """Appends nodes in topological order and returns node ids."""

    def __init__(self, n_inputs: int, *, fold: bool = True, copyprop: bool = True, cse: bool = True):
        if n_inputs < 0:
            raise ValueError("n_inputs must be >= 0")
        self.n_inputs = n_inputs
        self.fold = fold
        self.copyprop = copyprop
        self.cse = cse
        self._op: list[int] = []
        self._arg: list[int] = []
        self._a: list[int] = []
        self._b: list[int] = []
        self._operands: dict[int, tuple[int, ...]] = {}
        self._luts: dict[int, int] = {}
        self._outputs: list[int] = []
        self._table: dict[tuple, int] = {}
        for i in range(n_inputs):
            self._append(Op.INPUT, i, -1, -1)

    @classmethod
    def raw(cls, n_inputs: int) -> "Builder":
        """A builder that applies no rewrite at all (for -O0 lowering)."""
        return cls(n_inputs, fold=False, copyprop=False, cse=False)

    # -- inspection -------------------------------------------------------
    def __len__(self) -> int:
        return len(self._op)

    def op_of(self, node: int) -> Op:
        """The op of a node already built."""
        return Op(self._op[node])

    def arg_of(self, node: int) -> int:
        """The argument (input index, constant value or gate id) of a node."""
        return self._arg[node]

    def fanin_a(self, node: int) -> int:
        """The first fanin of a node (-1 if it has none)."""
        return self._a[node]

    def input(self, i: int) -> int:
        """The node of input ``i``."""
        if not 0 <= i < self.n_inputs:
            raise IndexError(f"input {i} out of range 0..{self.n_inputs - 1}")
        return i

    # -- node constructors ------------------------------------------------
    def const(self, value: int) -> int:
        """A constant bit node (0 or 1)."""
        value = int(value)
        if value not in (0, 1):
            raise ValueError(f"constant must be 0 or 1, not {value}")
        return self._hashed(Op.CONST, value, -1, -1)

    def not_(self, x: int) -> int:
        """The complement of bit ``x``."""
        if self.fold and self._op[x] == Op.CONST:
            return self.const(1 - self._arg[x])
        if self.copyprop and self._op[x] == Op.NOT:
            return self._a[x]
        return self._hashed(Op.NOT, 0, x, -1)

    def gate(self, g: int, x: int, y: int) -> int:
        """Gate ``g`` (an id 0-15, see :mod:`gatecc.ir.gates`) on bits ``x`` and ``y``."""
        g = int(g)
        if not 0 <= g < 16:
            raise ValueError(f"gate id {g} out of range 0..15")
        if self.copyprop:
            # Absorb inverters on the inputs into the gate's truth table.
            if self._op[x] == Op.NOT:
                g, x = G.negate_a(g), self._a[x]
            if self._op[y] == Op.NOT:
                g, y = G.negate_b(g), self._a[y]
        if self.fold:
            folded = G.fold(g, self._arg[x] if self._op[x] == Op.CONST else None,
                            self._arg[y] if self._op[y] == Op.CONST else None, x == y)
            if folded is not None:
                return self._shaped(*folded, x, y)
        if self.copyprop:
            shape, _, _, neg = G.FORMS[g]
            if shape in (G.SHAPE_A, G.SHAPE_B):  # a wire or a NOT of one input
                return self._shaped(shape, neg, x, y)
        if self.cse and x > y:
            g, x, y = G.swap_inputs(g), y, x
        return self._hashed(Op.GATE, g, x, y)

    def popcount(self, bits) -> int:
        """A count node: how many of ``bits`` are 1 (one GroupSum group)."""
        return self._nary(Op.POPCOUNT, bits)

    def uint(self, bits) -> int:
        """A count node: ``bits`` read as a binary number, least significant first."""
        return self._nary(Op.UINT, bits)

    def lut(self, table: int, bits) -> int:
        """A LUT node: ``bits`` (1-6, operand j is bit j of the row) looked up in ``table`` (2**k bits)."""
        bits = tuple(int(x) for x in bits)
        table = int(table)
        if not 1 <= len(bits) <= MAX_LUT_INPUTS:
            raise ValueError(f"a lut takes 1..{MAX_LUT_INPUTS} operands, not {len(bits)}")
        if not 0 <= table < 1 << (1 << len(bits)):
            raise ValueError(f"lut table {table:#x} does not fit {1 << len(bits)} bits")
        for x in bits:
            if self._op[x] in COUNT_OPS:
                raise ValueError(f"lut operand {x} is a count, not a bit")
        key = (Op.LUT, bits, table)
        if self.cse and key in self._table:
            return self._table[key]
        node = self._append(Op.LUT, 0, -1, -1)
        self._operands[node] = bits
        self._luts[node] = table
        if self.cse:
            self._table[key] = node
        return node

    def output(self, node: int) -> None:
        """Append ``node`` to the graph's outputs."""
        if not 0 <= node < len(self._op):
            raise IndexError(f"output node {node} does not exist")
        self._outputs.append(int(node))

    def finish(self) -> Graph:
        """The graph built so far."""
        return Graph(
            n_inputs=self.n_inputs,
            op=np.array(self._op, dtype=np.uint8),
            arg=np.array(self._arg, dtype=np.int32),
            a=np.array(self._a, dtype=np.int64),
            b=np.array(self._b, dtype=np.int64),
            operands=dict(self._operands),
            outputs=list(self._outputs),
            luts=dict(self._luts),
        )

    # -- internals ----------------------------------------------------------
    def _shaped(self, shape: int, neg: int, x: int, y: int) -> int:
        # A folded gate: a constant, or input x / y, complemented when neg.
        if shape == G.SHAPE_CONST:
            return self.const(neg)
        keep = x if shape == G.SHAPE_A else y
        return self.not_(keep) if neg else keep

    def _nary(self, op: Op, bits) -> int:
        bits = tuple(int(x) for x in bits)
        if not bits:
            raise ValueError(f"{op.name.lower()} needs at least one operand")
        for x in bits:
            if self._op[x] in COUNT_OPS:
                raise ValueError(f"{op.name.lower()} operand {x} is a count, not a bit")
        if self.cse and op == Op.POPCOUNT:
            bits = tuple(sorted(bits))  # a count does not depend on operand order
        key = (op, bits)
        if self.cse and key in self._table:
            return self._table[key]
        node = self._append(op, 0, -1, -1)
        self._operands[node] = bits
        if self.cse:
            self._table[key] = node
        return node

    def _hashed(self, op: Op, arg: int, x: int, y: int) -> int:
        if not self.cse:
            return self._append(op, arg, x, y)
        key = (op, arg, x, y)
        node = self._table.get(key)
        if node is None:
            node = self._append(op, arg, x, y)
            self._table[key] = node
        return node

    def _append(self, op: Op, arg: int, x: int, y: int) -> int:
        self._op.append(int(op))
        self._arg.append(arg)
        self._a.append(x)
        self._b.append(y)
        return len(self._op) - 1


def live_nodes(graph: Graph) -> np.ndarray:
    """Boolean mask of the nodes that some output depends on (inputs always)."""
    live = [False] * graph.n_nodes
    for o in graph.outputs:
        live[o] = True
    ops, fa, fb = graph.op.tolist(), graph.a.tolist(), graph.b.tolist()
    # Fanins precede their readers, so one backward sweep marks every cone.
    for i in range(graph.n_nodes - 1, graph.n_inputs - 1, -1):
        if not live[i]:
            continue
        if ops[i] in (Op.POPCOUNT, Op.UINT, Op.LUT):
            for x in graph.operands[i]:
                live[x] = True
        else:
            if fa[i] >= 0:
                live[fa[i]] = True
            if fb[i] >= 0:
                live[fb[i]] = True
    mask = np.array(live, dtype=bool)
    mask[: graph.n_inputs] = True
    return mask


def copy_nodes(graph: Graph, builder: Builder, *, keep=None, lower=None, nary: bool = True) -> list[int]:
    """The node map of ``graph``'s nodes copied through ``builder`` (-1 for nodes not copied).

    ``keep[i]`` false leaves node i out; ``lower`` is :func:`rebuild`'s; with
    ``nary`` False only gates, NOTs and constants are copied (the n-ary nodes
    map to -1, for a caller that rebuilds them from their operands).
    """
    lower = lower or {}
    new = list(range(graph.n_inputs)) + [-1] * (graph.n_nodes - graph.n_inputs)
    ops, args = graph.op.tolist(), graph.arg.tolist()
    fa, fb = graph.a.tolist(), graph.b.tolist()
    for i in range(graph.n_inputs, graph.n_nodes):
        if keep is not None and not keep[i]:
            continue
        op = ops[i]
        if op == Op.GATE:
            new[i] = builder.gate(args[i], new[fa[i]], new[fb[i]])
        elif op == Op.NOT:
            new[i] = builder.not_(new[fa[i]])
        elif op == Op.CONST:
            new[i] = builder.const(args[i])
        elif not nary:
            continue
        elif op == Op.LUT:
            operands = [new[x] for x in graph.operands[i]]
            fn = lower.get(Op.LUT)
            new[i] = fn(builder, operands, graph.luts[i]) if fn else builder.lut(graph.luts[i], operands)
        elif op in lower:
            new[i] = lower[op](builder, [new[x] for x in graph.operands[i]])
        elif op == Op.POPCOUNT:
            new[i] = builder.popcount([new[x] for x in graph.operands[i]])
        elif op == Op.UINT:
            new[i] = builder.uint([new[x] for x in graph.operands[i]])
        else:
            raise ValueError(f"node {i}: unexpected op {op} after the inputs")
    return new


def rebuild(graph: Graph, builder: Builder, *, live_only: bool = False, lower=None) -> Graph:
    """Copy ``graph`` node by node through ``builder`` (applying its rules).

    With ``live_only`` the nodes no output depends on are left out.  ``lower``
    optionally maps an n-ary op to ``fn(builder, new_operands) -> node`` that
    builds a replacement (how the adder-tree pass expands popcounts); for
    ``Op.LUT`` it is ``fn(builder, new_operands, table)``.
    """
    if builder.n_inputs != graph.n_inputs or len(builder) != graph.n_inputs:
        raise ValueError("rebuild needs a fresh builder with the same inputs")
    new = copy_nodes(graph, builder, keep=live_nodes(graph) if live_only else None, lower=lower)
    for o in graph.outputs:
        builder.output(new[o])
    return builder.finish()
