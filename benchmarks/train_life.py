"""`gatecc train life` on several seeds: epochs and seconds until the hard net is exact.

    python benchmarks/train_life.py [--seeds 0 1 2 3 4] [--epochs 20000]

The issue's bar: hard loss 0 (all 512 patterns exact) on every one of 5
seeds, each in at most 5 minutes on 2 cores.  Each run is checked
independently: the saved net is compiled to C and compared with the Life
rule on all 512 patterns.
"""

from __future__ import annotations

import argparse
import os
import platform
import tempfile
import time

import numpy as np

import gatecc
from gatecc.ir.evaluate import all_inputs
from gatecc.life import life_rule
from gatecc.train.tasks import TASKS
from gatecc.train.trainer import TrainConfig, train


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    ap.add_argument("--epochs", type=int, default=None, help="epoch cap (default: the task's)")
    args = ap.parse_args()

    task = TASKS["life"]
    x = all_inputs(9)
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores; task life, "
          f"layers {len(task.layers)} (128x17, 64 ... 1)")
    print(f"{'seed':>4} {'epochs':>7} {'seconds':>8} {'repaired':>9}  exact (compiled C vs the rule)")
    times = []
    for seed in args.seeds:
        config = TrainConfig.for_task(task, seed=seed, epochs=args.epochs)
        t = time.perf_counter()
        result = train(task, config, progress=False)
        seconds = time.perf_counter() - t
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "life.npz")
            result.net.save(path)
            exact = bool(np.array_equal(gatecc.compile(path)(x)[:, 0], life_rule(x)))
        times.append(seconds)
        print(f"{seed:>4} {result.epochs:>7} {seconds:>8.1f} {result.repairs:>9}  {'yes' if exact else 'NO'}",
              flush=True)
    print(f"worst {max(times):.1f} s, mean {sum(times) / len(times):.1f} s (limit: 300 s per seed)")


if __name__ == "__main__":
    main()
