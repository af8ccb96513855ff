"""Threads under load: 2 threads against 1 while a competing process keeps the other core(s) busy.

    python benchmarks/threads_load.py [--size 512] [--big 2048] [--steps 2000] [--rows 262144]

Starts one busy-looping process per core but one, then measures, in the
same run and with the competitor running:

* the fused Life engine (generated C stepping loop) with ``threads=2`` and
  ``threads=1``, on a small board (where work sizing keeps one thread) and a
  big one (where each thread gets enough words to split);
* the same small board with the step *forced* onto 2 threads (what the
  engine did before work sizing), to show what passive waiting alone gives;
* a compiled net (target c) on a batch of rows with 2 threads and 1.

Prints each rate and the ratio 2-thread / 1-thread (1.0 or more: no
collapse).  Every Life result is checked against numpy Life.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time

import numpy as np

import gatecc
from gatecc.commands.life import default_model
from gatecc.compiler import lower_to_source
from gatecc.life import FusedCEngine, pack_board, random_board, reference_step, unpack_board


class _ForcedSplit(FusedCEngine):
    """The fused engine without work sizing: always the asked-for threads."""

    def _threads_for(self, words: int) -> int:
        return self.threads


def _life_rate(engine, words, steps) -> tuple[float, np.ndarray]:
    engine.run(words, 2)                               # warm up (library loaded, pages touched)
    t = time.perf_counter()
    out = engine.run(words, steps)
    return steps / (time.perf_counter() - t), out


def _reference(board, steps):
    for _ in range(steps):
        board = reference_step(board)
    return board


def _busy(n: int) -> list[subprocess.Popen]:
    return [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(n)]


def measure(size: int = 512, big: int = 2048, steps: int = 2000, rows: int = 1 << 18) -> list[str]:
    """Run every comparison with the competitor(s) busy; returns the printed lines."""
    net = gatecc.load(default_model())
    graph = lower_to_source(net, "c", 2).graph
    cores = os.cpu_count() or 1
    competitors = _busy(max(1, cores - 1))
    lines = [f"{cores} cores, {len(competitors)} competing busy process(es)"]
    try:
        time.sleep(0.5)
        for label, n, board_steps, cls in (("small board", size, steps, FusedCEngine),
                                           ("small board, forced split", size, max(1, steps // 10), _ForcedSplit),
                                           ("big board", big, max(1, steps // 50), FusedCEngine)):
            board = random_board(n, seed=3)
            words = pack_board(board)
            expected = _reference(board, board_steps)
            rates = {}
            for threads in (2, 1):
                rate, out = _life_rate(cls(graph, threads=threads), words, board_steps)
                assert (unpack_board(out) == expected).all(), (label, threads)
                rates[threads] = rate
            lines.append(f"life {label} {n}x{n}: 2 threads {rates[2]:,.0f} steps/s, 1 thread {rates[1]:,.0f} "
                         f"steps/s, ratio 2/1 = {rates[2] / rates[1]:.2f}x")
        compiled = gatecc.compile(net, target="c")
        x = np.random.default_rng(0).integers(0, 2, (rows, compiled.n_inputs)).astype(bool)
        rates = {}
        for threads in (2, 1):
            compiled.threads = threads
            compiled(x)
            t = time.perf_counter()
            for _ in range(5):
                compiled(x)
            rates[threads] = 5 * rows / (time.perf_counter() - t)
        lines.append(f"compiled net (c), {rows} rows: 2 threads {rates[2]:,.0f} rows/s, 1 thread "
                     f"{rates[1]:,.0f} rows/s, ratio 2/1 = {rates[2] / rates[1]:.2f}x")
    finally:
        for p in competitors:
            p.kill()
            p.wait()
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--size", type=int, default=512, help="small board side (default 512)")
    parser.add_argument("--big", type=int, default=2048, help="big board side (default 2048)")
    parser.add_argument("--steps", type=int, default=2000, help="steps on the small board (default 2000)")
    parser.add_argument("--rows", type=int, default=1 << 18, help="rows for the compiled net (default 262144)")
    args = parser.parse_args()
    print("\n".join(measure(args.size, args.big, args.steps, args.rows)))


if __name__ == "__main__":
    main()
