"""The one native renderer: the chunk walk every code-generating target shares, and the native shell.

Every target that compiles code (C, LLVM, WGSL, c-embedded, the stencil
renderer of :mod:`.stencil`) emits the shared chunk schedule of
:mod:`.schedule`.  This module walks each chunk's LOAD / COMPUTE / STORE /
WRITE steps once (:class:`ChunkRenderer`); a language supplies only
templates and hooks: its operator spellings (``TEMPLATES``), how a chunk
function starts and ends, where a loaded value is read (``places``) and how
a value is assigned, stored and written.  SSA languages (LLVM) override
:meth:`ChunkRenderer.expression` (names and temporaries) and
:meth:`ChunkRenderer.read` (a load instruction per use).

The native targets (C, LLVM) also share the emit prologue
(:func:`prepare`: vector width, schedule, plane layout, :class:`Layout`),
:func:`part_ranges` and :class:`NativeTarget` (declared options, render,
build, bind to the runtime).  See docs/backends.md.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from ..ir.gates import GATE_EXPRS, render_expr
from ..ir.graph import Graph, Op
from .native import Layout, NativeKernel, check_chunk_nodes, check_count_widths, check_vector_bits, tile_words_for
from .schedule import CHUNK_NODES, COMPUTE, GATE_READS, LOAD, STORE, Schedule, schedule
from .target import PlaneLayout, Target

#: A NOT node as a gate expression (so every renderer spells it through its "not" template).
NOT_EXPR = ("not", "a")

#: Compilation parts the chunk functions of a native module are spread over (parts 1..n; see
#: :mod:`.cbuild` and :mod:`.llvm_jit`, which compile them in parallel).
PARTS = 8


def logic_nodes(graph: Graph) -> int:
    """Gates and NOTs of ``graph``: what a toolchain's compile time scales with."""
    return int(np.count_nonzero((graph.op == Op.GATE) | (graph.op == Op.NOT)))


def node_expression(graph: Graph, node: int, templates: dict, var=None) -> str:
    """The expression computing ``node`` (a gate, NOT or constant) in a language's ``templates``.

    ``var(x)`` spells fanin ``x``; by default a constant fanin is its literal
    and any other node ``v{x}``.
    """
    if var is None:
        def var(x):
            return templates[str(int(graph.arg[x]))] if graph.op[x] == Op.CONST else f"v{x}"
    op = graph.op[node]
    if op == Op.GATE:
        leaves = {"a": var(int(graph.a[node])), "b": var(int(graph.b[node]))}
        return render_expr(GATE_EXPRS[int(graph.arg[node])], templates, leaves)
    if op == Op.NOT:
        return templates["not"].format(a=var(int(graph.a[node])))
    if op == Op.CONST:
        return templates[str(int(graph.arg[node]))]
    raise ValueError(f"node {node}: op {Op(int(op)).name} has no expression")


def gate_formats(templates: dict) -> tuple[str, ...]:
    """Per gate id (then NOT last) the expression as a format string over ``{a}`` and ``{b}``."""
    return tuple(render_expr(e, templates, {"a": "{a}", "b": "{b}"}) for e in (*GATE_EXPRS, NOT_EXPR))


class ChunkRenderer:
    """Renders chunk functions of one graph by walking each chunk's steps once.

    A language subclass sets ``TEMPLATES`` (operator spellings, "0" and "1"
    included), ``places`` (per schedule place: a format of the plane or slot
    index where a loaded value is read) and ``assign`` (a format of one
    computed value over ``{node}`` and ``{expr}``), and overrides
    :meth:`head`, :meth:`tail`, :meth:`store` and :meth:`write` as its
    chunk functions need.  The stencil renderer reuses a language's renderer
    with other ``places`` (reads at computed positions).
    """

    TEMPLATES: dict = {}
    places: dict = {}
    assign = "{node} = {expr};"
    #: Assigned name of a computed node.
    local = "v{}"

    def __init__(self, graph: Graph):
        self.ops, self.args = graph.op.tolist(), graph.arg.tolist()
        self.fa, self.fb = graph.a.tolist(), graph.b.tolist()
        self.zero, self.ones = self.TEMPLATES["0"], self.TEMPLATES["1"]
        self.lines: list[str] = []

    # -- hooks -------------------------------------------------------------------------------------
    def head(self, index: int) -> list[str]:
        """The lines that open chunk function ``index``."""
        return []

    def tail(self, index: int) -> list[str]:
        """The lines that close it."""
        return []

    def load(self, node: int, place: str, index: int) -> None:
        """A LOAD step: by default the value is read where used (no local)."""
        self.loaded[node] = self.places[place].format(index)

    def read(self, node: int) -> str:
        """A loaded value at one use."""
        return self.loaded[node]

    @cached_property
    def formats(self) -> tuple[str, ...]:
        """The :func:`gate_formats` of this language's templates."""
        return gate_formats(self.TEMPLATES)

    def expression(self, node: int, expr: int, a: str, b: str) -> str:
        """Emit the computation of ``node`` (gate id, or 16 for NOT) on operands ``a``, ``b``; its name."""
        name = self.local.format(node)
        self.lines.append(self.assign.format(node=name, expr=self.formats[expr].format(a=a, b=b)))
        return name

    def store(self, node: int, slot: int) -> None:
        """A STORE step: keep ``node``'s value (``self.operand(node)``) in scratch ``slot``."""

    def write(self, plane: int, node: int) -> None:
        """A WRITE step: ``node``'s value (``self.operand(node)``, a constant's literal) is output ``plane``."""

    # -- the walk ----------------------------------------------------------------------------------
    def operand(self, node: int) -> str:
        """How ``node``'s value is spelled where it is read."""
        if self.ops[node] == Op.CONST:
            return self.ones if self.args[node] else self.zero
        if node in self.loaded:
            return self.read(node)
        return self.names[node]

    def chunk(self, index: int, chunk) -> list[str]:
        """The lines of chunk function ``index``."""
        self.lines = lines = list(self.head(index))
        self.loaded: dict[int, str] = {}
        self.names: dict[int, str] = {}
        ops, args, fa, fb, operand = self.ops, self.args, self.fa, self.fb, self.operand
        gate = int(Op.GATE)
        for step in chunk.steps:
            kind = step[0]
            if kind == COMPUTE:
                node = step[1]
                if ops[node] == gate:
                    reads_a, reads_b = GATE_READS[args[node]]   # an ignored fanin is never read
                    a = operand(fa[node]) if reads_a else self.zero
                    b = operand(fb[node]) if reads_b else self.zero
                    self.names[node] = self.expression(node, args[node], a, b)
                else:
                    self.names[node] = self.expression(node, 16, operand(fa[node]), "")
            elif kind == LOAD:
                self.load(*step[1:])
            elif kind == STORE:
                self.store(step[1], step[2])
            else:
                self.write(step[1], step[2])
        lines += self.tail(index)
        return lines


def part_ranges(n_chunks: int, parts: int = PARTS) -> list[range]:
    """Chunks of each compilation part (at least one part, even for an empty graph)."""
    n = max(1, min(parts, n_chunks))
    return [range(n_chunks * p // n, n_chunks * (p + 1) // n) for p in range(n)]


@dataclass(frozen=True)
class Prepared:
    """What every native emitter starts from: the checked sizes, schedule and layout of a graph."""

    vector_bits: int
    plane_layout: PlaneLayout
    schedule: Schedule
    layout: Layout


def native_layout(graph: Graph, sched: Schedule, plane_layout: PlaneLayout, vector_bits: int) -> Layout:
    """The :class:`Layout` of the module emitted for ``graph``."""
    lanes = vector_bits // 64
    n_planes = len(plane_layout.planes)
    return Layout(
        lanes=lanes,
        n_inputs=graph.n_inputs,
        n_planes=n_planes,
        n_outputs=len(plane_layout.outputs),
        n_slots=sched.n_slots,
        tile_words=tile_words_for(lanes, graph.n_inputs, n_planes),
        counts=any(kind == "count" for kind, _, _ in plane_layout.outputs),
    )


def prepare(graph: Graph, vector_bits: int | None, chunk_nodes: int, host_bits) -> Prepared:
    """The emit prologue of a native target: check the options, schedule ``graph``, size its module.

    ``host_bits()`` gives the vector width when ``vector_bits`` is None.
    """
    vector_bits = check_vector_bits(host_bits() if vector_bits is None else vector_bits)
    chunk_nodes = check_chunk_nodes(chunk_nodes)
    plane_layout = PlaneLayout.of(graph)
    check_count_widths(plane_layout)
    sched = schedule(graph, chunk_nodes)
    return Prepared(vector_bits, plane_layout, sched, native_layout(graph, sched, plane_layout, vector_bits))


@dataclass(frozen=True)
class NativeTarget(Target):
    """A target whose code runs on the native runtime (bit-parallel vector words, threads).

    A native target is data: its declared ``options``, ``renderer(graph,
    vector_bits, chunk_nodes) -> source`` (the prologue of :func:`prepare`,
    its :class:`ChunkRenderer` and driver templates), ``builder(graph,
    source, options) -> (address_of(name), runtime_run, keepalive)`` (its
    toolchain) and ``probe() -> None | reason`` (can it run here).  Checking
    the options, the chunk-size default of :data:`.schedule.CHUNK_NODES`
    and binding the loaded module to the runtime and its threads are here,
    once.
    """

    options: tuple = ()
    renderer: Callable | None = None
    builder: Callable | None = None
    probe: Callable | None = None

    def render(self, graph: Graph, vector_bits: int | None, chunk_nodes: int) -> str:
        """The source for the legal ``graph`` (the target's templates)."""
        return self.renderer(graph, vector_bits, chunk_nodes)

    def emit(self, graph: Graph, **options) -> str:
        self.check(options)
        return self.render(graph, options.get("vector_bits"), options.get("chunk_nodes", CHUNK_NODES[self.name]))

    def load(self, graph: Graph, source: str, **options) -> NativeKernel:
        self.check(options)
        address_of, runtime_run, keepalive = self.builder(graph, source, options)
        return NativeKernel.bind(address_of, graph, runtime_run, keepalive=keepalive, threads=options.get("threads"))

    def available(self) -> str | None:
        return self.probe() if self.probe is not None else None
