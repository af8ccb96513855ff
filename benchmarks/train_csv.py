"""Issue 16's "done when" check: a CSV no test has seen, `gatecc train data.csv --label y`, no other flags.

    python benchmarks/train_csv.py [--only NAME ...] [--targets c,llvm]

For each table (scikit-learn's bundled breast_cancer and wine, which need no
download, and a synthetic one generated here with a fixed seed), the script
writes ``data.csv`` (real-valued feature columns and a label column ``y``)
into a fresh directory and runs ``python -m gatecc train data.csv --label y``
exactly as a new user would, with no other flags.  The CLI holds out 20% of
the rows as its test split; a logistic regression (StandardScaler +
scikit-learn's LogisticRegression, or a numpy softmax regression when
scikit-learn is missing) is fitted on the same 80% and scored on the same
20% (the split is gatecc's own ``split_rows``).  Then the saved model is
compiled for each target and fed the raw float test rows: its GroupSum
counts / tau must equal ``gatecc.soft_eval(net, x, hard=True)`` exactly, and
so its classes.  Goal: gatecc's hard test accuracy within a few points of
the logistic regression.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np


def synthetic(seed: int = 2026, n: int = 1200):
    """Eight real features on mixed scales, three classes from a non-linear rule plus 5% label noise."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 8)) * np.array([1, 3, 0.2, 10, 1, 1, 50, 0.01]) + np.array([0, 5, 0, -20, 0, 0, 100, 0])
    score = x[:, 0] * np.sign(x[:, 2]) + 0.3 * (x[:, 1] - 5) - 0.05 * (x[:, 3] + 20) ** 2 / 10
    y = np.digitize(score, np.quantile(score, [1 / 3, 2 / 3]))
    flip = rng.random(n) < 0.05
    y[flip] = rng.integers(0, 3, flip.sum())
    return x, np.array(["low", "mid", "high"])[y]


def tables():
    """name -> (features, labels); labels may be strings."""
    from sklearn.datasets import load_breast_cancer, load_wine

    bc, wine = load_breast_cancer(), load_wine()
    return {"breast_cancer": (bc.data, bc.target),
            "wine": (wine.data, np.array(["barolo", "grignolino", "barbera"])[wine.target]),
            "synthetic": synthetic()}


def write_csv(path: Path, x, y) -> None:
    lines = [",".join([f"f{j}" for j in range(x.shape[1])] + ["y"])]
    lines += [",".join([repr(float(v)) for v in row] + [str(label)]) for row, label in zip(x, y)]
    path.write_text("\n".join(lines) + "\n")


def logistic_accuracy(x_tr, y_tr, x_te, y_te) -> float:
    """Hard test accuracy of a standardised logistic regression fitted on the training rows."""
    try:
        from sklearn.linear_model import LogisticRegression
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import StandardScaler
    except ImportError:
        return _numpy_softmax_regression(x_tr, y_tr, x_te, y_te)
    model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=5000))
    return float(np.mean(model.fit(x_tr, y_tr).predict(x_te) == y_te))


def _numpy_softmax_regression(x_tr, y_tr, x_te, y_te, steps: int = 3000, lr: float = 0.5) -> float:
    mu, sd = x_tr.mean(0), x_tr.std(0) + 1e-12
    a, b = (x_tr - mu) / sd, (x_te - mu) / sd
    k = int(y_tr.max()) + 1
    w, c = np.zeros((a.shape[1], k)), np.zeros(k)
    onehot = np.eye(k)[y_tr]
    for _ in range(steps):
        z = a @ w + c
        p = np.exp(z - z.max(1, keepdims=True))
        p /= p.sum(1, keepdims=True)
        w -= lr * (a.T @ (p - onehot) / len(a) + 1e-3 * w)
        c -= lr * (p - onehot).mean(0)
    return float(np.mean(np.argmax(b @ w + c, 1) == y_te))


def run_one(name: str, x, y, targets: list[str]) -> dict:
    import gatecc
    from gatecc.train.data import read_table, split_rows

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        write_csv(tmp / "data.csv", x, y)
        start = time.perf_counter()
        env = dict(os.environ, PYTHONPATH="")
        proc = subprocess.run([sys.executable, "-m", "gatecc", "train", "data.csv", "--label", "y"], cwd=tmp,
                              capture_output=True, text=True, env=env)
        seconds = time.perf_counter() - start
        if proc.returncode != 0:
            raise SystemExit(f"{name}: gatecc train failed: {proc.stderr.strip()}")
        match = re.search(r"hard test accuracy ([\d.]+)%", proc.stdout)
        ours = float(match.group(1)) / 100
        table = read_table(tmp / "data.csv", "y")          # the floats and class ids the CLI trained on
        rest, test = split_rows(table.x.shape[0], 0.2, 0, "test")
        theirs = logistic_accuracy(table.x[rest], table.y[rest], table.x[test], table.y[test])
        net = gatecc.load(tmp / "data.gatecc.npz")
        x_test = table.x[test]
        soft = gatecc.soft_eval(net, x_test, hard=True)
        same = {}
        for target in targets:
            counts = gatecc.compile(net, target=target)(x_test)
            same[target] = bool(np.array_equal(counts.astype(np.float32) / np.float32(net.groupsum.tau), soft)
                                and np.array_equal(np.argmax(counts, 1), np.argmax(soft, 1)))
        check = float(np.mean(np.argmax(soft, 1) == table.y[test]))
    return {"name": name, "rows": x.shape[0], "features": x.shape[1], "classes": len(table.classes),
            "gatecc": ours, "soft_check": check, "logistic": theirs, "seconds": seconds, "same": same,
            "summary": proc.stdout.strip().splitlines()[-1]}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--only", nargs="*", help="table names (breast_cancer, wine, synthetic)")
    ap.add_argument("--targets", default="c,llvm", help="compiled targets to check (default c,llvm)")
    args = ap.parse_args()
    targets = [t for t in args.targets.split(",") if t]
    print(f"machine: {os.uname().machine}, {os.cpu_count()} cores")
    print("| data (rows x features, classes) | gatecc hard test acc. | logistic regression | wall time | "
          f"compiled(raw floats) == soft hard ({', '.join(targets)}) |")
    print("|---|---|---|---|---|")
    for name, (x, y) in tables().items():
        if args.only and name not in args.only:
            continue
        r = run_one(name, x, y, targets)
        assert abs(r["soft_check"] - r["gatecc"]) <= 5e-5, (r["soft_check"], r["gatecc"])   # the CLI prints 2 decimals
        print(f"| {name} ({r['rows']} x {r['features']}, {r['classes']}) | {r['gatecc']:.2%} | {r['logistic']:.2%} | "
              f"{r['seconds']:.0f} s | {'yes' if all(r['same'].values()) else 'NO: ' + str(r['same'])} |", flush=True)


if __name__ == "__main__":
    main()
