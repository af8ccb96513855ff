"""What a pass is, what it reports, and the registry that names passes.

A pass is a small frozen dataclass: its ``name`` is how pipelines and the
command line refer to it and its fields are its options, so
``rewrite{rounds=4}`` in a pipeline string builds ``Rewrite(rounds=4)``.  Calling a
pass returns the new graph and a :class:`PassStats`.
"""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass, field
from typing import ClassVar

from ..graph import Graph
from ..stats import count_gates

#: name -> pass class; filled by :func:`register`.
PASSES: dict[str, type["Pass"]] = {}


@dataclass(frozen=True)
class PassStats:
    """What one pass did: sizes before and after, time, and pass-specific notes."""

    name: str
    gates_before: int
    gates_after: int
    nodes_before: int
    nodes_after: int
    seconds: float
    details: dict = field(default_factory=dict)

    def summary(self) -> str:
        """One human-readable line."""
        extra = "".join(f" {k}={v}" for k, v in self.details.items())
        return (
            f"{self.name:<10} gates {self.gates_before} -> {self.gates_after}"
            f"  nodes {self.nodes_before} -> {self.nodes_after}  {self.seconds * 1000:.1f} ms{extra}"
        )


@dataclass(frozen=True)
class Pass:
    """Base class of all passes; subclasses set ``name`` and implement :meth:`run`."""

    name: ClassVar[str] = ""

    def run(self, graph: Graph) -> tuple[Graph, dict]:
        """Transform ``graph``; return the new graph and pass-specific details."""
        raise NotImplementedError

    def __call__(self, graph: Graph) -> tuple[Graph, PassStats]:
        start = time.perf_counter()
        if graph.luts:   # passes work on 2-input gates: LUT nodes are lowered first
            from ..lut import lower_luts

            graph = lower_luts(graph)
        out, details = self.run(graph)
        out = out.names_from(graph)   # every pass keeps the ports' names
        stats = PassStats(
            name=self.spec(),
            gates_before=count_gates(graph),
            gates_after=count_gates(out),
            nodes_before=graph.n_nodes,
            nodes_after=out.n_nodes,
            seconds=time.perf_counter() - start,
            details=details,
        )
        return out, stats

    def spec(self) -> str:
        """The pipeline spelling of this pass with its non-default options."""
        opts = [
            f"{f.name}={getattr(self, f.name)}"
            for f in dataclasses.fields(self)
            if getattr(self, f.name) != f.default
        ]
        return self.name + ("{" + ",".join(opts) + "}" if opts else "")


def register(cls: type[Pass]) -> type[Pass]:
    """Class decorator: make a pass available by its name."""
    if not cls.name or cls.name in PASSES:
        raise ValueError(f"pass name {cls.name!r} is empty or taken")
    PASSES[cls.name] = cls
    return cls
