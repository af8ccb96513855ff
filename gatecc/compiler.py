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
    """The gate graph of a LogicNet, a Graph, or a model file path."""
    if isinstance(model, (str, os.PathLike)):
        from .load import load

        model = load(model)
    if isinstance(model, LogicNet):
        return lower(model)
    if isinstance(model, Graph):
        return verify(model)
    raise ModelError(f"cannot compile a {type(model).__name__}; expected a LogicNet, a Graph or a path")


@dataclass
class Lowered:
    """A model taken through the pipeline up to source text."""

    graph: Graph                     # optimised and legal
    source: str
    target: str
    opt_level: int
    passes: list[PassStats] = field(default_factory=list)


def lower_to_source(model, target: str = DEFAULT_TARGET, opt_level: int = 2, after_pass=None, cache: bool = True,
                    passes: str | None = None, progress=False, **options) -> Lowered:
    """Lower, optimise, legalize and emit ``model`` for ``target``.

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
    options = emit_options(model, options)
    tgt.check(options)
    pipeline = opt_pipeline(opt_level) if passes is None else parse_pipeline(passes)
    raw = to_graph(model)
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


def emit_options(model, options: dict | None = None) -> dict:
    """``options`` plus what the model knows and the graph does not: its GroupSum head.

    Targets receive ``groupsum`` (a :class:`GroupSum`) for a LogicNet with a
    head, so exports can record tau, which only scales the counts.
    """
    out = dict(options or {})
    if isinstance(model, LogicNet) and model.groupsum is not None:
        out.setdefault("groupsum", model.groupsum)
    return out


class CompiledNet:
    """A compiled net.  Call it on a (batch, n_inputs) bool or 0/1 array.

    Returns uint8 bits (batch, n_outputs), or int32 counts (batch, k) for a
    GroupSum head.  ``source`` is the generated code, ``graph`` the optimised
    IR, ``passes`` the statistics of each pass.
    """

    def __init__(self, lowered: Lowered, kernel, layout):
        self.target = lowered.target
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
            progress: bool = False, **options) -> CompiledNet:
    """Compile ``model`` (LogicNet, Graph or path) for ``target`` into a runnable net.

    ``target`` defaults to the fastest runnable target available here
    (:func:`gatecc.backends.default_target`).  ``opt_level`` 0-3 picks the
    pass pipeline; ``options`` go to the target (e.g. ``vector_bits``,
    ``threads`` for the native targets).  ``cache=False`` recomputes
    everything instead of reusing the on-disk cache (:mod:`gatecc.cache`).
    ``progress=True`` draws a bar over the passes and the build on stderr
    when stderr is a terminal.
    """
    from .progress import Progress

    from .backends import PlaneLayout, default_target, get_target

    target = target or default_target()
    tgt = get_target(target)
    if not tgt.runnable:
        raise TargetError(f"target {target!r} only emits code (use gatecc lower); it cannot run")
    reason = tgt.available()
    if reason:
        raise TargetError(f"target {target!r} is not available here: {reason}")
    bar = Progress([], f"gatecc {target}", enabled=progress)
    try:
        lowered = lower_to_source(model, target, opt_level, cache=cache, progress=bar, **options)
        bar.skip()                                     # a cache hit did the passes
        bar.add([f"build {target}"])
        kernel = tgt.load(lowered.graph, lowered.source, **options)
        bar.step()
    finally:
        bar.close()
    return CompiledNet(lowered, kernel, PlaneLayout.of(lowered.graph))
