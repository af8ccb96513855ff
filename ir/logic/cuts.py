"""k-feasible cuts of an XAG, with the truth table of each node over each cut.

A cut of node ``n`` is a set of nodes (its *leaves*) such that every path
from an input to ``n`` passes through a leaf; with at most 4 leaves the
function of ``n`` over them is a 16-bit truth table (leaf ``i`` is variable
``i``, see :mod:`.npn`).  Cuts are enumerated bottom-up: a node's cuts are the
unions of one cut of each fanin, plus the trivial cut ``{n}``; unions with
more than ``k`` leaves and cuts dominated by a subset are dropped, and at most
``limit`` cuts per node are kept (fewest leaves first).
"""

from __future__ import annotations

import itertools

from .npn import VAR_TT
from .xag import AND, XAG

FULL = 0xFFFF


def _swap_masks(j: int) -> tuple[int, int, int, int]:
    """Masks to exchange variables j and j+1 of a 4-input truth table."""
    lo, hi = VAR_TT[j], VAR_TT[j + 1]
    up = lo & ~hi & FULL       # x_j = 1, x_j+1 = 0: moves up by 2**j
    down = hi & ~lo & FULL     # x_j = 0, x_j+1 = 1: moves down
    return FULL ^ up ^ down, up, down, 1 << j


_SWAPS = tuple(_swap_masks(j) for j in range(3))


def swap_adjacent(tt: int, j: int) -> int:
    """``tt`` with variables j and j+1 exchanged."""
    keep, up, down, shift = _SWAPS[j]
    return (tt & keep) | ((tt & up) << shift) | ((tt & down) >> shift)


def stretch(tt: int, leaves: tuple[int, ...], union: tuple[int, ...]) -> int:
    """Re-express ``tt`` over ``leaves`` as a table over ``union`` (a sorted superset)."""
    if leaves == union:
        return tt
    return _move(tt, [union.index(x) for x in leaves])


def _move(tt: int, pos) -> int:
    """Move variable i to position pos[i] (increasing positions, pos[i] >= i)."""
    for i in range(len(pos) - 1, -1, -1):
        for j in range(i, pos[i]):
            tt = swap_adjacent(tt, j)
    return tt


def _stretch_tables() -> dict[tuple[int, ...], list[int]]:
    """(positions of a cut's leaves in the union) -> compact table -> 16-bit table.

    A cut with m < 4 leaves has a table of 2**m distinct bits (repeated), so
    every re-expression into a larger union is a lookup of at most 256 entries.
    """
    tables = {}
    for m in range(1, 4):
        for pos in itertools.combinations(range(4), m):
            out = []
            for compact in range(1 << (1 << m)):
                tt = compact
                for i in range(m, 4):
                    tt |= tt << (1 << i)
                # Re-express: variable i of the cut goes to pos[i] of a 4-leaf union.
                out.append(_move(tt, pos))
            tables[pos] = out
    return tables


def support(tt: int) -> int:
    """Bit mask of the variables a 4-input truth table depends on."""
    mask = 0
    for i, v in enumerate(VAR_TT):
        shift = 1 << i
        if ((tt >> shift) ^ tt) & v & FULL:
            mask |= 1 << i
    return mask


_STRETCH = _stretch_tables()


def stretch_fast(tt: int, leaves: tuple[int, ...], union: tuple[int, ...]) -> int:
    """:func:`stretch` by table lookup (``leaves`` a strict subset of ``union``)."""
    m = len(leaves)
    pos = tuple(union.index(x) for x in leaves)
    return _STRETCH[pos][tt & ((1 << (1 << m)) - 1)]


def enumerate_cuts(net: XAG, order: list[int], k: int = 4, limit: int = 8) -> dict[int, list[tuple[tuple[int, ...], int]]]:
    """Cuts of every node in ``order`` (topological): node -> [(leaves, truth table)].

    Inputs and the constant have only their trivial cut.  The trivial cut of
    each gate is listed last.  A 64-bit signature per cut (bit ``leaf % 64``)
    rejects most oversized unions and non-dominating pairs before any set work.
    """
    if not 1 <= k <= 4:
        raise ValueError("cuts have 1 to 4 leaves")
    trivial_tt = VAR_TT[0]
    # node -> list of (leaves, tt, signature)
    cuts: dict[int, list[tuple[tuple[int, ...], int, int]]] = {}
    kind, fa, fb = net.kind, net.fa, net.fb
    for n in order:
        a, b = fa[n], fb[n]
        an, bn = a >> 1, b >> 1
        ca = cuts.get(an) or [((an,), trivial_tt, 1 << (an & 63))] if an else [((), 0, 0)]
        cb = cuts.get(bn) or [((bn,), trivial_tt, 1 << (bn & 63))] if bn else [((), 0, 0)]
        na, nb = FULL if a & 1 else 0, FULL if b & 1 else 0
        is_and = kind[n] == AND
        found: dict[tuple[int, ...], tuple[int, int]] = {}
        for la, ta, sa in ca:
            for lb, tb, sb in cb:
                sig = sa | sb
                if sig.bit_count() > k:
                    continue
                if la == lb:
                    u = la
                else:
                    u = tuple(sorted(set(la).union(lb)))
                    if len(u) > k:
                        continue
                if u in found:
                    continue
                x = (stretch_fast(ta, la, u) if la != u else ta) ^ na
                y = (stretch_fast(tb, lb, u) if lb != u else tb) ^ nb
                found[u] = ((x & y) if is_and else (x ^ y), sig)
        ranked = sorted(found.items(), key=lambda item: (len(item[0]), item[0]))
        kept: list[tuple[tuple[int, ...], int, int]] = []
        for leaves, (tt, sig) in ranked:
            dominated = False
            for other, _, osig in kept:
                if osig & sig == osig and set(other).issubset(leaves):
                    dominated = True
                    break
            if dominated:
                continue
            kept.append((leaves, tt, sig))
            if len(kept) == limit:
                break
        kept.append(((n,), trivial_tt, 1 << (n & 63)))
        cuts[n] = kept
    return {n: [(leaves, tt) for leaves, tt, _ in c] for n, c in cuts.items()}
