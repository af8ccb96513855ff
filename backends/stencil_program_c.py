"""C for a spatial program (see :mod:`.stencil_program`): vector words of samples, one function per stage.

``void gatecc_program(const uint64_t *in, uint64_t *out, size_t stride,
size_t n_words, void *work)`` has the planes API of ``gatecc_eval``
(docs/native.md): input plane p at ``in + p * stride``, ``n_words`` words (a
multiple of the lanes), output plane k to ``out + k * stride``; ``work``
holds every value's planes of one vector word and the scratch slots
(``GATECC_WORK_BYTES``).  Kernel and Dense graphs are rendered by the shared
chunk renderer (:class:`.c.CChunks`); a Conv's chunk functions read their
inputs through the position's index table ``idx``.
"""

from __future__ import annotations

from .. import __version__
from .c import CChunks, _vector_type, host_vector_bits
from .native import check_chunk_nodes, check_vector_bits
from .schedule import CHUNK_NODES, FROM_INPUT, FROM_OUTPUT, FROM_SLOT, schedule
from .stencil_program import Plan, ProgramKernel, positions, window_table

PROGRAM_CDEF = "void gatecc_program(const uint64_t *in, uint64_t *out, size_t stride, size_t n_words, void *work);"

#: Options of the C form of a program.
OPTIONS = ("vector_bits", "chunk_nodes")


class StageChunks(CChunks):
    """Chunk functions of one stage's graph, named after the stage."""

    def __init__(self, graph, stage: int, out_stride: int | None):
        super().__init__(graph)
        self.stage, self.conv = stage, out_stride is not None
        if self.conv:   # inputs through the index table, outputs at the position
            self.places = {FROM_INPUT: "src[idx[{}]]", FROM_SLOT: "s[{}]",
                           FROM_OUTPUT: f"dst[{{}} * {out_stride} + pos]"}
            self.out_stride = out_stride
        else:
            self.places = {FROM_INPUT: "src[{}]", FROM_SLOT: "s[{}]", FROM_OUTPUT: "dst[{}]"}

    def signature(self, index: int) -> str:
        """The chunk function's declaration."""
        args = ("const V *restrict src, const int32_t *restrict idx, V *restrict dst, size_t pos, V *restrict s"
                if self.conv else "const V *restrict src, V *restrict dst, V *restrict s")
        return f"static __attribute__((noinline)) void s{self.stage}_chunk{index}({args})"

    def head(self, index: int) -> list[str]:
        return [self.signature(index), "{"]

    def write(self, plane: int, node: int) -> None:
        where = f"dst[{plane} * {self.out_stride} + pos]" if self.conv else f"dst[{plane}]"
        self.lines.append(f"    {where} = {self.operand(node)};")


def _conv_stage(i: int, st, src, dst, graph, chunk_nodes: int) -> list[str]:
    sched = schedule(graph, chunk_nodes)
    n_pos = positions(dst)
    chunks = StageChunks(graph, i, n_pos)
    dcs, ds = window_table(st, src)
    rank, n_win = src.rank, max(1, len(st.window))
    in_pos = positions(src)
    lines = []
    for k, chunk in enumerate(sched.chunks):
        lines += chunks.chunk(k, chunk)

    def table(name, values):
        return f"static const int32_t s{i}_{name}[{n_win}] = {{{', '.join(map(str, values or [0]))}}};"

    lines += [table("dc", [dc * in_pos for dc in dcs]), *(table(f"d{a}", ds[a]) for a in range(rank))]
    lines += [f"static void stage{i}(const V *restrict src, V *restrict dst, V *restrict s)", "{",
              f"    int32_t idx[{n_win}];"]
    loops = [f"    for (int32_t o{a} = 0; o{a} < {dst.spatial[a]}; ++o{a})" for a in range(rank)]
    pos = " + ".join(f"(size_t)o{a} * {positions(type(dst)(1, dst.spatial[a + 1:]))}" for a in range(rank)) or "0"
    torus = st.boundary == "torus"
    body = [f"        const size_t pos = {pos};",
            *(f"        const int32_t b{a} = o{a} * {st.stride[a]} - {st.padding[a]};" for a in range(rank)),
            f"        for (int j = 0; j < {len(st.window)}; ++j) {{"]
    coords = []
    for a in range(rank):
        n = src.spatial[a]
        body.append(f"            int32_t i{a} = b{a} + s{i}_d{a}[j];")
        if torus:
            body.append(f"            i{a} = ((i{a} % {n}) + {n}) % {n};")
        coords.append(f"(uint32_t)i{a} < {n}u")
    flat = " + ".join(f"i{a} * {positions(type(src)(1, src.spatial[a + 1:]))}" for a in range(rank)) or "0"
    if torus or not coords:
        body.append(f"            idx[j] = s{i}_dc[j] + {flat};")
    else:
        body.append(f"            idx[j] = ({' && '.join(coords)}) ? s{i}_dc[j] + {flat} : {src.size};")
    body += ["        }", *(f"        s{i}_chunk{k}(src, idx, dst, pos, s);" for k in range(len(sched.chunks)))]
    lines += loops + ["    {"] + body + ["    }", "    (void)idx;", "}", ""]
    return lines


def _orpool_stage(i: int, st, src, dst) -> list[str]:
    rank = src.rank
    lines = [f"static void stage{i}(const V *restrict src, V *restrict dst, V *restrict s)", "{", "    (void)s;",
             f"    for (int32_t c = 0; c < {src.channels}; ++c)"]
    lines += [f"    for (int32_t o{a} = 0; o{a} < {dst.spatial[a]}; ++o{a})" for a in range(rank)]
    pos = " + ".join(f"(size_t)o{a} * {positions(type(dst)(1, dst.spatial[a + 1:]))}" for a in range(rank)) or "0"
    flat = " + ".join(f"(size_t)i{a} * {positions(type(src)(1, src.spatial[a + 1:]))}" for a in range(rank)) or "0"
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


def emit_program_c(p: Plan, vector_bits: int | None = None, chunk_nodes: int = CHUNK_NODES["c"]) -> str:
    """C source of ``gatecc_program`` for the planned program."""
    vector_bits = check_vector_bits(host_vector_bits() if vector_bits is None else vector_bits)
    chunk_nodes = check_chunk_nodes(chunk_nodes)
    prog, shapes, bufs = p.program, p.shapes, p.buffers
    lines = [f"/* Generated by gatecc {__version__}: spatial program, {len(prog.stages)} stages, "
             f"{vector_bits}-bit words.  Do not edit. */",
             "#include <stddef.h>", "#include <stdint.h>", "#include <string.h>", "",
             _vector_type(vector_bits), f"#define GATECC_LANES {vector_bits // 64}",
             "#define GATECC_ZERO ((V){0})",
             "#define GATECC_ONES (~(V){0})", ""]
    n_slots = 0
    for i, st in enumerate(prog.stages):
        src, dst, graph = shapes[st.src], shapes[i + 1], p.graphs[i]
        if st.kind == "conv":
            lines += _conv_stage(i, st, src, dst, graph, chunk_nodes)
            n_slots = max(n_slots, schedule(graph, chunk_nodes).n_slots)
        elif st.kind == "orpool":
            lines += _orpool_stage(i, st, src, dst)
        elif st.kind == "dense":
            sched = schedule(graph, chunk_nodes)
            n_slots = max(n_slots, sched.n_slots)
            chunks = StageChunks(graph, i, None)
            for k, chunk in enumerate(sched.chunks):
                lines += chunks.chunk(k, chunk)
            lines += [f"static void stage{i}(const V *restrict src, V *restrict dst, V *restrict s)", "{",
                      *(f"    s{i}_chunk{k}(src, dst, s);" for k in range(len(sched.chunks))), "}", ""]
        elif st.kind == "or":
            lines += [f"static void stage{i}(const V *restrict a, const V *restrict b, V *restrict dst)", "{",
                      f"    for (size_t k = 0; k < {dst.size}; ++k) dst[k] = a[k] | b[k];", "}", ""]
    scratch = p.total_planes
    calls = []
    for i, st in enumerate(prog.stages):
        out = f"w + {bufs[i + 1].offset}"
        if st.kind == "or":
            calls.append(f"        stage{i}(w + {bufs[st.src].offset}, w + {bufs[st.other].offset}, {out});")
        elif st.kind != "flatten":
            calls.append(f"        stage{i}(w + {bufs[st.src].offset}, {out}, w + {scratch});")
    zeros = sorted({b.offset + b.planes for b in bufs})   # each value's zero plane
    lines += [
        f"#define GATECC_WORK_BYTES {(scratch + max(1, n_slots)) * vector_bits // 8}",
        "void gatecc_program(const uint64_t *in, uint64_t *out, size_t stride, size_t n_words, void *work)",
        "{",
        "    V *w = (V *)work;",
        *(f"    w[{z}] = GATECC_ZERO;" for z in zeros),
        "    for (size_t w0 = 0; w0 < n_words; w0 += GATECC_LANES) {",
        f"        for (size_t p = 0; p < {p.n_inputs}; ++p) memcpy(w + p, in + p * stride + w0, sizeof(V));",
        *calls,
        f"        for (size_t k = 0; k < {p.out_planes}; ++k)",
        f"            memcpy(out + k * stride + w0, w + {p.last.offset} + k, sizeof(V));",
        "    }",
        "}",
        "",
    ]
    return "\n".join(lines)


def load_c(p: Plan, **options) -> ProgramKernel:
    """Build the C form of the planned program and wrap it in a :class:`ProgramKernel`."""
    import numpy as np

    from .cbuild import load_library
    from .native import aligned_empty
    from .target import check_options

    check_options("c", options, OPTIONS)
    source = emit_program_c(p, options.get("vector_bits"), options.get("chunk_nodes", CHUNK_NODES["c"]))
    ffi, lib = load_library(source, PROGRAM_CDEF)
    work_bytes = int(source.split("#define GATECC_WORK_BYTES ")[1].split()[0])
    lanes = int(source.split("#define GATECC_LANES ")[1].split()[0])
    out_planes = p.out_planes

    def run(planes, n_words):
        work = aligned_empty(work_bytes)
        out = np.zeros((out_planes, n_words), np.uint64)
        lib.gatecc_program(ffi.from_buffer("uint64_t[]", planes), ffi.from_buffer("uint64_t[]", out),
                           n_words, n_words, ffi.from_buffer("char[]", work))
        return out

    return ProgramKernel(p, run, source, 64 * lanes)
