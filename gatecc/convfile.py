"""The convnet model format: a :class:`~gatecc.convnet.ConvNet` as an ``.npz`` (docs/model-format.md, "Convolutional nets").

=================================  =============================================================
key                                meaning
=================================  =============================================================
``format``                         str scalar ``"gatecc.convnet"``
``version``                        int scalar ``1``
``input_shape``                    int array ``[C, H, W]`` (or ``[C, D, H, W]``)
``n_stages``                       int scalar S >= 1
``stage{i}/kind``                  str: ``treeconv``, ``orpool``, ``flatten``, ``or``, ``dense``
``stage{i}/src``                   int scalar: the value read (0 = input, j + 1 = stage j)
``stage{i}/other``                 int scalar (``or``): the second value
``stage{i}/size|stride|padding``   int arrays, one entry per spatial axis (``treeconv``, ``orpool``)
``stage{i}/boundary``              str (``treeconv``): ``zero`` or ``torus``
``stage{i}/leaves``                int array (K, 2**d, 1 + rank): leaf offsets (dc, dy, dx)
``stage{i}/level{l}/logits``       float (K, 2**(d-1-l), 16), or ``.../gates`` uint8 (K, 2**(d-1-l))
``stage{i}/<LogicNet keys>``       (``dense``) model format v1 keys under the prefix: ``n_inputs``,
                                   ``n_layers``, ``layer{j}/a|b|logits|gates``, ``groupsum_k|tau``
``encoder/...``                    optional input encoder, as in model format v2
``meta/...``                       free-form numeric or string arrays
=================================  =============================================================

Reading goes through `gatecc.load` (the bounded reader of gatecc.files, never unpickles).
"""

from __future__ import annotations

import os

import numpy as np

from .errors import ModelError
from .ir.spatial.program import Flatten, MapShape, Or, OrPool
from .model import FORMAT as NET_FORMAT, VERSION as NET_VERSION, net_from_arrays, write_npz

FORMAT = "gatecc.convnet"
VERSION = 1
_NET_KEYS = ("n_inputs", "n_layers", "groupsum_k", "groupsum_tau")


def convnet_arrays(net) -> dict[str, np.ndarray]:
    """The format's keys and arrays for ``net``."""
    arrays = {"format": np.array(FORMAT), "version": np.array(VERSION, np.int64),
              "input_shape": np.array([net.input.channels, *net.input.spatial], np.int64),
              "n_stages": np.array(len(net.stages), np.int64)}
    for i, st in enumerate(net.stages):
        pre = f"stage{i}/"
        kind = "dense" if st.kind == "densehead" else st.kind
        arrays[pre + "kind"] = np.array(kind)
        arrays[pre + "src"] = np.array(st.src, np.int64)
        if kind == "or":
            arrays[pre + "other"] = np.array(st.other, np.int64)
        if kind in ("treeconv", "orpool"):
            for name in ("size", "stride", "padding"):
                arrays[pre + name] = np.array(getattr(st, name), np.int64)
        if kind == "treeconv":
            arrays[pre + "boundary"] = np.array(st.boundary)
            arrays[pre + "leaves"] = st.leaves.astype(np.int64)
            for lv, arr in enumerate(st.levels):
                arrays[f"{pre}level{lv}/{'gates' if arr.ndim == 2 else 'logits'}"] = arr
        if kind == "dense":
            for key, value in st.net.to_arrays().items():
                if key not in ("format", "version"):
                    arrays[pre + key] = value
    for key, value in sorted(net.meta.items()):
        arrays[f"meta/{key}"] = value
    if getattr(net, "encoder", None) is not None:
        arrays.update(net.encoder.to_arrays())
    return arrays


def save_convnet(net, path: str | os.PathLike, compressed: bool = True) -> None:
    """Write ``net``; the bytes depend only on the net."""
    write_npz(path, convnet_arrays(net), compressed)


def _take(arrays, used, key, kinds, what, ndim=0):
    if key not in arrays:
        raise ModelError(f"missing key {key!r}")
    used.add(key)
    value = arrays[key]
    if value.dtype.kind not in kinds or (ndim is not None and value.ndim != ndim):
        raise ModelError(f"{key}: expected {what}, got {value.dtype} of shape {value.shape}")
    return value.item() if value.ndim == 0 and value.dtype.kind in "iuUS" else value


def convnet_from_arrays(arrays: dict[str, np.ndarray]):
    """Build and validate a ConvNet from the format's arrays; every problem is one :class:`ModelError` line."""
    from .convnet import ConvNet, DenseHead, TreeConv

    used: set[str] = set()
    if _take(arrays, used, "format", "US", "a string") != FORMAT:
        raise ModelError(f"format is not {FORMAT!r}")
    version = _take(arrays, used, "version", "iu", "an integer scalar")
    if version != VERSION:
        raise ModelError(f"unsupported convnet format version {version} (this gatecc reads version {VERSION})")
    shape = _take(arrays, used, "input_shape", "iu", "an integer array [C, H, W]", ndim=1)
    if not 1 <= len(shape) <= 4 or (shape < 1).any():
        raise ModelError(f"input_shape {shape.tolist()}: expected [C, H, W] or [C, D, H, W] of positive sizes")
    n_stages = _take(arrays, used, "n_stages", "iu", "an integer scalar")
    if not 1 <= n_stages <= 4096:
        raise ModelError(f"n_stages must be in 1..4096, not {n_stages}")
    stages = []
    for i in range(n_stages):
        pre = f"stage{i}/"
        kind = _take(arrays, used, pre + "kind", "US", "a string")
        src = _take(arrays, used, pre + "src", "iu", "an integer scalar")
        axes = {}
        if kind in ("treeconv", "orpool"):
            axes = {n: tuple(int(v) for v in _take(arrays, used, pre + n, "iu", "an integer array", ndim=1))
                    for n in ("size", "stride", "padding")}
        if kind == "treeconv":
            leaves = _take(arrays, used, pre + "leaves", "iu", "an integer array (K, 2**d, 1 + rank)", ndim=3)
            depth = int(leaves.shape[1]).bit_length() - 1
            levels = []
            for lv in range(depth):
                key = f"{pre}level{lv}/logits"
                key = key if key in arrays else f"{pre}level{lv}/gates"
                levels.append(_take(arrays, used, key, "iuf", "gate logits or ids", ndim=None))
            boundary = _take(arrays, used, pre + "boundary", "US", "a string")
            stages.append(TreeConv(src, leaves, tuple(levels), boundary=boundary, **axes))
        elif kind == "orpool":
            stages.append(OrPool(src, **axes))
        elif kind == "flatten":
            stages.append(Flatten(src))
        elif kind == "or":
            stages.append(Or(src, _take(arrays, used, pre + "other", "iu", "an integer scalar")))
        elif kind == "dense":
            sub = {k[len(pre):]: v for k, v in arrays.items() if k.startswith(pre) and k not in (pre + "kind", pre + "src")}
            used.update(pre + k for k in sub)
            sub.update(format=np.array(NET_FORMAT), version=np.array(NET_VERSION))
            try:
                stages.append(DenseHead(src, net_from_arrays(sub)))
            except ModelError as exc:
                raise ModelError(f"stage {i} (dense): {exc}") from None
        else:
            raise ModelError(f"{pre}kind: unknown stage kind {kind!r} (expected treeconv, orpool, flatten, or, dense)")
    meta = {k[5:]: v for k, v in arrays.items() if k.startswith("meta/")}
    encoder = None
    if any(k.startswith("encoder/") for k in arrays):
        from .encoder import ThermometerEncoder

        encoder = ThermometerEncoder.from_arrays(arrays)
        used.update(k for k in arrays if k.startswith("encoder/"))
    for key in arrays:
        if key not in used and not key.startswith("meta/"):
            raise ModelError(f"unexpected key {key!r} (free-form data belongs under 'meta/')")
    return ConvNet(MapShape(int(shape[0]), tuple(int(s) for s in shape[1:])), tuple(stages), meta, encoder)
