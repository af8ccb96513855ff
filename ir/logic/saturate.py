"""Equality saturation in bounded windows across an XAG.

Saturating a whole circuit explodes (docs/design.md section 5), so each node gets
a window instead (:mod:`.windows`: a reconvergence-driven cut of at most
``max_leaves`` leaves): the window's cone becomes an e-graph over the gate
language, the runner saturates it within its limits, the DAG-cost extractor
picks the smallest circuit, and that circuit replaces the node when it is
cheaper in place (:func:`.replace.dry_run`: logic that already exists
outside the node's fanout-free cone is free).  The cost per window is
bounded, so the pass is linear in the network.
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field

from ..egraph.egraph import EGraph
from ..egraph.extract import Extracted, ExtractionError, extract
from ..egraph.language import CONST, NOT, VAR
from ..egraph.rules import RULE_SETS
from ..egraph.runner import Runner
from .. import gates as G
from .replace import Implementation, dry_run, replace_node
from .windows import live_windows
from .xag import AND, XAG, XAG_GATE


@dataclass
class SaturateStats:
    """What the windowed saturation did."""

    windows: int = 0
    replaced: int = 0
    gain: int = 0
    stop_reasons: Counter = field(default_factory=Counter)
    merges: Counter = field(default_factory=Counter)
    seconds: float = 0.0
    stopped: str = "done"


def window_egraph(net: XAG, leaves: list[int], cone: list[int]) -> tuple[EGraph, int]:
    """The e-graph of a window (leaf ``i`` is variable ``x<i>``) and the root's class."""
    eg = EGraph()
    cls = {leaf: eg.add((VAR, i)) for i, leaf in enumerate(leaves)}
    cls[0] = eg.add((CONST, 0))
    for n in cone:
        a, b = net.fa[n], net.fb[n]
        g = XAG_GATE[net.kind[n]][a & 1][b & 1][0]
        cls[n] = eg.add((g, cls[a >> 1], cls[b >> 1]))
    return eg, cls[cone[-1]]


def implementation(ex: Extracted, n_leaves: int) -> Implementation:
    """The extracted circuit over inputs 0..n_leaves-1, then constants 0 and 1."""
    index: list[int] = []
    gates: list[tuple[int, int, int]] = []
    base = n_leaves + 2
    for node in ex.nodes:
        op = node[0]
        if op == VAR:
            index.append(node[1])
        elif op == CONST:
            index.append(n_leaves + node[1])
        elif op == NOT:
            gates.append((G.NOT_A, index[node[1]], index[node[1]]))
            index.append(base + len(gates) - 1)
        else:
            gates.append((op, index[node[1]], index[node[2]]))
            index.append(base + len(gates) - 1)
    return Implementation(base, tuple(gates), index[ex.roots[0]])


def saturate_windows(net: XAG, rules: str = "simplify", max_leaves: int = 6, max_nodes: int = 24,
                     iter_limit: int = 4, node_limit: int = 2000, window_time: float = 0.2,
                     min_cone: int = 2, time_limit: float | None = None) -> SaturateStats:
    """One sweep of windowed equality saturation over ``net`` (edited in place)."""
    start = time.perf_counter()
    runner = Runner(RULE_SETS[rules], iter_limit=iter_limit, node_limit=node_limit, time_limit=window_time)
    stats = SaturateStats()
    for n, leaves, cone in live_windows(net, stats, start, time_limit, max_leaves, max_nodes):
        mffc = net.deref(n, set(leaves))
        if len(mffc) < min_cone:
            net.reref(mffc)
            continue
        saved = len(mffc)
        eg, root = window_egraph(net, leaves, cone)
        report = runner.run(eg)
        stats.windows += 1
        stats.stop_reasons[report.stop_reason] += 1
        stats.merges.update(report.merges)
        try:
            ex = extract(eg, [root])
        except ExtractionError:
            net.reref(mffc)
            continue
        impl = implementation(ex, len(leaves))
        inputs = [2 * leaf for leaf in leaves] + [0, 1]
        added, out, _ = dry_run(net, impl, inputs, set(mffc))
        net.reref(mffc)
        gain = saved - added
        if gain > 0 and (out is None or out >> 1 != n) and replace_node(net, n, impl, inputs):
            stats.replaced += 1
            stats.gain += gain
    stats.seconds = time.perf_counter() - start
    return stats
