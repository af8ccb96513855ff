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
from .levels import net_levels

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


def enumerate_cuts(is_xor: np.ndarray, fa: np.ndarray, fb: np.ndarray, first_gate: int,
                   levels: np.ndarray | None = None, limit: int = 8, chunk: int = 4096,
                   refs: np.ndarray | None = None, max_shared: int | None = None,
                   classes: tuple[np.ndarray, np.ndarray] | None = None) -> CutSet:
    """Cuts of every node (see the module docstring).

    ``refs`` (readers per node; computed if not given) lets each cut count
    the nodes strictly inside it that have other readers: implementing the
    cut duplicates them.  ``max_shared=0`` keeps only fanout-free cuts.
    ``classes`` = (representative, phase) per node (:mod:`.choices`; fanins
    read representatives, ``levels`` are class levels): each
    representative's cut list becomes the best ``limit`` cuts over all its
    class's members.
    """
    n = len(fa)
    slots = limit + 1
    leaves = np.full((n, slots, 4), SENT, dtype=np.int32)
    tt = np.zeros((n, slots), dtype=np.int64)
    nl = np.full((n, slots), -1, dtype=np.int8)
    shared = np.zeros((n, slots), dtype=np.int16)
    inner = np.zeros((n, slots), dtype=np.int16)
    sig = np.zeros((n, slots), dtype=np.uint64)
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
    sig[1:first_gate, 0] = np.left_shift(np.uint64(1), (trivial[: first_gate - 1] & 63).astype(np.uint64))
    sig[first_gate:, limit] = np.left_shift(np.uint64(1), (trivial[first_gate - 1:] & 63).astype(np.uint64))
    leaves[first_gate:, limit, 0] = trivial[first_gate - 1:]
    tt[first_gate:, limit] = 0xAAAA
    nl[first_gate:, limit] = 1
    if levels is None:
        levels = net_levels(fa, fb, first_gate)
    gates = np.arange(first_gate, n)
    order = gates[np.argsort(levels[first_gate:], kind="stable")]
    bounds = np.flatnonzero(np.diff(levels[order])) + 1
    for level_nodes in np.split(order, bounds):
        for start in range(0, len(level_nodes), chunk):
            _merge_chunk(level_nodes[start:start + chunk], is_xor, fa, fb, leaves, tt, nl, shared, inner, sig,
                         limit, refs, max_shared)
        if classes is not None:
            _merge_members(level_nodes, *classes, leaves, tt, nl, shared, inner, sig, limit)
    return CutSet(leaves, tt, nl, shared)


def _merge_members(nodes, rep, phase, leaves, tt, nl, shared, inner, sig, limit):
    """Pool the cuts of each class's members (complemented where a member is) into its representative's row."""
    mem = nodes[rep[nodes] != nodes]
    if not len(mem):
        return
    cls = np.unique(rep[mem])
    rows = np.concatenate([cls, mem])
    owner = np.concatenate([cls, rep[mem]])
    flip = np.concatenate([np.zeros(len(cls), dtype=np.int64), phase[mem]])
    r, s = np.nonzero(nl[rows, :limit] >= 0)
    src, owner, flip = rows[r], owner[r], flip[r]
    lv, cnt = leaves[src, s], nl[src, s]
    key = (lv.astype(np.int64) * _PRIMES).sum(axis=1)
    order = np.lexsort((shared[src, s], key, cnt, owner))
    keep = np.ones(len(order), dtype=bool)
    keep[1:] = (owner[order][1:] != owner[order][:-1]) | (key[order][1:] != key[order][:-1])
    order = order[keep]
    own = owner[order]
    starts = np.flatnonzero(np.concatenate(([True], own[1:] != own[:-1])))
    rank = np.arange(len(order)) - np.repeat(starts, np.diff(np.append(starts, len(order))))
    take = rank < limit
    order, rank = order[take], rank[take]
    sel_src, sel_s, dest = src[order], s[order], owner[order]
    vals = (leaves[sel_src, sel_s], tt[sel_src, sel_s] ^ np.where(flip[order] == 1, FULL, 0), nl[sel_src, sel_s],
            shared[sel_src, sel_s], inner[sel_src, sel_s], sig[sel_src, sel_s])
    leaves[cls, :limit] = SENT
    nl[cls, :limit] = -1
    leaves[dest, rank], tt[dest, rank], nl[dest, rank], shared[dest, rank], inner[dest, rank], sig[dest, rank] = vals


def _popcount(x: np.ndarray) -> np.ndarray:
    """Set bits of each uint64."""
    if hasattr(np, "bitwise_count"):
        return np.bitwise_count(x)
    x = x - ((x >> np.uint64(1)) & np.uint64(0x5555555555555555))
    x = (x & np.uint64(0x3333333333333333)) + ((x >> np.uint64(2)) & np.uint64(0x3333333333333333))
    x = (x + (x >> np.uint64(4))) & np.uint64(0x0F0F0F0F0F0F0F0F)
    return ((x * np.uint64(0x0101010101010101)) >> np.uint64(56)).astype(np.int64)


def _merge_chunk(nodes, is_xor, fa, fb, leaves, tt, nl, shared, inner, sig, limit, refs, max_shared):
    s = limit + 1
    a, b = fa[nodes], fb[nodes]
    an, bn = a >> 1, b >> 1
    # Candidate pairs: both cuts exist and the union's 64-bit signature (bit
    # leaf % 64 per leaf) has at most 4 bits, a necessary condition.
    sa, sb = sig[an], sig[bn]
    cand = (nl[an] >= 0)[:, :, None] & (nl[bn] >= 0)[:, None, :]
    cand &= _popcount(sa[:, :, None] | sb[:, None, :]) <= 4
    pair = np.flatnonzero(cand)
    if not len(pair):
        return
    r = pair // (s * s)
    i = (pair // s) % s
    j = pair % s
    ra, rb = an[r], bn[r]
    la, lb = leaves[ra, i], leaves[rb, j]                   # (K, 4)
    # A fanin taken through a cut other than its trivial one is inside the new
    # cut; if something else reads it too, the cut duplicates it and every
    # node inside its own cut (counts are estimates: reconvergence may count twice).
    ia = (la[:, 0] != ra) | (nl[ra, i] != 1)
    ib = (lb[:, 0] != rb) | (nl[rb, j] != 1)
    sh = (np.where(ia, np.where(refs[ra] > 1, 1 + inner[ra, i], shared[ra, i]), 0)
          + np.where(ib, np.where(refs[rb] > 1, 1 + inner[rb, j], shared[rb, j]), 0))
    inn = np.where(ia, 1 + inner[ra, i], 0) + np.where(ib, 1 + inner[rb, j], 0)
    cat = np.sort(np.concatenate([la, lb], axis=1), axis=1)
    dup = np.zeros(cat.shape, dtype=bool)
    dup[:, 1:] = cat[:, 1:] == cat[:, :-1]
    real = (cat != SENT) & ~dup
    count = real.sum(axis=1)
    ok = count <= 4
    if max_shared is not None:
        ok &= sh <= max_shared
    keep_pairs = np.flatnonzero(ok)
    if not len(keep_pairs):
        return
    r, i, j, ra, rb = r[keep_pairs], i[keep_pairs], j[keep_pairs], ra[keep_pairs], rb[keep_pairs]
    sh, inn, cnt = sh[keep_pairs], inn[keep_pairs], count[keep_pairs]
    u = np.sort(np.where(real[keep_pairs], cat[keep_pairs], SENT), axis=1)[:, :4]
    key = (u.astype(np.int64) * _PRIMES).sum(axis=1)
    # Per node: drop repeated unions, keep the `limit` smallest.
    order = np.lexsort((key, cnt, r))
    row_o, key_o = r[order], key[order]
    keep = np.ones(len(order), dtype=bool)
    keep[1:] = (row_o[1:] != row_o[:-1]) | (key_o[1:] != key_o[:-1])
    order = order[keep]
    row_o = r[order]
    starts = np.flatnonzero(np.concatenate(([True], row_o[1:] != row_o[:-1])))
    rank = np.arange(len(order)) - np.repeat(starts, np.diff(np.append(starts, len(order))))
    take = rank < limit
    sel = order[take]
    rank = rank[take]
    r, i, j, ra, rb, uu = r[sel], i[sel], j[sel], ra[sel], rb[sel], u[sel]
    # Truth tables: re-express each fanin cut's table over the union.
    ta = _over_union(leaves[ra, i], tt[ra, i], nl[ra, i], uu)
    tb = _over_union(leaves[rb, j], tt[rb, j], nl[rb, j], uu)
    ta ^= np.where(a[r] & 1, FULL, 0)
    tb ^= np.where(b[r] & 1, FULL, 0)
    dest = nodes[r]
    leaves[dest, rank] = uu
    tt[dest, rank] = np.where(is_xor[dest] == 1, ta ^ tb, ta & tb)
    nl[dest, rank] = cnt[sel]
    shared[dest, rank] = np.minimum(sh[sel], 1000)
    inner[dest, rank] = np.minimum(inn[sel], 1000)
    sig[dest, rank] = sa[r, i] | sb[r, j]


def _over_union(cut_leaves, cut_tt, cut_n, union):
    """16-bit tables of cuts re-expressed over ``union`` (a superset of their leaves)."""
    mask = np.zeros(len(union), dtype=np.int64)
    for slot in range(4):
        u = union[:, slot]
        hit = (u == cut_leaves[:, 0]) | (u == cut_leaves[:, 1]) | (u == cut_leaves[:, 2]) | (u == cut_leaves[:, 3])
        mask |= (hit & (u != SENT)).astype(np.int64) << slot
    compact = cut_tt & _COMPACT_MASK[np.maximum(cut_n, 0)]
    stretched = _STRETCH_NP[np.minimum(mask, 14), compact & 255]
    return np.where(mask == 15, cut_tt, stretched)
