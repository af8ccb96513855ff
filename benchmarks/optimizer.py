"""The optimiser against ABC: sizes, depths and times on the corpora and the Life circuit.

    python benchmarks/optimizer.py [--corpus epfl,lgsynth93] [--circuits adder,sin,...] [--levels 0,1,2,3]
                                   [--no-abc] [--lgn-gates 1000000] [--skip-verify] [--json FILE]

For each circuit of benchmarks/corpus/epfl and benchmarks/corpus/lgsynth93 (the
families; totals are printed per family and over all) and the learned Life circuit
(examples/life.npz, or a deliberately redundant stand-in when it is missing),
it prints gates (2-input gates + standalone NOTs), depth and time before and
after every -O level.  When ABC (berkeley-abc) is installed it also prints:

  resyn2    ABC's `strash; resyn2` AND count and time (ABC's metric)
  aig(-On)  AND count after `strash` of gatecc's -On output (ABC's metric on ours)
  map       ABC's best unit-cost mapping onto benchmarks/corpus/gates2.genlib (the
            better of `strash; resyn2; dch; map -a` and `&get -n; &synch2; &nf -p; &put`)
            in gatecc's metric, and its time

and every gatecc result is proved equal to its input with `cec -n` (ABC) and
`gatecc.verify.equivalent`.  The totals give the issue's target ratios:

  (a) sum aig(gatecc)  / sum resyn2        <= 1
  (b) sum gates(gatecc) / sum ABC map      <= 1, in <= 3x ABC's time

The "-O3 aig" row runs -O3 under ABC's cost (`cost=aig`, an XOR costs 3 ANDs): the pipeline
`gatecc lower --target aiger -O3 --cost aig` runs (`gatecc.ir.passes.costs.AIG_LEVELS`), and
target (a) and its time ratio are taken on that row.  Finally a random
1M-gate LGN goes through -O2 in a fresh process: time and peak memory (ru_maxrss),
targets <= 30 s and <= 2 GB.  Timings depend on the machine; ratios are taken
within one run.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EPFL = ROOT / "benchmarks" / "corpus" / "epfl"
CORPORA = {"epfl": EPFL, "lgsynth93": ROOT / "benchmarks" / "corpus" / "lgsynth93"}
GENLIB = ROOT / "benchmarks" / "corpus" / "gates2.genlib"
LIFE = ROOT / "examples" / "life.npz"
RESYN2 = "balance; rewrite; refactor; balance; rewrite; rewrite -z; balance; refactor -z; rewrite -z; balance"
MAP_SCRIPTS = (f"strash; {RESYN2}; dch; map -a", "&get -n; &synch2; &nf -p; &put")
ANSI = re.compile(r"\x1b\[[0-9;]*m")


def abc_binary() -> str | None:
    """The ABC executable, if installed."""
    for name in ("berkeley-abc", "abc", "yosys-abc"):
        path = shutil.which(name)
        if path:
            return path
    return None


def run_abc(abc: str, script: str) -> tuple[str, float]:
    """Run an ABC script; returns (output without colour codes, wall seconds)."""
    start = time.perf_counter()
    proc = subprocess.run([abc, "-c", script], capture_output=True, text=True, timeout=3600)
    return ANSI.sub("", proc.stdout + proc.stderr), time.perf_counter() - start


def abc_and_count(text: str) -> int:
    """The 'and = N' of the last print_stats."""
    return int(re.findall(r"and\s*=\s*(\d+)", text)[-1])


def abc_mapped_gates(text: str) -> int:
    """Our metric from print_gates: every mapped gate except buffers and constants."""
    total = 0
    for name, count in re.findall(r"^(\w+)\s+Fanin\s*=\s*\d+\s+Instance\s*=\s*(\d+)", text, re.M):
        if name not in ("BUF", "ZERO", "ONE"):
            total += int(count)
    return total


def life_circuit(path: Path):
    """(name, graph): the learned Life net at ``path``, or a redundant stand-in for the same rule."""
    import gatecc
    from gatecc.compiler import to_graph
    from gatecc.ir import Builder, all_inputs

    if path.exists():
        return "life (learned)", to_graph(gatecc.load(path))
    # Stand-in: the rule as a sum of its 140 minterms over the 9 cells (centre = input 4).
    rows = all_inputs(9).astype(int)
    neighbours = rows.sum(axis=1) - rows[:, 4]
    alive = (neighbours == 3) | ((rows[:, 4] == 1) & (neighbours == 2))
    b = Builder(9)
    terms = []
    for row in rows[alive]:
        t = None
        for i, bit in enumerate(row):
            lit = i if bit else b.not_(i)
            t = lit if t is None else b.gate(1, t, lit)
        terms.append(t)
    out = terms[0]
    for t in terms[1:]:
        out = b.gate(7, out, t)
    b.output(out)
    return "life (stand-in)", b.finish()


def measure_levels(graph, levels, extra_pipelines):
    """{label: (graph, stats, seconds)} for each -O level and extra named pipeline."""
    from gatecc.ir.passes import opt_pipeline, parse_pipeline, run_pipeline

    out = {}
    for level in levels:
        start = time.perf_counter()
        result, _ = run_pipeline(graph, opt_pipeline(level))
        out[f"-O{level}"] = (result, time.perf_counter() - start)
    for label, pipeline in extra_pipelines.items():
        start = time.perf_counter()
        result, _ = run_pipeline(graph, parse_pipeline(pipeline))
        out[label] = (result, time.perf_counter() - start)
    return out


def lgn_run(gates: int) -> dict:
    """-O2 on a random LGN of ``gates`` neurons in a fresh process: seconds and peak memory."""
    code = f"""
import json, resource, sys, time
sys.path.insert(0, {str(ROOT / 'benchmarks')!r})
from pipeline import random_net
from gatecc.lower import lower
from gatecc.ir.passes import optimize
from gatecc.ir.stats import count_gates
n = {gates}
layers, k = 8, 10
net = random_net(784, (n // (layers * k)) * k, layers, k)
t0 = time.perf_counter(); graph = lower(net); t1 = time.perf_counter()
out, stats = optimize(graph, 2)
t2 = time.perf_counter()
print(json.dumps(dict(neurons=sum(l.width for l in net.layers), lower_s=t1 - t0, o2_s=t2 - t1,
                      gates_in=count_gates(graph), gates_out=count_gates(out),
                      passes=[(s.name, round(s.seconds, 2), s.gates_after) for s in stats],
                      maxrss_mb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)))
"""
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=3600)
    if proc.returncode:
        raise RuntimeError(proc.stderr)
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus", default="epfl,lgsynth93",
                    help=f"comma-separated families of benchmarks/corpus ({', '.join(CORPORA)}; default: all)")
    ap.add_argument("--circuits", help="comma-separated circuit names (default: all of --corpus), 'life' for Life")
    ap.add_argument("--levels", default="0,1,2,3", help="-O levels to run (default 0,1,2,3)")
    ap.add_argument("--no-abc", action="store_true", help="skip ABC even when it is installed")
    ap.add_argument("--no-aig-cost", action="store_true", help="skip the -O3 run with cost=aig")
    ap.add_argument("--skip-verify", action="store_true", help="do not prove results equal (faster)")
    ap.add_argument("--lgn-gates", type=int, default=1_000_000, help="random LGN size for the -O2 run (0: skip)")
    ap.add_argument("--life", type=Path, default=LIFE,
                    help=f"the learned Life model (default {LIFE.relative_to(ROOT)}; a stand-in when missing)")
    ap.add_argument("--extra", action="append", default=[], metavar="LABEL=PIPELINE",
                    help="also run this pipeline, e.g. 'dch=adders,strash,dch{script=balance+rewrite}' (repeatable)")
    ap.add_argument("--json", metavar="FILE", help="also write every figure as JSON")
    ap.add_argument("--save", type=Path, metavar="DIR",
                    help="write each result as DIR/<circuit>.<level>.aig (benchmarks/verify.py proves them)")
    args = ap.parse_args()

    import gatecc
    from gatecc.backends.aiger import emit_aiger
    from gatecc.backends.target import legalize
    from gatecc.ir.passes.costs import level_pipeline
    from gatecc.ir.stats import graph_stats
    from gatecc.verify import equivalent

    levels = [int(x) for x in args.levels.split(",")]
    abc = None if args.no_abc else abc_binary()
    families = [f.strip() for f in args.corpus.split(",") if f.strip()]
    unknown = [f for f in families if f not in CORPORA]
    if unknown:
        raise SystemExit(f"--corpus: unknown famil{'ies' if len(unknown) > 1 else 'y'} {', '.join(unknown)} "
                         f"(known: {', '.join(CORPORA)})")
    where = {p.stem: (f, p) for f in reversed(families) for p in sorted(CORPORA[f].glob("*.aig"))}
    names = sorted(where, key=lambda n: (families.index(where[n][0]), n)) + ["life"]
    if args.circuits:
        names = [n.strip() for n in args.circuits.split(",")]
        missing = [n for n in names if n != "life" and n not in where]
        if missing:
            raise SystemExit(f"--circuits: not in {args.corpus}: {', '.join(missing)}")
    extra = {} if args.no_aig_cost else {"-O3 aig": level_pipeline(3, "aig")}
    for item in args.extra:
        label, sep, pipeline = item.partition("=")
        if not sep:
            raise SystemExit(f"--extra {item!r}: expected LABEL=PIPELINE")
        extra[label] = pipeline
    top = f"-O{max(levels)}"
    rows, report = [], {"circuits": {}}
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        for name in names:
            if name == "life":
                label, graph = life_circuit(args.life)
                src = tmp / "life.aig"
                src.write_bytes(emit_aiger(legalize(graph)))
            else:
                label, src = name, where[name][1]
                graph = gatecc.load(src)
            before = graph_stats(graph)
            results = measure_levels(graph, levels, extra)
            entry = {"gates": before.gates, "depth": before.depth, "inputs": graph.n_inputs, "levels": {},
                     "family": "life" if name == "life" else where[name][0]}
            line = [f"{label:<16} {before.gates:>7} d{before.depth:<5}"]
            for key, (out, secs) in results.items():
                if args.save:
                    args.save.mkdir(parents=True, exist_ok=True)
                    (args.save / f"{name}.{key.lstrip('-').replace(' ', '_')}.aig").write_bytes(emit_aiger(legalize(out)))
                st = graph_stats(out)
                entry["levels"][key] = {"gates": st.gates, "depth": st.depth, "nots": st.nots, "seconds": secs}
                line.append(f"{key} {st.gates:>7} d{st.depth:<5} {secs:7.2f}s")
                if not args.skip_verify:
                    verdict = equivalent(graph, out)
                    entry["levels"][key]["verify"] = verdict.equal
                    if not verdict.equal:
                        raise SystemExit(f"{label} {key}: gatecc verify found a difference: {verdict.counterexample}")
            if abc:
                r2, t_r2 = run_abc(abc, f"read {src}; strash; {RESYN2}; print_stats")
                entry["abc_resyn2"] = {"ands": abc_and_count(r2), "seconds": t_r2}
                best = None
                for script in MAP_SCRIPTS:
                    text, secs = run_abc(abc, f"read_library {GENLIB}; read {src}; {script}; print_stats; print_gates; cec -n {src}")
                    if "Networks are equivalent" not in text:
                        raise SystemExit(f"{label}: ABC's own mapping failed cec:\n{text}")
                    g = abc_mapped_gates(text)
                    if best is None or g < best[0]:
                        best = (g, secs, script)
                entry["abc_map"] = {"gates": best[0], "seconds": best[1], "script": best[2]}
                line.append(f"| resyn2 {entry['abc_resyn2']['ands']:>7} {t_r2:6.2f}s | map {best[0]:>7} {best[1]:6.2f}s")
                for key, (out, _) in results.items():
                    path = tmp / "ours.aig"
                    path.write_bytes(emit_aiger(legalize(out)))
                    text, _ = run_abc(abc, f"read {path}; strash; print_stats; cec -n {src}")
                    entry["levels"][key]["aig"] = abc_and_count(text)
                    entry["levels"][key]["cec"] = "Networks are equivalent" in text
                    if not entry["levels"][key]["cec"]:
                        raise SystemExit(f"{label} {key}: ABC cec says the result differs:\n{text}")
                line.append("| aig " + " ".join(f"{k}:{v['aig']}" for k, v in entry["levels"].items()))
            print(" ".join(line), flush=True)
            report["circuits"][label] = entry
            rows.append((label, entry))

    for family in families:
        print_totals([(n, e) for n, e in rows if e["family"] == family], top, abc is not None, "-O3 aig" in extra,
                     family)
    if len(families) > 1:
        print_totals([(n, e) for n, e in rows if e["family"] != "life"], top, abc is not None, "-O3 aig" in extra,
                     "all families")
    for n, e in rows:
        if n.startswith("life"):
            print(f"  {n}: {e['levels'][top]['gates']} gates at {top} (target <= 54)")
    if args.lgn_gates:
        run = lgn_run(args.lgn_gates)
        report["lgn"] = run
        print(f"\nrandom LGN, {run['neurons']} neurons ({run['gates_in']} gates lowered): -O2 {run['o2_s']:.1f} s "
              f"(target <= 30), lowering {run['lower_s']:.1f} s, {run['gates_in']} -> {run['gates_out']} gates, "
              f"peak memory {run['maxrss_mb']:.0f} MB (target <= 2048)")
        for name, secs, after in run["passes"]:
            print(f"    {name:<24} {secs:7.2f} s  -> {after} gates")
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=1))


def print_totals(rows, top, with_abc, aig_row, family):
    """Sums over one family's circuits and the target ratios, with the circuits where ``top`` loses most."""
    if not rows:
        return
    keys = list(rows[0][1]["levels"])
    print(f"\n{family} totals ({len(rows)} circuits):")
    print(f"  input gates {sum(e['gates'] for _, e in rows)}")
    for k in keys:
        g = sum(e["levels"][k]["gates"] for _, e in rows)
        t = sum(e["levels"][k]["seconds"] for _, e in rows)
        extra = f", aig {sum(e['levels'][k]['aig'] for _, e in rows)}" if with_abc else ""
        print(f"  {k:<8} gates {g:>8}  time {t:8.1f} s{extra}")
    if not with_abc:
        return
    r2 = sum(e["abc_resyn2"]["ands"] for _, e in rows)
    r2t = sum(e["abc_resyn2"]["seconds"] for _, e in rows)
    mg = sum(e["abc_map"]["gates"] for _, e in rows)
    mt = sum(e["abc_map"]["seconds"] for _, e in rows)
    print(f"  ABC resyn2 ands {r2:>8}  time {r2t:8.1f} s")
    print(f"  ABC map   gates {mg:>8}  time {mt:8.1f} s")
    ours_g = sum(e["levels"][top]["gates"] for _, e in rows)
    ours_t = sum(e["levels"][top]["seconds"] for _, e in rows)
    aig_key = "-O3 aig" if aig_row else top
    ours_a = sum(e["levels"][aig_key]["aig"] for _, e in rows)
    ours_at = sum(e["levels"][aig_key]["seconds"] for _, e in rows)
    print(f"  (a) aig({aig_key}) / resyn2 = {ours_a}/{r2} = {ours_a / max(r2, 1):.3f}  (target <= 1; "
          f"time ratio {ours_at / max(r2t, 1e-9):.2f})")
    print(f"  (b) gates({top}) / ABC map = {ours_g}/{mg} = {ours_g / max(mg, 1):.3f}  (target <= 0.95), "
          f"time {ours_t:.1f} s / {mt:.1f} s = {ours_t / max(mt, 1e-9):.2f}x (target <= 3)")
    ratios = sorted(((e["levels"][top]["gates"] / max(e["abc_map"]["gates"], 1), n) for n, e in rows), reverse=True)
    above = [(r, n) for r, n in ratios if r > 1.03]
    print(f"  circuits more than 3% above ABC map at {top}: {len(above)} of {len(rows)}"
          + (": " + ", ".join(f"{n} {r:.2f}x" for r, n in above) if above else ""))


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    main()
