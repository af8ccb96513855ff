"""Hypothesis strategies for random logic-gate networks and inputs.

Public so that backends, passes and downstream users test against the same
distributions::

    from hypothesis import given
    from gatecc.testing import logic_nets

    @given(logic_nets(n_inputs=9, groupsum=True))
    def test_my_backend(net): ...

Requires the ``hypothesis`` package (the ``test`` extra).
"""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

from .model import GroupSum, Layer, LogicNet

#: How far the chosen gate's logit is above the others in "one_hot" nets:
#: exp(-120) underflows to 0 in float32, so softmax is exactly one-hot.
ONE_HOT_MARGIN = 120.0

MODES = ("logits", "ties", "one_hot", "gates")


def _layer(rng: np.random.Generator, width: int, prev: int, mode: str) -> Layer:
    a = rng.integers(0, prev, width)
    b = rng.integers(0, prev, width)
    if mode == "gates":
        return Layer(a, b, gates=rng.integers(0, 16, width).astype(np.uint8))
    if mode == "ties":
        # Few distinct values, so argmax ties (and the lowest-id rule) are common.
        return Layer(a, b, logits=rng.integers(0, 3, (width, 16)).astype(np.float32))
    logits = rng.normal(size=(width, 16)).astype(np.float32)
    if mode == "one_hot":
        logits = rng.uniform(-1, 1, (width, 16)).astype(np.float32)
        logits[np.arange(width), rng.integers(0, 16, width)] = ONE_HOT_MARGIN
    return Layer(a, b, logits=logits)


@st.composite
def logic_nets(
    draw,
    n_inputs: int | st.SearchStrategy[int] = st.integers(1, 12),
    max_layers: int = 4,
    max_width: int = 24,
    groupsum: bool | None = None,
    mode: str | None = None,
):
    """Random :class:`LogicNet`s.

    ``groupsum`` True/False forces a GroupSum head on/off (None: either);
    ``mode`` is "logits" (random), "ties" (many argmax ties), "one_hot"
    (softmax exactly one-hot in float32), "gates" (a hard net) or None (any).
    """
    n_in = draw(n_inputs) if isinstance(n_inputs, st.SearchStrategy) else int(n_inputs)
    mode = mode or draw(st.sampled_from(MODES))
    with_head = draw(st.booleans()) if groupsum is None else groupsum
    n_layers = draw(st.integers(1, max_layers))
    widths = [draw(st.integers(1, max_width)) for _ in range(n_layers)]
    head = None
    if with_head:
        k = draw(st.integers(1, min(4, max_width)))
        widths[-1] = k * draw(st.integers(1, max(1, max_width // k)))
        head = GroupSum(k, draw(st.sampled_from([1.0, 2.0, 0.5, 3.7])))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    layers, prev = [], n_in
    for width in widths:
        layers.append(_layer(rng, width, prev, mode))
        prev = width
    return LogicNet(n_in, layers, head)


@st.composite
def input_batches(draw, n_inputs: int, max_batch: int = 300):
    """(batch, n_inputs) uint8 arrays of random 0/1 inputs, batch >= 1."""
    batch = draw(st.integers(1, max_batch))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    return rng.integers(0, 2, (batch, n_inputs), dtype=np.uint8)


@st.composite
def raw_graphs(draw, max_inputs: int = 6, max_nodes: int = 40):
    """Random gate graphs with what lowered nets rarely have: every gate id (wires and
    constants included), NOTs, constants, fanins from any earlier node, outputs that
    are inputs or constants, repeated outputs, a popcount, and no inputs at all."""
    from .ir.builder import Builder

    n_in = draw(st.integers(0, max_inputs))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    bld = Builder.raw(n_in)
    bld.const(int(rng.integers(0, 2)))
    for _ in range(draw(st.integers(0, max_nodes))):
        kind = rng.choice(["gate"] * 6 + ["not", "const"])
        if kind == "gate":
            bld.gate(int(rng.integers(0, 16)), int(rng.integers(0, len(bld))), int(rng.integers(0, len(bld))))
        elif kind == "not":
            bld.not_(int(rng.integers(0, len(bld))))
        else:
            bld.const(int(rng.integers(0, 2)))
    n_bits = len(bld)
    for _ in range(draw(st.integers(1, 6))):
        bld.output(int(rng.integers(0, n_bits)))
    if draw(st.booleans()):
        bld.output(bld.popcount(rng.integers(0, n_bits, int(rng.integers(1, 8))).tolist()))
    return bld.finish()
