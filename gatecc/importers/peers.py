"""What the difflogic and torchlogix importers share.

Both peers store a net as PyTorch modules in an ``nn.Sequential``: logic
layers with ``(out, 16)`` gate weights and two wiring index vectors, then a
``GroupSum(k, tau)`` head.  A file is either the whole model object
(``torch.save(model)``) or a flat ``state_dict`` (``.pt``, or ``.npz`` of the
same keys), to which a *wiring* file adds what the state_dict lacks.

This module reads those files (see :mod:`.torchfile`: no PyTorch needed),
views pickled or live modules uniformly, and turns the per-layer arrays into
a validated :class:`~gatecc.model.LogicNet`, naming the peer's own keys in
every error.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import ModelError
from ..files import read_npz_arrays
from ..model import GroupSum, Layer, LogicNet
from .torchfile import PickledObject, read_torch_file

#: Suffixes tried beside a state_dict file, in order, for its wiring.
WIRING_SUFFIXES = (".wiring.npz", ".wiring.pt")


def as_array(value, where: str) -> np.ndarray:
    """``value`` (numpy array, torch tensor, number or list) as a numpy array."""
    if hasattr(value, "detach"):  # a live torch tensor, when the caller has PyTorch
        value = value.detach().cpu()
        if str(getattr(value, "dtype", "")) == "torch.bfloat16":
            value = value.float()
        value = value.numpy()
    try:
        arr = np.asarray(value)
    except (TypeError, ValueError):
        raise ModelError(f"{where}: expected an array, got {type(value).__name__}") from None
    if arr.dtype == object:
        raise ModelError(f"{where}: expected a numeric array, got {type(value).__name__}")
    return arr


def scalar(value, where: str, kinds: str = "iuf"):
    """A number stored as a Python number or a 0-d array."""
    arr = as_array(value, where)
    if arr.ndim != 0 or arr.dtype.kind not in kinds:
        raise ModelError(f"{where}: expected a number, got {arr.dtype} array of shape {arr.shape}")
    return arr.item()


def index_pair(value, where: str) -> tuple[np.ndarray, np.ndarray]:
    """Wiring as two (out,) integer vectors, from a (2, out) array or a pair of vectors."""
    if isinstance(value, (tuple, list)) and len(value) == 2:
        a, b = as_array(value[0], f"{where}[0]"), as_array(value[1], f"{where}[1]")
    else:
        arr = as_array(value, where)
        if arr.ndim != 2 or arr.shape[0] != 2:
            raise ModelError(f"{where}: shape {arr.shape}, expected (2, out) "
                             f"(one row of input indices per gate input)")
        a, b = arr[0], arr[1]
    for name, v in (("[0]", a), ("[1]", b)):
        if v.ndim != 1 or v.dtype.kind not in "iu":
            raise ModelError(f"{where}{name}: expected a 1-D integer vector, got {v.dtype} of shape {v.shape}")
    if a.shape != b.shape:
        raise ModelError(f"{where}: the two index vectors have {a.shape[0]} and {b.shape[0]} entries")
    return a, b


@dataclass
class PeerLayer:
    """One logic layer as a peer stores it; ``where`` names it in errors."""

    where: str
    weights: np.ndarray
    a: np.ndarray
    b: np.ndarray
    in_dim: int | None = None


def build_net(layers: list[PeerLayer], head: GroupSum | None, n_inputs: int | None,
              meta: dict | None = None) -> LogicNet:
    """The LogicNet of peer layers; every shape and range problem names the peer's key.

    ``n_inputs`` defaults to the first layer's ``in_dim``, else to one more
    than the largest index the first layer reads (peers' wirings use every input).
    """
    if not layers:
        raise ModelError("no logic layers found")
    prev = n_inputs if n_inputs is not None else layers[0].in_dim
    if prev is None:
        prev = int(max(layers[0].a.max(initial=0), layers[0].b.max(initial=0))) + 1
    n_in = int(prev)
    out = []
    for layer in layers:
        w = layer.weights
        n = layer.a.shape[0]
        if w.ndim != 2 or w.shape[1] != 16:
            raise ModelError(f"{layer.where}: gate weights have shape {w.shape}, expected (out, 16)")
        if w.dtype.kind != "f":
            raise ModelError(f"{layer.where}: gate weights have dtype {w.dtype}, expected a float type")
        if w.shape[0] != n:
            raise ModelError(f"{layer.where}: {w.shape[0]} gates but the wiring has {n} entries")
        if layer.in_dim is not None and int(layer.in_dim) != prev:
            raise ModelError(f"{layer.where}: in_dim is {layer.in_dim} but the previous layer has {prev} outputs")
        for side, idx in (("a", layer.a), ("b", layer.b)):
            bad = (idx < 0) | (idx >= prev)
            if bad.any():
                j = int(np.flatnonzero(bad)[0])
                raise ModelError(f"{layer.where}: wiring {side} index {int(idx[j])} at gate {j} "
                                 f"is out of range 0..{prev - 1}")
        if not np.isfinite(w).all():
            raise ModelError(f"{layer.where}: gate weights contain NaN or infinite values")
        out.append(Layer(layer.a.astype(np.int64), layer.b.astype(np.int64), logits=np.array(w)))
        prev = n
    if head is not None and (isinstance(head.k, bool) or head.k < 1 or prev % head.k):
        raise ModelError(f"GroupSum k={head.k} does not divide the last layer's width {prev}")
    return LogicNet(n_in, out, head, meta or {})


# ---------------------------------------------------------------------------
# modules, pickled or live

class ModuleView:
    """A module's class name, parameters, buffers, submodules and plain attributes.

    Works on :class:`PickledObject` records and on live ``torch.nn.Module``
    objects alike (both keep their state in ``__dict__``).
    """

    def __init__(self, obj, path: str):
        self.obj, self.path = obj, path
        if isinstance(obj, PickledObject):
            self.qualname = obj.qualname
            self.state = obj.state if isinstance(obj.state, dict) else {}
        else:
            cls = type(obj)
            self.qualname = f"{cls.__module__}.{cls.__qualname__}"
            self.state = vars(obj) if hasattr(obj, "__dict__") else {}

    @property
    def name(self) -> str:
        """The class name without its module."""
        return self.qualname.rsplit(".", 1)[-1]

    @property
    def package(self) -> str:
        """The top-level package of the class (``difflogic``, ``torchlogix``, ``torch``)."""
        return self.qualname.split(".", 1)[0]

    def get(self, name: str, default=None):
        """A parameter, buffer, submodule or plain attribute called ``name``."""
        for table in ("_parameters", "_buffers", "_modules"):
            entries = self.state.get(table)
            if isinstance(entries, Mapping) and name in entries:
                return entries[name]
        return self.state.get(name, default)

    def children(self) -> list["ModuleView"]:
        """Submodules in registration (= forward, for a Sequential) order."""
        mods = self.state.get("_modules")
        if not isinstance(mods, Mapping):
            return []
        prefix = f"{self.path}." if self.path else ""
        return [ModuleView(m, f"{prefix}{k}") for k, m in mods.items() if m is not None]

    def where(self) -> str:
        """How errors name this module."""
        return f"module '{self.path or '<root>'}' ({self.qualname})"


def is_module(obj) -> bool:
    """True for a pickled module record or a live module (anything with ``_modules``)."""
    state = obj.state if isinstance(obj, PickledObject) else getattr(obj, "__dict__", None)
    return isinstance(state, dict) and "_modules" in state


def leaves_in_order(root: ModuleView, containers=("torch.nn.modules.container.Sequential",)) -> list[ModuleView]:
    """The modules a forward pass runs, in order: Sequentials are opened, other modules kept."""
    if root.qualname in containers:
        out = []
        for child in root.children():
            out.extend(leaves_in_order(child, containers))
        return out
    return [root]


def detect_peer(data) -> str | None:
    """"difflogic" or "torchlogix" from a module record's classes or a state_dict's keys (None: neither)."""
    if is_module(data):
        packages = {m.package for m in leaves_in_order(ModuleView(data, ""))} & {"difflogic", "torchlogix"}
        return packages.pop() if len(packages) == 1 else None
    if not isinstance(data, Mapping):
        return None
    keys = [str(k) for k in data]
    torchlogix = any(k == "weight" or k.endswith((".weight", "connections.indices")) or ".tree_weights." in k
                     for k in keys)
    difflogic = any((k == "weights" or k.endswith(".weights")) and not k.endswith("connections.weights")
                    for k in keys)
    if torchlogix != difflogic:
        return "torchlogix" if torchlogix else "difflogic"
    return None


# ---------------------------------------------------------------------------
# files

def read_peer_file(path: Path):
    """A ``.pt``/``.pth`` (torch.save) or ``.npz`` file: a flat dict of arrays, or a module record."""
    if path.suffix.lower() == ".npz":
        return read_npz_flat(path)
    return read_torch_file(path)


def read_npz_flat(path: Path) -> dict[str, np.ndarray]:
    """Every array of an ``.npz`` (no pickles), keyed by name."""
    return read_npz_arrays(path)


def find_wiring(path: Path, wiring) -> Path | None:
    """The wiring file: ``wiring`` if given, else MODEL's stem + .wiring.npz/.pt if present."""
    if wiring is not None:
        wiring = Path(wiring)
        if not wiring.exists():
            raise ModelError(f"{wiring}: no such wiring file")
        return wiring
    stem = path.with_suffix("")
    for suffix in WIRING_SUFFIXES:
        candidate = stem.with_name(stem.name + suffix)
        if candidate.exists():
            return candidate
    return None


def read_wiring(path: Path) -> dict:
    """A wiring file as a flat dict (``.npz`` arrays, or a dict saved with torch.save)."""
    data = read_peer_file(path)
    if not isinstance(data, Mapping):
        raise ModelError(f"{path}: a wiring file must hold a dict of arrays, not {type(data).__name__}")
    return {str(k): v for k, v in data.items()}


def merge_flat(state: Mapping, wiring: Mapping | None, wiring_name: str) -> dict:
    """The state_dict's entries plus the wiring file's (a key in both is an error)."""
    merged = {str(k): v for k, v in state.items()}
    for key, value in (wiring or {}).items():
        if key in merged:
            raise ModelError(f"{wiring_name}: key {key!r} is already in the state_dict")
        merged[key] = value
    return merged


def head_from_flat(flat: Mapping, used: set, where: str) -> tuple[GroupSum | None, str]:
    """The GroupSum from ``{module}.k`` / ``{module}.tau`` entries (one module at most).

    Returns the head (None without a ``k``) and its key prefix (``"3."``).
    """
    k_keys = [key for key in flat if key == "k" or key.endswith(".k")]
    tau_keys = [key for key in flat if key == "tau" or key.endswith(".tau")]
    if len(k_keys) > 1:
        raise ModelError(f"{where}: several GroupSum heads ({', '.join(sorted(k_keys))}); expected one")
    if not k_keys:
        if tau_keys:
            raise ModelError(f"{where}: {tau_keys[0]!r} is given without the GroupSum's k")
        return None, ""
    k_key = k_keys[0]
    prefix = k_key[:-1]
    tau_key = f"{prefix}tau"
    stray = [key for key in tau_keys if key != tau_key]
    if stray:
        raise ModelError(f"{where}: {stray[0]!r} does not belong to the GroupSum {k_key!r}")
    k = int(scalar(flat[k_key], k_key, "iu"))
    tau = float(scalar(flat[tau_key], tau_key)) if tau_key in flat else 1.0
    if not np.isfinite(tau) or tau <= 0:
        raise ModelError(f"{tau_key}: GroupSum tau must be a finite positive number, not {tau}")
    used.update(key for key in (k_key, tau_key) if key in flat)
    return GroupSum(k, tau), prefix


def missing_wiring_message(path: Path, peer: str) -> str:
    """The one-line explanation for a state_dict that comes without its wiring."""
    stem = path.with_suffix("").name
    return (f"a {peer} state_dict has no wiring (the LogicLayer indices are not in a state_dict): "
            f"save them beside it as {stem}.wiring.npz (keys '<layer>.indices', shape (2, out)) "
            f"or pass --wiring FILE; see docs/formats.md")
