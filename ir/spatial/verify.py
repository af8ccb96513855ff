"""The spatial-program verifier: every invariant a well-formed :class:`Program` keeps, one clear line per problem.

A program that passes :func:`verify_program` can be evaluated, unrolled,
printed and compiled without any further checks; every error names the
stage (``stage 3 (conv)``) and what is wrong with it.
"""

from __future__ import annotations

from ...errors import ModelError
from ..graph import Graph
from ..verify import IRError, verify
from .program import MapShape, Program, conv_out_size

BOUNDARIES = ("zero", "torus")
#: The most bits one value (one feature map of one sample) may hold: a guard against
#: shapes that no real net has and that would exhaust memory when evaluated.
MAX_MAP_BITS = 1 << 28


class ProgramError(ModelError):
    """A spatial program breaks an invariant; the message names the stage."""


def _ints(values, what: str, *, minimum: int) -> tuple[int, ...]:
    try:
        out = tuple(int(v) for v in values)
    except (TypeError, ValueError):
        raise ProgramError(f"{what} must be a tuple of integers, got {values!r}") from None
    if any(type(v) is bool or int(v) != v for v in values):
        raise ProgramError(f"{what} must be a tuple of integers, got {values!r}")
    if any(v < minimum for v in out):
        raise ProgramError(f"{what} {out} has an entry below {minimum}")
    return out


def _check_shape(shape, what: str) -> MapShape:
    if not isinstance(shape, MapShape):
        raise ProgramError(f"{what}: expected a MapShape, got {type(shape).__name__}")
    _ints((shape.channels,), f"{what} channels", minimum=1)
    _ints(shape.spatial, f"{what} spatial size", minimum=1)
    if shape.size > MAX_MAP_BITS:
        raise ProgramError(f"{what} {shape} holds {shape.size} bits per sample, over the limit {MAX_MAP_BITS}")
    return shape


def _graph(graph, where: str) -> Graph:
    if not isinstance(graph, Graph):
        raise ProgramError(f"{where}: expected a gate graph, got {type(graph).__name__}")
    try:
        verify(graph)
    except IRError as exc:
        raise ProgramError(f"{where}: {exc}") from None
    return graph


def _window_axes(st, src: MapShape, where: str) -> None:
    """size / stride / padding: one entry per spatial axis of the source."""
    if src.rank == 0:
        raise ProgramError(f"{where} reads value {st.src}, a flat vector {src}: it needs a map (flatten comes last)")
    for name in ("size", "stride", "padding"):
        values = _ints(getattr(st, name), f"{where} {name}", minimum=0 if name == "padding" else 1)
        if len(values) != src.rank:
            raise ProgramError(f"{where} {name} {values} has {len(values)} axes; its input {src} has {src.rank}")


def _check_conv(st, src: MapShape, where: str) -> MapShape:
    _window_axes(st, src, where)
    if st.boundary not in BOUNDARIES:
        raise ProgramError(f"{where}: unknown boundary {st.boundary!r} (expected one of {', '.join(BOUNDARIES)})")
    kernel = _graph(st.kernel, f"{where} kernel")
    window = tuple(st.window)
    if kernel.n_inputs != len(window):
        raise ProgramError(f"{where}: the kernel has {kernel.n_inputs} inputs but the window {len(window)} entries")
    if kernel.n_outputs == 0:
        raise ProgramError(f"{where}: the kernel has no outputs (one per output channel)")
    if "count" in kernel.output_kinds():
        k = kernel.output_kinds().index("count")
        raise ProgramError(f"{where}: kernel output {k} is a count; conv outputs are bits (channels)")
    limits = (src.channels, *st.size)
    for j, entry in enumerate(window):
        offs = _ints(entry, f"{where} window entry {j}", minimum=0)
        if len(offs) != 1 + src.rank:
            raise ProgramError(f"{where} window entry {j} {offs} needs {1 + src.rank} offsets (channel, then each axis)")
        for axis, (v, lim) in enumerate(zip(offs, limits)):
            if v >= lim:
                what = "channel" if axis == 0 else f"axis {axis - 1} offset"
                bound = f"the input's {lim} channels" if axis == 0 else f"the receptive field of size {lim}"
                raise ProgramError(f"{where} window entry {j} {offs}: {what} {v} is outside {bound}")
    if st.boundary == "torus":
        if any(s != 1 for s in st.stride):
            raise ProgramError(f"{where}: a torus conv keeps the map size, so its stride must be 1, got {st.stride}")
        return MapShape(kernel.n_outputs, src.spatial)
    return MapShape(kernel.n_outputs, _out_spatial(st, src, where, "receptive field"))


def _out_spatial(st, src: MapShape, where: str, what: str) -> tuple[int, ...]:
    out = []
    for axis, (n, k, s, p) in enumerate(zip(src.spatial, st.size, st.stride, st.padding)):
        if k > n + 2 * p:
            raise ProgramError(f"{where}: the {what} {tuple(st.size)} is larger than the padded input {src} "
                               f"(padding {tuple(st.padding)}) along axis {axis}")
        out.append(conv_out_size(n, k, s, p))
    return tuple(out)


def _check_pool(st, src: MapShape, where: str) -> MapShape:
    _window_axes(st, src, where)
    for k, p in zip(st.size, st.padding):
        if 2 * p > k:
            # torch's rule too: more padding could leave windows that see no cell of the map.
            raise ProgramError(f"{where}: padding {tuple(st.padding)} is more than half the window {tuple(st.size)}")
    return MapShape(src.channels, _out_spatial(st, src, where, "pool window"))


def _src(index, i: int, where: str, name: str = "src") -> int:
    if type(index) is not int or not 0 <= index <= i:
        raise ProgramError(f"{where}: {name}={index!r} is not an earlier value (0 = the input, 1..{i} = stages 0..{i - 1})")
    return index


def verify_program(program: Program) -> None:
    """Raise :class:`ProgramError` (a :class:`~gatecc.errors.ModelError`) unless ``program`` is well formed.

    Checked: the input shape; every stage reads earlier values only, and no
    value holding counts (a dense head's GroupSum) is read again; conv and
    pool axes match their input's rank, sizes fit the padded input, pool
    padding is at most half the window, torus convs have stride 1; each conv
    window entry lies inside the input's channels and the receptive field
    and the kernel has one input per entry and only bit outputs; ``or``
    merges two maps of one shape; a dense graph has one input per bit of
    its source; every graph passes :func:`gatecc.ir.verify.verify`.
    """
    if not isinstance(program, Program):
        raise ProgramError(f"expected a spatial Program, got {type(program).__name__}")
    shapes = [_check_shape(program.input, "the input")]
    if program.input_names is not None and len(program.input_names) != program.input.size:
        raise ProgramError(f"input names: {len(program.input_names)} names for {program.input.size} input bits")
    if not program.stages:
        raise ProgramError("the program has no stages")
    counts = [False]
    for i, st in enumerate(program.stages):
        kind = getattr(st, "kind", None)
        where = f"stage {i} ({kind})"
        if kind not in ("conv", "orpool", "flatten", "or", "dense"):
            raise ProgramError(f"stage {i}: unknown stage {type(st).__name__}")
        reads = [_src(st.src, i, where)] + ([_src(st.other, i, where, "other")] if kind == "or" else [])
        for r in reads:
            if counts[r]:
                raise ProgramError(f"{where} reads value {r}, which holds counts (a GroupSum head must come last)")
        src = shapes[st.src]
        if kind == "conv":
            out = _check_conv(st, src, where)
        elif kind == "orpool":
            out = _check_pool(st, src, where)
        elif kind == "flatten":
            out = MapShape(src.size, ())
        elif kind == "or":
            if shapes[st.other] != src:
                raise ProgramError(f"{where}: cannot OR value {st.src} of shape {src} with value {st.other} "
                                   f"of shape {shapes[st.other]}")
            out = src
        else:
            graph = _graph(st.graph, f"{where} graph")
            if graph.n_inputs != src.size:
                raise ProgramError(f"{where}: the graph has {graph.n_inputs} inputs but value {st.src} "
                                   f"has {src.size} bits ({src})")
            if graph.n_outputs == 0:
                raise ProgramError(f"{where}: the graph has no outputs")
            out = MapShape(graph.n_outputs, ())
        shapes.append(_check_shape(out, f"{where} output"))
        counts.append(kind == "dense" and "count" in st.graph.output_kinds())
