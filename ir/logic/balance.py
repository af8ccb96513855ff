"""Balancing: rebuild every AND (and XOR) supergate as a tree that shares what it can.

A supergate is the multi-input AND (XOR) reached from a node through fanins
of the same kind that nothing else reads (plain edges for AND; XOR fanins
carry no complements).  Its leaves are rebuilt into a new network lowest
level first, and among the leaves of the lowest levels a pair whose AND is
already built elsewhere is taken first, so that products spelled as
differently ordered chains (the rows of a PLA, say) end up as one shared
sub-product.  This is ABC's ``balance``/``&b``; besides depth it finds a lot
of sharing that structural hashing alone cannot see, and exposes it to the
mapper and the rewriters.
"""

from __future__ import annotations

import heapq

from .xag import AND, XAG, XOR


def _expandable(net: XAG, lit: int, kind: int, dup: bool) -> bool:
    """Whether the supergate grows through ``lit``: same kind, plain edge, and read once (or, with
    ``dup``, twice when both its own fanins are shared, so re-deriving it duplicates little)."""
    x = lit >> 1
    if net.kind[x] != kind or lit & 1 or x in net.sink_refs:
        return False
    r = net.ref[x]
    if r == 1:
        return True
    return dup and r == 2 and net.ref[net.fa[x] >> 1] > 1 and net.ref[net.fb[x] >> 1] > 1


def _supergate(net: XAG, root: int, dup: bool = False, cap: int = 50) -> list[int]:
    """Leaf literals of the supergate of ``root`` (in the old network), at most about ``cap``."""
    kind = net.kind[root]
    leaves = []
    stack = [net.fb[root], net.fa[root]]
    while stack:
        lit = stack.pop()
        if len(leaves) + len(stack) < cap and _expandable(net, lit, kind, dup):
            stack.append(net.fb[lit >> 1])
            stack.append(net.fa[lit >> 1])
        else:
            leaves.append(lit)
    return leaves


def _combine(new: XAG, kind: int, lits: list[int]) -> int:
    """One balanced ``kind`` tree over ``lits`` (literals of ``new``), sharing existing pairs first."""
    if len(lits) == 2:
        return new.make(kind, lits[0], lits[1])
    if kind == AND:
        s = set(lits)
        if any(lit ^ 1 in s for lit in s):
            return 0
        lits = sorted(s)
    else:
        neg = 0
        odd: dict[int, int] = {}
        for lit in lits:
            neg ^= lit & 1
            odd[lit & ~1] = odd.get(lit & ~1, 0) ^ 1
        lits = sorted(x for x, c in odd.items() if c)
        if not lits:
            return neg
        lits[0] ^= neg
    level = new.level
    heap = [(level[x >> 1], x) for x in lits]
    heapq.heapify(heap)
    while len(heap) > 1:
        lx, x = heapq.heappop(heap)
        # Partner: a leaf no deeper than the next one whose pair with x is already built, else the next one.
        bound = heap[0][0]
        pick = 0
        for i, (ly, y) in enumerate(heap):
            if ly <= bound and new.lookup(kind, x, y) is not None:
                pick = i
                break
        ly, y = heap[pick]
        heap[pick] = heap[-1]
        heap.pop()
        heapq.heapify(heap)
        z = new.make(kind, x, y)
        heapq.heappush(heap, (level[z >> 1], z))
    return heap[0][1]


class _Extraction:
    """Two-leaf divisors shared by several supergates, extracted most frequent first.

    Supergates are sets of symbols: old-network literals (>= 0) and extracted
    divisors (< 0, defined in ``divisors``).  Each extraction makes one new
    node stand for a pair that ``count`` supergates contain, saving
    ``count - 1`` gates.
    """

    def __init__(self, kinds: list[int], gates: list[set], max_pairs: int):
        self.kinds, self.gates = kinds, gates
        self.divisors: list[tuple[int, int, int]] = []
        self.where: dict[tuple[int, int, int], set[int]] = {}
        for i, sg in enumerate(gates):
            if sg is not None and 3 <= len(sg) and len(sg) * (len(sg) - 1) // 2 <= max_pairs:
                self._add_pairs(i, sorted(sg))

    def _add_pairs(self, i: int, symbols) -> None:
        kind = self.kinds[i]
        for j, a in enumerate(symbols):
            for b in symbols[j + 1:]:
                self.where.setdefault((kind, a, b) if a < b else (kind, b, a), set()).add(i)

    def run(self) -> int:
        """Extract until no pair is shared; returns the gates saved."""
        heap = [(-len(v), k) for k, v in self.where.items() if len(v) >= 2]
        heapq.heapify(heap)
        saved = 0
        while heap:
            neg, key = heapq.heappop(heap)
            users = self.where.get(key, ())
            if len(users) != -neg:
                if len(users) >= 2:
                    heapq.heappush(heap, (-len(users), key))
                continue
            kind, a, b = key
            d = -1 - len(self.divisors)
            self.divisors.append(key)
            saved += len(users) - 1
            touched = set()
            for i in sorted(users):
                sg = self.gates[i]
                sg.discard(a)
                sg.discard(b)
                for s in sg:
                    for x in (a, b):
                        k = (kind, x, s) if x < s else (kind, s, x)
                        self.where[k].discard(i)
                    k = (kind, d, s) if d < s else (kind, s, d)
                    self.where.setdefault(k, set()).add(i)
                    touched.add(k)
                sg.add(d)
            del self.where[key]
            for k in sorted(touched):
                if len(self.where[k]) >= 2:
                    heapq.heappush(heap, (-len(self.where[k]), k))
        return saved


def balance(net: XAG, extract: bool = True, dup: bool = True, max_pairs: int = 2000) -> XAG:
    """A balanced copy of ``net`` (the same sinks, in order).

    ``extract``: first pull two-leaf divisors shared by several supergates
    out of them (supergates of up to ``max_pairs`` leaf pairs take part);
    ``dup``: grow supergates through nodes read twice as well (see :func:`_expandable`).
    """
    new = XAG(net.n_inputs)
    lit = list(range(0, 2 * (net.n_inputs + 1), 2)) + [0] * (net.n_nodes - net.n_inputs - 1)
    order = net.topological()
    # Roots: the nodes sinks read, then every leaf of a root's supergate (found top-down, so a node
    # that all its readers' supergates absorb is never built on its own).
    root = bytearray(net.n_nodes)
    for s in net.sinks:
        root[s >> 1] = 1
    found: dict[int, list[int]] = {}
    for n in reversed(order):
        if root[n]:
            found[n] = leaves = _supergate(net, n, dup)
            for x in leaves:
                root[x >> 1] = 1
    roots = [n for n in order if root[n]]
    kinds = [net.kind[n] for n in roots]
    gates, negs = [], []
    for n in roots:
        leaves, neg = _normal(net.kind[n], found[n])
        gates.append(leaves)
        negs.append(neg)
    ex = _Extraction(kinds, gates, max_pairs if extract else 0)
    ex.run()
    built: dict[int, int] = {}

    def symbol(s: int) -> int:
        if s >= 0:
            return lit[s >> 1] ^ (s & 1)
        if s not in built:
            kind, a, b = ex.divisors[-1 - s]
            built[s] = new.make(kind, symbol(a), symbol(b))
        return built[s]

    for n, kind, sg, neg in zip(roots, kinds, gates, negs):
        if sg is None:
            lit[n] = neg
            continue
        lit[n] = _combine(new, kind, [symbol(s) for s in sorted(sg)]) ^ neg
    for s in net.sinks:
        new.add_sink(lit[s >> 1] ^ (s & 1))
    return new


def _normal(kind: int, leaves: list[int]) -> tuple[set | None, int]:
    """(leaf set, output complement) of a supergate; None for a constant (then the complement is its value)."""
    if kind == AND:
        s = set(leaves)
        if any(x ^ 1 in s for x in s) or 0 in s:
            return None, 0
        s.discard(1)
        return (s, 0) if s else (None, 1)
    neg = 0
    odd: set[int] = set()
    for x in leaves:
        neg ^= x & 1
        odd ^= {x & ~1}
    odd.discard(0)
    return (odd, neg) if odd else (None, neg)
