"""C for a spatial program (see :mod:`.stencil_program`): vector words of samples, one function per stage.

The module has the entry points of a net module (:mod:`.native`), so the
shared runtime (``runtime.c``) packs bool rows into planes in C, calls
``gatecc_words`` per tile and decodes counts in C, and
:class:`.native.NativeKernel` threads it:

``gatecc_words(in, out, work, n_vec)``
    per vector word of samples: the input planes are copied into the work
    buffer, every stage runs, the result's planes are copied out;
``gatecc_eval`` / ``gatecc_info``
    the planes API and the sizes, as for a net.

The work buffer (the descriptor's scratch) holds every value's planes of one
vector word, each Conv's haloed input copy and the scratch slots.  A Conv is
a loop over output positions (rows innermost) whose kernel is inlined and
reads ``p[k]`` at constant offsets from the position's base plane
(:func:`.stencil_program.conv_geometry`: a zero-padded or torus input is
first copied into a buffer with a halo, so no read is checked or goes
through a table).  An OR pool that tiles the conv's map right after it is
fused (:func:`.stencil_program.fused_pools`): the conv's outputs are ORed
into the pooled map as they are produced (a pooled cell's first window cell
assigns them, so the map is never zeroed first).  Dense stages are the
ordinary chunk schedule of their graph (:class:`.c.CChunks`); their chunk
functions, most of the code, are spread over compilation parts that
:mod:`.cbuild` compiles as parallel units, as for a dense net.
"""

from __future__ import annotations

from math import prod
from types import SimpleNamespace

from .. import __version__
from .c import CChunks, _vector_type, host_vector_bits, part_macros
from .render import part_ranges
from .native import Layout, check_chunk_nodes, check_vector_bits, tile_words_for
from .schedule import CHUNK_NODES, FROM_INPUT, FROM_OUTPUT, FROM_SLOT, schedule
from .stencil_program import Plan, ProgramKernel, conv_geometry, fused_pools, positions

#: Options of the C and LLVM forms of a program (native_program checks them).
OPTIONS = ("vector_bits", "chunk_nodes", "threads")

#: Below this many rows per thread a batch is not split further (a row of a conv net is far more work than
#: a dense net's, whose kernels split at :data:`.native.MIN_ROWS_PER_THREAD`).
PROGRAM_MIN_ROWS_PER_THREAD = 512


class StageChunks(CChunks):
    """Chunk functions of one stage's graph, named after the stage.

    A Conv kernel's chunks are inlined into the position loop: input ``j``
    is ``p[offsets[j]]`` (``p`` the position's base plane), output channel
    ``k`` is ``d[k * out_stride]`` (``d`` the output position), assigned, or
    ORed in when a pool is fused.
    """

    def __init__(self, graph, stage: int, offsets=None, out_stride: int = 0, accumulate: bool = False,
                 name: str = "chunk"):
        super().__init__(graph)
        self.stage, self.conv, self.offsets, self.name = stage, offsets is not None, offsets, name
        self.out_stride, self.op = out_stride, "|=" if accumulate else "="
        self.places = {FROM_INPUT: "src[{}]", FROM_SLOT: "s[{}]"}

    def load(self, node: int, place: str, index: int) -> None:
        if self.conv and place == FROM_INPUT:
            self.loaded[node] = f"p[{self.offsets[index]}]"
        elif self.conv and place == FROM_OUTPUT:    # never with a fused pool: its kernel is one chunk
            self.loaded[node] = f"d[{index * self.out_stride}]"
        else:
            super().load(node, place, index)

    def head(self, index: int) -> list[str]:
        if self.conv:
            return [f"static inline __attribute__((always_inline)) void s{self.stage}_{self.name}{index}"
                    "(const V *restrict p, V *restrict d, V *restrict s)", "{"]
        return [f"GATECC_CHUNK void s{self.stage}_chunk{index}{DENSE_SIGNATURE}", "{"]

    def write(self, plane: int, node: int) -> None:
        where = f"d[{plane * self.out_stride}]" if self.conv else f"dst[{plane}]"
        self.lines.append(f"    {where} {self.op} {self.operand(node)};")


#: A dense stage's chunk function: the stage's input planes, its output planes, the scratch slots.
DENSE_SIGNATURE = "(const V *restrict src, V *restrict dst, V *restrict s)"


def _pitches(spatial) -> list[int]:
    return [prod(spatial[a + 1:]) for a in range(len(spatial))]


def _halo_copy(i: int, st, src, geo, pad_at: int) -> list[str]:
    """Copy the source map into stage ``i``'s haloed buffer (zeros, or the wrapped map, in the halo)."""
    rank, torus = src.rank, st.boundary == "torus"
    lines = [f"    V *restrict h = w + {pad_at};", f"    for (int32_t c = 0; c < {src.channels}; ++c)"]
    lines += [f"    for (int32_t q{a} = 0; q{a} < {geo.extent[a]}; ++q{a})" for a in range(rank)]
    lines.append("    {")
    conds = []
    for a in range(rank):
        n = src.spatial[a]
        lines.append(f"        int32_t i{a} = q{a} - {geo.halo[a][0]};")
        if torus:
            lines.append(f"        i{a} = ((i{a} % {n}) + {n}) % {n};")
        conds.append(f"(uint32_t)i{a} < {n}u")
    hp, sp = _pitches(geo.extent), _pitches(src.spatial)
    at = " + ".join(f"(size_t)q{a} * {hp[a]}" for a in range(rank))
    read = " + ".join(f"(size_t)i{a} * {sp[a]}" for a in range(rank))
    value = f"src[(size_t)c * {positions(src)} + {read}]"
    if not torus:
        value = f"({' && '.join(conds)}) ? {value} : GATECC_ZERO"
    lines += [f"        h[(size_t)c * {geo.planes} + {at}] = {value};", "    }"]
    return lines


def _conv_stage(i: int, st, src, dst, graph, chunk_nodes: int, pad_at: int, pool=None, pooled=None) -> list[str]:
    """Stage ``i``: the kernel inlined in a loop over output positions (or pooled positions, ``pool`` fused)."""
    geo = conv_geometry(st, src, dst)
    # A fused pool ORs outputs into the pooled map, so no chunk may read an output back: one chunk then.
    sched = schedule(graph, chunk_nodes if pool is None else max(chunk_nodes, graph.n_nodes))
    out = pooled if pool is not None else dst
    chunks = StageChunks(graph, i, geo.offsets, positions(out), accumulate=pool is not None)
    lines = []
    for k, chunk in enumerate(sched.chunks):
        lines += chunks.chunk(k, chunk)
    if pool is not None:    # the pooled cell's first window cell assigns its outputs: no zeroing pass
        lines += StageChunks(graph, i, geo.offsets, positions(out), name="set").chunk(0, sched.chunks[0])
    rank = src.rank
    lines += [f"static void stage{i}(const V *restrict src, V *restrict dst, V *restrict s, V *restrict w)", "{",
              "    (void)w;"]
    base = "src"
    if geo.padded:
        lines += _halo_copy(i, st, src, geo, pad_at)
        base = "h"
    calls = [f"s{i}_chunk{k}(p, d, s);" for k in range(len(sched.chunks))]
    op = _pitches(out.spatial)
    if pool is None:
        lines += [f"    for (int32_t o{a} = 0; o{a} < {dst.spatial[a]}; ++o{a})" for a in range(rank)]
        at = " + ".join(f"(size_t)o{a} * {op[a]}" for a in range(rank))
        lines += ["    {", f"        const V *restrict p = {base} + "
                  + " + ".join(f"(size_t)o{a} * {geo.step[a]}" for a in range(rank)) + ";",
                  f"        V *restrict d = dst + {at};", *(f"        {c}" for c in calls), "    }"]
    else:
        lines += [f"    for (int32_t q{a} = 0; q{a} < {pooled.spatial[a]}; ++q{a})" for a in range(rank)]
        at = " + ".join(f"(size_t)q{a} * {op[a]}" for a in range(rank))
        # Every pool window sees a cell of the map (the verifier bounds padding by half the window), so
        # `first` is always cleared and every output of the cell assigned.
        lines += ["    {", f"        V *restrict d = dst + {at};", "        int first = 1;"]
        indent = "        "
        for a in range(rank):
            lines += [f"{indent}for (int32_t k{a} = 0; k{a} < {pool.size[a]}; ++k{a}) {{",
                      f"{indent}    const int32_t o{a} = q{a} * {pool.stride[a]} - {pool.padding[a]} + k{a};",
                      f"{indent}    if ((uint32_t)o{a} >= {dst.spatial[a]}u) continue;"]
            indent += "    "
        lines.append(f"{indent}const V *restrict p = {base} + "
                     + " + ".join(f"(size_t)o{a} * {geo.step[a]}" for a in range(rank)) + ";")
        lines += [f"{indent}if (first) {{ s{i}_set0(p, d, s); first = 0; }}", f"{indent}else {calls[0]}"]
        for _ in range(rank):
            indent = indent[:-4]
            lines.append(f"{indent}}}")
        lines.append("    }")
    lines += ["}", ""]
    return lines


def _orpool_stage(i: int, st, src, dst) -> list[str]:
    rank = src.rank
    lines = [f"static void stage{i}(const V *restrict src, V *restrict dst, V *restrict s, V *restrict w)", "{",
             "    (void)s; (void)w;", f"    for (int32_t c = 0; c < {src.channels}; ++c)"]
    lines += [f"    for (int32_t o{a} = 0; o{a} < {dst.spatial[a]}; ++o{a})" for a in range(rank)]
    dp, sp = _pitches(dst.spatial), _pitches(src.spatial)
    pos = " + ".join(f"(size_t)o{a} * {dp[a]}" for a in range(rank)) or "0"
    flat = " + ".join(f"(size_t)i{a} * {sp[a]}" for a in range(rank)) or "0"
    lines += ["    {", "        V acc = GATECC_ZERO;"]
    indent = "        "
    for a in range(rank):
        lines += [f"{indent}for (int32_t k{a} = 0; k{a} < {st.size[a]}; ++k{a}) {{",
                  f"{indent}    const int32_t i{a} = o{a} * {st.stride[a]} - {st.padding[a]} + k{a};",
                  f"{indent}    if ((uint32_t)i{a} >= {src.spatial[a]}u) continue;"]
        indent += "    "
    lines.append(f"{indent}acc |= src[(size_t)c * {positions(src)} + {flat}];")
    for a in reversed(range(rank)):
        indent = indent[:-4]
        lines.append(f"{indent}}}")
    lines += [f"        dst[(size_t)c * {positions(dst)} + {pos}] = acc;", "    }", "}", ""]
    return lines


def _dense_stage(i: int, graph, chunk_nodes: int) -> tuple[list[list[str]], list[str]]:
    """Stage ``i``'s chunk functions (one list of lines each, for the compilation parts) and the stage function."""
    sched = schedule(graph, chunk_nodes)
    chunks = StageChunks(graph, i)
    functions = [chunks.chunk(k, chunk) for k, chunk in enumerate(sched.chunks)]
    return functions, [f"static void stage{i}(const V *restrict src, V *restrict dst, V *restrict s, V *restrict w)",
                       "{", "    (void)w;", *(f"    s{i}_chunk{k}(src, dst, s);" for k in range(len(sched.chunks))),
                       "}", ""]


def _parts(functions: list[tuple[str, list[str]]]) -> list[str]:
    """The dense chunk functions (name, lines) declared, then spread over compilation parts 1..n.

    Part 0 (the conv and pool stages, the entry points) is the rest of the file; :mod:`.cbuild` compiles a big
    source's parts as parallel units (``-DGATECC_PART_FIRST=a -DGATECC_PART_LAST=b``) and links them, as for a
    dense net (:func:`.c.emit_c`): the dense head, most of the code, no longer compiles on one core.
    """
    ranges = part_ranges(len(functions))
    lines = [*part_macros(len(ranges)),
             *(f"GATECC_CHUNK void {name}{DENSE_SIGNATURE};" for name, _ in functions), ""]
    for p, part in enumerate(ranges, start=1):
        lines.append(f"#if GATECC_IN_PART({p})")
        for index in part:
            lines += functions[index][1]
        lines += ["#endif", ""]
    return lines + ["#if GATECC_IN_PART(0)"]


def program_layout(p: Plan, vector_bits: int, chunk_nodes: int) -> tuple[Layout, int, list[int]]:
    """(native Layout, first slot vector, per stage the work offset of its haloed input) of the C form."""
    shapes, top, pads = p.shapes, p.total_planes, []
    n_slots = 0
    for i, st in enumerate(p.program.stages):
        pads.append(top)
        if st.kind == "conv":
            geo = conv_geometry(st, shapes[st.src], shapes[i + 1])
            top += shapes[st.src].channels * geo.planes if geo.padded else 0
        if st.kind in ("conv", "dense"):
            n_slots = max(n_slots, schedule(p.graphs[i], chunk_nodes).n_slots)
    lanes, out = vector_bits // 64, p.out_layout
    n_planes = p.out_planes
    layout = Layout(lanes=lanes, n_inputs=p.n_inputs, n_planes=n_planes,
                    n_outputs=len(out.outputs) if out is not None else n_planes, n_slots=top + max(1, n_slots),
                    tile_words=tile_words_for(lanes, p.n_inputs, n_planes),
                    counts=out is not None and any(kind == "count" for kind, _, _ in out.outputs))
    return layout, top, pads


def output_layout(p: Plan):
    """The result's plane layout for the runtime's decoder (one bit per plane for a map-valued result)."""
    if p.out_layout is not None:
        return p.out_layout
    return SimpleNamespace(outputs=tuple(("bit", k, 1) for k in range(p.out_planes)))


def emit_program_c(p: Plan, vector_bits: int | None = None, chunk_nodes: int = CHUNK_NODES["c"]) -> str:
    """C source of the planned program, with the entry points of a net module."""
    vector_bits = check_vector_bits(host_vector_bits() if vector_bits is None else vector_bits)
    chunk_nodes = check_chunk_nodes(chunk_nodes)
    prog, shapes, bufs = p.program, p.shapes, p.buffers
    layout, slots_at, pads = program_layout(p, vector_bits, chunk_nodes)
    fused = fused_pools(prog)
    lines = [f"/* Generated by gatecc {__version__}: spatial program, {len(prog.stages)} stages, "
             f"{vector_bits}-bit words.  Do not edit. */",
             "#include <stddef.h>", "#include <stdint.h>", "#include <string.h>", "",
             _vector_type(vector_bits), f"#define GATECC_LANES {vector_bits // 64}",
             "#define GATECC_ZERO ((V){0})",
             "#define GATECC_ONES (~(V){0})", ""]
    head = len(lines)
    calls, dense = [], []
    skip = set(fused.values())
    for i, st in enumerate(prog.stages):
        src, dst, graph = shapes[st.src], shapes[i + 1], p.graphs[i]
        out = f"w + {bufs[i + 1].offset}"
        args = f"w + {bufs[st.src].offset}, {out}, w + {slots_at}, w"
        if i in skip or st.kind == "flatten":
            continue
        if st.kind == "conv":
            if i in fused:
                j = fused[i]
                lines += _conv_stage(i, st, src, dst, graph, chunk_nodes, pads[i], prog.stages[j], shapes[j + 1])
                args = f"w + {bufs[st.src].offset}, w + {bufs[j + 1].offset}, w + {slots_at}, w"
            else:
                lines += _conv_stage(i, st, src, dst, graph, chunk_nodes, pads[i])
        elif st.kind == "orpool":
            lines += _orpool_stage(i, st, src, dst)
        elif st.kind == "dense":
            functions, stage = _dense_stage(i, graph, chunk_nodes)
            dense += [(f"s{i}_chunk{k}", f) for k, f in enumerate(functions)]
            lines += stage
        elif st.kind == "or":
            lines += [f"static void stage{i}(const V *restrict a, const V *restrict b, V *restrict dst)", "{",
                      f"    for (size_t k = 0; k < {dst.size}; ++k) dst[k] = a[k] | b[k];", "}", ""]
            args = f"w + {bufs[st.src].offset}, w + {bufs[st.other].offset}, {out}"
        calls.append(f"        stage{i}({args});")
    lines[head:head] = _parts(dense)
    zeros = sorted({b.offset + b.planes for b in bufs})   # each value's zero plane
    n_in, n_planes = p.n_inputs, layout.n_planes
    lines += [
        f"#define GATECC_N_IN {n_in}",
        f"#define GATECC_N_PLANES {n_planes}",
        f"#define GATECC_TILE_WORDS {layout.tile_words}",
        f"#define GATECC_SCRATCH_BYTES {layout.scratch_bytes}",
        "/* n_vec vector words of a tile, word-major (all input planes of word 0, then of word 1, ...); the",
        "   output planes likewise.  work: every value's planes of one word, haloed copies, scratch slots. */",
        "void gatecc_words(const V *restrict in, V *restrict out, V *restrict work, size_t n_vec)",
        "{",
        "    V *w = work;",
        *(f"    w[{z}] = GATECC_ZERO;" for z in zeros),
        "    for (size_t v = 0; v < n_vec; ++v) {",
        f"        memcpy(w, in + v * GATECC_N_IN, {n_in} * sizeof(V));",
        *calls,
        f"        memcpy(out + v * GATECC_N_PLANES, w + {p.last.offset}, {n_planes} * sizeof(V));",
        "    }",
        "}",
        "",
        "/* The planes API: plane p of the input at in + p * stride (uint64 words), n_words words of it. */",
        "void gatecc_eval(const uint64_t *in, uint64_t *out, size_t stride, size_t n_words, void *work)",
        "{",
        "    V *s = (V *)work;",
        "    V *tin = (V *)((char *)work + GATECC_SCRATCH_BYTES);",
        "    V *tout = tin + GATECC_N_IN;",
        "    for (size_t w0 = 0; w0 < n_words; w0 += GATECC_LANES) {",
        "        for (size_t p = 0; p < GATECC_N_IN; ++p) memcpy(tin + p, in + p * stride + w0, sizeof(V));",
        "        gatecc_words(tin, tout, s, 1);",
        "        for (size_t k = 0; k < GATECC_N_PLANES; ++k) memcpy(out + k * stride + w0, tout + k, sizeof(V));",
        "    }",
        "}",
        "",
        "void gatecc_info(uint64_t *info)",
        "{",
        f"    static const uint64_t values[] = {{{', '.join(str(v) for v in layout.info())}}};",
        "    memcpy(info, values, sizeof values);",
        "}",
        "#endif",
        "",
    ]
    return "\n".join(lines)


def native_program(p: Plan, target: str, options: dict, emit, bind) -> ProgramKernel:
    """Check a native target's options, emit the planned program with ``emit(p, vector_bits, chunk_nodes)``
    and bind the built module: ``bind(source, vector_bits) -> (address(name), runtime run, keepalive, runtime
    run over pthreads or None)``."""
    from .native import NativeKernel
    from .target import check_options

    check_options(target, options, OPTIONS)
    vector_bits = check_vector_bits(host_vector_bits() if options.get("vector_bits") is None
                                    else options["vector_bits"])
    chunk_nodes = check_chunk_nodes(options.get("chunk_nodes", CHUNK_NODES[target]))
    source = emit(p, vector_bits, chunk_nodes)
    layout, _, _ = program_layout(p, vector_bits, chunk_nodes)
    address, run, keepalive, run_threads = bind(source, vector_bits)
    kernel = NativeKernel(address("gatecc_eval"), run,
                          layout.descriptor(address("gatecc_words"), output_layout(p)), layout,
                          keepalive=keepalive, threads=options.get("threads") or 1, run_threads_address=run_threads,
                          min_rows_per_thread=PROGRAM_MIN_ROWS_PER_THREAD)
    return ProgramKernel(p, None, source, vector_bits, native=kernel)


def load_c(p: Plan, **options) -> ProgramKernel:
    """Build the C form of the planned program and bind it to the native runtime (packing, decoding, pthreads)."""
    from .c_runtime import runtime_run, runtime_run_threads
    from .cbuild import function_address, load_library
    from .native import NET_CDEF

    def bind(source, vector_bits):
        ffi, lib = load_library(source, NET_CDEF)
        return ((lambda name: function_address(ffi, lib, name)), runtime_run(vector_bits), (ffi, lib),
                runtime_run_threads(vector_bits))

    return native_program(p, "c", options, emit_program_c, bind)
