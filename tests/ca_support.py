"""Test helpers for the CA tests: a DiffLogic CA written and run the notebook's way, in plain numpy.

Nothing here uses gatecc.  It follows google-research/self-organising-systems
``notebooks/diffLogic_CA.ipynb``: ``get_moore_connections`` and
``get_unique_connections`` wiring, perceive logits (n_kernels, out, 16) per
layer, ``get_grid_patches`` (pad with wrap or zeros, patch (9, C) with
f = 3*dy + dx), ``run_perceive`` (x.T, every kernel on every channel,
``rearrange(x, 'k c s -> (c s k)')``, the centre's C bits first),
``run_update``, hard mode = one_hot(argmax), and the file as the
``jax.tree_util.keystr`` paths of ``{'params', 'wires', 'channels', 'periodic'}``.
"""

from __future__ import annotations

import numpy as np


def _relaxations(a, b):
    """The notebook's bin_op_all_combinations, gate order 0..15 on the last axis."""
    return np.stack([np.zeros_like(a), a * b, a - a * b, a, b - a * b, b, a + b - 2 * a * b, a + b - a * b,
                     1 - (a + b - a * b), 1 - (a + b - 2 * a * b), 1 - b, 1 - b + a * b, 1 - a, 1 - a + a * b,
                     1 - a * b, np.ones_like(a)], axis=-1)


def _layer(logits, wires, x):
    """run_layer in hard mode: one-hot(argmax) weights over the 16 relaxations."""
    onehot = np.eye(16)[np.argmax(logits, axis=-1)]
    return np.sum(_relaxations(x[..., wires[0]], x[..., wires[1]]) * onehot, axis=-1)


def moore(rng):
    neighbours = np.array([0, 1, 2, 3, 5, 6, 7, 8])
    perm = rng.permutation(8)
    return neighbours[perm], np.full(8, 4)[perm]


def unique(in_dim, out_dim, rng):
    x = np.arange(in_dim)
    a, b = x[::2], x[1::2]
    m = min(len(a), len(b))
    a, b = a[:m], b[:m]
    if len(a) < out_dim:
        a_, b_ = x[1::2], x[2::2]
        m = min(len(a_), len(b_))
        a, b = np.concatenate([a, a_[:m]]), np.concatenate([b, b_[:m]])
    offset = 2
    while out_dim > len(a) and offset < in_dim:
        a, b = np.concatenate([a, x[:-offset]]), np.concatenate([b, x[offset:]])
        offset += 1
    assert len(a) >= out_dim
    perm = rng.permutation(out_dim)
    return a[:out_dim][perm], b[:out_dim][perm]


def make_notebook_ca(rng, channels, n_kernels, perceive=(9, 8, 4, 2), update_hidden=(16, 16), periodic=1):
    """params, wires of a random-logit CA built as the notebook's init_diff_logic_ca builds its shapes."""
    params = {"perceive": [], "update": []}
    wires = {"perceive": [], "update": []}
    for i, (m, n) in enumerate(zip(perceive[:-1], perceive[1:])):
        wires["perceive"].append(list(moore(rng) if i == 0 else unique(m, n, rng)))
        params["perceive"].append(rng.normal(size=(n_kernels, n, 16)).astype(np.float32))
    layers = [n_kernels * channels * perceive[-1] + channels, *update_hidden, channels]
    for m, n in zip(layers[:-1], layers[1:]):
        wires["update"].append(list(unique(m, n, rng)))
        params["update"].append(rng.normal(size=(n, 16)).astype(np.float32))
    return params, wires


def save_notebook_npz(path, params, wires, channels, periodic):
    """The flattened pytree, keyed as jax.tree_util.keystr writes the paths."""
    arrays = {"['channels']": np.array(channels), "['periodic']": np.array(periodic)}
    for net in ("perceive", "update"):
        for i, logits in enumerate(params[net]):
            arrays[f"['params']['{net}'][{i}]"] = logits
            arrays[f"['wires']['{net}'][{i}][0]"] = np.asarray(wires[net][i][0], dtype=np.int32)
            arrays[f"['wires']['{net}'][{i}][1]"] = np.asarray(wires[net][i][1], dtype=np.int32)
    np.savez(path, **arrays)


def grid_patches(grid, periodic):
    """(H*W, 9, C) patches, cells row-major (the notebook's get_grid_patches)."""
    mode = {"mode": "wrap"} if periodic else {"mode": "constant", "constant_values": 0}
    padded = np.pad(grid, ((1, 1), (1, 1), (0, 0)), **mode)
    h, w, _ = grid.shape
    return np.stack([np.stack([padded[y:y + 3, x:x + 3].reshape(9, -1) for x in range(w)]) for y in range(h)]
                    ).reshape(h * w, 9, -1)


def run_circuit(params, wires, patch):
    """One cell: patch (9, C) -> (C,) new state (the notebook's run_circuit, hard)."""
    x = np.repeat(patch.T[None], params["perceive"][0].shape[0], axis=0)     # (K, C, 9)
    for g, c in zip(params["perceive"], wires["perceive"]):
        x = np.stack([_layer(g[k], c, x[k]) for k in range(x.shape[0])])
    x = x.transpose(1, 2, 0).reshape(-1)                                     # 'k c s -> (c s k)'
    x = np.concatenate([patch[4, :], x])
    for g, c in zip(params["update"], wires["update"]):
        x = _layer(g, c, x)
    return x


def notebook_run_sync(params, wires, grid, periodic, steps):
    """run_sync ``steps`` times on an (H, W, C) grid, hard gates; returns uint8."""
    g = grid.astype(np.float64)
    for _ in range(steps):
        p = grid_patches(g, periodic)
        g = np.stack([run_circuit(params, wires, p[i]) for i in range(len(p))]).reshape(g.shape)
    return np.rint(g).astype(np.uint8)
