"""gatecc's gate-graph IR (installed as ``gatecc.ir``).

* :mod:`.gates`: the 16 gates; the id is the truth table.
* :mod:`.graph`: :class:`Graph` and :class:`Op`.
* :mod:`.builder`: :class:`Builder`, which normalises as it builds.
* :mod:`.verify`, :mod:`.text`: the verifier and the text form.
* :mod:`.evaluate`: the reference evaluator, the oracle for everything else.
* :mod:`.passes`: rewrite passes and pipelines.
"""

from .builder import Builder, live_nodes, rebuild
from .evaluate import all_inputs, evaluate, evaluate_samples
from .graph import Graph, Op
from .stats import GraphStats, count_gates, graph_stats
from .text import parse_graph, print_graph
from .verify import IRError, verify

__all__ = [
    "Builder", "Graph", "GraphStats", "IRError", "Op", "all_inputs", "count_gates",
    "evaluate", "evaluate_samples", "graph_stats", "live_nodes", "parse_graph",
    "print_graph", "rebuild", "verify",
]
