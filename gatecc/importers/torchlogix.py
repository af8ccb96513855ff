"""Import torchlogix models (dense logic layers: ``raw`` gates, ``warp`` and ``light`` LUT neurons).

torchlogix builds ``nn.Sequential(Flatten(), LogicDense(...), ..., GroupSum(k, tau))``.
A ``LogicDense`` layer keeps its gate weights in the parameter ``weight`` and
its wiring in the buffer ``connections.indices`` of shape ``(lut_rank, out)``,
so both are in ``state_dict()``.  With the ``raw`` parametrization and
``lut_rank=2`` the weights are ``(out, 16)`` logits over the same 16 gate ids
gatecc uses, and eval mode picks ``one_hot(weight.argmax(-1))`` (ties to the
lowest id).  Learnable connections (``connections.weights`` of shape
``(candidates, 2, out)``) are resolved as eval mode does: input
``indices[argmax over candidates, side, gate]``.  ``GroupSum(k, tau, beta)``
returns ``(count + beta) / tau`` per group; gatecc outputs the counts and
records beta in the net's metadata (``meta/groupsum_beta``).

The ``warp`` (Walsh) and ``light`` parametrizations, of ``lut_rank`` 2, 4 or
6 (``weight`` of shape ``(out, 2**lut_rank)``), import as a LutNet of ``lut``
neurons (:mod:`.torchlogix_lut`; a state_dict needs ``<layer>.parametrization``
in a wiring file).  A binarization module in front of the logic layers
(fixed, soft or learnable thresholds) becomes the net's input encoder
(:mod:`.torchlogix_binarization`), so the imported net takes the raw
features.  Not supported, each with an error naming it: convolutional
layers and pooling.

``GroupSum`` has no tensors, so a bare state_dict carries no head: give
``<groupsum>.k`` and ``<groupsum>.tau`` (and ``<groupsum>.beta``) in a wiring
file, as for difflogic (see :mod:`.difflogic`).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

import numpy as np

from ..errors import ModelError
from ..model import GroupSum, LogicNet
from . import torchlogix_binarization as binarization
from .peers import (
    ModuleView, PeerLayer, as_array, build_net, find_wiring, head_from_flat, is_module, leaves_in_order,
    merge_flat, read_peer_file, read_wiring, scalar,
)

FLATTEN = "torch.nn.modules.flatten.Flatten"
#: torchlogix parametrization class -> its user-facing name (only "raw" is supported).
PARAMETRIZATIONS = {"RawLUTParametrization": "raw", "WarpLUTParametrization": "warp",
                    "WalshLUTParametrization": "walsh", "LightLUTParametrization": "light"}
#: key fragments of torchlogix layers gatecc does not import -> what they are.
UNSUPPORTED_KEYS = {"tree_weights": "convolutional logic layers (LogicConv)",
                    "_indices_L": "convolutional logic layers (LogicConv)"}
#: state_dict entries of a LogicDense layer that gatecc reads or knowingly ignores.
DERIVED_KEYS = ("_export_lut_ids", "connections._export_indices")


def _layer(where: str, weight, indices, candidate_weights=None, in_dim=None, parametrization=None,
           temperature=1.0):
    """A LogicDense layer: a raw rank-2 PeerLayer, or a warp/light LutLayer (:mod:`.torchlogix_lut`)."""
    w = as_array(weight, f"{where}.weight")
    idx = as_array(indices, f"{where}.connections.indices")
    if candidate_weights is None:
        if idx.ndim != 2:
            raise ModelError(f"{where}.connections.indices: shape {idx.shape}, expected (2, out)")
        rank = idx.shape[0]
    else:
        if idx.ndim != 3:
            raise ModelError(f"{where}.connections.indices: shape {idx.shape}, expected (candidates, 2, out) "
                             "for learnable connections")
        rank = idx.shape[1]
    lut = (parametrization not in (None, "raw") or rank != 2
           or (w.ndim == 2 and w.shape[1] != 16 and parametrization is None))
    if idx.dtype.kind not in "iu":
        raise ModelError(f"{where}.connections.indices: dtype {idx.dtype} is not an integer type")
    if candidate_weights is not None:
        cw = as_array(candidate_weights, f"{where}.connections.weights")
        if cw.shape != idx.shape:
            raise ModelError(f"{where}.connections.weights: shape {cw.shape}, expected {idx.shape} "
                             "(like connections.indices)")
        chosen = np.argmax(cw, axis=0)                      # (2, out): eval mode's choice per input slot
        side, gate = np.indices(chosen.shape)
        idx = idx[chosen, side, gate]
    if lut:
        from .torchlogix_lut import lut_layer

        return lut_layer(where, w, idx, parametrization, temperature)
    return PeerLayer(f"LogicDense '{where}'", w, idx[0], idx[1], in_dim=in_dim)


def from_module(model) -> LogicNet:
    """The LogicNet of a torchlogix model: a live ``nn.Module`` or a record read from a file."""
    layers: list[PeerLayer] = []
    head, beta, binarize = None, 0.0, None
    for m in leaves_in_order(ModuleView(model, "")):
        if m.qualname == FLATTEN:
            continue
        if m.package == "torchlogix" and m.name in binarization.BINARIZATIONS:
            if layers or binarize is not None:
                raise ModelError(f"{m.where()}: a binarization must come first, in front of the logic layers")
            binarize = m
            continue
        if m.package != "torchlogix" or m.name not in ("LogicDense", "GroupSum"):
            raise ModelError(f"{m.where()} is not supported; gatecc imports torchlogix LogicDense and GroupSum "
                             "modules (and Flatten) in an nn.Sequential")
        if head is not None:
            raise ModelError(f"{m.where()} follows the GroupSum head; the head must come last")
        if m.name == "GroupSum":
            head = GroupSum(int(scalar(m.get("k"), f"{m.path}.k", "iu")),
                            float(scalar(m.get("tau", 1.0), f"{m.path}.tau")))
            beta = float(scalar(m.get("beta", 0.0), f"{m.path}.beta"))
            continue
        conn = m.get("connections")
        if conn is None or not is_module(conn):
            raise ModelError(f"{m.where()}: has no connections module")
        conn = ModuleView(conn, f"{m.path}.connections")
        if conn.name not in ("FixedDenseConnections", "LearnableDenseConnections"):
            raise ModelError(f"{conn.where()}: connections of this kind are not supported")
        param = m.get("parametrization")
        pname, temperature = None, 1.0
        if param is not None and is_module(param):
            pview = ModuleView(param, f"{m.path}.parametrization")
            pname = PARAMETRIZATIONS.get(pview.name, pview.name)
            temperature = float(scalar(pview.get("temperature", 1.0), f"{m.path}.parametrization.temperature"))
        elif isinstance(param, str):
            pname = param
        weight, indices = m.get("weight"), conn.get("indices")
        if weight is None or indices is None:
            raise ModelError(f"{m.where()}: has no '{'weight' if weight is None else 'connections.indices'}'")
        in_dim = m.get("in_dim")
        layers.append(_layer(m.path, weight, indices,
                             conn.get("weights") if conn.name == "LearnableDenseConnections" else None,
                             None if in_dim is None else int(scalar(in_dim, f"{m.path}.in_dim", "iu")), pname,
                             temperature))
    net = _net(layers, head, _meta(beta))
    if binarize is None:
        return net
    return binarization.with_encoder(net, binarization.module_encoder(binarize, net.n_inputs), binarize.path)


def from_state_dict(state: Mapping, wiring: Mapping | None = None, wiring_name: str = "wiring") -> LogicNet:
    """The LogicNet of a torchlogix ``state_dict`` (plus a wiring file for the head and in_dim)."""
    flat = merge_flat(state, wiring, wiring_name)
    used: set[str] = set()
    layers = []
    encoder_keys: set[str] = set()
    for key in list(flat):
        for fragment, what in UNSUPPORTED_KEYS.items():
            if fragment in key:
                raise ModelError(f"{key!r}: torchlogix {what} are not supported; "
                                 "gatecc imports LogicDense layers and a GroupSum")
        if key.rsplit(".", 1)[-1] in binarization.KEYS:
            encoder_keys.add(key)
        if not (key == "weight" or key.endswith(".weight")):
            continue
        prefix = key[: -len("weight")]
        ikey, ckey, dkey = f"{prefix}connections.indices", f"{prefix}connections.weights", f"{prefix}in_dim"
        pkey, tkey = f"{prefix}parametrization", f"{prefix}temperature"   # from a wiring file
        if ikey not in flat:
            raise ModelError(f"missing key {ikey!r} (the wiring of LogicDense '{prefix[:-1] or '<root>'}')")
        in_dim = int(scalar(flat[dkey], dkey, "iu")) if dkey in flat else None
        pname = str(np.asarray(flat[pkey])) if pkey in flat else None
        temperature = float(scalar(flat[tkey], tkey)) if tkey in flat else 1.0
        layers.append(_layer(prefix[:-1] or "<root>", flat[key], flat[ikey], flat.get(ckey), in_dim, pname,
                             temperature))
        used.update(k for k in (key, ikey, ckey, dkey, pkey, tkey, *(prefix + d for d in DERIVED_KEYS)) if k in flat)
    if not layers:
        raise ModelError("no LogicDense weights found (torchlogix keys end in '.weight')")
    encoder = binarization.flat_encoder(flat, used, *_first_inputs(layers)) if encoder_keys else None
    head, head_prefix = head_from_flat(flat, used, wiring_name)
    beta_key = f"{head_prefix}beta"
    beta = 0.0
    if head is not None and beta_key in flat:
        beta = float(scalar(flat[beta_key], beta_key))
        used.add(beta_key)
    for key in flat:
        if key not in used:
            raise ModelError(f"unexpected key {key!r}: a torchlogix state_dict holds '<layer>.weight' and "
                             "'<layer>.connections.indices'; a wiring file adds '<groupsum>.k', '.tau', '.beta'")
    if encoder is None:
        return _net(layers, head, _meta(beta))
    net = _net(layers, head, _meta(beta), encoder.n_bits)
    return binarization.with_encoder(net, encoder, "binarization")


def _first_inputs(layers) -> tuple[int | None, int]:
    """(the first layer's in_dim or None, one more than the largest input index it reads)."""
    first = layers[0]
    if not isinstance(first, PeerLayer):
        raise ModelError("a binarization in front of warp/light (LUT) layers is not supported; "
                         "gatecc imports it in front of raw LogicDense layers")
    in_dim = None if first.in_dim is None else int(first.in_dim)
    return in_dim, int(max(first.a.max(initial=0), first.b.max(initial=0))) + 1


def _net(layers, head, meta, n_inputs=None):
    """A LogicNet when every layer is raw rank 2, else a LutNet (warp/light/LUT-k neurons)."""
    if all(isinstance(x, PeerLayer) for x in layers):
        return build_net(layers, head, n_inputs, meta)
    from .torchlogix_lut import build_lut_net

    return build_lut_net(layers, head, getattr(layers[0], "in_dim", None), meta)


def _meta(beta: float) -> dict:
    return {"groupsum_beta": np.array(beta)} if beta else {}


def read_torchlogix(path: str | os.PathLike, wiring: str | os.PathLike | None = None) -> LogicNet:
    """Read a torchlogix model file (``.pt``/``.pth`` or ``.npz``); see the module docstring."""
    path = Path(path)
    return net_from_data(read_peer_file(path), path, wiring)


def net_from_data(data, path: Path, wiring=None) -> LogicNet:
    """The LogicNet of data already read from ``path`` (a module record or a flat dict)."""
    try:
        if is_module(data):
            if wiring is not None:
                raise ModelError("--wiring applies to a state_dict; this file holds the whole model")
            from .torchlogix_conv import convnet_from_module, is_conv_model

            return convnet_from_module(data) if is_conv_model(data) else from_module(data)
        if not isinstance(data, Mapping):
            raise ModelError(f"holds a {type(data).__name__}, not a torchlogix model or state_dict")
        if any(".tree_weights." in str(k) or str(k).startswith("tree_weights.") for k in data):
            from .torchlogix_conv import read_conv_state

            return read_conv_state(data, path, wiring)
        wiring_path = find_wiring(path, wiring)
        return from_state_dict(data, read_wiring(wiring_path) if wiring_path else None, str(wiring_path))
    except ModelError as exc:
        raise ModelError(f"{path}: {exc}") from None
