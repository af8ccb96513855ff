"""Decision heads: the class or the threshold bits of a GroupSum net, built as gates.

A GroupSum net outputs k counts; a user usually wants the decision made from
them.  :func:`apply_head` replaces the count outputs by that decision, built
in the IR from the adder-tree count bits (:mod:`.adders`), so every pass sees
the comparators and may change any logic whose effect the decision never
shows (the counts are no longer observed):

* ``counts``: the counts themselves (what the graph already outputs);
* ``argmax``: one ``uint`` output of ``ceil(log2 k)`` bits (one bit for
  k <= 2), the index of the largest count, ties to the lowest index (as
  ``numpy.argmax`` / ``torch.argmax``): a tournament of comparators in which
  the higher-index side wins only when strictly greater;
* ``threshold:T``: k bit outputs, ``count > T`` (T an integer >= 0).
"""

from __future__ import annotations

from dataclasses import dataclass

from .. import gates as G
from ..builder import Builder, copy_nodes, rebuild
from ..graph import Graph, Op
from .adders import adder_tree

HEAD_NAMES = ("argmax", "threshold:T", "counts")


class HeadError(ValueError):
    """A head that is unknown, malformed, or does not fit the graph."""


@dataclass(frozen=True)
class Head:
    """A parsed head: ``kind`` is "argmax", "threshold" or "counts"; ``t`` the threshold."""

    kind: str
    t: int = 0

    def spec(self) -> str:
        """The spelling :func:`parse_head` reads back."""
        return f"threshold:{self.t}" if self.kind == "threshold" else self.kind


def parse_head(text) -> Head | None:
    """``"argmax"``, ``"threshold:T"`` or ``"counts"`` (or a :class:`Head`, or None) as a :class:`Head`."""
    if text is None or isinstance(text, Head):
        return text
    if not isinstance(text, str):
        raise HeadError(f"a head is a string such as 'argmax', not a {type(text).__name__}")
    name, sep, value = text.strip().partition(":")
    if name in ("argmax", "counts") and not sep:
        return Head(name)
    if name == "threshold":
        if not sep or not value.strip():
            raise HeadError("the threshold head needs a value: threshold:T (count > T)")
        try:
            t = int(value.strip())
        except ValueError:
            raise HeadError(f"threshold {value.strip()!r} is not an integer (threshold:T means count > T)") from None
        if t < 0:
            raise HeadError(f"threshold {t} is negative (threshold:T means count > T, T >= 0)")
        return Head("threshold", t)
    raise HeadError(f"unknown head {text!r} (known: {', '.join(HEAD_NAMES)})")


def greater(bld, x: list[int], y: list[int]) -> int:
    """The bit ``x > y`` of two unsigned numbers (bits least significant first).

    A ripple from the least significant bit: above bit i, x > y when x_i and
    y_i differ and x_i is set, or when they agree and the lower bits say so
    (``gt = x_i ^ y_i ? x_i : gt``).  Constant bits fold in the builder, so a
    comparison against a constant threshold costs only what it needs.
    """
    width = max(len(x), len(y))
    zero = bld.const(0)
    x = list(x) + [zero] * (width - len(x))
    y = list(y) + [zero] * (width - len(y))
    gt = zero
    for xi, yi in zip(x, y):
        differ = bld.gate(G.XOR, xi, yi)
        gt = mux(bld, differ, xi, gt)
    return gt


def mux(bld, sel: int, one: int, zero: int) -> int:
    """``sel ? one : zero``."""
    if one == zero:
        return one
    return bld.gate(G.OR, bld.gate(G.AND, sel, one), bld.gate(4, sel, zero))   # 4: ~a & b


def constant_bits(bld, value: int, width: int) -> list[int]:
    """``value`` as ``width`` constant bit nodes, least significant first."""
    return [bld.const((value >> i) & 1) for i in range(width)]


def index_width(k: int) -> int:
    """Bits of an argmax output over k classes: ceil(log2 k), at least 1."""
    return max(1, (k - 1).bit_length())


def argmax_bits(bld, counts: list[list[int]]) -> list[int]:
    """The index bits of the largest of ``counts`` (each a list of bits), ties to the lowest index.

    Pairs of neighbours are compared level by level; the right (higher-index)
    candidate wins only when strictly greater, so among equal maxima the
    leftmost survives every round.
    """
    width = index_width(len(counts))
    cands = [(bits, constant_bits(bld, j, width)) for j, bits in enumerate(counts)]
    while len(cands) > 1:
        nxt = []
        for i in range(0, len(cands) - 1, 2):
            (lv, li), (rv, ri) = cands[i], cands[i + 1]
            sel = greater(bld, rv, lv)
            w = max(len(lv), len(rv))
            zero = bld.const(0)
            lv2, rv2 = lv + [zero] * (w - len(lv)), rv + [zero] * (w - len(rv))
            nxt.append(([mux(bld, sel, r, l) for r, l in zip(rv2, lv2)],
                        [mux(bld, sel, r, l) for r, l in zip(ri, li)]))
        if len(cands) % 2:
            nxt.append(cands[-1])
        cands = nxt
    return cands[0][1]


def _count_bits(bld, graph: Graph, node: int, new: list[int]) -> list[int]:
    """The binary count bits of count output ``node`` in the new graph."""
    operands = [new[x] for x in graph.operands[node]]
    if graph.op[node] == Op.UINT:
        return operands
    return adder_tree(bld, operands)


def apply_head(graph: Graph, head) -> Graph:
    """``graph`` with its count outputs replaced by ``head``'s decision (a no-op for None/counts).

    Raises :class:`HeadError` when ``graph`` has no count outputs or mixes
    counts and bits.
    """
    head = parse_head(head)
    if head is None:
        return graph
    kinds = graph.output_kinds()
    if not kinds or any(k != "count" for k in kinds):
        raise HeadError(f"head {head.spec()!r} needs a model whose outputs are GroupSum counts; "
                        f"this one has {kinds.count('bit')} bit outputs and {kinds.count('count')} counts")
    if head.kind == "counts":
        return graph
    # The net is copied verbatim (-O0 stays raw); only the head's own logic folds and hashes.
    bld = Builder.raw(graph.n_inputs)
    new = _copy_nodes(graph, bld)
    bld.fold = bld.cse = True
    counts = [_count_bits(bld, graph, o, new) for o in graph.outputs]
    if head.kind == "threshold":
        for o, bits in zip(graph.outputs, counts):
            t = head.t
            most = len(graph.operands[o]) if graph.op[o] == Op.POPCOUNT else (1 << len(bits)) - 1
            if t >= most:
                bld.output(bld.const(0))     # no count of this group exceeds T
            else:
                bld.output(greater(bld, bits, constant_bits(bld, t, max(len(bits), t.bit_length()))))
    else:
        bld.output(bld.uint(argmax_bits(bld, counts)))
    return _drop_unread_counts(bld.finish())


def _copy_nodes(graph: Graph, bld: Builder) -> list[int]:
    """Node map of ``graph`` copied through ``bld`` (count nodes map to -1: rebuilt from operands)."""
    return copy_nodes(graph, bld, nary=False)


def _drop_unread_counts(graph: Graph) -> Graph:
    """Remove nodes no output reads (the old count logic the decision replaced is kept if read)."""
    return rebuild(graph, Builder.raw(graph.n_inputs), live_only=True)
