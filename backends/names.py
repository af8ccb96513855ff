"""Port names in the export formats: a graph's own names made legal for each format.

A graph read from AIGER or BLIF keeps its ports' names (``Graph.input_names``,
``Graph.output_names``); a LogicNet has none and its ports are ``x{i}`` and
``y{k}``.  A name a format cannot hold is *mapped*, deterministically, never
dropped: each character the format forbids becomes ``_xHH_`` (its code point
in hex), and a name already taken gets the first free suffix ``_1``, ``_2``...
Internal nodes are ``n{id}``; where a port already looks like that, they take
a longer prefix (``n_``, ``n__``...) so no internal name can hit a port.
"""

from __future__ import annotations

import re

from ..ir.graph import Graph

#: Verilog-2001 reserved words (a port may not be called one unescaped).
VERILOG_KEYWORDS = frozenset("""
always and assign automatic begin buf bufif0 bufif1 case casex casez cell cmos config deassign default defparam
design disable edge else end endcase endconfig endfunction endgenerate endmodule endprimitive endspecify endtable
endtask event for force forever fork function generate genvar highz0 highz1 if ifnone incdir include initial inout
input instance integer join large liblist library localparam macromodule medium module nand negedge nmos nor
noshowcancelled not notif0 notif1 or output parameter pmos posedge primitive pull0 pull1 pulldown pullup
pulsestyle_onevent pulsestyle_ondetect rcmos real realtime reg release repeat rnmos rpmos rtran rtranif0 rtranif1
scalared showcancelled signed small specify specparam strong0 strong1 supply0 supply1 table task time tran tranif0
tranif1 tri tri0 tri1 triand trior trireg unsigned use uwire vectored wait wand weak0 weak1 while wire wor xnor xor
""".split())

_VERILOG_ID = re.compile(r"[A-Za-z_][A-Za-z0-9_$]*\Z")
_BUS_BIT = re.compile(r"(.+)\[(\d+)\]\Z")


def port_names(graph: Graph) -> tuple[list[str], list[str]]:
    """The graph's input and output names, ``x{i}`` / ``y{k}`` where it has none."""
    ins = list(graph.input_names) if graph.input_names is not None else [f"x{i}" for i in range(graph.n_inputs)]
    outs = list(graph.output_names) if graph.output_names is not None else [f"y{k}" for k in range(graph.n_outputs)]
    return ins, outs


def map_chars(name: str, bad) -> str:
    """``name`` with every character ``bad(ch)`` rejects written as ``_xHH_``; never empty."""
    out = "".join(f"_x{ord(ch):02x}_" if bad(ch) else ch for ch in name)
    return out or "_"


def unique(names: list[str], taken: set[str] | None = None) -> list[str]:
    """``names`` with each repeat (or name in ``taken``) given the first free ``_1``, ``_2``... suffix."""
    seen = set(taken or ())
    out = []
    for name in names:
        new, k = name, 1
        while new in seen:
            new, k = f"{name}_{k}", k + 1
        seen.add(new)
        out.append(new)
    return out


def internal_prefix(taken) -> str:
    """A prefix ``p`` such that no ``p{digits}`` is among the names ``taken``."""
    prefix = "n"
    while any(re.fullmatch(re.escape(prefix) + r"\d+", t) for t in taken):
        prefix += "_"
    return prefix


def blif_names(graph: Graph) -> tuple[list[str], list[str]]:
    """Legal, distinct BLIF signal names for the inputs and the outputs (one per output port).

    A BLIF name is one token: no whitespace, no ``#`` (a comment), no ``\\``
    (a continuation), not starting with ``.`` (a command).  An output may share
    an input's name only when it *is* that input (BLIF's pass-through output).
    """
    def legal(name: str) -> str:
        name = map_chars(name, lambda ch: ch.isspace() or ch in "#\\=" or not ch.isprintable())
        return "_x2e_" + name[1:] if name.startswith(".") else name

    ins, outs = port_names(graph)
    ins = unique([legal(n) for n in ins])
    out_names, taken = [], set(ins)
    for k, name in enumerate(outs):
        name, node = legal(name), graph.outputs[k]
        if node < graph.n_inputs and name == ins[node]:
            out_names.append(name)   # the input itself: no buffer needed
            continue
        name = unique([name], taken)[0]
        taken.add(name)
        out_names.append(name)
    return ins, out_names


def aiger_name(name: str) -> str:
    """A symbol-table name: one line, so line breaks are mapped."""
    return map_chars(name, lambda ch: ch in "\r\n")


def verilog_identifier(name: str) -> str:
    """``name`` as a Verilog identifier: as it is when legal, else escaped (``\\name `` with its closing space)."""
    if _VERILOG_ID.match(name) and name not in VERILOG_KEYWORDS:
        return name
    return "\\" + map_chars(name, lambda ch: ch.isspace() or not ch.isprintable()) + " "


def verilog_ports(names: list[str], bit: list[bool], taken: set[str]) -> tuple[list[tuple], list[str]]:
    """Group one direction's port names into Verilog ports.

    Returns (declarations, references): each declaration is (identifier, msb,
    lsb, k) with msb = lsb = -1 for a scalar and k its first port, in the
    order of each port's first member; ``references[k]`` is how the code names port ``k`` (``opcode[3]``
    for a bus bit).  Names ``base[i]`` (bit ports only) whose indices are
    distinct and contiguous become one bus ``[msb:lsb] base``; any other name
    is a scalar, escaped where it is not a plain identifier.  ``taken`` holds
    the identifiers already used (the other direction's) and is updated.
    """
    groups: dict[str, list[tuple[int, int]]] = {}
    for k, name in enumerate(names):
        m = _BUS_BIT.match(name)
        if m and bit[k]:
            groups.setdefault(m.group(1), []).append((int(m.group(2)), k))
    scalars = {n for k, n in enumerate(names) if not (_BUS_BIT.match(n) and bit[k])}
    buses = {}
    for base, members in groups.items():
        idx = sorted(i for i, _ in members)
        if (idx == list(range(idx[0], idx[0] + len(idx))) and base not in scalars
                and verilog_identifier(base) not in taken):
            buses[base] = (idx[-1], idx[0])
    decls, refs, declared = [], [""] * len(names), set()
    for k, name in enumerate(names):
        m = _BUS_BIT.match(name) if bit[k] else None
        if m and m.group(1) in buses:
            base = m.group(1)
            ident = verilog_identifier(base)
            refs[k] = f"{ident}[{int(m.group(2))}]"
            if base not in declared:
                declared.add(base)
                taken.add(ident)
                decls.append((ident, *buses[base], k))
            continue
        ident = verilog_identifier(unique([name], {t.strip().lstrip("\\") for t in taken})[0])
        taken.add(ident)
        refs[k] = ident
        decls.append((ident, -1, -1, k))
    return decls, refs
