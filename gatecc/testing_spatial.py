"""Hypothesis strategies for random spatial programs (convolutional nets, cellular-automaton steps).

Public so that every backend and the soft model test against the same
distributions::

    from hypothesis import given
    from gatecc.testing_spatial import spatial_programs

    @given(spatial_programs(max_input_bits=12))
    def test_my_backend(program): ...

Programs have 1-3 conv/pool stages with random tree or random-DAG kernels,
window offsets, sizes, strides, paddings, channels and boundaries, now and
then an ``or`` merge (a residual block) and a flatten + dense head with
GroupSum-style popcounts.  Requires ``hypothesis`` (the ``test`` extra).
"""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

from .ir.builder import Builder
from .ir.graph import Graph
from .ir.spatial.program import Conv, Dense, Flatten, MapShape, Or, OrPool, Program, conv_out_size


def random_kernel(rng: np.random.Generator, n_inputs: int, n_outputs: int, *, tree: bool | None = None) -> Graph:
    """A raw kernel graph: a torchlogix-style binary gate tree per output over its own leaves, or a random DAG.

    A tree kernel with ``n_inputs`` = outputs * 2**depth leaves reads leaves
    ``k*2**depth ..`` for output ``k`` (pairwise, leaves first: torchlogix's
    layout); a DAG kernel has gates, NOTs, constants and LUTs on any earlier nodes.
    """
    bld = Builder.raw(n_inputs)
    leaves_per = n_inputs // n_outputs if n_outputs else 0
    if tree is None:
        tree = leaves_per >= 1 and leaves_per & (leaves_per - 1) == 0 and n_inputs == leaves_per * n_outputs
    if tree:
        for k in range(n_outputs):
            level = list(range(k * leaves_per, (k + 1) * leaves_per))
            while len(level) > 1:
                level = [bld.gate(int(rng.integers(0, 16)), level[j], level[j + 1]) for j in range(0, len(level), 2)]
            bld.output(level[0])
        return bld.finish()
    if n_inputs == 0:
        bld.const(int(rng.integers(0, 2)))
    for _ in range(int(rng.integers(1, 12))):
        kind = rng.choice(["gate"] * 6 + ["not", "const", "lut"])
        pick = lambda: int(rng.integers(0, len(bld)))  # noqa: E731
        if kind == "gate":
            bld.gate(int(rng.integers(0, 16)), pick(), pick())
        elif kind == "not":
            bld.not_(pick())
        elif kind == "const":
            bld.const(int(rng.integers(0, 2)))
        else:
            k = int(rng.integers(1, 4))
            bld.lut(int(rng.integers(0, 1 << (1 << k))), [pick() for _ in range(k)])
    n = len(bld)
    for _ in range(n_outputs):
        bld.output(int(rng.integers(0, n)))
    return bld.finish()


def _conv(rng, src: int, shape: MapShape, torus: bool) -> tuple[Conv, MapShape]:
    rank = shape.rank
    if torus:
        size = tuple(int(rng.integers(1, 4)) for _ in range(rank))
        stride = (1,) * rank
        padding = tuple(int(rng.integers(0, k)) for k in size)
    else:
        padding = tuple(int(rng.integers(0, 2)) for _ in range(rank))
        size = tuple(int(rng.integers(1, min(3, n + 2 * p) + 1)) for n, p in zip(shape.spatial, padding))
        stride = tuple(int(rng.integers(1, 3)) for _ in range(rank))
    out_c = int(rng.integers(1, 4))
    depth = int(rng.integers(0, 3))
    tree = bool(rng.integers(0, 2))
    n_in = out_c * (1 << depth) if tree else int(rng.integers(0, 7))
    window = tuple((int(rng.integers(0, shape.channels)), *(int(rng.integers(0, k)) for k in size))
                   for _ in range(n_in))
    conv = Conv(src, random_kernel(rng, n_in, out_c, tree=tree), window, size, stride, padding,
                "torus" if torus else "zero")
    spatial = shape.spatial if torus else tuple(
        conv_out_size(n, k, s, p) for n, k, s, p in zip(shape.spatial, size, stride, padding))
    return conv, MapShape(out_c, spatial)


def _pool(rng, src: int, shape: MapShape) -> tuple[OrPool, MapShape]:
    size = tuple(int(rng.integers(1, min(3, n) + 1)) for n in shape.spatial)
    padding = tuple(int(rng.integers(0, k // 2 + 1)) for k in size)
    stride = tuple(int(rng.integers(1, 3)) for _ in size)
    out = tuple(conv_out_size(n, k, s, p) for n, k, s, p in zip(shape.spatial, size, stride, padding))
    return OrPool(src, size, stride, padding), MapShape(shape.channels, out)


def _map_stages(draw, rng, shape: MapShape, max_stages: int, conv):
    """1..max_stages random map stages after ``shape``: convs (``conv(src, shape) -> (stage, out)``), OR pools,
    and residual ``or`` merges where a conv keeps the shape; returns (stages, shapes of every value)."""
    stages, shapes = [], [shape]
    for _ in range(draw(st.integers(1, max_stages))):
        src = len(shapes) - 1
        kind = draw(st.sampled_from(["conv", "conv", "pool", "residual"]))
        stage, out = _pool(rng, src, shapes[src]) if kind == "pool" else conv(src, shapes[src])
        stages.append(stage)
        shapes.append(out)
        if kind == "residual" and out == shapes[src]:
            stages.append(Or(len(shapes) - 1, src))
            shapes.append(out)
    return stages, shapes


@st.composite
def spatial_programs(draw, max_input_bits: int = 64, max_stages: int = 3, rank: int | None = None,
                     head: bool | None = None, torus: bool | None = None):
    """Random valid :class:`Program`s with at most ``max_input_bits`` input bits.

    ``rank`` fixes the spatial rank (2 or 3; None: mostly 2), ``head`` forces a
    flatten + dense head on/off, ``torus`` forces every conv's boundary.
    """
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    rank = rank or draw(st.sampled_from([2, 2, 2, 3]))
    while True:
        channels = int(rng.integers(1, 4))
        spatial = tuple(int(rng.integers(1, 6 if rank == 2 else 4)) for _ in range(rank))
        shape = MapShape(channels, spatial)
        if shape.size <= max_input_bits:
            break
    def conv(src, shape):
        return _conv(rng, src, shape, bool(rng.integers(0, 4) == 0) if torus is None else torus)

    stages, shapes = _map_stages(draw, rng, shape, max_stages, conv)
    with_head = draw(st.booleans()) if head is None else head
    if with_head:
        stages.append(Flatten(len(shapes) - 1))
        flat = shapes[-1].size
        bld = Builder.raw(flat)
        bits = [bld.gate(int(rng.integers(0, 16)), int(rng.integers(0, flat)), int(rng.integers(0, flat)))
                for _ in range(int(rng.integers(1, 9)))]
        groups = int(rng.integers(1, 3))
        for g in range(groups):
            bld.output(bld.popcount(bits[g::groups] or bits))
        stages.append(Dense(len(shapes), bld.finish()))
    return Program(shape, tuple(stages))


def _tree_conv(rng, src: int, shape: MapShape, ties: bool):
    from .convnet import TreeConv

    rank = shape.rank
    torus = bool(rng.integers(0, 5) == 0)
    size = tuple(int(rng.integers(1, min(3, n + 2) + 1)) for n in shape.spatial)
    padding = tuple(int(rng.integers(0, min(2, k))) for k in size) if not torus else tuple(k // 2 for k in size)
    padding = tuple(p if n + 2 * p >= k else (k - n + 1) // 2 for n, k, p in zip(shape.spatial, size, padding))
    stride = (1,) * rank if torus else tuple(int(rng.integers(1, k + 1)) for k in size)
    k, depth = int(rng.integers(1, 4)), int(rng.integers(0, 4))
    leaves = np.stack([rng.integers(0, shape.channels, (k, 1 << depth))]
                      + [rng.integers(0, s, (k, 1 << depth)) for s in size], axis=-1)
    levels = tuple((rng.integers(0, 3, (k, 1 << (depth - 1 - lv), 16)) if ties
                    else rng.normal(size=(k, 1 << (depth - 1 - lv), 16))).astype(np.float32) for lv in range(depth))
    conv = TreeConv(src, leaves, levels, size, stride, padding, "torus" if torus else "zero")
    out = shape.spatial if torus else tuple(
        conv_out_size(n, kk, s, p) for n, kk, s, p in zip(shape.spatial, size, stride, padding))
    return conv, MapShape(k, out)


@st.composite
def conv_nets(draw, max_input_bits: int = 64, max_stages: int = 3, head: bool | None = None):
    """Random :class:`~gatecc.convnet.ConvNet`s with logits: tree convs (depth 0-3), OR pools, residual ``or``
    merges, and now and then a flatten + dense head with a GroupSum; ``ties`` nets have integer logits."""
    from .convnet import ConvNet, DenseHead
    from .model import GroupSum, Layer, LogicNet

    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    ties = draw(st.booleans())
    while True:
        shape = MapShape(int(rng.integers(1, 4)), (int(rng.integers(2, 6)), int(rng.integers(2, 6))))
        if shape.size <= max_input_bits:
            break
    stages, shapes = _map_stages(draw, rng, shape, max_stages, lambda src, shape: _tree_conv(rng, src, shape, ties))
    if draw(st.booleans()) if head is None else head:
        stages.append(Flatten(len(shapes) - 1))
        flat, k = shapes[-1].size, int(rng.integers(1, 4))
        layers, prev = [], flat
        for width in (int(rng.integers(2, 10)), k * int(rng.integers(1, 4))):
            logits = rng.integers(0, 3, (width, 16)) if ties else rng.normal(size=(width, 16))
            layers.append(Layer(rng.integers(0, prev, width), rng.integers(0, prev, width),
                                logits=logits.astype(np.float32)))
            prev = width
        stages.append(DenseHead(len(shapes), LogicNet(flat, layers, GroupSum(k, float(rng.choice([1.0, 2.0, 0.5]))))))
    return ConvNet(shape, tuple(stages))
