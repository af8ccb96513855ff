"""Freestanding C99 for microcontrollers: ``--target c-embedded``.

``gatecc lower model.npz --target c-embedded -o model.c`` writes ``model.c``
and ``model.h``.  The code includes only ``<stdint.h>`` and ``<stddef.h>``,
uses no vector extensions, allocates nothing (every buffer is on the stack,
sized at compile time), and calls no library function, so it builds with any
C99 compiler for any CPU.  The ABI (docs/c-embedded.md):

* ``void gatecc_eval1(const uint8_t *in, int32_t *out)``: one sample.
  ``in[GATECC_N_INPUTS]`` bytes of 0/1 (only bit 0 is read);
  ``out[GATECC_N_OUTPUTS]``: a bit output as 0/1, a count output (GroupSum
  counts, or the class of an argmax head) as its number.
* ``void gatecc_eval_words(const gatecc_word_t *in, gatecc_word_t *out)``:
  ``GATECC_WORD_BITS`` samples at once, bit-sliced: bit j of ``in[i]`` is
  input i of sample j; ``out[GATECC_N_PLANES]`` receives the output planes in
  order, a bit output one plane, a count output ``width`` planes, least
  significant bit first (``gatecc_out_start`` / ``gatecc_out_width``).
* ``void gatecc_eval_batch(const gatecc_word_t *in, gatecc_word_t *out,
  size_t n_words)``: the same over ``n_words`` words per plane, planes stored
  one after another (``in[i * n_words + w]``, ``out[k * n_words + w]``).

``gatecc_word_t`` is ``uint32_t`` unless the code is compiled with
``-DGATECC_WORD_BITS=64`` (``uint64_t``).  A model with an input encoder
(model format v2) adds ``gatecc_eval1_f(const float *features, int32_t *out)``:
``features[n_features]`` floats through the encoder's comparisons, then
``gatecc_eval1`` (see :func:`encoder_lines`).
"""

from __future__ import annotations

from .. import __version__
from ..errors import TargetError
from ..ir.graph import Graph
from ..ir.stats import count_gates
from .c import CChunks
from .schedule import schedule
from .target import PlaneLayout, Target

#: C spelling of the gate-expression operators (plain C99 on one integer word).
TEMPLATES = {
    "and": "({a} & {b})",
    "or": "({a} | {b})",
    "xor": "({a} ^ {b})",
    "not": "(gatecc_word_t)~{a}",
    "0": "GATECC_ZERO",
    "1": "GATECC_ONES",
}

#: Nodes per chunk function: small functions keep compilers fast and their frames small.
CHUNK_NODES = 256

#: Options this target takes.
OPTIONS = ("chunk_nodes", "encoder")

#: The word type, chosen by -DGATECC_WORD_BITS (both the .h and the self-contained .c declare it).
WORD_TYPE = (
    "#ifndef GATECC_WORD_BITS",
    "#define GATECC_WORD_BITS 32",
    "#endif",
    "#if GATECC_WORD_BITS == 64",
    "typedef uint64_t gatecc_word_t;",
    "#elif GATECC_WORD_BITS == 32",
    "typedef uint32_t gatecc_word_t;",
    "#else",
    "#error \"GATECC_WORD_BITS must be 32 or 64\"",
    "#endif",
)

#: Widest count output ``gatecc_eval1`` can return in an int32.
MAX_COUNT_BITS = 31


def encoder_lines(encoder) -> list[str]:
    """C for ``gatecc_eval1_f`` (float features -> input bits -> outputs) from a model's input encoder.

    Bit k is ``features[F[k]] > T[k]`` compared in float, the comparison
    :class:`gatecc.encoder.ThermometerEncoder` defines; thresholds are
    written as hexadecimal float literals, so they are exact.  Without an
    encoder (None) there is no float entry point.
    """
    if encoder is None:
        return []
    thresholds = ", ".join(f"{float(t).hex()}f" for t in encoder.threshold)
    features = ", ".join(str(int(f)) for f in encoder.feature)
    return [
        f"static const float gatecc_thresholds[{encoder.n_bits}] = {{{thresholds}}};",
        f"static const uint32_t gatecc_features[{encoder.n_bits}] = {{{features}}};",
        "",
        "void gatecc_eval1_f(const float *features, int32_t *out)",
        "{",
        f"    uint8_t in[{encoder.n_bits}];",
        "    size_t k;",
        f"    for (k = 0; k < {encoder.n_bits}; ++k)",
        "        in[k] = (uint8_t)(features[gatecc_features[k]] > gatecc_thresholds[k]);",
        "    gatecc_eval1(in, out);",
        "}",
        "",
    ]


class EmbeddedChunks(CChunks):
    """The C chunk functions on one plain integer word (static, no vector types)."""

    TEMPLATES = TEMPLATES
    assign = "    const gatecc_word_t {node} = {expr};"

    def head(self, index: int) -> list[str]:
        return [f"static void gatecc_chunk{index}(const gatecc_word_t *in, gatecc_word_t *out, gatecc_word_t *s)",
                "{"]

    def tail(self, index: int) -> list[str]:
        # Chunks that do not touch an argument must still compile without warnings.
        return ["    (void)in; (void)out; (void)s;", "}", ""]


def _check(graph: Graph, options: dict) -> int:
    unknown = sorted(set(options) - set(OPTIONS) - {"groupsum"})
    if unknown:
        raise TargetError(f"c-embedded: unknown option {unknown[0]!r} (options: {', '.join(OPTIONS)})")
    chunk_nodes = options.get("chunk_nodes", CHUNK_NODES)
    if not isinstance(chunk_nodes, int) or chunk_nodes < 1:
        raise TargetError(f"c-embedded: chunk_nodes must be a positive integer, not {chunk_nodes!r}")
    for kind, _, width in PlaneLayout.of(graph).outputs:
        if kind == "count" and width > MAX_COUNT_BITS:
            raise TargetError(f"c-embedded: a count of {width} bits does not fit gatecc_eval1's int32 outputs")
    return chunk_nodes


def header(graph: Graph, guard: str = "GATECC_MODEL_H", encoder=None) -> str:
    """The ``.h`` of a legal graph: sizes, output layout, word type and prototypes."""
    layout = PlaneLayout.of(graph)
    kinds = ", ".join(kind for kind, _, _ in layout.outputs)
    lines = [
        f"/* Generated by gatecc {__version__} (target c-embedded).  C99, freestanding: see docs/c-embedded.md. */",
        f"#ifndef {guard}",
        f"#define {guard}",
        "",
        "#include <stddef.h>",
        "#include <stdint.h>",
        "",
        f"#define GATECC_N_INPUTS {graph.n_inputs}",
        f"#define GATECC_N_OUTPUTS {graph.n_outputs}    /* {kinds} */",
        f"#define GATECC_N_PLANES {len(layout.planes)}",
        f"#define GATECC_HAS_ENCODER {int(encoder is not None)}",
        "",
        *WORD_TYPE,
        "",
        "/* Output k is planes gatecc_out_start[k] .. + gatecc_out_width[k] - 1 (LSB first);",
        "   gatecc_out_is_count[k] is 0 for a bit, 1 for a count or class. */",
        "extern const uint16_t gatecc_out_start[GATECC_N_OUTPUTS];",
        "extern const uint8_t gatecc_out_width[GATECC_N_OUTPUTS];",
        "extern const uint8_t gatecc_out_is_count[GATECC_N_OUTPUTS];",
        "",
        "/* One sample: in[GATECC_N_INPUTS] bytes 0/1 -> out[GATECC_N_OUTPUTS] (bits, counts or the class). */",
        "void gatecc_eval1(const uint8_t *in, int32_t *out);",
        "/* GATECC_WORD_BITS samples: bit j of in[i] is input i of sample j; out[GATECC_N_PLANES] planes. */",
        "void gatecc_eval_words(const gatecc_word_t *in, gatecc_word_t *out);",
        "/* n_words words per plane, plane-major: in[i * n_words + w], out[k * n_words + w]. */",
        "void gatecc_eval_batch(const gatecc_word_t *in, gatecc_word_t *out, size_t n_words);",
    ]
    if encoder is not None:
        lines.append("/* One sample of float features through the model's input encoder. */")
        lines.append("void gatecc_eval1_f(const float *features, int32_t *out);")
    lines += ["", f"#endif /* {guard} */", ""]
    return "\n".join(lines)


def emit_source(graph: Graph, chunk_nodes: int = CHUNK_NODES, encoder=None) -> str:
    """The ``.c`` of a legal graph (self-contained: it repeats the header's definitions it needs)."""
    layout = PlaneLayout.of(graph)
    sched = schedule(graph, chunk_nodes)
    n_in, n_planes = max(1, graph.n_inputs), max(1, len(layout.planes))
    starts = ", ".join(str(start) for _, start, _ in layout.outputs)
    widths = ", ".join(str(width) for _, _, width in layout.outputs)
    counts = ", ".join(str(int(kind == "count")) for kind, _, _ in layout.outputs)
    lines = [
        f"/* Generated by gatecc {__version__} (target c-embedded): {graph.n_inputs} inputs, "
        f"{graph.n_outputs} outputs, {count_gates(graph)} gates.  C99, freestanding. */",
        "#include <stddef.h>",
        "#include <stdint.h>",
        "",
        *WORD_TYPE,
        "#define GATECC_ZERO ((gatecc_word_t)0)",
        "#define GATECC_ONES ((gatecc_word_t)~(gatecc_word_t)0)",
        "",
        f"const uint16_t gatecc_out_start[{graph.n_outputs}] = {{{starts}}};",
        f"const uint8_t gatecc_out_width[{graph.n_outputs}] = {{{widths}}};",
        f"const uint8_t gatecc_out_is_count[{graph.n_outputs}] = {{{counts}}};",
        "",
        "void gatecc_eval1(const uint8_t *in, int32_t *out);",
        "void gatecc_eval_words(const gatecc_word_t *in, gatecc_word_t *out);",
        "void gatecc_eval_batch(const gatecc_word_t *in, gatecc_word_t *out, size_t n_words);",
        "",
    ]
    chunks = EmbeddedChunks(graph)
    for index, chunk in enumerate(sched.chunks):
        lines += chunks.chunk(index, chunk)
    lines += [
        "void gatecc_eval_words(const gatecc_word_t *in, gatecc_word_t *out)",
        "{",
        f"    gatecc_word_t s[{max(1, sched.n_slots)}];",
        *(f"    gatecc_chunk{i}(in, out, s);" for i in range(len(sched.chunks))),
        "}",
        "",
        "void gatecc_eval_batch(const gatecc_word_t *in, gatecc_word_t *out, size_t n_words)",
        "{",
        f"    gatecc_word_t x[{n_in}], y[{n_planes}];",
        "    size_t w, i;",
        "    for (w = 0; w < n_words; ++w) {",
        f"        for (i = 0; i < {graph.n_inputs}; ++i) x[i] = in[i * n_words + w];",
        "        gatecc_eval_words(x, y);",
        f"        for (i = 0; i < {len(layout.planes)}; ++i) out[i * n_words + w] = y[i];",
        "    }",
        "}",
        "",
        "void gatecc_eval1(const uint8_t *in, int32_t *out)",
        "{",
        f"    gatecc_word_t x[{n_in}], y[{n_planes}];",
        "    size_t i, b;",
        f"    for (i = 0; i < {graph.n_inputs}; ++i) x[i] = (gatecc_word_t)(in[i] & 1u);",
        "    gatecc_eval_words(x, y);",
        f"    for (i = 0; i < {graph.n_outputs}; ++i) {{",
        "        uint32_t v = 0;",
        "        for (b = 0; b < gatecc_out_width[i]; ++b)",
        "            v |= (uint32_t)(y[gatecc_out_start[i] + b] & 1u) << b;",
        "        out[i] = (int32_t)v;",
        "    }",
        "}",
        "",
    ]
    lines += encoder_lines(encoder)
    return "\n".join(lines)


class CEmbeddedTarget(Target):
    """Freestanding C99 (``.c`` plus ``.h``), for microcontrollers; emit-only."""

    options = OPTIONS

    def emit(self, graph: Graph, **options) -> str:
        chunk_nodes = _check(graph, options)
        return emit_source(graph, chunk_nodes, options.get("encoder"))

    def companions(self, graph: Graph, out_path: str, **options) -> dict[str, str]:
        """Files written beside ``out_path`` by ``gatecc lower -o``: {path: text} (the header)."""
        import os
        import re

        _check(graph, options)
        stem = os.path.splitext(out_path)[0]
        guard = re.sub(r"\W", "_", os.path.basename(stem)).upper() + "_H"
        if not guard[0].isalpha():
            guard = "GATECC_" + guard
        return {stem + ".h": header(graph, guard, options.get("encoder"))}

    def footprint(self, graph: Graph, **options) -> dict[str, dict]:
        """{label: :func:`footprint`} for each toolchain of :data:`SIZE_TOOLCHAINS` installed here."""
        import shutil

        source = self.emit(graph, **options)
        return {label: footprint(source, cc, flags) for label, cc, flags in SIZE_TOOLCHAINS
                if label == "host" or shutil.which(cc)}


TARGET = CEmbeddedTarget("c-embedded", "freestanding C99 for microcontrollers (.c and .h, no allocation, "
                                       "only <stdint.h>/<stddef.h>)", ".c", runnable=False)


#: Flags of a size measurement: what a firmware build would use.
SIZE_FLAGS = ("-std=c99", "-Os", "-ffreestanding", "-fstack-usage")

#: Compilers ``gatecc stats --target c-embedded`` reports on when present: (label, compiler, flags).
SIZE_TOOLCHAINS = (
    ("host", "gcc", ()),
    ("cortex-m4", "arm-none-eabi-gcc", ("-mcpu=cortex-m4", "-mthumb")),
)


def footprint(source: str, cc: str = "gcc", flags=(), word_bits: int = 32) -> dict:
    """Code and RAM bytes of ``source`` compiled by ``cc -Os`` (measured, not estimated).

    ``code`` is the object's text (code and constant tables) as ``size``
    reports it; ``ram`` is its static data (``data`` + ``bss``, zero for this
    target) plus the deepest stack of a call to ``gatecc_eval1`` or
    ``gatecc_eval_batch``: that function's frame, ``gatecc_eval_words``' (which
    holds the scratch slots) and the largest chunk function's, from gcc's
    ``-fstack-usage``.  Raises :class:`TargetError` when ``cc`` is missing or fails.
    """
    import os
    import shutil
    import subprocess
    import tempfile

    size_tool = cc[: -len("gcc")] + "size" if cc.endswith("gcc") else "size"
    for tool in (cc, size_tool):
        if shutil.which(tool) is None:
            raise TargetError(f"c-embedded: {tool} is not installed, so the size cannot be measured")
    with tempfile.TemporaryDirectory(prefix="gatecc-size-") as tmp:
        src, obj = os.path.join(tmp, "model.c"), os.path.join(tmp, "model.o")
        with open(src, "w") as f:
            f.write(source)
        cmd = [cc, *SIZE_FLAGS, *flags, f"-DGATECC_WORD_BITS={word_bits}", "-c", src, "-o", obj]
        done = subprocess.run(cmd, capture_output=True, text=True, cwd=tmp)
        if done.returncode:
            first = (done.stderr.strip().splitlines() or ["no message"])[0]
            raise TargetError(f"c-embedded: {cc} failed: {first}")
        sizes = subprocess.run([size_tool, obj], capture_output=True, text=True, check=True).stdout.split("\n")[1]
        text, data, bss = (int(v) for v in sizes.split()[:3])
        frames = {}
        with open(os.path.join(tmp, "model.su")) as f:
            for line in f:
                where, nbytes, *_ = line.split("\t")
                frames[where.rsplit(":", 1)[-1]] = int(nbytes)
    chunk = max((v for k, v in frames.items() if k.startswith("gatecc_chunk")), default=0)
    top = max(frames.get("gatecc_eval1", 0), frames.get("gatecc_eval_batch", 0))
    stack = top + frames.get("gatecc_eval_words", 0) + chunk
    return {"compiler": cc, "word_bits": word_bits, "code": text, "data": data + bss, "stack": stack,
            "ram": data + bss + stack}
