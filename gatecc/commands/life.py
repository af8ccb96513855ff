"""``gatecc life``: run a learned Game-of-Life circuit on a torus board."""

from __future__ import annotations

import time

from .common import CommandError, add_opt_args, announce_page, check_steps, formatter


def default_model() -> str:
    """The Life net shipped with gatecc (examples/life.npz)."""
    from importlib.resources import files

    return str(files("gatecc.examples") / "life.npz")


#: One line in ``gatecc --help``.
SUMMARY = "run a learned Game-of-Life circuit on a board"

#: ``gatecc life --help``: what it does, then examples.
DESCRIPTION = """\
Compile a learned Life net (9 inputs: the 3x3 neighbourhood, input j = cell
(j // 3, j % 3); 1 output: the centre's next state) and run it on a torus
board, 64 cells per word.  With target c the whole stepping loop is
generated C; other targets evaluate the nine neighbour planes per step.
A 9-input circuit is small, so -O3 (everything) is the default here: it
takes well under a second and shrinks the shipped net from 153 to 26 gates.

examples:
  gatecc life --check --steps 200        # compare every step with numpy Life
  gatecc life --bench                    # steps/s and speed-up over the JAX model
  gatecc life --gif life.gif --size 128 --steps 200
  gatecc life --tui"""


def register(sub) -> None:
    """Add the ``life`` subcommand."""
    from ..backends import target_names

    p = sub.add_parser("life", help=SUMMARY, formatter_class=formatter, description=DESCRIPTION)
    p.add_argument("--model", metavar="MODEL", help="a Life model (default: the shipped examples/life.npz)")
    p.add_argument("--size", type=int, default=512, help="board side in cells, a multiple of 64 (default 512)")
    p.add_argument("--steps", type=int, default=100, help="generations to run (default 100)")
    p.add_argument("--seed", type=int, default=0, help="seed of the random start board (default 0)")
    p.add_argument("--density", type=float, default=0.35, help="fraction of live cells at the start (default 0.35)")
    p.add_argument("--target", "-t", default="c", choices=target_names(), metavar="TARGET",
                   help="target that runs the circuit (default c)")
    add_opt_args(p, default=3, passes=False)
    p.add_argument("--threads", type=int, default=None, help="threads for target c (default: all cores)")
    p.add_argument("--check", action="store_true",
                   help="compare every step with a plain numpy Life; exit 1 at the first mismatch")
    p.add_argument("--bench", action="store_true",
                   help="print steps/s, cell updates/s and the speed-up over the JAX model (hard mode)")
    p.add_argument("--tui", action="store_true", help="animate the board in the terminal")
    p.add_argument("--fps", type=float, default=20.0, help="frames per second for --tui and --gif (default 20)")
    p.add_argument("--gif", metavar="OUT", help="write an animated GIF of every step")
    p.add_argument("--web", metavar="DIR",
                   help="write a self-contained WebGPU page (index.html, life.js, the circuit as WGSL) to DIR "
                        "and exit; serve it with: python -m http.server -d DIR (--size: the board, a multiple of 32)")
    p.set_defaults(func=run)


def _bench(engine, net, words, size: int, steps: int) -> None:
    """Time the engine, then the JAX model on the same board, and print both."""
    from ..life import run_jax, unpack_board
    from ..model import LogicNet

    engine.run(words, 1)  # warm up
    n = max(steps, 1)
    t = time.perf_counter()
    engine.run(words, n)
    dt = time.perf_counter() - t
    rate = n / dt
    print(f"gatecc ({engine.name}): {rate:,.0f} steps/s, {rate * size * size:,.3g} cell updates/s "
          f"({size}x{size} board, {n} steps)")
    if not isinstance(net, LogicNet):
        print("JAX model: not available for a circuit file (it needs a LogicNet)")
        return
    board = unpack_board(words)
    run_jax(net, board, 1)  # compile
    jsteps = 2
    t = time.perf_counter()
    run_jax(net, board, jsteps)
    jrate = jsteps / (time.perf_counter() - t)
    print(f"JAX model (hard mode): {jrate:,.2f} steps/s, {jrate * size * size:,.3g} cell updates/s")
    print(f"speed-up over the JAX model: {rate / jrate:,.0f}x")


def _write_web(args, net, model_path: str) -> int:
    """--web DIR: the page around the model's optimised circuit."""
    from pathlib import Path

    from ..compiler import lower_to_source
    from ..life.web import write_page

    graph = lower_to_source(net, "wgsl-fn", args.opt_level).graph
    written = write_page(args.web, graph, Path(model_path).name, args.size)
    announce_page(written, args.web)
    return 0


def run(args) -> int:
    """Run the board; --check, --bench, --tui, --gif and --web as asked."""
    import sys

    from ..life import make_engine, pack_board, random_board, reference_step, unpack_board
    from ..life.board import check_size
    from ..load import load

    check_steps(args.steps)
    if not 0.0 <= args.density <= 1.0:
        raise CommandError("--density must be between 0 and 1")
    model_path = args.model or default_model()
    net = load(model_path)
    if args.web:
        return _write_web(args, net, model_path)
    check_size(args.size)
    engine = make_engine(net, target=args.target, opt_level=args.opt_level, threads=args.threads)
    board = random_board(args.size, args.seed, args.density)
    words = pack_board(board)

    if args.bench:
        _bench(engine, net, words, args.size, args.steps)
        return 0

    frames = [board] if args.gif else None
    if args.tui:
        from ..life.show import animate_terminal

        def generate():
            w = words
            yield 0, unpack_board(w)
            for s in range(1, args.steps + 1):
                w = engine.run(w, 1)
                yield s, unpack_board(w)

        animate_terminal(generate(), fps=args.fps)
        return 0

    if args.check or frames is not None:
        ref = board
        for s in range(1, args.steps + 1):
            words = engine.run(words, 1)
            got = unpack_board(words)
            if args.check:
                ref = reference_step(ref)
                bad = int((got != ref).sum())
                if bad:
                    sys.stderr.write(f"gatecc life: mismatch at step {s}: {bad} cells differ from numpy Life\n")
                    return 1
            if frames is not None:
                frames.append(got)
    else:
        words = engine.run(words, args.steps)
        board = unpack_board(words)
    if frames is not None:
        from ..life.show import write_gif

        write_gif(args.gif, frames, fps=args.fps)
    alive = int(unpack_board(words).sum())
    status = "matches numpy Life at every step" if args.check else "done"
    print(f"{args.size}x{args.size} board, {args.steps} steps ({engine.name}): {alive} cells alive; {status}")
    return 0
