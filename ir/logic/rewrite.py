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
from .exact import COST_MODELS, database
from .npn import VAR_TT
from .replace import dry_run, replace_node
from .xag import AND, XAG



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


def network_cuts(net: XAG, order: list[int], limit: int,
                 only: set[int] | None = None) -> dict[int, list[tuple[tuple[int, ...], int]]]:
    """Cuts of every node in ``order`` (of those in ``only``, when given) as (leaves, truth table),
    computed by :mod:`.vcuts`."""
    import numpy as np

    from .strash import from_xag
    from .vcuts import SENT
    from .vcuts import enumerate_cuts as enumerate_vectorised
    from .xag import Sinks

    arrays = from_xag(net, Sinks(()), order)
    cs = enumerate_vectorised(arrays.is_xor, arrays.fa, arrays.fb, arrays.first_gate, limit=limit)
    old = np.array(list(range(net.n_inputs + 1)) + order + [0], dtype=np.int64)   # SENT maps to the last slot
    first = arrays.first_gate
    rows = np.arange(len(order))
    if only is not None:
        # A later sweep visits a few nodes: converting every node's cuts to Python cost more than the sweep.
        rows = rows[np.fromiter((n in only for n in order), dtype=bool, count=len(order))]
    picked = cs.leaves[first + rows, :-1]
    # Leaves are sorted with the empty slots (SENT) last: a cut's leaves are its first n_leaves slots.
    leaves = old[np.where(picked == SENT, len(old) - 1, picked)].tolist()
    n_leaves = cs.n_leaves[first + rows, :-1].tolist()
    tts = cs.tt[first + rows, :-1].tolist()
    cuts = {}
    for r, lv, nl, tt in zip(rows.tolist(), leaves, n_leaves, tts):
        cuts[order[r]] = [(tuple(lv[k][:nl[k]]), tt[k]) for k in range(len(nl)) if nl[k] >= 1]
    return cuts


def rewrite(net: XAG, cost: str = "gates", zero_gain: bool = False, cut_limit: int = 8,
            max_circuits: int = 4, only: set[int] | None = None) -> RewriteStats:
    """One rewriting sweep over ``net`` (edited in place; call ``compact`` after).

    ``only`` restricts the sweep to those nodes (e.g. the region a previous
    sweep changed, :meth:`XAG.near_touched`).
    """
    basis, xor_cost = COST_MODELS[cost]
    lookup = database().lookup(basis)
    stats = RewriteStats()
    order = net.topological()
    cuts = network_cuts(net, order, cut_limit, only)
    node_cost = lambda n: 1 if net.kind[n] == AND else xor_cost  # noqa: E731
    for n in order:
        if net.dead[n] or (only is not None and n not in only):
            continue
        stats.nodes_tried += 1
        best = None   # (gain, -level, circuit, inputs)
        for leaves, tt in cuts[n]:
            resolved = _resolve_cut(net, leaves, tt)
            if resolved is None:
                continue
            lits, tt = resolved
            leaf_nodes = {x >> 1 for x in lits}
            if n in leaf_nodes:
                continue
            stats.cuts_tried += 1
            cone = net.deref(n, leaf_nodes)
            saved = sum(node_cost(x) for x in cone)
            floor = best[0][0] if best is not None else (0 if zero_gain else 1)
            if saved >= floor:
                circuits, perm, neg, oneg = lookup[tt]
                cone_set = set(cone)
                inputs = _instantiate_inputs(lits, perm, neg)
                for circuit in circuits[:max_circuits]:
                    added, out, level = dry_run(net, circuit, inputs, cone_set, xor_cost, oneg, saved - floor)
                    if added > saved - floor or (out is not None and out >> 1 == n):
                        continue           # too expensive, or the node's own structure
                    key = (saved - added, -level)
                    if best is None or key > best[0]:
                        best = (key, circuit, inputs, oneg)
            net.reref(cone)
        if best is None:
            continue
        (gain, _), impl, inputs, oneg = best
        if gain > 0 or (zero_gain and gain == 0):
            if replace_node(net, n, impl, inputs, oneg):
                stats.replaced += 1
                stats.gain += gain
    return stats
