"""The input encoder of a net as Python: ``gatecc lower --target python`` of a model with an encoder.

Appended to the ``python`` target's ``gatecc_eval(x, n)`` (bit planes held in
ints), so the printed module runs on raw features::

    planes, n = gatecc_encode(rows)      # rows: n sequences of n_features numbers
    out = gatecc_eval(planes, n)

Each feature is rounded to float32 first (``struct``'s ``f`` format; values
too large for float32 become +-inf, as numpy's cast makes them), then
compared with the float32 thresholds, written as exact hexadecimal literals,
so the bits are exactly :meth:`gatecc.encoder.ThermometerEncoder.encode`'s.
NaN features raise ``ValueError`` (the encoder rejects them too).
"""

from __future__ import annotations


def emit_python_encoder(encoder, name: str = "gatecc_encode") -> str:
    """Python source of ``name(rows) -> (planes, n)`` for ``encoder``."""
    thresholds = ", ".join(f"float.fromhex({float(t).hex()!r})" for t in encoder.threshold)
    features = ", ".join(str(int(f)) for f in encoder.feature)
    nf = encoder.n_features
    return f'''
import math as _gatecc_math
import struct as _gatecc_struct

# gatecc input encoder: input bit k = float32(row[GATECC_FEATURES[k]]) > GATECC_THRESHOLDS[k].
GATECC_N_FEATURES = {nf}
GATECC_THRESHOLDS = ({thresholds},)
GATECC_FEATURES = ({features},)


def _gatecc_f32(v):
    v = float(v)
    if v != v:
        raise ValueError("features contain NaN")
    try:
        return _gatecc_struct.unpack("<f", _gatecc_struct.pack("<f", v))[0]
    except OverflowError:                  # beyond float32's range: numpy's cast gives +-inf
        return _gatecc_math.copysign(_gatecc_math.inf, v)


def {name}(rows):
    """n rows of {nf} numbers -> (input planes of gatecc_eval, n): bit j of plane k is row j's bit k."""
    planes = [0] * len(GATECC_FEATURES)
    n = 0
    for j, row in enumerate(rows):
        row = [_gatecc_f32(v) for v in row]
        if len(row) != GATECC_N_FEATURES:
            raise ValueError(f"row {{j}} has {{len(row)}} features, expected {{GATECC_N_FEATURES}}")
        for k, (f, t) in enumerate(zip(GATECC_FEATURES, GATECC_THRESHOLDS)):
            if row[f] > t:
                planes[k] |= 1 << j
        n = j + 1
    return planes, n
'''
