"""LLVM IR for a spatial program (see :mod:`.stencil_program`): the C form's structure in SSA.

The module has a net module's entry points (``gatecc_words``, ``gatecc_eval``,
``gatecc_info``), as the C form (:mod:`.stencil_program_c`) does, so the LLVM
runtime packs rows and decodes counts.  A Conv stage loops over its output
positions with the kernel's chunks inlined, each window entry read at a
constant offset from the position's base plane of a haloed input copy
(:func:`.stencil_program.conv_geometry`); OrPool ORs its window's planes; Or
is a loop; Dense is the ordinary chunk schedule.
"""

from __future__ import annotations

from math import prod

from .llvm import LLVMChunks, host_vector_bits, vector_type, zero_constant
from .native import check_chunk_nodes, check_vector_bits
from .schedule import CHUNK_NODES, FROM_INPUT, FROM_OUTPUT, schedule
from .stencil_program import Plan, ProgramKernel, conv_geometry, positions


class StageChunks(LLVMChunks):
    """A stage graph's chunk functions ``@s{stage}_chunk{k}``; a Conv's read constant offsets from ``%pb``."""

    def __init__(self, graph, vector_bits: int, stage: int, n_pos: int | None, offsets=()):
        super().__init__(graph, vector_bits)
        self.stage, self.n_pos, self.offsets = stage, n_pos, offsets

    def head(self, index: int) -> list[str]:
        self.uses = 0
        if self.n_pos is not None:   # a Conv kernel: inlined into the position loop
            return [f"define internal void @s{self.stage}_chunk{index}(ptr noalias %in, i64 %pb, ptr noalias %out, "
                    "i64 %pos, ptr noalias %s) alwaysinline nounwind {"]
        return [f"define internal void @s{self.stage}_chunk{index}(ptr noalias %in, ptr noalias %out, "
                "ptr noalias %s) noinline nounwind {"]

    def read(self, node: int) -> str:
        base, i = self.loaded[node]
        if self.n_pos is None or base == "%s":
            return super().read(node)
        self.uses += 1
        tmp, t, add = f"%m{node}.{self.uses}", self.type, self.lines.append
        if base == "%in":                  # window entry i: a constant offset from the position's base plane
            add(f"  {tmp}i = add i64 %pb, {self.offsets[i]}")
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


def _halo_copy(st, src, geo) -> list[str]:
    """Blocks ``halo.pre`` .. ``halo.done``: the source map copied into the haloed buffer ``%h``."""
    per = geo.planes
    body = [f"  %hcell = urem i64 %hq, {per}", f"  %hch = udiv i64 %hq, {per}"]
    body += _coords("q", "%hcell", geo.extent)
    coords = []
    for a in range(src.rank):
        body.append(f"  %hi{a} = sub i64 %q{a}, {geo.halo[a][0]}")
        coords.append(f"%hi{a}")
    body.append(f"  %hcb = mul i64 %hch, {positions(src)}")
    body += _window_index("hx", src, coords, st.boundary == "torus", "%hcb")
    t, align = "%T", "%A"
    body += [f"  %hsp = getelementptr inbounds {t}, ptr %src, i64 %hx", f"  %hv = load {t}, ptr %hsp, align {align}",
             f"  %hdp = getelementptr inbounds {t}, ptr %h, i64 %hq", f"  store {t} %hv, ptr %hdp, align {align}"]
    return ["  br label %hq.pre", "hq.pre:", *_loop("hq", "%hq", src.channels * per, body, "halo.done"), "halo.done:"]


def _conv_stage(i, st, src, dst, graph, vector_bits, chunk_nodes) -> list[str]:
    """Stage ``i``: a loop over output positions, the kernel (inlined) reading constant offsets from its base plane.

    A padded or torus input is first copied into a haloed buffer (``%h``,
    :func:`.stencil_program.conv_geometry`), so no read is checked.
    """
    sched = schedule(graph, chunk_nodes)
    n_pos = positions(dst)
    geo = conv_geometry(st, src, dst)
    lines = []
    chunks = StageChunks(graph, vector_bits, i, n_pos, geo.offsets)
    for k, chunk in enumerate(sched.chunks):
        lines += chunks.chunk(k, chunk)
    base = "%h" if geo.padded else "%src"
    body = _coords("o", "%pos", dst.spatial)
    pb = "0"
    for a in range(src.rank):
        body += [f"  %pm{a} = mul i64 %o{a}, {geo.step[a]}", f"  %pb{a} = add i64 {pb}, %pm{a}"]
        pb = f"%pb{a}"
    body += [f"  %pb = add i64 {pb}, 0",
             *(f"  call void @s{i}_chunk{k}(ptr {base}, i64 %pb, ptr %dst, i64 %pos, ptr %s)"
               for k in range(len(sched.chunks)))]
    t, align = vector_type(vector_bits), vector_bits // 8
    halo = [x.replace("%T", t).replace("%A", str(align)) for x in _halo_copy(st, src, geo)] if geo.padded else []
    lines += [f"define internal void @stage{i}(ptr noalias %src, ptr noalias %dst, ptr noalias %s, ptr noalias %h) "
              "nounwind {", "entry:", *halo, "  br label %pos.pre", "pos.pre:",
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
    """LLVM IR of the planned program, with the entry points of a net module (``gatecc_words``, ...)."""
    from .llvm import _drivers
    from .stencil_program_c import program_layout

    vector_bits = check_vector_bits(host_vector_bits() if vector_bits is None else vector_bits)
    chunk_nodes = check_chunk_nodes(chunk_nodes)
    t, align = vector_type(vector_bits), vector_bits // 8
    layout, slots_at, pads = program_layout(p, vector_bits, chunk_nodes)
    lines = [f"; Generated by gatecc: spatial program, {len(p.program.stages)} stages, {vector_bits}-bit words."]
    calls = []
    bufs = p.buffers
    for i, st in enumerate(p.program.stages):
        src, dst, graph = p.shapes[st.src], p.shapes[i + 1], p.graphs[i]
        out = f"%v{bufs[i + 1].offset}"
        if st.kind == "conv":
            lines += _conv_stage(i, st, src, dst, graph, vector_bits, chunk_nodes)
        elif st.kind == "orpool":
            lines += _orpool_stage(i, st, src, dst, vector_bits)
        elif st.kind == "dense":
            sched = schedule(graph, chunk_nodes)
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
        elif st.kind == "conv":
            calls.append(f"  call void @stage{i}(ptr %v{bufs[st.src].offset}, ptr {out}, ptr %scratch, ptr %v{pads[i]})")
        elif st.kind != "flatten":
            calls.append(f"  call void @stage{i}(ptr %v{bufs[st.src].offset}, ptr {out}, ptr %scratch)")
    used = sorted({b.offset for b in bufs} | {b.offset + b.planes for b in bufs} | set(pads) | {0})
    ptrs = [f"  %v{o} = getelementptr inbounds {t}, ptr %work, i64 {o}" for o in used]
    zeros = [f"  store {t} {zero_constant(vector_bits)}, ptr %v{b.offset + b.planes}, align {align}"
             for b in sorted(set(bufs))]
    n_in, n_planes = p.n_inputs, layout.n_planes
    copy_in = ([f"  %ioff = mul i64 %v, {n_in}", f"  %i = getelementptr inbounds {t}, ptr %in, i64 %ioff",
                f"  call void @llvm.memcpy.p0.p0.i64(ptr align {align} %work, ptr align {align} %i, "
                f"i64 {n_in * align}, i1 false)"] if n_in else [])
    copy_out = ([f"  %ooff = mul i64 %v, {n_planes}", f"  %o = getelementptr inbounds {t}, ptr %out, i64 %ooff",
                 f"  call void @llvm.memcpy.p0.p0.i64(ptr align {align} %o, ptr align {align} %v{p.last.offset}, "
                 f"i64 {n_planes * align}, i1 false)"] if n_planes else [])
    if p.last.offset not in used:
        ptrs.append(f"  %v{p.last.offset} = getelementptr inbounds {t}, ptr %work, i64 {p.last.offset}")
    drivers = _drivers(layout, 0, t)
    lines += [
        "declare void @llvm.memcpy.p0.p0.i64(ptr, ptr, i64, i1)",
        "; n_vec vector words of a tile, word-major; work: every value's planes, haloed copies, scratch slots.",
        "define void @gatecc_words(ptr noalias %in, ptr noalias %out, ptr noalias %work, i64 %n_vec) nounwind {",
        "entry:", *ptrs, f"  %scratch = getelementptr inbounds {t}, ptr %work, i64 {slots_at}", *zeros,
        "  %none = icmp eq i64 %n_vec, 0", "  br i1 %none, label %done, label %word",
        "word:", "  %v = phi i64 [ 0, %entry ], [ %vn, %word ]",
        *copy_in, *calls, *copy_out,
        "  %vn = add i64 %v, 1", "  %more = icmp ult i64 %vn, %n_vec",
        "  br i1 %more, label %word, label %done", "done:", "  ret void", "}", "",
        *drivers[drivers.index(next(x for x in drivers if x.startswith("; The planes API"))):]]
    return "\n".join(lines)


def load_llvm(p: Plan, **options) -> ProgramKernel:
    """JIT-compile the LLVM form of the planned program and bind it to the LLVM runtime (packing, decoding)."""
    from .llvm_jit import compile_module, runtime_run
    from .stencil_program_c import native_program

    def bind(source, vector_bits):
        engine = compile_module(source, 0, "full")
        return engine.get_function_address, runtime_run(vector_bits), engine, None   # threads: Python's

    return native_program(p, "llvm", options, emit_program_llvm, bind)
