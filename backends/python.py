"""A tiny export target: the circuit as one Python function over bit planes held in ints.

The worked example of docs/backends.md: a backend is a table of operator
templates, a renderer that walks the legal graph, and a :class:`Target` with
its declared options (here the ready-made :class:`FunctionTarget`); one line
in ``gatecc.backends.TARGETS`` registers it.
"""

from __future__ import annotations

from ..ir.graph import Graph, Op
from .c import node_expression
from .target import FunctionTarget, PlaneLayout

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


TARGET = FunctionTarget("python", "Python function over bit planes held in ints (a worked example)", ".py",
                        render=emit_python, default_name="gatecc_eval")
