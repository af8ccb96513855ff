"""Game of Life with the learned circuit: gatecc against the reproduction's approach and JAX.

    python benchmarks/life.py [--model examples/life.npz] [--size 512] [--steps 2000]

One run measures, on the same random torus board:

* gatecc: the fused C engine (generated stepping loop, circuit inlined into a
  vectorised word loop, OpenMP over rows) with the -O2 and the -O3 circuit
  (`gatecc life -O3`), with all cores and with one thread, and the same engine with the circuit as
  extracted (dead code removed only), to separate engine and optimiser;
* gatecc planes: the generic engine (numpy word shifts + one compiled call per step);
* the reproduction's approach, written here as the baseline: the extracted
  circuit as one scalar C function, called once per 64-cell word from a C
  loop that gathers the nine neighbour words with shifts (gcc -O2);
* the JAX model in hard mode (a few steps: it is slow).

Every engine's final board is checked against numpy Life.  Prints steps/s,
cell updates/s and ratios against the baseline.
"""

from __future__ import annotations

import argparse
import os
import platform
import time

import numpy as np

import gatecc
from gatecc.backends.c import node_expression
from gatecc.backends.cbuild import load_library
from gatecc.compiler import lower_to_source
from gatecc.ir.stats import count_gates
from gatecc.life import FusedCEngine, PlaneEngine, pack_board, random_board, reference_step, run_jax, unpack_board
from gatecc.life.engines import check_life_graph

BASELINE_CDEF = "void baseline_life(uint64_t *a, uint64_t *b, size_t rows, size_t w, size_t steps);"


def baseline_source(graph) -> str:
    """The reproduction's approach: a scalar circuit function called once per word."""
    check_life_graph(graph)
    out = graph.outputs[0]
    body = [f"    const uint64_t v{i} = in[{i}];" for i in range(9)]
    body += [f"    const uint64_t v{n} = {node_expression(graph, n)};"
             for n in range(9, out + 1) if graph.op[n] in (1, 2, 3)]
    return "\n".join([
        "#include <stddef.h>",
        "#include <stdint.h>",
        "#include <string.h>",
        "__attribute__((noinline)) static uint64_t circuit(const uint64_t in[9])",
        "{", *body, f"    return v{out};", "}",
        "void baseline_life(uint64_t *a, uint64_t *b, size_t rows, size_t w, size_t steps)",
        "{",
        "    for (size_t s = 0; s < steps; ++s) {",
        "        for (size_t r = 0; r < rows; ++r) {",
        "            const uint64_t *row[3] = {a + ((r + rows - 1) % rows) * w, a + r * w, a + ((r + 1) % rows) * w};",
        "            for (size_t k = 0; k < w; ++k) {",
        "                uint64_t in[9];",
        "                for (int d = 0; d < 3; ++d) {",
        "                    const uint64_t x = row[d][k], l = row[d][(k + w - 1) % w], rr = row[d][(k + 1) % w];",
        "                    in[3 * d] = (x << 1) | (l >> 63);",
        "                    in[3 * d + 1] = x;",
        "                    in[3 * d + 2] = (x >> 1) | (rr << 63);",
        "                }",
        "                b[r * w + k] = circuit(in);",
        "            }",
        "        }",
        "        uint64_t *t = a; a = b; b = t;",
        "    }",
        "    if (steps % 2) memcpy(b, a, rows * w * sizeof(uint64_t));",
        "}",
        "",
    ])


class BaselineEngine:
    """The reproduction's approach, compiled with gcc -O2."""

    name = "baseline (scalar fn per word)"

    def __init__(self, graph):
        self._ffi, self._lib = load_library(baseline_source(graph), BASELINE_CDEF,
                                            flags=("-O2",))

    def run(self, words, steps):
        a = np.ascontiguousarray(words, dtype=np.uint64).copy()
        b = np.zeros_like(a)
        ffi = self._ffi
        self._lib.baseline_life(ffi.from_buffer("uint64_t[]", a), ffi.from_buffer("uint64_t[]", b),
                                a.shape[0], a.shape[1], steps)
        return a if steps % 2 == 0 else b


def timed(engine, words, steps):
    """(steps/s, final board) after one warm-up step."""
    engine.run(words, 1)
    t = time.perf_counter()
    out = engine.run(words, steps)
    return steps / (time.perf_counter() - t), out


def measure(model_path: str | None = None, size: int = 512, steps: int = 2000, jax_steps: int = 2) -> list[str]:
    """Run every engine on one board; returns the printed lines (header and table)."""
    from gatecc.commands.life import default_model
    from gatecc.ir.passes import parse_pipeline, run_pipeline

    net = gatecc.load(model_path or default_model())
    extracted, _ = run_pipeline(lower_to_source(net, "c", 0).graph, parse_pipeline("dce"))
    optimised = lower_to_source(net, "c", 2).graph
    smallest = lower_to_source(net, "c", 3).graph
    lines = [f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores; "
             f"board {size}x{size}, {steps} steps",
             f"circuit: {count_gates(extracted)} gates as extracted (dce only), {count_gates(optimised)} after -O2, "
             f"{count_gates(smallest)} after -O3"]

    board = random_board(size, seed=1)
    words = pack_board(board)
    expected = _ref(board, steps)
    engines = [
        ("baseline: reproduction's approach", BaselineEngine(extracted), steps),
        (f"gatecc fused C, -O2 circuit, {os.cpu_count()} threads", FusedCEngine(optimised, threads=os.cpu_count()),
         steps),
        ("gatecc fused C, -O2 circuit, default threads", FusedCEngine(optimised), steps),
        ("gatecc fused C, -O2 circuit, 1 thread", FusedCEngine(optimised, threads=1), steps),
        ("gatecc fused C, -O3 circuit, default threads", FusedCEngine(smallest), steps),
        ("gatecc fused C, -O3 circuit, 1 thread", FusedCEngine(smallest, threads=1), steps),
        ("gatecc fused C, extracted circuit, 1 thread", FusedCEngine(extracted, threads=1), steps),
        ("gatecc planes engine (target c)", PlaneEngine(gatecc.compile(net, target="c")), max(1, steps // 10)),
    ]
    rows = []
    for name, engine, n in engines:
        rate, out = timed(engine, words, n)
        ref = expected if n == steps else _ref(board, n)
        rows.append((name, rate, bool((unpack_board(out) == ref).all())))
    if isinstance(net, gatecc.LogicNet) and jax_steps:
        run_jax(net, board, 1)
        t = time.perf_counter()
        out = run_jax(net, board, jax_steps)
        rate = jax_steps / (time.perf_counter() - t)
        rows.append(("JAX model, hard mode", rate, bool((out == _ref(board, jax_steps)).all())))

    base = rows[0][1]
    lines.append(f"{'engine':<46} {'steps/s':>12} {'cell updates/s':>15} {'vs baseline':>12}  exact")
    for name, rate, ok in rows:
        lines.append(f"{name:<46} {rate:>12,.1f} {rate * size ** 2:>15.3g} {rate / base:>11.2f}x  "
                     f"{'yes' if ok else 'NO'}")
    return lines


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default=None, help="Life model (default: the shipped examples/life.npz)")
    ap.add_argument("--size", type=int, default=512)
    ap.add_argument("--steps", type=int, default=2000)
    ap.add_argument("--jax-steps", type=int, default=2)
    args = ap.parse_args()
    print("\n".join(measure(args.model, args.size, args.steps, args.jax_steps)))


def _ref(board, steps):
    for _ in range(steps):
        board = reference_step(board)
    return board


if __name__ == "__main__":
    main()
