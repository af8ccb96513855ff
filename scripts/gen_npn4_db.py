#!/usr/bin/env python3
"""Generate ir/logic/data/npn4.txt: optimal circuits for every 4-input NPN class.

    python scripts/gen_npn4_db.py [--out FILE] [--basis gates,aig] [--solutions 4] [--resume]

It first writes ir/logic/data/npn4_classes.npz, the NPN class and transform
of every 4-input function (gatecc.ir.logic.npn.compute_npn_table).  Then, for
each of the 222 NPN classes of 4-input functions and each basis, it
finds the fewest 2-input gates that compute the class representative, by SAT
(exact synthesis; python-sat): for r = 0, 1, 2, ... it asks whether an r-gate
circuit exists, so the first satisfiable r is optimal.  Among circuits of that
size it keeps the shallowest, plus up to ``--solutions`` structurally
different ones of the same size (the cut rewriter tries each, so it can reuse
logic that already exists in the network).

Bases:
  gates  every 2-input gate (gatecc's metric: an XOR costs 1)
  aig    AND with complemented inputs/output only (ABC's metric: XOR costs 3)

Output lines (sorted, deterministic):
  <basis> <class tt hex> <gates> <depth> <g1> <g2> ... <out>
(<gates> ends in ``?`` when the SAT budget ran out below that size, so the
circuit is the smallest found rather than proven optimal)
where gate k (numbered from 4; 0-3 are the inputs) is ``id:a:b`` (gate id
0-15 as in gatecc.ir.gates, fanins a < b) and ``out`` is the output node,
prefixed with ``~`` when complemented.  Run it again to regenerate the file
(about ten minutes on one core); tests/test_exact.py checks every entry by
evaluating it.
"""

from __future__ import annotations

import argparse
import itertools
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

N = 4
ROWS = 1 << N
# Normal gate functions (f(0,0) = 0) as (f01, f10, f11) bits -> gate id.
NORMAL_OPS = {"gates": (1, 2, 4, 6, 7), "aig": (1, 2, 4, 7)}


def gate_bits(g: int) -> tuple[int, int, int]:
    """(f(0,1), f(1,0), f(1,1)) of gate id g (bit 3 - 2a - b is f(a, b))."""
    return (g >> 2) & 1, (g >> 1) & 1, g & 1


class Encoding:
    """The CNF asking for an r-gate circuit of a normal function f (f(0) = 0)."""

    def __init__(self, f: int, r: int, basis: str):
        self.f, self.r, self.basis = f, r, basis
        self.nv = 0
        self.clauses: list[list[int]] = []
        self.x = [[self.new() for _ in range(ROWS)] for _ in range(r)]
        self.pairs = [list(itertools.combinations(range(N + i), 2)) for i in range(r)]
        self.s = [{p: self.new() for p in self.pairs[i]} for i in range(r)]
        self.o = [[self.new() for _ in range(3)] for _ in range(r)]
        self.build()

    def new(self) -> int:
        self.nv += 1
        return self.nv

    def value(self, signal: int, t: int):
        """(constant bit, None) for an input, (None, variable) for a gate."""
        if signal < N:
            return (t >> signal) & 1, None
        return None, self.x[signal - N][t]

    def build(self) -> None:
        cl = self.clauses
        for i in range(self.r):
            sel = list(self.s[i].values())
            cl.append(sel)
            cl.extend([-p, -q] for p, q in itertools.combinations(sel, 2))
            allowed = {gate_bits(g) for g in NORMAL_OPS[self.basis]}
            for bits in itertools.product((0, 1), repeat=3):
                if bits not in allowed:
                    cl.append([-v if b else v for v, b in zip(self.o[i], bits)])
            for (j, k), s in self.s[i].items():
                for t in range(1, ROWS):
                    for b, c in itertools.product((0, 1), repeat=2):
                        base = [-s]
                        skip = False
                        for sig, want in ((j, b), (k, c)):
                            const, var = self.value(sig, t)
                            if var is None:
                                if const != want:
                                    skip = True
                            else:
                                base.append(-var if want else var)
                        if skip:
                            continue
                        xv = self.x[i][t]
                        if (b, c) == (0, 0):
                            cl.append(base + [-xv])
                            continue
                        ov = self.o[i][(b << 1 | c) - 1]  # (0,1)->0, (1,0)->1, (1,1)->2
                        cl.append(base + [-xv, ov])
                        cl.append(base + [xv, -ov])
        last = self.r - 1
        for t in range(1, ROWS):
            cl.append([self.x[last][t] if (self.f >> t) & 1 else -self.x[last][t]])
        # Symmetry breaking: every gate but the last feeds a later gate ...
        for i in range(self.r - 1):
            me = N + i
            cl.append([s for i2 in range(i + 1, self.r) for p, s in self.s[i2].items() if me in p])
        # ... and consecutive independent gates come in lexicographic order of fanins.
        for i in range(self.r - 1):
            for p, sp in self.s[i].items():
                for q, sq in self.s[i + 1].items():
                    if N + i not in q and p > q:
                        cl.append([-sp, -sq])

    def decode(self, model) -> list[tuple[int, int, int]]:
        """The circuit of a satisfying assignment: (gate id, a, b) per gate."""
        true = {v for v in model if v > 0}
        gates = []
        for i in range(self.r):
            (j, k), = [p for p, s in self.s[i].items() if s in true]
            f01, f10, f11 = (int(v in true) for v in self.o[i])
            gates.append(((f01 << 2) | (f10 << 1) | f11, j, k))
        return gates

    def blocking_clause(self, model) -> list[int]:
        """Forbid this exact circuit (selections and functions)."""
        true = {v for v in model if v > 0}
        lits = [s for i in range(self.r) for s in self.s[i].values() if s in true]
        lits += [v if v in true else -v for i in range(self.r) for v in self.o[i]]
        return [-v for v in lits]


def depth_of(gates) -> int:
    depth = [0] * N
    for _, a, b in gates:
        depth.append(1 + max(depth[a], depth[b]))
    return depth[-1] if gates else 0


def evaluate(gates, out_neg: int) -> int:
    """Truth table of a circuit (checks every solution before it is written)."""
    from gatecc.ir.gates import truth

    val = [sum(((m >> i) & 1) << m for m in range(ROWS)) for i in range(N)]
    for g, a, b in gates:
        val.append(sum(truth(g, (val[a] >> m) & 1, (val[b] >> m) & 1) << m for m in range(ROWS)))
    return val[-1] ^ (0xFFFF if out_neg else 0)


def trivial(f: int):
    """0-gate solutions: constants and (complemented) variables."""
    from gatecc.ir.logic.npn import VAR_TT

    if f in (0, 0xFFFF):
        return f"{'~' if f else ''}c"
    for i, v in enumerate(VAR_TT):
        if f == v:
            return f"{i}"
        if f == v ^ 0xFFFF:
            return f"~{i}"
    return None


def _solve(fn: int, r: int, basis: str, budget: int, max_models: int):
    """(circuits of r gates found, answer): answer True (found), False (none exist), None (unknown)."""
    from pysat.solvers import Solver

    enc = Encoding(fn, r, basis)
    found = []
    with Solver(name="cadical153", bootstrap_with=enc.clauses) as solver:
        while len(found) < max_models:
            solver.conf_budget(budget)
            answer = solver.solve_limited()
            if not answer:
                if found:
                    return found, True
                return found, answer          # False (proven impossible) or None (budget)
            model = solver.get_model()
            found.append(enc.decode(model))
            solver.add_clause(enc.blocking_clause(model))
    return found, True


def synthesize(f: int, basis: str, solutions: int, budget: int, max_models: int = 100, upper: int | None = None):
    """Small circuits for f: (list of (gates, out_neg) shallowest first, proven optimal?).

    Without ``upper``, sizes are tried upwards from 1: the first size with a
    circuit is optimal if every smaller size was proven impossible (a size
    whose question runs out of ``budget`` conflicts is unknown).  With an
    upper bound (a size known to be achievable), sizes are tried downwards
    from it, keeping the smallest circuit found, until a size is proven
    impossible (optimal) or unknown (the result is an upper bound).
    """
    out_neg = f & 1
    fn = f ^ 0xFFFF if out_neg else f
    if upper is None:
        r, proven = 1, True
        while True:
            found, answer = _solve(fn, r, basis, budget, max_models)
            if found:
                break
            proven = proven and answer is False
            r += 1
    else:
        found, answer = _solve(fn, upper, basis, 50 * budget, 1)
        if not found:
            raise RuntimeError(f"no {upper}-gate circuit found for {f:04x}; the upper bound is wrong")
        proven = False
        r = upper
        while r > 1:
            smaller, answer = _solve(fn, r - 1, basis, budget, 1)
            if not smaller:
                proven = answer is False
                break
            found, r = smaller, r - 1
        # Alternatives of the final size (the descent looked for one each).
        more, _ = _solve(fn, r, basis, budget, max_models)
        found = more or found
    # Keep the shallowest, then structurally different ones (distinct fanin shapes).
    found.sort(key=lambda g: (depth_of(g), g))
    kept, shapes = [], set()
    for gates in found:
        shape = tuple((a, b) for _, a, b in gates)
        if shape in shapes:
            continue
        shapes.add(shape)
        assert evaluate(gates, out_neg) == f
        kept.append((gates, out_neg))
        if len(kept) == solutions:
            break
    return kept, proven


def _aig_bound(line: str) -> int:
    """AND gates needed by a gates-basis circuit line when each XOR/XNOR takes 3."""
    from gatecc.ir import gates as G

    gates = [int(item.split(":")[0]) for item in line.split()[4:-1]]
    return sum(3 if g in (G.XOR, G.XNOR) else 1 for g in gates)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default=str(ROOT / "ir" / "logic" / "data" / "npn4.txt"))
    ap.add_argument("--basis", default="gates,aig", help="comma-separated: gates, aig")
    ap.add_argument("--solutions", type=int, default=4, help="circuits kept per class and basis (default 4)")
    ap.add_argument("--classes", type=int, default=0, help="only the first N classes (for a quick try)")
    ap.add_argument("--resume", action="store_true",
                    help="keep the classes already in --out and compute only the missing ones")
    ap.add_argument("--budget", type=int, default=200000,
                    help="SAT conflicts allowed per question (default 200000); a size that runs out is unknown")
    args = ap.parse_args()

    import numpy as np

    from gatecc.ir.logic.npn import DATA as CLASSES, compute_npn_table

    table = compute_npn_table()
    np.savez_compressed(CLASSES, canon=table.canon, perm=table.perm, neg=table.neg, oneg=table.oneg)
    classes = table.classes()
    if args.classes:
        classes = classes[: args.classes]
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    # Resume: keep the lines already written for (basis, class) pairs that are done.
    done: dict[tuple[str, int], list[str]] = {}
    if args.resume and out.exists():
        for line in out.read_text().splitlines():
            if line and not line.startswith("#"):
                basis, cls = line.split()[:2]
                done.setdefault((basis, int(cls, 16)), []).append(line)
    partial = out.with_suffix(".partial")
    start = time.time()
    with partial.open("w") as log:
        for basis in args.basis.split(","):
            for c in classes:
                if (basis, c) in done:
                    continue
                t0 = time.time()
                triv = trivial(c)
                lines = []
                if triv is not None:
                    lines.append(f"{basis} {c:04x} 0 0 {triv}")
                else:
                    upper = None
                    if basis == "aig" and ("gates", c) in done:
                        # An XOR costs 3 ANDs: the gates-basis optimum bounds the AND count.
                        upper = min(_aig_bound(line) for line in done[("gates", c)])
                    found, proven = synthesize(c, basis, args.solutions, args.budget, upper=upper)
                    for gates, out_neg in found:
                        body = " ".join(f"{g}:{a}:{b}" for g, a, b in gates)
                        size = f"{len(gates)}" if proven else f"{len(gates)}?"
                        lines.append(f"{basis} {c:04x} {size} {depth_of(gates)} {body} "
                                     f"{'~' if out_neg else ''}{N + len(gates) - 1}")
                done[(basis, c)] = lines
                log.write("\n".join(lines) + "\n")
                log.flush()
                print(f"{basis} {c:04x}: {lines[-1].split()[2]} gates  {time.time() - t0:.1f} s", file=sys.stderr)
    header = [
        "# Optimal circuits of the 222 NPN classes of 4-input functions.",
        "# Generated by scripts/gen_npn4_db.py; do not edit.  Format: see that script.",
    ]
    order = {b: i for i, b in enumerate(("gates", "aig"))}
    body = [line for key in sorted(done, key=lambda k: (order.get(k[0], 9), k[1])) for line in done[key]]
    out.write_text("\n".join(header + body) + "\n")
    partial.unlink()
    print(f"wrote {len(body)} circuits to {out} in {time.time() - start:.0f} s", file=sys.stderr)


if __name__ == "__main__":
    main()
