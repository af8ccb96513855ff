"""The CA model file: the model format's ``gatecc.ca`` kind (documented in docs/model-format.md).

=============================  ==================================================
key                            meaning
=============================  ==================================================
``format``                     str scalar ``"gatecc.ca"``
``version``                    int scalar ``1``
``channels``                   int scalar C >= 1: state bits per cell
``periodic``                   int scalar 0/1: torus (1) or zero boundary (0)
``n_perceive``, ``n_update``   int scalars: layer counts (>= 1 each)
``perceive{i}/a``, ``/b``      int (n_i,): wiring shared by all kernels
``perceive{i}/logits``         float (n_kernels, n_i, 16), or instead
``perceive{i}/gates``          uint8 (n_kernels, n_i)
``update{i}/a``, ``/b``        int (m_i,): wiring into update layer i-1
                               (update0 reads the C + C*S*n_kernels features)
``update{i}/logits``           float (m_i, 16), or instead ``update{i}/gates``
``meta/...``                   free-form numeric or string arrays
=============================  ==================================================
"""

from __future__ import annotations

import os
import numpy as np

from ..errors import ModelError
from ..files import read_npz_arrays
from ..model import Layer, _scalar, from_file, layer_arrays, read_layer, write_npz
from .model import CAModel, KernelLayer

FORMAT = "gatecc.ca"
VERSION = 1


def to_arrays(model: CAModel) -> dict[str, np.ndarray]:
    """The file's keys and arrays for ``model``."""
    arrays = {
        "format": np.array(FORMAT),
        "version": np.array(VERSION, dtype=np.int64),
        "channels": np.array(model.channels, dtype=np.int64),
        "periodic": np.array(int(model.periodic), dtype=np.int64),
        "n_perceive": np.array(len(model.perceive), dtype=np.int64),
        "n_update": np.array(len(model.update), dtype=np.int64),
    }
    for name, layers in (("perceive", model.perceive), ("update", model.update)):
        for i, layer in enumerate(layers):
            layer_arrays(arrays, f"{name}{i}", layer)
    for key, value in sorted(model.meta.items()):
        arrays[f"meta/{key}"] = value
    return arrays


def save_ca(model: CAModel, path: str | os.PathLike) -> None:
    """Write ``model`` (reproducible bytes: no timestamps)."""
    write_npz(path, to_arrays(model))


def is_ca_arrays(arrays: dict[str, np.ndarray]) -> bool:
    """True when the arrays claim to be a CA model file."""
    fmt = arrays.get("format")
    if fmt is None or fmt.ndim != 0 or fmt.dtype.kind not in "US":
        return False
    value = fmt.item()
    return (value.decode("utf-8", "replace") if isinstance(value, bytes) else value) == FORMAT


def from_arrays(arrays: dict[str, np.ndarray]) -> CAModel:
    """Build and validate a CAModel from the file's arrays."""
    if not is_ca_arrays(arrays):
        fmt = arrays.get("format")
        raise ModelError(f"format is {fmt.item() if fmt is not None and fmt.ndim == 0 else None!r}, "
                         f"expected {FORMAT!r}")
    version = _scalar(arrays, "version", "iu", "an integer")
    if version != VERSION:
        raise ModelError(f"unsupported CA model version {version} (this gatecc reads version {VERSION})")
    channels = _scalar(arrays, "channels", "iu", "an integer")
    periodic = _scalar(arrays, "periodic", "iub", "a 0/1")
    if periodic not in (0, 1):
        raise ModelError(f"periodic must be 0 or 1, not {periodic}")
    known = {"format", "version", "channels", "periodic", "n_perceive", "n_update"}
    groups = {}
    for name in ("perceive", "update"):
        count = _scalar(arrays, f"n_{name}", "iu", "an integer")
        if not 1 <= count <= 10000:
            raise ModelError(f"n_{name} must be in 1..10000, not {count}")
        layers = []
        for i in range(count):
            layers.append(read_layer(arrays, f"{name}{i}", KernelLayer if name == "perceive" else Layer, known))
        groups[name] = layers
    for key in arrays:
        if key not in known and not key.startswith("meta/"):
            raise ModelError(f"unexpected key {key!r} (free-form data belongs under 'meta/')")
    meta = {key[5:]: value for key, value in arrays.items() if key.startswith("meta/")}
    for key, value in meta.items():
        if value.dtype.kind not in "biufUS":
            raise ModelError(f"meta/{key}: metadata must be numeric or string arrays")
    return CAModel(channels, groups["perceive"], groups["update"], bool(periodic), meta)


def load_ca(path: str | os.PathLike) -> CAModel:
    """Read a CA model file; :class:`ModelError` naming the file and the problem."""
    return from_file(path, read_npz_arrays, from_arrays)
