"""What the export targets (AIGER, BLIF, Verilog, DOT, GraphML) share.

* Names: a graph's own port names where it has them (:mod:`.names` makes
  them legal per format), else input i is ``x{i}``; bit output k is ``y{k}``; a count output k is
  ``y{k}`` as a whole (Verilog's vector port, a drawing's output node) and
  ``y{k}_{bit}`` bit by bit in bit-level formats (AIGER, BLIF), least
  significant bit first; an internal node is ``n{id}``.
* The GroupSum note: a net's outputs are integer counts, while the model's
  scores are count / tau; every export that knows tau says so.
* :data:`COVERS`: the minimal sum-of-products cover of each gate id, derived
  from the truth tables (for BLIF).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from itertools import combinations, product

from ..ir import gates as G
from ..ir.graph import Graph
from .target import PlaneLayout, Target


def input_name(i: int) -> str:
    """The name of input ``i``."""
    return f"x{i}"


def node_names(graph: Graph, inputs: list[str] | None = None, prefix: str = "n") -> list[str]:
    """The name of every node: ``inputs[i]`` (default ``x{i}``) for inputs, else ``{prefix}{node}``."""
    inputs = inputs if inputs is not None else [input_name(i) for i in range(graph.n_inputs)]
    return list(inputs) + [f"{prefix}{v}" for v in range(graph.n_inputs, graph.n_nodes)]


def output_bit_names(graph: Graph, outputs: list[str] | None = None) -> list[str]:
    """One name per output bit plane of a legal graph (see the module docstring).

    ``outputs`` names the output ports (default ``y{k}``); a count output's
    bits are ``{name}_{bit}``.
    """
    names = []
    for k, (kind, _, width) in enumerate(PlaneLayout.of(graph).outputs):
        base = outputs[k] if outputs is not None else f"y{k}"
        names += [base] if kind == "bit" else [f"{base}_{bit}" for bit in range(width)]
    return names


def head_note(graph: Graph, groupsum=None) -> list[str]:
    """Lines (no comment markers) saying what the outputs are, tau included when known."""
    kinds = graph.output_kinds()
    named = graph.input_names is not None or graph.output_names is not None
    lines = [f"{graph.n_inputs} inputs x0..x{graph.n_inputs - 1}, {graph.n_outputs} outputs y0..y{graph.n_outputs - 1}"
             if graph.n_inputs and graph.n_outputs and not named
             else f"{graph.n_inputs} inputs, {graph.n_outputs} outputs"]
    if "count" in kinds:
        if groupsum is not None:
            lines.append(f"GroupSum head: k={groupsum.k} groups, tau={groupsum.tau!r}; each output y_c is the "
                         f"integer count of ones in group c, and the model's score for class c is y_c / tau")
        else:
            lines.append("count outputs are integers (numbers of ones)")
    return lines


# ---------------------------------------------------------------------------
# sum-of-products covers

@dataclass(frozen=True)
class Cover:
    """A minimal cover: ``support`` (input names among "a", "b"), rows, and the value they give."""

    support: tuple[str, ...]
    rows: tuple[str, ...]
    value: str


def _cubes(n: int):
    return ["".join(c) for c in product("01-", repeat=n)]


def _covers_exactly(cubes, minterms, n) -> bool:
    def hits(cube, m):
        return all(ch == "-" or int(ch) == bit for ch, bit in zip(cube, m))

    covered = {m for m in product((0, 1), repeat=n) if any(hits(c, m) for c in cubes)}
    return covered == set(minterms)


def minimal_cover(fn, n: int) -> tuple[tuple[str, ...], str]:
    """Fewest rows for ``fn`` (bits -> 0/1) over ``n`` inputs: on-set or off-set, on-set on ties."""
    best = None
    for value in ("1", "0"):
        minterms = [m for m in product((0, 1), repeat=n) if str(fn(*m)) == value]
        cubes = _cubes(n)
        for size in range(0, len(minterms) + 1):
            found = next((c for c in combinations(cubes, size) if _covers_exactly(c, minterms, n)), None)
            if found is not None:
                if best is None or size < len(best[0]):
                    best = (tuple(found), value)
                break
    return best


def _gate_cover(g: int) -> Cover:
    support = tuple(name for name, dep in (("a", G.depends_on_a(g)), ("b", G.depends_on_b(g))) if dep)
    if support == ("a", "b"):
        rows, value = minimal_cover(lambda a, b: G.truth(g, a, b), 2)
    elif support == ("a",):
        rows, value = minimal_cover(lambda a: G.truth(g, a, 0), 1)
    elif support == ("b",):
        rows, value = minimal_cover(lambda b: G.truth(g, 0, b), 1)
    else:  # a constant: no rows is 0; one empty row with value 1 is 1
        rows, value = ((), "1") if G.truth(g, 0, 0) == 0 else (("",), "1")
    return Cover(support, rows, value)


#: gate id -> its minimal cover (derived from the truth tables when this module loads).
COVERS: tuple[Cover, ...] = tuple(_gate_cover(g) for g in range(16))


# ---------------------------------------------------------------------------

@dataclass(frozen=True)
class ExportTarget(Target):
    """A non-runnable target that writes a file for other tools.

    ``keeps_counts``: emit takes GroupSum ``popcount`` nodes as they are
    (Verilog writes them as ``+`` counters, drawings as count nodes) rather
    than expanded into adder trees.  ``writer(graph, groupsum)`` makes the
    text; such a target takes no options of its own.
    """

    runnable: bool = False
    keeps_counts: bool = False
    writer: Callable | None = None

    def emit(self, graph: Graph, **options) -> str | bytes:
        self.check(options)
        return self.writer(graph, options.get("groupsum"))

    def legalize(self, graph: Graph) -> Graph:
        if self.keeps_counts:
            from ..ir.lut import lower_luts

            return lower_luts(graph)   # counters stay; LUT nodes become gates
        return super().legalize(graph)
