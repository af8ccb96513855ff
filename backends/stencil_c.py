"""C of the fused stencil engine: many steps of a 3x3 self-map Conv over bit-packed boards in one call.

The state is ``C`` bit planes of an H x W board, 64 cells per uint64 word
(cell x of a row is bit x % 64 of word x // 64).  Each plane lives in a padded
buffer of (H + 2) rows of NW + 2 words (NW = ceil(W / 64)): a halo row above
and below and a halo word at each end of a row.  Before each step the halo
holds what the boundary says (the torus's wrap-around cells, or zeros), so a
step is one loop over the words of the interior rows whose neighbours sit at
fixed offsets (+-1 word, +-1 row): the west neighbour of a word is
``(m << 1) | (left >> 63)``, the east ``(m >> 1) | (right << 63)``.

A width that is not a multiple of 64 leaves ``TAIL = W % 64`` cells in a
row's last word; for the torus the halo fill puts cell 0 of the row into the
first unused bit (bit TAIL), where the east shift of cell W - 1 finds it, and
cell W - 1 into bit 63 of the left halo word.  The unused bits are cleared
after every step.

The kernel graph is rendered by the shared chunk renderer
(:class:`.c.CChunks`, one chunk, inputs read from the window vector ``x``)
into an always-inline cell function, evaluated a vector of words at a time
(GCC vector types as wide as the host's registers), OpenMP over the word
loop with passive waiting.  Asynchronous steps blend the new state with the
old by the fire mask of :mod:`gatecc.ir.spatial.firing`.

The board size is a constant of the generated step loop (one library per
size, as the LLVM engine's module): every window row is one base pointer
plus a constant displacement, and each channel's result is stored straight
from its register.  With run-time strides and a loop over the outputs, GCC
kept a pointer per window row, spilled them, and copied the outputs through
the stack: 0.68-0.73x the LLVM engine on the 8-channel checkerboard CA, now
0.99x (benchmarks/RESULTS.md).
"""

from __future__ import annotations

from ..ir.graph import Graph
from ..ir.spatial import firing
from .c import CChunks
from .schedule import FROM_INPUT, single_chunk

#: Vector spellings of the gate operators (``vec`` is a GCC vector of uint64).
VEC_TEMPLATES = {
    "and": "({a} & {b})",
    "or": "({a} | {b})",
    "xor": "({a} ^ {b})",
    "not": "~{a}",
    "0": "((vec){0})",
    "1": "(~(vec){0})",
}

#: The functions the engine library exports.
STENCIL_CDEF = """
void gatecc_stencil(uint64_t *board, uint64_t *scratch, size_t rows, size_t width, size_t steps,
                    uint32_t seed, uint32_t threshold, int async);
void gatecc_stencil_threads(int n);
"""

#: Added to gatecc's base C flags (position independent, -march=native, no debug info).
STENCIL_FLAGS = ("-O3", "-fopenmp")

#: Words after each padded plane: the last vector block of a step reads and writes past the bottom halo row.
PLANE_TAIL = 16


class CellChunks(CChunks):
    """The kernel as one always-inline function of the window vector ``x`` writing ``out``."""

    TEMPLATES = VEC_TEMPLATES
    places = {FROM_INPUT: "x[{}]"}
    assign = "    const vec {node} = {expr};"

    def head(self, index: int) -> list[str]:
        return ["static inline __attribute__((always_inline)) void gatecc_cell(const vec *restrict x, "
                "vec *restrict out)", "{"]


def cell_function(kernel: Graph) -> list[str]:
    """``gatecc_cell(x, out)``: the kernel graph (legal, bit outputs) on one vector of words."""
    return CellChunks(kernel).chunk(0, single_chunk(kernel))


def _window_loads(window) -> tuple[list[str], list[str]]:
    """Loads of the rows the window reads (per channel and row offset) and each window entry's expression."""
    rows = sorted({(dc, dy) for dc, dy, _ in window})
    loads = []
    for dc, dy in rows:
        r = f"r{dc}_{dy}"
        at = f"a + {dc} * PLANE + i{'' if dy == 1 else ' - S' if dy == 0 else ' + S'}"
        loads.append(f"        vec {r}, {r}l, {r}r;")
        loads.append(f"        memcpy(&{r}, {at}, sizeof {r}); memcpy(&{r}l, {at} - 1, sizeof {r}); "
                     f"memcpy(&{r}r, {at} + 1, sizeof {r});")
    entries = []
    for j, (dc, dy, dx) in enumerate(window):
        r = f"r{dc}_{dy}"
        expr = f"({r} << 1) | ({r}l >> 63)" if dx == 0 else f"({r} >> 1) | ({r}r << 63)" if dx == 2 else r
        entries.append(f"        x[{j}] = {expr};")
    return loads, entries


def emit_stencil_c(kernel: Graph, window, channels: int, boundary: str, height: int, width: int) -> str:
    """C source of ``gatecc_stencil(board, scratch, rows, width, steps, seed, threshold, async)``.

    ``kernel`` is the Conv stage's legal kernel graph (one input per entry
    ``(dc, dy, dx)`` of ``window``, dy and dx in 0..2, and ``channels`` bit
    outputs); ``boundary`` is "torus" or "zero".  board and scratch hold
    ``channels`` padded planes of :func:`plane_words` words each; the result
    ends in board.  ``async`` != 0 makes a cell take its new state only when it
    fires (``threshold`` = :func:`gatecc.ir.spatial.firing.threshold`).
    The board is ``height`` x ``width``: a constant of the step loop (the
    library runs boards of that size only, as the LLVM engine's module does;
    the ``rows`` and ``width`` arguments must be the same).
    """
    torus = boundary == "torus"
    nw, plane = -(-width // 64), plane_words(height, width)
    loads, entries = _window_loads(window)
    n_x = max(1, len(window))
    return "\n".join([
        f"/* Generated by gatecc: fused stencil engine, {channels} channel(s), {boundary} boundary,",
        f"   {kernel.n_nodes - kernel.n_inputs} kernel nodes.  Do not edit. */",
        "#include <stddef.h>",
        "#include <stdint.h>",
        "#include <string.h>",
        "#ifdef _OPENMP",
        "#include <omp.h>",
        "#endif",
        "",
        "/* Words per vector, from the host the code is built for (-march=native). */",
        "#if defined(__AVX512F__)",
        "#define LANES 8",
        "#elif defined(__AVX2__)",
        "#define LANES 4",
        "#else",
        "#define LANES 2",
        "#endif",
        "typedef uint64_t vec __attribute__((vector_size(8 * LANES), aligned(8)));",
        f"#define CH {channels}",
        f"#define PLANE_TAIL {PLANE_TAIL}",
        "",
        *cell_function(kernel),
        "",
        "/* The halo of every plane: " + ("the torus's wrap-around cells." if torus else "zeros.") + " */",
        "static void fill_halo(uint64_t *p, size_t rows, size_t width, size_t nw, size_t plane)",
        "{",
        "    const size_t s = nw + 2, tail = width % 64;",
        "    for (size_t c = 0; c < CH; ++c) {",
        "        uint64_t *q = p + c * plane;",
        "        for (size_t r = 1; r <= rows; ++r) {",
        "            uint64_t *row = q + r * s;",
        *([
            "            if (tail == 0) {",
            "                row[0] = row[nw];",
            "                row[nw + 1] = row[1];",
            "            } else {   /* cell W-1 to bit 63 of the left halo, cell 0 to bit tail of the last word */",
            "                row[0] = ((row[nw] >> (tail - 1)) & 1u) << 63;",
            "                row[nw] |= (row[1] & 1u) << tail;",
            "                row[nw + 1] = 0;",
            "            }",
        ] if torus else [
            "            row[0] = 0;",
            "            row[nw + 1] = 0;",
        ]),
        "        }",
        *([
            "        memcpy(q, q + rows * s, s * sizeof(uint64_t));",
            "        memcpy(q + (rows + 1) * s, q + s, s * sizeof(uint64_t));",
        ] if torus else [
            "        memset(q, 0, s * sizeof(uint64_t));",
            "        memset(q + (rows + 1) * s, 0, s * sizeof(uint64_t));",
        ]),
        "    }",
        "}",
        "",
        "/* The step's sizes are constants of this build: every window row is then one base pointer plus a",
        "   constant displacement (with run-time strides GCC kept a pointer per row and spilled them). */",
        f"#define ROWS {height}",
        f"#define NW {nw}",
        f"#define S {nw + 2}",
        f"#define PLANE {plane}",
        "static void step(const uint64_t *restrict a, uint64_t *restrict b)",
        "{",
        "    /* Row by row over the interior words only (the halo words are not computed).  A block that runs",
        "       past a row's last word computes the next words at their own positions -- the right halo, then",
        "       the next row's first words, which are therefore written with the same value twice. */",
        "    #pragma omp parallel for schedule(static)",
        "    for (size_t r = 1; r <= ROWS; ++r)",
        "    for (size_t j = 1; j <= NW; j += LANES) {",
        "        const size_t i = r * S + j;",
        f"        vec x[{n_x}], out[CH];",
        *loads,
        *entries,
        "        gatecc_cell(x, out);",
        "        /* One store per channel, unrolled: a loop over out[] made GCC keep out[] on the stack and",
        "           copy it in 16-byte halves (measured 0.5x the LLVM engine on 8 channels). */",
        *[f"        memcpy(b + {k} * PLANE + i, &out[{k}], sizeof out[{k}]);" for k in range(channels)],
        "    }",
        "}",
        "#undef ROWS",
        "#undef NW",
        "#undef S",
        "#undef PLANE",
        "",
        "/* The cell index hash of gatecc/ir/spatial/firing.py, shifted to the 24 bits compared. */",
        "static inline uint32_t fire_bits(uint32_t seed, uint32_t t, uint32_t i)",
        "{",
        f"    uint32_t h = seed ^ (t * {firing.STEP_MUL:#x}u) ^ (i * {firing.CELL_MUL:#x}u);",
        f"    h ^= h >> 16; h *= {firing.MIX1:#x}u; h ^= h >> 15; h *= {firing.MIX2:#x}u; h ^= h >> 16;",
        f"    return h >> {32 - firing.RATE_BITS};",
        "}",
        "",
        "/* Asynchronous update: a cell keeps its old state (every channel) unless it fires. */",
        "static void blend(const uint64_t *restrict a, uint64_t *restrict b, size_t rows, size_t width, size_t nw,",
        "                  size_t plane, uint32_t seed, uint32_t t, uint32_t threshold)",
        "{",
        "    const size_t s = nw + 2;",
        "    #pragma omp parallel for schedule(static)",
        "    for (size_t y = 0; y < rows; ++y)",
        "        for (size_t k = 0; k < nw; ++k) {",
        "            const size_t x0 = 64 * k, n = width - x0 < 64 ? width - x0 : 64;",
        "            const uint32_t base = (uint32_t)(y * width + x0);",
        "            uint64_t m = 0;",
        "            for (size_t bit = 0; bit < n; ++bit)",
        "                m |= (uint64_t)(fire_bits(seed, t, base + (uint32_t)bit) < threshold) << bit;",
        "            const size_t i = (y + 1) * s + 1 + k;",
        "            for (size_t c = 0; c < CH; ++c)",
        "                b[c * plane + i] = (b[c * plane + i] & m) | (a[c * plane + i] & ~m);",
        "        }",
        "}",
        "",
        "/* Clear the unused bits of each row's last word (the cell function may have set them). */",
        "static void clear_tail(uint64_t *b, size_t rows, size_t width, size_t nw, size_t plane)",
        "{",
        "    const size_t s = nw + 2, tail = width % 64;",
        "    if (tail == 0) return;",
        "    const uint64_t keep = ((uint64_t)1 << tail) - 1;",
        "    for (size_t c = 0; c < CH; ++c)",
        "        for (size_t r = 1; r <= rows; ++r)",
        "            b[c * plane + r * s + nw] &= keep;",
        "}",
        "",
        "void gatecc_stencil_threads(int n)",
        "{",
        "#ifdef _OPENMP",
        "    if (n > 0) omp_set_num_threads(n);",
        "#endif",
        "}",
        "",
        "/* board and scratch: CH planes of (rows + 2) * (nw + 2) + PLANE_TAIL words, the interior holding",
        "   the board; the result ends in board. */",
        "void gatecc_stencil(uint64_t *board, uint64_t *scratch, size_t rows, size_t width, size_t steps,",
        "                    uint32_t seed, uint32_t threshold, int async)",
        "{",
        "    const size_t nw = (width + 63) / 64, plane = (rows + 2) * (nw + 2) + PLANE_TAIL;",
        "    uint64_t *a = board, *b = scratch;",
        "    for (size_t t = 0; t < steps; ++t) {",
        "        fill_halo(a, rows, width, nw, plane);",
        "        step(a, b);",
        "        if (async) blend(a, b, rows, width, nw, plane, seed, (uint32_t)t, threshold);",
        "        clear_tail(b, rows, width, nw, plane);",
        "        uint64_t *tmp = a; a = b; b = tmp;",
        "    }",
        "    if (a != board) memcpy(board, a, CH * plane * sizeof(uint64_t));",
        "}",
        "",
    ])


def plane_words(height: int, width: int) -> int:
    """uint64 words of one padded plane of an engine buffer."""
    return (height + 2) * ((width + 63) // 64 + 2) + PLANE_TAIL
