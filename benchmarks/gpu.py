"""Gate evaluations per second of the WGSL target on the WebGPU adapter found here.

    python benchmarks/gpu.py [--inputs 64] [--width 256] [--layers 4] [--k 8] [-O 2]
                             [--chunk-gates N] [--seconds 1.0] [--max-samples N]

Builds a random hard net (only real two-input gates, so little folds away),
compiles it for ``wgsl`` and for ``c``, and prints, in one run:

* the adapter (name, backend, adapter type: a ``CPU`` adapter is a software
  rasteriser such as llvmpipe, not a GPU);
* compile time including the first dispatch (where drivers compile lazily);
* GPU time per evaluation with the inputs already on the device: R rounds
  of dispatches in one submission, best of three, and the batch doubled
  until a round is long enough to matter;
* end-to-end time of ``run_planes`` (upload, dispatch, read back);
* the C target on this CPU on the same batch, and the ratios.

Gate evaluations per second = gates (after -O) x samples / seconds.  The goal
on an H100-class GPU is >= 1e13; e.g. ``--inputs 400 --width 8000 --layers 6``
is the MNIST-sized net.  Use ``GATECC_WGPU_ADAPTER`` to pick an adapter.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

import gatecc
from gatecc.backends import get_target
from gatecc.compiler import lower_to_source
from gatecc.ir.gates import BINARY_GATES
from gatecc.ir.stats import count_gates
from gatecc.model import GroupSum, LogicNet


def random_hard_net(n_inputs: int, width: int, layers: int, k: int, seed: int = 0) -> LogicNet:
    """A random net of real two-input gates (no constants or wires to fold)."""
    rng = np.random.default_rng(seed)
    spec, prev = [], n_inputs
    for _ in range(layers):
        spec.append((rng.integers(0, prev, width), rng.integers(0, prev, width),
                     rng.choice(BINARY_GATES, width).astype(np.uint8)))
        prev = width
    return LogicNet.from_gates(n_inputs, spec, GroupSum(k, 1.0) if k else None)


def best_of(fn, repeats: int = 3) -> float:
    """The fastest of a few timed calls of ``fn`` (seconds)."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def gpu_seconds_per_round(kernel, words32: int, budget_s: float) -> tuple[float, int]:
    """GPU seconds for one evaluation of ``words32`` words, and the rounds used.

    R rounds go in one command buffer, R chosen so they take about a third
    of ``budget_s``; the best of three such runs, divided by R, leaves the
    fixed cost of a submission spread over R rounds.
    """
    one = min(kernel.time_dispatches(words32, 1) for _ in range(3))
    rounds = max(1, min(1000, int(budget_s / 3 / max(one, 1e-6))))
    return min(kernel.time_dispatches(words32, rounds) for _ in range(3)) / rounds, rounds


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--inputs", type=int, default=64, help="net inputs (default 64)")
    ap.add_argument("--width", type=int, default=256, help="neurons per layer (default 256)")
    ap.add_argument("--layers", type=int, default=4, help="layers (default 4)")
    ap.add_argument("--k", type=int, default=8, help="GroupSum groups, 0 for none (default 8)")
    ap.add_argument("-O", dest="opt", type=int, default=2, choices=(0, 1, 2, 3), help="optimisation level (default 2)")
    ap.add_argument("--chunk-gates", type=int, default=None, help="gates per shader entry point (default: the target's)")
    ap.add_argument("--seconds", type=float, default=1.0, help="aim for this much GPU time per measurement (default 1)")
    ap.add_argument("--max-samples", type=int, default=1 << 26, help="largest batch tried (default 2**26)")
    args = ap.parse_args()

    net = random_hard_net(args.inputs, args.width, args.layers, args.k)
    options = {} if args.chunk_gates is None else {"chunk_nodes": args.chunk_gates}

    start = time.perf_counter()
    lowered = lower_to_source(net, "wgsl", args.opt, **options)
    kernel = get_target("wgsl").load(lowered.graph, lowered.source, **options)
    kernel.time_dispatches(64, 1)                     # drivers compile pipelines at first use
    compile_s = time.perf_counter() - start
    gates = count_gates(lowered.graph)
    gpu = kernel.gpu
    print(f"adapter: {gpu.name} | backend {gpu.backend} | type {gpu.adapter_type}")
    print(f"net: {args.inputs} inputs, {args.layers} x {args.width}, k={args.k}, -O{args.opt}: "
          f"{gates} gates, {len(kernel.plan.chunks)} entry point(s), {kernel.plan.n_slots} intermediate planes")
    print(f"wgsl compile incl. first dispatch: {compile_s:.2f} s")

    # Double the batch until one round takes a measurable share of the time budget.
    words32 = 1024
    limit = min(kernel.max_span, max(64, args.max_samples // 32))
    while True:
        per_round, rounds = gpu_seconds_per_round(kernel, words32, args.seconds)
        if per_round * 20 >= args.seconds or words32 * 2 > limit:
            break
        words32 *= 2
    samples = 32 * words32
    gpu_rate = gates * samples / per_round
    print(f"batch: {samples} samples ({words32} u32 words per plane), {rounds} rounds")
    print(f"wgsl GPU only:     {per_round * 1e3:10.3f} ms/eval  {gpu_rate:10.3e} gate-evals/s")

    rng = np.random.default_rng(1)
    planes = rng.integers(0, 2**63, (net.n_inputs, samples // 64), dtype=np.uint64)
    end_to_end = best_of(lambda: kernel.run(planes))
    e2e_rate = gates * samples / end_to_end
    print(f"wgsl end to end:   {end_to_end * 1e3:10.3f} ms/eval  {e2e_rate:10.3e} gate-evals/s  (upload + dispatch + read back)")

    c = gatecc.compile(net, target="c", opt_level=args.opt)
    assert c.graph == lowered.graph, "both targets compile the same optimised graph"
    c_s = best_of(lambda: c.run_planes(planes))
    c_rate = gates * samples / c_s
    print(f"c on this CPU:     {c_s * 1e3:10.3f} ms/eval  {c_rate:10.3e} gate-evals/s  (1 thread)")
    same = np.array_equal(kernel.run(planes), c.run_planes(planes))
    print(f"ratios: GPU-only / C = {gpu_rate / c_rate:.2f}x, end-to-end / C = {e2e_rate / c_rate:.2f}x; "
          f"outputs identical: {same}")
    print(f"goal on an H100-class GPU: >= 1e13 gate-evals/s (GPU only): "
          f"{'met' if gpu_rate >= 1e13 else 'not met'} on this adapter")


if __name__ == "__main__":
    main()
