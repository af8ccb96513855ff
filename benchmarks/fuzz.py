"""Fuzz every model reader and the CLI at length (issue 20): >= 100,000 mutated files.

    .venv/bin/python benchmarks/fuzz.py                  # 100,000 cases, seed 0
    .venv/bin/python benchmarks/fuzz.py --cases 5000 --seed 7 --save /tmp/repro

The mutator and the oracle are tests/fuzzing.py (also run briefly by
tests/test_fuzz.py).  Every case runs in this process, under a 4 GiB
address-space limit and a per-case time limit; about 1 in 25 goes through the
CLI's own ``main`` (stats, lower, verify, run), the rest through
``gatecc.load``.  Prints the count per reader and outcome (clean error,
accepted, failure) and the distinct failures; exits 1 if there was any.
"""

from __future__ import annotations

import argparse
import collections
import random
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

import fuzzing as F  # noqa: E402

COMMANDS = ("stats", "lower", "verify", "run")


def main() -> int:
    """Run the campaign and print the table."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cases", type=int, default=100_000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--seconds", type=float, default=20.0, help="time limit of one case")
    ap.add_argument("--cli-every", type=int, default=25, help="1 in N cases goes through the CLI's main")
    ap.add_argument("--compile-every", type=int, default=500, help="compile 1 in N accepted cases for C")
    ap.add_argument("--max-compiles", type=int, default=100)
    ap.add_argument("--save", metavar="DIR", help="write each failing case here")
    args = ap.parse_args()

    t0 = time.perf_counter()
    seeds = F.make_seeds()
    limit = 4 << 30
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    work = Path(tempfile.mkdtemp(prefix="gatecc-fuzz-", dir="/dev/shm" if Path("/dev/shm").is_dir() else None))
    checker = F.Checker(work, compile_every=args.compile_every, max_compiles=args.max_compiles, seconds=args.seconds)
    rng = random.Random(args.seed)
    counts: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
    failures: collections.Counter = collections.Counter()
    start = time.perf_counter()
    for i in range(args.cases):
        seed = rng.choice(seeds)
        data, mutations = F.mutate(rng, seed, seeds)
        if i % args.cli_every == 0:
            command = COMMANDS[(i // args.cli_every) % len(COMMANDS)]
            if command in ("verify", "run") and len(seed.data) > 4096:
                command = "stats"
            reader, outcome = f"cli {command}", checker.cli_case(seed, data, command)
        else:
            reader, outcome = seed.reader, checker.load_case(seed, data)
        kind = outcome if not outcome.startswith("failure") else "failure"
        counts[reader][kind] += 1
        if kind == "failure":
            failures[(reader, seed.name, outcome)] += 1
            if args.save:
                out = Path(args.save)
                out.mkdir(parents=True, exist_ok=True)
                (out / f"{i:06d}-{seed.name}").write_bytes(data)
        if (i + 1) % 10_000 == 0:
            rate = (i + 1) / (time.perf_counter() - start)
            print(f"  {i + 1} cases, {rate:.0f}/s, {sum(failures.values())} failures", file=sys.stderr, flush=True)
    seconds = time.perf_counter() - start

    kinds = ("clean error", "accepted", "failure")
    print(f"fuzz: {args.cases} cases, seed {args.seed}, {seconds:.0f} s ({args.cases / seconds:.0f} cases/s; "
          f"seeds {start - t0:.0f} s), {checker.compiles} accepted cases compiled to C and compared")
    print(f"{'reader':<18}" + "".join(f"{k:>13}" for k in kinds) + f"{'total':>9}")
    for reader in sorted(counts):
        row = counts[reader]
        print(f"{reader:<18}" + "".join(f"{row[k]:>13}" for k in kinds) + f"{sum(row.values()):>9}")
    total = collections.Counter()
    for row in counts.values():
        total.update(row)
    print(f"{'all':<18}" + "".join(f"{total[k]:>13}" for k in kinds) + f"{sum(total.values()):>9}")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS {peak:.0f} MiB")
    for (reader, name, outcome), n in failures.most_common(40):
        print(f"FAIL x{n} {reader} {name}: {outcome}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
