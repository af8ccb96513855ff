"""LogicNet, the trained network, and model format version 1 (``.npz``).

The format is a public contract, documented in ``docs/model-format.md``:

=========================  ======================================================
key                        meaning
=========================  ======================================================
``format``                 str scalar ``"gatecc.logicnet"``
``version``                int scalar ``1``
``n_inputs``               int scalar: input bits
``n_layers``               int scalar: L >= 1
``layer{i}/a``, ``/b``     int arrays (n_i,): wiring into layer i-1 (inputs for i=0)
``layer{i}/logits``        float array (n_i, 16): gate logits, or instead
``layer{i}/gates``         uint8 array (n_i,): gate ids 0-15 of a hard net
``groupsum_k``             int scalar, optional: GroupSum groups
``groupsum_tau``           float scalar, optional (default 1): GroupSum divisor
``meta/...``               any numeric or string arrays: free-form metadata
=========================  ======================================================

Version 2 adds an input encoder (``encoder/...`` keys, see
:mod:`gatecc.encoder`); a net without one is still written as version 1.

Every problem raises :class:`gatecc.ModelError` with one line naming it.
"""

from __future__ import annotations

import io
import os
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from .errors import ModelError
from .files import read_npz_arrays
from .limits import check_inputs

if TYPE_CHECKING:
    from .encoder import ThermometerEncoder

FORMAT = "gatecc.logicnet"
VERSION = 1
#: The version of files that store an input encoder.
VERSION_ENCODER = 2


@dataclass(frozen=True, eq=False)
class Layer:
    """One layer of neurons: wiring ``a``, ``b`` and either ``logits`` or ``gates``."""

    a: np.ndarray
    b: np.ndarray
    logits: np.ndarray | None = None
    gates: np.ndarray | None = None

    @property
    def width(self) -> int:
        """Number of neurons."""
        return int(self.a.shape[0])

    def gate_ids(self) -> np.ndarray:
        """Each neuron's gate: argmax of its logits (ties to the lowest id), as uint8."""
        if self.gates is not None:
            return self.gates.astype(np.uint8)
        return np.argmax(self.logits, axis=-1).astype(np.uint8)


def layer_arrays(arrays: dict[str, np.ndarray], prefix: str, layer: Layer) -> None:
    """Put ``layer`` into ``arrays`` as ``{prefix}/a``, ``/b`` and ``/gates`` (uint8) or ``/logits``."""
    arrays[f"{prefix}/a"] = layer.a
    arrays[f"{prefix}/b"] = layer.b
    if layer.gates is not None:
        arrays[f"{prefix}/gates"] = layer.gates.astype(np.uint8)
    else:
        arrays[f"{prefix}/logits"] = layer.logits


@dataclass(frozen=True)
class GroupSum:
    """The classifier head: ``k`` contiguous groups of the last layer, sums / ``tau``."""

    k: int
    tau: float = 1.0


@dataclass(eq=False)
class LogicNet:
    """A trained logic-gate network.  Construction validates it.

    ``layers[i]`` reads the outputs of ``layers[i-1]`` (the inputs for i=0).
    The outputs are the last layer's bits, or the ``groupsum`` head's k counts.
    """

    n_inputs: int
    layers: list[Layer]
    groupsum: GroupSum | None = None
    meta: dict[str, np.ndarray] = field(default_factory=dict)
    encoder: "ThermometerEncoder | None" = None     # real-valued features -> input bits (format v2)

    def __post_init__(self) -> None:
        if isinstance(self.n_inputs, bool) or not isinstance(self.n_inputs, (int, np.integer)) or self.n_inputs < 1:
            raise ModelError(f"n_inputs must be a positive integer, not {self.n_inputs!r}")
        self.n_inputs = int(self.n_inputs)
        if not self.layers:
            raise ModelError("a net needs at least one layer (n_layers >= 1)")
        checked: list[Layer] = []
        for i, layer in enumerate(self.layers):
            if not isinstance(layer, Layer):
                raise ModelError(f"layer{i}: expected a Layer, got {type(layer).__name__}")
            checked.append(_checked_layer(i, layer, checked[-1].width if checked else self.n_inputs))
        self.layers = checked
        # The graph gets a node per input: refuse a count the wiring cannot justify before anyone builds it.
        check_inputs(self.n_inputs, 2 * self.layers[0].width, "the net")
        self._check_head()
        if self.encoder is not None and self.encoder.n_bits != self.n_inputs:
            raise ModelError(f"the encoder makes {self.encoder.n_bits} bits but the net has {self.n_inputs} inputs")

    # -- shape ---------------------------------------------------------------
    @property
    def widths(self) -> list[int]:
        """Neurons per layer."""
        return [layer.width for layer in self.layers]

    @property
    def n_outputs(self) -> int:
        """k for a GroupSum head, else the width of the last layer."""
        return self.groupsum.k if self.groupsum else self.layers[-1].width

    @property
    def is_hard(self) -> bool:
        """True when every layer stores gate ids rather than logits."""
        return all(layer.gates is not None for layer in self.layers)

    def gate_ids(self) -> list[np.ndarray]:
        """Each layer's hard gates (argmax of the logits, ties to the lowest id)."""
        return [layer.gate_ids() for layer in self.layers]

    def hardened(self) -> "LogicNet":
        """The same net with every layer's logits replaced by its argmax gates."""
        layers = [Layer(layer.a, layer.b, gates=layer.gate_ids()) for layer in self.layers]
        return LogicNet(self.n_inputs, layers, self.groupsum, dict(self.meta), self.encoder)

    @classmethod
    def from_gates(cls, n_inputs: int, layers, groupsum: GroupSum | None = None) -> "LogicNet":
        """Build a hard net from ``[(a, b, gate_ids), ...]``."""
        return cls(n_inputs, [Layer(np.asarray(a), np.asarray(b), gates=np.asarray(g)) for a, b, g in layers], groupsum)

    def _check_head(self) -> None:
        gs = self.groupsum
        if gs is not None:
            if isinstance(gs.k, bool) or not isinstance(gs.k, (int, np.integer)) or gs.k < 1:
                raise ModelError(f"groupsum_k must be a positive integer, not {gs.k!r}")
            last = self.layers[-1].width
            if last % gs.k:
                raise ModelError(f"groupsum_k={gs.k} does not divide the last layer's width {last}")
            if not np.isfinite(gs.tau) or gs.tau <= 0:
                raise ModelError(f"groupsum_tau must be a finite positive number, not {gs.tau!r}")
            self.groupsum = GroupSum(int(gs.k), float(gs.tau))
        for key, value in self.meta.items():
            if not isinstance(value, np.ndarray) or value.dtype.kind not in "biufUS":
                raise ModelError(f"meta/{key}: metadata must be numeric or string arrays")

    # -- files ---------------------------------------------------------------
    def to_arrays(self) -> dict[str, np.ndarray]:
        """The model format v1 keys and arrays of this net."""
        arrays = {
            "format": np.array(FORMAT),
            "version": np.array(VERSION if self.encoder is None else VERSION_ENCODER, dtype=np.int64),
            "n_inputs": np.array(self.n_inputs, dtype=np.int64),
            "n_layers": np.array(len(self.layers), dtype=np.int64),
        }
        for i, layer in enumerate(self.layers):
            layer_arrays(arrays, f"layer{i}", layer)
        if self.groupsum is not None:
            arrays["groupsum_k"] = np.array(self.groupsum.k, dtype=np.int64)
            arrays["groupsum_tau"] = np.array(self.groupsum.tau, dtype=np.float64)
        if self.encoder is not None:
            arrays.update(self.encoder.to_arrays())
        for key, value in sorted(self.meta.items()):
            arrays[f"meta/{key}"] = value
        return arrays

    def save(self, path: str | os.PathLike, compressed: bool = True) -> None:
        """Write model format v1 (v2 with an encoder).  The bytes depend only on the net (no timestamps)."""
        write_npz(path, self.to_arrays(), compressed=compressed)


def npz_bytes(arrays: dict[str, np.ndarray], compressed: bool = True) -> bytes:
    """The ``.npz`` bytes of ``arrays``, with fixed timestamps so output is reproducible."""
    method = zipfile.ZIP_DEFLATED if compressed else zipfile.ZIP_STORED
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=method) as zf:
        for key, value in arrays.items():
            buf = io.BytesIO()
            np.lib.format.write_array(buf, np.asarray(value), allow_pickle=False)
            info = zipfile.ZipInfo(f"{key}.npy", date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = method
            info.external_attr = 0o644 << 16
            zf.writestr(info, buf.getvalue())
    return out.getvalue()


def write_npz(path, arrays: dict[str, np.ndarray], compressed: bool = True) -> None:
    """Write ``arrays`` as an ``.npz`` atomically (see :func:`npz_bytes`)."""
    tmp = Path(f"{path}.tmp-{os.getpid()}")
    tmp.write_bytes(npz_bytes(arrays, compressed))
    os.replace(tmp, path)


# ---------------------------------------------------------------------------
# validation

def checked_wiring(where: str, layer: Layer, prev_width: int) -> tuple[np.ndarray, np.ndarray]:
    """``layer``'s wiring ``a``, ``b`` checked against the ``prev_width`` wires before it (equal lengths), and
    exactly one of its logits or gates present; :class:`ModelError` prefixed with ``where`` otherwise."""
    a = _wiring(f"{where}/a", layer.a, prev_width)
    b = _wiring(f"{where}/b", layer.b, prev_width)
    if a.shape != b.shape:
        raise ModelError(f"{where}: a has {a.shape[0]} entries but b has {b.shape[0]}")
    if (layer.logits is None) == (layer.gates is None):
        raise ModelError(f"{where}: needs exactly one of logits or gates")
    return a, b



def checked_gate_choice(where: str, layer, lead: tuple[int, ...]):
    """(logits, gates) of ``layer``, checked: logits float, shape ``(*lead, 16)``, finite; or gates ids
    0..15 of shape ``lead`` (uint8).  Exactly one is given (:func:`checked_wiring` checked that).

    ``lead`` is ``(n,)`` for a net layer; ``(k, n)`` for a CA perception layer of k kernels (``k = -1``: any k >= 1).
    """
    def shaped(arr, tail):
        want = (*lead, *tail)
        ok = arr.ndim == len(want) and all(w == -1 and d >= 1 or d == w for d, w in zip(arr.shape, want))
        if not ok:
            spelled = ", ".join("n_kernels" if w == -1 else str(w) for w in want) + ("," if len(want) == 1 else "")
            raise ModelError(f"{where}/{'logits' if tail else 'gates'}: shape {arr.shape}, expected ({spelled})")

    if layer.logits is not None:
        logits = np.asarray(layer.logits)
        if logits.dtype.kind != "f":
            raise ModelError(f"{where}/logits: dtype {logits.dtype} is not a float type")
        shaped(logits, (16,))
        bad = ~np.isfinite(logits)
        if bad.any():
            first = np.argwhere(bad)[0]
            what = "NaN" if np.isnan(logits).any() else "infinite values"
            at = f"neuron {int(first[0])}" if len(lead) == 1 else f"kernel {int(first[0])}, neuron {int(first[1])}"
            raise ModelError(f"{where}/logits: contains {what} (first in {at})")
        return logits, None
    gates = np.asarray(layer.gates)
    if gates.dtype.kind not in "iu":
        raise ModelError(f"{where}/gates: dtype {gates.dtype} is not an integer type")
    shaped(gates, ())
    bad = (gates < 0) | (gates > 15)
    if bad.any():
        first = np.argwhere(bad)[0]
        at = f"neuron {int(first[-1])}" if len(lead) == 1 else f"kernel {int(first[0])}, neuron {int(first[1])}"
        raise ModelError(f"{where}/gates: gate id {int(gates[tuple(first)])} at {at} is not in 0..15")
    return None, gates.astype(np.uint8)

def _checked_layer(i: int, layer: Layer, prev_width: int) -> Layer:
    where = f"layer{i}"
    a, b = checked_wiring(where, layer, prev_width)
    n = a.shape[0]
    logits, gates = checked_gate_choice(where, layer, (n,))
    return Layer(a, b, logits, gates)


def _wiring(where: str, values, prev_width: int) -> np.ndarray:
    arr = np.asarray(values)
    if arr.dtype.kind not in "iu":
        raise ModelError(f"{where}: dtype {arr.dtype} is not an integer type")
    if arr.ndim != 1:
        raise ModelError(f"{where}: shape {arr.shape}, expected a 1-D array")
    if arr.shape[0] == 0:
        raise ModelError(f"{where}: empty layer (no neurons)")
    bad = (arr < 0) | (arr >= prev_width)
    if bad.any():
        j = int(np.flatnonzero(bad)[0])
        raise ModelError(f"{where}: index {int(arr[j])} at neuron {j} is out of range 0..{prev_width - 1}")
    return arr.astype(np.int64)


# ---------------------------------------------------------------------------
# loading

def _scalar(arrays, key: str, kinds: str, what: str, required: bool = True):
    if key not in arrays:
        if required:
            raise ModelError(f"missing key {key!r}")
        return None
    value = arrays[key]
    if value.ndim != 0 or value.dtype.kind not in kinds:
        raise ModelError(f"{key}: expected {what} scalar, got {value.dtype} array of shape {value.shape}")
    return value.item()


ENCODER_KEYS = frozenset({"encoder/kind", "encoder/n_features", "encoder/feature", "encoder/threshold"})


def read_layer(arrays: dict[str, np.ndarray], prefix: str, cls, known: set):
    """``cls(a, b, logits=, gates=)`` from the keys ``PREFIX/a``, ``/b`` and one of ``/logits``, ``/gates``
    (each missing or doubled key one :class:`ModelError`); the keys read are added to ``known``."""
    keys = {part: f"{prefix}/{part}" for part in ("a", "b", "logits", "gates")}
    for part in ("a", "b"):
        if keys[part] not in arrays:
            raise ModelError(f"missing key {keys[part]!r}")
    has_logits, has_gates = keys["logits"] in arrays, keys["gates"] in arrays
    if not has_logits and not has_gates:
        raise ModelError(f"missing key {keys['logits']!r} (or {keys['gates']!r})")
    if has_logits and has_gates:
        raise ModelError(f"{prefix}: has both logits and gates; keep one")
    known.update(keys.values())
    return cls(arrays[keys["a"]], arrays[keys["b"]], logits=arrays.get(keys["logits"]), gates=arrays.get(keys["gates"]))


def net_from_arrays(arrays: dict[str, np.ndarray]) -> LogicNet:
    """Build and validate a :class:`LogicNet` from model format v1 arrays."""
    fmt = _scalar(arrays, "format", "US", "a string")
    if isinstance(fmt, bytes):
        fmt = fmt.decode("utf-8", "replace")
    if fmt != FORMAT:
        raise ModelError(f"format is {fmt!r}, expected {FORMAT!r}")
    version = _scalar(arrays, "version", "iu", "an integer")
    if version not in (VERSION, VERSION_ENCODER):
        raise ModelError(f"unsupported model format version {version} "
                         f"(this gatecc reads versions {VERSION} and {VERSION_ENCODER})")
    n_inputs = _scalar(arrays, "n_inputs", "iu", "an integer")
    n_layers = _scalar(arrays, "n_layers", "iu", "an integer")
    if n_inputs < 1:
        raise ModelError(f"n_inputs must be >= 1, not {n_inputs}")
    if n_layers < 1:
        raise ModelError(f"n_layers must be >= 1, not {n_layers}")
    known = {"format", "version", "n_inputs", "n_layers", "groupsum_k", "groupsum_tau"}
    layers = []
    for i in range(n_layers):
        layers.append(read_layer(arrays, f"layer{i}", Layer, known))
    k = _scalar(arrays, "groupsum_k", "iu", "an integer", required=False)
    tau = _scalar(arrays, "groupsum_tau", "iuf", "a number", required=False)
    if tau is not None and k is None:
        raise ModelError("groupsum_tau is given without groupsum_k")
    meta = {key[5:]: value for key, value in arrays.items() if key.startswith("meta/")}
    for key in arrays:
        if key not in known and not key.startswith("meta/") and not (version == VERSION_ENCODER and key in ENCODER_KEYS):
            raise ModelError(f"unexpected key {key!r} (n_layers={n_layers}; free-form data belongs under 'meta/')")
    groupsum = GroupSum(k, 1.0 if tau is None else float(tau)) if k is not None else None
    encoder = None
    if version == VERSION_ENCODER:
        from .encoder import ThermometerEncoder

        encoder = ThermometerEncoder.from_arrays(arrays)
    return LogicNet(n_inputs, layers, groupsum, meta, encoder)


def from_file(path: str | os.PathLike, read, build):
    """``build(read(path))``, a :class:`ModelError` of ``build`` prefixed with the file's path."""
    path = Path(path)
    arrays = read(path)
    try:
        return build(arrays)
    except ModelError as exc:
        raise ModelError(f"{path}: {exc}") from None


def load_npz(path: str | os.PathLike) -> LogicNet:
    """Read a model format v1 ``.npz``; raise :class:`ModelError` naming any problem."""
    return from_file(path, read_npz_arrays, net_from_arrays)
