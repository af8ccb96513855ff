"""Training speed against torchlogix, and the dense default's accuracy on the 8x8 digits.

    python benchmarks/train.py [--steps 30] [--width 4000] [--no-accuracy] [--no-conv] [--long]

1. Samples per second of steady-state training steps (forward, backward,
   AdamW update; compilation and warm-up excluded) for the same dense
   architecture, dense(WIDTH)x2,groupsum(10,tau=20), on the same thermometer
   bits of scikit-learn's bundled 8x8 digits, batch 128: gatecc's trainer
   (JAX, the forward pass of gatecc.soft) against torchlogix's LogicDense +
   GroupSum (PyTorch on the CPU), measured in this run.  Goal: >= 3x.
2. ``gatecc.train``'s no-flags default on the digits (the fixed 80/20 split
   of ``gatecc train digits``): hard test accuracy.  Goal: >= 97%.
3. The same for a conv net, CONV
   (conv(16,rf=3,depth=3,pad=1),orpool(2),dense(4000)x2,groupsum(10,tau=20)),
   on the digits as (1, 8, 8) images thermometer-coded per channel (4
   thresholds): samples/s of gatecc's step (the trainer's conv forward)
   against torchlogix's LogicConv2d(16 kernels, depth 3, rf 3, pad 1) +
   OrPooling2d(2) + LogicDense x2 + GroupSum on the same bits, goal >= 3x;
   then the hard test accuracy of ``gatecc.train(images, y, **CONV_RECIPE)``
   (goal >= 98%): a short run of ``--conv-epochs`` epochs by default, the
   full recipe with ``--long``; the compiled net, fed the raw test pixels,
   is checked against the soft model's hard outputs.
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


def gatecc_rate(bits, labels, width: int, steps: int, batch: int, conv: str | None = None,
                convsoft: bool = False) -> float:
    """Samples/s of gatecc's training step (gatecc.train.fit's forward and loss); ``conv``: that conv arch.

    ``convsoft``: the conv step on gatecc.convsoft's (batch, features) forward (what soft_eval runs)
    instead of the trainer's (features, batch) one, to measure what the layout buys.
    """
    import jax
    import jax.numpy as jnp
    import optax

    from gatecc.train.arch import parse_arch, resolve
    from gatecc.train.fit import FitConfig, _init, _losses, make_forward

    if conv is None:
        arch = resolve(parse_arch(f"dense({width})x2,groupsum(10,tau=20)"), 10, None)
        static, params = _init(arch, bits.shape[1], np.random.default_rng(0), FitConfig())
        loss_fn, _ = _losses(make_forward(static), arch.head, "xent")
    else:
        from gatecc.convsoft import conv_params
        from gatecc.ir.spatial.program import MapShape
        from gatecc.train.convnets import conv_scores, init_convnet

        arch = resolve(parse_arch(conv), 10, None)
        net = init_convnet(arch, MapShape(bits.shape[1] // 64, (8, 8)), np.random.default_rng(0), 1.0)
        params = conv_params(net)
        scores = conv_scores(net)
        if convsoft:
            from gatecc.convsoft import soft_forward

            fwd = soft_forward(net)
            scores = lambda p, x, hard=False: fwd(p, x.T, hard).T       # noqa: E731
        loss_fn, _ = _losses(None, arch.head, "xent", scores)
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
    return _torch_steps(model, bits, labels, steps, batch)


def torchlogix_conv_rate(bits, labels, width: int, steps: int, batch: int) -> float:
    """Samples/s of torchlogix's step for the default CONV arch on the same (planes, 8, 8) bits."""
    import torch

    import sys
    sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests"))
    from peer_models import torchlogix_layers

    tl = torchlogix_layers()
    torch.manual_seed(0)
    planes = bits.shape[1] // 64
    model = torch.nn.Sequential(
        tl.LogicConv2d(in_dim=(8, 8), channels=planes, num_kernels=16, tree_depth=3, receptive_field_size=3,
                       padding=1, device="cpu"),
        tl.OrPooling2d(2, 2), torch.nn.Flatten(), tl.LogicDense(16 * 4 * 4, width, device="cpu"),
        tl.LogicDense(width, width, device="cpu"), tl.GroupSum(10, 20.0, device="cpu"))
    return _torch_steps(model, bits.reshape(-1, planes, 8, 8), labels, steps, batch)


def _torch_steps(model, bits, labels, steps: int, batch: int) -> float:
    import torch

    opt = torch.optim.AdamW(model.parameters(), lr=0.05, betas=(0.9, 0.99), weight_decay=1e-2)
    x_all, y_all = torch.tensor(bits, dtype=torch.float32), torch.tensor(labels, dtype=torch.long)
    rng = np.random.default_rng(1)
    batches = [torch.tensor(rng.choice(bits.shape[0], batch, replace=False)) for _ in range(steps + 3)]
    model.train()

    def step(idx):
        opt.zero_grad()
        torch.nn.functional.cross_entropy(model(x_all[idx]), y_all[idx]).backward()
        opt.step()

    for idx in batches[:3]:
        step(idx)
    start = time.perf_counter()
    for idx in batches[3:]:
        step(idx)
    return steps * batch / (time.perf_counter() - start)


CONV = "conv(16,rf=3,depth=3,pad=1),orpool(2),dense(4000)x2,groupsum(10,tau=20)"

#: The conv recipe for the 8x8 digits (docs/training.md, benchmarks/RESULTS.md): gatecc.train options.
CONV_RECIPE = {"arch": "conv(64,rf=3,depth=3,pad=1),orpool(2),dense(4000)x2,groupsum(10,tau=20)",
               "encode": "uniform", "bits_per_feature": 8, "epochs": 200, "patience": 30, "seed": 0}


def conv_part(args, x_tr, y_tr, x_te, y_te) -> None:
    """Part 3: conv samples/s against torchlogix, then the conv recipe's hard test accuracy."""
    import gatecc
    from gatecc.encoder import fit_image_encoder

    encoder, planes = fit_image_encoder(x_tr, (1, 8, 8), "quantile", 4)
    bits = encoder.encode(x_tr).astype(np.float32)
    conv = CONV.replace("dense(4000)", f"dense({args.width})")     # the width torchlogix's copy gets too
    ours = gatecc_rate(bits, y_tr.astype(np.int32), args.width, args.conv_steps, args.batch, conv=conv)
    layout = gatecc_rate(bits, y_tr.astype(np.int32), args.width, args.conv_steps, args.batch, conv=conv,
                         convsoft=True)
    theirs = torchlogix_conv_rate(bits, y_tr, args.width, args.conv_steps, args.batch)
    print(f"conv {conv}, {planes} bit planes: training samples/s gatecc {ours:,.0f} (on gatecc.convsoft's "
          f"(batch, features) forward: {layout:,.0f}, {ours / layout:.2f}x), torchlogix {theirs:,.0f}: "
          f"{ours / theirs:.2f}x (goal >= 3x)", flush=True)
    if args.no_accuracy:
        return
    recipe = dict(CONV_RECIPE, **dict(_setting(item) for item in args.set))
    if not args.long:                         # a short run: the same recipe, fewer epochs
        recipe["epochs"] = recipe["patience"] = args.conv_epochs
    start = time.perf_counter()
    net = gatecc.train(x_tr.reshape(-1, 1, 8, 8), y_tr, x_test=x_te.reshape(-1, 1, 8, 8), y_test=y_te, **recipe)
    options = ", ".join(f"{k}={v!r}" for k, v in recipe.items())
    print(f"gatecc.train(images, {options}): {int(net.meta['epochs'])} epochs, best {int(net.meta['best_epoch'])}, "
          f"{time.perf_counter() - start:.0f} s: hard test accuracy {float(net.meta['test_accuracy']):.2%} "
          f"(goal >= 98%{'' if args.long else '; a short run, --long for the full recipe'})")
    fast = gatecc.compile(net)
    x_flat = x_te.reshape(len(x_te), -1)
    same = np.array_equal(fast(x_flat).astype(np.float32) / np.float32(net.groupsum.tau),
                          gatecc.soft_eval(net, x_flat, hard=True))
    print(f"compiled conv net on raw pixels == soft model's hard outputs on the test images: {same}")


def _setting(text: str):
    """'KEY=VALUE' -> (KEY, VALUE as a Python literal, else the string)."""
    import ast

    key, _, value = text.partition("=")
    try:
        return key, ast.literal_eval(value)
    except (ValueError, SyntaxError):
        return key, value


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--steps", type=int, default=30, help="timed steps per trainer (default 30)")
    ap.add_argument("--width", type=int, default=4000, help="neurons per dense layer (default 4000)")
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--no-accuracy", action="store_true", help="skip the accuracy runs (dense and conv)")
    ap.add_argument("--conv-steps", type=int, default=10, help="timed conv steps per trainer (default 10)")
    ap.add_argument("--no-conv", action="store_true", help="skip part 3 (conv)")
    ap.add_argument("--only-conv", action="store_true", help="run part 3 (conv) only")
    ap.add_argument("--long", action="store_true",
                    help="part 3: train the conv recipe in full (CONV_RECIPE: up to 200 epochs, early stopping)")
    ap.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                    help="part 3: override a CONV_RECIPE item (a gatecc.train option), e.g. --set shift=1 "
                         "--set 'arch=conv(32,rf=3,depth=3,pad=1),orpool(2),dense(4000)x2,groupsum(10,tau=20)'")
    ap.add_argument("--conv-epochs", type=int, default=20,
                    help="part 3 without --long: epochs of the short conv run (default 20)")
    args = ap.parse_args()

    import gatecc
    from gatecc.encoder import fit_encoder

    x_tr, y_tr, x_te, y_te = digits_split()
    if args.only_conv:
        return conv_part(args, x_tr, y_tr, x_te, y_te)
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
    if not args.no_conv:
        conv_part(args, x_tr, y_tr, x_te, y_te)


if __name__ == "__main__":
    main()
