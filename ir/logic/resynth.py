"""Resynthesis: collapse a cone with few leaves to its truth table and build it again.

Two constructions are tried for a function of k leaves (k up to ~12), and
the one cheapest *in place* replaces the cone when it beats the cone's
fanout-free part:

* **Shannon with exact leaves**: split on a variable, f = v ? f1 : f0, and
  recognise the cheap cases (f1 = ~f0 is an XOR, a constant cofactor is an
  AND or OR); once a cofactor depends on at most 4 variables, its optimal
  circuit comes from the exact table (:mod:`.exact`), with don't-cares filled
  to minimise it.  Equal sub-functions are built once.
* **Symmetric decomposition**: when the function is symmetric in a group of
  at least 3 variables (exchanging any two of them changes nothing) it only
  depends on how many of them are 1: the group is counted with an adder tree
  and the rest is a function of the count bits and the other variables, with
  don't-cares where the count cannot occur.  Counting circuits (majority,
  thresholds, parity, cellular-automaton rules) collapse this way.

Cones come from two places: maximal nodes whose whole input support is
small (their cone down to the primary inputs), and reconvergence-driven
windows elsewhere.
"""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass

import numpy as np

from .. import gates as G
from ..passes.adders import adder_tree
from . import truth as T
from .exact import COST_MODELS, database
from .npn import npn_table
from .replace import Implementation, dry_run, replace_node
from .windows import cone_nodes, cone_truth_table, live_windows
from .xag import AND, XAG, XOR


class Recorder:
    """Builds an :class:`Implementation` gate by gate, folding and hashing locally.

    Node indices: ``0 .. n_inputs-1`` are the inputs, then the constants 0 and
    1, then gates.  A complement is a NOT gate (id 12), which costs nothing
    once built into a network (the reader absorbs it).
    """

    def __init__(self, n_inputs: int, basis: str = "gates"):
        self.n_inputs = n_inputs
        self.basis = basis            # which exact table small cofactors come from
        self.zero, self.one = n_inputs, n_inputs + 1
        self.gates: list[tuple[int, int, int]] = []
        self.table: dict[tuple[int, int, int], int] = {}
        self.negation: dict[int, int] = {self.zero: self.one, self.one: self.zero}

    def const(self, value: int) -> int:
        """The constant node."""
        return self.one if value else self.zero

    def not_(self, x: int) -> int:
        """The complement of node x (a free NOT)."""
        if x not in self.negation:
            y = self._add(G.NOT_A, x, x)
            self.negation[x] = y
            self.negation[y] = x
        return self.negation[x]

    def gate(self, g: int, x: int, y: int) -> int:
        """Gate id g on nodes x and y."""
        for node, pos in ((x, "a"), (y, "b")):
            if node in (self.zero, self.one):
                v = int(node == self.one)
                bits = G.cofactor_a(g, v) if pos == "a" else G.cofactor_b(g, v)
                other = y if pos == "a" else x
                kind = G.unary_function(bits)
                if kind in ("const0", "const1"):
                    return self.const(int(kind == "const1"))
                return other if kind == "copy" else self.not_(other)
        if x == y:
            kind = G.unary_function(G.on_equal_inputs(g))
            if kind in ("const0", "const1"):
                return self.const(int(kind == "const1"))
            return x if kind == "copy" else self.not_(x)
        if x > y:
            g, x, y = G.swap_inputs(g), y, x
        return self._add(g, x, y)

    def _add(self, g: int, x: int, y: int) -> int:
        key = (g, x, y)
        node = self.table.get(key)
        if node is None:
            self.gates.append(key)
            node = self.n_inputs + 2 + len(self.gates) - 1
            self.table[key] = node
        return node

    def cost(self) -> int:
        """Gates that are real 2-input gates."""
        return sum(1 for g, _, _ in self.gates if g in G.BINARY_GATES)

    def finish(self, out: int) -> Implementation:
        """The implementation whose output is node ``out``."""
        return Implementation(self.n_inputs + 2, tuple(self.gates), out)


def _exact_into(rec: Recorder, tt4: int, inputs: list[int]) -> int:
    """Build the optimal circuit of a 4-variable table on recorder nodes ``inputs`` (4 of them)."""
    circuits, perm, neg, oneg = database().circuits(tt4, rec.basis)
    c = circuits[0]
    if c.out < 0:
        return rec.const(c.out_neg ^ oneg)
    vals = []
    for j in range(4):
        x = inputs[perm[j]]
        vals.append(rec.not_(x) if (neg >> j) & 1 else x)
    for g, a, b in c.gates:
        vals.append(rec.gate(g, vals[a], vals[b]))
    out = vals[c.out]
    return rec.not_(out) if c.out_neg ^ oneg else out


def _fill_small(tt: int, care: int, variables: list[int], k: int, basis: str = "gates") -> int:
    """The cheapest completion (by exact cost) of a function of <= 4 ``variables`` with don't-cares."""
    n = len(variables)
    rows = 1 << n
    value = [None] * rows
    for m in range(rows):
        idx = 0
        for pos, v in enumerate(variables):
            if (m >> pos) & 1:
                idx |= 1 << v
        # Any care point of this row (the other variables do not matter on the care set).
        others = [i for i in range(k) if i not in variables]
        for rest in range(1 << len(others)):
            j = idx
            for pos, v in enumerate(others):
                if (rest >> pos) & 1:
                    j |= 1 << v
            if (care >> j) & 1:
                value[m] = (tt >> j) & 1
                break
    free = [m for m in range(rows) if value[m] is None]
    base = sum(1 << m for m in range(rows) if value[m])
    db, canon = database(), npn_table().canon
    best, best_cost = None, None
    fills = itertools.product((0, 1), repeat=len(free)) if len(free) <= 8 else ((0,) * len(free), (1,) * len(free))
    for fill in fills:
        t = base | sum(1 << m for m, bit in zip(free, fill) if bit)
        t4 = T.expand(t, n, 4)
        cost = db.table[(basis, int(canon[t4]))][0].size
        if best_cost is None or cost < best_cost:
            best, best_cost = t4, cost
    return best


def shannon(rec: Recorder, tt: int, care: int, k: int, inputs: list[int], memo: dict, top_tries: int = 0,
            among=None) -> int:
    """Build f (don't-cares outside ``care``) on recorder nodes ``inputs``; returns its node.

    ``among``: variables f's care support lies within (a cofactor's lies within its parent's).
    """
    tt &= care
    key = (tt, care)
    if key in memo:
        return memo[key]
    if tt == 0:
        return rec.const(0)
    if tt == care:
        return rec.const(1)
    sup = T.care_support(tt, care, k, among)
    if len(sup) <= 4:
        t4 = _fill_small(tt, care, sup, k, rec.basis)
        node = _exact_into(rec, t4, [inputs[v] for v in sup] + [rec.zero] * (4 - len(sup)))
        memo[key] = node
        return node
    # Split on the variable whose cofactors have the smallest supports (ties: lowest index).
    scores = T.split_scores(tt, care, k, sup)
    v = min(sup, key=lambda v: (scores[v], v))
    f0, f1 = T.cofactor(tt, v, 0, k), T.cofactor(tt, v, 1, k)
    c0, c1 = T.cofactor(care, v, 0, k), T.cofactor(care, v, 1, k)
    x = inputs[v]
    rest = [u for u in sup if u != v]
    both = c0 & c1
    if ((f1 ^ f0) & both) == both and (c0 | c1) == both:
        node = rec.gate(G.XOR, x, shannon(rec, f0, c0, k, inputs, memo, among=rest))        # f1 = ~f0
    elif f0 & c0 == 0:
        node = rec.gate(G.AND, x, shannon(rec, f1, c1, k, inputs, memo, among=rest))        # f0 = 0
    elif f0 & c0 == c0:
        node = rec.gate(13, x, shannon(rec, f1, c1, k, inputs, memo, among=rest))          # f0 = 1: ~x | f1
    elif f1 & c1 == 0:
        node = rec.gate(4, x, shannon(rec, f0, c0, k, inputs, memo, among=rest))           # f1 = 0: ~x & f0
    elif f1 & c1 == c1:
        node = rec.gate(G.OR, x, shannon(rec, f0, c0, k, inputs, memo, among=rest))        # f1 = 1: x | f0
    else:
        n1 = shannon(rec, f1, c1, k, inputs, memo, among=rest)
        n0 = shannon(rec, f0, c0, k, inputs, memo, among=rest)
        node = rec.gate(G.OR, rec.gate(G.AND, x, n1), rec.gate(4, x, n0))       # x ? f1 : f0
    memo[key] = node
    return node


def symmetric_decomposition(rec: Recorder, tt: int, k: int, group: list[int], inputs: list[int]) -> int:
    """Count ``group`` with an adder tree, then build f from the count bits and the other variables."""
    bits = adder_tree(rec, [inputs[i] for i in group])
    others = [i for i in range(k) if i not in group]
    m = len(bits)
    k2 = m + len(others)
    # Row (count, rest) of the new table reads row idx of f: the group's first `count`
    # variables set, the others as in `rest` (numpy over all rows at once).
    f = _table_bits(tt, 1 << k)
    rest = np.arange(1 << len(others), dtype=np.int64)
    spread = np.zeros_like(rest)
    for pos, o in enumerate(others):
        spread |= ((rest >> pos) & 1) << o
    first = np.asarray([sum(1 << group[j] for j in range(c)) for c in range(len(group) + 1)], dtype=np.int64)
    idx = first[:, None] | spread[None, :]
    row = np.arange(len(group) + 1, dtype=np.int64)[:, None] | (rest[None, :] << m)
    g2, c2 = np.zeros(1 << k2, dtype=np.uint8), np.zeros(1 << k2, dtype=np.uint8)
    g2[row] = f[idx]
    c2[row] = 1
    tt2, care2 = _bits_table(g2), _bits_table(c2)
    return shannon(rec, tt2, care2, k2, bits + [inputs[o] for o in others], {})


def _table_bits(tt: int, n: int) -> np.ndarray:
    """The first ``n`` bits of a table, as a uint8 array of 0/1."""
    raw = np.frombuffer((tt & ((1 << n) - 1)).to_bytes(max(1, (n + 7) // 8), "little"), dtype=np.uint8)
    return np.unpackbits(raw, bitorder="little")[:n]


def _bits_table(bits: np.ndarray) -> int:
    """A uint8 array of 0/1 as a table (bit i = bits[i])."""
    return int.from_bytes(np.packbits(bits, bitorder="little").tobytes(), "little")


def candidates(tt: int, k: int, basis: str = "gates") -> list[Implementation]:
    """Implementations of a k-variable table over inputs 0..k-1 (then constants 0, 1)."""
    out = []
    rec = Recorder(k, basis)
    out.append(rec.finish(shannon(rec, tt, T.full(k), k, list(range(k)), {})))
    groups = sorted((g for g in T.symmetry_groups(tt, k) if len(g) >= 3), key=len, reverse=True)
    if groups:
        rec = Recorder(k, basis)
        out.append(rec.finish(symmetric_decomposition(rec, tt, k, groups[0], list(range(k)))))
    return out


@dataclass
class ResynthStats:
    """What a resynthesis sweep did."""

    cones: int = 0
    replaced: int = 0
    gain: int = 0
    symmetric: int = 0       # replacements that used a symmetric decomposition
    seconds: float = 0.0
    stopped: str = "done"


def _small_support_roots(net: XAG, order: list[int], max_inputs: int) -> list[int]:
    """Nodes whose input support has at most ``max_inputs`` inputs while some reader's is larger."""
    sup = [0] * net.n_nodes
    for i in range(net.n_inputs):
        sup[i + 1] = 1 << i
    big = set()
    for n in order:
        s = sup[net.fa[n] >> 1] | sup[net.fb[n] >> 1]
        sup[n] = s
        if s.bit_count() > max_inputs:
            big.add(n)
    roots = set()
    for n in order:
        if n in big:
            for x in (net.fa[n] >> 1, net.fb[n] >> 1):
                if x not in big and net.kind[x] in (AND, XOR):
                    roots.add(x)
    for s in net.sinks:
        if (s >> 1) not in big and net.kind[s >> 1] in (AND, XOR):
            roots.add(s >> 1)
    return [n for n in order if n in roots], sup


def try_window(net: XAG, n: int, leaves: list[int], cone: list[int], stats, cache: dict, cost: str,
               make=None, min_saved: int = 3) -> int | None:
    """Replace node ``n`` by the cheapest in place of ``make(tt, k, basis)``'s implementations of its window.

    ``stats`` counts ``cones``, ``replaced`` and ``gain``; returns the index of
    the implementation used, or None.  ``make`` defaults to :func:`candidates`.
    """
    basis, xor_cost = COST_MODELS[cost]
    mffc = net.deref(n, set(leaves))
    saved = sum(1 if net.kind[x] == AND else xor_cost for x in mffc)
    if saved < min_saved:
        net.reref(mffc)
        return None
    stats.cones += 1
    tt = cone_truth_table(net, 2 * n, leaves, cone)
    inputs = [2 * leaf for leaf in leaves] + [0, 1]
    best = None
    key = (tt, len(leaves))
    if key not in cache:
        cache[key] = (make or candidates)(tt, len(leaves), basis)
    for idx, impl in enumerate(cache[key]):
        added, out, level = dry_run(net, impl, inputs, set(mffc), xor_cost, limit=saved)
        if out is not None and out >> 1 == n:
            continue
        rank = (saved - added, -level)
        if best is None or rank > best[0]:
            best = (rank, impl, idx)
    net.reref(mffc)
    if best is not None and best[0][0] > 0 and replace_node(net, n, best[1], inputs):
        stats.replaced += 1
        stats.gain += best[0][0]
        return best[2]
    return None


def _try(net: XAG, n: int, leaves: list[int], cone: list[int], stats: ResynthStats, cache: dict,
         cost: str) -> None:
    stats.symmetric += try_window(net, n, leaves, cone, stats, cache, cost) == 1


def resynthesize(net: XAG, max_inputs: int = 10, window_leaves: int = 0, time_limit: float | None = None,
                 cost: str = "gates") -> ResynthStats:
    """Resynthesise small-support cones (and, with ``window_leaves``, windows) in place.

    ``cost``: "gates" or "aig" (:data:`.rewrite.COST_MODELS`).
    """
    start = time.perf_counter()
    stats = ResynthStats()
    order = net.topological()
    roots, sup = _small_support_roots(net, order, max_inputs)
    cache: dict = {}          # (truth table, leaves) -> candidates: repeated logic is synthesised once
    for n in roots:
        if net.dead[n]:
            continue
        leaves = [i + 1 for i in range(net.n_inputs) if (sup[n] >> i) & 1]
        _try(net, n, leaves, cone_nodes(net, n, set(leaves)), stats, cache, cost)
    if window_leaves:
        for n, leaves, cone in live_windows(net, stats, start, time_limit, window_leaves, 10 * window_leaves):
            if len(leaves) > 4:
                _try(net, n, leaves, cone, stats, cache, cost)
    stats.seconds = time.perf_counter() - start
    return stats
