"""4-input cut enumeration for a whole network at once, vectorised over logic levels.

The array counterpart of :mod:`.cuts` for large networks.  The network is
given as arrays (node 0 the constant, then the inputs, then AND/XOR nodes in
topological order, fanins as literals).  All nodes of one logic level are
processed together: every pair of fanin cuts is merged by sorting the eight
leaves (numpy), unions with more than four distinct leaves are dropped,
duplicates are removed, and the ``limit`` smallest survive.  Truth tables are
re-expressed over each union by table lookup.  Memory is bounded by
processing a level in chunks.

Each node's cut list has ``limit + 1`` slots; the last holds its trivial cut
``{node}``; unused slots have ``n_leaves == -1``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .cuts import _STRETCH

SENT = np.iinfo(np.int32).max      # an empty leaf slot (sorts last)
FULL = 0xFFFF
_PRIMES = np.array([0x9E3779B1, 0x85EBCA77, 0xC2B2AE3D, 0x27D4EB2F], dtype=np.int64)


def _stretch_array() -> np.ndarray:
    """[mask of union slots holding the cut's leaves, compact table] -> 16-bit table (masks with < 4 bits)."""
    table = np.zeros((16, 256), dtype=np.int64)
    for mask in range(15):
        pos = tuple(i for i in range(4) if (mask >> i) & 1)
        m = len(pos)
        for compact in range(1 << (1 << m)):
            if m == 0:
                table[mask, compact] = FULL if compact & 1 else 0
            else:
                table[mask, compact] = _STRETCH[pos][compact]
    return table


_STRETCH_NP = _stretch_array()
_COMPACT_MASK = np.array([(1 << (1 << m)) - 1 for m in range(5)], dtype=np.int64)


@dataclass
class CutSet:
    """Cuts of every node: leaves (N, S, 4) int32 (SENT-padded), tt (N, S), n_leaves (N, S)."""

    leaves: np.ndarray
    tt: np.ndarray
    n_leaves: np.ndarray
    shared: np.ndarray     # (N, S): nodes inside the cut that other logic also reads (an estimate)

    @property
    def slots(self) -> int:
        """Cut slots per node (the last is the trivial cut)."""
        return self.leaves.shape[1]


def logic_levels(fa: np.ndarray, fb: np.ndarray, first_gate: int) -> np.ndarray:
    """Level of every node (0 for the constant and inputs); node ids must be topological."""
    lev = [0] * len(fa)
    a, b = (fa >> 1).tolist(), (fb >> 1).tolist()
    for n in range(first_gate, len(lev)):
        x, y = lev[a[n]], lev[b[n]]
        lev[n] = 1 + (x if x > y else y)
    return np.array(lev, dtype=np.int64)


def enumerate_cuts(is_xor: np.ndarray, fa: np.ndarray, fb: np.ndarray, first_gate: int,
                   levels: np.ndarray | None = None, limit: int = 8, chunk: int = 4096,
                   refs: np.ndarray | None = None, max_shared: int | None = None) -> CutSet:
    """Cuts of every node (see the module docstring).

    ``refs`` (readers per node; computed if not given) lets each cut count
    the nodes strictly inside it that have other readers: implementing the
    cut duplicates them.  ``max_shared=0`` keeps only fanout-free cuts.
    """
    n = len(fa)
    slots = limit + 1
    leaves = np.full((n, slots, 4), SENT, dtype=np.int32)
    tt = np.zeros((n, slots), dtype=np.int64)
    nl = np.full((n, slots), -1, dtype=np.int8)
    shared = np.zeros((n, slots), dtype=np.int16)
    inner = np.zeros((n, slots), dtype=np.int16)
    if refs is None:
        refs = np.zeros(n, dtype=np.int64)
        np.add.at(refs, fa[first_gate:] >> 1, 1)
        np.add.at(refs, fb[first_gate:] >> 1, 1)
    nl[0, 0] = 0                                          # the constant: the empty cut
    ids = np.arange(1, n, dtype=np.int32)
    trivial = ids.copy()
    # Inputs: slot 0; gates: the last slot (their merged cuts fill the others).
    leaves[1:first_gate, 0, 0] = trivial[: first_gate - 1]
    tt[1:first_gate, 0] = 0xAAAA
    nl[1:first_gate, 0] = 1
    leaves[first_gate:, limit, 0] = trivial[first_gate - 1:]
    tt[first_gate:, limit] = 0xAAAA
    nl[first_gate:, limit] = 1
    if levels is None:
        levels = logic_levels(fa, fb, first_gate)
    gates = np.arange(first_gate, n)
    order = gates[np.argsort(levels[first_gate:], kind="stable")]
    bounds = np.flatnonzero(np.diff(levels[order])) + 1
    for level_nodes in np.split(order, bounds):
        for start in range(0, len(level_nodes), chunk):
            _merge_chunk(level_nodes[start:start + chunk], is_xor, fa, fb, leaves, tt, nl, shared, inner,
                         limit, refs, max_shared)
    return CutSet(leaves, tt, nl, shared)


def _merge_chunk(nodes, is_xor, fa, fb, leaves, tt, nl, shared, inner, limit, refs, max_shared):
    m = len(nodes)
    s = limit + 1
    a, b = fa[nodes], fb[nodes]
    an, bn = a >> 1, b >> 1
    la, lb = leaves[an], leaves[bn]                        # (m, s, 4)
    # A fanin taken through a cut other than its trivial one is inside the new
    # cut; if something else reads it too, the cut duplicates it and every
    # node inside its own cut (counts are estimates: reconvergence may count twice).
    ia = (la[:, :, 0] != an[:, None]) | (nl[an] != 1)
    ib = (lb[:, :, 0] != bn[:, None]) | (nl[bn] != 1)
    in_a = np.where(ia, 1 + inner[an], 0)
    in_b = np.where(ib, 1 + inner[bn], 0)
    sh_a = np.where(ia, np.where((refs[an] > 1)[:, None], 1 + inner[an], shared[an]), 0)
    sh_b = np.where(ib, np.where((refs[bn] > 1)[:, None], 1 + inner[bn], shared[bn]), 0)
    sh = (sh_a[:, :, None] + sh_b[:, None, :]).reshape(-1)
    inn = (in_a[:, :, None] + in_b[:, None, :]).reshape(-1)
    # All pairs (i, j): 8 leaves each, sorted.
    cat = np.concatenate([np.broadcast_to(la[:, :, None, :], (m, s, s, 4)),
                          np.broadcast_to(lb[:, None, :, :], (m, s, s, 4))], axis=-1)
    cat = np.sort(cat.reshape(m * s * s, 8), axis=-1)
    valid = ((nl[an][:, :, None] >= 0) & (nl[bn][:, None, :] >= 0)).reshape(-1)
    dup = np.zeros_like(cat, dtype=bool)
    dup[:, 1:] = cat[:, 1:] == cat[:, :-1]
    real = (cat != SENT) & ~dup
    count = real.sum(axis=1)
    ok = valid & (count <= 4)
    if max_shared is not None:
        ok &= sh <= max_shared
    pair = np.flatnonzero(ok)
    if not len(pair):
        return
    u = np.where(real[pair], cat[pair], SENT)
    u = np.sort(u, axis=-1)[:, :4]
    cnt = count[pair]
    row = pair // (s * s)
    key = (u.astype(np.int64) * _PRIMES).sum(axis=1)
    # Per node: drop repeated unions, keep the `limit` smallest.
    order = np.lexsort((key, cnt, row))
    row_o, key_o = row[order], key[order]
    keep = np.ones(len(order), dtype=bool)
    keep[1:] = (row_o[1:] != row_o[:-1]) | (key_o[1:] != key_o[:-1])
    order = order[keep]
    row_o = row[order]
    starts = np.flatnonzero(np.r_[True, row_o[1:] != row_o[:-1]])
    rank = np.arange(len(order)) - np.repeat(starts, np.diff(np.r_[starts, len(order)]))
    take = rank < limit
    sel = order[take]
    rank = rank[take]
    p = pair[sel]
    r = row[sel]
    i = (p // s) % s
    j = p % s
    uu = u[sel]
    # Truth tables: re-express each fanin cut's table over the union.
    ta = _over_union(la[r, i], tt[an[r], i], nl[an[r], i], uu)
    tb = _over_union(lb[r, j], tt[bn[r], j], nl[bn[r], j], uu)
    ta ^= np.where(a[r] & 1, FULL, 0)
    tb ^= np.where(b[r] & 1, FULL, 0)
    node_tt = np.where(is_xor[nodes[r]] == 1, ta ^ tb, ta & tb)
    dest = nodes[r]
    leaves[dest, rank] = uu
    tt[dest, rank] = node_tt
    nl[dest, rank] = cnt[sel]
    shared[dest, rank] = np.minimum(sh[p], 1000)
    inner[dest, rank] = np.minimum(inn[p], 1000)


def _over_union(cut_leaves, cut_tt, cut_n, union):
    """16-bit tables of cuts re-expressed over ``union`` (a superset of their leaves)."""
    inside = (union[:, :, None] == cut_leaves[:, None, :]).any(axis=2) & (union != SENT)
    mask = (inside * np.array([1, 2, 4, 8])).sum(axis=1)
    same = mask == ((1 << (union != SENT).sum(axis=1)) - 1)
    same &= cut_n == (union != SENT).sum(axis=1)
    compact = cut_tt & _COMPACT_MASK[np.maximum(cut_n, 0)]
    stretched = _STRETCH_NP[np.minimum(mask, 14), compact & 255]
    return np.where(same | (mask == 15), cut_tt, stretched)
