"""Conv architectures for the trainer: the initial :class:`~gatecc.convnet.ConvNet` of an arch spec.

``conv(K, rf=R, depth=D, pad=P, stride=S)`` becomes a
:class:`~gatecc.convnet.TreeConv` of K kernels, each a complete binary tree
of depth D whose 2**D leaves are bits ``(dc, dy, dx)`` of the R x R
receptive field, drawn uniformly (channel and position) once at
initialisation and then fixed, as torchlogix's ``LogicConv2d`` does;
``orpool(SIZE, stride, pad)`` an :class:`~gatecc.ir.spatial.program.OrPool`;
then a :class:`~gatecc.ir.spatial.program.Flatten` and a
:class:`~gatecc.convnet.DenseHead` holding the dense layers (``unique``,
``random`` or ``learnable`` wiring) and the GroupSum head.  Gate logits start random normal
(``init_noise``), as for dense nets.  The soft model the trainer
differentiates is :func:`.convforward.forward_t` of this net: gatecc.convsoft's
relaxations in the (features, batch) layout, tested equal to what
:func:`gatecc.soft_eval` runs.
"""

from __future__ import annotations

import numpy as np

from ..model import GroupSum, Layer, LogicNet
from .arch import Arch, ArchError
from .wiring import make_wiring


def init_convnet(arch: Arch, shape, rng: np.random.Generator, init_noise: float):
    """The untrained ConvNet of ``arch`` (its head resolved) over input bit maps of ``shape`` (a MapShape).

    A ``wiring=learnable`` dense layer gets its candidate-0 wiring here; see
    :func:`init_conv_trainer` for the candidates.
    """
    return init_conv_trainer(arch, shape, rng, init_noise)[0]


def init_conv_trainer(arch: Arch, shape, rng: np.random.Generator, init_noise: float):
    """(untrained ConvNet, per dense layer None or its learnable wiring's candidates (ca, cb)).

    A learnable layer's operands are each a softmax over ``candidates`` wires
    (:func:`gatecc.soft.soft_wiring`); candidate 0 is the unique wiring's
    choice, the net's initial wiring (zero logits make it the argmax), the
    others are drawn uniformly, as for dense nets (``gatecc.train.fit``).
    """
    from ..convnet import ConvNet, DenseHead, TreeConv
    from ..ir.spatial.program import Flatten, MapShape, OrPool, conv_out_size

    stages, current = [], shape
    for item in arch.convs:
        src = len(stages)
        if item.kind == "conv":
            if any(n + 2 * item.pad < item.rf for n in current.spatial):
                raise ArchError(f"{item.spec()}: a {item.rf}x{item.rf} field does not fit the "
                                f"{'x'.join(map(str, current.spatial))} map (with padding {item.pad})")
            leaves = 1 << item.depth
            offsets = np.stack([rng.integers(0, current.channels, (item.kernels, leaves)),
                                rng.integers(0, item.rf, (item.kernels, leaves)),
                                rng.integers(0, item.rf, (item.kernels, leaves))], axis=-1)
            levels = tuple((rng.standard_normal((item.kernels, leaves >> (lv + 1), 16)) * init_noise)
                           .astype(np.float32) for lv in range(item.depth))
            stages.append(TreeConv(src, offsets.astype(np.int64), levels, (item.rf,) * 2, (item.stride,) * 2,
                                   (item.pad,) * 2))
            spatial = tuple(conv_out_size(n, item.rf, item.stride, item.pad) for n in current.spatial)
            current = MapShape(item.kernels, spatial)
        else:
            stride = item.stride or item.size
            if any(n + 2 * item.pad < item.size for n in current.spatial):
                raise ArchError(f"{item.spec()}: the window does not fit the {'x'.join(map(str, current.spatial))} map")
            stages.append(OrPool(src, (item.size,) * 2, (stride,) * 2, (item.pad,) * 2))
            current = MapShape(current.channels, tuple(conv_out_size(n, item.size, stride, item.pad)
                                                       for n in current.spatial))
    stages.append(Flatten(len(stages)))
    layers, wiring, prev = [], [], current.size
    for d in arch.layers:
        a, b = make_wiring("random" if d.wiring == "random" else "unique", prev, d.width, rng)
        layers.append(Layer(a, b, logits=(rng.standard_normal((d.width, 16)) * init_noise).astype(np.float32)))
        if d.wiring == "learnable":
            wiring.append(tuple(np.concatenate([w[:, None], rng.integers(0, prev, (d.width, d.candidates - 1))], axis=1)
                                for w in (a, b)))
        else:
            wiring.append(None)
        prev = d.width
    head = GroupSum(arch.head.k, arch.head.tau) if arch.head else None
    stages.append(DenseHead(len(stages), LogicNet(current.size, layers, head)))
    return ConvNet(shape, tuple(stages)), wiring


def conv_scores(net, wiring=None):
    """scores(params, x (features, batch), hard) -> (k, batch) class scores (or (bits, batch)).

    The (features, batch) forward of :mod:`.convforward` (the relaxations of
    :mod:`gatecc.convsoft`, laid out for fast row gathers); with learnable
    ``wiring`` (see :func:`init_conv_trainer`) ``params`` is the pair
    (:func:`gatecc.convsoft.conv_params`, :func:`wiring_params`).
    """
    from .convforward import forward_t

    return forward_t(net, wiring)


def learnable(wiring) -> bool:
    """Whether any dense layer of a conv net has learnable wiring."""
    return wiring is not None and any(w is not None for w in wiring)


def trainer_params(net, wiring):
    """The trainer's parameters: conv_params(net), paired with the wiring logits when any layer learns its wiring."""
    from ..convsoft import conv_params

    params = conv_params(net)
    if not learnable(wiring):
        return params
    return params, tuple(() if w is None else tuple(np.zeros(c.shape, np.float32) for c in w) for w in wiring)


def trained_convnet(net, wiring, params):
    """``net`` with trained ``params`` (as :func:`trainer_params` lays them out), learnable wiring at its argmax."""
    from ..convsoft import with_params
    from ..soft import hard_wiring

    if not learnable(wiring):
        return with_params(net, params)
    net = with_params(net, params[0])
    stages = list(net.stages)
    head = stages[-1]
    layers = [ly if w is None else Layer(hard_wiring(w[0], lg[0]), hard_wiring(w[1], lg[1]), logits=ly.logits)
              for ly, w, lg in zip(head.net.layers, wiring, params[1])]
    from ..convnet import ConvNet, DenseHead

    stages[-1] = DenseHead(head.src, LogicNet(head.net.n_inputs, layers, head.net.groupsum, dict(head.net.meta)))

    return ConvNet(net.input, tuple(stages), dict(net.meta))


def attach_encoder(net, encoder):
    """``net`` (a ConvNet over bit maps) taking raw image features through ``encoder``."""
    from ..convnet import ConvNet

    return ConvNet(net.input, net.stages, dict(net.meta), encoder)
