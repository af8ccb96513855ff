"""The trainer's forward pass of a ConvNet in the (features, batch) layout.

:func:`gatecc.convsoft.soft_forward` (what :func:`gatecc.soft_eval` runs)
keeps activations as (batch, features) and gathers columns; on the CPU XLA
gathers rows far faster, so the trainer runs the same relaxations with
every map laid out as (C, H, W, batch), as the dense trainer does
(``gatecc.soft.layer_forward_t``).  The arithmetic is the same per value
(tree levels ``c0 + c1 a + c2 b + c3 ab``, OR pooling as the window max,
``or`` merges as ``a + b - ab``, the dense head's layers, GroupSum sums /
tau), so the two agree to float rounding; ``tests/test_train_conv.py``
checks the trainer's scores against ``soft_eval`` soft and hard.
"""

from __future__ import annotations

import numpy as np


def forward_t(net, wiring=None):
    """``forward(params, x (features, batch), hard=False) -> (outputs, batch)`` for ``net`` (a ConvNet).

    ``params`` are laid out as :func:`gatecc.convsoft.conv_params`; a GroupSum
    head's sums are divided by tau.  ``wiring``: per dense layer None or the
    candidates (ca, cb) of its learnable wiring (then ``params`` is the pair
    (conv_params, per layer () or (wa, wb) logits), see
    :func:`gatecc.train.convnets.trainer_params`); hard mode takes each
    operand's argmax candidate.
    """
    import jax
    import jax.numpy as jnp

    from ..convsoft import _gather_plan, _level_coefs
    from ..soft import COEFFICIENTS, layer_forward_t, neuron_coefficients, soft_wiring

    learn = wiring is not None and any(w is not None for w in wiring)
    wires = [None if w is None else tuple(np.asarray(c, np.int32) for c in w) for w in (wiring or ())]

    shapes = net.shapes()
    plans = []
    for i, st in enumerate(net.stages):
        if st.kind == "treeconv":
            idx, mask = _gather_plan(st, shapes[st.src], shapes[i + 1].spatial)
            plans.append((idx, None if mask is None else mask[..., None]))
        else:
            plans.append(None)
    dims = (net.input.channels, *net.input.spatial)

    def forward(params, x, hard: bool = False):
        params, wparams = params if learn else (params, None)
        x = jnp.asarray(x, jnp.float32)
        batch = x.shape[-1]
        values = [x.reshape(*dims, batch)]
        out = None
        for i, (st, p, plan) in enumerate(zip(net.stages, params, plans)):
            src, shape = values[st.src], shapes[i + 1]
            if st.kind == "treeconv":
                idx, mask = plan
                v = src.reshape(-1, batch)[idx]                            # (K, L, P, B)
                if mask is not None:
                    v = v * mask
                logits = iter(p)
                for level in st.levels:
                    c = _level_coefs(level, next(logits) if level.ndim == 3 else None, hard)[:, :, None, None, :]
                    a, b = v[:, 0::2], v[:, 1::2]
                    v = c[..., 0] + c[..., 1] * a + c[..., 2] * b + c[..., 3] * (a * b)
                value = v.reshape(shape.channels, *shape.spatial, batch)
            elif st.kind == "orpool":
                pad = [(0, 0)] + [(q, q) for q in st.padding] + [(0, 0)]
                value = jax.lax.reduce_window(src, -jnp.inf, jax.lax.max, (1, *st.size, 1), (1, *st.stride, 1), pad)
            elif st.kind == "flatten":
                value = src.reshape(-1, batch)
            elif st.kind == "or":
                other = values[st.other]
                value = src + other - src * other
            else:
                h, logits = src.reshape(-1, batch), iter(p)
                for j, layer in enumerate(st.net.layers):
                    if layer.logits is None:
                        coefs = jnp.asarray(COEFFICIENTS[layer.gates.astype(np.int64)])
                    else:
                        coefs = neuron_coefficients(next(logits), hard)
                    if learn and wires[j] is not None:
                        (ca, cb), (wa, wb) = wires[j], wparams[j]
                        xa, xb = soft_wiring(ca, wa, h, hard), soft_wiring(cb, wb, h, hard)
                    else:
                        xa, xb = h[np.asarray(layer.a, np.int32)], h[np.asarray(layer.b, np.int32)]
                    h = layer_forward_t(coefs, xa, xb)
                gs = st.net.groupsum
                out = h if gs is None else h.reshape(gs.k, -1, batch).sum(axis=1) / gs.tau
            values.append(value if st.kind != "densehead" else None)
        return out if net.stages[-1].kind == "densehead" else values[-1].reshape(-1, batch)

    return forward
