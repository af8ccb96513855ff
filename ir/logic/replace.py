"""Small replacement circuits and what they would cost in place.

An :class:`Implementation` is a circuit over numbered inputs: gate ``k``
(numbered after the inputs) is ``(gate id, a, b)``.  Every local optimiser
(cut rewriting, windowed equality saturation, resynthesis) proposes one for
a node, and :func:`dry_run` prices it against the network as it stands:
a gate that structural hashing finds already built is free, unless it lies
in the node's own fanout-free cone (which dies with the node); a new gate
costs 1 (an XOR costs ``xor_cost``).  :func:`build` then makes it.
"""

from __future__ import annotations

from dataclasses import dataclass

from .. import gates as G
from .xag import AND, GATE_XAG, XAG


@dataclass(frozen=True)
class Implementation:
    """Gates over inputs ``0 .. n_inputs-1``; ``out`` is a node index or -1 for the constant 0."""

    n_inputs: int
    gates: tuple[tuple[int, int, int], ...]
    out: int
    out_neg: int = 0

    @property
    def size(self) -> int:
        """Number of gates."""
        return len(self.gates)


def _unary(g: int, x, y):
    """Literal of a degenerate gate id on literals x, y (None stays unknown)."""
    shape, _, _, neg = G.FORMS[g]
    if shape == G.SHAPE_CONST:
        return neg
    keep = x if shape == G.SHAPE_A else y
    return None if keep is None else keep ^ neg


def dry_run(net: XAG, impl: Implementation, inputs: list[int], cone: set[int], xor_cost: int = 1,
            flip: int = 0, limit: int | None = None):
    """(cost added, output literal or None if new, depth of the output) for ``impl`` on ``inputs``.

    ``flip`` complements the output.  Once the cost exceeds ``limit`` the
    count stops early (the answer is then only "more than ``limit``").
    """
    vals: list[int | None] = list(inputs)
    levels = [net.level[x >> 1] for x in inputs]
    added = 0
    kind_of = net.kind
    for g, a, b in impl.gates:
        x, y = vals[a], vals[b]
        if g not in GATE_XAG:
            vals.append(_unary(g, x, y))
            levels.append(levels[a] if G.FORMS[g][0] == G.SHAPE_A else levels[b])
            continue
        kind, na, nb, no = GATE_XAG[g]
        lit = None
        if x is not None and y is not None:
            lit = net.lookup(kind, x ^ na, y ^ nb)
            if lit is not None and lit >> 1 in cone:
                added += 1 if kind_of[lit >> 1] == AND else xor_cost
        if lit is None:
            added += 1 if kind == AND else xor_cost
            if limit is not None and added > limit:
                return added, None, 0
            vals.append(None)
        else:
            vals.append(lit ^ no)
        levels.append(1 + max(levels[a], levels[b]))
    if impl.out < 0:
        return added, impl.out_neg ^ flip, 0
    out = vals[impl.out]
    return added, None if out is None else out ^ impl.out_neg ^ flip, levels[impl.out]


def build(net: XAG, impl: Implementation, inputs: list[int], flip: int = 0) -> int:
    """Make ``impl`` on ``inputs`` (output complemented by ``flip``); returns its output literal."""
    if impl.out < 0:
        return impl.out_neg ^ flip
    vals = list(inputs)
    for g, a, b in impl.gates:
        vals.append(net.gate(g, vals[a], vals[b]))
    return vals[impl.out] ^ impl.out_neg ^ flip


def replace_node(net: XAG, node: int, impl: Implementation, inputs: list[int], flip: int = 0) -> bool:
    """Build ``impl`` and substitute it for ``node``; False if it is the node itself."""
    first_new = net.n_nodes
    lit = build(net, impl, inputs, flip)
    if lit >> 1 == node:
        return False
    net.replace(node, lit)
    for x in range(first_new, net.n_nodes):
        net.kill_if_unused(x)
    return True
