"""Import difflogic models (Petersen et al., "Deep Differentiable Logic Gate Networks").

difflogic builds ``nn.Sequential(Flatten(), LogicLayer(...), ..., GroupSum(k, tau))``.
A ``LogicLayer`` keeps its gate weights in the parameter ``weights``
``(out, 16)`` and its wiring in the plain attribute ``indices``, a tuple of
two int64 ``(out,)`` tensors that is **not** in ``state_dict()``; its input
width is ``in_dim``.  ``GroupSum`` has no tensors at all (``k``, ``tau``).
In eval mode a gate is ``one_hot(weights.argmax(-1))`` (ties to the lowest
id) over the same 16 gate ids gatecc uses, and the head returns each group's
sum divided by tau: so the imported net's counts are the eval model's
outputs times tau.

Accepted files:

* ``torch.save(model)``: everything is in the file;
* ``torch.save(model.state_dict())`` (or an ``.npz`` of the same keys) plus a
  wiring file holding, keyed like the state_dict, ``<layer>.indices``
  ``(2, out)`` for every LogicLayer, optionally ``<layer>.in_dim``, and the
  head's ``<groupsum>.k`` and ``<groupsum>.tau``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from ..errors import ModelError
from ..model import GroupSum, LogicNet
from .peers import (
    ModuleView, PeerLayer, as_array, build_net, find_wiring, head_from_flat, index_pair, is_module,
    leaves_in_order, merge_flat, missing_wiring_message, read_peer_file, read_wiring, scalar,
)

FLATTEN = "torch.nn.modules.flatten.Flatten"
#: difflogic class name -> what it is.
MODULE_KINDS = {"LogicLayer": "layer", "GroupSum": "groupsum"}


def from_module(model) -> LogicNet:
    """The LogicNet of a difflogic model: a live ``nn.Module`` or a record read from a file."""
    layers: list[PeerLayer] = []
    head = None
    for m in leaves_in_order(ModuleView(model, "")):
        kind = MODULE_KINDS.get(m.name) if m.package == "difflogic" else ("flatten" if m.qualname == FLATTEN else None)
        if kind is None:
            raise ModelError(f"{m.where()} is not supported; gatecc imports difflogic LogicLayer and GroupSum "
                             "modules (and Flatten) in an nn.Sequential")
        if head is not None and kind != "flatten":
            raise ModelError(f"{m.where()} follows the GroupSum head; the head must come last")
        if kind == "layer":
            weights, indices = m.get("weights"), m.get("indices")
            if weights is None or indices is None:
                missing = "weights" if weights is None else "indices"
                raise ModelError(f"{m.where()}: has no '{missing}'")
            in_dim = m.get("in_dim")
            layers.append(PeerLayer(
                f"LogicLayer '{m.path}'", as_array(weights, f"{m.path}.weights"),
                *index_pair(indices, f"{m.path}.indices"),
                in_dim=None if in_dim is None else int(scalar(in_dim, f"{m.path}.in_dim", "iu")),
            ))
        elif kind == "groupsum":
            head = GroupSum(int(scalar(m.get("k"), f"{m.path}.k", "iu")),
                            float(scalar(m.get("tau", 1.0), f"{m.path}.tau")))
    return build_net(layers, head, None)


def from_state_dict(state: Mapping, wiring: Mapping | None = None, wiring_name: str = "wiring") -> LogicNet:
    """The LogicNet of a difflogic ``state_dict`` and its wiring (keys as in the module docstring)."""
    flat = merge_flat(state, wiring, wiring_name)
    used: set[str] = set()
    layers = []
    for key in list(flat):
        if not (key == "weights" or key.endswith(".weights")):
            continue
        prefix = key[: -len("weights")]
        ikey, dkey = f"{prefix}indices", f"{prefix}in_dim"
        if ikey not in flat:
            if wiring is None:
                raise _MissingWiring(ikey)
            raise ModelError(f"{wiring_name}: missing key {ikey!r} (the wiring of LogicLayer '{prefix[:-1]}')")
        in_dim = int(scalar(flat[dkey], dkey, "iu")) if dkey in flat else None
        layers.append(PeerLayer(f"LogicLayer '{prefix[:-1]}'", as_array(flat[key], key),
                                *index_pair(flat[ikey], ikey), in_dim=in_dim))
        used.update(k for k in (key, ikey, dkey) if k in flat)
    if not layers:
        raise ModelError("no LogicLayer weights found (difflogic keys end in '.weights')")
    head, _ = head_from_flat(flat, used, wiring_name)
    for key in flat:
        if key not in used:
            raise ModelError(f"unexpected key {key!r}: a difflogic state_dict holds '<layer>.weights', and its wiring "
                             "'<layer>.indices', '<layer>.in_dim', '<groupsum>.k', '<groupsum>.tau'")
    return build_net(layers, head, None)


class _MissingWiring(ModelError):
    """A state_dict came without the indices difflogic keeps outside it."""


def read_difflogic(path: str | os.PathLike, wiring: str | os.PathLike | None = None) -> LogicNet:
    """Read a difflogic model file (``.pt``/``.pth`` or ``.npz``); see the module docstring."""
    path = Path(path)
    data = read_peer_file(path)
    return net_from_data(data, path, wiring)


def net_from_data(data, path: Path, wiring=None) -> LogicNet:
    """The LogicNet of data already read from ``path`` (a module record or a flat dict)."""
    if is_module(data):
        if wiring is not None:
            raise ModelError(f"{path}: --wiring applies to a state_dict; this file holds the whole model")
        return _named(path, from_module, data)
    if not isinstance(data, Mapping):
        raise ModelError(f"{path}: holds a {type(data).__name__}, not a difflogic model or state_dict")
    wiring_path = find_wiring(path, wiring)
    extra = read_wiring(wiring_path) if wiring_path else None
    try:
        return _named(path, from_state_dict, data, extra, str(wiring_path))
    except _MissingWiring:
        raise ModelError(f"{path}: {missing_wiring_message(path, 'difflogic')}") from None


def _named(path: Path, fn, *args):
    """``fn(*args)``, with ``path`` in front of any ModelError it raises."""
    try:
        return fn(*args)
    except _MissingWiring:
        raise
    except ModelError as exc:
        raise ModelError(f"{path}: {exc}") from None
