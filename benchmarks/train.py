"""Training speed against torchlogix, and the dense default's accuracy on the 8x8 digits.

    python benchmarks/train.py [--steps 30] [--width 4000] [--no-accuracy]

1. Samples per second of steady-state training steps (forward, backward,
   AdamW update; compilation and warm-up excluded) for the same dense
   architecture, dense(WIDTH)x2,groupsum(10,tau=20), on the same thermometer
   bits of scikit-learn's bundled 8x8 digits, batch 128: gatecc's trainer
   (JAX, the forward pass of gatecc.soft) against torchlogix's LogicDense +
   GroupSum (PyTorch on the CPU), measured in this run.  Goal: >= 3x.
2. ``gatecc.train``'s no-flags default on the digits (the fixed 80/20 split
   of ``gatecc train digits``): hard test accuracy.  Goal: >= 97%.

The conv parts of the issue's benchmark wait for convolutional layers.
"""

from __future__ import annotations

import argparse
import os
import platform
import time

import numpy as np


def digits_split():
    """Raw 8x8 digits, the fixed 80/20 split of the built-in digits task."""
    from sklearn.datasets import load_digits

    d = load_digits()
    order = np.random.default_rng(0).permutation(len(d.data))
    n_test = len(d.data) // 5
    test, train = order[:n_test], order[n_test:]
    return d.data[train], d.target[train], d.data[test], d.target[test]


def gatecc_rate(bits, labels, width: int, steps: int, batch: int) -> float:
    """Samples/s of gatecc's training step (gatecc.train.fit's forward and loss)."""
    import jax
    import jax.numpy as jnp
    import optax

    from gatecc.train.arch import parse_arch, resolve
    from gatecc.train.fit import FitConfig, _init, _losses, make_forward

    arch = resolve(parse_arch(f"dense({width})x2,groupsum(10,tau=20)"), 10, None)
    static, params = _init(arch, bits.shape[1], np.random.default_rng(0), FitConfig())
    loss_fn, _ = _losses(make_forward(static), arch.head, "xent")
    opt = optax.chain(optax.clip(100.0), optax.adamw(0.05, b1=0.9, b2=0.99, weight_decay=1e-2))
    params = jax.tree_util.tree_map(jnp.asarray, params)
    state = opt.init(params)

    @jax.jit
    def step(params, state, x, y):
        value, grads = jax.value_and_grad(loss_fn)(params, x, y)
        updates, state = opt.update(grads, state, params)
        return optax.apply_updates(params, updates), state, value

    cols = np.ascontiguousarray(bits.T.astype(np.float32))
    rng = np.random.default_rng(1)
    batches = [rng.choice(bits.shape[0], batch, replace=False) for _ in range(steps + 3)]
    for idx in batches[:3]:                       # compile and warm up
        params, state, value = step(params, state, cols[:, idx], labels[idx])
    value.block_until_ready()
    start = time.perf_counter()
    for idx in batches[3:]:
        params, state, value = step(params, state, cols[:, idx], labels[idx])
    value.block_until_ready()
    return steps * batch / (time.perf_counter() - start)


def torchlogix_rate(bits, labels, width: int, steps: int, batch: int) -> float:
    """Samples/s of torchlogix's training step on the same bits (PyTorch, CPU)."""
    import torch

    import sys
    sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests"))
    from peer_models import torchlogix_layers   # imports torchlogix.layers on Python 3.11 too

    tl = torchlogix_layers()
    torch.manual_seed(0)
    model = torch.nn.Sequential(
        tl.LogicDense(bits.shape[1], width, device="cpu"), tl.LogicDense(width, width, device="cpu"),
        tl.GroupSum(10, 20.0, device="cpu"))
    opt = torch.optim.AdamW(model.parameters(), lr=0.05, betas=(0.9, 0.99), weight_decay=1e-2)
    x_all = torch.tensor(bits, dtype=torch.float32)
    y_all = torch.tensor(labels, dtype=torch.long)
    rng = np.random.default_rng(1)
    batches = [torch.tensor(rng.choice(bits.shape[0], batch, replace=False)) for _ in range(steps + 3)]
    model.train()

    def step(idx):
        opt.zero_grad()
        loss = torch.nn.functional.cross_entropy(model(x_all[idx]), y_all[idx])
        loss.backward()
        opt.step()

    for idx in batches[:3]:
        step(idx)
    start = time.perf_counter()
    for idx in batches[3:]:
        step(idx)
    return steps * batch / (time.perf_counter() - start)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--steps", type=int, default=30, help="timed steps per trainer (default 30)")
    ap.add_argument("--width", type=int, default=4000, help="neurons per dense layer (default 4000)")
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--no-accuracy", action="store_true", help="skip the default-training accuracy run")
    args = ap.parse_args()

    import gatecc
    from gatecc.encoder import fit_encoder

    x_tr, y_tr, x_te, y_te = digits_split()
    bits = fit_encoder(x_tr, "quantile", 8).encode(x_tr).astype(np.float32)
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores; digits {x_tr.shape[0]} training rows, "
          f"{bits.shape[1]} input bits, dense({args.width})x2,groupsum(10,tau=20), batch {args.batch}")
    ours = gatecc_rate(bits, y_tr.astype(np.int32), args.width, args.steps, args.batch)
    theirs = torchlogix_rate(bits, y_tr, args.width, args.steps, args.batch)
    print(f"training samples/s: gatecc {ours:,.0f}, torchlogix {theirs:,.0f}: {ours / theirs:.2f}x (goal >= 3x)")
    if not args.no_accuracy:
        start = time.perf_counter()
        net = gatecc.train(x_tr, y_tr, x_test=x_te, y_test=y_te)
        seconds = time.perf_counter() - start
        accuracy = float(net.meta["test_accuracy"])
        print(f"gatecc.train default ({str(net.meta['arch'])}, {int(net.meta['epochs'])} epochs, "
              f"{seconds:.0f} s): hard test accuracy {accuracy:.2%} (goal >= 97%)")
        fast = gatecc.compile(net)
        same = np.array_equal(np.argmax(fast(x_te), axis=1), np.argmax(gatecc.soft_eval(net, x_te, hard=True), axis=1))
        print(f"compiled net on raw pixels returns the soft model's hard classes: {same}")
    print("conv nets: wait for convolutional layers (issue 14)")


if __name__ == "__main__":
    main()
