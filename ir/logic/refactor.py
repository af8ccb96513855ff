"""Refactoring: collapse a reconvergent cone to a sum of products and factor it again.

ABC's ``refactor``: for each node, a reconvergence-driven window of up to
~10 leaves is collapsed to its truth table, an irredundant sum of products
is computed (Minato-Morreale ISOP, for the function and for its complement),
the cover is factored algebraically (pull out the literal shared by the most
cubes, recursively) and the factored form replaces the window's fanout-free
part when it is smaller in place.  It finds the two-level structure of
PLA-derived logic that cut rewriting (4 leaves) is too local to see and the
Shannon expansion of :mod:`.resynth` misses.

A cube is a pair of bit masks ``(positive, negative)`` over the leaves.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from .. import gates as G
from . import truth as T
from .replace import Implementation
from .windows import live_windows
from .xag import XAG


class CoverTooLarge(Exception):
    """An ISOP grew past its cube limit."""


def isop(lower: int, upper: int, k: int, top: int | None = None,
         limit: int | None = None, memo: dict | None = None) -> tuple[list[tuple[int, int]], int]:
    """An irredundant cover ``lower <= f <= upper`` of a k-variable function: (cubes, f's table).

    Variables at or above ``top`` (default k) do not occur in ``lower`` or ``upper``.  With
    ``limit``, :class:`CoverTooLarge` is raised as soon as a partial cover has more cubes.
    """
    if lower == 0:
        return [], 0
    full = T.full(k)
    if upper & full == full:
        return [(0, 0)], full
    # The recursion meets the same (lower, upper) pair under many branches of a wide table.
    memo = {} if memo is None else memo
    key = (lower, upper, top)
    if key in memo:
        return memo[key]
    v = (k if top is None else top) - 1
    while v >= 0 and not (T.depends_on(lower, v, k) or T.depends_on(upper, v, k)):
        v -= 1
    x = T.var_table(v, k)
    l0, l1 = T.cofactor(lower, v, 0, k), T.cofactor(lower, v, 1, k)
    u0, u1 = T.cofactor(upper, v, 0, k), T.cofactor(upper, v, 1, k)
    c0, f0 = isop(l0 & ~u1 & full, u0, k, v, limit, memo)
    c1, f1 = isop(l1 & ~u0 & full, u1, k, v, limit, memo)
    rest = (l0 & ~f0 | l1 & ~f1) & full
    cs, fs = isop(rest, u0 & u1, k, v, limit, memo)
    bit = 1 << v
    cubes = [(p, n | bit) for p, n in c0] + [(p | bit, n) for p, n in c1] + cs
    if limit is not None and len(cubes) > limit:
        raise CoverTooLarge
    memo[key] = cubes, (f0 & ~x | f1 & x | fs) & full
    return memo[key]


class _Builder:
    """Emits gates over inputs ``0 .. k-1`` (then the constants) with local hashing."""

    def __init__(self, k: int):
        self.k = k
        self.gates: list[tuple[int, int, int]] = []
        self.table: dict[tuple[int, int, int], int] = {}

    def gate(self, g: int, x: int, y: int) -> int:
        if x > y:
            g, x, y = G.swap_inputs(g), y, x
        key = (g, x, y)
        if key not in self.table:
            self.gates.append(key)
            self.table[key] = self.k + 2 + len(self.gates) - 1
        return self.table[key]

    def balanced(self, g: int, nodes: list[int]) -> int:
        """A balanced tree of gate ``g`` (AND or OR of plain operands) over ``nodes``."""
        while len(nodes) > 1:
            nodes = [self.gate(g, nodes[i], nodes[i + 1]) if i + 1 < len(nodes) else nodes[i]
                     for i in range(0, len(nodes), 2)]
        return nodes[0]


# A factored form: ("lit", var, neg), ("and", [forms]) or ("or", [forms]).
def factor(cubes: list[tuple[int, int]]):
    """Algebraic factoring of a cover by its most frequent literal (no cube is empty)."""
    if len(cubes) == 1:
        p, n = cubes[0]
        return ("and", [("lit", v, 0) for v in _bits(p)] + [("lit", v, 1) for v in _bits(n)])
    counts: dict[tuple[int, int], int] = {}
    for p, n in cubes:
        for v in _bits(p):
            counts[(v, 0)] = counts.get((v, 0), 0) + 1
        for v in _bits(n):
            counts[(v, 1)] = counts.get((v, 1), 0) + 1
    best = max(counts.items(), key=lambda item: (item[1], -item[0][0], -item[0][1]), default=None)
    if best is None or best[1] < 2:
        return ("or", [factor([c]) for c in cubes])
    (v, neg), _ = best
    bit = 1 << v
    with_lit = [(p & ~bit, n) if not neg else (p, n & ~bit) for p, n in cubes if (n if neg else p) & bit]
    without = [c for c in cubes if not ((c[1] if neg else c[0]) & bit)]
    # The quotient shares a common cube when every cube with the literal does: pull it out too.
    common_p = common_n = -1
    for p, n in with_lit:
        common_p &= p
        common_n &= n
    lits = [("lit", v, neg)] + [("lit", u, 0) for u in _bits(common_p)] + [("lit", u, 1) for u in _bits(common_n)]
    rest = [(p & ~common_p, n & ~common_n) for p, n in with_lit]
    # An emptied cube means lit * (1 + ...) = lit; an irredundant cover never has one, but stay exact.
    term = ("and", lits if (0, 0) in rest else lits + [factor(rest)])
    return term if not without else ("or", [term, factor(without)])


def _bits(mask: int) -> list[int]:
    out = []
    while mask:
        low = mask & -mask
        out.append(low.bit_length() - 1)
        mask ^= low
    return out


def _emit(b: _Builder, form) -> tuple[int, int]:
    """(node, complemented) of a factored form; complements stay on edges and become gate ids."""
    tag = form[0]
    if tag == "lit":
        return form[1], form[2]
    parts = [_emit(b, f) for f in form[1]]
    # AND of literals with polarities: fold the polarity of each operand into the gate id.
    return _tree(b, parts, tag == "or")


def _tree(b: _Builder, parts: list[tuple[int, int]], is_or: bool) -> tuple[int, int]:
    """A balanced AND (or OR, by De Morgan: ~AND of complements) over signed operands."""
    parts = [(node, neg ^ is_or) for node, neg in parts]
    while len(parts) > 1:
        nxt = []
        for i in range(0, len(parts) - 1, 2):
            (x, nx), (y, ny) = parts[i], parts[i + 1]
            g = G.gate_of_form(G.SHAPE_AND, nx, ny, 0)
            nxt.append((b.gate(g, x, y), 0))
        if len(parts) % 2:
            nxt.append(parts[-1])
        parts = nxt
    node, neg = parts[0]
    return node, neg ^ is_or


def implementations(tt: int, k: int, care: int | None = None, limit: int | None = None) -> list[Implementation]:
    """Factored ISOP implementations of a k-variable table (of f and of ~f, output complemented).

    A polarity whose cover has more than ``limit`` cubes is left out.
    """
    full = T.full(k)
    care = full if care is None else care
    out = []
    for neg in (0, 1):
        on = (tt ^ (full if neg else 0)) & care
        try:
            cubes, _ = isop(on, on | (~care & full), k, limit=limit)
        except CoverTooLarge:
            continue
        if not cubes:
            out.append(Implementation(k + 2, (), -1, neg))
            continue
        if cubes == [(0, 0)]:
            out.append(Implementation(k + 2, (), -1, 1 ^ neg))
            continue
        b = _Builder(k)
        node, sign = _emit(b, factor(cubes))
        out.append(Implementation(k + 2, tuple(b.gates), node, sign ^ neg))
    return out


@dataclass
class RefactorStats:
    """What a refactoring sweep did."""

    cones: int = 0          # windows collapsed
    replaced: int = 0
    gain: int = 0
    seconds: float = 0.0
    stopped: str = "done"   # or "time limit"


#: Cubes per leaf beyond which a window's cover is not factored.  Never reached by 8 leaves (an ISOP of
#: k variables has at most 2**(k-1) cubes); on wider windows of XOR-rich logic (a 12-input parity has
#: 2048) factoring costs seconds per window and its form is far larger than the window it would replace.
CUBES_PER_LEAF = 16


def _candidates(tt: int, k: int, basis: str) -> list[Implementation]:
    return implementations(tt, k, limit=CUBES_PER_LEAF * k)


def refactor(net: XAG, max_leaves: int = 10, time_limit: float | None = None, cost: str = "gates") -> RefactorStats:
    """Refactor every node's reconvergent window of at most ``max_leaves`` leaves, in topological order, in place."""
    from .resynth import try_window

    start = time.perf_counter()
    stats = RefactorStats()
    cache: dict = {}           # (truth table, leaves) -> implementations: repeated logic is factored once
    for n, leaves, cone in live_windows(net, stats, start, time_limit, max_leaves, 8 * max_leaves):
        if len(leaves) >= 3:
            # A function of all k leaves takes k - 1 gates to rebuild unless they already exist, so
            # a window whose own logic is much smaller than k rarely gains: skip it before factoring
            # (on the corpora this loses no gain and saves two thirds of the time at 12 leaves).
            try_window(net, n, leaves, cone, stats, cache, cost, _candidates, min_saved=max(2, len(leaves) - 3))
    stats.seconds = time.perf_counter() - start
    return stats
