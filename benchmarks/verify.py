"""`gatecc verify` against ABC's `cec` on the optimiser's results.

    python benchmarks/optimizer.py --save DIR ...     # writes DIR/<circuit>.<level>.aig
    python benchmarks/verify.py DIR [--corpus epfl,lgsynth93] [--levels O2,O3] [--circuits seq,...] [--slack 3]

For each circuit of the corpora and each saved result, ABC's `cec -n` and
`gatecc.verify.equivalent` prove the result equal to the original, and the
row prints both times and whether gatecc kept within the goal, `slack` times
ABC's time plus 2 s.  gatecc runs in a child process per check, killed at the
goal plus 10 s (an unproved check is reported as such); its time is measured
inside the child, from `equivalent(A, B)` (files read and parsed included) to the
verdict, after a warm-up that imports what the check uses (the interpreter's
start-up and module imports are not timed: with PYTHONDONTWRITEBYTECODE set
they cost a second per process).  Timings depend on the
machine; the ratios are taken within one run.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from optimizer import CORPORA, abc_binary, run_abc  # noqa: E402

CHILD = """
import json, sys, time
import gatecc
from gatecc.ir import Builder
from gatecc.verify import equivalent
# Warm up: the lazy imports (the reader, the sweep, python-sat) are start-up, not checking.
b = Builder(2)
b.output(b.gate(6, 0, 1))
g = b.finish()
equivalent(g, g, method="sat")
gatecc.load(sys.argv[1])
t = time.perf_counter()
r = equivalent(sys.argv[1], sys.argv[2])
print(json.dumps({"equal": r.equal, "seconds": time.perf_counter() - t, "method": r.method}))
"""


def gatecc_check(a: Path, b: Path, timeout: float) -> dict:
    """{'equal', 'seconds', 'method'} from a child process, or {'equal': None} when it ran out of time."""
    try:
        proc = subprocess.run([sys.executable, "-c", CHILD, str(a), str(b)], capture_output=True, text=True,
                              timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"equal": None, "seconds": timeout, "method": "timeout"}
    if proc.returncode:
        raise SystemExit(f"gatecc verify failed on {a} vs {b}:\n{proc.stderr}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("results", type=Path, help="directory written by optimizer.py --save")
    ap.add_argument("--corpus", default="epfl,lgsynth93", help=f"families ({', '.join(CORPORA)})")
    ap.add_argument("--levels", default="O2,O3", help="result labels to check (default O2,O3)")
    ap.add_argument("--circuits", help="comma-separated circuit names (default: every circuit of --corpus)")
    ap.add_argument("--slack", type=float, default=3.0, help="goal: slack x ABC's time + 2 s (default 3)")
    ap.add_argument("--json", metavar="FILE", help="also write every figure as JSON")
    args = ap.parse_args()
    abc = abc_binary()
    if abc is None:
        raise SystemExit("ABC (berkeley-abc) is not installed")
    levels = [x.strip() for x in args.levels.split(",")]
    only = None if args.circuits is None else {x.strip() for x in args.circuits.split(",")}
    report = {}
    families = 0
    for family in (f.strip() for f in args.corpus.split(",")):
        if family not in CORPORA:
            raise SystemExit(f"--corpus: unknown family {family!r} (known: {', '.join(CORPORA)})")
        met = total = 0
        t_abc = t_ours = 0.0
        for src in sorted(CORPORA[family].glob("*.aig")):
            if only is not None and src.stem not in only:
                continue
            for level in levels:
                res = args.results / f"{src.stem}.{level}.aig"
                if not res.exists():
                    continue
                text, secs = run_abc(abc, f"cec -n {src} {res}")
                if "Networks are equivalent" not in text:
                    raise SystemExit(f"{src.stem} {level}: ABC cec does not prove it:\n{text}")
                goal = args.slack * secs + 2.0
                ours = gatecc_check(src, res, goal + 10.0)
                ok = ours["equal"] is True and ours["seconds"] <= goal
                if ours["equal"] is False:
                    raise SystemExit(f"{src.stem} {level}: gatecc verify found a difference ABC's cec did not")
                total += 1
                met += ok
                t_abc += secs
                t_ours += ours["seconds"]
                report[f"{src.stem}.{level}"] = {"abc_cec_s": secs, "gatecc": ours, "goal_s": goal, "met": ok}
                state = "proved" if ours["equal"] else "UNPROVED"
                print(f"{family:<10} {src.stem:<12} {level}  abc cec {secs:7.2f}s  gatecc {ours['seconds']:7.2f}s "
                      f"({state}, {ours['method']})  goal {goal:6.1f}s {'ok' if ok else 'MISSED'}", flush=True)
        if total:
            families += 1
            print(f"{family}: within the goal on {met} of {total}; time abc {t_abc:.1f}s, gatecc {t_ours:.1f}s")
    if families > 1:
        rows = report.values()
        print(f"all: within the goal on {sum(r['met'] for r in rows)} of {len(report)}; "
              f"time abc {sum(r['abc_cec_s'] for r in rows):.1f}s, "
              f"gatecc {sum(r['gatecc']['seconds'] for r in rows):.1f}s")
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=1))


if __name__ == "__main__":
    start = time.perf_counter()
    main()
    print(f"({time.perf_counter() - start:.0f} s)")
