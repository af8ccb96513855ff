"""The text form of spatial programs: prints a program and parses it back to an equal program.

::

    gatecc-spatial 1
    input 1x5x5
    stage conv src=0 size=3x3 stride=1x1 padding=1x1 boundary=zero
    window 0,0,0 0,1,1 0,2,2
    graph
    gatecc-ir 1
    inputs 3
    ...
    end
    stage orpool src=1 size=2x2 stride=2x2 padding=0x0
    stage flatten src=2
    stage dense src=3
    graph
    ...
    end

Shapes are ``CxHxW`` (a flat vector is just its length); per-axis tuples
are ``AxB``.  A conv's ``window`` lists its kernel inputs in order as
``dc,dy,dx`` offsets; each conv/dense stage's gate graph follows in the IR
text form (:mod:`gatecc.ir.text`) between ``graph`` and ``end``.  ``or``
takes ``src=`` and ``other=``.  An optional ``input_names [...]`` line (a
JSON list) follows ``input``.  ``#`` starts a comment outside graphs.
"""

from __future__ import annotations

import json
import re

from ..text import parse_graph, print_graph
from ..verify import IRError
from .program import Conv, Dense, Flatten, MapShape, Or, OrPool, Program
from .verify import ProgramError, verify_program

MAGIC = "gatecc-spatial 1"
_KEYS = {"conv": ("src", "size", "stride", "padding", "boundary"), "orpool": ("src", "size", "stride", "padding"),
         "flatten": ("src",), "or": ("src", "other"), "dense": ("src",)}


def _axes(values) -> str:
    return "x".join(str(int(v)) for v in values)


def print_program(program: Program) -> str:
    """The text form of ``program`` (deterministic: equal programs print equal text)."""
    verify_program(program)
    lines = [MAGIC, f"input {program.input}"]
    if program.input_names is not None:
        lines.append("input_names " + json.dumps(list(program.input_names)))
    for st in program.stages:
        if st.kind == "conv":
            lines.append(f"stage conv src={st.src} size={_axes(st.size)} stride={_axes(st.stride)} "
                         f"padding={_axes(st.padding)} boundary={st.boundary}")
            lines.append(" ".join(["window"] + [",".join(str(int(v)) for v in e) for e in st.window]))
            lines += ["graph", print_graph(st.kernel).rstrip("\n"), "end"]
        elif st.kind == "orpool":
            lines.append(f"stage orpool src={st.src} size={_axes(st.size)} stride={_axes(st.stride)} "
                         f"padding={_axes(st.padding)}")
        elif st.kind == "flatten":
            lines.append(f"stage flatten src={st.src}")
        elif st.kind == "or":
            lines.append(f"stage or src={st.src} other={st.other}")
        else:
            lines += [f"stage dense src={st.src}", "graph", print_graph(st.graph).rstrip("\n"), "end"]
    return "\n".join(lines) + "\n"


def _int_tuple(text: str, lineno: int, what: str) -> tuple[int, ...]:
    if not re.fullmatch(r"\d+(x\d+)*", text):
        raise ProgramError(f"line {lineno}: {what} must look like 3x3, got {text!r}")
    return tuple(int(v) for v in text.split("x"))


def _shape(text: str, lineno: int) -> MapShape:
    dims = _int_tuple(text, lineno, "a shape")
    return MapShape(dims[0], dims[1:])


class _Lines:
    """The text's lines with their numbers; comments and blanks dropped outside graphs."""

    def __init__(self, text: str):
        self.raw = text.splitlines()
        self.i = 0

    def next(self, *, keep_comments: bool = False):
        """The next meaningful (lineno, line), or (None, None) at the end."""
        while self.i < len(self.raw):
            self.i += 1
            line = self.raw[self.i - 1]
            if not keep_comments:
                line = line.split("#", 1)[0] if not line.lstrip().startswith("input_names") else line
            line = line.strip()
            if line or keep_comments:
                return self.i, line
        return None, None

    def graph(self, lineno: int):
        """The IR text between ``graph`` (already read at ``lineno``) and ``end``, parsed."""
        start, body = self.i + 1, []
        while True:
            n, line = self.next(keep_comments=True)
            if n is None:
                raise ProgramError(f"line {lineno}: graph without its closing 'end'")
            if line == "end":
                break
            body.append(self.raw[n - 1])
        try:
            return parse_graph("\n".join(body) + "\n")
        except IRError as exc:
            # Graph line numbers are relative to the graph: name the program's line.
            msg = re.sub(r"^line (\d+)", lambda m: f"line {start + int(m.group(1)) - 1}", str(exc))
            raise ProgramError(msg if msg != str(exc) else f"graph at line {start}: {exc}") from None


def _fields(rest: str, kind: str, lineno: int) -> dict[str, str]:
    out = {}
    for part in rest.split():
        key, eq, value = part.partition("=")
        if not eq or key not in _KEYS[kind] or key in out:
            raise ProgramError(f"line {lineno}: unexpected {part!r} in a {kind} stage "
                               f"(it takes {', '.join(k + '=' for k in _KEYS[kind])})")
        out[key] = value
    missing = [k for k in _KEYS[kind] if k not in out]
    if missing:
        raise ProgramError(f"line {lineno}: the {kind} stage lacks {missing[0]}=")
    return out


def _index(text: str, lineno: int) -> int:
    if not text.isdigit():
        raise ProgramError(f"line {lineno}: expected a value number, got {text!r}")
    return int(text)


def _stage(kind: str, f: dict[str, str], lines: _Lines, lineno: int):
    src = _index(f["src"], lineno)
    if kind in ("conv", "orpool"):
        axes = {k: _int_tuple(f[k], lineno, k) for k in ("size", "stride", "padding")}
        if kind == "orpool":
            return OrPool(src, **axes)
        n, line = lines.next()
        if line is None or line.split(" ", 1)[0] != "window":
            raise ProgramError(f"line {n or lineno}: expected the conv's 'window' line")
        window = []
        for part in line.split()[1:]:
            if not re.fullmatch(r"\d+(,\d+)*", part):
                raise ProgramError(f"line {n}: window entries look like 0,1,2, got {part!r}")
            window.append(tuple(int(v) for v in part.split(",")))
        return Conv(src, _graph(lines), tuple(window), boundary=f["boundary"], **axes)
    if kind == "flatten":
        return Flatten(src)
    if kind == "or":
        return Or(src, _index(f["other"], lineno))
    return Dense(src, _graph(lines))


def _graph(lines: _Lines):
    n, line = lines.next()
    if line != "graph":
        raise ProgramError(f"line {n}: expected 'graph'" if n else "the text ends before a stage's 'graph'")
    return lines.graph(n)


def parse_program(text: str) -> Program:
    """Parse the text form; raise :class:`ProgramError` naming the line on any error, then verify the program."""
    lines = _Lines(text)
    n, line = lines.next()
    if line != MAGIC:
        raise ProgramError(f"line {n or 1}: expected the header {MAGIC!r}")
    n, line = lines.next()
    if line is None or not line.startswith("input "):
        raise ProgramError(f"line {n or 2}: expected 'input CxHxW'")
    shape = _shape(line[len("input "):].strip(), n)
    names, stages = None, []
    while True:
        n, line = lines.next()
        if line is None:
            break
        if line.startswith("input_names") and names is None and not stages:
            try:
                names = json.loads(line[len("input_names"):])
            except ValueError:
                names = None
            if not isinstance(names, list) or not all(isinstance(v, str) for v in names):
                raise ProgramError(f"line {n}: input_names must be a JSON list of strings")
            continue
        m = re.fullmatch(r"stage (\w+)(.*)", line)
        if not m or m.group(1) not in _KEYS:
            raise ProgramError(f"line {n}: expected 'stage KIND ...' with KIND one of {', '.join(_KEYS)}, got {line!r}")
        kind = m.group(1)
        stages.append(_stage(kind, _fields(m.group(2), kind, n), lines, n))
    program = Program(shape, tuple(stages), tuple(names) if names is not None else None)
    verify_program(program)
    return program
