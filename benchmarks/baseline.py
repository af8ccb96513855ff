"""The peers' approach to compiling an LGN, written here as the benchmarks' baseline.

The shape of the C that difflogic's ``CompiledLogicNet`` (and torchlogix's
C export) produce: no passes; every neuron of every layer becomes one
statement of one straight-line function over 64-bit words (64 samples per
call); inputs are packed bit by bit in C; each GroupSum group is counted by
per-bit ripple counters (each of the group's bits is added into a
``width``-bit bit-sliced counter, carrying through every counter bit) and
the counters are unpacked bit by bit.  It is built with gcc at -O0 or -O1
and loaded with cffi; ``BaselineNet(x)`` takes a (batch, n_inputs) bool
array like ``gatecc.compile(net)(x)`` does.
"""

from __future__ import annotations

from cffi import FFI
import os
import subprocess
import tempfile
import time
from pathlib import Path

import numpy as np

from gatecc.ir.gates import GATE_EXPRS, render_expr
from gatecc.model import LogicNet

_TEMPLATES = {"and": "({a} & {b})", "or": "({a} | {b})", "xor": "({a} ^ {b})", "not": "~{a}",
              "0": "(uint64_t)0", "1": "~(uint64_t)0"}


def baseline_source(net: LogicNet) -> str:
    """C source of the baseline for ``net`` (GroupSum nets return int32 counts, others uint8 bits)."""
    n_in = net.n_inputs
    lines = ["#include <stddef.h>", "#include <stdint.h>", "#include <stdlib.h>", "",
             "static void net_word(const uint64_t *in, uint64_t *out)", "{"]
    prev = [f"in[{i}]" for i in range(n_in)]
    var = 0
    for layer in net.layers:
        names = []
        for g, a, b in zip(layer.gate_ids().tolist(), layer.a.tolist(), layer.b.tolist()):
            expr = render_expr(GATE_EXPRS[g], _TEMPLATES, {"a": prev[a], "b": prev[b]})
            lines.append(f"    const uint64_t t{var} = {expr};")
            names.append(f"t{var}")
            var += 1
        prev = names
    lines += [f"    out[{k}] = {name};" for k, name in enumerate(prev)] + ["}", ""]
    width = len(prev)
    if net.groupsum is None:
        out_type, k, group, bits = "uint8_t", width, 1, 1
    else:
        out_type, k = "int32_t", net.groupsum.k
        group = width // k
        bits = max(1, group.bit_length())
    lines += [
        f"void baseline_run(const uint8_t *x, {out_type} *y, size_t n_rows)",
        "{",
        f"    uint64_t in[{n_in}], out[{width}], count[{bits}];",
        "    for (size_t r0 = 0; r0 < n_rows; r0 += 64) {",
        "        const size_t n = n_rows - r0 < 64 ? n_rows - r0 : 64;",
        f"        for (size_t d = 0; d < {n_in}; ++d) {{",
        "            uint64_t word = 0;",
        f"            for (size_t b = 0; b < n; ++b) word |= (uint64_t)(x[(r0 + b) * {n_in} + d] & 1) << b;",
        "            in[d] = word;",
        "        }",
        "        net_word(in, out);",
        f"        for (size_t c = 0; c < {k}; ++c) {{",
        f"            for (size_t d = 0; d < {bits}; ++d) count[d] = 0;",
        f"            for (size_t a = 0; a < {group}; ++a) {{",
        f"                uint64_t carry = out[c * {group} + a];",
        f"                for (size_t d = 0; d < {bits}; ++d) {{",
        "                    const uint64_t old = count[d];",
        "                    count[d] = old ^ carry;",
        "                    carry = old & carry;",
        "                }",
        "            }",
        "            for (size_t b = 0; b < n; ++b) {",
        f"                {out_type} v = 0;",
        f"                for (size_t d = 0; d < {bits}; ++d) v |= ({out_type})((count[d] >> b) & 1) << d;",
        f"                y[(r0 + b) * {k} + c] = v;",
        "            }",
        "        }",
        "    }",
        "}",
        "",
    ]
    return "\n".join(lines)


class BaselineNet:
    """The baseline built with ``gcc -O{opt_level}``.

    ``emit_seconds`` is the time to write its C, ``build_seconds`` the compiler's wall time.
    """

    def __init__(self, net: LogicNet, opt_level: int, compiler: str = "gcc"):
        self.n_inputs = net.n_inputs
        self.k = net.groupsum.k if net.groupsum is not None else net.layers[-1].width
        self.counts = net.groupsum is not None
        start = time.perf_counter()
        source = baseline_source(net)
        self.emit_seconds = time.perf_counter() - start
        self._tmp = tempfile.TemporaryDirectory(prefix="gatecc-baseline-")
        src = Path(self._tmp.name) / "baseline.c"
        lib = Path(self._tmp.name) / "baseline.so"
        src.write_text(source)
        start = time.perf_counter()
        subprocess.run([compiler, f"-O{opt_level}", "-fPIC", "-shared", "-march=native", "-o", str(lib), str(src)],
                       check=True, capture_output=True)
        self.build_seconds = time.perf_counter() - start
        self._ffi = FFI()
        self._ffi.cdef("void baseline_run(const uint8_t *x, void *y, size_t n);")
        self._lib = self._ffi.dlopen(str(lib))

    def __call__(self, x: np.ndarray) -> np.ndarray:
        x = np.ascontiguousarray(x, dtype=np.bool_).view(np.uint8)
        y = np.empty((x.shape[0], self.k), dtype=np.int32 if self.counts else np.uint8)
        ffi = self._ffi
        self._lib.baseline_run(ffi.from_buffer("uint8_t[]", x), ffi.from_buffer(y), x.shape[0])
        return y

    def close(self) -> None:
        """Delete the build directory."""
        self._tmp.cleanup()


if __name__ == "__main__":  # quick check: python benchmarks/baseline.py
    import sys

    sys.path.insert(0, os.path.dirname(__file__))
    from pipeline import random_net

    import gatecc

    small = random_net(40, 64, 3, 4, seed=3)
    x = np.random.default_rng(0).integers(0, 2, (300, 40)).astype(bool)
    for level in (0, 1):
        base = BaselineNet(small, level)
        assert (base(x) == gatecc.soft_eval(small, x, hard=True)).all()
    print("baseline matches the soft model")
