"""The C backend: bit-parallel vector words, built with the system C compiler.

The code evaluates the graph on one vector word (``vector_bits`` samples,
64 to 512, from GCC/Clang vector extensions) at a time.  The graph is split
into ``noinline`` chunk functions of bounded size (:mod:`.schedule`), so
full optimisation stays cheap to compile; values crossing chunks live in a
per-thread scratch array.  Gates are rendered from
:data:`gatecc.ir.gates.GATE_EXPRS` through the operator templates below, so
this file holds no gate semantics.  The entry points and the threading are
described in :mod:`.native`; packing and decoding of the bool path are in
the shared runtime (``runtime.c``, built by :mod:`.c_runtime`), so a net's
source holds only its gates and the planes API.
"""

from __future__ import annotations


from .. import __version__
from ..ir.graph import Graph
from ..ir.stats import count_gates
from .native import NET_CDEF
from .render import ChunkRenderer, NativeTarget, logic_nodes, native_layout, part_ranges, prepare  # noqa: F401
from .render import node_expression as _node_expression
from .schedule import CHUNK_NODES, FROM_INPUT, FROM_OUTPUT, FROM_SLOT

#: C spelling of each operator of a gate expression.
TEMPLATES = {
    "and": "({a} & {b})",
    "or": "({a} | {b})",
    "xor": "({a} ^ {b})",
    "not": "~{a}",
    "0": "GATECC_ZERO",
    "1": "GATECC_ONES",
}

#: Nodes per chunk function (the table and its reasons: :data:`.schedule.CHUNK_NODES`).
DEFAULT_CHUNK_NODES = CHUNK_NODES["c"]

#: Up to this many gate and NOT nodes, the gate functions get full optimisation
#: too (it costs little); bigger nets get :data:`.cbuild.FAST_FLAGS`.
FULL_OPT_NODES = 4096

#: Options the C target takes (``gatecc.compile(..., option=value)``).
OPTIONS = ("vector_bits", "chunk_nodes", "cflags", "threads")


def part_macros(n_parts: int) -> list[str]:
    """The C macros that let one source build whole or as ``n_parts`` chunk parts (plus part 0) compiled apart.

    :mod:`.cbuild` compiles a big source's parts as parallel units (``-DGATECC_PART_FIRST=a
    -DGATECC_PART_LAST=b``) and links them; chunk functions are then hidden rather than static.
    """
    return [f"/* Built as one file, or in units of parts 0..{n_parts} compiled apart with",
            "   -DGATECC_PART_FIRST=a -DGATECC_PART_LAST=b and linked. */",
            f"#define GATECC_PARTS {n_parts + 1}",
            "#ifdef GATECC_PART_FIRST",
            "#define GATECC_IN_PART(p) ((p) >= GATECC_PART_FIRST && (p) <= GATECC_PART_LAST)",
            '#define GATECC_CHUNK __attribute__((noinline, visibility("hidden")))',
            "#else",
            "#define GATECC_IN_PART(p) 1",
            "#define GATECC_CHUNK static __attribute__((noinline))",
            "#endif"]


def node_expression(graph: Graph, node: int, templates=TEMPLATES, var=lambda x: f"v{x}") -> str:
    """The C expression computing ``node`` from its fanins' variables (``v{fanin}``)."""
    return _node_expression(graph, node, templates, var)


def host_vector_bits() -> int:
    """The vector width the C compiler targets here with ``-march=native`` (see :mod:`.cbuild`)."""
    from .cbuild import native_vector_bits

    return native_vector_bits()


def _vector_type(vector_bits: int) -> str:
    """The C typedef of one vector word."""
    if vector_bits == 64:
        return "typedef uint64_t V;  /* 64 samples */"
    return f"typedef uint64_t V __attribute__((vector_size({vector_bits // 8})));  /* {vector_bits} samples */"


class CChunks(ChunkRenderer):
    """C chunk functions: in, out and s are this vector word's inputs, outputs and scratch slots.

    Every access is a constant offset; values from memory are read where used
    (no locals), so the compiler need not keep them live.
    """

    TEMPLATES = TEMPLATES
    places = {FROM_INPUT: "in[{}]", FROM_SLOT: "s[{}]", FROM_OUTPUT: "out[{}]"}
    assign = "    const V {node} = {expr};"

    def head(self, index: int) -> list[str]:
        return [f"GATECC_CHUNK void gatecc_chunk{index}(const V *restrict in, V *restrict out, V *restrict s)", "{"]

    def tail(self, index: int) -> list[str]:
        return ["}", ""]

    def store(self, node: int, slot: int) -> None:
        self.lines.append(f"    s[{slot}] = {self.operand(node)};")

    def write(self, plane: int, node: int) -> None:
        self.lines.append(f"    out[{plane}] = {self.operand(node)};")


def emit_c(graph: Graph, vector_bits: int | None = None, chunk_nodes: int = DEFAULT_CHUNK_NODES) -> str:
    """C source for a legal graph, with the entry points of :mod:`.native`.

    ``vector_bits`` (64, 128, 256 or 512) defaults to the widest the C
    compiler targets on this machine; ``chunk_nodes`` bounds each function.
    The file compiles on its own (``cc -O2 -shared -fPIC -march=native``);
    it is also split into ``GATECC_PARTS`` parts that :mod:`.cbuild`
    compiles in parallel units (``-DGATECC_PART_FIRST=a -DGATECC_PART_LAST=b``)
    and links.
    """
    prep = prepare(graph, vector_bits, chunk_nodes, host_vector_bits)
    vector_bits, sched, layout = prep.vector_bits, prep.schedule, prep.layout
    n_chunks = len(sched.chunks)
    ranges = part_ranges(n_chunks)
    chunks = CChunks(graph)
    signature = "(const V *restrict in, V *restrict out, V *restrict s)"
    lines = [
        f"/* Generated by gatecc {__version__}: {graph.n_inputs} inputs, {graph.n_outputs} outputs, "
        f"{count_gates(graph)} gates in {n_chunks} functions, {vector_bits}-bit words.  Do not edit. */",
        "#include <stddef.h>",
        "#include <stdint.h>",
        "#include <string.h>",
        "",
        _vector_type(vector_bits),
        f"#define GATECC_LANES {layout.lanes}",
        "#define GATECC_ZERO ((V){0})",
        "#define GATECC_ONES (~(V){0})",
        f"#define GATECC_N_IN {layout.n_inputs}",
        f"#define GATECC_N_PLANES {layout.n_planes}",
        f"#define GATECC_N_OUT {layout.n_outputs}",
        f"#define GATECC_TILE_WORDS {layout.tile_words}",
        f"#define GATECC_TILE_VECS {layout.tile_words // layout.lanes}",
        f"#define GATECC_SCRATCH_BYTES {layout.scratch_bytes}",
        "",
        *part_macros(len(ranges)),
        "",
        *(f"GATECC_CHUNK void gatecc_chunk{k}{signature};" for k in range(n_chunks)),
        "",
    ]
    for p, part in enumerate(ranges, start=1):
        lines.append(f"#if GATECC_IN_PART({p})")
        for index in part:
            lines += chunks.chunk(index, sched.chunks[index])
        lines += ["#endif", ""]
    calls = [f"        gatecc_chunk{k}(i, o, s);" for k in range(n_chunks)]
    lines += [
        "#if GATECC_IN_PART(0)",
        "/* n_vec vector words of a tile, word-major: all input planes of word 0, then of word 1, ...;",
        "   the outputs likewise.  The bool path of the runtime calls this per tile. */",
        "void gatecc_words(const V *restrict in, V *restrict out, V *restrict s, size_t n_vec)",
        "{",
        "    for (size_t v = 0; v < n_vec; ++v) {",
        "        const V *i = in + v * GATECC_N_IN;",
        "        V *o = out + v * GATECC_N_PLANES;",
        *calls,
        "    }",
        "}",
        "",
        "/* The planes API: plane p of the input at in + p * stride (uint64 words), n_words words of it;",
        "   stride and n_words multiples of GATECC_LANES.  Output plane k goes to out + k * stride. */",
        "void gatecc_eval(const uint64_t *in, uint64_t *out, size_t stride, size_t n_words, void *work)",
        "{",
        "    V *s = (V *)work;",
        "    V *tin = (V *)((char *)work + GATECC_SCRATCH_BYTES);",
        "    V *tout = tin + (size_t)GATECC_N_IN * GATECC_TILE_VECS;",
        "    for (size_t w0 = 0; w0 < n_words; w0 += GATECC_TILE_WORDS) {",
        "        const size_t left = n_words - w0;",
        "        const size_t n_vec = (left < GATECC_TILE_WORDS ? left : GATECC_TILE_WORDS) / GATECC_LANES;",
        "        for (size_t v = 0; v < n_vec; ++v)",
        "            for (size_t p = 0; p < GATECC_N_IN; ++p)",
        "                memcpy(tin + v * GATECC_N_IN + p, in + p * stride + w0 + v * GATECC_LANES, sizeof(V));",
        "        gatecc_words(tin, tout, s, n_vec);",
        "        for (size_t v = 0; v < n_vec; ++v)",
        "            for (size_t k = 0; k < GATECC_N_PLANES; ++k)",
        "                memcpy(out + k * stride + w0 + v * GATECC_LANES, tout + v * GATECC_N_PLANES + k, sizeof(V));",
        "    }",
        "}",
        "",
        "/* The sizes this code was generated for (see gatecc/backends/native.py). */",
        "void gatecc_info(uint64_t *info)",
        "{",
        f"    static const uint64_t values[] = {{{', '.join(str(v) for v in layout.info())}}};",
        "    memcpy(info, values, sizeof values);",
        "}",
        "#endif",
        "",
    ]
    return "\n".join(lines)


def build_c(graph: Graph, source: str, options: dict):
    """(address_of, runtime_run, keepalive) of ``source`` built by the system C compiler, loaded with cffi."""
    from .c_runtime import runtime_run
    from .cbuild import function_address, load_library

    fast = logic_nodes(graph) > FULL_OPT_NODES
    ffi, lib = load_library(source, NET_CDEF, flags=options.get("cflags"), fast=fast)
    return (lambda name: function_address(ffi, lib, name)), runtime_run, (ffi, lib)


def c_unavailable() -> str | None:
    """None when a C compiler is found, else why the C target cannot run here."""
    from .cbuild import find_compiler

    return None if find_compiler(required=False) else "no C compiler found (install gcc or set CC)"


TARGET = NativeTarget("c", "C source, bit-parallel vector words (system C compiler, loaded with cffi)", ".c",
                      options=OPTIONS, renderer=emit_c, builder=build_c, probe=c_unavailable)
