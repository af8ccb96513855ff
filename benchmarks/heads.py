"""Decision heads: classes from the circuit against counts + numpy, and what the head's don't-cares save.

    python benchmarks/heads.py                 # everything (a few minutes: the 48k-gate net builds twice)
    python benchmarks/heads.py --quick         # a 6k-gate net instead of the 48k one
    python benchmarks/heads.py --skip-speed    # only the gate counts

1. Throughput, target c -O2, from (batch, n_inputs) bool arrays: ``predict``
   with ``head="argmax"`` (the class computed in the circuit) against the
   counts net plus ``numpy.argmax``, on the issue's 48k-gate random net
   (400 inputs, 6 x 8000, GroupSum k=10) and examples/digits.npz.  Both
   answers are checked equal before timing; the ratio is measured in the
   same run.
2. Gates saved by optimising with the head in view: "counts first" optimises
   the counts circuit and then appends the head (and only strash cleans up);
   "head first" builds the head into the raw net and optimises the decision
   (-O3 includes ``collapse``, the truth-table resynthesis of small-support
   outputs).  Nets: the learned Life net's 64-wide layer read as one count,
   ``threshold:32`` ("count > 32"), the shipped Life net's own output bit,
   and the digits net with ``argmax``.
3. For the 9-input decisions: ABC (berkeley-abc) on the decision's truth
   table, ``strash; resyn2; dch; map -a`` and ``&synch2; &nf`` onto
   benchmarks/corpus/gates2.genlib, best of both, counted like gatecc counts
   (benchmarks/optimizer.py); every gatecc circuit is proven equal to the
   model's decision with gatecc verify.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from optimizer import GENLIB, MAP_SCRIPTS, abc_binary, abc_mapped_gates, run_abc  # noqa: E402
from pipeline import random_net  # noqa: E402
from run import fresh_cache, measure_rate  # noqa: E402

import gatecc  # noqa: E402
from gatecc.compiler import to_graph, with_head  # noqa: E402
from gatecc.ir.evaluate import all_inputs, evaluate_samples  # noqa: E402
from gatecc.ir.passes import optimize, parse_pipeline, run_pipeline  # noqa: E402
from gatecc.ir.stats import count_gates  # noqa: E402
from gatecc.model import GroupSum, LogicNet  # noqa: E402
from gatecc.verify import equivalent  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent


def speed(title: str, net, seconds: float) -> None:
    """One line: samples/s of the argmax head against counts + numpy argmax."""
    t = time.perf_counter()
    counts = gatecc.compile(net, target="c")
    t_counts = time.perf_counter() - t
    t = time.perf_counter()
    head = gatecc.compile(net, target="c", head="argmax")
    t_head = time.perf_counter() - t
    rng = np.random.default_rng(0)
    make = lambda n: rng.integers(0, 2, (n, net.n_inputs)).astype(bool)  # noqa: E731
    x = make(4096)
    assert np.array_equal(head.predict(x), counts(x).argmax(axis=1)), "argmax head differs from numpy"
    r_head = measure_rate(head.predict, make, seconds, 1 << 19)
    r_np = measure_rate(lambda b: counts(b).argmax(axis=1), make, seconds, 1 << 19)
    print(f"{title:<34} gates {count_gates(counts.graph):>6} -> {count_gates(head.graph):>6} (head) | "
          f"counts+numpy {r_np:>12,.0f}/s | argmax in circuit {r_head:>12,.0f}/s | x{r_head / r_np:.2f} | "
          f"builds {t_counts:.1f} s / {t_head:.1f} s")


def counts_first(graph, head, level):
    """Optimise the counts, then append the head and strash: the head sees no don't-cares."""
    optimised, _ = optimize(graph, level)
    return run_pipeline(with_head(optimised, head), parse_pipeline("strash"))[0]


def abc_on_truth_table(abc: str, graph) -> int | None:
    """ABC's best mapped gate count for the single-output, 9-input decision of ``graph``."""
    x = all_inputs(graph.n_inputs)
    values = evaluate_samples(graph, x)[:, 0]
    minterm = (x.astype(np.int64) << np.arange(graph.n_inputs)).sum(axis=1)
    table = 0
    for m, v in zip(minterm.tolist(), values.tolist()):
        table |= int(v) << m
    hexs = f"{table:0{(1 << graph.n_inputs) // 4}x}"
    best = None
    for script in MAP_SCRIPTS:
        text, _ = run_abc(abc, f"read_library {GENLIB}; read_truth {hexs}; {script}; print_gates")
        gates = abc_mapped_gates(text)
        best = gates if best is None else min(best, gates)
    return best


def dontcares(abc: str | None, levels, digits_levels) -> None:
    """The gate-count table of section 2 and 3."""
    life = gatecc.load(ROOT / "examples" / "life.npz")
    cut = [layer.a.shape[0] for layer in life.layers].index(64)
    rows = [
        ("life 64-wide layer, threshold:32", LogicNet(9, life.layers[: cut + 1], GroupSum(1, 1.0)), "threshold:32"),
        ("life (shipped), its output bit", LogicNet(9, life.layers, GroupSum(1, 1.0)), "threshold:0"),
        ("digits, argmax", gatecc.load(ROOT / "examples" / "digits.npz"), "argmax"),
    ]
    print(f"\n{'net / head':<34} {'level':>5} {'counts first':>12} {'head first':>10} {'saved':>6}  "
          f"{'ABC on truth table':>18}  verify  seconds")
    for title, net, head in rows:
        raw = to_graph(net)
        abc_gates = abc_on_truth_table(abc, with_head(raw, head)) if abc and net.n_inputs <= 16 else None
        for level in (digits_levels if head == "argmax" else levels):
            t = time.perf_counter()
            first = counts_first(raw, head, level)
            ours, _ = optimize(with_head(raw, head), level)
            secs = time.perf_counter() - t
            a, b = count_gates(first), count_gates(ours)
            proof = equivalent(net, ours, head_a=head)
            abc_text = "-" if abc_gates is None else str(abc_gates)
            print(f"{title:<34} {'-O' + str(level):>5} {a:>12} {b:>10} {a - b:>6}  {abc_text:>18}  "
                  f"{'equal' if proof.equal else 'DIFF'}  {secs:7.1f}", flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="a 6k-gate net instead of the 48k-gate one")
    ap.add_argument("--skip-speed", action="store_true", help="only the gate counts")
    ap.add_argument("--seconds", type=float, default=1.5, help="time spent measuring each throughput")
    ap.add_argument("--digits-o3", action="store_true", help="also -O3 on digits (slow: minutes)")
    args = ap.parse_args()
    cache = fresh_cache()
    try:
        load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
        print(f"# decision heads ({os.cpu_count()} CPUs, load average {load:.2f} at start, gatecc {gatecc.__version__})\n")
        if not args.skip_speed:
            width = 1000 if args.quick else 8000
            speed(f"random 400 in, 6 x {width}, k=10", random_net(400, width, 6, 10), args.seconds)
            speed("digits (examples/digits.npz)", gatecc.load(ROOT / "examples" / "digits.npz"), args.seconds)
        abc = abc_binary()
        if abc is None:
            print("(ABC not installed: no truth-table column)")
        dontcares(abc, (2, 3), (2, 3) if args.digits_o3 else (2,))
    finally:
        cache.cleanup()


if __name__ == "__main__":
    main()
