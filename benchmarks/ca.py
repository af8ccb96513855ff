"""Learned cellular automata: gatecc's CA engines against the JAX hard model of the same circuit.

    python benchmarks/ca.py [--size 512] [--steps 20] [--life MODEL] [--checkerboard MODEL] [--targets c,llvm,wgsl]

Two models (trained ones: the shipped examples/life-ca.npz by default, or
given files; else the notebook's architectures with random gates, seed 0):

* the notebook's Game-of-Life CA: 1 channel, 16 perception kernels of
  [9, 8, 4, 2, 1], update [128] x 17 + [64, 32, 16, 8, 4, 2, 1], torus;
* the notebook's checkerboard CA: 8 channels, 16 kernels of [9, 8, 4, 2],
  update [256] x 10 + [128, 64, 32, 16, 8, 8], zero boundary.

Random gates mostly fold to constants under -O2 (a random deep net of
ANDs and ORs is nearly constant), so figures for untrained models say little:
pass trained ones.

On one random size x size board each target (``gatecc ca --target``) runs
``--steps`` steps; the JAX hard model (the notebook's inference path: every
cell's patch through the layers with one-hot argmax gates, jitted) runs a few.
Every engine's final board is checked against the JAX model's over the same
steps.  Prints cell updates/s and the ratio to JAX, measured in this run.
"""

from __future__ import annotations

import argparse
import os
from importlib.resources import files
import platform
import time

import numpy as np

import gatecc
from gatecc.ca.arch import CHECKERBOARD_ARCH, LIFE_ARCH, init_model
from gatecc.ca.engine import make_ca_engine
from gatecc.ca.jaxca import JaxStepper


def _model(path, arch):
    if path and path != "random":
        return gatecc.load(path), os.path.basename(str(path))
    return init_model(arch, seed=0, random_gates=True), "random gates, seed 0"


def _rate(fn, cells: int, steps: int) -> float:
    t = time.perf_counter()
    fn(steps)
    return steps * cells / (time.perf_counter() - t)


def bench_model(name: str, model, where: str, size: int, steps: int, targets, jax_steps: int, levels) -> None:
    from gatecc.ir.stats import count_gates

    rng = np.random.default_rng(1)
    board = rng.integers(0, 2, (size, size, model.channels)).astype(np.uint8)
    cells = size * size
    jax_model = JaxStepper(model)
    jax_model.run(board, 1)                                   # compile
    jrate = _rate(lambda n: jax_model.run(board, n), cells, jax_steps)
    expected = jax_model.run(board, steps)
    print(f"\n{name} ({where}): {model.channels} channel(s), {model.n_kernels} kernels, "
          f"{model.n_gates} learned gates, {model.boundary}; {size}x{size} board")
    print(f"  {'JAX hard model':<28} {jrate:>12.4g} cell updates/s      1.0x  ({jax_steps} steps)")
    for level, target in ((lv, t) for lv in levels for t in targets):
        t = time.perf_counter()
        engine = make_ca_engine(model, target, opt_level=level)
        build = time.perf_counter() - t
        engine.run(board, 1)                                  # warm up
        n = steps if target != "wgsl" else max(1, steps // 4)
        rate = _rate(lambda k: engine.run(board, k), cells, n)
        ok = np.array_equal(engine.run(board, steps), expected)
        gates = count_gates(engine.graph) if hasattr(engine, "graph") else "?"
        print(f"  {f'gatecc {engine.name} -O{level}':<28} {rate:>12.4g} cell updates/s {rate / jrate:>8.1f}x  "
              f"({n} steps, {gates} gates, -O and build {build:.1f} s, board {'== JAX' if ok else 'DIFFERS'})")
        if not ok:
            raise SystemExit(f"{name}: {engine.name} differs from the JAX model after {steps} steps")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--size", type=int, default=512)
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--jax-steps", type=int, default=2)
    ap.add_argument("--life", metavar="MODEL", default=str(files("gatecc.examples") / "life-ca.npz"),
                    help="a trained life-ca model (default: the shipped examples/life-ca.npz; 'random': random gates)")
    ap.add_argument("--checkerboard", metavar="MODEL", help="a trained checkerboard model (default: random gates)")
    ap.add_argument("--targets", default="c,llvm,wgsl")
    ap.add_argument("--opt", default="2,3", help="optimisation levels of the per-cell circuit (default 2,3)")
    args = ap.parse_args()
    print(f"machine: {platform.machine()} {platform.processor() or ''}, {os.cpu_count()} cores")
    targets = [t for t in args.targets.split(",") if t]
    for name, path, arch in (("Game-of-Life CA", args.life, LIFE_ARCH),
                             ("checkerboard CA", args.checkerboard, CHECKERBOARD_ARCH)):
        model, where = _model(path, arch)
        bench_model(name, model, where, args.size, args.steps, targets, args.jax_steps,
                    [int(v) for v in args.opt.split(",")])


if __name__ == "__main__":
    main()
