"""The built-in training tasks: their data, default architecture and loss.

* ``life``: all 512 3x3 patterns of Conway's Game of Life (input j = cell
  (j // 3, j % 3), pattern 0's input 0 most significant, centre = input 4),
  one output, MSE; done when the hard net is exact on all 512.
* ``digits``: scikit-learn's bundled 8x8 digits (1797 images, no download),
  every pixel thermometer-coded into bits, a GroupSum(10, tau) head,
  cross-entropy; measured by hard accuracy on a held-out 20% split.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..ir.evaluate import all_inputs


@dataclass(frozen=True)
class Dataset:
    """Training and held-out data: float32 0/1 inputs; float targets or int labels."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray


@dataclass(frozen=True)
class Task:
    """A training task and its defaults (each can be overridden on the command line)."""

    name: str
    description: str
    n_inputs: int
    layers: tuple[int, ...]          # neurons per layer
    loss: str                        # "mse" (bit outputs) or "xent" (GroupSum class scores)
    groupsum_k: int | None = None
    tau: float = 1.0
    epochs: int = 100
    batch_size: int | None = None    # None: full batch
    entropy: float = 0.0             # weight of the gate-entropy penalty
    init_logit: float = 10.0         # logit of gate 3 ("A") at init: 10 = pass-through, 0 = none
    init_noise: float = 0.0          # std of normal noise added to every initial logit
    lr: float = 0.05
    repair_every: int = 0            # epochs between repair attempts (0: never); see trainer.py
    boost: float = 0.0               # loss weight of the last few hard-wrong patterns (0: off)
    exact: bool = False              # stop once the hard net is exact on the training set

    def data(self) -> Dataset:
        """The task's data."""
        return _DATA[self.name]()


def _life_data() -> Dataset:
    from ..life.rule import life_rule

    x = all_inputs(9).astype(np.float32)
    y = life_rule(x)[:, None].astype(np.float32)
    return Dataset(x, y, x, y)


#: Pixel thresholds of the digits task (pixels are 0..16): 3 bits per pixel.
DIGIT_THRESHOLDS = (2, 6, 10)


def digits_bits(images: np.ndarray) -> np.ndarray:
    """(n, 64) pixel values 0..16 -> (n, 64 * len(DIGIT_THRESHOLDS)) thermometer bits."""
    return np.concatenate([(images > t) for t in DIGIT_THRESHOLDS], axis=1).astype(np.float32)


def _digits_data() -> Dataset:
    from sklearn.datasets import load_digits

    digits = load_digits()
    x = digits_bits(digits.data)
    y = digits.target.astype(np.int32)
    # A fixed split, independent of the training seed, so runs are comparable.
    order = np.random.default_rng(0).permutation(len(x))
    n_test = len(x) // 5
    test, train = order[:n_test], order[n_test:]
    return Dataset(x[train], y[train], x[test], y[test])


_DATA = {"life": _life_data, "digits": _digits_data}

TASKS: dict[str, Task] = {
    "life": Task(
        name="life",
        description="Conway's Game of Life rule on all 512 3x3 patterns",
        n_inputs=9,
        layers=(128,) * 17 + (64, 32, 16, 8, 4, 2, 1),
        loss="mse",
        epochs=20000,
        entropy=1e-3,
        repair_every=500,
        boost=20.0,
        exact=True,
    ),
    "digits": Task(
        name="digits",
        description="scikit-learn 8x8 digits, GroupSum(10) classifier",
        n_inputs=64 * len(DIGIT_THRESHOLDS),
        layers=(2000, 2000, 2000),
        loss="xent",
        groupsum_k=10,
        tau=20.0,
        epochs=60,
        batch_size=128,
        init_logit=0.0,   # shallow: plain random-normal logits (as difflogic), not pass-through
        init_noise=1.0,
    ),
}
