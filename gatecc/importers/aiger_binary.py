"""The binary AIGER AND section decoded with numpy, for the common well-formed file.

A binary AIGER file stores AND ``k`` as two delta-encoded unsigned varints
(``lhs - rhs0`` and ``rhs0 - rhs1``, 7 bits a byte, the high bit set on all
but the last byte).  Read one byte at a time in Python that costs about 25
microseconds an AND, most of reading a 100k-AND circuit (and a third of
``gatecc verify``'s time on a 12k-AND one).  Here every varint is decoded
at once: the terminating bytes (high bit clear) delimit the varints, and
each byte's 7 bits are shifted by its place within its varint.

:func:`decode_ands` answers None for anything unusual (a truncated section,
a zero delta, a constant fanin, an over-long varint); the byte-at-a-time
reader then handles the file, with its exact error messages, so both paths
give the same graph or the same error.
"""

from __future__ import annotations

import numpy as np

from ..ir import gates as G
from ..ir.graph import Graph, Op

#: Gate id of an AND whose fanins are complemented as (rhs0 & 1, rhs1 & 1): index 2 * neg0 + neg1.
_AND_IDS = np.array([G.AND, G.negate_b(G.AND), G.negate_a(G.AND), G.negate_b(G.negate_a(G.AND))], dtype=np.int32)
#: A literal of up to 2**62 takes at most 9 varint bytes: longer ones would overflow int64.
_MAX_BYTES = 9


def decode_ands(data: bytes, pos: int, n_in: int, n_and: int):
    """(rhs0, rhs1, end) of the AND section starting at ``pos``: numpy literal arrays and the offset after it.

    None when the section is not the plain case: truncated, a fanin that is
    the constant or not strictly below its AND, or a varint over 9 bytes.
    """
    if n_and == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64), pos
    # At most 9 bytes per varint: no need to look further than that.
    body = np.frombuffer(data, dtype=np.uint8, count=min(len(data) - pos, 2 * n_and * _MAX_BYTES), offset=pos)
    ends = np.flatnonzero(body < 0x80)
    if len(ends) < 2 * n_and:
        return None
    ends = ends[:2 * n_and]
    end = int(ends[-1]) + 1
    starts = np.concatenate(([0], ends[:-1] + 1))
    lengths = ends - starts + 1
    if int(lengths.max()) > _MAX_BYTES:
        return None
    # Each byte's place in its varint: its offset from the varint's first byte.
    place = np.arange(end, dtype=np.int64) - np.repeat(starts, lengths)
    chunks = (body[:end].astype(np.int64) & 0x7F) << (7 * place)
    values = np.add.reduceat(chunks, starts)
    d0, d1 = values[0::2], values[1::2]
    lhs = 2 * (n_in + 1 + np.arange(n_and, dtype=np.int64))
    rhs0 = lhs - d0
    rhs1 = rhs0 - d1
    # A zero delta reads the AND itself (a cycle); a fanin below 2 is a constant: the slow reader's cases.
    if (d0 <= 0).any() or (rhs1 < 2).any():
        return None
    return rhs0, rhs1, pos + end


def and_graph(n_in: int, rhs0: np.ndarray, rhs1: np.ndarray) -> tuple[np.ndarray, ...]:
    """(op, arg, a, b) node arrays: the inputs, then one gate per AND absorbing its fanin inversions.

    Node ``v - 1`` is AIGER variable ``v`` (no constant is needed: the
    fast path has no constant fanin), exactly as the byte-at-a-time reader
    numbers them.
    """
    n_and = len(rhs0)
    op = np.concatenate([np.full(n_in, Op.INPUT, dtype=np.uint8), np.full(n_and, Op.GATE, dtype=np.uint8)])
    arg = np.concatenate([np.arange(n_in, dtype=np.int32), _AND_IDS[2 * (rhs0 & 1) + (rhs1 & 1)]])
    none = np.full(n_in, -1, dtype=np.int64)
    a = np.concatenate([none, (rhs0 >> 1) - 1])
    b = np.concatenate([none, (rhs1 >> 1) - 1])
    return op, arg, a, b


def with_outputs(n_in: int, nodes: tuple[np.ndarray, ...], outputs: list[int]) -> Graph:
    """The graph of ``nodes`` whose outputs are these AIGER literals (a NOT per complemented one).

    Outputs are appended in order as the byte-at-a-time reader appends
    them: the constant node once, at its first use, and a fresh NOT for
    every complemented output.
    """
    op, arg, a, b = nodes
    n = len(op)
    t_op, t_a = [], []                  # the appended tail: the constant, then NOTs
    const = None
    out = []
    for lit in outputs:
        var = lit >> 1
        if var == 0:
            if const is None:
                const = n + len(t_op)
                t_op.append(Op.CONST), t_a.append(-1)
            node = const
        else:
            node = var - 1
        if lit & 1:
            t_op.append(Op.NOT), t_a.append(node)
            node = n + len(t_op) - 1
        out.append(node)
    k = len(t_op)
    op = np.concatenate([op, np.array(t_op, dtype=np.uint8)])
    arg = np.concatenate([arg, np.zeros(k, dtype=np.int32)])
    a = np.concatenate([a, np.array(t_a, dtype=np.int64)])
    b = np.concatenate([b, np.full(k, -1, dtype=np.int64)])
    return Graph(n_inputs=n_in, op=op, arg=arg, a=a, b=b, outputs=out)
