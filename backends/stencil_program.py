"""Compiling a spatial program: each Conv / OrPool stage once, as a loop over output positions.

A program's values (the input map and each stage's result) are bit planes of
one *word of samples* (a vector word in C, a u32 in WGSL): value ``v`` of
shape ``(C, *spatial)`` is ``C * prod(spatial)`` planes in the channel-major
order of :mod:`gatecc.ir.spatial.program`, plus one all-zero plane at the end
(what padded reads of a zero-boundary Conv read).  A Conv stage is a loop over
its output positions: per position the index of every window entry's input
plane is computed (wrapped for the torus, the zero plane outside a zero
boundary) and the kernel graph runs through the shared chunk renderer with
its inputs read through that index table, its outputs written at the
position; so the code is the size of the kernel, whatever the size of the
image.  OrPool is a loop ORing window planes, Flatten renumbers nothing (the
same buffer), Or is a loop of ORs, Dense is the ordinary chunk schedule of
its graph.  :func:`plan` lays the buffers out once for every target; the
emitters are :mod:`.stencil_program_c` and :mod:`.stencil_program_wgsl`.
"""

from __future__ import annotations

from dataclasses import dataclass
from math import prod
from typing import NamedTuple

import numpy as np

from ..errors import InputError, ModelError
from ..ir.graph import Graph
from .target import PlaneLayout, legalize

class Buffer(NamedTuple):
    """Where one value's planes live: ``planes`` planes from ``offset`` (in planes), its zero plane after them."""

    offset: int
    planes: int


@dataclass(frozen=True)
class Plan:
    """The shapes, buffers and legal graphs of a program (what every emitter starts from)."""

    program: object
    shapes: tuple
    buffers: tuple[Buffer, ...]        # per value
    graphs: tuple[Graph | None, ...]   # per stage: the legal kernel / dense graph, else None
    total_planes: int

    @property
    def n_inputs(self) -> int:
        """Input bits per sample."""
        return self.shapes[0].size

    @property
    def last(self) -> Buffer:
        """The result's buffer."""
        return self.buffers[-1]

    @property
    def out_layout(self) -> PlaneLayout | None:
        """The output planes of a final Dense stage (counts included); None for a map-valued result."""
        st = self.program.stages[-1] if self.program.stages else None
        return PlaneLayout.of(self.graphs[-1]) if st is not None and st.kind == "dense" else None

    @property
    def out_planes(self) -> int:
        """Planes of the result."""
        layout = self.out_layout
        return len(layout.planes) if layout is not None else self.last.planes


def plan(program) -> Plan:
    """Buffers of every value of ``program``, after ``ir.spatial.verify_program`` checked it."""
    from ..ir.spatial.verify import verify_program

    verify_program(program)
    shapes = program.shapes()
    buffers: list[Buffer] = [Buffer(0, shapes[0].size)]
    graphs: list[Graph | None] = []
    top = shapes[0].size + 1
    for i, st in enumerate(program.stages):
        graph = legalize(st.kernel if st.kind == "conv" else st.graph) if st.kind in ("conv", "dense") else None
        graphs.append(graph)
        if st.kind == "conv" and any(graph.is_count(o) for o in graph.outputs):
            raise ModelError(f"stage {i}: a Conv kernel's outputs are bits (channels), not counts")
        if st.kind == "dense" and i + 1 < len(program.stages) and any(graph.is_count(o) for o in graph.outputs):
            raise ModelError(f"stage {i}: a Dense stage with count outputs must be the last stage")
        if st.kind == "flatten":
            buffers.append(buffers[st.src])             # the same bits, renumbered by nothing
            continue
        planes = len(PlaneLayout.of(graph).planes) if st.kind == "dense" else shapes[i + 1].size
        buffers.append(Buffer(top, planes))
        top += planes + 1
    return Plan(program, tuple(shapes), tuple(buffers), tuple(graphs), top)


def window_table(st, src_shape) -> tuple[list[int], list[list[int]]]:
    """Per window entry of a Conv: its channel and its offset along each spatial axis."""
    rank = src_shape.rank
    dcs = [int(e[0]) for e in st.window]
    ds = [[int(e[1 + a]) for e in st.window] for a in range(rank)]
    return dcs, ds


class ProgramKernel:
    """A compiled program: :meth:`run` takes (N, n_inputs) 0/1 and returns what ``evaluate_program`` does."""

    def __init__(self, plan_: Plan, runner, source: str, word_bits: int, native=None):
        self.plan, self._run_planes, self.source, self.word_bits = plan_, runner, source, word_bits
        #: A :class:`.native.NativeKernel` (C): rows are packed and decoded in compiled code, not here.
        self.native = native

    def run(self, x) -> np.ndarray:
        """(N, n_inputs) uint8/bool 0/1 -> (N, outputs): Dense outputs (counts int32), or the map's bits uint8."""
        from ..ir.planes import pack_bits, unpack_bits

        x = np.asarray(x)
        n_in = self.plan.n_inputs
        if x.ndim != 2 or x.shape[1] != n_in:
            raise InputError(f"program input must have shape (N, {n_in}), not {x.shape}")
        if x.dtype != bool and (x.dtype.kind not in "ui" or (x.size and (x.max() > 1 or (x.dtype.kind == "i"
                                                                                          and x.min() < 0)))):
            raise InputError("program input must be 0/1 integers or bools")
        batch = x.shape[0]
        if self.native is not None:
            return self.native.run_samples(x, None)
        planes = pack_bits(x.astype(np.uint8))                       # (n_in, words of 64)
        words = planes.shape[1]
        unit = self.word_bits // 64 if self.word_bits >= 64 else 1
        padded = max(unit, -(-words // unit) * unit)
        planes = np.concatenate([planes, np.zeros((n_in, padded - words), np.uint64)], axis=1)
        out = self._run_planes(np.ascontiguousarray(planes), padded)[:, :words]
        layout = self.plan.out_layout
        return layout.decode(out, batch) if layout is not None else unpack_bits(out, batch)

    __call__ = run

    def run_rows(self, x: np.ndarray) -> np.ndarray:
        """:meth:`run` on rows already checked: (N, n_inputs) uint8 0/1, C-contiguous (the native path's input)."""
        if self.native is None:
            return self.run(x)
        return self.native.run_samples(x, None)


def positions(shape) -> int:
    """Spatial positions of a map shape."""
    return prod(shape.spatial)


class ConvGeometry(NamedTuple):
    """Where a Conv reads, with its input copied into a haloed buffer so no read needs a check.

    ``halo[a]`` = (lo, hi) cells added before / after axis ``a`` of the input
    (zeros, or the wrapped map for a torus); ``extent`` the haloed spatial
    size; ``offsets[j]`` the plane offset of window entry ``j`` from a
    position's base plane; ``step[a]`` how far the base moves per output step
    along axis ``a``.  ``padded`` is False when the window never leaves the
    map (the input is read in place).
    """

    halo: tuple[tuple[int, int], ...]
    extent: tuple[int, ...]
    offsets: tuple[int, ...]
    step: tuple[int, ...]
    padded: bool

    @property
    def planes(self) -> int:
        """Planes per channel of the haloed input."""
        return prod(self.extent)


def conv_geometry(st, src, dst) -> ConvGeometry:
    """The :class:`ConvGeometry` of Conv stage ``st`` from map shape ``src`` to ``dst``.

    Output position ``o`` reads input cell ``o * stride - padding + d``; the
    halo makes every such cell an index into the haloed buffer:
    ``o * stride + d + (lo - padding)`` with ``lo - padding + min(d) >= 0``.
    """
    dcs, ds = window_table(st, src)
    halo = []
    for a in range(src.rank):
        lo_d, hi_d = (min(ds[a]), max(ds[a])) if st.window else (0, 0)
        lo = max(0, st.padding[a] - lo_d)
        hi = max(0, (dst.spatial[a] - 1) * st.stride[a] - st.padding[a] + hi_d - (src.spatial[a] - 1))
        halo.append((lo, hi))
    extent = tuple(n + lo + hi for n, (lo, hi) in zip(src.spatial, halo))
    pitch = [prod(extent[a + 1:]) for a in range(src.rank)]
    per_channel = prod(extent)
    offsets = tuple(dc * per_channel + sum((ds[a][j] + halo[a][0] - st.padding[a]) * pitch[a]
                                           for a in range(src.rank)) for j, dc in enumerate(dcs))
    step = tuple(st.stride[a] * pitch[a] for a in range(src.rank))
    return ConvGeometry(tuple(halo), extent, offsets, step, any(lo or hi for lo, hi in halo))


def fused_pools(program) -> dict[int, int]:
    """Conv stages whose OR pool is computed as the conv's outputs are produced: {conv stage: pool stage}.

    A pool fuses when it is the next stage, reads the conv's value, tiles
    it (stride == size, so each conv output feeds one pooled cell) and no
    other stage reads the conv's value: the pre-pool map is then never stored.
    """
    readers: dict[int, int] = {}
    for st in program.stages:
        for v in (st.src, getattr(st, "other", None)):
            if v is not None:
                readers[v] = readers.get(v, 0) + 1
    fused = {}
    stages = program.stages
    for i in range(len(stages) - 1):
        st, nxt = stages[i], stages[i + 1]
        if (st.kind == "conv" and nxt.kind == "orpool" and nxt.src == i + 1 and readers.get(i + 1) == 1
                and tuple(nxt.size) == tuple(nxt.stride)):
            fused[i] = i + 1
    return fused
