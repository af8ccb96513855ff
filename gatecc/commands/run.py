"""``gatecc run``: compile a model and evaluate it on inputs."""

from __future__ import annotations

from .common import CommandError, add_head_arg, add_model_args, add_native_args, add_opt_args
from .common import add_quiet_arg, formatter, load_model, native_options, write_output


def register(sub) -> None:
    """Add the ``run`` subcommand."""
    from ..backends import target_names

    p = sub.add_parser("run", help="compile a model and evaluate it on inputs", formatter_class=formatter,
                       description="Compile MODEL and print its outputs, one line per input row\n"
                                   "('input bits -> output bits', or GroupSum counts).  With no --input\n"
                                   "or --npy, every input of a model with at most 20 inputs is shown.")
    add_model_args(p)
    p.add_argument("--target", "-t", choices=target_names(), metavar="TARGET",
                   help="the target to run on (default: the fastest available here)")
    add_opt_args(p, passes=False)
    add_head_arg(p)
    add_native_args(p, threads=True)
    add_quiet_arg(p)
    p.add_argument("--input", "-i", action="append", metavar="BITS",
                   help="one input row as a string of 0/1, input 0 first (repeatable)")
    p.add_argument("--npy", metavar="FILE", help="a (batch, n_inputs) 0/1 .npy array of inputs; for a net with an input encoder (format v2), "
                        "a (batch, n_features) array of raw features")
    p.add_argument("--unroll", action="store_true",
                   help="conv models: run the unrolled flat circuit instead of the loop form")
    p.add_argument("-o", "--output", metavar="OUT", help="write the outputs as a .npy array instead of printing")
    p.set_defaults(func=run)


def _parse_bits(text: str, n: int) -> list[int]:
    bits = text.strip().replace("_", "")
    if len(bits) != n or set(bits) - {"0", "1"}:
        raise CommandError(f"--input {text!r}: expected {n} characters of 0 and 1")
    return [int(c) for c in bits]


def run(args) -> int:
    """Compile, evaluate and print (or save) the outputs."""
    import io

    import numpy as np

    from ..backends import default_target, get_target
    from ..compiler import compile as compile_net
    from ..ir.evaluate import all_inputs
    from ..progress import wanted

    target = args.target or default_target()
    options = native_options(args, get_target(target))
    from ..spatial_compile import is_spatial

    model = load_model(args)
    if args.unroll:
        if not is_spatial(model):
            raise CommandError("--unroll applies to conv models (spatial programs) only")
        options["mode"] = "unroll"
    net = compile_net(model, target=target, opt_level=args.opt_level, head=args.head,
                      progress=wanted(args.quiet),
                      **options)
    n = net.n_inputs
    if args.npy:
        from ..files import read_npy

        x = read_npy(args.npy)  # bounded like a model file: a hostile .npy is one clean error too
    elif args.input:
        x = np.array([_parse_bits(t, n) for t in args.input], dtype=np.uint8)
    else:
        if n > 20:
            raise CommandError(f"the model has {n} inputs; give --input or --npy (all inputs only up to 20)")
        x = all_inputs(n)
    # A net with an input encoder takes raw features from --npy; bit strings and all inputs are its bits.
    if is_spatial(model):
        y = net(x)                             # (batch, C, H, W) from --npy, or flat bit rows
        x = x.reshape(len(x), -1)
    else:
        y = net(x) if (args.npy and net.encoder is not None) else net.run_bits(x)
    if args.output:
        buf = io.BytesIO()
        np.save(buf, y, allow_pickle=False)
        write_output(args.output, buf.getvalue())
        return 0
    sep = "" if y.dtype == np.uint8 else " "
    lines = [
        "".join(str(int(v)) for v in row_in) + " -> " + sep.join(str(int(v)) for v in row_out)
        for row_in, row_out in zip(x, y)
    ]
    write_output(None, "\n".join(lines) + "\n")
    return 0
