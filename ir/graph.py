"""The gate-graph IR: a topologically ordered array of nodes.

Every node has an op, one integer argument and up to two fanins; n-ary nodes
(the counters) keep their operand lists in a side table.  Node ``i`` only reads
nodes ``< i``, so the arrays are always in a valid evaluation order and a cycle
cannot be represented.  The first ``n_inputs`` nodes are the inputs, in order.

Values have one of two types:

* **bit**: inputs, constants, gates and NOTs;
* **count**: an unsigned integer per sample, made by ``popcount`` (how many
  of its bits are 1: a GroupSum group) or ``uint`` (its bits read as a
  little-endian binary number: what an adder tree produces).  Counts are only
  read by outputs.

Graphs are values: passes build new graphs (see :mod:`gatecc.ir.builder`)
rather than mutate old ones.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from enum import IntEnum

import numpy as np

from . import gates as G


class Op(IntEnum):
    """Node kinds.  ``arg`` holds the input index, constant value or gate id."""

    INPUT = 0      # arg = input index
    CONST = 1      # arg = 0 or 1
    GATE = 2       # arg = gate id 0-15; fanins a, b
    NOT = 3        # fanin a
    POPCOUNT = 4   # operands: bits -> count of ones
    UINT = 5       # operands: bits (least significant first) -> binary number
    LUT = 6        # operands: 1-6 bits; truth table in Graph.luts (bit m: operand j = (m >> j) & 1)


COUNT_OPS = frozenset({Op.POPCOUNT, Op.UINT})
NARY_OPS = COUNT_OPS | {Op.LUT}
#: The most inputs a LUT node may have.
MAX_LUT_INPUTS = 6


@dataclass(eq=False)
class Graph:
    """A gate graph.  Build one with :class:`gatecc.ir.builder.Builder`.

    Attributes are parallel arrays indexed by node id: ``op`` (uint8 Op codes),
    ``arg`` (int32), ``a`` and ``b`` (int64 fanins, -1 where unused);
    ``operands`` maps each n-ary node to its tuple of operand ids, and
    ``outputs`` lists the node ids the graph returns, in order.  Port names
    are not part of equality (two graphs are equal when they compute the same
    way); compare ``input_names``/``output_names`` for that.
    """

    n_inputs: int
    op: np.ndarray
    arg: np.ndarray
    a: np.ndarray
    b: np.ndarray
    operands: dict[int, tuple[int, ...]] = field(default_factory=dict)
    outputs: list[int] = field(default_factory=list)
    #: LUT node -> its truth table (an int of 2**k bits; see docs/ir.md).
    luts: dict[int, int] = field(default_factory=dict)
    #: Optional port names (a circuit read from AIGER/BLIF keeps its own); None: ``x{i}`` / ``y{k}``.
    input_names: tuple[str, ...] | None = None
    output_names: tuple[str, ...] | None = None

    def with_names(self, input_names=None, output_names=None) -> "Graph":
        """The same graph with these port names (None keeps none); lengths must match the ports."""
        ins = None if input_names is None else tuple(str(n) for n in input_names)
        outs = None if output_names is None else tuple(str(n) for n in output_names)
        if ins is not None and len(ins) != self.n_inputs:
            raise ValueError(f"{len(ins)} input names for {self.n_inputs} inputs")
        if outs is not None and len(outs) != self.n_outputs:
            raise ValueError(f"{len(outs)} output names for {self.n_outputs} outputs")
        return dataclasses.replace(self, input_names=ins, output_names=outs)

    def names_from(self, other: "Graph") -> "Graph":
        """This graph with ``other``'s port names, where it has them and the port counts agree.

        Passes rebuild graphs from arrays; this is how the names survive them.
        """
        if other.input_names is None and other.output_names is None:
            return self
        ins = other.input_names if other.input_names is not None and self.n_inputs == other.n_inputs else None
        outs = other.output_names if other.output_names is not None and self.n_outputs == other.n_outputs else None
        if ins == self.input_names and outs == self.output_names:
            return self
        return dataclasses.replace(self, input_names=ins or self.input_names, output_names=outs or self.output_names)

    @property
    def n_nodes(self) -> int:
        """Number of nodes, inputs included."""
        return len(self.op)

    @property
    def n_outputs(self) -> int:
        """Number of outputs."""
        return len(self.outputs)

    def is_count(self, node: int) -> bool:
        """True when ``node`` produces a count rather than a bit."""
        return Op(int(self.op[node])) in COUNT_OPS

    def output_kinds(self) -> list[str]:
        """"bit" or "count" for each output, in order."""
        return ["count" if self.is_count(o) else "bit" for o in self.outputs]

    def fanins(self, node: int) -> tuple[int, ...]:
        """The nodes that ``node`` reads."""
        op = Op(int(self.op[node]))
        if op is Op.GATE:
            return (int(self.a[node]), int(self.b[node]))
        if op is Op.NOT:
            return (int(self.a[node]),)
        if op in NARY_OPS:
            return self.operands[node]
        return ()

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Graph):
            return NotImplemented
        return (
            self.n_inputs == other.n_inputs
            and np.array_equal(self.op, other.op)
            and np.array_equal(self.arg, other.arg)
            and np.array_equal(self.a, other.a)
            and np.array_equal(self.b, other.b)
            and self.operands == other.operands
            and self.luts == other.luts
            and list(self.outputs) == list(other.outputs)
        )

    def __repr__(self) -> str:
        return f"<Graph inputs={self.n_inputs} nodes={self.n_nodes} outputs={self.n_outputs}>"


def gate_kind(op: int, arg: int) -> str | None:
    """What a node costs: "gate" (a 2-input gate), "not", or None (free).

    A GATE node whose id ignores one input is really a wire, a NOT or a
    constant, and is counted as such, so raw (-O0) graphs are costed fairly.
    """
    if op == Op.NOT:
        return "not"
    if op != Op.GATE:
        return None
    shape, _, _, neg = G.FORMS[arg]
    if shape >= G.SHAPE_AND:
        return "gate"
    return "not" if shape != G.SHAPE_CONST and neg else None
