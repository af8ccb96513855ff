"""How exactly a checkerboard CA grows its pattern: the trainer's held-out figure and fresh random starts.

    python benchmarks/ca_exact.py [MODEL] [--starts 64] [--steps 20] [--until 100]

MODEL defaults to the shipped examples/checkerboard-ca.npz (else
examples/checkerboard-ca-best.npz).  Prints

* the trainer's held-out figure (``gatecc train checkerboard --seed 0``): channel-0
  cells wrong after T steps from its 8 held-out random 16x16 starts (2048 cells);
* from ``--starts`` fresh random 16x16 starts (all 8 channels random bits, as the
  notebook draws its training and display starts; there is no fixed seed state in
  the notebook's checkerboard task): how many boards are exactly the checkerboard at
  steps around T, and at every step from T to ``--until`` (the pattern reached and held).

The boards are stepped by the C stencil engine (-O2), the first 4 checked against the
reference stepper (exit 1 if they differ).
"""

from __future__ import annotations

import argparse
from dataclasses import replace
from importlib.resources import files

import numpy as np

import gatecc
from gatecc.ca.engine import make_ca_engine
from gatecc.ca.stepper import reference_stepper
from gatecc.ca.train import TASKS, _batch, checkerboard


def main() -> int:
    shipped = [p for p in (files("gatecc.examples") / n for n in ("checkerboard-ca.npz", "checkerboard-ca-best.npz"))
               if p.is_file()]
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("model", nargs="?", default=str(shipped[0]))
    ap.add_argument("--starts", type=int, default=64)
    ap.add_argument("--steps", type=int, default=20, help="T (default 20, the task's)")
    ap.add_argument("--until", type=int, default=100)
    ap.add_argument("--seed", type=int, default=1000, help="seed of the fresh starts")
    args = ap.parse_args()
    model = gatecc.load(args.model)
    task = TASKS["checkerboard"]
    target, t_ = checkerboard(task.board), args.steps
    eng, ref = make_ca_engine(model, "c", opt_level=2, threads=1), reference_stepper(model)
    held, _ = _batch(replace(task, batch=task.eval_boards), np.random.default_rng(0 + 2))
    wrong = [int((eng.run(s.astype(np.uint8), t_)[..., 0] != target).sum()) for s in held]
    print(f"{args.model}: trainer's held-out starts (seed 0): {sum(wrong)} of {target.size * len(held)} channel-0 "
          f"cells wrong after {t_} steps; {sum(w == 0 for w in wrong)} of {len(held)} boards exact")
    starts = np.random.default_rng(args.seed).integers(0, 2, (args.starts,) + target.shape + (model.channels,))
    marks = sorted({t_ - 2, t_ - 1, t_, t_ + 1, t_ + 2, t_ + 5, t_ + 10, args.until} - {0})
    exact = {t: 0 for t in marks}
    cells = {t: 0 for t in marks}
    held_from_t = 0
    for i, s in enumerate(starts.astype(np.uint8)):
        b, ok = s, True
        for t in range(1, args.until + 1):
            b = eng.run(b, 1)
            bad = int((b[..., 0] != target).sum())
            if t in exact:
                exact[t] += bad == 0
                cells[t] += bad
            ok &= t < t_ or bad == 0
        if i < 4 and not np.array_equal(ref.run(s, args.until), b):
            print("the C engine differs from the reference stepper")
            return 1
        held_from_t += ok
    print(f"fresh random starts ({args.starts}, seed {args.seed}):")
    for t in marks:
        print(f"  step {t:4d}: {exact[t]:4d} of {args.starts} boards exact, {cells[t]} channel-0 cells wrong")
    print(f"  exact at every step {t_}..{args.until}: {held_from_t} of {args.starts} boards")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
