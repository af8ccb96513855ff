"""``gatecc train life-ca`` / ``gatecc train checkerboard``: train a cellular automaton (gatecc.ca.train)."""

from __future__ import annotations

from .common import CommandError

#: ``gatecc train`` options that do not apply to the CA tasks, with their "not given" values.
NOT_FOR_CA = {"layers": None, "wiring": None, "entropy": None, "init_noise": None, "batch_size": None,
              "repair_every": None, "boost": None}


def run_ca(args) -> int:
    """Train the CA task ``args.task``, save it (gatecc CA file), print a summary; exit 1 if not exact."""
    from ..ca.store import to_arrays
    from ..ca.train import TASKS, train_ca
    from ..model import npz_bytes
    from .common import write_output
    from .train_data import reject_data_options

    reject_data_options(args)
    for name, unset in NOT_FOR_CA.items():
        if getattr(args, name) != unset:
            raise CommandError(f"--{name.replace('_', '-')} does not apply to the CA task {args.task!r}")
    for name in ("epochs", "eval_every"):
        value = getattr(args, name)
        if value is not None and value < 1:
            raise CommandError(f"--{name.replace('_', '-')} must be >= 1")
    if args.lr is not None and not args.lr > 0:
        raise CommandError("--lr must be > 0")
    task = TASKS[args.task]
    if getattr(args, "async_", False):
        from ..ca.train import ASYNC_TASKS

        if args.task not in ASYNC_TASKS:
            raise CommandError(f"--async: the CA task {args.task!r} has no asynchronous variant "
                               f"(tasks with one: {', '.join(sorted(ASYNC_TASKS))})")
        task = ASYNC_TASKS[args.task]
    if args.loss_from is not None:
        if task.name == "life-ca":
            raise CommandError("--loss-from applies to the CA task checkerboard only (life-ca is one step)")
        if not 1 <= args.loss_from <= task.steps:
            raise CommandError(f"--loss-from must be in 1..{task.steps} (the task's T), not {args.loss_from}")
    result = train_ca(task, seed=args.seed, epochs=args.epochs, progress=not args.quiet, lr=args.lr,
                      eval_every=args.eval_every, loss_from=args.loss_from)
    out = args.output or f"{task.name}.npz"
    write_output(out, npz_bytes(to_arrays(result.model)))
    what = "neighbourhoods" if task.name == "life-ca" else "cells of channel 0 after T steps"
    state = "exact" if result.exact else f"NOT exact ({result.wrong} wrong {what})"
    print(f"{task.name}: {result.epochs} epochs in {result.seconds:.1f} s, {state}; saved {out}")
    return 0 if result.exact else 1
