"""-O3 per pass against ABC's two mapping flows, timed in the same process.

    python benchmarks/o3_profile.py [--corpus lgsynth93] [--circuits a,b] [--pipeline TEXT] [--json FILE]

For each circuit of benchmarks/corpus/<corpus> it runs -O3 (or ``--pipeline``)
and prints its gates and wall time, then runs ABC's two unit-cost mapping
flows the way benchmarks/optimizer.py does (`strash; resyn2; dch; map -a` and
`&synch2; &nf -p` onto gates2.genlib) and prints the better one's gates.  The
totals give -O3's time over the *sum* of both flows' wall times (the issue's
"<= 3x ABC's mapping flows") and, less sensitive to other processes, the
same ratio in CPU seconds (this process's, against ABC's as children);
then each pass's share of -O3's time and the gates it removed.

To compare two versions of gatecc under one load, run two copies of this
script at once, each from its own checkout (``PYTHONPATH=CHECKOUT``): each
times ABC itself, so both ratios see the same machine.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from optimizer import CORPORA, GENLIB, MAP_SCRIPTS, abc_binary, abc_mapped_gates, run_abc  # noqa: E402


def children_cpu() -> float:
    """CPU seconds used so far by finished child processes (ABC)."""
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--corpus", default="lgsynth93", choices=sorted(CORPORA))
    ap.add_argument("--circuits", default="", help="comma-separated names (default: the whole corpus)")
    ap.add_argument("--pipeline", default="", help="pass pipeline to profile instead of -O3")
    ap.add_argument("--json", type=Path, help="write every row here")
    args = ap.parse_args()

    import gatecc
    from gatecc.ir.passes import opt_pipeline, parse_pipeline, run_pipeline
    from gatecc.ir.stats import graph_stats

    abc = abc_binary()
    if abc is None:
        raise SystemExit("ABC (yosys-abc, abc or berkeley-abc) is not installed: nothing to compare with")
    folder = CORPORA[args.corpus]
    names = [n for n in args.circuits.split(",") if n] or sorted(p.stem for p in folder.glob("*.aig"))
    missing = [n for n in names if not (folder / f"{n}.aig").exists()]
    if missing:
        raise SystemExit(f"--circuits: not in {args.corpus}: {', '.join(missing)}")
    rows, passes = {}, {}
    total = dict.fromkeys(("gates", "seconds", "cpu", "abc_gates", "abc_seconds", "abc_cpu"), 0.0)
    for name in names:
        src = folder / f"{name}.aig"
        graph = gatecc.load(src)
        pipeline = parse_pipeline(args.pipeline) if args.pipeline else opt_pipeline(3)
        wall, cpu = time.perf_counter(), time.process_time()
        out, stats = run_pipeline(graph, pipeline)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        for i, s in enumerate(stats):
            entry = passes.setdefault(f"{i:02d} {s.name}", [0.0, 0])
            entry[0] += s.seconds
            entry[1] += s.gates_before - s.gates_after
        best, abc_wall, abc_cpu = None, 0.0, children_cpu()
        for script in MAP_SCRIPTS:
            text, secs = run_abc(abc, f"read_library {GENLIB}; read {src}; {script}; print_stats; print_gates")
            abc_wall += secs
            gates = abc_mapped_gates(text)
            best = gates if best is None else min(best, gates)
        abc_cpu = children_cpu() - abc_cpu
        row = {"gates": graph_stats(out).gates, "seconds": wall, "cpu": cpu, "abc_gates": best,
               "abc_seconds": abc_wall, "abc_cpu": abc_cpu}
        for key, value in row.items():
            total[key] += value
        rows[name] = row
        print(f"{name:<14} {row['gates']:>7} {wall:8.2f}s | ABC {best:>7} {abc_wall:7.2f}s "
              f"({row['gates'] / max(best, 1):.3f}x)", flush=True)
    print(f"total: gates {int(total['gates'])} / ABC {int(total['abc_gates'])} = "
          f"{total['gates'] / max(total['abc_gates'], 1):.3f}; time {total['seconds']:.1f} s / ABC's two flows "
          f"{total['abc_seconds']:.1f} s = {total['seconds'] / max(total['abc_seconds'], 1e-9):.2f}x; "
          f"CPU {total['cpu']:.1f} s / {total['abc_cpu']:.1f} s = {total['cpu'] / max(total['abc_cpu'], 1e-9):.2f}x "
          f"(load {os.getloadavg()[0]:.1f})")
    for key, (secs, saved) in sorted(passes.items()):
        print(f"  {key:<28} {secs:8.1f} s {100 * secs / max(total['seconds'], 1e-9):5.1f}%  gates removed {saved}")
    if args.json:
        args.json.write_text(json.dumps({"rows": rows, "passes": passes, "total": total}, indent=1))


if __name__ == "__main__":
    main()
