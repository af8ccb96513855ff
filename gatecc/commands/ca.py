"""``gatecc ca``: run a learned cellular automaton (DiffLogic CA) on a board."""

from __future__ import annotations

import io
import time

import numpy as np

from .common import CommandError, add_opt_args, announce_page, check_steps, formatter, write_output


#: One line in ``gatecc --help``.
SUMMARY = "run a learned cellular automaton (DiffLogic CA) on a board"

#: ``gatecc ca --help``: what it does, then examples.
DESCRIPTION = """\
Compile a CA's per-cell circuit (perception kernels + update network: 9C inputs,
the 3x3 neighbourhood of every channel, -> C outputs, the cell's next state) and
step a board with it.  Boards are (H, W, C) uint8 0/1 .npy files; the model's
boundary (torus or zeros) applies.  --async updates each cell with probability
--fire-rate per step from a counter-based hash of (--seed, step, cell), the same
on every target (docs/ca.md).

examples:
  gatecc ca life-ca.npz --size 64 --steps 100 -o out.npy
  gatecc ca nb.npz --from difflogic-ca --board in.npy --steps 20 -o out.npy
  gatecc ca checkerboard.npz --size 64 --steps 80 --async --fire-rate 0.6 --gif cb.gif
  gatecc ca life-ca.npz --bench --size 512 --steps 50"""


def register(sub) -> None:
    """Add the ``ca`` subcommand."""
    from ..ca.engine import TARGETS

    p = sub.add_parser("ca", help=SUMMARY, formatter_class=formatter, description=DESCRIPTION)
    p.add_argument("model", metavar="MODEL", help="a CA model: gatecc's CA file (.npz) or, with --from "
                                                  "difflogic-ca, the notebook's flattened params/wires pytree")
    p.add_argument("--from", dest="fmt", choices=("ca", "difflogic-ca"), metavar="FORMAT",
                   help="read MODEL as this format: ca (gatecc's CA file, the default for .npz) or difflogic-ca")
    p.add_argument("--board", metavar="IN.npy", help="start board, (H, W, C) uint8 0/1")
    p.add_argument("--size", metavar="N|HxW", help="without --board: a random start board of this size (default 64)")
    p.add_argument("--density", type=float, default=0.5, help="random board: fraction of 1 bits (default 0.5)")
    p.add_argument("--board-seed", type=int, default=0, help="random board: its seed (default 0)")
    p.add_argument("--steps", type=int, default=100, help="steps to run (default 100)")
    p.add_argument("-o", "--output", metavar="OUT.npy", help="write the final board here, (H, W, C) uint8")
    p.add_argument("--target", "-t", default="c", choices=("reference", "jax") + TARGETS, metavar="TARGET",
                   help=f"what steps the board: {', '.join(TARGETS)}, reference (the oracle: evaluate_program per step) "
                        "or jax (the JAX hard model) (default c)")
    add_opt_args(p, default=2, passes=False)
    p.add_argument("--threads", type=int, default=None, help="threads for targets c and llvm (default: all cores)")
    p.add_argument("--async", dest="asynchronous", action="store_true",
                   help="asynchronous updates: each cell fires with probability --fire-rate per step")
    p.add_argument("--fire-rate", type=float, default=None, help="with --async: the fire rate (default 0.6)")
    p.add_argument("--seed", type=int, default=0, help="with --async: the fire-mask seed, 0..2**32-1 (default 0)")
    p.add_argument("--check", action="store_true",
                   help="also step the board with the reference stepper; exit 1 if the boards differ")
    p.add_argument("--bench", action="store_true",
                   help="print cell updates/s of the target and of the JAX hard model on the same board")
    p.add_argument("--gif", metavar="OUT", help="write an animated GIF of every step (channels in colours)")
    p.add_argument("--tui", action="store_true", help="animate the board in the terminal (live cells of any channel)")
    p.add_argument("--fps", type=float, default=10.0, help="frames per second for --tui and --gif (default 10)")
    p.add_argument("--web", metavar="DIR",
                   help="write a self-contained WebGPU page (index.html, ca.js, the stencil step as WGSL) for a "
                        "--size board (width a multiple of 32; default 128) to DIR and exit; --async/--fire-rate/"
                        "--seed apply; a click on the board toggles that cell's channels; serve it with: "
                        "python -m http.server -d DIR")
    p.set_defaults(func=run)


def _size(text: str | None) -> tuple[int, int]:
    if text is None:
        return 64, 64
    parts = text.lower().split("x")
    try:
        dims = [int(x) for x in parts]
    except ValueError:
        raise CommandError(f"--size {text!r}: expected N or HxW") from None
    if len(dims) not in (1, 2) or min(dims) < 1 or max(dims) > 1 << 14:
        raise CommandError(f"--size {text!r}: expected N or HxW with sides in 1..16384")
    return (dims[0], dims[0]) if len(dims) == 1 else (dims[0], dims[1])


def _start_board(args, channels: int) -> np.ndarray:
    from ..ca.stepper import check_board
    from ..files import read_npy

    if args.board:
        if args.size:
            raise CommandError("give --board or --size, not both")
        return check_board(read_npy(args.board), channels)
    if not 0.0 <= args.density <= 1.0:
        raise CommandError("--density must be between 0 and 1")
    h, w = _size(args.size)
    return (np.random.default_rng(args.board_seed).random((h, w, channels)) < args.density).astype(np.uint8)


def _fire_rate(args):
    if args.fire_rate is not None and not args.asynchronous:
        raise CommandError("--fire-rate needs --async")
    if not args.asynchronous:
        return None
    rate = 0.6 if args.fire_rate is None else args.fire_rate
    if not 0.0 <= rate <= 1.0:
        raise CommandError(f"--fire-rate must be in [0, 1], not {rate}")
    if not 0 <= args.seed < 1 << 32:
        raise CommandError(f"--seed must be in 0..2**32-1, not {args.seed}")
    return rate


def _bench(engine, model, board, steps: int, fire_rate, seed) -> None:
    from ..ca.jaxca import JaxStepper

    h, w, _ = board.shape
    n = max(steps, 1)
    engine.run(board, 1, fire_rate, seed)   # warm up (first call builds)
    t = time.perf_counter()
    engine.run(board, n, fire_rate, seed)
    rate = n * h * w / (time.perf_counter() - t)
    print(f"gatecc ({engine.name}): {rate:,.4g} cell updates/s ({h}x{w} board, {n} steps)")
    jax_model = JaxStepper(model)
    jax_model.run(board, 1, fire_rate, seed)   # compile
    jn = max(1, min(n, 3))
    t = time.perf_counter()
    jax_model.run(board, jn, fire_rate, seed)
    jrate = jn * h * w / (time.perf_counter() - t)
    print(f"JAX hard model: {jrate:,.4g} cell updates/s ({jn} steps)")
    print(f"speed-up over the JAX model: {rate / jrate:,.1f}x")


def _write_web(args, model, fire_rate) -> int:
    from pathlib import Path

    from ..ca.web import write_page

    if args.board:
        raise CommandError("--web draws its own seeded boards; --board does not apply")
    h, w = _size(args.size or "128")
    written = write_page(args.web, model, Path(args.model).name, h, w, args.opt_level, fire_rate, args.seed)
    announce_page(written, args.web)
    return 0


def run(args) -> int:
    """Step the board; -o, --check, --bench, --gif and --tui as asked."""
    import sys

    from ..ca.engine import make_ca_engine
    from ..ca.model import CAModel
    from ..load import load

    check_steps(args.steps)
    if args.threads is not None and args.threads < 1:
        raise CommandError(f"--threads must be at least 1, not {args.threads}")
    fire_rate = _fire_rate(args)
    model = load(args.model, args.fmt)
    if not isinstance(model, CAModel):
        raise CommandError(f"{args.model}: not a CA model (it holds a {type(model).__name__}; see docs/ca.md)")
    if args.web:
        return _write_web(args, model, fire_rate)
    board = _start_board(args, model.channels)
    engine = make_ca_engine(model, args.target, args.opt_level, args.threads)
    if args.bench:
        _bench(engine, model, board, args.steps, fire_rate, args.seed)
        return 0
    start = board
    if args.gif or args.tui:
        frames = _frames(engine, board, args.steps, fire_rate, args.seed)
        board = frames[-1]
        if args.tui:
            from ..life.show import animate_terminal

            animate_terminal(((i, f.any(axis=2)) for i, f in enumerate(frames)), fps=args.fps)
        if args.gif:
            from ..ca.show import write_gif

            write_gif(args.gif, frames, fps=args.fps)
    else:
        board = engine.run(board, args.steps, fire_rate, args.seed)
    status = "done"
    if args.check:
        from ..ca.stepper import reference_stepper

        expected = reference_stepper(model).run(start, args.steps, fire_rate, args.seed)
        bad = int((expected != board).any(axis=2).sum())
        if bad:
            sys.stderr.write(f"gatecc ca: {bad} cells differ from the reference stepper after {args.steps} steps\n")
            return 1
        status = "matches the reference stepper"
    if args.output:
        buf = io.BytesIO()
        np.save(buf, board.astype(np.uint8), allow_pickle=False)
        write_output(args.output, buf.getvalue())
    h, w, c = board.shape
    mode = f"async, fire rate {fire_rate}" if fire_rate is not None else "sync"
    print(f"{h}x{w}x{c} board, {args.steps} steps ({engine.name}, {model.boundary}, {mode}): "
          f"{int(board.sum())} bits set; {status}")
    return 0


def _frames(engine, board, steps: int, fire_rate, seed) -> list:
    """The board after 0..steps steps, each as one run from the start would give it.

    Step t of an asynchronous run uses fire mask t, counted from the start of
    the run: an engine with ``step(board, t, ...)`` goes step by step; a fused
    one (the stencil engine counts from 0 in every call) runs from the start
    for every frame, which costs steps**2 / 2 steps and is fine for an animation.
    """
    frames = [board]
    for t in range(steps):
        if hasattr(engine, "step"):
            frames.append(engine.step(frames[-1], t, fire_rate, seed))
        elif fire_rate is None:
            frames.append(engine.run(frames[-1], 1))
        else:
            frames.append(engine.run(board, t + 1, fire_rate, seed))
    return frames
