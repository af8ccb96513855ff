"""Read AIGER and-inverter graphs (binary ``.aig`` and ASCII ``.aag``) into the gate IR.

Combinational AIGs only (no latches, no bad-state or constraint sections).
Each AND with inverted fanins becomes one gate whose id absorbs the
inversions (``~a & b`` is gate 4), an inverted output becomes a NOT, and
literals 0 and 1 become constants.  Format reference: "The AIGER And-Inverter
Graph (AIG) Format", Biere, version 1.9.
"""

from __future__ import annotations

import os
from pathlib import Path

from ..errors import ModelError
from ..files import read_file_bytes
from ..ir import gates as G
from ..ir.builder import Builder
from ..ir.graph import Graph
from ..limits import check_inputs
from .aiger_binary import and_graph, decode_ands, with_outputs


class _Reader:
    """A cursor over the file's bytes with the errors AIGER parsing needs."""

    def __init__(self, data: bytes, name: str):
        self.data, self.pos, self.name = data, 0, name

    def fail(self, message: str):
        raise ModelError(f"{self.name}: {message}")

    def line(self, what: str) -> str:
        end = self.data.find(b"\n", self.pos)
        if end < 0:
            if self.pos >= len(self.data):
                self.fail(f"truncated: expected {what}")
            end = len(self.data)
        text = self.data[self.pos:end].decode("ascii", "replace").strip()
        self.pos = end + 1
        return text

    def ints(self, what: str, count: int) -> list[int]:
        parts = self.line(what).split()
        if len(parts) != count or not all(p.isdigit() for p in parts):
            self.fail(f"expected {what} ({count} unsigned integer{'s' * (count > 1)})")
        return [int(p) for p in parts]

    def varint(self) -> int:
        value = shift = 0
        while True:
            if self.pos >= len(self.data):
                self.fail("truncated: the binary AND section ends early")
            byte = self.data[self.pos]
            self.pos += 1
            value |= (byte & 0x7F) << shift
            if not byte & 0x80:
                return value
            shift += 7


def parse_aiger(data: bytes, name: str = "<aiger>") -> Graph:
    """Parse AIGER bytes (binary or ASCII, chosen by the header) into a :class:`Graph`."""
    r = _Reader(data, name)
    header = r.line("the header 'aig M I L O A' or 'aag M I L O A'").split()
    if not header or header[0] not in ("aig", "aag"):
        r.fail("not an AIGER file (the header must start with 'aig' or 'aag')")
    if len(header) < 6 or not all(h.isdigit() for h in header[1:]):
        r.fail("truncated or malformed header: expected 'aig M I L O A' with unsigned integers")
    binary = header[0] == "aig"
    m, n_in, n_latch, n_out, n_and = (int(h) for h in header[1:6])
    extra = [int(h) for h in header[6:]]
    if n_latch:
        r.fail(f"has {n_latch} latches; gatecc compiles combinational circuits only")
    if any(extra):
        r.fail("has bad-state, constraint, justice or fairness sections; only combinational outputs are supported")
    if m < n_in + n_and:
        r.fail(f"header says M={m} but I + A = {n_in + n_and}")
    if binary and m != n_in + n_latch + n_and:
        r.fail(f"binary AIGER header says M={m} but I + L + A = {n_in + n_latch + n_and} (they must be equal)")
    # Every output and AND costs bytes (binary: >= 2 each; ASCII: lines of >= 2 and >= 6): check before building.
    need = 2 * n_out + 2 * n_and if binary else 2 * n_in + 2 * n_out + 6 * n_and
    left = len(data) - r.pos
    if need > left:
        r.fail(f"truncated: the header declares {n_in} inputs, {n_out} outputs and {n_and} ANDs, "
               f"which take at least {need} bytes, but {left} follow")
    check_inputs(n_in, 2 * n_and + n_out, "the header")

    if binary:
        inputs = list(range(2, 2 * n_in + 1, 2))
    else:
        inputs = [r.ints(f"input {k}", 1)[0] for k in range(n_in)]
    outputs = [r.ints(f"output {k}", 1)[0] for k in range(n_out)]
    if binary and all(lit >> 1 <= m for lit in outputs):
        fast = decode_ands(data, r.pos, n_in, n_and)
        if fast is not None:        # else the byte-at-a-time path below finds and names the problem
            rhs0, rhs1, r.pos = fast
            graph = with_outputs(n_in, and_graph(n_in, rhs0, rhs1), outputs)
            ins, outs = _symbols(r, n_in, n_out)
            return graph.with_names(ins, outs)
    ands = []
    for k in range(n_and):
        if binary:
            lhs = 2 * (n_in + k + 1)
            rhs0 = lhs - r.varint()
            rhs1 = rhs0 - r.varint()
            if rhs0 < 0 or rhs1 < 0:
                r.fail(f"AND {k}: delta encoding gives a negative literal")
        else:
            lhs, rhs0, rhs1 = r.ints(f"AND gate {k}", 3)
        ands.append((lhs, rhs0, rhs1))

    bld = Builder(n_in, fold=False, copyprop=False, cse=False)
    node_of_var: dict[int, int] = {}
    for k, lit in enumerate(inputs):
        if lit < 2 or lit & 1 or lit // 2 > m or lit // 2 in node_of_var:
            r.fail(f"input {k}: literal {lit} is not a fresh, positive variable")
        node_of_var[lit // 2] = k
    const0 = None

    def node(lit: int, where: str) -> tuple[int, int]:
        nonlocal const0
        var = lit >> 1
        if var == 0:
            if const0 is None:
                const0 = bld.const(0)
            return const0, lit & 1
        if var not in node_of_var:
            r.fail(f"{where}: literal {lit} is used before it is defined (or never defined)")
        return node_of_var[var], lit & 1

    defs: dict[int, tuple[int, int, int]] = {}
    for k, (lhs, rhs0, rhs1) in enumerate(ands):
        if lhs < 2 or lhs & 1 or lhs // 2 > m or lhs // 2 in node_of_var or lhs // 2 in defs:
            r.fail(f"AND {k}: left-hand side {lhs} is not a fresh, positive variable")
        defs[lhs // 2] = (rhs0, rhs1, k)

    def define(var: int) -> None:
        # ASCII AIGER may list ANDs in any order: resolve fanins first, depth-first.
        stack, visiting = [var], set()
        while stack:
            v = stack[-1]
            if v in node_of_var:
                stack.pop()
                continue
            rhs0, rhs1, k = defs[v]
            pending = [w for w in (rhs0 >> 1, rhs1 >> 1) if w and w not in node_of_var and w in defs]
            if pending:
                if v in visiting:
                    r.fail(f"AND {k}: combinational cycle through literal {2 * v}")
                visiting.add(v)
                stack.extend(pending)
                continue
            (x, nx), (y, ny) = node(rhs0, f"AND {k}"), node(rhs1, f"AND {k}")
            g = G.AND
            if nx:
                g = G.negate_a(g)
            if ny:
                g = G.negate_b(g)
            node_of_var[v] = bld.gate(g, x, y)
            stack.pop()

    for var in defs:
        define(var)
    for k, lit in enumerate(outputs):
        n, neg = node(lit, f"output {k}")
        bld.output(bld.not_(n) if neg else n)
    ins, outs = _symbols(r, n_in, n_out)
    return bld.finish().with_names(ins, outs)


def _symbols(r: _Reader, n_in: int, n_out: int) -> tuple[list[str] | None, list[str] | None]:
    """The symbol table's port names (``i<k> name``, ``o<k> name``) up to the comment section.

    A port the table leaves unnamed gets gatecc's default (``x{k}`` / ``y{k}``);
    a table naming no port at all gives None (the defaults, unchanged).
    """
    ins: dict[int, str] = {}
    outs: dict[int, str] = {}
    while r.pos < len(r.data):
        end = r.data.find(b"\n", r.pos)
        end = len(r.data) if end < 0 else end
        line = r.data[r.pos:end].decode("utf-8", "replace").rstrip("\r")
        r.pos = end + 1
        if line == "c" or line.startswith("c "):
            break
        kind, _, rest = line.partition(" ")
        if kind[:1] not in ("i", "o") or not kind[1:].isdigit() or not rest:
            if kind[:1] in ("l", "b", "c", "j", "f") or not line:
                continue   # symbols of sections gatecc refuses anyway, or a blank line
            r.fail(f"malformed symbol table line {line[:40]!r}")
        index, table, count = int(kind[1:]), ins if kind[0] == "i" else outs, n_in if kind[0] == "i" else n_out
        if index >= count:
            r.fail(f"symbol {kind}: there are only {count} {'inputs' if kind[0] == 'i' else 'outputs'}")
        table[index] = rest
    return (None if not ins else [ins.get(k, f"x{k}") for k in range(n_in)],
            None if not outs else [outs.get(k, f"y{k}") for k in range(n_out)])


def read_aiger(path: str | os.PathLike) -> Graph:
    """Read a ``.aig`` or ``.aag`` file; :class:`ModelError` names any problem."""
    path = Path(path)
    data = read_file_bytes(path)
    return parse_aiger(data, str(path))
