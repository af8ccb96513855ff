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

    def __init__(self, plan_: Plan, runner, source: str, word_bits: int):
        self.plan, self._run_planes, self.source, self.word_bits = plan_, runner, source, word_bits

    def run(self, x) -> np.ndarray:
        """(N, n_inputs) uint8/bool 0/1 -> (N, outputs): Dense outputs (counts int32), or the map's bits uint8."""
        from ..ir.planes import pack_bits, unpack_bits

        x = np.asarray(x)
        n_in = self.plan.n_inputs
        if x.ndim != 2 or x.shape[1] != n_in:
            raise InputError(f"program input must have shape (N, {n_in}), not {x.shape}")
        if x.dtype != bool and (x.dtype.kind not in "ui" or (x.size and (x.max() > 1 or x.min() < 0))):
            raise InputError("program input must be 0/1 integers or bools")
        batch = x.shape[0]
        planes = pack_bits(x.astype(np.uint8))                       # (n_in, words of 64)
        words = planes.shape[1]
        unit = self.word_bits // 64 if self.word_bits >= 64 else 1
        padded = max(unit, -(-words // unit) * unit)
        planes = np.concatenate([planes, np.zeros((n_in, padded - words), np.uint64)], axis=1)
        out = self._run_planes(np.ascontiguousarray(planes), padded)[:, :words]
        layout = self.plan.out_layout
        return layout.decode(out, batch) if layout is not None else unpack_bits(out, batch)

    __call__ = run


def positions(shape) -> int:
    """Spatial positions of a map shape."""
    return prod(shape.spatial)
