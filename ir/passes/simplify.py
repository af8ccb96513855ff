"""The cheap passes: each is one rebuild with some of the builder's rules on.

The algebra itself lives in :class:`gatecc.ir.builder.Builder`; see its
docstring for the exact rules each flag enables.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..builder import Builder, live_nodes, rebuild
from ..graph import Graph
from .base import Pass, register


def _rebuild_with(graph: Graph, **rules) -> Graph:
    flags = dict(fold=False, copyprop=False, cse=False)
    flags.update(rules)
    return rebuild(graph, Builder(graph.n_inputs, **flags))


@register
@dataclass(frozen=True)
class Fold(Pass):
    """Constant folding: constant inputs, f(x, x), and the constant gate ids."""

    name = "fold"

    def run(self, graph):
        return _rebuild_with(graph, fold=True), {}


@register
@dataclass(frozen=True)
class CopyProp(Pass):
    """Copy propagation: wires vanish, NOTs are absorbed or cancelled."""

    name = "copyprop"

    def run(self, graph):
        return _rebuild_with(graph, copyprop=True), {}


@register
@dataclass(frozen=True)
class CSE(Pass):
    """Structural hashing: one node per (op, gate id, ordered fanins)."""

    name = "cse"

    def run(self, graph):
        return _rebuild_with(graph, cse=True), {}


@register
@dataclass(frozen=True)
class DCE(Pass):
    """Dead-code elimination: rebuild only what some output reads."""

    name = "dce"

    def run(self, graph):
        dead = int(graph.n_nodes - live_nodes(graph).sum())
        if dead == 0:
            return graph, {"removed": 0}
        return rebuild(graph, Builder.raw(graph.n_inputs), live_only=True), {"removed": dead}


@register
@dataclass(frozen=True)
class Canonicalize(Pass):
    """All builder rules at once plus DCE, repeated until nothing changes.

    ``rounds`` bounds the repetitions (each is one linear rebuild).
    """

    name = "canon"
    rounds: int = 4

    def run(self, graph):
        done = 0
        for done in range(1, self.rounds + 1):
            new = rebuild(graph, Builder(graph.n_inputs), live_only=True)
            if new == graph:
                break
            graph = new
        return graph, {"rounds": done}
