"""Input encoders: real-valued features -> the input bits of a net.

A :class:`ThermometerEncoder` turns each of ``n_features`` float features
into bits ``x[feature[k]] > threshold[k]`` (float32 comparisons), one per
threshold; a feature's thresholds are ascending, so its bits form a
thermometer code.  A table's encoding keeps each feature's bits together;
an image's (:func:`fit_image_encoder`) is channel-major, bit plane
``c * B + b`` holding ``pixel > threshold[c, b]`` for every pixel, so the
bits of a pixel are ``H * W`` apart.  A 0/1 column gets the single threshold
0.5 and passes through unchanged.  Thresholds are learned from training data
(:func:`fit_encoder`): ``quantile`` puts them at the feature's quantiles (as
midpoints between neighbouring distinct training values), ``uniform``
spaces them evenly between its minimum and maximum.

The encoder is part of the model (model format v2, ``encoder/...`` keys; see
docs/model-format.md): :func:`gatecc.soft_eval` applies it with numpy, and
compiled nets apply the same comparisons in generated code
(:mod:`gatecc.backends.float_entry`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .errors import InputError, ModelError

ENCODINGS = ("quantile", "uniform")
KIND = "thermometer"


@dataclass(frozen=True, eq=False)
class ThermometerEncoder:
    """Bit k of the encoding is ``x[:, feature[k]] > threshold[k]`` in float32."""

    n_features: int
    feature: np.ndarray      # (n_bits,) int64: the feature bit k reads
    threshold: np.ndarray    # (n_bits,) float32

    def __post_init__(self) -> None:
        feature = np.asarray(self.feature)
        threshold = np.asarray(self.threshold)
        if isinstance(self.n_features, bool) or not isinstance(self.n_features, (int, np.integer)) \
                or self.n_features < 1:
            raise ModelError(f"encoder/n_features must be a positive integer, not {self.n_features!r}")
        if feature.ndim != 1 or feature.dtype.kind not in "iu" or feature.size == 0:
            raise ModelError(f"encoder/feature: expected a non-empty 1-D integer array, got {feature.dtype} {feature.shape}")
        if threshold.shape != feature.shape or threshold.dtype.kind != "f":
            raise ModelError(f"encoder/threshold: expected float ({feature.size},), got {threshold.dtype} {threshold.shape}")
        if ((feature < 0) | (feature >= self.n_features)).any():
            raise ModelError(f"encoder/feature: indices must be in 0..{int(self.n_features) - 1}")
        if not np.isfinite(threshold).all():
            raise ModelError("encoder/threshold: contains NaN or infinite values")
        object.__setattr__(self, "n_features", int(self.n_features))
        object.__setattr__(self, "feature", feature.astype(np.int64))
        object.__setattr__(self, "threshold", threshold.astype(np.float32))

    def __repr__(self) -> str:
        # Exact and short: cache keys are built from the repr of the options that carry an encoder.
        import hashlib

        digest = hashlib.sha256(self.feature.tobytes() + self.threshold.tobytes()).hexdigest()[:16]
        return f"ThermometerEncoder(n_features={self.n_features}, n_bits={self.n_bits}, sha256={digest})"

    @property
    def n_bits(self) -> int:
        """Bits the encoding produces (the net's ``n_inputs``)."""
        return int(self.feature.shape[0])

    def check(self, x) -> np.ndarray:
        """``x`` as a float32 (batch, n_features) array; InputError for a wrong shape or NaN."""
        x = np.asarray(x)
        if x.ndim != 2 or x.shape[1] != self.n_features:
            raise InputError(f"expected features of shape (batch, {self.n_features}), got {x.shape}")
        if x.dtype.kind not in "biuf":
            raise InputError(f"features must be numbers, not {x.dtype}")
        with np.errstate(over="ignore"):          # beyond float32's range: +-inf, as the generated code sees it
            x = x.astype(np.float32)
        if np.isnan(x).any():
            raise InputError(f"features contain NaN (first in row {int(np.argwhere(np.isnan(x))[0][0])})")
        return x

    def encode(self, x) -> np.ndarray:
        """(batch, n_features) numbers -> (batch, n_bits) uint8 bits (the reference encoding)."""
        x = self.check(x)
        return (x[:, self.feature] > self.threshold[None, :]).astype(np.uint8)

    def to_arrays(self) -> dict[str, np.ndarray]:
        """The ``encoder/...`` keys of model format v2."""
        return {
            "encoder/kind": np.array(KIND),
            "encoder/n_features": np.array(self.n_features, dtype=np.int64),
            "encoder/feature": self.feature,
            "encoder/threshold": self.threshold,
        }

    @classmethod
    def from_arrays(cls, arrays: dict[str, np.ndarray]) -> "ThermometerEncoder":
        """Read the ``encoder/...`` keys (ModelError naming any problem)."""
        for key in ("encoder/kind", "encoder/n_features", "encoder/feature", "encoder/threshold"):
            if key not in arrays:
                raise ModelError(f"missing key {key!r}")
        kind = arrays["encoder/kind"]
        if kind.ndim != 0 or kind.dtype.kind not in "US" or str(kind.item()) != KIND:
            raise ModelError(f"encoder/kind must be {KIND!r}")
        n = arrays["encoder/n_features"]
        if n.ndim != 0 or n.dtype.kind not in "iu":
            raise ModelError("encoder/n_features: expected an integer scalar")
        return cls(int(n.item()), arrays["encoder/feature"], arrays["encoder/threshold"])


def _is_binary(column: np.ndarray) -> bool:
    return bool(np.isin(column, (0.0, 1.0)).all())


def fit_encoder(x: np.ndarray, method: str = "quantile", bits: int = 8) -> ThermometerEncoder:
    """Learn per-feature thresholds from training features ``x`` (n, features).

    0/1 columns get one threshold (0.5); a constant column one threshold at
    its value (always 0).  Others get up to ``bits`` distinct thresholds.
    """
    if method not in ENCODINGS:
        raise InputError(f"unknown encoding {method!r} (known: {', '.join(ENCODINGS)})")
    if bits < 1:
        raise InputError(f"bits per feature must be >= 1, not {bits}")
    x = np.asarray(x, dtype=np.float32)
    features, thresholds = [], []
    for j in range(x.shape[1]):
        col = x[:, j]
        if _is_binary(col):
            t = np.array([0.5], dtype=np.float32)
        else:
            t = _thresholds(col, method, bits)
        features.append(np.full(t.shape[0], j, dtype=np.int64))
        thresholds.append(t)
    return ThermometerEncoder(x.shape[1], np.concatenate(features), np.concatenate(thresholds))


def _thresholds(col: np.ndarray, method: str, bits: int) -> np.ndarray:
    values = np.unique(col)
    if values.size == 1:
        return values.astype(np.float32)
    if method == "uniform":
        lo, hi = float(values[0]), float(values[-1])
        t = lo + (hi - lo) * np.arange(1, bits + 1) / (bits + 1)
    else:
        q = np.quantile(col.astype(np.float64), np.arange(1, bits + 1) / (bits + 1))
        # Move each quantile to the midpoint between the distinct values around
        # it, so no training value sits on a threshold.
        idx = np.clip(np.searchsorted(values, q, side="right"), 1, values.size - 1)
        t = (values[idx - 1].astype(np.float64) + values[idx]) / 2
    return np.unique(t.astype(np.float32))


def fit_image_encoder(x: np.ndarray, image: tuple[int, ...], method: str = "quantile", bits: int = 4
                      ) -> tuple[ThermometerEncoder, int]:
    """Per-channel thresholds for images ``x`` (n, C*H*W channel-major): (encoder, bit planes).

    Channel c's thresholds are learned from all its pixels, as
    :func:`fit_encoder` learns a column's; the encoding is the bit map
    (planes, H, W), plane ``j`` (channel c, threshold t) holding ``pixel > t``
    for every pixel of channel c, so a conv net sees the image's geometry.
    """
    if method not in ENCODINGS:
        raise InputError(f"unknown encoding {method!r} (known: {', '.join(ENCODINGS)})")
    if bits < 1:
        raise InputError(f"bits per feature must be >= 1, not {bits}")
    channels, plane = int(image[0]), int(np.prod(image[1:]))
    x = np.asarray(x, dtype=np.float32).reshape(x.shape[0], channels, plane)
    features, thresholds = [], []
    for c in range(channels):
        col = x[:, c].reshape(-1)
        ts = np.array([0.5], np.float32) if _is_binary(col) else _thresholds(col, method, bits)
        for t in ts:
            features.append(c * plane + np.arange(plane))
            thresholds.append(np.full(plane, t, np.float32))
    planes = len(thresholds)
    return ThermometerEncoder(channels * plane, np.concatenate(features), np.concatenate(thresholds)), planes
