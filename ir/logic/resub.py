"""Resubstitution: re-express a node with signals the network already has.

For each node ``n`` (topological order) a reconvergence-driven window of at
most ``max_leaves`` leaves is taken (:mod:`.windows`), and the candidate
*divisors* are the window's nodes outside ``n``'s fanout-free cone, plus the
nodes above them that read only divisors (they cannot lie in ``n``'s
fanout, so using them makes no cycle).  Every divisor and ``n`` are
simulated exhaustively over the leaves (big-int truth tables), so the
window's satisfiability don't-cares (the leaf patterns its internal signals
can never show) are respected; then, cheapest first:

* 0-resub: ``n`` equals a divisor or its complement (saves its whole cone);
* 1-resub: ``n`` is one AND (any polarities) or one XOR of two divisors;
* 2-resub: ``n`` is an AND of three divisor literals, or an AND/OR of one
  literal with the AND of two others.

A replacement is taken when it costs less than the fanout-free cone it
frees (ABC's ``resub``; gains are counted in the pass's cost model).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from . import truth as T
from .exact import COST_MODELS
from .sim import propagate
from .windows import live_windows
from .xag import AND, XAG, XOR


@dataclass
class ResubStats:
    """What a resubstitution sweep did."""

    windows: int = 0
    replaced: int = 0
    gain: int = 0
    by_kind: dict = None    # "0", "1-and", "1-xor", "2-and" -> replacements
    seconds: float = 0.0
    stopped: str = "done"   # or "time limit"

    def __post_init__(self):
        if self.by_kind is None:
            self.by_kind = {}


def _divisors(net: XAG, n: int, leaves: list[int], cone: list[int], mffc: set[int], max_divisors: int):
    """Divisor nodes (leaves first, then fanins-first order) and their truth tables over the leaves."""
    k = len(leaves)
    vals: dict[int, int] = {0: 0}
    for i, leaf in enumerate(leaves):
        vals[leaf] = T.var_table(i, k)
    propagate(net, vals, cone, T.full(k))
    divs = list(leaves) + [x for x in cone if x not in mffc and x != n]
    inside = set(divs)
    i = 0
    while i < len(divs) and len(divs) < max_divisors:
        for f in net.fanouts[divs[i]]:
            if f in inside or f in mffc or f == n or net.dead[f] or net.kind[f] < AND:
                continue
            if (net.fa[f] >> 1) in inside and (net.fb[f] >> 1) in inside:
                propagate(net, vals, (f,), T.full(k))
                divs.append(f)
                inside.add(f)
                if len(divs) >= max_divisors:
                    break
        i += 1
    return divs, vals


def _find(t: int, full: int, divs: list[int], vals: dict, budget: int, xor_cost: int):
    """(kind, cost, build) of the cheapest resubstitution of table ``t`` costing less than ``budget``."""
    lit_of: dict[int, int] = {0: 0, full: 1}
    for d in divs:
        v = vals[d]
        lit_of.setdefault(v, 2 * d)
        lit_of.setdefault(v ^ full, 2 * d + 1)
    if t in lit_of:
        return "0", 0, lambda net: lit_of[t]
    if budget <= 1:
        return None
    # One gate.  AND: both operand literals must cover t (or ~t, complementing the output).
    for neg in (0, 1):
        target = t ^ (full if neg else 0)
        cover = [(v, lit) for v, lit in lit_of.items() if target & ~v == 0 and v != target]
        for i, (v1, l1) in enumerate(cover):
            for v2, l2 in cover[i + 1:]:
                if v1 & v2 == target:
                    return "1-and", 1, lambda net, a=l1, b=l2, c=neg: net.and_(a, b) ^ c
    if xor_cost < budget:
        for v, lit in lit_of.items():
            other = lit_of.get(t ^ v)
            if other is not None and other >> 1 != lit >> 1:
                return "1-xor", xor_cost, lambda net, a=lit, b=other: net.xor(a, b)
    if budget <= 2:
        return None
    # Two ANDs: t (or ~t) = u1 & (u2 & u3), or u1 & ~(u2 & u3) style through complements of the pair.
    for neg in (0, 1):
        target = t ^ (full if neg else 0)
        cover = [(v, lit) for v, lit in lit_of.items() if target & ~v == 0 and v != target]
        if len(cover) > 60:
            cover = cover[:60]
        pairs: dict[int, tuple[int, int]] = {}
        for i, (v1, l1) in enumerate(cover):
            for v2, l2 in cover[i + 1:]:
                pairs.setdefault(v1 & v2, (l1, l2))
        for v1, l1 in cover:
            for pv, (a, b) in pairs.items():
                if v1 & pv == target and l1 not in (a, b):
                    return "2-and", 2, lambda net, x=l1, a=a, b=b, c=neg: net.and_(x, net.and_(a, b)) ^ c
    return None


def resubstitute(net: XAG, max_leaves: int = 8, max_divisors: int = 150, time_limit: float | None = None,
                 cost: str = "gates") -> ResubStats:
    """Resubstitute every node in place where it pays (see the module docstring)."""
    _, xor_cost = COST_MODELS[cost]
    start = time.perf_counter()
    stats = ResubStats()
    for n, leaves, cone in live_windows(net, stats, start, time_limit, max_leaves, 8 * max_leaves):
        mffc_list = net.deref(n, set(leaves))
        saved = sum(1 if net.kind[x] == AND else xor_cost for x in mffc_list)
        mffc = set(mffc_list)
        net.reref(mffc_list)
        stats.windows += 1
        k = len(leaves)
        divs, vals = _divisors(net, n, leaves, cone, mffc, max_divisors)
        found = _find(vals[n], T.full(k), divs, vals, saved, xor_cost)
        if found is None:
            continue
        kind, added, make = found
        first_new = net.n_nodes
        lit = make(net)
        if lit >> 1 == n:
            continue
        net.replace(n, lit)
        for x in range(first_new, net.n_nodes):
            net.kill_if_unused(x)
        stats.replaced += 1
        stats.gain += saved - added
        stats.by_kind[kind] = stats.by_kind.get(kind, 0) + 1
    stats.seconds = time.perf_counter() - start
    return stats
