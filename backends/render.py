"""The native targets' shared shell: declared options, emit through a renderer, load = build + bind.

A native target (C, LLVM) supplies two things: :meth:`NativeTarget.render`
(graph -> source, from its templates, walking the shared chunk schedule of
:mod:`.schedule`) and :meth:`NativeTarget.build` (source -> entry points,
through its toolchain).  Everything else (checking the options it declares,
the chunk-size default of :data:`.schedule.CHUNK_NODES`, binding the loaded
module to the runtime and its threads) is here, once.  See docs/backends.md.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..ir.graph import Graph, Op
from .native import NativeKernel
from .schedule import CHUNK_NODES
from .target import Target


def logic_nodes(graph: Graph) -> int:
    """Gates and NOTs of ``graph``: what a toolchain's compile time scales with."""
    return int(np.count_nonzero((graph.op == Op.GATE) | (graph.op == Op.NOT)))


@dataclass(frozen=True)
class NativeTarget(Target):
    """A target whose code runs on the native runtime (bit-parallel vector words, threads)."""

    def render(self, graph: Graph, vector_bits: int | None, chunk_nodes: int) -> str:
        """The source for the legal ``graph`` (the target's templates)."""
        raise NotImplementedError

    def build(self, graph: Graph, source: str, options: dict):
        """(address_of(name), runtime_run(vector_bits), keepalive) of the compiled ``source``."""
        raise NotImplementedError

    def emit(self, graph: Graph, **options) -> str:
        self.check(options)
        return self.render(graph, options.get("vector_bits"), options.get("chunk_nodes", CHUNK_NODES[self.name]))

    def load(self, graph: Graph, source: str, **options) -> NativeKernel:
        self.check(options)
        address_of, runtime_run, keepalive = self.build(graph, source, options)
        return NativeKernel.bind(address_of, graph, runtime_run, keepalive=keepalive, threads=options.get("threads"))
