"""``gatecc stats``: inputs, outputs, gates and depth of a model."""

from __future__ import annotations

import json

from .common import CommandError, add_head_arg, add_model_args, add_opt_args, add_quiet_arg, formatter, load_model
from .common import cost_passes, optimised_graph


def register(sub) -> None:
    """Add the ``stats`` subcommand."""
    p = sub.add_parser("stats", help="print inputs, outputs, gates and depth", formatter_class=formatter,
                       description="Lower and optimise MODEL and report its size.  A gate is a 2-input gate\n"
                                   "or a standalone NOT; wires and constants are free.  Depth counts gates.")
    add_model_args(p)
    add_opt_args(p)
    add_head_arg(p)
    add_quiet_arg(p)
    p.add_argument("--target", "-t", metavar="TARGET",
                   help="also report the generated code's size for TARGET (c-embedded: code and RAM bytes, "
                        "measured with gcc -Os for the host and, when installed, arm-none-eabi-gcc for a Cortex-M4)")
    p.add_argument("--json", action="store_true",
                   help="print one JSON object (keys: inputs, outputs, gates, depth, nots, kinds, counters, ...)")
    p.set_defaults(func=run)


def run(args) -> int:
    """Print the statistics."""
    from ..ir.stats import graph_stats

    sizes = None
    args.passes = cost_passes(args)
    if args.target is not None:
        from ..backends import get_target

        target = get_target(args.target)
        if not hasattr(target, "footprint"):
            raise CommandError(f"--target {args.target}: only c-embedded reports code sizes")
    from ..spatial_compile import is_spatial

    model = load_model(args)
    if is_spatial(model):
        return _spatial(args, model)
    graph, passes = optimised_graph(args, model=model)
    st = graph_stats(graph)
    if args.target is not None:
        sizes = target.footprint(target.legalize(graph))
    if args.json:
        data = st.to_dict()
        if sizes is not None:
            data[args.target] = sizes
        data["opt_level"] = args.opt_level if args.passes is None else None
        data["passes"] = [p.name for p in passes]
        print(json.dumps(data, sort_keys=True))
        return 0
    kinds = ", ".join(f"{k} {v}" for k, v in st.kinds.items())
    rows = [
        ("model", args.model),
        ("inputs", st.inputs),
        ("outputs", f"{st.outputs}" + (f" (GroupSum counters: {st.counters})" if st.counters else "")),
        ("gates", f"{st.gates}" + (f"  ({kinds})" if kinds else "")),
        ("depth", st.depth),
        ("pipeline", args.passes if args.passes is not None else f"-O{args.opt_level}"),
    ]
    for label, size in (sizes or {}).items():
        rows.append((f"{label}", f"code bytes {size['code']}, ram bytes {size['ram']} "
                                 f"(stack {size['stack']}, static {size['data']}; {size['compiler']} -Os, "
                                 f"{size['word_bits']}-bit words)"))
    for key, value in rows:
        print(f"{key:<9} {value}")
    return 0


def _spatial(args, model) -> int:
    """A conv net: each stage's optimised graph, gates per position and in all, without unrolling."""
    from ..ir.passes import PipelineError
    from ..spatial_compile import as_program, optimise_program, stage_table

    try:
        program, _ = optimise_program(as_program(model), args.opt_level, args.passes, args.head)
    except PipelineError as exc:
        raise CommandError(str(exc)) from None
    rows = stage_table(program)
    total = sum(r["total"] for r in rows)
    last = program.stages[-1]
    outputs = last.graph.n_outputs if last.kind == "dense" else program.shapes()[-1].size
    if args.json:
        print(json.dumps({"inputs": program.n_inputs, "input_shape": str(program.input), "outputs": outputs,
                          "gates": total, "stages": rows,
                          "opt_level": args.opt_level if args.passes is None else None}, sort_keys=True))
        return 0
    print(f"{'model':<9} {args.model}")
    print(f"{'inputs':<9} {program.n_inputs} ({program.input})")
    print(f"{'outputs':<9} {outputs}")
    print(f"{'gates':<9} {total} (unrolled over every position; the loop form emits each stage's graph once)")
    print(f"{'pipeline':<9} {args.passes if args.passes is not None else f'-O{args.opt_level}'}")
    print(f"{'stage':<6} {'kind':<8} {'src':>3} {'shape':>12} {'positions':>9} {'gates':>8} {'total':>10}")
    for r in rows:
        print(f"{r['stage']:<6} {r['kind']:<8} {r['src']:>3} {r['shape']:>12} {r['positions']:>9} "
              f"{r['gates']:>8} {r['total']:>10}")
    return 0
