"""Truth tables of up to ~16 variables as Python integers.

A k-variable table is an int of 2**k bits; bit m is f(x) with x_i = (m >> i) & 1.
Cofactors keep the table's width (the cofactored variable simply stops
mattering), so tables of one function stay comparable throughout.
"""

from __future__ import annotations

import functools


@functools.cache
def var_table(i: int, k: int) -> int:
    """The table of variable ``i`` among ``k``."""
    block = (1 << (1 << i)) - 1              # 2**i ones
    pattern = block << (1 << i)              # 0...0 1...1 (2**(i+1) bits)
    reps = 1 << (k - i - 1)
    out = 0
    width = 1 << (i + 1)
    for r in range(reps):
        out |= pattern << (r * width)
    return out


@functools.cache
def full(k: int) -> int:
    """The constant-1 table of ``k`` variables."""
    return (1 << (1 << k)) - 1


def cofactor(tt: int, i: int, value: int, k: int) -> int:
    """f with x_i fixed to ``value`` (still a k-variable table)."""
    v = var_table(i, k)
    s = 1 << i
    if value:
        part = tt & v
        return part | (part >> s)
    part = tt & ~v & full(k)
    return part | (part << s)


def depends_on(tt: int, i: int, k: int) -> bool:
    """True when the function changes with x_i."""
    return cofactor(tt, i, 0, k) != cofactor(tt, i, 1, k)


def support(tt: int, k: int) -> list[int]:
    """Variables the function depends on."""
    return [i for i in range(k) if depends_on(tt, i, k)]


@functools.cache
def _low_rows(i: int, k: int) -> int:
    """The rows of ``k`` variables with x_i = 0."""
    return ~var_table(i, k) & full(k)


def care_support(tt: int, care: int, k: int, among=None) -> list[int]:
    """Variables that matter on the care set: some pair of care rows differing
    only in x_i has different values (only variables of ``among`` are looked at, when given:
    a cofactor's care support lies within its parent's)."""
    # Resynthesis asks this of 16-variable tables thousands of times: on wide tables
    # numpy words beat big-int shifts; with no don't-cares the care terms drop out.
    everywhere = care == full(k)
    if k >= WIDE:
        found = _care_support_words(tt, None if everywhere else care, k)
        if among is None:
            return found
        found = set(found)
        return [i for i in among if i in found]
    out = []
    for i in range(k) if among is None else among:
        s = 1 << i
        diff = (tt ^ (tt >> s)) & _low_rows(i, k)
        if diff and (everywhere or diff & care & (care >> s)):
            out.append(i)
    return out


#: Tables of at least this many variables are scanned as numpy words.
WIDE = 10


@functools.cache
def _in_word_masks():
    """Per variable i < 6: shifts 2**i and the word's rows with x_i = 0, as numpy columns."""
    import numpy as np

    masks = [sum(1 << m for m in range(64) if not (m >> i) & 1) for i in range(6)]
    return (np.array([1 << i for i in range(6)], dtype=np.uint64)[:, None],
            np.array(masks, dtype=np.uint64)[:, None])


def _words(tt: int, k: int):
    import numpy as np

    return np.frombuffer(tt.to_bytes(1 << (k - 3), "little"), dtype=np.uint64)


def _care_support_words(tt: int, care: int | None, k: int) -> list[int]:
    """:func:`care_support` over 64-bit words (``care`` None: every row cares)."""
    shifts, masks = _in_word_masks()
    w = _words(tt, k)
    d = (w ^ (w >> shifts)) & masks                 # x_0..x_5: partners in the same word
    if care is not None:
        c = _words(care, k)
        d &= c & (c >> shifts)
    out = [i for i, hit in enumerate(d.any(axis=1).tolist()) if hit]
    for i in range(6, k):                          # x_i >= 6: partner words 2**(i-6) apart
        pairs = w.reshape(-1, 2, 1 << (i - 6))
        d = pairs[:, 0] ^ pairs[:, 1]
        if care is not None:
            cp = c.reshape(-1, 2, 1 << (i - 6))
            d &= cp[:, 0] & cp[:, 1]
        if d.any():
            out.append(i)
    return out


def split_scores(tt: int, care: int, k: int, sup: list[int]) -> dict[int, int]:
    """Per variable v of ``sup`` (the care support of ``tt``): the care supports' sizes of its two
    cofactors added, i.e. ``len(care_support(f_v=0, ...)) + len(care_support(f_v=1, ...))`` over ``sup``.

    Shannon splitting scores every variable of a 16-variable table this way; asking
    :func:`care_support` 2|sup| times costs |sup|^2 numpy passes per split.  Here one pass per
    variable u finds the rows where flipping x_u changes f (both rows cared for), and which
    values every other x_v takes on them: u counts in f_v=b's support iff some such row has x_v = b.
    """
    import numpy as np

    if k < WIDE:
        return _split_scores_ints(tt, care, k, sup)
    shifts, masks = _in_word_masks()
    w = _words(tt, k)
    c = None if care == full(k) else _words(care, k)
    n_words = 1 << (k - 6)
    index = np.arange(n_words, dtype=np.int64)
    score = dict.fromkeys(sup, 0)
    for u in sup:
        if u < 6:
            d = (w ^ (w >> shifts[u])) & masks[u]
            if c is not None:
                d &= c & (c >> shifts[u])
            where = index
        else:
            half = 1 << (u - 6)
            pairs = w.reshape(-1, 2, half)
            d = pairs[:, 0] ^ pairs[:, 1]
            if c is not None:
                cp = c.reshape(-1, 2, half)
                d &= cp[:, 0] & cp[:, 1]
            d = d.reshape(-1)
            where = index.reshape(-1, 2, half)[:, 0].reshape(-1)
        hit = where[d != 0]
        if not hit.size:
            continue
        rows = int(np.bitwise_or.reduce(d))                     # row bits (x_0..x_5) seen in some word
        ones = int(np.bitwise_or.reduce(hit))                   # word-index bits (x_6..) seen as 1
        zeros = int(np.bitwise_or.reduce(~hit & (n_words - 1)))  # ... and as 0
        for v in sup:
            if v == u:
                continue
            if v < 6:
                score[v] += bool(rows & _ROW_ONES[v]) + bool(rows & ~_ROW_ONES[v])
            else:
                score[v] += ((ones >> (v - 6)) & 1) + ((zeros >> (v - 6)) & 1)
    return score


def _split_scores_ints(tt: int, care: int, k: int, sup: list[int]) -> dict[int, int]:
    """:func:`split_scores` on Python integers (narrow tables)."""
    everywhere = care == full(k)
    score = dict.fromkeys(sup, 0)
    for u in sup:
        s = 1 << u
        d = (tt ^ (tt >> s)) & _low_rows(u, k)
        if not everywhere:
            d &= care & (care >> s)
        if not d:
            continue
        for v in sup:
            if v != u:
                ones = var_table(v, k)
                score[v] += bool(d & ones) + bool(d & ~ones)
    return score


#: Per variable v < 6, the positions of a 64-row word with x_v = 1.
_ROW_ONES = [sum(1 << m for m in range(64) if (m >> v) & 1) for v in range(6)]


def swap_vars(tt: int, i: int, j: int, k: int) -> int:
    """f with x_i and x_j exchanged."""
    if i == j:
        return tt
    if i > j:
        i, j = j, i
    vi, vj = var_table(i, k), var_table(j, k)
    shift = (1 << j) - (1 << i)
    keep = tt & ~(vi ^ vj) & full(k)
    up = tt & vi & ~vj       # x_i = 1, x_j = 0 -> x_i = 0, x_j = 1
    down = tt & vj & ~vi & full(k)
    return keep | (up << shift) | (down >> shift)


def symmetric(tt: int, i: int, j: int, k: int) -> bool:
    """True when exchanging x_i and x_j leaves the function unchanged."""
    return swap_vars(tt, i, j, k) == tt


def symmetry_groups(tt: int, k: int) -> list[list[int]]:
    """Classes of mutually symmetric variables (symmetry under exchange is transitive)."""
    groups: list[list[int]] = []
    for i in range(k):
        for g in groups:
            if symmetric(tt, g[0], i, k):
                g.append(i)
                break
        else:
            groups.append([i])
    return groups


def shrink(tt: int, variables: list[int], k: int) -> int:
    """The table over ``variables`` only (they become variables 0, 1, ...); others must not matter."""
    n = len(variables)
    out = 0
    for m in range(1 << n):
        idx = 0
        for pos, v in enumerate(variables):
            if (m >> pos) & 1:
                idx |= 1 << v
        out |= ((tt >> idx) & 1) << m
    return out


def expand(tt: int, n: int, k: int = 4) -> int:
    """An n-variable table as a k-variable one (the extra variables do not matter)."""
    out = tt
    for i in range(n, k):
        out |= out << (1 << i)
    return out
