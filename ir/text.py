"""The IR's text form: prints a graph and parses it back to an equal graph.

::

    gatecc-ir 1
    inputs 3
    %3 = and %0, %1
    %4 = not %3
    %5 = a_and_not_b %4, %2
    %6 = const 1
    %7 = popcount %3, %5, %6
    outputs %4, %7

Nodes are numbered in order and the first ``inputs`` of them are the inputs,
so each line must define the next number.  Gate mnemonics are
:data:`gatecc.ir.gates.GATE_NAMES`.  ``#`` starts a comment.
"""

from __future__ import annotations

import re

from . import gates as G
from .builder import Builder
from .graph import Graph, Op
from ..errors import ModelError
from ..limits import check_inputs
from .verify import IRError, verify

MAGIC = "gatecc-ir 1"


def print_graph(graph: Graph) -> str:
    """The text form of ``graph`` (deterministic: equal graphs print equal text)."""
    lines = [MAGIC, f"inputs {graph.n_inputs}"]
    ops, args = graph.op.tolist(), graph.arg.tolist()
    fa, fb = graph.a.tolist(), graph.b.tolist()
    for i in range(graph.n_inputs, graph.n_nodes):
        op = ops[i]
        if op == Op.GATE:
            lines.append(f"%{i} = {G.GATE_NAMES[args[i]]} %{fa[i]}, %{fb[i]}")
        elif op == Op.NOT:
            lines.append(f"%{i} = not %{fa[i]}")
        elif op == Op.CONST:
            lines.append(f"%{i} = const {args[i]}")
        elif op in (Op.POPCOUNT, Op.UINT):
            operands = ", ".join(f"%{x}" for x in graph.operands[i])
            lines.append(f"%{i} = {Op(op).name.lower()} {operands}")
        else:
            raise IRError(f"node {i}: op {op} cannot be printed after the inputs")
    lines.append("outputs " + ", ".join(f"%{o}" for o in graph.outputs))
    return "\n".join(lines) + "\n"


_REF = re.compile(r"%(\d+)$")
_DEF = re.compile(r"%(\d+)\s*=\s*(\w+)\s*(.*)$")


def _refs(text: str, lineno: int) -> list[int]:
    text = text.strip()
    if not text:
        return []
    out = []
    for part in text.split(","):
        m = _REF.match(part.strip())
        if not m:
            raise IRError(f"line {lineno}: expected a node reference like %12, got {part.strip()!r}")
        out.append(int(m.group(1)))
    return out


def parse_graph(text: str) -> Graph:
    """Parse the text form; raise :class:`IRError` naming the line on any error."""
    lines = []
    for lineno, raw in enumerate(text.splitlines(), 1):
        line = raw.split("#", 1)[0].strip()
        if line:
            lines.append((lineno, line))
    if not lines or lines[0][1] != MAGIC:
        raise IRError(f"line 1: expected the header {MAGIC!r}")
    if len(lines) < 2 or not re.fullmatch(r"inputs \d+", lines[1][1]):
        raise IRError(f"line {lines[1][0] if len(lines) > 1 else 2}: expected 'inputs N'")
    n_inputs = int(lines[1][1].split()[1])
    try:
        # Inputs are nodes too: a declared count no line could ever read is refused before it is built.
        check_inputs(n_inputs, text.count("%"), f"line {lines[1][0]}")
    except ModelError as exc:
        raise IRError(str(exc)) from None
    bld = Builder.raw(n_inputs)
    outputs = None
    for lineno, line in lines[2:]:
        if outputs is not None:
            raise IRError(f"line {lineno}: nothing may follow the outputs line")
        if line.startswith("outputs"):
            outputs = _refs(line[len("outputs"):], lineno)
            continue
        m = _DEF.match(line)
        if not m:
            raise IRError(f"line {lineno}: expected '%N = op operands'")
        node, name, rest = int(m.group(1)), m.group(2), m.group(3)
        if node != len(bld):
            raise IRError(f"line {lineno}: defines %{node} but the next node is %{len(bld)}")
        try:
            if name == "const":
                if rest.strip() not in ("0", "1"):
                    raise IRError(f"line {lineno}: const takes 0 or 1")
                bld.const(int(rest))
                continue
            refs = _refs(rest, lineno)
            for r in refs:
                if r >= node:
                    raise IRError(f"line {lineno}: %{r} is not defined before %{node} (a cycle or forward reference)")
            if name == "not":
                if len(refs) != 1:
                    raise IRError(f"line {lineno}: not takes one operand")
                bld.not_(refs[0])
            elif name in G.GATE_IDS:
                if len(refs) != 2:
                    raise IRError(f"line {lineno}: gate {name} takes two operands")
                bld.gate(G.GATE_IDS[name], refs[0], refs[1])
            elif name == "popcount":
                bld.popcount(refs)
            elif name == "uint":
                bld.uint(refs)
            else:
                raise IRError(f"line {lineno}: unknown op {name!r}")
        except ValueError as exc:
            if isinstance(exc, IRError):
                raise
            raise IRError(f"line {lineno}: {exc}") from None
    if outputs is None:
        raise IRError("missing the final 'outputs' line")
    for o in outputs:
        if o >= len(bld):
            raise IRError(f"outputs: %{o} is not defined")
        bld.output(o)
    return verify(bld.finish())
