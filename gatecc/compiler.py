"""The pipeline behind ``gatecc.compile`` and ``gatecc lower``.

model (LogicNet, Graph or path) -> lower -> optimise (-O level) -> legalize ->
target: source text, and for runnable targets a :class:`CompiledNet`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

import numpy as np

from .errors import InputError, ModelError, TargetError
from .ir.graph import Graph
from .ir.passes import PassStats, opt_pipeline, parse_pipeline, run_pipeline
from .ir.verify import verify
from .lower import lower
from .model import LogicNet

DEFAULT_TARGET = "c"


def to_graph(model) -> Graph:
    """The gate graph of a LogicNet, a Graph, a conv net, a CA model (its per-cell circuit) or a model file path."""
    if isinstance(model, (str, os.PathLike)):
        from .load import load

        model = load(model)
    if isinstance(model, LogicNet):
        return lower(model)
    if isinstance(model, Graph):
        return verify(model)
    from .spatial_compile import as_program, is_spatial

    if is_spatial(model):                       # a conv net / spatial program: its flat, unrolled graph
        from .ir.spatial.unroll import unroll

        return unroll(as_program(model))
    from .lutnet import LutNet

    if isinstance(model, LutNet):
        return verify(model.to_graph())
    from .ca.model import CAModel

    if isinstance(model, CAModel):              # a cellular automaton: its per-cell circuit (docs/ca.md)
        return verify(model.kernel_graph())
    raise ModelError(f"cannot compile a {type(model).__name__}; expected a LogicNet, a Graph, a CA model or a path")


@dataclass
class Lowered:
    """A model taken through the pipeline up to source text."""

    graph: Graph                     # optimised and legal
    source: str
    target: str
    opt_level: int
    passes: list[PassStats] = field(default_factory=list)


def with_head(graph: Graph, head) -> Graph:
    """``graph`` with its GroupSum counts read through ``head`` (see :mod:`gatecc.ir.passes.heads`).

    ``head`` is None (the model's own outputs), "counts", "argmax" or
    "threshold:T"; a head that is unknown, malformed or given for a model
    without counts is a :class:`ModelError`.
    """
    from .ir.passes.heads import HeadError, apply_head

    try:
        return apply_head(graph, head)
    except HeadError as exc:
        raise ModelError(str(exc)) from None


def lower_to_source(model, target: str = DEFAULT_TARGET, opt_level: int = 2, after_pass=None, cache: bool = True,
                    passes: str | None = None, progress=False, head=None, **options) -> Lowered:
    """Lower, optimise, legalize and emit ``model`` for ``target``.

    ``head`` (None, "counts", "argmax", "threshold:T") builds the decision
    made from GroupSum counts into the circuit before it is optimised.

    With ``cache`` (and no ``after_pass`` to call), a net lowered before with
    the same target, level and options is read back from the on-disk cache
    (:mod:`gatecc.cache`) instead of being optimised again.  ``passes``, a
    pipeline text such as ``'fold,cse,dce'``, replaces ``opt_level``'s
    pipeline (a bad one raises :class:`gatecc.ir.passes.PipelineError`).
    ``progress=True`` draws a bar over the passes and the emit on stderr
    when it is a terminal (a :class:`gatecc.progress.Progress` continues
    that bar).
    """
    from . import cache as disk
    from .progress import Progress
    from .backends import get_target

    tgt = get_target(target)
    if opt_level not in (0, 1, 2, 3):
        raise TargetError(f"optimisation level must be 0, 1, 2 or 3, not {opt_level}")
    if isinstance(model, (str, os.PathLike)):
        from .load import load

        model = load(model)
    options = emit_options(model, options, head)
    tgt.check(options)
    pipeline = opt_pipeline(opt_level) if passes is None else parse_pipeline(passes)
    raw = with_head(to_graph(model), head)
    level_key = opt_level if passes is None else f"passes={passes}"
    key = disk.lowered_key(raw, target, level_key, options) if cache and after_pass is None else None
    hit = disk.load_lowered(key) if key else None
    if hit is not None:
        graph, source, stats = hit
        return Lowered(graph, source, target, opt_level, stats)
    bar = progress if isinstance(progress, Progress) else Progress([], f"gatecc {target}", enabled=bool(progress))
    bar.add([p.spec() for p in pipeline] + [f"emit {target}"])

    def after(p, graph, st):
        bar.step()
        if after_pass is not None:
            after_pass(p, graph, st)

    try:
        graph, stats = run_pipeline(raw, pipeline, after_pass=after)
        graph = tgt.legalize(graph)
        lowered = Lowered(graph, tgt.emit(graph, **options), target, opt_level, stats)
        bar.step()
    finally:
        if bar is not progress:
            bar.close()
    if key:
        disk.store_lowered(key, graph, lowered.source, stats)
    return lowered


def emit_options(model, options: dict | None = None, head=None) -> dict:
    """``options`` plus what the model knows and the graph does not: its encoder and GroupSum head.

    Targets receive ``encoder`` (a :class:`gatecc.encoder.ThermometerEncoder`)
    for a model with an input encoder, so a target that can emit the
    comparisons (c-embedded's ``gatecc_eval1_f``) does, and ``groupsum`` (a
    :class:`GroupSum`) for a LogicNet with a head, so exports can record tau,
    which only scales the counts (not when a decision ``head`` other than
    "counts" replaces the counts).
    """
    out = dict(options or {})
    if getattr(model, "encoder", None) is not None:
        out.setdefault("encoder", model.encoder)
    if head not in (None, "counts"):
        return out
    if getattr(model, "groupsum", None) is not None and not isinstance(model, Graph):   # LogicNet or LutNet
        out.setdefault("groupsum", model.groupsum)
    return out


class CompiledNet:
    """A compiled net.  Call it on a (batch, n_inputs) bool or 0/1 array.

    Returns uint8 bits (batch, n_outputs), or int32 counts (batch, k) for a
    GroupSum head.  ``source`` is the generated code, ``graph`` the optimised
    IR, ``passes`` the statistics of each pass.
    """

    def __init__(self, lowered: Lowered, kernel, layout, head=None, float_entry=None, encoder=None):
        self.head = head
        self.target = lowered.target
        #: The net's input encoder (None: the net takes bits), and its compiled float entry point.
        self.encoder = encoder
        self.float_entry = float_entry
        self.opt_level = lowered.opt_level
        self.graph = lowered.graph
        self.source = lowered.source
        self.passes = lowered.passes
        self.layout = layout
        self._kernel = kernel

    @property
    def n_inputs(self) -> int:
        """Input bits per sample."""
        return self.graph.n_inputs

    @property
    def n_outputs(self) -> int:
        """Outputs per sample (bits, or GroupSum counts)."""
        return self.graph.n_outputs

    def __call__(self, x) -> np.ndarray:
        if self.encoder is not None:
            return self._call_features(x)
        return self.run_bits(x)

    def _call_features(self, x) -> np.ndarray:
        """Raw (batch, n_features) features: encoded by the generated float entry point, then run."""
        if self.float_entry is None:
            raise TargetError(f"target {self.target!r} has no float entry point for the net's input encoder "
                              "(c, llvm and wgsl have one); call run_bits(net.encoder.encode(x)) instead")
        planes = self.float_entry.planes(x)
        return self.layout.decode(self.run_planes(planes), np.asarray(x).shape[0])

    def run_bits(self, x) -> np.ndarray:
        """Run on input bits (batch, n_inputs), bypassing any input encoder."""
        x = np.asarray(x)
        if x.ndim != 2 or x.shape[1] != self.n_inputs:
            raise InputError(f"expected inputs of shape (batch, {self.n_inputs}), got {x.shape}")
        if x.dtype != np.bool_:
            if x.dtype.kind not in "iuf":
                raise InputError(f"inputs must be bool or 0/1 numbers, not {x.dtype}")
            if x.size and not np.isin(x, (0, 1)).all():
                raise InputError("inputs must be 0 or 1")
        batch = x.shape[0]
        if batch == 0:
            dtype = np.uint8 if all(k == "bit" for k, _, _ in self.layout.outputs) else np.int32
            return np.zeros((0, self.n_outputs), dtype=dtype)
        # A bool array is read in place (its bytes are 0 or 1); anything else is converted once.
        return self._kernel.run_samples(x if x.dtype == np.bool_ else x.astype(np.uint8), self.layout)

    def predict(self, x) -> np.ndarray:
        """The class of each row, (batch,) int32: the argmax of the GroupSum counts, ties to the lowest.

        Compiled with ``head="argmax"`` the circuit computes the class itself;
        compiled with counts (the default for a GroupSum net) numpy takes the
        argmax of the counts.  Any other net has no classes: :class:`ModelError`.
        """
        from .ir.passes.heads import parse_head

        head = parse_head(self.head)
        kinds = [kind for kind, _, _ in self.layout.outputs]
        if head is not None and head.kind == "argmax":
            return self(x)[:, 0]
        if (head is None or head.kind == "counts") and kinds and all(k == "count" for k in kinds):
            y = self(x)
            return y.argmax(axis=1).astype(np.int32) if y.shape[0] else np.zeros(0, np.int32)
        raise ModelError(f"predict needs a GroupSum net compiled with counts or head='argmax' "
                         f"(this one has head {head.spec() if head else None!r} and {len(kinds)} {kinds[0] if kinds else 'bit'} outputs)")

    @property
    def threads(self) -> int:
        """Threads one call may use (settable; 1 for kernels that do not thread)."""
        return getattr(self._kernel, "threads", 1)

    @threads.setter
    def threads(self, n: int) -> None:
        if not hasattr(self._kernel, "threads"):
            raise TargetError(f"target {self.target!r} does not run on threads")
        self._kernel.threads = n

    def run_planes(self, planes: np.ndarray) -> np.ndarray:
        """The packed API, for callers that already hold bit planes.

        ``planes`` is a ``(n_inputs, words)`` uint64 array: sample ``j`` is
        bit ``j % 64`` of word ``j // 64`` of each input's row (see
        :mod:`gatecc.ir.planes`: ``pack_bits`` / ``unpack_bits``).  Returns
        ``(len(self.layout.planes), words)`` uint64 output planes: a bit
        output is one plane, a count output is ``width`` planes holding its
        bits, least significant first (``self.layout.outputs`` gives each
        output's kind, first plane and width; ``self.layout.decode`` turns
        planes into the same rows ``__call__`` returns).
        """
        planes = np.asarray(planes)
        if planes.ndim != 2 or planes.shape[0] != self.n_inputs or planes.dtype != np.uint64:
            raise InputError(f"expected uint64 planes of shape ({self.n_inputs}, words), got {planes.dtype} {planes.shape}")
        words = planes.shape[1]
        multiple = self._kernel.word_multiple
        padded = -(-words // multiple) * multiple
        if padded != words:
            planes = np.concatenate([planes, np.zeros((self.n_inputs, padded - words), np.uint64)], axis=1)
        return self._kernel.run(planes)[:, :words]

    def __repr__(self) -> str:
        return f"<CompiledNet target={self.target} -O{self.opt_level} inputs={self.n_inputs} outputs={self.n_outputs}>"


def compile(model, target: str | None = None, opt_level: int = 2, cache: bool = True,  # noqa: A001
            progress: bool = False, head=None, **options) -> CompiledNet:
    """Compile ``model`` (LogicNet, Graph, ConvNet, spatial Program, CA model or path) for ``target`` into a runnable net.

    A CA model (:class:`gatecc.ca.CAModel`) compiles its per-cell circuit: 9C
    inputs in window order, C next-state outputs (docs/ca.md).

    A ConvNet or Program compiles through :func:`gatecc.spatial_compile.compile_spatial`
    (the loop form on c, llvm and wgsl, ``mode="unroll"`` for one flat graph) and
    takes (batch, C, H, W) or (batch, C*H*W) inputs.

    ``target`` defaults to the fastest runnable target available here
    (:func:`gatecc.backends.default_target`).  ``opt_level`` 0-3 picks the
    pass pipeline; ``options`` go to the target (e.g. ``vector_bits``,
    ``threads`` for the native targets).  ``cache=False`` recomputes
    everything instead of reusing the on-disk cache (:mod:`gatecc.cache`).
    ``head`` builds the decision into the circuit: "argmax" returns
    (batch, 1) int32 classes, "threshold:T" (batch, k) uint8 bits ``count > T``.
    ``progress=True`` draws a bar over the passes and the build on stderr
    when stderr is a terminal.
    """
    from .progress import Progress

    from .backends import PlaneLayout, default_target, get_target

    requested = target
    target = target or default_target()
    tgt = get_target(target)
    if not tgt.runnable:
        raise TargetError(f"target {target!r} only emits code (use gatecc lower); it cannot run")
    reason = tgt.available()
    if reason:
        raise TargetError(f"target {target!r} is not available here: {reason}")
    if isinstance(model, (str, os.PathLike)):
        from .load import load

        model = load(model)
    from .spatial_compile import compile_spatial, is_spatial

    if is_spatial(model):                       # conv nets: per-stage passes, then the loop form or unrolled
        return compile_spatial(model, requested or "c", opt_level, head=head, cache=cache, **options)
    bar = Progress([], f"gatecc {target}", enabled=progress)
    try:
        lowered = lower_to_source(model, target, opt_level, cache=cache, progress=bar, head=head, **options)
        bar.skip()                                     # a cache hit did the passes
        bar.add([f"build {target}"])
        kernel = tgt.load(lowered.graph, lowered.source, **options)
        bar.step()
    finally:
        bar.close()
    encoder = getattr(model, "encoder", None)
    entry = None
    if encoder is not None:
        from .backends.float_entry import TARGETS, load_entry

        entry = load_entry(target, encoder) if target in TARGETS else None
    return CompiledNet(lowered, kernel, PlaneLayout.of(lowered.graph), head, entry, encoder)
