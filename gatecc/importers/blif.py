"""Read combinational BLIF (Berkeley Logic Interchange Format) into the gate IR.

Supported: one ``.model`` with ``.inputs``, ``.outputs``, ``.names`` and
``.end``; ``#`` comments; ``\\`` line continuations; ``.names`` nodes listed
in any order.  A ``.names`` cover of any size becomes 2-input gates: each
cube is a balanced AND tree of its literals (an inverted literal is absorbed
into the gate id), the cubes are joined by a balanced OR tree, and an
off-set cover (output column 0) is complemented.  A ``.names`` with no
fanins is a constant (no rows: 0; a row ``1``: 1).

Refused with a :class:`ModelError` naming the line: latches (``.latch``) and
every other sequential or hierarchical construct (``.subckt``, ``.gate``,
``.mlatch``, several models), undefined or doubly defined signals,
combinational cycles, and malformed covers.  Timing annotations
(``.area``, ``.delay``, ``.input_arrival``, ...) are ignored.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import ModelError
from ..files import read_file_text
from ..ir import gates as G
from ..ir.builder import Builder
from ..ir.graph import Graph

#: Commands that describe timing or layout only; they do not change the function.
IGNORED = frozenset({".area", ".delay", ".wire_load_slope", ".wire", ".input_arrival", ".output_required",
                     ".default_input_arrival", ".default_output_required", ".input_drive", ".output_load",
                     ".default_input_drive", ".default_output_load", ".max_input_load", ".default_max_input_load",
                     ".clock", ".search"})
#: Commands gatecc refuses -> why.
REFUSED = {
    ".latch": "latches (sequential logic); gatecc compiles combinational circuits only",
    ".mlatch": "latches (sequential logic); gatecc compiles combinational circuits only",
    ".subckt": "subcircuits (.subckt); flatten the hierarchy first (e.g. ABC: read; strash; write_blif)",
    ".gate": "library gates (.gate); write the mapped netlist as .names covers",
    ".exdc": "external don't-care networks (.exdc)",
    ".start_kiss": "state machines (.start_kiss)",
    ".cname": "named instances (.cname)",
}


@dataclass
class _Cover:
    line: int
    fanins: list[str]
    rows: list[tuple[str, str]] = field(default_factory=list)


def _logical_lines(text: str):
    """(line number, tokens) per logical line: comments dropped, continuations joined."""
    pending, start = [], None
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.split("#", 1)[0].rstrip()
        if start is None:
            start = number
        if line.endswith("\\"):
            pending.append(line[:-1])
            continue
        pending.append(line)
        tokens = " ".join(pending).split()
        pending, first = [], start
        start = None
        if tokens:
            yield first, tokens
    if pending and " ".join(pending).split():
        yield start, " ".join(pending).split()


def parse_blif(text: str, name: str = "<blif>") -> Graph:
    """Parse BLIF text into a :class:`Graph` (inputs and outputs in declaration order)."""

    def fail(line: int | None, message: str):
        where = f"{name}:{line}" if line else name
        raise ModelError(f"{where}: {message}")

    inputs: list[str] = []
    outputs: list[str] = []
    covers: dict[str, _Cover] = {}
    current: _Cover | None = None
    models = 0
    ended = False
    for line, tokens in _logical_lines(text):
        head = tokens[0]
        if head.startswith("."):
            current = None
            if ended and head != ".model":
                fail(line, f"{head} after .end")
            if head == ".model":
                models += 1
                if models > 1:
                    fail(line, "several .model sections (a hierarchical BLIF); flatten it into one model first")
                ended = False
            elif head == ".inputs":
                inputs += tokens[1:]
            elif head == ".outputs":
                outputs += tokens[1:]
            elif head == ".names":
                if len(tokens) < 2:
                    fail(line, ".names needs at least an output signal")
                out = tokens[-1]
                if out in covers:
                    fail(line, f"signal {out!r} is defined twice (first on line {covers[out].line})")
                current = covers[out] = _Cover(line, tokens[1:-1])
            elif head == ".end":
                ended = True
            elif head in REFUSED:
                fail(line, f"has {REFUSED[head]}")
            elif head not in IGNORED:
                fail(line, f"unknown BLIF command {head}")
            continue
        if current is None:
            fail(line, f"unexpected text {' '.join(tokens)!r} outside a .names cover")
        n = len(current.fanins)
        if n == 0:
            if tokens != ["1"] and tokens != ["0"]:
                fail(line, f"a constant's cover row must be '1' or '0', not {' '.join(tokens)!r}")
            current.rows.append(("", tokens[0]))
            continue
        if len(tokens) != 2 or len(tokens[0]) != n or set(tokens[0]) - set("01-") or tokens[1] not in ("0", "1"):
            fail(line, f"cover row {' '.join(tokens)!r}: expected {n} characters of 0, 1 or - and an output 0 or 1")
        current.rows.append((tokens[0], tokens[1]))
    if models == 0 and not inputs and not outputs and not covers:
        fail(None, "not a BLIF file (no .model, .inputs, .outputs or .names)")
    if not outputs:
        fail(None, "declares no .outputs")
    seen = {}
    for k, sig in enumerate(inputs):
        if sig in seen:
            fail(None, f"input {sig!r} is declared twice")
        if sig in covers:
            fail(covers[sig].line, f"signal {sig!r} is a primary input and may not be defined by .names")
        seen[sig] = k
    for sig, cover in covers.items():
        values = {v for _, v in cover.rows}
        if len(values) > 1:
            fail(cover.line, f"the cover of {sig!r} mixes on-set (1) and off-set (0) rows")
    return _build(inputs, outputs, covers, fail)


def _build(inputs, outputs, covers, fail) -> Graph:
    bld = Builder(len(inputs))
    node = {sig: k for k, sig in enumerate(inputs)}

    def define(sig: str, line: int | None):
        # Depth-first, explicit stack: BLIF lists covers in any order.
        stack, visiting = [(sig, line)], set()
        while stack:
            s, where = stack[-1]
            if s in node:
                stack.pop()
                continue
            cover = covers.get(s)
            if cover is None:
                fail(where, f"signal {s!r} is used but never defined (not an input, no .names)")
            pending = [(f, cover.line) for f in cover.fanins if f not in node]
            if pending:
                if s in visiting:
                    fail(cover.line, f"combinational cycle through signal {s!r}")
                visiting.add(s)
                stack.extend(pending)
                continue
            node[s] = _cover_node(bld, [node[f] for f in cover.fanins], cover.rows)
            stack.pop()

    for sig, cover in covers.items():  # every cover, so a bad one is reported even where unused
        define(sig, cover.line)
    for sig in outputs:
        define(sig, None)
        bld.output(node[sig])
    return bld.finish().with_names(inputs, outputs)


def _balanced(bld: Builder, gate: int, terms: list[int]) -> int:
    """A balanced tree of one commutative gate over ``terms``."""
    while len(terms) > 1:
        nxt = [bld.gate(gate, terms[i], terms[i + 1]) for i in range(0, len(terms) - 1, 2)]
        if len(terms) % 2:
            nxt.append(terms[-1])
        terms = nxt
    return terms[0]


def _cube(bld: Builder, fanins: list[int], plane: str) -> int:
    """The AND of a cube's literals; the first level absorbs inverters into the gate ids."""
    lits = [(x, ch == "0") for x, ch in zip(fanins, plane) if ch != "-"]
    if not lits:
        return bld.const(1)
    terms = []
    for i in range(0, len(lits) - 1, 2):
        (x, nx), (y, ny) = lits[i], lits[i + 1]
        g = G.AND
        g = G.negate_a(g) if nx else g
        g = G.negate_b(g) if ny else g
        terms.append(bld.gate(g, x, y))
    if len(lits) % 2:
        x, nx = lits[-1]
        terms.append(bld.not_(x) if nx else x)
    return _balanced(bld, G.AND, terms)


def _cover_node(bld: Builder, fanins: list[int], rows: list[tuple[str, str]]) -> int:
    """The node computing a ``.names`` cover."""
    if not rows:
        return bld.const(0)
    onset = rows[0][1] == "1"
    value = _balanced(bld, G.OR, [_cube(bld, fanins, plane) for plane, _ in rows])
    return value if onset else bld.not_(value)


def read_blif(path: str | os.PathLike) -> Graph:
    """Read a ``.blif`` file; :class:`ModelError` names any problem."""
    path = Path(path)
    text = read_file_text(path)
    return parse_blif(text, str(path))
