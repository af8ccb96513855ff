"""torchlogix binarization modules as gatecc input encoders.

torchlogix turns real features into bits with a module in front of its
logic layers (``torchlogix.layers.binarization``): ``x.unsqueeze(-1) >
thresholds`` in eval mode, then the threshold axis is merged into the
feature axis (``feature_dim``, -2 for (batch, features) inputs), so bit
``f * B + b`` is ``x[f] > thresholds[f, b]`` -- exactly a
:class:`~gatecc.encoder.ThermometerEncoder` with feature ``f`` repeated
``B`` times.  ``thresholds`` is ``(B,)`` (one set for every feature,
``one_per="global"``) or ``(F, B)`` (``one_per="feature"``).

* ``FixedBinarization`` and ``SoftBinarization`` (whose eval mode is the
  hard comparison) keep the buffer ``thresholds``.
* ``LearnableBinarization`` keeps the parameter ``raw_diffs``; its
  thresholds are ``cumsum([d0, s * softplus(d1 / s), ...])`` with
  ``s = temperature_softplus + 1e-6``, recomputed here as PyTorch's CPU
  kernels do (float32 softplus, cumsum accumulated in double, rounded to
  float32 per element).  The buffer ``thresholds`` then holds only the
  initial values and is ignored.
* ``DummyBinarization`` passes bits through: no encoder.

Comparisons are made on float32 features.  A threshold stored as float64 is
rounded down to the float32 below it (unless exact), so ``x > t`` decides as
PyTorch's float64 comparison of the float32 ``x`` would.  Image inputs
(binarization in front of convolutional layers) are not imported here.
"""

from __future__ import annotations

import numpy as np

from ..encoder import ThermometerEncoder
from ..errors import ModelError
from .peers import as_array, scalar

#: torchlogix binarization classes gatecc imports.
BINARIZATIONS = ("FixedBinarization", "SoftBinarization", "LearnableBinarization", "DummyBinarization")
#: state_dict keys of a binarization module (the key fragment after the module prefix).
KEYS = ("thresholds", "raw_diffs")
DEFAULT_TEMPERATURE_SOFTPLUS = 0.1


def learned_thresholds(raw_diffs: np.ndarray, temperature_softplus: float) -> np.ndarray:
    """``LearnableBinarization.get_thresholds()`` of ``raw_diffs`` (float32, same shape)."""
    raw = np.asarray(raw_diffs, dtype=np.float32)
    if raw.shape[-1] == 1:
        return raw.copy()
    s = np.float32(float(temperature_softplus) + 1e-6)
    z = raw[..., 1:] / s
    with np.errstate(over="ignore"):
        # torch.nn.functional.softplus (beta 1, threshold 20): linear above 20.
        soft = np.where(z > 20, z, np.log1p(np.exp(np.minimum(z, 20), dtype=np.float32), dtype=np.float32))
    diffs = np.concatenate([raw[..., :1], (s * soft.astype(np.float32)).astype(np.float32)], axis=-1)
    return np.cumsum(diffs.astype(np.float64), axis=-1).astype(np.float32)


def _float32_below(t: np.ndarray) -> np.ndarray:
    """float32 thresholds deciding ``x > t`` for every float32 x as the wider ``t`` does."""
    t = np.asarray(t)
    if t.dtype == np.float32:
        return t
    t64 = t.astype(np.float64)
    t32 = t64.astype(np.float32)
    up = t32.astype(np.float64) > t64                # rounded up: the float32 below decides the same
    return np.where(up, np.nextafter(t32, np.float32(-np.inf)), t32).astype(np.float32)


def encoder_of(thresholds, where: str, n_inputs: int | None, feature_dim=-2, guess: int | None = None
               ) -> ThermometerEncoder:
    """The encoder of eval-mode ``x.unsqueeze(-1) > thresholds`` feeding a net of ``n_inputs`` bits.

    ``n_inputs`` None: not known (a state_dict without ``in_dim``): ``(F, B)``
    thresholds decide it, ``(B,)`` ones use ``guess`` (one more than the
    first layer's largest input index).
    """
    t = as_array(thresholds, f"{where}.thresholds")
    if t.dtype.kind != "f":
        raise ModelError(f"{where}.thresholds: dtype {t.dtype}, expected a float type")
    if not np.isfinite(t).all():
        raise ModelError(f"{where}.thresholds: contains NaN or infinite values")
    fd = scalar(feature_dim, f"{where}.feature_dim", "iu")
    if fd not in (-2, 1):
        raise ModelError(f"{where}: feature_dim {fd} is not supported (gatecc imports feature_dim -2 or 1 "
                         "on (batch, features) inputs)")
    if t.ndim == 0:
        t = t.reshape(1)
    if t.ndim == 1:                                  # one_per="global": the same thresholds for every feature
        bits = t.shape[0]
        n_inputs = guess if n_inputs is None else n_inputs
        if bits == 0 or n_inputs % bits:
            raise ModelError(f"{where}.thresholds: {bits} thresholds per feature do not divide the "
                             f"{n_inputs} inputs of the first logic layer")
        t = np.broadcast_to(t, (n_inputs // bits, bits))
    elif t.ndim != 2:
        raise ModelError(f"{where}.thresholds: shape {t.shape}, expected (bits,) or (features, bits) "
                         "(image inputs before convolutional layers are not supported)")
    features, bits = t.shape
    if bits == 0 or (n_inputs is not None and features * bits != n_inputs):
        raise ModelError(f"{where}.thresholds: shape {t.shape} makes {features * bits} bits but the first "
                         f"logic layer reads {n_inputs} inputs")
    return ThermometerEncoder(features, np.repeat(np.arange(features), bits), _float32_below(t).ravel())


def module_encoder(view, n_inputs: int) -> ThermometerEncoder | None:
    """The encoder of a binarization module (live or pickled :class:`~.peers.ModuleView`); None for Dummy."""
    if view.name == "DummyBinarization":
        return None
    where = view.path or "<root>"
    return encoder_of(_module_thresholds(view, where), where, n_inputs, view.get("feature_dim", -2))


def _module_thresholds(view, where: str):
    """A binarization module's eval-mode thresholds (recomputed from ``raw_diffs`` for a learnable one)."""
    if view.name == "LearnableBinarization":
        raw = view.get("raw_diffs")
        if raw is None:
            raise ModelError(f"{view.where()}: has no 'raw_diffs'")
        temp = scalar(view.get("temperature_softplus", DEFAULT_TEMPERATURE_SOFTPLUS),
                      f"{where}.temperature_softplus")
        return learned_thresholds(_float_array(raw, f"{where}.raw_diffs"), temp)
    thresholds = view.get("thresholds")
    if thresholds is None:
        raise ModelError(f"{view.where()}: has no 'thresholds'")
    return thresholds


def image_encoder(view, shape) -> ThermometerEncoder | None:
    """The encoder of a binarization module in front of conv layers whose input map is ``shape``.

    On (batch, C, H, W) images torchlogix compares ``x.unsqueeze(-1)`` with
    ``(C, B)`` per-channel (or ``(B,)`` global) thresholds and, with
    ``feature_dim=1``, merges the threshold axis into the channels: plane
    ``c * B + b`` of the conv net's ``C * B`` input planes is
    ``pixel > thresholds[c, b]`` -- the layout of
    :func:`gatecc.encoder.fit_image_encoder`.  None for DummyBinarization.
    """
    if view.name == "DummyBinarization":
        return None
    where = view.path or "<root>"
    t = as_array(_module_thresholds(view, where), f"{where}.thresholds")
    if t.dtype.kind != "f" or not np.isfinite(t).all():
        raise ModelError(f"{where}.thresholds: expected finite floats")
    fd = scalar(view.get("feature_dim", -2), f"{where}.feature_dim", "iu")
    if fd != 1:
        raise ModelError(f"{where}: feature_dim {fd} in front of conv layers is not supported (gatecc imports "
                         "feature_dim=1: the thresholds merged into the channels)")
    planes = shape.channels
    t = t.reshape(1) if t.ndim == 0 else t
    if t.ndim == 1 and t.size and planes % t.size == 0:
        t = np.broadcast_to(t, (planes // t.size, t.size))
    if t.ndim != 2 or t.size != planes:
        raise ModelError(f"{where}.thresholds: shape {t.shape} does not make the {planes} input channels of "
                         "the first conv layer")
    channels, bits = t.shape
    plane = int(np.prod(shape.spatial))
    feature = np.concatenate([c * plane + np.arange(plane) for c in range(channels) for _ in range(bits)])
    return ThermometerEncoder(channels * plane, feature, np.repeat(_float32_below(t).ravel(), plane))


def flat_encoder(flat, used: set, n_inputs: int | None, guess: int) -> ThermometerEncoder | None:
    """The encoder of a binarization module's state_dict keys, if ``flat`` has them (marks them used).

    ``<prefix>thresholds`` alone is a fixed/soft binarization; with
    ``<prefix>raw_diffs`` it is learnable (a wiring file may give
    ``<prefix>temperature_softplus`` and ``<prefix>feature_dim``).
    """
    keys = [k for k in flat if k.rsplit(".", 1)[-1] in KEYS]
    if not keys:
        return None
    prefixes = {k[: -len(k.rsplit(".", 1)[-1])] for k in keys}
    if len(prefixes) != 1:
        raise ModelError(f"more than one binarization module ({', '.join(sorted(p[:-1] or '<root>' for p in prefixes))}); "
                         "gatecc imports one in front of the logic layers")
    prefix = prefixes.pop()
    where = prefix[:-1] or "<root>"
    tkey, fkey = f"{prefix}temperature_softplus", f"{prefix}feature_dim"
    used.update(k for k in (*keys, tkey, fkey) if k in flat)
    feature_dim = flat.get(fkey, -2)
    if f"{prefix}raw_diffs" in flat:
        temp = scalar(flat.get(tkey, DEFAULT_TEMPERATURE_SOFTPLUS), tkey)
        thresholds = learned_thresholds(_float_array(flat[f"{prefix}raw_diffs"], f"{where}.raw_diffs"), temp)
        return encoder_of(thresholds, where, n_inputs, feature_dim, guess)
    return encoder_of(flat[f"{prefix}thresholds"], where, n_inputs, feature_dim, guess)


def _float_array(value, where: str) -> np.ndarray:
    arr = as_array(value, where)
    if arr.dtype.kind != "f" or not np.isfinite(arr).all():
        raise ModelError(f"{where}: expected finite floats, got {arr.dtype}" +
                         (" with NaN or infinite values" if arr.dtype.kind == "f" else ""))
    return arr


def with_encoder(net, encoder, where: str):
    """``net`` (a LogicNet) taking raw features through ``encoder``; ModelError for a LutNet."""
    from ..model import LogicNet

    if encoder is None:
        return net
    if not isinstance(net, LogicNet):
        raise ModelError(f"{where}: a binarization in front of warp/light (LUT) layers is not supported; "
                         "gatecc imports it in front of raw LogicDense layers")
    return LogicNet(net.n_inputs, net.layers, net.groupsum, {**net.meta, "encoder_source": np.array(where)},
                    encoder)
