"""``gatecc train DATA`` for a data file (.npz / .csv): options, the run, the summary line."""

from __future__ import annotations

from pathlib import Path

from .common import CommandError

#: Options that only apply to data files, with their "not given" values.
DATA_ONLY = {"label": None, "arch": None, "validation": None, "test_split": None, "encode": None,
             "bits_per_feature": None, "patience": None, "loss": None, "checkpoint": None, "resume": None,
             "plot": None, "shift": None}


def add_data_args(p) -> None:
    """The options of ``gatecc train DATA`` for data files."""
    from ..encoder import ENCODINGS

    g = p.add_argument_group("data files (.npz, .csv)")
    g.add_argument("--label", metavar="COLUMN", help=".csv: the label column (the others are numeric features)")
    g.add_argument("--arch", metavar="SPEC",
                   help="layers, e.g. 'dense(4000)x2,groupsum(10,tau=20)'; dense(N,wiring=unique|random|learnable"
                        "[,candidates=C]); images (an .npz x of shape (rows, C, H, W)) may start with "
                        "conv(K,rf=R,depth=D,pad=P,stride=S) and orpool(SIZE) items; default: two dense layers of ~400 neurons per class and "
                        "groupsum(k, tau=sqrt(neurons per class)) (see docs/training.md)")
    g.add_argument("--validation", type=float, metavar="FRACTION",
                   help="held-out rows for early stopping on the hard metric (default 0.1)")
    g.add_argument("--test-split", type=float, metavar="FRACTION",
                   help="without x_test/y_test: rows held out to report hard test accuracy (default 0.2; 0: none)")
    g.add_argument("--encode", choices=ENCODINGS, help="thermometer thresholds per feature (default quantile)")
    g.add_argument("--bits-per-feature", type=int, metavar="N", help="thresholds per real-valued feature (default 4)")
    g.add_argument("--patience", type=int, metavar="EPOCHS",
                   help="stop after this many epochs without a better validation score (default 30)")
    g.add_argument("--shift", type=int, metavar="N",
                   help="conv nets: move each training image by a random (dy, dx) in -N..N every epoch "
                        "(augmentation; default 0: off)")
    g.add_argument("--loss", choices=("xent", "mse", "bce"), help="default: xent for labels, mse for bit outputs")
    g.add_argument("--checkpoint", metavar="FILE", help="write a training checkpoint after every epoch")
    g.add_argument("--resume", metavar="FILE", help="continue from a checkpoint (same data and options)")
    g.add_argument("--plot", metavar="PNG", help="draw the training curves into this PNG")


def reject_data_options(args) -> None:
    """Built-in tasks: an error naming any data-file option that was given."""
    for name, unset in DATA_ONLY.items():
        if getattr(args, name) != unset:
            raise CommandError(f"--{name.replace('_', '-')} applies to data files, not the built-in task {args.task!r}")


def run_data(args) -> int:
    """Train on a data file, save the model, print a summary line."""
    import numpy as np

    from ..model import npz_bytes
    from ..train.data import read_table, split_rows
    from ..train.fit import FitConfig, fit
    from ..train.progress import plot_history
    from .common import write_output

    for name in ("layers", "wiring", "entropy", "init_noise", "repair_every", "boost"):
        if getattr(args, name) is not None:
            raise CommandError(f"--{name.replace('_', '-')} applies to the built-in tasks; for data files use --arch")
    for name in ("epochs", "batch_size", "patience", "bits_per_feature"):
        value = getattr(args, name)
        if value is not None and value < 1:
            raise CommandError(f"--{name.replace('_', '-')} must be >= 1")
    if args.arch is not None:
        from ..train.arch import parse_arch

        parse_arch(args.arch)           # a bad spec is reported before any data is read
    path = Path(args.task)
    if not path.suffix:
        raise CommandError(f"{args.task!r} is neither a built-in task (life, digits) nor a .npz or .csv file")
    table = read_table(path, args.label)
    test_split = 0.2 if args.test_split is None else args.test_split
    if table.x_test is None and test_split:
        rest, test = split_rows(table.x.shape[0], test_split, args.seed, "test")
        table.x_test, table.y_test = table.x[test], table.y[test]
        table.x, table.y = table.x[rest], table.y[rest]
        if table.is_classification and np.unique(table.y).size < 2:
            raise CommandError("after the test split only one class is left for training")
    options = {k: v for k, v in {"arch": args.arch, "epochs": args.epochs, "validation": args.validation,
                                 "seed": args.seed, "lr": args.lr, "batch_size": args.batch_size,
                                 "encode": args.encode, "bits_per_feature": args.bits_per_feature,
                                 "patience": args.patience, "loss": args.loss, "shift": args.shift}.items() if v is not None}
    result = fit(table, FitConfig(**options), progress=not args.quiet, checkpoint=args.checkpoint,
                 resume=args.resume)
    out = args.output or f"{path.stem}.gatecc.npz"
    if hasattr(result.net, "to_arrays"):
        arrays = result.net.to_arrays()
    else:                                    # a conv net: the convnet model format
        from ..convfile import convnet_arrays

        arrays = convnet_arrays(result.net)
    write_output(out, npz_bytes(arrays))
    if args.plot:
        plot_history(result.history, args.plot)
    what = "accuracy" if table.is_classification else "bit accuracy"
    summary = (f"{path.name}: {result.epochs} epochs in {result.seconds:.1f} s (best epoch {result.best_epoch}), "
               f"arch {str(result.net.meta['arch'])}, {result.net.n_inputs} input bits, "
               f"hard validation {what} {result.best_validation:.2%}")
    if result.test_accuracy is not None:
        summary += f", hard test {what} {result.test_accuracy:.2%}"
    print(f"{summary}; saved {out}")
    return 0
