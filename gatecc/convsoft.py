"""The soft model of a :class:`~gatecc.convnet.ConvNet` in JAX: what torchlogix trains, soft or hard.

Relaxations (torchlogix's own, see docs/spatial.md):

* a tree node mixes the 16 gates' real-valued forms with ``softmax(logits)``:
  ``c0 + c1 a + c2 b + c3 ab`` with ``(c0..c3) = softmax(w) @ C``
  (:func:`gatecc.soft.neuron_coefficients`, the same as dense layers);
  hard mode uses the argmax gate (ties to the lowest id);
* OR pooling is the max over the window (torchlogix's ``max_pool2d``; padded
  cells never win, as with its ``-inf`` padding, since values are >= 0);
* ``or`` (a residual merge) is ``a + b - ab``;
* reads outside a zero-boundary map are 0; a torus wraps around;
* a dense head is :func:`gatecc.soft.layer_forward` per layer, then each
  GroupSum group's sum / tau.

For training (the trainer calls this inside its jitted loss)::

    from gatecc.convsoft import conv_params, soft_forward, with_params
    params = conv_params(net)      # pytree: per stage a tuple of float32 logits arrays
    forward = soft_forward(net)    # forward(params, x, hard=False) -> (batch, outputs) float32
    loss = lambda p, x, y: cross_entropy(forward(p, x), y)   # jax.jit / jax.grad work
    net = with_params(net, params) # the trained logits back in a ConvNet

``x`` is (batch, C*H*W) channel-major or (batch, C, H, W), values in [0, 1];
``hard`` must be a Python bool (it selects the graph traced).  Stages whose
gates are fixed ids contribute an empty tuple to ``params``.  JAX is imported
when these functions run.
"""

from __future__ import annotations

import numpy as np

from .ir.spatial.evaluate import flat_rows, window_indices
from .soft import COEFFICIENTS, layer_forward, neuron_coefficients

#: Samples per call of the jitted forward in :func:`soft_eval` (bounds the gathered leaves' memory).
_CHUNK = 512


def conv_params(net):
    """The trainable logits of ``net``: per stage a tuple of float32 arrays (tree levels, or dense layers)."""
    out = []
    for st in net.stages:
        if st.kind == "treeconv":
            out.append(tuple(np.asarray(lv, np.float32) for lv in st.levels if lv.ndim == 3))
        elif st.kind == "densehead":
            out.append(tuple(np.asarray(layer.logits, np.float32) for layer in st.net.layers if layer.logits is not None))
        else:
            out.append(())
    return tuple(out)


def with_params(net, params):
    """``net`` with its logits replaced by ``params`` (as :func:`conv_params` lays them out)."""
    from dataclasses import replace

    from .convnet import ConvNet, DenseHead
    from .model import Layer, LogicNet

    stages = []
    for st, p in zip(net.stages, params):
        it = iter(np.asarray(a, np.float32) for a in p)
        if st.kind == "treeconv":
            st = replace(st, levels=tuple(next(it) if lv.ndim == 3 else lv for lv in st.levels))
        elif st.kind == "densehead":
            layers = [Layer(ly.a, ly.b, logits=next(it)) if ly.logits is not None else ly for ly in st.net.layers]
            st = DenseHead(st.src, LogicNet(st.net.n_inputs, layers, st.net.groupsum, dict(st.net.meta)))
        stages.append(st)
    return ConvNet(net.input, tuple(stages), dict(net.meta))


def _gather_plan(st, src_shape, out_spatial):
    """Flat indices (K, L, P) into the source map's C*H*W bits and a 0/1 validity mask (None when all valid)."""
    torus = st.boundary == "torus"
    sizes = src_shape.spatial
    plane = int(np.prod(sizes))
    k, n_leaves = st.leaves.shape[:2]
    positions = int(np.prod(out_spatial))
    idx = np.zeros((k, n_leaves, positions), np.int32)
    mask = np.ones((k, n_leaves, positions), np.float32)
    for kk in range(k):
        for j in range(n_leaves):
            dc, *offs = (int(v) for v in st.leaves[kk, j])
            flat = np.full(out_spatial, dc * plane, np.int64)
            valid = np.ones(out_spatial, bool)
            stride_acc = plane
            for axis, (n, o, s, p, d) in enumerate(zip(sizes, out_spatial, st.stride, st.padding, offs)):
                ix, ok = window_indices(n, o, s, p, d, torus)
                stride_acc //= n
                shape = [1] * len(out_spatial)
                shape[axis] = -1
                flat = flat + (ix * stride_acc).reshape(shape)
                valid = valid & ok.reshape(shape)
            idx[kk, j] = flat.reshape(-1)
            mask[kk, j] = valid.reshape(-1)
    return idx, (None if mask.all() else mask)


def _level_coefs(level, param, hard: bool):
    """(K, n_l, 4) coefficients of one tree level: fixed gate ids, or from logits (soft or argmax)."""
    import jax.numpy as jnp

    if level.ndim == 2:
        return jnp.asarray(COEFFICIENTS[level.astype(np.int64)])
    return neuron_coefficients(param, hard)


def soft_forward(net):
    """``forward(params, x, hard=False, sums=False)``: the soft model as a pure JAX function of the logits.

    See the module docstring; ``sums=True`` returns a GroupSum head's sums undivided by tau.
    """
    import jax
    import jax.numpy as jnp

    shapes = net.shapes()
    plans = [(_gather_plan(st, shapes[st.src], shapes[i + 1].spatial) if st.kind == "treeconv" else None)
             for i, st in enumerate(net.stages)]
    dims = (net.input.channels, *net.input.spatial)

    def forward(params, x, hard: bool = False, sums: bool = False):
        x = jnp.asarray(x, jnp.float32)
        batch = x.shape[0]
        values = [x.reshape(batch, *dims)]
        out = None
        for i, (st, p, plan) in enumerate(zip(net.stages, params, plans)):
            src, shape = values[st.src], shapes[i + 1]
            if st.kind == "treeconv":
                idx, mask = plan
                v = src.reshape(batch, -1)[:, idx]                        # (B, K, L, P)
                if mask is not None:
                    v = v * mask
                logits = iter(p)
                for level in st.levels:
                    c = _level_coefs(level, next(logits) if level.ndim == 3 else None, hard)[None, :, :, None, :]
                    a, b = v[:, :, 0::2], v[:, :, 1::2]
                    v = c[..., 0] + c[..., 1] * a + c[..., 2] * b + c[..., 3] * (a * b)
                value = v.reshape(batch, shape.channels, *shape.spatial)
            elif st.kind == "orpool":
                pad = [(0, 0), (0, 0)] + [(q, q) for q in st.padding]
                value = jax.lax.reduce_window(src, -jnp.inf, jax.lax.max, (1, 1, *st.size), (1, 1, *st.stride), pad)
            elif st.kind == "flatten":
                value = src.reshape(batch, -1)
            elif st.kind == "or":
                other = values[st.other]
                value = src + other - src * other
            else:
                h, logits = src.reshape(batch, -1), iter(p)
                for layer in st.net.layers:
                    if layer.logits is None:
                        coefs = jnp.asarray(COEFFICIENTS[layer.gates.astype(np.int64)])
                    else:
                        coefs = neuron_coefficients(next(logits), hard)
                    h = layer_forward(coefs, jnp.asarray(layer.a), jnp.asarray(layer.b), h)
                gs = st.net.groupsum
                value = h if gs is None else h.reshape(batch, gs.k, -1).sum(axis=-1)
                out = value if gs is None or sums else value / gs.tau
            values.append(value)
        return out if net.stages[-1].kind == "densehead" else values[-1].reshape(batch, -1)

    return forward


def soft_eval(net, x, hard: bool = False) -> np.ndarray:
    """The soft model on ``x`` ((batch, C*H*W) or (batch, C, H, W), values in [0, 1]) as float32 (batch, outputs).

    A GroupSum head gives each group's sum / tau (the sums divided in numpy, so
    whole counts / tau are correctly rounded); ``hard=True`` uses argmax gates.
    """
    import jax

    x = flat_rows(net.input, x)
    cache = net.__dict__.setdefault("_soft_jit", {})
    if hard not in cache:
        fwd = soft_forward(net)
        # With a head, return the sums: tau is divided below in numpy.
        cache[hard] = jax.jit(lambda p, v: fwd(p, v, hard, sums=True))
    fn, params = cache[hard], conv_params(net)
    parts = [np.asarray(fn(params, x[s:s + _CHUNK].astype(np.float32))) for s in range(0, max(len(x), 1), _CHUNK)]
    out = np.concatenate(parts)[:len(x)] if len(x) else np.zeros((0, net.n_outputs), np.float32)
    gs = net.groupsum
    return out if gs is None else out.astype(np.float32) / np.float32(gs.tau)
