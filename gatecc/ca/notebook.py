"""Import a DiffLogic CA (the google-research notebook) saved as a flattened pytree ``.npz``.

The notebook keeps a CA as ``params`` and ``wires`` pytrees; the file holds
their leaves keyed by ``jax.tree_util.keystr`` paths, plus two scalars::

    tree = {"params": params, "wires": wires, "channels": C, "periodic": 1}
    leaves = jax.tree_util.tree_flatten_with_path(tree)[0]
    np.savez("ca.npz", **{jax.tree_util.keystr(p): np.asarray(v) for p, v in leaves})

giving ``['params']['perceive'][i]`` (n_kernels, n_i, 16) logits,
``['params']['update'][i]`` (m_i, 16) logits, ``['wires']['perceive'][i][0]``
and ``[1]`` (the shared wiring of perception layer i), ``['wires']['update'][i][0]``
and ``[1]``, ``['channels']`` and ``['periodic']`` (0/1).  ``/``-separated
keys (``params/perceive/0``) are read too.  Hard mode is argmax over the
logits with ties to the lowest id, as the notebook's ``decode_hard``.
"""

from __future__ import annotations

import os
import numpy as np

from ..errors import ModelError
from ..importers.jaxtree import split_path
from ..importers.peers import read_npz_flat, scalar
from ..model import Layer, from_file
from .model import CAModel, KernelLayer

NETS = ("perceive", "update")


def _collect(arrays: dict[str, np.ndarray]):
    params = {n: {} for n in NETS}
    wires = {n: {} for n in NETS}
    extra = {}
    for key, value in arrays.items():
        parts = split_path(key)
        if len(parts) == 1 and parts[0] in ("channels", "periodic"):
            extra[parts[0]] = value
        elif len(parts) == 3 and parts[0] == "params" and parts[1] in NETS and parts[2].isdigit():
            params[parts[1]][int(parts[2])] = value
        elif len(parts) == 4 and parts[0] == "wires" and parts[1] in NETS and parts[2].isdigit() \
                and parts[3] in ("0", "1"):
            wires[parts[1]].setdefault(int(parts[2]), {})[int(parts[3])] = value
        else:
            raise ModelError(f"unexpected key {key!r}: a DiffLogic CA holds ['params'][net][i], "
                             "['wires'][net][i][0|1] (net: 'perceive' or 'update'), ['channels'], ['periodic']")
    return params, wires, extra


def _wire(value, where: str) -> np.ndarray:
    arr = np.asarray(value)
    if arr.dtype.kind not in "iu" or arr.ndim != 1:
        raise ModelError(f"{where}: expected a 1-D integer index array, got {arr.dtype} {arr.shape}")
    return arr.astype(np.int64)


def from_arrays(arrays: dict[str, np.ndarray]) -> CAModel:
    """The CAModel of a flattened notebook pytree (keys as in the module docstring)."""
    params, wires, extra = _collect(arrays)
    for name in ("channels", "periodic"):
        if name not in extra:
            raise ModelError(f"missing key \"['{name}']\" (the CA's {name} scalar)")
    channels = int(scalar(extra["channels"], "['channels']", "iu"))
    periodic = int(scalar(extra["periodic"], "['periodic']", "iub"))
    if periodic not in (0, 1):
        raise ModelError(f"['periodic'] must be 0 or 1, not {periodic}")
    layers = {}
    for net in NETS:
        if not params[net]:
            raise ModelError(f"no ['params']['{net}'] layers found")
        count = max(params[net]) + 1
        built = []
        for i in range(count):
            where = f"['params']['{net}'][{i}]"
            if i not in params[net]:
                raise ModelError(f"missing key \"{where}\"")
            pair = wires[net].get(i, {})
            for j in (0, 1):
                if j not in pair:
                    raise ModelError(f"missing key \"['wires']['{net}'][{i}][{j}]\"")
            a = _wire(pair[0], f"['wires']['{net}'][{i}][0]")
            b = _wire(pair[1], f"['wires']['{net}'][{i}][1]")
            logits = np.asarray(params[net][i])
            if logits.dtype.kind != "f":
                raise ModelError(f"{where}: dtype {logits.dtype} is not a float type")
            cls = KernelLayer if net == "perceive" else Layer
            try:
                built.append(cls(a, b, logits=logits))
            except ModelError as exc:
                raise ModelError(f"{where}: {exc}") from None
        extra_wires = sorted(set(wires[net]) - set(range(count)))
        if extra_wires:
            raise ModelError(f"['wires']['{net}'][{extra_wires[0]}] has no matching params layer")
        layers[net] = built
    model = CAModel(channels, layers["perceive"], layers["update"], bool(periodic))
    model.meta["imported_from"] = np.array("difflogic-ca")
    return model


def read_notebook_ca(path: str | os.PathLike) -> CAModel:
    """Read a DiffLogic CA notebook pytree ``.npz``; ModelError naming the file and the problem."""
    return from_file(path, read_npz_flat, from_arrays)
