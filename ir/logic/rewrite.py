"""DAG-aware cut rewriting with optimal 4-input circuits.

For each node (in topological order) and each of its 4-input cuts, the cut's
function is looked up in the exact-synthesis table (:mod:`.exact`); each
optimal circuit for it is costed *in place*: gates that already exist in the
network are free (structural hashing finds them), except those inside the
node's own maximum fanout-free cone, which would otherwise die.  The best
circuit replaces the node when it saves cost (or, with ``zero_gain``, when it
costs the same and is not the same structure, which reshapes the network for
the next round).  This is the rewriting of ABC and mockturtle, over gatecc's
16-gate basis instead of AND gates.

Cost models: ``gates`` (every AND and XOR costs 1: gatecc's gate count) and
``aig`` (an XOR costs 3 ANDs: ABC's AND count).
"""

from __future__ import annotations

from dataclasses import dataclass

from .cuts import FULL, enumerate_cuts
from .exact import database
from .npn import VAR_TT
from .xag import AND, GATE_XAG, XAG

#: cost model name -> (exact-table basis, cost of an XOR node).
COST_MODELS: dict[str, tuple[str, int]] = {"gates": ("gates", 1), "aig": ("aig", 3)}


def negate_var(tt: int, i: int) -> int:
    """``tt`` with variable ``i`` complemented."""
    v, s = VAR_TT[i], 1 << i
    return (((tt & v) >> s) | ((tt << s) & v)) & FULL


@dataclass
class RewriteStats:
    """What one rewriting sweep did."""

    nodes_tried: int = 0
    cuts_tried: int = 0
    replaced: int = 0
    gain: int = 0


def _resolve_cut(net: XAG, leaves: tuple[int, ...], tt: int):
    """The cut's leaves as live literals (replaced leaves forwarded), or None."""
    lits = []
    for i, leaf in enumerate(leaves):
        lit = net.resolve(leaf)
        if lit is None:
            return None
        if lit & 1:
            tt = negate_var(tt, i)
            lit ^= 1
        lits.append(lit)
    if len(set(lits)) != len(lits):
        return None
    return lits, tt


def _instantiate_inputs(lits: list[int], perm, neg: int) -> list[int]:
    """Literals feeding class-circuit inputs 0-3 (missing leaves read constant 0)."""
    return [(lits[perm[j]] if perm[j] < len(lits) else 0) ^ ((neg >> j) & 1) for j in range(4)]


def _dry_run(net: XAG, circuit, inputs: list[int], cone: set[int], xor_cost: int):
    """(cost added, output literal or None, depth) if ``circuit`` were built on ``inputs``."""
    vals: list[int | None] = list(inputs)
    levels = [net.level[x >> 1] for x in inputs]
    added = 0
    kind_of = net.kind
    for g, a, b in circuit.gates:
        kind, na, nb, no = GATE_XAG[g]
        x, y = vals[a], vals[b]
        lit = None
        if x is not None and y is not None:
            lit = net.lookup(kind, x ^ na, y ^ nb)
            if lit is not None and lit >> 1 in cone:
                added += 1 if kind_of[lit >> 1] == AND else xor_cost
        if lit is None:
            added += 1 if kind == AND else xor_cost
            vals.append(None)
        else:
            vals.append(lit ^ no)
        levels.append(1 + max(levels[a], levels[b]))
    if circuit.out < 0:
        return added, circuit.out_neg, 0
    out = vals[circuit.out]
    return added, None if out is None else out ^ circuit.out_neg, levels[circuit.out]


def _build(net: XAG, circuit, inputs: list[int]) -> int:
    """Build ``circuit`` on ``inputs``; returns its output literal."""
    if circuit.out < 0:
        return circuit.out_neg
    vals = list(inputs)
    for g, a, b in circuit.gates:
        vals.append(net.gate(g, vals[a], vals[b]))
    return vals[circuit.out] ^ circuit.out_neg


def rewrite(net: XAG, cost: str = "gates", zero_gain: bool = False, cut_limit: int = 8,
            max_circuits: int = 4) -> RewriteStats:
    """One rewriting sweep over ``net`` (edited in place; call ``compact`` after)."""
    basis, xor_cost = COST_MODELS[cost]
    db = database()
    stats = RewriteStats()
    order = net.topological()
    cuts = enumerate_cuts(net, order, 4, cut_limit)
    node_cost = lambda n: 1 if net.kind[n] == AND else xor_cost  # noqa: E731
    for n in order:
        if net.dead[n]:
            continue
        stats.nodes_tried += 1
        best = None   # (gain, -level, circuit, inputs)
        for leaves, tt in cuts[n][:-1]:
            resolved = _resolve_cut(net, leaves, tt)
            if resolved is None:
                continue
            lits, tt = resolved
            leaf_nodes = {x >> 1 for x in lits}
            if n in leaf_nodes:
                continue
            stats.cuts_tried += 1
            circuits, perm, neg, oneg = db.circuits(tt, basis)
            cone = net.deref(n, leaf_nodes)
            saved = sum(node_cost(x) for x in cone)
            cone_set = set(cone)
            inputs = _instantiate_inputs(lits, perm, neg)
            for circuit in circuits[:max_circuits]:
                added, out, level = _dry_run(net, circuit, inputs, cone_set, xor_cost)
                if out is not None and (out ^ oneg) >> 1 == n:
                    continue           # the node's own structure
                key = (saved - added, -level)
                if best is None or key > best[0]:
                    best = (key, circuit, inputs, oneg)
            net.reref(cone)
        if best is None:
            continue
        (gain, _), circuit, inputs, oneg = best
        if gain > 0 or (zero_gain and gain == 0):
            first_new = net.n_nodes
            lit = _build(net, circuit, inputs) ^ oneg
            if lit >> 1 == n:
                continue
            net.replace(n, lit)
            for x in range(first_new, net.n_nodes):
                if net.ref[x] == 0 and not net.dead[x]:
                    net.kill_if_unused(x)
            stats.replaced += 1
            stats.gain += gain
    return stats
