"""Where compile time goes: load, lower, each pass, emit, build, first run.

    python benchmarks/pipeline.py [--gates 48000] [--inputs 400] [--layers 6] [-O 2]

Builds a random MNIST-shaped net (the issue's 48k-gate shape by default),
prints one line per stage with its time and the graph size after it.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np

import gatecc
from gatecc.backends import get_target, legalize
from gatecc.ir.passes import opt_pipeline, run_pipeline
from gatecc.ir.stats import count_gates
from gatecc.lower import lower
from gatecc.model import GroupSum, Layer, LogicNet


def random_net(n_inputs: int, width: int, layers: int, k: int, seed: int = 0) -> LogicNet:
    """A random net with logits, the shape of the peers' MNIST models."""
    rng = np.random.default_rng(seed)
    out, prev = [], n_inputs
    for _ in range(layers):
        out.append(Layer(rng.integers(0, prev, width), rng.integers(0, prev, width),
                         logits=rng.normal(size=(width, 16)).astype(np.float32)))
        prev = width
    return LogicNet(n_inputs, out, GroupSum(k, 1.0) if k else None)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--gates", type=int, default=48000, help="neurons in total (default 48000)")
    ap.add_argument("--inputs", type=int, default=400)
    ap.add_argument("--layers", type=int, default=6)
    ap.add_argument("--k", type=int, default=10, help="GroupSum groups (0: none)")
    ap.add_argument("-O", dest="opt", type=int, default=2)
    ap.add_argument("--target", default="c")
    args = ap.parse_args()

    net = random_net(args.inputs, args.gates // args.layers, args.layers, args.k)
    rows = []

    def stage(name, fn):
        t = time.perf_counter()
        result = fn()
        rows.append((name, time.perf_counter() - t))
        return result

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "net.npz"
        stage("save", lambda: net.save(path))
        loaded = stage("load", lambda: gatecc.load(path))
        graph = stage("lower", lambda: lower(loaded))
        print(f"net: {args.inputs} inputs, {args.layers} x {args.gates // args.layers}, k={args.k}; "
              f"raw graph {count_gates(graph)} gates")
        graph, stats = stage(f"passes -O{args.opt}", lambda: run_pipeline(graph, opt_pipeline(args.opt)))
        for st in stats:
            print("   ", st.summary())
        graph = stage("legalize", lambda: legalize(graph))
        target = get_target(args.target)
        source = stage("emit", lambda: target.emit(graph))
        kernel = stage("build", lambda: target.load(graph, source))
        x = np.random.default_rng(1).integers(0, 2, (args.inputs, 1024), dtype=np.uint64)
        stage("first run (64k samples)", lambda: kernel.run(x))
    for name, secs in rows:
        print(f"{name:<26} {secs:8.3f} s")
    print(f"{'total':<26} {sum(s for _, s in rows):8.3f} s   ({count_gates(graph)} gates after -O{args.opt})")


if __name__ == "__main__":
    main()
