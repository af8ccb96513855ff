"""A tiny export target: the circuit as one Python function over bit planes held in ints.

The worked example of docs/backends.md: a backend is a table of operator
templates, a renderer that walks the legal graph, and a :class:`Target` with
its declared options; one line in ``gatecc.backends.TARGETS`` registers it.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..ir.graph import Graph, Op
from .c import node_expression
from .target import PlaneLayout, Target

#: Operator templates: each sample is one bit of a Python int, ``m`` masks the batch's bits.
TEMPLATES = {"and": "({a} & {b})", "or": "({a} | {b})", "xor": "({a} ^ {b})", "not": "(~{a} & m)", "0": "0", "1": "m"}


def emit_python(graph: Graph, name: str = "gatecc_eval") -> str:
    """``def name(x, n)``: x holds one int per input (bit j = sample j), n samples; returns the output planes."""
    lines = [f"def {name}(x, n):", f'    """{graph.n_inputs} input planes -> output planes (ints, bit j = sample j)."""',
             "    m = (1 << n) - 1"]
    lines += [f"    v{i} = x[{i}]" for i in range(graph.n_inputs)]
    for node in range(graph.n_inputs, graph.n_nodes):
        if graph.op[node] in (Op.GATE, Op.NOT, Op.CONST):
            lines.append(f"    v{node} = {node_expression(graph, node, TEMPLATES, lambda v: f'v{v}')}")
    planes = ", ".join(f"v{p}" for p in PlaneLayout.of(graph).planes)
    lines.append(f"    return [{planes}]")
    return "\n".join(lines) + "\n"


@dataclass(frozen=True)
class PythonTarget(Target):
    """Python source (emit only)."""

    options = ("name",)

    def emit(self, graph: Graph, **options) -> str:
        self.check(options)
        return emit_python(graph, options.get("name", "gatecc_eval"))


TARGET = PythonTarget("python", "Python function over bit planes held in ints (a worked example)", ".py",
                      runnable=False)
