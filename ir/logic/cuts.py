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
    pos = [union.index(x) for x in leaves]
    for i in range(len(leaves) - 1, -1, -1):
        for j in range(i, pos[i]):
            tt = swap_adjacent(tt, j)
    return tt


def support(tt: int) -> int:
    """Bit mask of the variables a 4-input truth table depends on."""
    mask = 0
    for i, v in enumerate(VAR_TT):
        shift = 1 << i
        if ((tt >> shift) ^ tt) & v & FULL:
            mask |= 1 << i
    return mask


def _merge(la: tuple[int, ...], lb: tuple[int, ...], k: int):
    if la == lb:
        return la
    u = tuple(sorted(set(la) | set(lb)))
    return u if len(u) <= k else None


def enumerate_cuts(net: XAG, order: list[int], k: int = 4, limit: int = 8) -> dict[int, list[tuple[tuple[int, ...], int]]]:
    """Cuts of every node in ``order`` (topological): node -> [(leaves, truth table)].

    Inputs and the constant have only their trivial cut.  The trivial cut of
    each gate is listed last.
    """
    if not 1 <= k <= 4:
        raise ValueError("cuts have 1 to 4 leaves")
    cuts: dict[int, list[tuple[tuple[int, ...], int]]] = {}
    trivial_tt = VAR_TT[0]
    kind, fa, fb = net.kind, net.fa, net.fb

    def of(node: int):
        c = cuts.get(node)
        if c is None:
            c = [((node,), trivial_tt)] if node else [((), 0)]
        return c

    for n in order:
        a, b = fa[n], fb[n]
        ca, cb = of(a >> 1), of(b >> 1)
        na, nb = FULL if a & 1 else 0, FULL if b & 1 else 0
        is_and = kind[n] == AND
        found: dict[tuple[int, ...], int] = {}
        for la, ta in ca:
            for lb, tb in cb:
                u = _merge(la, lb, k)
                if u is None or u in found:
                    continue
                x = stretch(ta, la, u) ^ na
                y = stretch(tb, lb, u) ^ nb
                found[u] = (x & y) if is_and else (x ^ y)
        # Drop cuts that contain a smaller cut (they cannot be better), keep the smallest.
        ranked = sorted(found.items(), key=lambda item: (len(item[0]), item[0]))
        kept: list[tuple[tuple[int, ...], int]] = []
        for leaves, tt in ranked:
            s = set(leaves)
            if any(set(other) <= s for other, _ in kept):
                continue
            kept.append((leaves, tt))
            if len(kept) == limit:
                break
        kept.append(((n,), trivial_tt))
        cuts[n] = kept
    return cuts
