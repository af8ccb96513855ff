"""``gatecc verify``: prove two circuits or models equal, or show where they differ."""

from __future__ import annotations

import json

from .common import formatter

EXIT_EQUAL, EXIT_DIFFERENT = 0, 1


#: One line in ``gatecc --help``.
SUMMARY = "prove two circuits or models equal (or print a counterexample)"

#: ``gatecc verify --help``: what it does, then examples.
DESCRIPTION = """\
Prove that A and B compute the same function of their inputs.  Up to 20 inputs
every input row is evaluated; wider circuits are decided by SAT sweeping: a
structurally hashed miter, random simulation, then candidate equal nodes
proved from the inputs up by one incremental SAT solver (CaDiCaL through
python-sat) with escalating conflict budgets, counterexamples fed back into
simulation (docs/verify.md).  When they differ, an input row (checked with
the reference evaluator) and both outputs are printed.  A and B may be any
loadable files (.npz, .gir, .aig, ...); GroupSum counts compare as numbers.

exit status: 0 equal, 1 different, 2 bad input

example: gatecc verify model.npz model.aig"""


def register(sub) -> None:
    """Add the ``verify`` subcommand."""
    from ..load import format_names

    p = sub.add_parser("verify", help=SUMMARY, formatter_class=formatter, description=DESCRIPTION)
    p.add_argument("a", metavar="A", help="first circuit or model file")
    p.add_argument("b", metavar="B", help="second circuit or model file")
    p.add_argument("--from-a", dest="fmt_a", metavar="FORMAT", choices=format_names(),
                   help=f"read A as this format instead of guessing from its extension ({', '.join(format_names())})")
    p.add_argument("--from-b", dest="fmt_b", metavar="FORMAT", choices=format_names(),
                   help="read B as this format")
    p.add_argument("--head", dest="head_a", metavar="HEAD",
                   help="read A's GroupSum counts through this decision head (argmax, threshold:T, counts), "
                        "e.g. to prove a circuit compiled with --head against its model")
    p.add_argument("--head-b", dest="head_b", metavar="HEAD", help="the same for B")
    p.add_argument("--method", choices=("auto", "exhaustive", "sat"), default="auto",
                   help="auto (default): exhaustive up to 20 inputs, SAT beyond; or force one")
    p.add_argument("--json", action="store_true",
                   help="print one JSON object (keys: equal, method, inputs, outputs, seconds, counterexample)")
    p.set_defaults(func=run)


def run(args) -> int:
    """Load both, decide, print the verdict; the exit status says it too."""
    from ..load import load
    from ..verify import equivalent

    result = equivalent(load(args.a, args.fmt_a), load(args.b, args.fmt_b), method=args.method,
                        head_a=args.head_a, head_b=args.head_b)
    cex = result.counterexample
    if args.json:
        data = {"equal": result.equal, "method": result.method, "inputs": result.n_inputs,
                "outputs": result.n_outputs, "seconds": round(result.seconds, 3), "counterexample": None}
        if cex is not None:
            data["counterexample"] = {"inputs": cex.bits(), "output": cex.output,
                                      "a": list(cex.outputs_a), "b": list(cex.outputs_b)}
        print(json.dumps(data, sort_keys=True))
    elif cex is None:
        print(f"equal: {args.a} and {args.b} ({result.n_inputs} inputs, {result.n_outputs} outputs; "
              f"{result.method}, {result.seconds:.2f} s)")
    else:
        print(f"different: {args.a} and {args.b} ({result.method})")
        print(f"  input   {cex.bits()}  (input 0 first)")
        print(f"  A       {_row(cex.outputs_a)}")
        print(f"  B       {_row(cex.outputs_b)}")
        print(f"  first difference at output {cex.output}")
    return EXIT_EQUAL if result.equal else EXIT_DIFFERENT


def _row(values) -> str:
    if all(v in (0, 1) for v in values):
        return "".join(map(str, values))
    return " ".join(map(str, values))
