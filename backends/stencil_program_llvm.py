"""LLVM IR for a spatial program (see :mod:`.stencil_program`): the C form's structure in SSA.

``gatecc_program(in, out, stride, n_words, work)`` has the planes API of the
C form (:mod:`.stencil_program_c`).  A Conv stage loops over its output
positions; per position it fills the index table ``idx`` (the plane each
window entry reads: wrapped for the torus, the value's zero plane outside a
zero boundary) from constant per-entry offset tables and calls the kernel's
chunk functions (:class:`.llvm.LLVMChunks`, reading inputs through ``idx``).
OrPool ORs window planes read through the same zero-plane trick (no
branches); Or is a loop; Dense is the ordinary chunk schedule.
"""

from __future__ import annotations

from math import prod

from .llvm import LLVMChunks, host_vector_bits, vector_type, zero_constant
from .native import check_chunk_nodes, check_vector_bits
from .schedule import CHUNK_NODES, FROM_INPUT, FROM_OUTPUT, schedule
from .stencil_program import Plan, ProgramKernel, positions, window_table

#: Options of the LLVM form of a program.
OPTIONS = ("vector_bits", "chunk_nodes")


class StageChunks(LLVMChunks):
    """A stage graph's chunk functions ``@s{stage}_chunk{k}``; a Conv's read inputs through ``%idx``."""

    def __init__(self, graph, vector_bits: int, stage: int, n_pos: int | None):
        super().__init__(graph, vector_bits)
        self.stage, self.n_pos = stage, n_pos

    def head(self, index: int) -> list[str]:
        self.uses = 0
        args = ("ptr noalias %in, ptr noalias %idx, ptr noalias %out, i64 %pos, ptr noalias %s"
                if self.n_pos is not None else "ptr noalias %in, ptr noalias %out, ptr noalias %s")
        return [f"define internal void @s{self.stage}_chunk{index}({args}) noinline nounwind {{"]

    def read(self, node: int) -> str:
        base, i = self.loaded[node]
        if self.n_pos is None or base == "%s":
            return super().read(node)
        self.uses += 1
        tmp, t, add = f"%m{node}.{self.uses}", self.type, self.lines.append
        if base == "%in":
            add(f"  {tmp}j = getelementptr inbounds i64, ptr %idx, i64 {i}")
            add(f"  {tmp}i = load i64, ptr {tmp}j, align 8")
        else:
            add(f"  {tmp}i = add i64 %pos, {i * self.n_pos}")
        add(f"  {tmp}p = getelementptr inbounds {t}, ptr {base}, i64 {tmp}i")
        add(f"  {tmp} = load {t}, ptr {tmp}p, align {self.align}")
        return tmp

    def write(self, plane: int, node: int) -> None:
        if self.n_pos is None:
            return super().write(plane, node)
        t = self.type
        self.lines.append(f"  %o{plane}i = add i64 %pos, {plane * self.n_pos}")
        self.lines.append(f"  %o{plane} = getelementptr inbounds {t}, ptr %out, i64 %o{plane}i")
        self.lines.append(f"  store {t} {self.operand(node)}, ptr %o{plane}, align {self.align}")


def _coords(prefix: str, index: str, spatial) -> list[str]:
    """``%{prefix}{a}`` = coordinate a of flat position ``index`` in a map of ``spatial`` sizes."""
    lines, rest = [], index
    for a in reversed(range(len(spatial))):
        lines.append(f"  %{prefix}{a} = urem i64 {rest}, {spatial[a]}")
        lines.append(f"  %{prefix}q{a} = udiv i64 {rest}, {spatial[a]}")
        rest = f"%{prefix}q{a}"
    return lines


def _window_index(tag: str, src, coords, torus: bool, base: str) -> list[str]:
    """``%{tag}`` = ``base`` + the flat plane of input coordinates ``coords`` (i64 SSA names), or the zero plane."""
    lines, flat, inside = [], base, None
    for a, c in enumerate(coords):
        n, stride = src.spatial[a], prod(src.spatial[a + 1:])
        if torus:
            lines += [f"  %{tag}r{a} = srem i64 {c}, {n}", f"  %{tag}s{a} = add i64 %{tag}r{a}, {n}",
                      f"  %{tag}w{a} = srem i64 %{tag}s{a}, {n}"]
            c = f"%{tag}w{a}"
        else:
            lines.append(f"  %{tag}in{a} = icmp ult i64 {c}, {n}")     # negative coordinates wrap to huge
            if inside is None:
                inside = f"%{tag}in{a}"
            else:
                lines.append(f"  %{tag}and{a} = and i1 {inside}, %{tag}in{a}")
                inside = f"%{tag}and{a}"
        lines += [f"  %{tag}m{a} = mul i64 {c}, {stride}", f"  %{tag}f{a} = add i64 {flat}, %{tag}m{a}"]
        flat = f"%{tag}f{a}"
    if inside is None:
        lines.append(f"  %{tag} = add i64 {flat}, 0")
    else:
        lines.append(f"  %{tag} = select i1 {inside}, i64 {flat}, i64 {src.size}")
    return lines


def _loop(label: str, counter: str, count: int, body: list[str], after: str) -> list[str]:
    """A counted loop ``for counter in range(count)`` (blocks ``L{label}``, ``L{label}.latch``), entered from
    block ``{label}.pre`` and left to block ``after``; ``count`` >= 1."""
    return [f"  br label %L{label}", f"L{label}:",
            f"  {counter} = phi i64 [ 0, %{label}.pre ], [ {counter}.n, %L{label}.latch ]", *body,
            f"  br label %L{label}.latch", f"L{label}.latch:", f"  {counter}.n = add i64 {counter}, 1",
            f"  {counter}.c = icmp ult i64 {counter}.n, {count}",
            f"  br i1 {counter}.c, label %L{label}, label %{after}"]


def _conv_stage(i, st, src, dst, graph, vector_bits, chunk_nodes) -> list[str]:
    sched = schedule(graph, chunk_nodes)
    n_pos = positions(dst)
    lines = []
    chunks = StageChunks(graph, vector_bits, i, n_pos)
    for k, chunk in enumerate(sched.chunks):
        lines += chunks.chunk(k, chunk)
    dcs, ds = window_table(st, src)
    n_win, rank = len(st.window), src.rank

    def table(name, values):
        items = ", ".join(f"i64 {v}" for v in values) or "i64 0"
        return f"@s{i}_{name} = internal constant [{max(1, n_win)} x i64] [{items}]"

    lines += [table("dc", [dc * positions(src) for dc in dcs]), *(table(f"d{a}", ds[a]) for a in range(rank))]
    win = [f"  %dcp = getelementptr inbounds i64, ptr @s{i}_dc, i64 %j", "  %dc = load i64, ptr %dcp, align 8"]
    coords = []
    for a in range(rank):
        win += [f"  %dp{a} = getelementptr inbounds i64, ptr @s{i}_d{a}, i64 %j", f"  %d{a} = load i64, ptr %dp{a}, align 8",
                f"  %c{a} = add i64 %b{a}, %d{a}"]
        coords.append(f"%c{a}")
    win += _window_index("ix", src, coords, st.boundary == "torus", "%dc")
    win += ["  %ip = getelementptr inbounds i64, ptr %idx, i64 %j", "  store i64 %ix, ptr %ip, align 8"]
    body = _coords("o", "%pos", dst.spatial)
    body += [line for a in range(rank) for line in (f"  %bm{a} = mul i64 %o{a}, {st.stride[a]}",
                                                     f"  %b{a} = sub i64 %bm{a}, {st.padding[a]}")]
    body += ["  br label %win.pre", "win.pre:"] + (_loop("win", "%j", n_win, win, "calls") if n_win else
                                                    ["  br label %calls"])
    body += ["calls:", *(f"  call void @s{i}_chunk{k}(ptr %src, ptr %idx, ptr %dst, i64 %pos, ptr %s)"
                         for k in range(len(sched.chunks)))]
    lines += [f"define internal void @stage{i}(ptr noalias %src, ptr noalias %dst, ptr noalias %s) nounwind {{",
              "entry:", f"  %idx = alloca [{max(1, n_win)} x i64], align 8", "  br label %pos.pre", "pos.pre:",
              *_loop("pos", "%pos", n_pos, body, "done"), "done:", "  ret void", "}", ""]
    return lines


def _orpool_stage(i, st, src, dst, vector_bits) -> list[str]:
    t, align = vector_type(vector_bits), vector_bits // 8
    n_pos, n_k = positions(dst), prod(st.size)
    win = _coords("k", "%k", st.size)
    coords = []
    for a in range(src.rank):
        win += [f"  %bm{a} = mul i64 %o{a}, {st.stride[a]}", f"  %b{a} = sub i64 %bm{a}, {st.padding[a]}",
                f"  %c{a} = add i64 %b{a}, %k{a}"]
        coords.append(f"%c{a}")
    win += ["  %cb = mul i64 %ch, " + str(positions(src))]
    win += _window_index("ix", src, coords, False, "%cb")
    # The accumulator lives in memory (one slot): simpler than threading phis through the loops.
    win += [f"  %sp = getelementptr inbounds {t}, ptr %src, i64 %ix", f"  %v = load {t}, ptr %sp, align {align}",
            f"  %a0 = load {t}, ptr %acc, align {align}", f"  %a1 = or {t} %a0, %v",
            f"  store {t} %a1, ptr %acc, align {align}"]
    body = ["  %cell = urem i64 %cp, " + str(n_pos), "  %ch = udiv i64 %cp, " + str(n_pos)]
    body += _coords("o", "%cell", dst.spatial)
    body += [f"  store {t} {zero_constant(vector_bits)}, ptr %acc, align {align}", "  br label %win.pre", "win.pre:"]
    body += _loop("win", "%k", n_k, win, "put")
    body += ["put:", f"  %r = load {t}, ptr %acc, align {align}",
             f"  %dp = getelementptr inbounds {t}, ptr %dst, i64 %cp", f"  store {t} %r, ptr %dp, align {align}"]
    return [f"define internal void @stage{i}(ptr noalias %src, ptr noalias %dst, ptr noalias %s) nounwind {{",
            "entry:", f"  %acc = alloca {t}, align {align}", "  br label %cp.pre", "cp.pre:",
            *_loop("cp", "%cp", src.channels * n_pos, body, "done"), "done:", "  ret void", "}", ""]


def _or_stage(i, dst, vector_bits) -> list[str]:
    t, align = vector_type(vector_bits), vector_bits // 8
    body = [f"  %ap = getelementptr inbounds {t}, ptr %a, i64 %k", f"  %av = load {t}, ptr %ap, align {align}",
            f"  %bp = getelementptr inbounds {t}, ptr %b, i64 %k", f"  %bv = load {t}, ptr %bp, align {align}",
            f"  %v = or {t} %av, %bv", f"  %dp = getelementptr inbounds {t}, ptr %dst, i64 %k",
            f"  store {t} %v, ptr %dp, align {align}"]
    return [f"define internal void @stage{i}(ptr noalias %a, ptr noalias %b, ptr noalias %dst) nounwind {{",
            "entry:", "  br label %k.pre", "k.pre:", *_loop("k", "%k", max(1, dst.size), body, "done"),
            "done:", "  ret void", "}", ""]


def emit_program_llvm(p: Plan, vector_bits: int | None = None, chunk_nodes: int = CHUNK_NODES["llvm"]) -> str:
    """LLVM IR of ``gatecc_program`` for the planned program."""
    vector_bits = check_vector_bits(host_vector_bits() if vector_bits is None else vector_bits)
    chunk_nodes = check_chunk_nodes(chunk_nodes)
    t, align, lanes = vector_type(vector_bits), vector_bits // 8, vector_bits // 64
    lines = [f"; Generated by gatecc: spatial program, {len(p.program.stages)} stages, {vector_bits}-bit words."]
    n_slots, calls = 0, []
    bufs = p.buffers
    for i, st in enumerate(p.program.stages):
        src, dst, graph = p.shapes[st.src], p.shapes[i + 1], p.graphs[i]
        out = f"%v{bufs[i + 1].offset}"
        if st.kind == "conv":
            lines += _conv_stage(i, st, src, dst, graph, vector_bits, chunk_nodes)
            n_slots = max(n_slots, schedule(graph, chunk_nodes).n_slots)
        elif st.kind == "orpool":
            lines += _orpool_stage(i, st, src, dst, vector_bits)
        elif st.kind == "dense":
            sched = schedule(graph, chunk_nodes)
            n_slots = max(n_slots, sched.n_slots)
            chunks = StageChunks(graph, vector_bits, i, None)
            for k, chunk in enumerate(sched.chunks):
                lines += chunks.chunk(k, chunk)
            lines += [f"define internal void @stage{i}(ptr noalias %in, ptr noalias %out, ptr noalias %s) nounwind {{",
                      *(f"  call void @s{i}_chunk{k}(ptr %in, ptr %out, ptr %s)" for k in range(len(sched.chunks))),
                      "  ret void", "}", ""]
        elif st.kind == "or":
            lines += _or_stage(i, dst, vector_bits)
        if st.kind == "or":
            calls.append(f"  call void @stage{i}(ptr %v{bufs[st.src].offset}, ptr %v{bufs[st.other].offset}, ptr {out})")
        elif st.kind != "flatten":
            calls.append(f"  call void @stage{i}(ptr %v{bufs[st.src].offset}, ptr {out}, ptr %scratch)")
    used = sorted({b.offset for b in bufs} | {b.offset + b.planes for b in bufs} | {p.total_planes})
    ptrs = [f"  %v{o} = getelementptr inbounds {t}, ptr %work, i64 {o}" for o in used]
    zeros = [f"  store {t} {zero_constant(vector_bits)}, ptr %v{b.offset + b.planes}, align {align}"
             for b in sorted(set(bufs))]
    gather = ["  %gr = mul i64 %g, %stride", "  %gc = add i64 %gr, %w0", "  %gs = getelementptr inbounds i64, ptr %in, i64 %gc",
              f"  %gv = load {t}, ptr %gs, align 8", f"  %gd = getelementptr inbounds {t}, ptr %work, i64 %g",
              f"  store {t} %gv, ptr %gd, align {align}"]
    scatter = ["  %sr = mul i64 %q, %stride", "  %sc = add i64 %sr, %w0", "  %sd = getelementptr inbounds i64, ptr %out, i64 %sc",
               f"  %sk = add i64 %q, {p.last.offset}", f"  %ss = getelementptr inbounds {t}, ptr %work, i64 %sk",
               f"  %sv = load {t}, ptr %ss, align {align}", f"  store {t} %sv, ptr %sd, align 8"]
    word = (["  br label %g.pre", "g.pre:", *_loop("g", "%g", p.n_inputs, gather, "stages")] if p.n_inputs else
            ["  br label %stages"])
    word += ["stages:", *calls]
    word += ["  br label %q.pre", "q.pre:", *_loop("q", "%q", p.out_planes, scatter, "word.end")] if p.out_planes else []
    word += ["  br label %word.end"] if not p.out_planes else []
    word += ["word.end:"]
    lines += [
        f"; work: {(p.total_planes + max(1, n_slots)) * align} bytes (GATECC_WORK_BYTES)",
        "define void @gatecc_program(ptr noalias %in, ptr noalias %out, i64 %stride, i64 %n_words, ptr %work) nounwind {",
        "entry:", *ptrs, f"  %scratch = getelementptr inbounds {t}, ptr %work, i64 {p.total_planes}", *zeros,
        "  %none = icmp eq i64 %n_words, 0", "  br i1 %none, label %done, label %word",
        "word:", "  %w0 = phi i64 [ 0, %entry ], [ %w0n, %word.end ]",
        *word,
        f"  %w0n = add i64 %w0, {lanes}", "  %more = icmp ult i64 %w0n, %n_words",
        "  br i1 %more, label %word, label %done", "done:", "  ret void", "}", ""]
    return "\n".join(lines)


def load_llvm(p: Plan, **options) -> ProgramKernel:
    """JIT-compile the LLVM form of the planned program and wrap it in a :class:`ProgramKernel`."""
    import numpy as np

    from .llvm_jit import compile_module
    from .native import aligned_empty, function_at
    from .target import check_options

    check_options("llvm", options, OPTIONS)
    source = emit_program_llvm(p, options.get("vector_bits"), options.get("chunk_nodes", CHUNK_NODES["llvm"]))
    engine = compile_module(source, 0, "full", entry_points=("gatecc_program",))
    work_bytes = int(source.split("; work: ")[1].split()[0])
    vector_bits = int(source.split("stages, ")[1].split("-bit")[0])
    fn = function_at(engine.get_function_address("gatecc_program"),
                     "void(*)(const uint64_t *, uint64_t *, uint64_t, uint64_t, void *)")
    from .native import _ffi

    ffi = _ffi()

    def run(planes, n_words):
        work = aligned_empty(work_bytes)
        out = np.zeros((p.out_planes, n_words), np.uint64)
        fn(ffi.from_buffer("uint64_t[]", planes), ffi.from_buffer("uint64_t[]", out), n_words, n_words,
           ffi.from_buffer("char[]", work))
        return out

    kernel = ProgramKernel(p, run, source, vector_bits)
    kernel._engine = engine        # keeps the JIT code alive
    return kernel
