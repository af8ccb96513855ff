"""gatecc against the peers' approach: compile time and throughput, one table, one run.

    python benchmarks/run.py                      # the full table (a few minutes; the -O1 baseline is slow)
    python benchmarks/run.py --quick              # a 6k-gate net, no -O1 baseline: a smoke run
    python benchmarks/run.py --no-baseline-o1     # skip the slowest build
    python benchmarks/run.py --threads 1          # one core for every system

Rows, each compiled from scratch (an empty build cache) and run end to end
from a (batch, n_inputs) bool array to the outputs:

* ``baseline -O0`` / ``-O1``: the peers' approach (``benchmarks/baseline.py``:
  one straight-line C function of 64-bit words, per-bit ripple counters for
  GroupSum, bit-by-bit packing), built with gcc at -O0 and -O1;
* ``gatecc <target> -O2``: ``gatecc.compile(net, target)`` for each native
  target available here (C; LLVM when llvmlite is installed);
* ``JAX hard``: the soft model in hard mode (``gatecc.soft_eval(..., hard=True)``),
  compile time = the first call (XLA compilation included).

Nets: the issue's 48k-gate MNIST-shaped random net (400 inputs, 6 layers of
8000, GroupSum k = 10), ``examples/digits.npz``, and Life steps/s
(``benchmarks/life.py``).  Ratios are against ``baseline -O0``
measured in the same run, so they hold on a busy machine where absolute
figures do not.  The roofline column divides gates x samples/s (end to
end) by the
machine's measured peak of vector logic operations (every core running
independent 2-input vector ops), i.e. vector bits x logic ops per cycle x
clock x cores.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from baseline import BaselineNet  # noqa: E402
from pipeline import random_net  # noqa: E402

import gatecc  # noqa: E402
from gatecc.backends import get_target  # noqa: E402
from gatecc.backends.native import default_threads  # noqa: E402
from gatecc.ir.stats import count_gates  # noqa: E402

NATIVE_TARGETS = ("c", "llvm")


@dataclass
class Row:
    """One system on one net."""

    name: str
    compile_s: float | None
    rate: float | None              # samples/s from bool arrays
    packed_rate: float | None = None  # samples/s from bit planes (gatecc only)
    gates: int | None = None
    note: str = ""


def measure_rate(fn, make_batch, min_seconds: float, max_batch: int) -> float:
    """Best samples/s of ``fn(batch)`` over three runs of a batch that takes at least ``min_seconds``/3."""
    batch = 2048
    while True:
        x = make_batch(batch)
        start = time.perf_counter()
        fn(x)
        took = time.perf_counter() - start
        if took >= min_seconds / 3 or batch >= max_batch:
            break
        batch = min(max_batch, batch * max(2, int(min_seconds / 3 / max(took, 1e-6))))
    best = took
    for _ in range(2):
        start = time.perf_counter()
        fn(x)
        best = min(best, time.perf_counter() - start)
    return batch / best


# -- machine ------------------------------------------------------------------

def cpu_model() -> str:
    """The CPU's model name from /proc/cpuinfo, else platform's guess."""
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def clock_ghz() -> float | None:
    """Nominal clock in GHz from /proc/cpuinfo (None where it is not reported)."""
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("cpu MHz"):
                return float(line.split(":", 1)[1]) / 1000
    except (OSError, ValueError):
        pass
    return None


_PROBE = """
#include <stddef.h>
#include <stdint.h>
typedef uint64_t V __attribute__((vector_size(%(bytes)d)));
/* 12 independent chains of xor/and/or: 36 logic ops per iteration, throughput bound. */
uint64_t probe(size_t iterations)
{
    V a[12], k1, k2;
    for (int i = 0; i < 12; ++i) for (int l = 0; l < %(lanes)d; ++l) a[i][l] = 3u * i + l;
    for (int l = 0; l < %(lanes)d; ++l) { k1[l] = 0x5555555555555555ULL + l; k2[l] = 0x3333333333333333ULL - l; }
    for (size_t it = 0; it < iterations; ++it) {
        for (int i = 0; i < 12; ++i) a[i] = ((a[i] ^ k1) & k2) | a[(i + 1) %% 12];
        __asm__ volatile("" : "+x"(a[0]), "+x"(a[3]), "+x"(a[6]), "+x"(a[9]));
    }
    V s = a[0];
    for (int i = 1; i < 12; ++i) s ^= a[i];
    return s[0];
}
"""


def peak_bit_ops(vector_bits: int, threads: int) -> float:
    """Measured peak of 2-input vector logic, in bit-ops/s, over ``threads`` threads at once."""
    from gatecc.backends.cbuild import load_library

    source = _PROBE % {"bytes": vector_bits // 8, "lanes": vector_bits // 64}
    _, lib = load_library(source, "uint64_t probe(size_t iterations);", flags=("-O2",))
    iterations = 2_000_000
    lib.probe(iterations // 10)
    results = []

    def work():
        start = time.perf_counter()
        lib.probe(iterations)
        results.append(time.perf_counter() - start)

    pool = [threading.Thread(target=work) for _ in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    return threads * iterations * 36 * vector_bits / max(results)


# -- systems ------------------------------------------------------------------

def fresh_cache() -> tempfile.TemporaryDirectory:
    """Point the gatecc build cache at an empty directory (so compile times are first-build times)."""
    tmp = tempfile.TemporaryDirectory(prefix="gatecc-bench-")
    os.environ["GATECC_CACHE_DIR"] = tmp.name
    return tmp


def prebuild_runtimes(vector_bits: int) -> dict[str, float]:
    """Build the runtimes (the bool path) before timing: once per machine (C) or process (LLVM), not per net."""
    seconds = {}
    if get_target("c").available() is None:
        from gatecc.backends.c_runtime import runtime_library

        start = time.perf_counter()
        runtime_library(vector_bits)
        seconds["c"] = time.perf_counter() - start
    if get_target("llvm").available() is None:
        from gatecc.backends.llvm_jit import runtime_run

        start = time.perf_counter()
        runtime_run(vector_bits)
        seconds["llvm"] = time.perf_counter() - start
    return seconds


def bench_gatecc(net, target: str, threads: int, args, x_check, expected) -> Row:
    start = time.perf_counter()
    compiled = gatecc.compile(net, target=target, opt_level=2, threads=threads)
    compile_s = time.perf_counter() - start
    ok = np.array_equal(compiled(x_check), expected)
    start = time.perf_counter()
    gatecc.compile(net, target=target, opt_level=2, threads=threads)
    again = time.perf_counter() - start
    rng = np.random.default_rng(1)
    rate = measure_rate(compiled, lambda n: rng.integers(0, 2, (n, net.n_inputs)).astype(bool),
                        args.seconds, args.max_batch)
    packed = measure_rate(compiled.run_planes,
                          lambda n: rng.integers(0, 2**63, (net.n_inputs, -(-n // 64)), dtype=np.uint64),
                          args.seconds, args.max_batch)
    note = f"recompile {again:.2f} s" + ("" if ok else "; WRONG OUTPUTS")
    return Row(f"gatecc {target} -O2", compile_s, rate, packed, count_gates(compiled.graph), note)


def bench_baseline(net, level: int, args, x_check, expected) -> Row:
    base = BaselineNet(net, level)
    try:
        ok = np.array_equal(base(x_check), expected)
        rng = np.random.default_rng(2)
        rate = measure_rate(base, lambda n: rng.integers(0, 2, (n, net.n_inputs)).astype(bool),
                            args.seconds, args.max_batch)
    finally:
        base.close()
    note = f"emit {base.emit_seconds:.2f} s + gcc {base.build_seconds:.2f} s" + ("" if ok else "; WRONG OUTPUTS")
    return Row(f"baseline gcc -O{level}", base.emit_seconds + base.build_seconds, rate, note=note)


def bench_jax(net, args, x_check, expected) -> Row:
    start = time.perf_counter()
    got = gatecc.soft_eval(net, x_check, hard=True)
    compile_s = time.perf_counter() - start
    scale = net.groupsum.tau if net.groupsum is not None else 1.0
    ok = np.array_equal(np.rint(got * scale).astype(np.int64), expected.astype(np.int64))
    rng = np.random.default_rng(3)
    batch = min(args.max_batch, 16384)
    x = rng.integers(0, 2, (batch, net.n_inputs)).astype(np.float32)
    gatecc.soft_eval(net, x, hard=True)
    start = time.perf_counter()
    gatecc.soft_eval(net, x, hard=True)
    rate = batch / (time.perf_counter() - start)
    return Row("JAX soft model, hard", compile_s, rate, note="first call = compile" + ("" if ok else "; WRONG"))


def bench_net(title: str, net, args) -> list[Row]:
    """Every system on ``net``."""
    x_check = np.random.default_rng(0).integers(0, 2, (1000, net.n_inputs)).astype(bool)
    rows = []
    for level in (0, 1):
        if level == 1 and args.no_baseline_o1:
            rows.append(Row("baseline gcc -O1", None, None, note="skipped (--no-baseline-o1)"))
            continue
        if get_target("c").available() is not None:
            rows.append(Row(f"baseline gcc -O{level}", None, None, note="no C compiler"))
            continue
        print(f"  {title}: baseline -O{level} ...", file=sys.stderr, flush=True)
        rows.append(bench_baseline(net, level, args, x_check, reference(net, x_check)))
    for target in NATIVE_TARGETS:
        if target not in args.targets:
            continue
        try:
            reason = get_target(target).available()
        except gatecc.TargetError:
            reason = "not registered"
        if reason:
            rows.append(Row(f"gatecc {target} -O2", None, None, note=f"unavailable: {reason}"))
            continue
        print(f"  {title}: gatecc {target} ...", file=sys.stderr, flush=True)
        rows.append(bench_gatecc(net, target, args.threads, args, x_check, reference(net, x_check)))
    if not args.skip_jax:
        print(f"  {title}: JAX ...", file=sys.stderr, flush=True)
        rows.append(bench_jax(net, args, x_check, reference(net, x_check)))
    return rows


_REFERENCE: dict = {}


def reference(net, x) -> np.ndarray:
    """The expected outputs (GroupSum counts or bits) from the reference evaluator."""
    key = id(net)
    if key not in _REFERENCE:
        from gatecc.ir.evaluate import evaluate_samples
        from gatecc.lower import lower

        _REFERENCE[key] = evaluate_samples(lower(net), x)
    return _REFERENCE[key]


def print_table(title: str, rows: list[Row], peak: float, threads: int) -> None:
    base = next((r for r in rows if r.name == "baseline gcc -O0" and r.rate), None)
    print(f"\n## {title}\n")
    header = (f"| {'system':<22} | {'compile s':>9} | {'x base -O0':>10} | {'samples/s':>10} | {'x base -O0':>10} "
              f"| {'packed/s':>10} | {'roofline':>8} | note")
    print(header)
    print("|" + "|".join("-" * (len(c) + 0) for c in header.split("|")[1:]))
    for r in rows:
        comp = f"{r.compile_s:9.2f}" if r.compile_s is not None else f"{'-':>9}"
        comp_x = f"{r.compile_s / base.compile_s:9.2f}x" if (base and r.compile_s) else f"{'-':>10}"
        rate = f"{r.rate:10.3g}" if r.rate else f"{'-':>10}"
        rate_x = f"{r.rate / base.rate:9.1f}x" if (base and r.rate) else f"{'-':>10}"
        packed = f"{r.packed_rate:10.3g}" if r.packed_rate else f"{'-':>10}"
        roof = f"{100 * r.gates * r.rate / peak:7.1f}%" if (r.gates and r.rate) else f"{'-':>8}"
        print(f"| {r.name:<22} | {comp} | {comp_x} | {rate} | {rate_x} | {packed} | {roof} | {r.note}")


def print_packing_note(net, args) -> None:
    """How fast numpy alone packs this net's inputs: why the bool path packs in compiled code."""
    from gatecc.ir.planes import pack_bits

    rng = np.random.default_rng(4)
    rate = measure_rate(pack_bits, lambda n: rng.integers(0, 2, (n, net.n_inputs)).astype(bool),
                        args.seconds / 2, args.max_batch)
    print(f"\nnumpy pack_bits alone: {rate:.3g} samples/s for {net.n_inputs} inputs (the compiled bool path "
          "packs, evaluates and decodes in compiled code, tile by tile)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="a 6k-gate net and no -O1 baseline (a smoke run)")
    ap.add_argument("--no-baseline-o1", action="store_true", help="skip the baseline at gcc -O1 (its build is slow)")
    ap.add_argument("--skip-jax", action="store_true", help="skip the JAX soft model")
    ap.add_argument("--targets", default=",".join(NATIVE_TARGETS), help="gatecc targets to run (default c,llvm)")
    ap.add_argument("--threads", type=int, default=None, help="threads for gatecc (default: every core)")
    ap.add_argument("--seconds", type=float, default=1.5, help="time spent measuring each throughput")
    ap.add_argument("--max-batch", type=int, default=1 << 19, help="largest batch (samples) to time")
    args = ap.parse_args()
    args.threads = args.threads or default_threads()
    if args.quick:
        args.no_baseline_o1 = True
    args.targets = [t.strip() for t in args.targets.split(",") if t.strip()]

    from gatecc.backends.c import host_vector_bits

    cache = fresh_cache()
    try:
        bits = host_vector_bits()
        runtimes = prebuild_runtimes(bits)
        load = os.getloadavg() if hasattr(os, "getloadavg") else ("?",) * 3
        peak = peak_bit_ops(bits, args.threads)
        clock = clock_ghz()
        print("# gatecc benchmark\n")
        print(f"machine: {cpu_model()}, {os.cpu_count()} CPUs ({args.threads} used), {platform.machine()}, "
              f"{bits}-bit vectors, clock {clock or '?'} GHz, load average {load[0]:.2f} at start")
        print(f"python {platform.python_version()}, numpy {np.__version__}, gatecc {gatecc.__version__}")
        ops_per_cycle = f", i.e. {peak / bits / (clock * 1e9) / args.threads:.2f} logic ops/cycle/core" if clock else ""
        print(f"peak vector logic (measured): {peak:.3g} bit-ops/s over {args.threads} threads{ops_per_cycle}")
        print("roofline = gates x samples/s (end to end) / peak; every time is wall clock from a cold build cache; "
              "'recompile' is a second compile of the same net")
        print("runtimes (the bool path, built once per machine for C and per process for LLVM, before timing): "
              + ", ".join(f"{name} {secs:.2f} s" for name, secs in runtimes.items()))
        nets = []
        if args.quick:
            nets.append(("random net, 400 inputs, 6 x 1000, GroupSum k=10", random_net(400, 1000, 6, 10)))
        else:
            nets.append(("random net, 400 inputs, 6 x 8000, GroupSum k=10 (48k gates)", random_net(400, 8000, 6, 10)))
        digits = Path(__file__).resolve().parent.parent / "examples" / "digits.npz"
        if digits.exists():
            nets.append(("examples/digits.npz", gatecc.load(digits)))
        else:
            print(f"note: {digits} not found: the digits net is skipped")
        for title, net in nets:
            rows = bench_net(title, net, args)
            print_table(title, rows, peak, args.threads)
            print_packing_note(net, args)
        from life import measure as life_measure

        print("\n## Life (python benchmarks/life.py)\n")
        print("\n".join(life_measure(steps=500 if args.quick else 2000)))
    finally:
        cache.cleanup()


if __name__ == "__main__":
    main()
