"""torchlogix LogicDense layers with ``warp`` (Walsh) or ``light`` neurons of ``lut_rank`` 2, 4 or 6.

Such a layer keeps ``weight`` of shape ``(out, 2**lut_rank)`` (basis
coefficients) and ``connections.indices`` of shape ``(lut_rank, out)``.  Eval
mode's choice of each neuron's truth table is in :mod:`gatecc.lutnet`.  A
state_dict does not say which parametrization made it (both have the same
shape), so a wiring file names it: ``<layer>.parametrization`` = ``"warp"`` or
``"light"`` (a saved model object carries it).  A model with any such layer
imports as a :class:`~gatecc.lutnet.LutNet`; its ``raw`` layers come along as
2-input LUTs.
"""

from __future__ import annotations

import numpy as np

from ..errors import ModelError
from ..lutnet import LutLayer, LutNet
from ..model import GroupSum

#: lut_rank values torchlogix's warp and light parametrizations support.
RANKS = {"warp": (1, 2, 4, 6), "light": (2, 4, 6)}


def lut_layer(where: str, weight: np.ndarray, indices: np.ndarray, parametrization: str | None,
              temperature: float = 1.0) -> LutLayer:
    """A warp/light layer from its weights and its (rank, out) wiring; problems name the layer."""
    rank = int(indices.shape[0])
    if parametrization is None:
        raise ModelError(f"LogicDense '{where}': weight {weight.shape} with LUT rank {rank} is torchlogix's 'warp' "
                         f"(Walsh) or 'light' parametrization; say which with '{where}.parametrization' in a "
                         "wiring file (a saved model object carries it)")
    if parametrization not in RANKS:
        raise ModelError(f"LogicDense '{where}': unknown torchlogix parametrization {parametrization!r} "
                         "(gatecc imports 'raw', 'warp' and 'light')")
    if rank not in RANKS[parametrization]:
        raise ModelError(f"LogicDense '{where}': LUT rank {rank} is not one torchlogix's '{parametrization}' "
                         f"supports ({', '.join(map(str, RANKS[parametrization]))})")
    if weight.ndim != 2 or weight.shape != (indices.shape[1], 1 << rank):
        raise ModelError(f"{where}.weight: shape {weight.shape}, expected ({indices.shape[1]}, {1 << rank}) "
                         f"for '{parametrization}' neurons of rank {rank}")
    if weight.dtype.kind != "f" or not np.isfinite(weight).all():
        raise ModelError(f"{where}.weight: expected finite floats")
    if not np.isfinite(temperature) or temperature <= 0:
        raise ModelError(f"LogicDense '{where}': temperature {temperature} is not a positive number")
    return LutLayer(indices.T.astype(np.int64), np.array(weight, dtype=np.float32), parametrization,
                    float(temperature))


def raw_as_lut(layer) -> LutLayer:
    """A raw 2-input peer layer (:class:`~.peers.PeerLayer`) as a LutLayer."""
    wires = np.stack([layer.a, layer.b], axis=1).astype(np.int64)
    return LutLayer(wires, np.array(layer.weights, dtype=np.float32), "raw")


def build_lut_net(layers: list, head: GroupSum | None, n_inputs: int | None, meta: dict) -> LutNet:
    """The LutNet of mixed layers (LutLayer, or raw PeerLayer), checking the wiring ranges."""
    first = layers[0]
    prev = n_inputs if n_inputs is not None else getattr(first, "in_dim", None)
    out = [x if isinstance(x, LutLayer) else raw_as_lut(x) for x in layers]
    if prev is None:
        prev = int(out[0].wires.max(initial=0)) + 1
    n_in = int(prev)
    for i, layer in enumerate(out):
        bad = (layer.wires < 0) | (layer.wires >= prev)
        if bad.any():
            n, j = (int(v[0]) for v in np.nonzero(bad))
            raise ModelError(f"LogicDense layer {i}: neuron {n} connection {j} reads {int(layer.wires[n, j])}, "
                             f"out of range 0..{prev - 1}")
        prev = layer.width
    if head is not None and (head.k < 1 or prev % head.k):
        raise ModelError(f"GroupSum k={head.k} does not divide the last layer's width {prev}")
    return LutNet(n_in, out, head, meta)
