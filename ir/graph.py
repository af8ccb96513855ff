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


COUNT_OPS = frozenset({Op.POPCOUNT, Op.UINT})
NARY_OPS = COUNT_OPS


@dataclass(eq=False)
class Graph:
    """A gate graph.  Build one with :class:`gatecc.ir.builder.Builder`.

    Attributes are parallel arrays indexed by node id: ``op`` (uint8 Op codes),
    ``arg`` (int32), ``a`` and ``b`` (int64 fanins, -1 where unused);
    ``operands`` maps each n-ary node to its tuple of operand ids, and
    ``outputs`` lists the node ids the graph returns, in order.
    """

    n_inputs: int
    op: np.ndarray
    arg: np.ndarray
    a: np.ndarray
    b: np.ndarray
    operands: dict[int, tuple[int, ...]] = field(default_factory=dict)
    outputs: list[int] = field(default_factory=list)

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
