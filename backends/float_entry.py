"""The float entry point of a compiled net with an input encoder.

A net trained on real-valued features stores a thermometer encoder
(:mod:`gatecc.encoder`): input bit k is ``x[feature[k]] > threshold[k]``
in float32.  Compiled nets apply it in generated code, not numpy: a small
function per target,

    void gatecc_encode(const float *x, int64_t batch, int64_t words, uint64_t *planes)

reads ``batch`` rows of ``n_features`` float32s, compares each with its
thresholds and packs the bits into ``(n_bits, words)`` planes (sample j is
bit j % 64 of word j // 64), which the net's own kernel then runs.  The
function is C for the ``c`` target and LLVM IR for ``llvm``; ``wgsl`` runs
the same comparisons in a compute shader (:mod:`.float_entry_wgsl`).

Thresholds are written as exact hexadecimal float literals, and the
comparison is IEEE ``>`` (ordered: false for NaN, which callers reject), so
the generated code decides exactly as :meth:`ThermometerEncoder.encode`.
"""

from __future__ import annotations

import struct

import numpy as np

from ..errors import InputError

#: Targets with a float entry point.
TARGETS = ("c", "llvm", "wgsl")

SIGNATURE = "void(*)(const float *, int64_t, int64_t, uint64_t *)"


def emit_c_encoder(encoder) -> str:
    """C source of ``gatecc_encode`` for ``encoder``."""
    thresholds = ", ".join(f"{float(t).hex()}f" for t in encoder.threshold)
    features = ", ".join(str(int(f)) for f in encoder.feature)
    return "\n".join([
        "/* gatecc input encoder: bit k = x[gatecc_features[k]] > gatecc_thresholds[k] (float32), packed into bit planes. */",
        "#include <stdint.h>",
        "#include <string.h>",
        f"#define GATECC_NF {encoder.n_features}",
        f"#define GATECC_NB {encoder.n_bits}",
        f"static const float gatecc_thresholds[GATECC_NB] = {{{thresholds}}};",
        f"static const int32_t gatecc_features[GATECC_NB] = {{{features}}};",
        "void gatecc_encode(const float *x, int64_t batch, int64_t words, uint64_t *planes) {",
        "    memset(planes, 0, (size_t)GATECC_NB * (size_t)words * sizeof(uint64_t));",
        "    for (int64_t s = 0; s < batch; s++) {",
        "        const float *row = x + s * GATECC_NF;",
        "        const uint64_t bit = (uint64_t)1 << (s & 63);",
        "        uint64_t *col = planes + (s >> 6);",
        "        for (int64_t k = 0; k < GATECC_NB; k++)",
        "            if (row[gatecc_features[k]] > gatecc_thresholds[k]) col[k * words] |= bit;",
        "    }",
        "}",
        "",
    ])


def _llvm_float(t: float) -> str:
    # LLVM spells a float constant as the hex bits of the same value as a double.
    return "0x" + struct.pack(">d", float(t)).hex().upper()


def emit_llvm_encoder(encoder) -> str:
    """LLVM IR of ``gatecc_encode`` for ``encoder`` (same loop as the C version)."""
    nb, nf = encoder.n_bits, encoder.n_features
    thresholds = ", ".join(f"float {_llvm_float(t)}" for t in encoder.threshold)
    features = ", ".join(f"i32 {int(f)}" for f in encoder.feature)
    return f"""; gatecc input encoder: bit k = x[features[k]] > thresholds[k] (float32), packed into bit planes.
@gatecc_enc_thresholds = private unnamed_addr constant [{nb} x float] [{thresholds}]
@gatecc_enc_features = private unnamed_addr constant [{nb} x i32] [{features}]
declare void @llvm.memset.p0.i64(ptr, i8, i64, i1)
define void @gatecc_encode(ptr %x, i64 %batch, i64 %words, ptr %planes) {{
entry:
  %bytes = mul i64 %words, {nb * 8}
  call void @llvm.memset.p0.i64(ptr %planes, i8 0, i64 %bytes, i1 false)
  %empty = icmp sle i64 %batch, 0
  br i1 %empty, label %done, label %row
row:
  %s = phi i64 [0, %entry], [%s1, %rownext]
  %base = mul i64 %s, {nf}
  %sh = and i64 %s, 63
  %bit = shl i64 1, %sh
  %w = lshr i64 %s, 6
  br label %bitloop
bitloop:
  %k = phi i64 [0, %row], [%k1, %bitloop]
  %fp = getelementptr [{nb} x i32], ptr @gatecc_enc_features, i64 0, i64 %k
  %f = load i32, ptr %fp
  %f64 = sext i32 %f to i64
  %xi = add i64 %base, %f64
  %xp = getelementptr float, ptr %x, i64 %xi
  %xv = load float, ptr %xp
  %tp = getelementptr [{nb} x float], ptr @gatecc_enc_thresholds, i64 0, i64 %k
  %tv = load float, ptr %tp
  %gt = fcmp ogt float %xv, %tv
  %m = select i1 %gt, i64 %bit, i64 0
  %pk = mul i64 %k, %words
  %pi = add i64 %pk, %w
  %pp = getelementptr i64, ptr %planes, i64 %pi
  %old = load i64, ptr %pp
  %new = or i64 %old, %m
  store i64 %new, ptr %pp
  %k1 = add i64 %k, 1
  %kd = icmp eq i64 %k1, {nb}
  br i1 %kd, label %rownext, label %bitloop
rownext:
  %s1 = add i64 %s, 1
  %sd = icmp eq i64 %s1, %batch
  br i1 %sd, label %done, label %row
done:
  ret void
}}
"""


class FloatEntry:
    """A loaded ``gatecc_encode``: float32 rows in, packed input planes out."""

    def __init__(self, encoder, function, source: str, keepalive=None):
        self.encoder = encoder
        self.source = source
        self._fn = function
        self._keep = keepalive

    def planes(self, x) -> np.ndarray:
        """(batch, n_features) numbers -> (n_bits, words) uint64 planes, encoded in generated code."""
        from cffi import FFI

        x = np.ascontiguousarray(self.encoder.check(x), dtype=np.float32)
        batch = x.shape[0]
        words = max(1, -(-batch // 64))
        out = np.empty((self.encoder.n_bits, words), dtype=np.uint64)
        ffi = FFI()
        self._fn(ffi.cast("const float *", ffi.from_buffer(x)), batch, words,
                 ffi.cast("uint64_t *", ffi.from_buffer(out, require_writable=True)))
        return out


#: Targets whose ``gatecc lower`` output includes the encoder: the float entry points, Python, and
#: c-embedded (its own ``gatecc_eval1_f``, see :mod:`.c_embedded`).
LOWER_TARGETS = TARGETS + ("python", "c-embedded")


def with_encoder_source(target: str, source: str, encoder) -> str:
    """``source`` (a net's code for ``target``) followed by its encoder: what ``gatecc lower`` prints.

    For c, llvm and wgsl the result is one valid C file, LLVM module or WGSL
    module (the encoder's names start with ``gatecc_enc``/``gatecc_encode``;
    its WGSL bindings are clear of the net's), and its two halves are
    exactly the texts :func:`gatecc.compile` builds (``CompiledNet.source``
    and ``CompiledNet.float_entry.source``); for python the module gains
    ``gatecc_encode(rows)`` (:mod:`.float_entry_python`).  A net without an
    encoder, c-embedded (which writes its encoder itself) and the circuit
    formats (see :func:`encoder_note`) get ``source`` unchanged.
    """
    if encoder is None or target not in TARGETS + ("python",):
        return source
    if target == "python":
        from .float_entry_python import emit_python_encoder

        return source + emit_python_encoder(encoder)
    return source + "\n" + emit_encoder(target, encoder)


def encoder_note(target: str, encoder) -> str | None:
    """The line ``gatecc lower`` writes to stderr when ``target``'s output leaves the model's encoder out.

    Circuit formats (verilog, blif, aiger, dot, ...) and wgsl-fn describe
    the circuit over input bits; float comparisons are not part of them, so
    the user is told what the inputs are instead of getting them silently.
    None when the output includes the encoder or there is none.
    """
    if encoder is None or target in LOWER_TARGETS:
        return None
    return (f"note: target {target!r} writes the circuit over the model's {encoder.n_bits} encoded input bits "
            f"without its input encoder (bit k = feature[k] > threshold[k], gatecc.load(MODEL).encoder); "
            f"targets that include it: {', '.join(LOWER_TARGETS)}")


def emit_encoder(target: str, encoder) -> str:
    """The float entry point's source for ``target`` (one of :data:`TARGETS`)."""
    if target == "c":
        return emit_c_encoder(encoder)
    if target == "llvm":
        return emit_llvm_encoder(encoder)
    if target == "wgsl":
        from .float_entry_wgsl import emit_wgsl_encoder

        return emit_wgsl_encoder(encoder)
    raise InputError(f"target {target!r} has no float entry point (targets with one: {', '.join(TARGETS)})")


def load_entry(target: str, encoder) -> FloatEntry:
    """Compile and load the float entry point of ``encoder`` for ``target``."""
    from .native import function_at

    if target == "wgsl":
        from .float_entry_wgsl import WgslFloatEntry

        return WgslFloatEntry(encoder)
    source = emit_encoder(target, encoder)
    if target == "c":
        from .cbuild import function_address, load_library

        ffi, lib = load_library(source, "void gatecc_encode(const float *, int64_t, int64_t, uint64_t *);")
        return FloatEntry(encoder, function_at(function_address(ffi, lib, "gatecc_encode"), SIGNATURE), source,
                          (ffi, lib))
    from .llvm_jit import compile_module

    engine = compile_module(source, 0, "full", entry_points=("gatecc_encode",))
    return FloatEntry(encoder, function_at(engine.get_function_address("gatecc_encode"), SIGNATURE), source, engine)
