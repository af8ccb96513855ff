"""Bounded windows of an XAG: reconvergence-driven cuts and the cones inside them.

A window of node ``n`` is a cut (a set of leaves separating ``n`` from the
inputs) plus the nodes between the leaves and ``n``.  The cut is grown the
way ABC grows reconvergence-driven cuts: start from ``n``'s fanins and keep
expanding the leaf that adds the fewest new leaves, while at most
``max_leaves`` remain, so the window covers as much reconvergent logic as
the leaf budget allows.  Windows keep expensive local optimisations
(resubstitution, refactoring, resynthesis) linear in the size of the network.
"""

from __future__ import annotations

from collections import defaultdict

from . import truth as T
from .sim import propagate
from .xag import AND, XAG, XOR


def reconvergent_cut(net: XAG, root: int, max_leaves: int = 8, max_nodes: int = 64) -> tuple[list[int], list[int]]:
    """(leaves, cone nodes in topological order) of a window rooted at ``root``."""
    fa, fb, kind = net.fa, net.fb, net.kind
    inside = {root}
    leaves = {fa[root] >> 1, fb[root] >> 1}
    while len(inside) < max_nodes:
        best, best_cost = -1, 3
        for leaf in leaves:
            if kind[leaf] < AND:
                continue
            x, y = fa[leaf] >> 1, fb[leaf] >> 1
            cost = (x not in leaves and x not in inside) + (y != x and y not in leaves and y not in inside) - 1
            if len(leaves) + cost > max_leaves:
                continue
            if cost < best_cost or (cost == best_cost and leaf > best):
                best, best_cost = leaf, cost
        if best < 0:
            break
        leaves.discard(best)
        inside.add(best)
        for x in (fa[best] >> 1, fb[best] >> 1):
            if x not in inside:
                leaves.add(x)
    return sorted(leaves), cone_nodes(net, root, set(leaves))


def cone_nodes(net: XAG, root: int, leaves: set[int]) -> list[int]:
    """Nodes from ``leaves`` (exclusive) up to ``root``, fanins first."""
    return net.postorder([root], defaultdict(int, dict.fromkeys(leaves, 1)))


def cone_truth_table(net: XAG, root_lit: int, leaves: list[int], cone: list[int]) -> int:
    """Truth table (a Python int of 2**len(leaves) bits) of ``root_lit`` over the leaves."""
    k = len(leaves)
    full = T.full(k)
    val: dict[int, int] = {0: 0}
    for i, leaf in enumerate(leaves):
        val[leaf] = T.var_table(i, k)
    propagate(net, val, cone, full)
    v = val[root_lit >> 1]
    return v ^ full if root_lit & 1 else v


def live_windows(net: XAG, stats, start: float, time_limit: float | None, max_leaves: int, max_nodes: int):
    """Yield ``(node, leaves, cone)`` for each live node in topological order, with its reconvergent cut.

    The one sweep every local pass (resub, refactor, resynth) makes: the order is taken once up
    front and nodes killed by earlier edits are skipped; past ``time_limit`` seconds from ``start`` it sets
    ``stats.stopped = "time limit"`` and stops.
    """
    import time

    for n in net.topological():
        if time_limit is not None and time.perf_counter() - start > time_limit:
            stats.stopped = "time limit"
            return
        if net.dead[n]:
            continue
        leaves, cone = reconvergent_cut(net, n, max_leaves, max_nodes)
        yield n, leaves, cone
