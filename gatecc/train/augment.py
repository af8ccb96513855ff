"""Random-shift augmentation of image inputs for conv nets (``FitConfig.shift``, ``--shift N``).

Every epoch each training image is moved by a random (dy, dx), each in
-N..N, drawn from the run's seed and the epoch (so a resumed run sees the
same shifts).  Shifts act on the encoded bit maps: cells moved in from
outside are 0, which is what thermometer bits of a zero background are.
"""

from __future__ import annotations

import numpy as np


def shifted_copies(x: np.ndarray, shape, shift: int) -> np.ndarray:
    """(S, features, n) float32: the (features, n) bit maps ``x`` of ``shape`` under each of S = (2N+1)**2 shifts.

    Copy 0 is the unshifted map (dy = dx = 0); ``shape`` is a MapShape of
    (planes, H, W).
    """
    planes, (h, w) = shape.channels, shape.spatial
    maps = x.reshape(planes, h, w, -1)
    moves = [(0, 0)] + [(dy, dx) for dy in range(-shift, shift + 1) for dx in range(-shift, shift + 1)
                        if (dy, dx) != (0, 0)]
    out = np.zeros((len(moves), *maps.shape), np.float32)
    for i, (dy, dx) in enumerate(moves):
        dst_y, src_y = slice(max(dy, 0), h + min(dy, 0)), slice(max(-dy, 0), h - max(dy, 0))
        dst_x, src_x = slice(max(dx, 0), w + min(dx, 0)), slice(max(-dx, 0), w - max(dx, 0))
        out[i, :, dst_y, dst_x] = maps[:, src_y, src_x]
    return out.reshape(len(moves), planes * h * w, -1)


def epoch_choice(copies: int, n: int, seed: int, epoch: int) -> np.ndarray:
    """Which shifted copy each of the ``n`` training rows uses in ``epoch``."""
    return np.random.default_rng([seed, epoch, 1]).integers(0, copies, n)
