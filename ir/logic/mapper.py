"""Technology mapping onto the 16-gate basis with optimal 4-input circuits (vectorised).

Every 4-input cut of a node is a candidate "cell" whose cost is the size of
the optimal circuit for its function (:mod:`.exact`).  Mapping picks one cut
per needed node so that the whole circuit is small:

1. **area flow** (level by level, numpy): the cost of implementing a node is
   its cut's cost plus, for each leaf, the leaf's own area flow divided by
   how many readers share it; the cheapest cut wins (depth breaks ties);
2. **cover**: walking down from the sinks, the chosen cuts' leaves are the
   nodes that must exist; how often each is read feeds the fanout estimate
   of the next round (area recovery);
3. **instantiation**: each needed node is built as its cut's optimal circuit
   on the leaves' new literals, structurally hashed, so equal cells are
   shared.

This is the cut-based mapping of ABC's ``&nf``/``map`` with a library that
holds every 4-input function at its minimum size.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

from .exact import COST_MODELS, database
from .strash import ArrayNet, _gate_level, _Net, live
from .levels import net_levels
from .vcuts import SENT, enumerate_cuts

INF = np.float64(1e18)


@dataclass
class MapStats:
    """What mapping did."""

    cells: int = 0
    area: int = 0            # gate cost of the cover (before hashing shares cells)
    rounds: int = 0


def _cost_tables(cost: str):
    arrays = circuit_arrays(cost)
    return None, arrays["size"].astype(np.float64), arrays["depth"]


def map_network(net: ArrayNet, cost: str = "gates", cut_limit: int = 8, rounds: int = 2,
                penalties=(float("inf"), 1.0), choices=None) -> tuple[ArrayNet, MapStats]:
    """Map ``net``; returns the smallest mapped network (arrays) and statistics.

    A cell that swallows a node other logic also reads duplicates it, which
    area flow underestimates; so each such node adds a penalty to the cell's
    cost.  One mapping is made per penalty in ``penalties`` (``inf``: no
    duplication at all, which never grows the network) and the smallest kept:
    duplication pays on structured logic (XORs rebuilt from AND gates) and
    loses on random logic.

    ``choices`` (a :class:`.choices.ChoiceNet`, whose ``net`` is then
    ``net``): each class's cuts come from all its members, and the cover is
    over the representatives.
    """
    _, cell_cost, cell_depth = _cost_tables(cost)
    n, first = net.n_nodes, net.first_gate
    if n == first:
        return net, MapStats()
    if choices is None:
        levels = net_levels(net.fa, net.fb, first)
        refs = net.refs()
        classes = None
    else:
        levels, refs, classes = choices.level, choices.refs(), (choices.repr, choices.phase)
    cuts = enumerate_cuts(net.is_xor, net.fa, net.fb, first, levels, cut_limit, refs=refs, classes=classes)
    slots = cuts.slots - 1                      # the trivial cut is not a cell
    leaves = cuts.leaves[:, :slots].astype(np.int64)
    valid = cuts.n_leaves[:, :slots] >= 1
    tts = cuts.tt[:, :slots]
    shared = cuts.shared[:, :slots]
    gates = np.arange(first, n)
    if classes is not None:
        gates = gates[classes[0][first:] == gates]          # only representatives are covered
    order = gates[np.argsort(levels[gates], kind="stable")]
    bounds = np.flatnonzero(np.diff(levels[order])) + 1
    groups = [g for g in np.split(order, bounds) if len(g)]
    best = None
    for penalty in penalties:
        extra = np.where(shared > 0, INF, 0.0) if penalty == float("inf") else penalty * shared
        c_cost = np.where(valid, cell_cost[tts] + extra, INF)
        choice, need, area = _select(net, groups, leaves, c_cost, cell_depth[tts], refs, rounds)
        needed = np.flatnonzero(need)
        mapped = instantiate(net, needed, leaves[needed, choice[needed]], tts[needed, choice[needed]],
                             levels[needed], cost)
        size = mapped.n_nodes - mapped.first_gate
        if best is None or size < best[0]:
            best = (size, mapped, MapStats(len(needed), int(cell_cost[tts[needed, choice[needed]]].sum()), rounds))
    return best[1], best[2]


def _select(net, groups, leaves, c_cost, c_depth, refs, rounds):
    """Area flow with recovery rounds: (chosen cut per node, needed nodes, area estimate)."""
    n, first = net.n_nodes, net.first_gate
    leaf_idx = np.where(leaves == SENT, 0, leaves)
    leaf_real = leaves != SENT
    est = np.maximum(refs.astype(np.float64), 1.0)
    sink_nodes = np.unique(net.sinks >> 1)
    sink_gates = sink_nodes[sink_nodes >= first]
    choice = np.zeros(n, dtype=np.int64)
    need = np.zeros(n, dtype=bool)
    for _ in range(rounds):
        af = np.zeros(n)
        dep = np.zeros(n, dtype=np.int64)
        for nodes in groups:
            lf = leaf_idx[nodes]
            flow = np.where(leaf_real[nodes], af[lf] / est[lf], 0.0).sum(axis=2) + c_cost[nodes]
            d = np.where(leaf_real[nodes], dep[lf], 0).max(axis=2) + c_depth[nodes]
            pick = np.argmin(flow + 1e-3 * d, axis=1)
            rows = np.arange(len(nodes))
            choice[nodes] = pick
            af[nodes] = flow[rows, pick]
            dep[nodes] = d[rows, pick]
        # Cover: which nodes the chosen cells need, and how often each is read.
        need = np.zeros(n, dtype=bool)
        need[sink_gates] = True
        used = np.zeros(n)
        np.add.at(used, net.sinks >> 1, 1.0)
        for nodes in reversed(groups):
            nodes = nodes[need[nodes]]
            if not len(nodes):
                continue
            lf = leaf_idx[nodes, choice[nodes]][leaf_real[nodes, choice[nodes]]]
            np.add.at(used, lf, 1.0)
            need[lf[lf >= first]] = True
        est = np.maximum((est + 2.0 * used) / 3.0, 1.0)
    area = float(c_cost[need, choice[need]].sum())
    return choice, need, area


@functools.cache
def circuit_arrays(cost: str) -> dict[str, np.ndarray]:
    """The optimal circuit of every 4-input table as padded arrays (for vectorised building).

    ``gates[tt, k]`` is (gate id, a, b) of step k (a, b index inputs 0-3 then
    earlier steps); ``size``, ``depth``, ``out`` (-1: constant), ``flip``
    (output complement, class and NPN combined), ``perm`` and ``neg`` (input
    transform).  Built per class, then spread to all tables by indexing.
    """
    from .npn import PERMS, npn_table

    basis, _ = COST_MODELS[cost]
    db = database()
    npn = npn_table()
    classes = npn.classes()
    index = np.zeros(1 << 16, dtype=np.int64)
    index[np.asarray(classes)] = np.arange(len(classes))
    k = len(classes)
    # Gates-basis optima have at most 7 gates; AND-only bounds need more (an XOR is 3).
    width = max(db.table[(basis, c)][0].size for c in classes)
    gates = np.zeros((k, width, 3), dtype=np.int64)
    size, depth, out, oneg = (np.zeros(k, dtype=np.int64) for _ in range(4))
    for i, c in enumerate(classes):
        circuit = db.table[(basis, c)][0]
        size[i], depth[i], out[i], oneg[i] = circuit.size, circuit.depth, circuit.out, circuit.out_neg
        if circuit.size:
            gates[i, : circuit.size] = circuit.gates
    cls = index[npn.canon.astype(np.int64)]
    return {"gates": gates[cls], "size": size[cls], "depth": depth[cls], "out": out[cls],
            "flip": oneg[cls] ^ npn.oneg.astype(np.int64),
            "perm": np.asarray(PERMS, dtype=np.int64)[npn.perm.astype(np.int64)],
            "neg": npn.neg.astype(np.int64)}


def instantiate(net: ArrayNet, cells: np.ndarray, cell_leaves: np.ndarray, cell_tts: np.ndarray,
                cell_levels: np.ndarray, cost: str = "gates") -> ArrayNet:
    """Build each cell's optimal circuit on its leaves' new literals, level by level (vectorised)."""
    arrays = circuit_arrays(cost)
    first = net.first_gate
    size = arrays["size"][cell_tts]
    builder = _Net(net.n_inputs, int(size.sum()) + 1)
    lit = np.zeros(net.n_nodes, dtype=np.int64)
    lit[:first] = 2 * np.arange(first)
    order = np.argsort(cell_levels, kind="stable")
    cells, cell_leaves, cell_tts = cells[order], cell_leaves[order], cell_tts[order]
    bounds = np.flatnonzero(np.diff(cell_levels[order])) + 1
    for part in np.split(np.arange(len(cells)), bounds):
        if not len(part):
            continue
        tt = cell_tts[part]
        lv = cell_leaves[part]
        leaf_lit = np.where(lv == SENT, 0, lit[np.where(lv == SENT, 0, lv)])
        perm = arrays["perm"][tt]
        vals = np.zeros((len(part), 4 + arrays["gates"].shape[1]), dtype=np.int64)
        vals[:, :4] = np.take_along_axis(leaf_lit, perm, axis=1) ^ ((arrays["neg"][tt][:, None] >> np.arange(4)) & 1)
        steps = arrays["gates"][tt]
        n_steps = arrays["size"][tt]
        for k in range(int(n_steps.max(initial=0))):
            active = np.flatnonzero(n_steps > k)
            g, a, b = steps[active, k, 0], steps[active, k, 1], steps[active, k, 2]
            rows = active
            vals[rows, 4 + k] = _gate_level(builder, g, vals[rows, a], vals[rows, b])
        out = arrays["out"][tt]
        res = np.where(out < 0, 0, vals[np.arange(len(part)), np.maximum(out, 0)]) ^ arrays["flip"][tt]
        lit[cells[part]] = res
    sinks = np.where(True, lit[net.sinks >> 1] ^ (net.sinks & 1), 0)
    size_used = builder.n
    return live(ArrayNet(net.n_inputs, builder.is_xor[:size_used].copy(), builder.fa[:size_used].copy(),
                         builder.fb[:size_used].copy(), sinks, net.outputs))

