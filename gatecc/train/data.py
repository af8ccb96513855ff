"""User data for ``gatecc train DATA`` and :func:`gatecc.train`: reading and checking it.

* ``.npz``: ``x`` (n, features), or images (n, C, H, W) / (n, H, W) for
  conv architectures, ``y`` (n,) class labels or (n, outputs) 0/1 bit
  targets, optionally ``x_test`` and ``y_test``.
* ``.csv``: a header row, then numeric feature columns and one label column
  (``--label``); labels are integers or strings, mapped to classes 0..k-1 in
  sorted order.

Every problem (ragged rows, a non-numeric cell, NaN or infinite features,
labels out of range, a single class, too few rows) is a :class:`DataError`
with one line naming it.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import InputError


class DataError(InputError):
    """Training data that cannot be used as it is."""


@dataclass
class Table:
    """Features and targets: ``y`` int class ids (n,) or float 0/1 bits (n, outputs)."""

    x: np.ndarray
    y: np.ndarray
    x_test: np.ndarray | None = None
    y_test: np.ndarray | None = None
    classes: np.ndarray | None = None     # label of each class id (None: bit outputs)
    features: tuple[str, ...] = ()
    image: tuple[int, ...] | None = None  # (C, H, W) of image rows (x holds them flattened, channel-major)

    @property
    def is_classification(self) -> bool:
        """True for class labels, False for bit outputs."""
        return self.y.ndim == 1


def check_features(x, what: str = "x") -> np.ndarray:
    """``x`` as float32 (n, features); DataError for a wrong shape, non-numbers, NaN or inf."""
    x = np.asarray(x)
    if x.dtype.kind not in "biuf":
        raise DataError(f"{what}: features must be numbers, not {x.dtype}")
    if x.ndim != 2 or x.shape[0] == 0 or x.shape[1] == 0:
        raise DataError(f"{what}: expected a (rows, features) array, got shape {x.shape}")
    bad = ~np.isfinite(x.astype(np.float64))
    if bad.any():
        row, col = (int(v) for v in np.argwhere(bad)[0])
        kind = "NaN" if np.isnan(x[row, col]) else "an infinite value"
        raise DataError(f"{what}: {kind} at row {row}, feature {col}")
    return x.astype(np.float32)


def _class_ids(y, what: str) -> np.ndarray:
    y = np.asarray(y)
    if y.dtype.kind == "f":
        if not np.isfinite(y).all() or (y != np.round(y)).any():
            raise DataError(f"{what}: class labels must be whole numbers")
    elif y.dtype.kind not in "iub":
        raise DataError(f"{what}: class labels must be integers, not {y.dtype}")
    y = y.astype(np.int64)
    if (y < 0).any():
        raise DataError(f"{what}: label {int(y[y < 0][0])} is out of range (class labels are 0..k-1)")
    return y


def _flatten_images(x, what: str, image=None):
    """(n, C, H, W) or (n, H, W) numbers -> ((n, C*H*W), (C, H, W)); 2-D ``x`` passes through (image None)."""
    x = np.asarray(x)
    if x.ndim in (3, 4):
        shape = (1, *x.shape[1:]) if x.ndim == 3 else tuple(x.shape[1:])
        if image is not None and shape != image:
            raise DataError(f"{what}: images of shape {shape}, but x holds {tuple(image)}")
        return x.reshape(x.shape[0], -1), tuple(int(v) for v in shape)
    if image is not None:
        raise DataError(f"{what}: expected images of shape (rows, {', '.join(map(str, image))}), got shape {x.shape}")
    return x, None


def check_targets(x: np.ndarray, y, x_test=None, y_test=None, classes=None) -> Table:
    """Check features and targets together and build a :class:`Table`.

    Images, ``x`` of shape (n, C, H, W) or (n, H, W), are kept flattened
    channel-major with their shape in ``Table.image``.
    """
    x, image = _flatten_images(x, "x")
    if x_test is not None:
        x_test = _flatten_images(x_test, "x_test", image)[0]
    x = check_features(x)
    y = np.asarray(y)
    if y.shape[0:1] != x.shape[0:1]:
        raise DataError(f"y has {y.shape[0] if y.ndim else 0} rows but x has {x.shape[0]}")
    if y.ndim == 2 and y.shape[1] == 1 and not _is_bits(y):
        y = y[:, 0]
    if y.ndim == 1:
        y = _class_ids(y, "y")
        k = int(y.max()) + 1
        if np.unique(y).size < 2:
            raise DataError(f"y: only one class ({int(y[0])}); classification needs at least two")
    elif y.ndim == 2:
        if not _is_bits(y):
            raise DataError("y: bit outputs (a 2-D y) must hold only 0 and 1")
        y = y.astype(np.float32)
    else:
        raise DataError(f"y: expected (rows,) labels or (rows, outputs) bits, got shape {y.shape}")
    if (x_test is None) != (y_test is None):
        raise DataError("x_test and y_test must be given together")
    if x_test is not None:
        x_test = check_features(x_test, "x_test")
        y_test = np.asarray(y_test)
        if x_test.shape[1] != x.shape[1]:
            raise DataError(f"x_test has {x_test.shape[1]} features but x has {x.shape[1]}")
        if y_test.shape[0:1] != x_test.shape[0:1] or y_test.shape[1:] != y.shape[1:] and y.ndim == 2:
            raise DataError(f"y_test has shape {y_test.shape}, expected ({x_test.shape[0]},{y.shape[1:] and ' ...'})")
        if y.ndim == 1:
            y_test = _class_ids(y_test.reshape(-1), "y_test")
            if (y_test >= k).any():
                raise DataError(f"y_test: label {int(y_test[y_test >= k][0])} is out of range "
                                f"(the training labels are 0..{k - 1})")
        else:
            if not _is_bits(y_test):
                raise DataError("y_test: bit outputs must hold only 0 and 1")
            y_test = y_test.astype(np.float32)
    if classes is None and y.ndim == 1:
        classes = np.arange(int(y.max()) + 1)
    return Table(x, y, x_test, y_test, classes, image=image)


def _is_bits(y: np.ndarray) -> bool:
    return y.dtype.kind in "biuf" and bool(np.isin(y, (0, 1)).all())


def read_npz(path: Path) -> Table:
    """An ``.npz`` with ``x``, ``y`` and optionally ``x_test``, ``y_test``."""
    from ..errors import ModelError
    from ..files import read_npz_arrays

    try:
        arrays = read_npz_arrays(path)
    except ModelError as exc:
        raise DataError(str(exc)) from None
    for key in ("x", "y"):
        if key not in arrays:
            raise DataError(f"{path}: no array {key!r} (expected x, y and optionally x_test, y_test)")
    unknown = sorted(set(arrays) - {"x", "y", "x_test", "y_test"})
    if unknown:
        raise DataError(f"{path}: unexpected array {unknown[0]!r} (expected x, y, x_test, y_test)")
    try:
        return check_targets(arrays["x"], arrays["y"], arrays.get("x_test"), arrays.get("y_test"))
    except DataError as exc:
        raise DataError(f"{path}: {exc}") from None


def read_csv(path: Path, label: str | None) -> Table:
    """A CSV with a header row: numeric feature columns and the ``label`` column."""
    from ..files import read_file_text

    try:
        text = read_file_text(path)
    except InputError as exc:
        raise DataError(str(exc)) from None
    except Exception as exc:  # noqa: BLE001  (ModelError from the shared reader)
        raise DataError(str(exc)) from None
    rows = [r for r in csv.reader(io.StringIO(text)) if r and any(cell.strip() for cell in r)]
    if len(rows) < 2:
        raise DataError(f"{path}: needs a header row and at least one data row")
    header = [h.strip() for h in rows[0]]
    if label is None:
        raise DataError(f"{path}: name the label column with --label (columns: {', '.join(header)})")
    if label not in header:
        raise DataError(f"{path}: no column {label!r} (columns: {', '.join(header)})")
    for i, row in enumerate(rows[1:], start=2):
        if len(row) != len(header):
            raise DataError(f"{path}: line {i} has {len(row)} fields, the header has {len(header)}")
    li = header.index(label)
    names = tuple(h for j, h in enumerate(header) if j != li)
    if not names:
        raise DataError(f"{path}: no feature columns besides {label!r}")
    x = np.empty((len(rows) - 1, len(names)), dtype=np.float64)
    for r, row in enumerate(rows[1:]):
        cells = [c for j, c in enumerate(row) if j != li]
        for j, cell in enumerate(cells):
            try:
                x[r, j] = float(cell)
            except ValueError:
                raise DataError(f"{path}: line {r + 2}, column {names[j]!r}: {cell.strip()!r} is not a number") from None
    raw = [row[li].strip() for row in rows[1:]]
    classes, y = _map_labels(raw)
    try:
        table = check_targets(x, y, classes=classes)
    except DataError as exc:
        raise DataError(f"{path}: {exc}") from None
    table.features = names
    return table


def _map_labels(raw: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """Labels -> class ids in sorted order (numerically if every label is a number)."""
    try:
        values = np.array([float(v) for v in raw])
        numeric = bool(np.isfinite(values).all())
    except ValueError:
        numeric = False
    if numeric:
        classes, y = np.unique(values, return_inverse=True)
        if (classes == np.round(classes)).all():
            classes = classes.astype(np.int64)
        return classes, y
    classes, y = np.unique(np.array(raw), return_inverse=True)
    return classes, y


def read_table(path, label: str | None = None) -> Table:
    """Read a ``.npz`` or ``.csv`` training file."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".npz":
        if label is not None:
            raise DataError("--label applies to .csv files; an .npz names its arrays x and y")
        return read_npz(path)
    if suffix == ".csv":
        return read_csv(path, label)
    raise DataError(f"{path}: unknown data format {suffix or '(no extension)'!r} (use .npz or .csv)")


_SPLITS = {"validation": 1, "test": 2}


def split_rows(n: int, fraction: float, seed: int, what: str) -> tuple[np.ndarray, np.ndarray]:
    """A seeded (rest, held-out) split of range(n), ``fraction`` held out (at least 1 row each)."""
    if not 0 < fraction < 1:
        raise DataError(f"the {what} fraction must be between 0 and 1, not {fraction}")
    held = max(1, int(round(n * fraction)))
    if n - held < 2:
        need = next(m for m in range(3, 1 << 30) if m - max(1, int(round(m * fraction))) >= 2)
        raise DataError(f"{n} rows are too few for a {what} split of {fraction:g} (needs at least {need} rows)")
    order = np.random.default_rng([seed, _SPLITS[what]]).permutation(n)
    return np.sort(order[held:]), np.sort(order[:held])
