"""Bounded windows of an XAG: reconvergence-driven cuts and the cones inside them.

A window of node ``n`` is a cut (a set of leaves separating ``n`` from the
inputs) plus the nodes between the leaves and ``n``.  The cut is grown the
way ABC grows reconvergence-driven cuts: start from ``n``'s fanins and keep
expanding the leaf that adds the fewest new leaves, while at most
``max_leaves`` remain, so the window covers as much reconvergent logic as
the leaf budget allows.  Windows keep expensive local optimisations
(equality saturation, resynthesis) linear in the size of the network.
"""

from __future__ import annotations

from .xag import AND, XAG, XOR


def _is_gate(net: XAG, node: int) -> bool:
    return net.kind[node] in (AND, XOR)


def reconvergent_cut(net: XAG, root: int, max_leaves: int = 8, max_nodes: int = 64) -> tuple[list[int], list[int]]:
    """(leaves, cone nodes in topological order) of a window rooted at ``root``."""
    fa, fb = net.fa, net.fb
    inside = {root}
    leaves = {fa[root] >> 1, fb[root] >> 1}
    while len(inside) < max_nodes:
        best, best_cost = None, None
        for leaf in leaves:
            if not _is_gate(net, leaf):
                continue
            new = {fa[leaf] >> 1, fb[leaf] >> 1} - leaves - inside
            cost = len(new) - 1
            if len(leaves) + cost > max_leaves:
                continue
            if best_cost is None or cost < best_cost or (cost == best_cost and leaf > best):
                best, best_cost = leaf, cost
        if best is None:
            break
        leaves.discard(best)
        inside.add(best)
        leaves |= {fa[best] >> 1, fb[best] >> 1} - inside
    return sorted(leaves), cone_nodes(net, root, set(leaves))


def cone_nodes(net: XAG, root: int, leaves: set[int]) -> list[int]:
    """Nodes from ``leaves`` (exclusive) up to ``root``, fanins first."""
    order: list[int] = []
    seen = set(leaves)
    stack = [(root, False)]
    while stack:
        n, expanded = stack.pop()
        if expanded:
            order.append(n)
            continue
        if n in seen:
            continue
        seen.add(n)
        stack.append((n, True))
        for x in (net.fb[n] >> 1, net.fa[n] >> 1):
            if x not in seen:
                stack.append((x, False))
    return order


def cone_truth_table(net: XAG, root_lit: int, leaves: list[int], cone: list[int]) -> int:
    """Truth table (a Python int of 2**len(leaves) bits) of ``root_lit`` over the leaves."""
    k = len(leaves)
    rows = 1 << k
    full = (1 << rows) - 1
    val: dict[int, int] = {0: 0}
    for i, leaf in enumerate(leaves):
        val[leaf] = sum(1 << m for m in range(rows) if (m >> i) & 1)
    for n in cone:
        a, b = net.fa[n], net.fb[n]
        x = val[a >> 1] ^ (full if a & 1 else 0)
        y = val[b >> 1] ^ (full if b & 1 else 0)
        val[n] = x & y if net.kind[n] == AND else x ^ y
    v = val[root_lit >> 1]
    return v ^ full if root_lit & 1 else v
