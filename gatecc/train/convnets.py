"""Conv architectures for the trainer: the initial :class:`~gatecc.convnet.ConvNet` of an arch spec.

``conv(K, rf=R, depth=D, pad=P, stride=S)`` becomes a
:class:`~gatecc.convnet.TreeConv` of K kernels, each a complete binary tree
of depth D whose 2**D leaves are bits ``(dc, dy, dx)`` of the R x R
receptive field, drawn uniformly (channel and position) once at
initialisation and then fixed, as torchlogix's ``LogicConv2d`` does;
``orpool(SIZE, stride, pad)`` an :class:`~gatecc.ir.spatial.program.OrPool`;
then a :class:`~gatecc.ir.spatial.program.Flatten` and a
:class:`~gatecc.convnet.DenseHead` holding the dense layers (``unique`` or
``random`` wiring) and the GroupSum head.  Gate logits start random normal
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
    """The untrained ConvNet of ``arch`` (its head resolved) over input bit maps of ``shape`` (a MapShape)."""
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
    layers, prev = [], current.size
    for d in arch.layers:
        if d.wiring == "learnable":
            raise ArchError("wiring=learnable is not supported in the dense layers of a conv net yet")
        a, b = make_wiring(d.wiring, prev, d.width, rng)
        layers.append(Layer(a, b, logits=(rng.standard_normal((d.width, 16)) * init_noise).astype(np.float32)))
        prev = d.width
    head = GroupSum(arch.head.k, arch.head.tau) if arch.head else None
    stages.append(DenseHead(len(stages), LogicNet(current.size, layers, head)))
    return ConvNet(shape, tuple(stages))


def conv_scores(net):
    """scores(params, x (features, batch), hard) -> (k, batch) class scores (or (bits, batch)).

    The (features, batch) forward of :mod:`.convforward` (the relaxations of
    :mod:`gatecc.convsoft`, laid out for fast row gathers).
    """
    from .convforward import forward_t

    return forward_t(net)


def attach_encoder(net, encoder):
    """``net`` (a ConvNet over bit maps) taking raw image features through ``encoder``."""
    from ..convnet import ConvNet

    return ConvNet(net.input, net.stages, dict(net.meta), encoder)
