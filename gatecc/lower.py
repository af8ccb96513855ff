"""Lowering: a LogicNet becomes a gate graph, one GATE node per neuron.

Each neuron keeps its argmax gate (ties to the lowest id).  Nothing is
simplified here; the raw graph is what -O0 compiles, and the passes take it
from there.  A GroupSum head becomes one ``popcount`` node per group.
"""

from __future__ import annotations

from .ir.builder import Builder
from .ir.graph import Graph
from .model import LogicNet


def lower(net: LogicNet) -> Graph:
    """The gate graph of ``net``: outputs are its last layer's bits or GroupSum counts."""
    bld = Builder.raw(net.n_inputs)
    prev = list(range(net.n_inputs))
    for layer in net.layers:
        gates, a, b = layer.gate_ids().tolist(), layer.a.tolist(), layer.b.tolist()
        prev = [bld.gate(g, prev[x], prev[y]) for g, x, y in zip(gates, a, b)]
    add_outputs(bld, prev, net.groupsum)
    return bld.finish()


def add_outputs(bld: Builder, last: list[int], groupsum) -> None:
    """The net's outputs from its last layer's nodes: each bit, or one popcount per GroupSum group."""
    if groupsum is None:
        for node in last:
            bld.output(node)
    else:
        size = len(last) // groupsum.k
        for j in range(groupsum.k):
            bld.output(bld.popcount(last[j * size : (j + 1) * size]))
