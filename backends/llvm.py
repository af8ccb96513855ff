"""The LLVM backend: textual LLVM IR, JIT-compiled in-process with llvmlite.

The module has the entry points of :mod:`.native` (``gatecc_words``,
``gatecc_eval``, ``gatecc_info``) over ``<N x i64>`` vector words sized from
the host (``<8 x i64>`` with AVX-512, ``<4 x i64>`` with AVX2, ...), with the
graph split into ``noinline`` chunk functions by the same schedule as the C
backend (:mod:`.schedule`).  Gates are rendered from
:data:`gatecc.ir.gates.GATE_EXPRS` into SSA instructions, so this file holds
no gate semantics.  ``gatecc lower --target llvm`` writes the module as text
(LLVM 15 or newer reads it, LLVM 14 with ``-opaque-pointers``); the bool path
comes from a runtime in LLVM IR (:mod:`.llvm_runtime`) built once per process.

llvmlite is imported only when a module is JIT-compiled or the host's
vector width is asked for, never by ``import gatecc``.  How big modules are
compiled fast (and what that means for other users of LLVM in the process)
is in :mod:`.llvm_jit`.
"""

from __future__ import annotations


from .. import __version__
from ..ir.gates import GATE_EXPRS
from ..ir.graph import Graph
from ..ir.stats import count_gates
from .abi import DRIVER_MARK, PART_MARK
from .native import Layout
from .render import NOT_EXPR, ChunkRenderer, NativeTarget, logic_nodes, part_ranges, prepare
from .schedule import CHUNK_NODES, FROM_INPUT, FROM_OUTPUT, FROM_SLOT

#: Options the LLVM target takes.
OPTIONS = ("vector_bits", "chunk_nodes", "threads", "codegen")

#: Nodes per chunk function (the table and its reasons: :data:`.schedule.CHUNK_NODES`).
DEFAULT_CHUNK_NODES = CHUNK_NODES["llvm"]

#: Each operator of a gate expression as one SSA instruction.
OPERATORS = {"and": "and", "or": "or", "xor": "xor"}


def vector_type(vector_bits: int) -> str:
    """The LLVM type of one vector word."""
    lanes = vector_bits // 64
    return "i64" if lanes == 1 else f"<{lanes} x i64>"


def ones_constant(vector_bits: int) -> str:
    """All bits set, as an LLVM constant of :func:`vector_type`."""
    lanes = vector_bits // 64
    return "-1" if lanes == 1 else "<" + ", ".join(["i64 -1"] * lanes) + ">"


def zero_constant(vector_bits: int) -> str:
    """All bits clear."""
    return "0" if vector_bits == 64 else "zeroinitializer"


def host_vector_bits() -> int:
    """The widest integer vector LLVM's host CPU features allow."""
    from .llvm_jit import host_vector_bits as jit_host_bits

    return jit_host_bits()


class LLVMChunks(ChunkRenderer):
    """LLVM chunk functions in SSA form: a gate is one instruction per operator of its expression.

    A value from memory is loaded at each use, so nothing stays live across
    the chunk; a gate that is a wire or a constant emits nothing and is named
    by its operand.
    """

    def __init__(self, graph: Graph, vector_bits: int):
        self.type = vector_type(vector_bits)
        self.align = vector_bits // 8
        self.TEMPLATES = {"0": zero_constant(vector_bits), "1": ones_constant(vector_bits), **OPERATORS}
        super().__init__(graph)

    def head(self, index: int) -> list[str]:
        self.uses = 0
        return [f"define internal void @gatecc_chunk{index}(ptr noalias %in, ptr noalias %out, ptr noalias %s) "
                "noinline nounwind {"]

    def tail(self, index: int) -> list[str]:
        return ["  ret void", "}", ""]

    def load(self, node: int, place: str, index: int) -> None:
        self.loaded[node] = (BASES[place], index)

    def read(self, node: int) -> str:
        base, i = self.loaded[node]
        self.uses += 1
        tmp = f"%m{node}.{self.uses}"
        self.lines.append(f"  {tmp}p = getelementptr inbounds {self.type}, ptr {base}, i64 {i}")
        self.lines.append(f"  {tmp} = load {self.type}, ptr {tmp}p, align {self.align}")
        return tmp

    def expression(self, node: int, expr: int, a: str, b: str) -> str:
        leaves = {"a": a, "b": b, "0": self.zero, "1": self.ones}
        temps = (f"%v{node}.{k}" for k in range(1, 8))  # inner nodes of the expression
        t, ones, out = self.type, self.ones, self.lines

        def walk(e, name):
            if isinstance(e, str):
                return leaves[e]
            op, *args = e
            operands = [walk(x, next(temps)) for x in args]
            if op == "not":
                out.append(f"  {name} = xor {t} {operands[0]}, {ones}")
            else:
                out.append(f"  {name} = {OPERATORS[op]} {t} {operands[0]}, {operands[1]}")
            return name

        return walk(GATE_EXPRS[expr] if expr < 16 else NOT_EXPR, f"%v{node}")

    def store(self, node: int, slot: int) -> None:
        self.lines.append(f"  %q{node} = getelementptr inbounds {self.type}, ptr %s, i64 {slot}")
        self.lines.append(f"  store {self.type} {self.operand(node)}, ptr %q{node}, align {self.align}")

    def write(self, plane: int, node: int) -> None:
        self.lines.append(f"  %o{plane} = getelementptr inbounds {self.type}, ptr %out, i64 {plane}")
        self.lines.append(f"  store {self.type} {self.operand(node)}, ptr %o{plane}, align {self.align}")


#: The pointer argument a LOAD step reads from, by the schedule's place names.
BASES = {FROM_INPUT: "%in", FROM_SLOT: "%s", FROM_OUTPUT: "%out"}


def emit_llvm(graph: Graph, vector_bits: int | None = None, chunk_nodes: int = DEFAULT_CHUNK_NODES) -> str:
    """Textual LLVM IR for a legal graph, with the entry points of :mod:`.native`."""
    prep = prepare(graph, vector_bits, chunk_nodes, host_vector_bits)
    vector_bits, sched, layout = prep.vector_bits, prep.schedule, prep.layout
    chunks = LLVMChunks(graph, vector_bits)
    t = chunks.type
    n_chunks = len(sched.chunks)
    ranges = part_ranges(n_chunks)
    lines = [
        f"; Generated by gatecc {__version__}: {graph.n_inputs} inputs, {graph.n_outputs} outputs, "
        f"{count_gates(graph)} gates in {n_chunks} functions, {vector_bits}-bit words.  Do not edit.",
        "; Entry points: gatecc_words, gatecc_eval, gatecc_info (see gatecc docs/native.md).  Each part",
        "; below is also a module of its own: gatecc compiles those of big nets in parallel.",
    ]
    signature = "(ptr noalias %in, ptr noalias %out, ptr noalias %s)"
    for p, part in enumerate(ranges):
        lines += ["", f"{PART_MARK}{p}"]
        for index in part:
            lines += chunks.chunk(index, sched.chunks[index])
        lines += [f"define void @gatecc_part{p}{signature} noinline nounwind {{",
                  *(f"  call void @gatecc_chunk{k}(ptr %in, ptr %out, ptr %s)" for k in part),
                  "  ret void", "}"]
    lines += ["", DRIVER_MARK, *_drivers(layout, len(ranges), t)]
    return "\n".join(lines)


def _drivers(layout: Layout, n_parts: int, t: str) -> list[str]:
    """``gatecc_words``, ``gatecc_eval`` and ``gatecc_info``."""
    n_in, n_planes, lanes = layout.n_inputs, layout.n_planes, layout.lanes
    vbytes = 8 * lanes
    tile_vecs = layout.tile_words // lanes
    calls = [f"  call void @gatecc_part{p}(ptr %i, ptr %o, ptr %s)" for p in range(n_parts)]
    info = layout.info()
    return [
        "; n_vec vector words of a tile, word-major: the inputs of word 0, then of word 1, ...; outputs likewise.",
        "define void @gatecc_words(ptr noalias %in, ptr noalias %out, ptr noalias %s, i64 %n_vec) nounwind {",
        "entry:",
        "  %none = icmp eq i64 %n_vec, 0",
        "  br i1 %none, label %done, label %word",
        "word:",
        "  %v = phi i64 [ 0, %entry ], [ %next, %word ]",
        f"  %ioff = mul i64 %v, {n_in}",
        f"  %i = getelementptr inbounds {t}, ptr %in, i64 %ioff",
        f"  %ooff = mul i64 %v, {n_planes}",
        f"  %o = getelementptr inbounds {t}, ptr %out, i64 %ooff",
        *calls,
        "  %next = add i64 %v, 1",
        "  %more = icmp ult i64 %next, %n_vec",
        "  br i1 %more, label %word, label %done",
        "done:",
        "  ret void",
        "}",
        "",
        "; The planes API: plane p at in + p * stride (uint64 words), n_words of them (multiples of the lanes).",
        "define void @gatecc_eval(ptr noalias %in, ptr noalias %out, i64 %stride, i64 %n_words, ptr %work) nounwind {",
        "entry:",
        f"  %tin = getelementptr inbounds i8, ptr %work, i64 {layout.scratch_bytes}",
        f"  %tout = getelementptr inbounds {t}, ptr %tin, i64 {n_in * tile_vecs}",
        "  br label %tile",
        "tile:",
        "  %w0 = phi i64 [ 0, %entry ], [ %w0next, %scattered ]",
        "  %left = sub i64 %n_words, %w0",
        "  %any = icmp ugt i64 %left, 0",
        "  br i1 %any, label %sizes, label %done",
        "sizes:",
        f"  %short = icmp ult i64 %left, {layout.tile_words}",
        f"  %count = select i1 %short, i64 %left, i64 {layout.tile_words}",
        f"  %nvec = udiv i64 %count, {lanes}",
        f"  %ngather = mul i64 %nvec, {n_in}",
        "  %gnone = icmp eq i64 %ngather, 0",
        "  br i1 %gnone, label %gathered, label %gather",
        "gather:",  # element j: vector word j / n_in of plane j % n_in
        "  %gj = phi i64 [ 0, %sizes ], [ %gjnext, %gather ]",
        f"  %gv = udiv i64 %gj, {n_in}",
        f"  %gp = urem i64 %gj, {n_in}",
        "  %gprow = mul i64 %gp, %stride",
        f"  %gvw = mul i64 %gv, {lanes}",
        "  %gcol = add i64 %w0, %gvw",
        "  %gword = add i64 %gprow, %gcol",
        "  %gsrc = getelementptr inbounds i64, ptr %in, i64 %gword",
        f"  %gval = load {t}, ptr %gsrc, align 8",
        f"  %gdst = getelementptr inbounds {t}, ptr %tin, i64 %gj",
        f"  store {t} %gval, ptr %gdst, align {vbytes}",
        "  %gjnext = add i64 %gj, 1",
        "  %gmore = icmp ult i64 %gjnext, %ngather",
        "  br i1 %gmore, label %gather, label %gathered",
        "gathered:",
        "  call void @gatecc_words(ptr %tin, ptr %tout, ptr %work, i64 %nvec)",
        f"  %nscatter = mul i64 %nvec, {n_planes}",
        "  %snone = icmp eq i64 %nscatter, 0",
        "  br i1 %snone, label %scattered, label %scatter",
        "scatter:",
        "  %sj = phi i64 [ 0, %gathered ], [ %sjnext, %scatter ]",
        f"  %sv = udiv i64 %sj, {max(1, n_planes)}",
        f"  %sk = urem i64 %sj, {max(1, n_planes)}",
        "  %skrow = mul i64 %sk, %stride",
        f"  %svw = mul i64 %sv, {lanes}",
        "  %scol = add i64 %w0, %svw",
        "  %sword = add i64 %skrow, %scol",
        f"  %ssrc = getelementptr inbounds {t}, ptr %tout, i64 %sj",
        f"  %sval = load {t}, ptr %ssrc, align {vbytes}",
        "  %sdst = getelementptr inbounds i64, ptr %out, i64 %sword",
        f"  store {t} %sval, ptr %sdst, align 8",
        "  %sjnext = add i64 %sj, 1",
        "  %smore = icmp ult i64 %sjnext, %nscatter",
        "  br i1 %smore, label %scatter, label %scattered",
        "scattered:",
        "  %w0next = add i64 %w0, %count",
        "  br label %tile",
        "done:",
        "  ret void",
        "}",
        "",
        "; The sizes this code was generated for (see gatecc/backends/native.py).",
        "define void @gatecc_info(ptr %info) nounwind {",
        *(line for k, v in enumerate(info) for line in (
            f"  %f{k} = getelementptr inbounds i64, ptr %info, i64 {k}",
            f"  store i64 {v}, ptr %f{k}, align 8")),
        "  ret void",
        "}",
        "",
    ]


def build_llvm(graph: Graph, source: str, options: dict):
    """(address_of, runtime_run, keepalive) of ``source`` JIT-compiled by llvmlite."""
    from .llvm_jit import compile_module, runtime_run

    engine = compile_module(source, logic_nodes(graph), options.get("codegen", "auto"))
    return engine.get_function_address, runtime_run, engine


def llvm_unavailable() -> str | None:
    """None when llvmlite can JIT here, else why not."""
    from .llvm_jit import unavailable_reason

    return unavailable_reason()


TARGET = NativeTarget("llvm", "LLVM IR, bit-parallel vector words (JIT-compiled with llvmlite)", ".ll",
                      options=OPTIONS, renderer=emit_llvm, builder=build_llvm, probe=llvm_unavailable)
