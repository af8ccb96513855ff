"""``gatecc lower``: compile a model to source code for a target."""

from __future__ import annotations

import sys

from .common import CommandError, add_head_arg, add_model_args, add_native_args, add_opt_args
from .common import add_quiet_arg, cost_passes, formatter, load_model, native_options, write_output


def register(sub) -> None:
    """Add the ``lower`` subcommand."""
    from ..backends import target_names

    p = sub.add_parser("lower", help="compile a model to source code for a target", formatter_class=formatter,
                       description="Lower MODEL to the gate IR, optimise it and write code for --target.\n\n"
                                   "A model with an input encoder (gatecc train): c, llvm, wgsl, python and c-embedded\n"
                                   "include it (raw floats in); circuit formats (verilog, blif, aiger, ...) get the\n"
                                   "circuit over its encoded bits and a note on standard error.\n\n"
                                   "example: gatecc lower model.npz --target c -O2 -o model.c")
    add_model_args(p)
    p.add_argument("--target", "-t", default="c", choices=target_names(), metavar="TARGET",
                   help=f"what to emit: {', '.join(target_names())} (default c)")
    p.add_argument("-o", "--output", metavar="OUT", help="output file (default: standard output)")
    add_opt_args(p)
    add_head_arg(p)
    add_native_args(p)
    add_quiet_arg(p)
    p.add_argument("--unroll", action="store_true",
                   help="conv models: emit the unrolled flat circuit instead of the loop form (c, llvm and "
                        "wgsl emit each conv/pool stage once, as a loop over positions; other targets always unroll)")
    p.add_argument("--stats", action="store_true", help="print what each pass did to standard error")
    p.add_argument("--print-ir-after-all", action="store_true",
                   help="print the IR text after every pass to standard error")
    p.set_defaults(func=run)


def run(args) -> int:
    """Lower, optimise, legalize, emit and write (through :func:`gatecc.compiler.lower_to_source`)."""
    from ..backends import get_target
    from ..compiler import emit_options, lower_to_source
    from ..ir.passes import PipelineError
    from ..ir.text import print_graph
    from ..progress import wanted

    options = native_options(args, get_target(args.target))
    args.passes = cost_passes(args)

    def show(p, graph, stats):
        sys.stderr.write(f"// ----- IR after {stats.name} -----\n{print_graph(graph)}")

    model = load_model(args)
    target = get_target(args.target)
    from ..spatial_compile import is_spatial, loop_targets, program_source

    if is_spatial(model) and args.target in loop_targets() and not args.unroll:
        try:
            source = program_source(model, args.target, args.opt_level, passes=args.passes, head=args.head,
                                    **options)
        except PipelineError as exc:
            raise CommandError(str(exc)) from None
        write_output(args.output, _with_encoder(args.target, source, model))
        return 0
    if args.unroll and not is_spatial(model):
        raise CommandError("--unroll applies to conv models (spatial programs) only")
    try:
        lowered = lower_to_source(model, args.target, args.opt_level, passes=args.passes,
                                  after_pass=show if args.print_ir_after_all else None,
                                  progress=wanted(args.quiet), head=args.head, **options)
    except PipelineError as exc:
        raise CommandError(str(exc)) from None
    source = _with_encoder(target.name, lowered.source, model)
    # Targets that write more than one file (c-embedded: OUT.c and OUT.h) name the others.
    extra = {}
    if hasattr(target, "companions"):
        if args.output in (None, "-"):
            raise CommandError(f"target {target.name!r} writes a source and a header: give -o OUT{target.suffix}")
        extra = target.companions(lowered.graph, args.output, **emit_options(model, options, args.head))
    if args.stats:
        for st in lowered.passes:
            sys.stderr.write(st.summary() + "\n")
    write_output(args.output, source)
    for path, text in extra.items():
        write_output(path, text)
    return 0


def _with_encoder(target: str, source: str, model) -> str:
    """``source`` with the model's input encoder appended where the target has one; else a note on stderr.

    Dense and conv nets alike: ``gatecc_encode`` turns raw floats into the
    circuit's input bits.  Targets that cannot hold float comparisons (the
    circuit formats) get the circuit alone and one stderr line saying so.
    """
    encoder = getattr(model, "encoder", None)
    if encoder is None:
        return source
    from ..backends.float_entry import encoder_note, with_encoder_source

    note = encoder_note(target, encoder)
    if note is not None:
        sys.stderr.write(f"gatecc lower: {note}\n")
    return with_encoder_source(target, source, encoder)
