"""Import JAX logic-gate nets stored as the JAX references keep them: ``params`` and ``wires``.

The JAX references (DiffLogic CA, the Game-of-Life reproduction) hold a net
as two pytrees: ``params[i]`` is layer i's ``(n_i, 16)`` gate logits and
``wires[i]`` is ``[indices_a, indices_b]``, two ``(n_i,)`` index vectors
into layer i-1's outputs (the inputs for i = 0).  Hard mode is
``one_hot(argmax(logits))`` over gatecc's gate ids.

The file is a pickle-free ``.npz`` of the flattened pytree ``{"params":
params, "wires": wires}``, one array per leaf, keyed by the leaf's path as
``jax.tree_util.keystr`` writes it (``['params'][0]``, ``['wires'][0][1]``)
or with ``/`` or ``.`` between the parts (``params/0``, ``wires/0/1``)::

    tree = {"params": params, "wires": wires, "groupsum_k": 10, "groupsum_tau": 10.0}
    leaves = jax.tree_util.tree_flatten_with_path(tree)[0]
    np.savez("net.npz", **{jax.tree_util.keystr(p): np.asarray(v) for p, v in leaves})

``wires[i]`` may also be one ``(2, n_i)`` array.  The net may sit one level
down (``params['update'][0]``, as DiffLogic CA names its update network) if
``params`` and ``wires`` agree on that level.  Optional scalar leaves:
``n_inputs`` (default: one more than the largest index layer 0 reads),
``groupsum_k`` and ``groupsum_tau`` (a GroupSum head, as in model format v1).
"""

from __future__ import annotations

import os
import re

import numpy as np

from ..errors import ModelError
from ..model import GroupSum, LogicNet, from_file
from .peers import PeerLayer, build_net, index_pair, read_npz_flat, scalar

_PART = re.compile(r"\['((?:[^'\\]|\\.)*)'\]|\[(\d+)\]|\.?([^./\[\]]+)|/")
SCALARS = ("n_inputs", "groupsum_k", "groupsum_tau")


def split_path(key: str) -> tuple[str, ...]:
    """The parts of a flattened pytree path: ``"['wires'][0][1]"`` -> ("wires", "0", "1")."""
    parts, pos = [], 0
    while pos < len(key):
        m = _PART.match(key, pos)
        if not m or m.end() == pos:
            raise ModelError(f"key {key!r}: cannot read it as a pytree path")
        part = next((g for g in m.groups() if g is not None), None)
        if part is not None:
            parts.append(part)
        pos = m.end()
    return tuple(parts)


def from_arrays(arrays: dict[str, np.ndarray]) -> LogicNet:
    """The LogicNet of a flattened ``{"params", "wires"}`` pytree (keys as in the module docstring)."""
    params: dict[tuple, np.ndarray] = {}
    wires: dict[tuple, dict] = {}
    extra: dict[str, np.ndarray] = {}
    for key, value in arrays.items():
        parts = split_path(key)
        if len(parts) == 1 and parts[0] in SCALARS:
            extra[parts[0]] = value
        elif parts and parts[0] == "params" and len(parts) >= 2 and parts[-1].isdigit():
            params[parts[1:]] = (key, value)
        elif parts and parts[0] == "wires" and len(parts) >= 3 and parts[-1].isdigit() and parts[-2].isdigit():
            wires.setdefault(parts[1:-1], {})[int(parts[-1])] = (key, value)
        elif parts and parts[0] == "wires" and len(parts) >= 2 and parts[-1].isdigit():
            wires.setdefault(parts[1:], {})["both"] = (key, value)
        else:
            raise ModelError(f"unexpected key {key!r}: a JAX net holds 'params[i]', 'wires[i][0]', 'wires[i][1]' "
                             f"and optionally {', '.join(SCALARS)}")
    if not params:
        raise ModelError("no 'params' found: a JAX net holds params[i] (n, 16) logits and wires[i] index pairs")
    nets = {p[:-1] for p in params} | {p[:-1] for p in wires}
    if len(nets) > 1:
        names = sorted("/".join(n) or "<top>" for n in nets)
        raise ModelError(f"holds several networks ({', '.join(names)}); save one network's params and wires")
    prefix = nets.pop()
    count = len(params)
    layers = []
    for i in range(count):
        pk = prefix + (str(i),)
        if pk not in params:
            raise ModelError(f"params has {count} layers but no layer {i}")
        key, logits = params[pk]
        entry = wires.get(pk)
        if entry is None:
            raise ModelError(f"missing wires for layer {i} (params key {key!r})")
        if "both" in entry:
            a, b = index_pair(entry["both"][1], entry["both"][0])
        elif set(entry) == {0, 1}:
            a, b = index_pair((entry[0][1], entry[1][1]), f"wires[{i}]")
        else:
            raise ModelError(f"wires[{i}] must hold two index vectors [indices_a, indices_b]")
        layers.append(PeerLayer(f"layer {i} ({key})", np.asarray(logits), a, b))
    if len(wires) != count:
        extra_layers = sorted(set(wires) - set(params))
        raise ModelError(f"wires has a layer params lacks: {'/'.join(extra_layers[0]) if extra_layers else '?'}")
    n_inputs = int(scalar(extra["n_inputs"], "n_inputs", "iu")) if "n_inputs" in extra else None
    head = None
    if "groupsum_k" in extra:
        tau = float(scalar(extra["groupsum_tau"], "groupsum_tau")) if "groupsum_tau" in extra else 1.0
        head = GroupSum(int(scalar(extra["groupsum_k"], "groupsum_k", "iu")), tau)
    elif "groupsum_tau" in extra:
        raise ModelError("groupsum_tau is given without groupsum_k")
    return build_net(layers, head, n_inputs)


def read_jax_pytree(path: str | os.PathLike) -> LogicNet:
    """Read a flattened JAX ``{"params", "wires"}`` pytree ``.npz``; see the module docstring."""
    return from_file(path, read_npz_flat, from_arrays)
