"""The IR's text form: prints a graph and parses it back to an equal graph.

::

    gatecc-ir 1
    inputs 3
    %3 = and %0, %1
    %4 = not %3
    %5 = a_and_not_b %4, %2
    %6 = const 1
    %7 = popcount %3, %5, %6
    %8 = lut 0x96 %0, %1, %2
    outputs %4, %7, %8

Optional ``input_names [...]`` (after ``inputs``) and ``output_names [...]``
(after ``outputs``) lines give the ports' names as JSON lists of strings
(no ``#`` comment on those lines: a name may hold one).  Nodes are numbered in order and the first ``inputs`` of them are the inputs,
so each line must define the next number.  ``lut TABLE ops`` is a lookup
table: bit m of the hex TABLE is the output where operand j is (m >> j) & 1.  Gate mnemonics are
:data:`gatecc.ir.gates.GATE_NAMES`.  ``#`` starts a comment.
"""

from __future__ import annotations

import json
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
    if graph.input_names is not None:
        lines.append("input_names " + json.dumps(list(graph.input_names)))
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
        elif op == Op.LUT:
            operands = ", ".join(f"%{x}" for x in graph.operands[i])
            lines.append(f"%{i} = lut {graph.luts[i]:#x} {operands}")
        elif op in (Op.POPCOUNT, Op.UINT):
            operands = ", ".join(f"%{x}" for x in graph.operands[i])
            lines.append(f"%{i} = {Op(op).name.lower()} {operands}")
        else:
            raise IRError(f"node {i}: op {op} cannot be printed after the inputs")
    lines.append("outputs " + ", ".join(f"%{o}" for o in graph.outputs))
    if graph.output_names is not None:
        lines.append("output_names " + json.dumps(list(graph.output_names)))
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
    lines, names = [], {}
    for lineno, raw in enumerate(text.splitlines(), 1):
        key = raw.strip().split(" ", 1)[0]
        if key in ("input_names", "output_names"):
            names[key] = _names(raw.strip()[len(key):], key, lineno)
            continue
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
            table = None
            if name == "lut":
                m_table = re.match(r"\s*(0x[0-9a-fA-F]+)\s+(.*)$", rest)
                if not m_table:
                    raise IRError(f"line {lineno}: lut takes a hex table then its operands: lut 0x6 %1, %2")
                table, rest = int(m_table.group(1), 16), m_table.group(2)
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
            elif name == "lut":
                bld.lut(table, refs)
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
    graph = bld.finish()
    for key, count in (("input_names", graph.n_inputs), ("output_names", graph.n_outputs)):
        if key in names and len(names[key][0]) != count:
            raise IRError(f"line {names[key][1]}: {key} lists {len(names[key][0])} names for {count} ports")
    return verify(graph.with_names(names.get("input_names", (None,))[0], names.get("output_names", (None,))[0]))


def _names(text: str, key: str, lineno: int) -> tuple[list[str], int]:
    try:
        value = json.loads(text)
    except ValueError:
        value = None
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise IRError(f"line {lineno}: {key} must be a JSON list of strings")
    return value, lineno
