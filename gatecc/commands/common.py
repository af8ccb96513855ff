"""Pieces the subcommands share: output files, model and -O arguments."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from ..errors import GateccError


class CommandError(GateccError):
    """A problem with a command's arguments found after parsing."""


def formatter(prog):
    """The help formatter every command uses (keeps the description's line breaks)."""
    return argparse.RawDescriptionHelpFormatter(prog, max_help_position=32)


def write_output(path: str | None, data: str | bytes) -> None:
    """Write ``data`` to ``path`` atomically, or to stdout for None / '-'."""
    if path in (None, "-"):
        if isinstance(data, bytes):
            sys.stdout.buffer.write(data)
        else:
            sys.stdout.write(data)
        sys.stdout.flush()
        return
    target = Path(path)
    if target.is_dir():
        raise CommandError(f"{path}: is a directory")
    tmp = target.with_name(f".{target.name}.tmp-{os.getpid()}")
    try:
        tmp.write_bytes(data if isinstance(data, bytes) else data.encode())
        os.replace(tmp, target)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise CommandError(f"{path}: cannot write ({exc.strerror or exc})") from None


def add_model_args(p: argparse.ArgumentParser) -> None:
    """MODEL, --from and --wiring."""
    from ..load import format_names

    p.add_argument("model", metavar="MODEL",
                   help="model file: .npz (model format v1), .gir (IR text), .aig/.aag (AIGER), .blif, "
                        ".pt/.pth (difflogic or torchlogix, read without PyTorch); see docs/formats.md")
    p.add_argument("--from", dest="fmt", metavar="FORMAT", choices=format_names(),
                   help=f"read MODEL as this format instead of guessing from its extension ({', '.join(format_names())})")
    p.add_argument("--wiring", metavar="FILE",
                   help="for a difflogic/torchlogix state_dict: the .npz or .pt holding what the state_dict lacks "
                        "(LogicLayer indices, in_dim, GroupSum k and tau); default: MODEL's stem + .wiring.npz "
                        "or .wiring.pt beside it")


def load_model(args):
    """The model named by ``args.model`` (``--from``, ``--wiring``): a LogicNet or a Graph."""
    from ..load import load

    options = {"wiring": args.wiring} if getattr(args, "wiring", None) else {}
    return load(args.model, args.fmt, **options)


def add_opt_args(p: argparse.ArgumentParser, default: int = 2, passes: bool = True) -> None:
    """-O N and, optionally, --passes PIPELINE and --cost MODEL."""
    p.add_argument("-O", dest="opt_level", type=int, choices=(0, 1, 2, 3), default=default, metavar="N",
                   help=f"optimisation level: 0 none, 1 cheap canonicalisation, 2 fast and good, 3 everything (default {default})")
    if passes:
        p.add_argument("--passes", metavar="PIPELINE",
                       help="run this pass pipeline instead of -O's, e.g. 'fold,copyprop,cse,dce'")
        p.add_argument("--cost", choices=("gates", "aig"), default=None,
                       help="what -O's passes minimise: gates (every 2-input gate and NOT costs 1; the default) or "
                            "aig (AND nodes after ABC's strash, an XOR costing 3: use it for --target aiger); "
                            "-O3 --cost aig is a faster pipeline of its own (docs/ir.md)")


def cost_passes(args) -> str | None:
    """The pipeline text that ``--passes`` or ``--cost`` select; None: -O's unit-cost pipeline."""
    from ..ir.passes import PipelineError
    from ..ir.passes.costs import level_pipeline

    cost = getattr(args, "cost", None)
    if getattr(args, "passes", None) is not None:
        if cost is not None:
            raise CommandError("--cost and --passes exclude each other (give the pipeline's passes cost=aig instead)")
        return args.passes
    if cost in (None, "gates"):
        return None
    try:
        return level_pipeline(args.opt_level, cost)
    except PipelineError as exc:
        raise CommandError(str(exc)) from None


def add_head_arg(p: argparse.ArgumentParser) -> None:
    """--head HEAD: the decision made from GroupSum counts, built into the circuit."""
    p.add_argument("--head", metavar="HEAD",
                   help="for a GroupSum model: argmax (the class, ties to the lowest index), threshold:T "
                        "(one bit per group, count > T) or counts (default: the model's own outputs); "
                        "the decision is built as gates, so the optimiser sees it (docs/heads.md)")


def add_quiet_arg(p: argparse.ArgumentParser) -> None:
    """--quiet: no progress bar (one is drawn on stderr only when stderr is a terminal)."""
    p.add_argument("-q", "--quiet", action="store_true",
                   help="no progress bar on standard error (drawn only when it is a terminal)")


def add_native_args(p: argparse.ArgumentParser, threads: bool = False) -> None:
    """--vector-bits (and --threads) for the native targets (c, llvm)."""
    p.add_argument("--vector-bits", type=int, choices=(64, 128, 256, 512), metavar="BITS",
                   help="native targets: samples per vector word, 64, 128, 256 or 512 "
                        "(default: the widest this machine has)")
    if threads:
        p.add_argument("--threads", type=int, metavar="N",
                       help="native targets: threads to run on (default: every core, or $GATECC_THREADS)")


def native_options(args, target) -> dict:
    """Target options from --vector-bits / --threads; an error if ``target`` does not take them."""
    options = {}
    if getattr(args, "vector_bits", None) is not None:
        options["vector_bits"] = args.vector_bits
    if getattr(args, "threads", None) is not None:
        if args.threads < 1:
            raise CommandError(f"--threads must be at least 1, not {args.threads}")
        options["threads"] = args.threads
    known = getattr(target, "options", ())
    for name in options:
        if name not in known:
            raise CommandError(f"--{name.replace('_', '-')} does not apply to target {target.name!r}")
    return options


def optimised_graph(args, after_pass=None, model=None):
    """Load ``args.model`` (unless ``model`` is given) and run -O's pipeline (or --passes).

    Returns (graph, stats).
    """
    from ..compiler import to_graph, with_head
    from ..ir.passes import PipelineError, opt_pipeline, parse_pipeline, run_pipeline
    from ..progress import Progress, wanted

    graph = with_head(to_graph(load_model(args) if model is None else model), getattr(args, "head", None))
    try:
        text = getattr(args, "passes", None)
        pipeline = parse_pipeline(text) if text is not None else opt_pipeline(args.opt_level)
    except PipelineError as exc:
        raise CommandError(str(exc)) from None
    bar = Progress([p.spec() for p in pipeline], "gatecc", enabled=wanted(getattr(args, "quiet", False)))

    def after(p, g, st):
        bar.step()
        if after_pass is not None:
            after_pass(p, g, st)

    try:
        return run_pipeline(graph, pipeline, after_pass=after)
    finally:
        bar.close()


def check_steps(steps: int) -> None:
    """Reject a negative ``--steps`` (the board commands: life, ca)."""
    if steps < 0:
        raise CommandError("--steps must be >= 0")


def announce_page(written: list, directory: str) -> None:
    """Say how many files a ``--web`` page wrote to ``directory`` and how to serve it."""
    print(f"wrote {len(written)} files to {directory}; open it with:\n"
          f"  python -m http.server -d {directory} 8000   # then browse http://127.0.0.1:8000/")
