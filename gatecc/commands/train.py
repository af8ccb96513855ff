"""``gatecc train``: train a logic-gate network in JAX and save it (model format v1)."""

from __future__ import annotations

import argparse
import re

from .common import CommandError, formatter


def parse_layers(text: str) -> tuple[int, ...]:
    """'128x17,64,32' -> (128,)*17 + (64, 32)."""
    widths: list[int] = []
    for part in text.replace(" ", "").split(","):
        m = re.fullmatch(r"(\d+)(?:x(\d+))?", part)
        if not m or int(m.group(1)) < 1 or (m.group(2) is not None and int(m.group(2)) < 1):
            raise argparse.ArgumentTypeError(f"{part!r} is not WIDTH or WIDTHxCOUNT (e.g. 128x17,64,32)")
        widths += [int(m.group(1))] * int(m.group(2) or 1)
    return tuple(widths)


def register(sub) -> None:
    """Add the ``train`` subcommand."""
    from ..train.tasks import TASKS
    from ..train.wiring import WIRINGS

    from ..ca.train import TASKS as CA_TASKS

    tasks = "\n".join(f"  {t.name:<8} {t.description}" for t in (*TASKS.values(), *CA_TASKS.values()))
    p = sub.add_parser("train", help="train a logic-gate network (JAX) and save it", formatter_class=formatter,
                       description="Train the soft model of a logic-gate network with optax AdamW and save it in\n"
                                   "model format v1.  The progress bar shows the soft loss and the hard (argmax)\n"
                                   "loss; tasks that must be exact stop as soon as the hard net is.\n\n"
                                   f"tasks:\n{tasks}\n\n"
                                   "A data file (.npz or .csv) trains a classifier or bit outputs on your own\n"
                                   "data with an input encoder stored in the model (format v2); the defaults\n"
                                   "suit a small table.\n\n"
                                   "examples: gatecc train life --seed 1 -o life.npz\n"
                                   "          gatecc train data.csv --label y\n"
                                   "          gatecc train data.npz --arch 'dense(4000)x2,groupsum(10,tau=20)' --plot curves.png")
    p.add_argument("task", metavar="DATA",
                   help=f"what to learn: a built-in task ({', '.join(sorted(TASKS) + sorted(CA_TASKS))}) or a data file, "
                        ".npz (x, y, optional x_test, y_test) or .csv (with --label); see docs/training.md")
    p.add_argument("-o", "--output", metavar="OUT", help="model file to write (default TASK.npz, or DATA's stem + .gatecc.npz)")
    p.add_argument("--seed", type=int, default=0, help="seed for wiring, initialisation and batches (default 0)")
    p.add_argument("--epochs", type=int, help="maximum epochs (default: the task's)")
    p.add_argument("--layers", type=parse_layers, metavar="SPEC", help="widths, e.g. 128x17,64,32,16,8,4,2,1 (default: the task's)")
    p.add_argument("--wiring", choices=WIRINGS, help="built-in tasks: how neurons are connected (default unique)")
    p.add_argument("--lr", type=float, help="AdamW learning rate (default: the task's)")
    p.add_argument("--entropy", type=float, help="weight of the gate-entropy penalty (default: the task's)")
    p.add_argument("--init-noise", type=float, help="std of noise on the pass-through init logits (default: the task's)")
    p.add_argument("--batch-size", type=int, help="minibatch size (default: the task's; full batch for life)")
    p.add_argument("--eval-every", type=int, default=10, help="epochs between hard-model evaluations (default 10)")
    p.add_argument("--repair-every", type=int, metavar="N",
                   help="exact tasks: every N epochs, when the hard net is nearly exact, resubstitute single "
                        "neurons (0: never; default: the task's)")
    p.add_argument("--boost", type=float, help="exact tasks: loss weight of the last few hard-wrong patterns "
                                               "(0: off; default: the task's)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.add_argument("--async", dest="async_", action="store_true",
                   help="CA task checkerboard: asynchronous updates (each cell fires with probability 0.6 per step; "
                        "T = 50), the notebook's fire-rate variant (docs/ca.md)")
    p.add_argument("--loss-from", type=int, metavar="STEP",
                   help="CA task checkerboard: sum the loss over the states after steps STEP..T, so the pattern "
                        "must be reached by STEP and held to T (default: step T only, the notebook's; docs/ca.md)")
    from .train_data import add_data_args

    add_data_args(p)
    p.set_defaults(func=run)


def run(args) -> int:
    """Train, save, and print a summary line."""
    from ..train.tasks import TASKS
    from ..ca.train import TASKS as CA_TASKS
    from ..train.trainer import TrainConfig, train
    from .common import write_output

    if args.task in CA_TASKS:   # cellular automata (docs/ca.md)
        from .train_ca import run_ca

        return run_ca(args)
    if args.async_:
        raise CommandError("--async applies to the CA task checkerboard only")
    if args.loss_from is not None:
        raise CommandError("--loss-from applies to the CA task checkerboard only")
    if args.task not in TASKS:
        from .train_data import run_data

        return run_data(args)
    from .train_data import reject_data_options

    reject_data_options(args)
    task = TASKS[args.task]
    for name in ("epochs", "batch_size", "eval_every"):
        value = getattr(args, name)
        if value is not None and value < 1:
            raise CommandError(f"--{name.replace('_', '-')} must be >= 1")
    if args.repair_every is not None and args.repair_every < 0:
        raise CommandError("--repair-every must be >= 0")
    if args.repair_every and args.repair_every % args.eval_every:
        raise CommandError("--repair-every must be a multiple of --eval-every")
    config = TrainConfig.for_task(
        task, seed=args.seed, epochs=args.epochs, layers=args.layers, wiring=args.wiring or "unique", lr=args.lr,
        entropy=args.entropy, init_noise=args.init_noise, batch_size=args.batch_size, eval_every=args.eval_every,
        repair_every=args.repair_every, boost=args.boost,
    )
    result = train(task, config, progress=not args.quiet)
    out = args.output or f"{task.name}.npz"
    from ..model import npz_bytes

    write_output(out, npz_bytes(result.net.to_arrays()))
    summary = f"{task.name}: {result.epochs} epochs in {result.seconds:.1f} s, hard train loss {result.hard_train:.4g}"
    if task.exact:
        summary += ", exact" if result.exact else ", NOT exact"
    if result.test_accuracy is not None:
        summary += f", hard test accuracy {result.test_accuracy:.2%}"
    print(f"{summary}; saved {out}")
    return 0 if (result.exact or not task.exact) else 1
