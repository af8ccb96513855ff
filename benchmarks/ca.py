"""Learned cellular automata: gatecc's CA engines against the JAX hard model of the same circuit.

    python benchmarks/ca.py [--size 512] [--steps 20] [--life MODEL] [--checkerboard MODEL] [--targets c,llvm,wgsl]
                            [--threads N]

Two models (trained ones: the shipped examples by default, or given files;
else the notebook's architectures with random gates, seed 0):

* the notebook's Game-of-Life CA: 1 channel, 16 perception kernels of
  [9, 8, 4, 2, 1], update [128] x 17 + [64, 32, 16, 8, 4, 2, 1], torus;
* an 8-channel checkerboard CA: the shipped trained examples/checkerboard-ca-best.npz
  (``gatecc train checkerboard --seed 0 --epochs 630``, hardened: 96.7% of the
  held-out cells right, not exact; benchmarks/RESULTS.md), or, with
  ``--checkerboard live``, the notebook's checkerboard architecture (8 channels,
  16 kernels of [9, 8, 4, 2], update [256] x 10 + [128, 64, 32, 16, 8, 8], zero
  boundary) with random gates.

Random gates uniform over the 16 ids fold to constants under -O2 (a random
deep net of ANDs and ORs is nearly constant); the ``live`` 8-channel model
draws half its gates from XOR/XNOR so that ~3600 gates survive -O2.

On one random size x size board each target (``gatecc ca --target``) runs
``--steps`` steps; the JAX hard model (the notebook's inference path: every
cell's patch through the layers with one-hot argmax gates, jitted, 4-term
gates) runs a few, and so does a notebook-style JAX stepper written here (the
per-cell function vmapped over patches, each gate the one-hot weighted sum
of all 16 relaxations, as the notebook's ``run_circuit``); ratios are
against the faster of the two kinds, gatecc's.
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
from gatecc.ca.arch import CHECKERBOARD_ARCH, LIFE_ARCH, LIVE_GATES, init_model
from gatecc.ca.engine import make_ca_engine
from gatecc.ca.jaxca import JaxStepper


def _model(path, arch):
    if path == "random":
        return init_model(arch, seed=0, random_gates=True), "random gates, seed 0"
    if path == "live":
        return (init_model(arch, seed=0, random_gates=True, gate_set=LIVE_GATES),
                "random gates, half XOR/XNOR, seed 0")
    return gatecc.load(path), os.path.basename(str(path))


def notebook_style_stepper(model):
    """The notebook's inference path, written here: per-cell function vmapped over the board's patches,
    each neuron the one-hot(argmax) weighted sum of all 16 gate relaxations (its ``bin_op_s``)."""
    import jax
    import jax.numpy as jnp

    from gatecc.ca.jaxca import model_params, patches

    params, wires = model_params(model)
    onehots = jax.tree_util.tree_map(lambda w: jax.nn.one_hot(jnp.argmax(jnp.asarray(w), axis=-1), 16), params)

    def ops(a, b):
        ab = a * b
        return jnp.stack([0 * a, ab, a - ab, a, b - ab, b, a + b - 2 * ab, a + b - ab, 1 - (a + b - ab),
                          1 - (a + b - 2 * ab), 1 - b, 1 - b + ab, 1 - a, 1 - a + ab, 1 - ab, 0 * a + 1], axis=-1)

    def layer(onehot, wire, x):
        return jnp.sum(ops(x[..., wire[0]], x[..., wire[1]]) * onehot, axis=-1)

    def cell(patch):                                   # (9, C) -> (C,)
        x = jnp.broadcast_to(patch.T, (onehots["perceive"][0].shape[0],) + patch.T.shape)   # (K, C, 9)
        for oh, wire in zip(onehots["perceive"], wires["perceive"]):
            x = jax.vmap(layer, in_axes=(0, None, 0))(oh, wire, x)
        x = jnp.concatenate([patch[4], x.transpose(1, 2, 0).reshape(-1)])      # 'k c s -> (c s k)'
        for oh, wire in zip(onehots["update"], wires["update"]):
            x = layer(oh, wire, x)
        return x

    @jax.jit
    def step(board):                                   # (H, W, C) float
        p = patches(board[None], model.periodic)       # (9, C, N)
        return jax.vmap(cell)(p.transpose(2, 0, 1)).reshape(board.shape)

    def run(board, steps):
        b = jnp.asarray(board, jnp.float32)
        for _ in range(steps):
            b = step(b)
        return (np.asarray(b) > 0.5).astype(np.uint8)

    return run


def _rate(fn, cells: int, steps: int, min_seconds: float = 0.0) -> tuple[float, int]:
    """Cell updates/s of ``fn(steps)``; steps double until one call takes ``min_seconds``. Returns (rate, steps)."""
    while True:
        t = time.perf_counter()
        fn(steps)
        dt = time.perf_counter() - t
        if dt >= min_seconds:
            return steps * cells / dt, steps
        steps *= 2


def bench_model(name: str, model, where: str, size: int, steps: int, targets, jax_steps: int, levels,
                notebook_size: int = 32, threads: int | None = None) -> None:
    from gatecc.ir.stats import count_gates

    rng = np.random.default_rng(1)
    board = rng.integers(0, 2, (size, size, model.channels)).astype(np.uint8)
    cells = size * size
    jax_model = JaxStepper(model)
    jax_model.run(board, 1)                                   # compile
    jrate, _ = _rate(lambda n: jax_model.run(board, n), cells, jax_steps)
    expected = jax_model.run(board, steps)
    # The notebook-style stepper is slow on a CPU (per-cell gathers): it runs on a small board.
    small = board[:notebook_size, :notebook_size]
    notebook = notebook_style_stepper(model)
    notebook(small, 1)                                        # compile
    nrate, _ = _rate(lambda n: notebook(small, n), small.shape[0] * small.shape[1], 1)
    if not np.array_equal(notebook(small, 2), jax_model.run(small, 2)):
        raise SystemExit(f"{name}: the notebook-style JAX model differs from gatecc's JAX model")
    print(f"\n{name} ({where}): {model.channels} channel(s), {model.n_kernels} kernels, "
          f"{model.n_gates} learned gates, {model.boundary}; {size}x{size} board")
    print(f"  {'JAX hard model (gatecc.ca)':<28} {jrate:>12.4g} cell updates/s      1.0x  ({jax_steps} steps; "
          "the baseline of the ratios)")
    print(f"  {'JAX notebook-style':<28} {nrate:>12.4g} cell updates/s {nrate / jrate:>8.2f}x  (1 step on "
          f"{small.shape[0]}x{small.shape[1]}; vmap over patches, 16-term gates)")
    for level, target in ((lv, t) for lv in levels for t in targets):
        t = time.perf_counter()
        engine = make_ca_engine(model, target, opt_level=level, threads=threads)
        build = time.perf_counter() - t
        engine.run(board, 1)                                  # warm up
        n = steps if target != "wgsl" else max(1, steps // 4)
        rate, n = _rate(lambda k: engine.run(board, k), cells, n, min_seconds=0.5)
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
    shipped = [p for p in (files("gatecc.examples") / n for n in ("checkerboard-ca.npz", "checkerboard-ca-best.npz"))
               if p.is_file()]
    ap.add_argument("--checkerboard", metavar="MODEL", default=str(shipped[0]) if shipped else "live",
                    help="a trained checkerboard model (default: the shipped examples/checkerboard-ca-best.npz, "
                         "the best of a seed-0 training run, not exact), or 'live' (random gates, half of them "
                         "XOR/XNOR, which do not fold away) or 'random' (uniform over the 16 gates)")
    ap.add_argument("--targets", default="c,llvm,wgsl")
    ap.add_argument("--threads", type=int, help="threads of the c target (default: all cores; llvm runs one)")
    ap.add_argument("--opt", default="2,3", help="Life CA: optimisation levels of the per-cell circuit (default 2,3)")
    ap.add_argument("--opt-checkerboard", default="2,3", help="checkerboard CA: the same (default 2,3)")
    args = ap.parse_args()
    print(f"machine: {platform.machine()} {platform.processor() or ''}, {os.cpu_count()} cores; "
          f"c target threads: {args.threads or 'all cores'}")
    targets = [t for t in args.targets.split(",") if t]
    for name, path, arch, levels in (("Game-of-Life CA", args.life, LIFE_ARCH, args.opt),
                                     ("checkerboard CA", args.checkerboard, CHECKERBOARD_ARCH, args.opt_checkerboard)):
        model, where = _model(path, arch)
        bench_model(name, model, where, args.size, args.steps, targets, args.jax_steps,
                    [int(v) for v in levels.split(",")], threads=args.threads)


if __name__ == "__main__":
    main()
