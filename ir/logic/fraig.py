"""SAT sweeping: merge nodes that compute the same function (or its complement).

The optimiser's ``fraig`` pass (ABC's ``fraig``/``&fraig``) runs the engine
that ``gatecc verify`` uses (:mod:`.sweep`) over the whole network: random
simulation groups nodes into candidate classes, the network is rebuilt in
topological order, and each node is checked against the earlier members of
its class, first over a small common cut (:func:`local_equal`, below), then
by one incremental SAT solver under an assumption.  A proof maps the node to
the earlier one; a counterexample and its distance-1 neighbours are
simulated at once and split the classes.  Since a representative always
precedes what it replaces in the order being rebuilt, no merge can close a
cycle and no cycle check is needed.
"""

from __future__ import annotations

from dataclasses import dataclass

from .xag import AND, XAG


@dataclass
class FraigStats:
    """What a sweep did."""

    candidates: int = 0     # equivalence questions asked
    local: int = 0          # of those, proved over a common cut without SAT
    merged: int = 0         # proved equal and merged
    disproved: int = 0      # counterexamples found
    undecided: int = 0      # conflict budget ran out
    resimulations: int = 0
    seconds: float = 0.0
    stopped: str = "done"   # or "time limit"


def local_equal(net: XAG, x: int, y: int, max_leaves: int = 12, max_nodes: int = 64) -> bool:
    """Whether literals ``x`` and ``y`` are proved equal over a common cut of at most ``max_leaves`` leaves.

    The cut grows from both nodes, expanding the deepest leaf first while the
    leaf budget allows, so it settles on the structure the two cones share;
    both are then simulated exhaustively over it.  Equal tables are a proof
    (equal as functions of the cut means equal everywhere); different ones
    prove nothing (the cut's patterns may not all occur), and the caller asks
    the SAT solver.  Most nodes an optimiser rebuilt differ from the original
    only a few levels up from a shared cut, so this settles them without SAT.
    """
    import heapq
    from collections import defaultdict

    from . import truth as T
    from .sim import propagate

    kind, fa, fb, level = net.kind, net.fa, net.fb, net.level
    roots = {x >> 1, y >> 1}
    leaves = set(roots)
    heap = [(-level[n], n) for n in leaves if kind[n] >= AND]
    heapq.heapify(heap)
    expanded = 0
    waiting = []            # leaves over the budget now; another expansion may make room
    while heap and expanded < max_nodes:
        _, n = heapq.heappop(heap)
        if n not in leaves:
            continue
        new = {fa[n] >> 1, fb[n] >> 1} - leaves
        if len(leaves) - 1 + len(new) > max_leaves:
            waiting.append(n)
            continue
        leaves.discard(n)
        expanded += 1
        for c in new:
            leaves.add(c)
            if kind[c] >= AND:
                heapq.heappush(heap, (-level[c], c))
        if len(new) < 2:
            for w in waiting:
                heapq.heappush(heap, (-level[w], w))
            waiting = []
    leaf_list = sorted(leaves)
    k = len(leaf_list)
    vals: dict[int, int] = {0: 0}
    for i, leaf in enumerate(leaf_list):
        vals[leaf] = T.var_table(i, k)
    full = T.full(k)
    propagate(net, vals, net.postorder(sorted(roots), defaultdict(int, dict.fromkeys(leaf_list, 1))), full)
    vx = vals[x >> 1] ^ (full if x & 1 else 0)
    vy = vals[y >> 1] ^ (full if y & 1 else 0)
    return vx == vy


def fraig(net: XAG, width: int = 1024, budget: int = 100, seed: int = 0, candidates: int = 2,
          time_limit: float | None = None) -> FraigStats:
    """Merge proven-equal nodes of ``net``; ``net`` becomes the rebuilt network (call ``compact`` after).

    ``width`` random patterns start the simulation; each SAT question may
    use ``budget`` conflicts; each node is tried against up to
    ``candidates`` earlier members of its class; ``time_limit`` seconds end
    the checking early (the network stays equal to what it was).
    """
    from .sweep import sweep_network

    new, st = sweep_network(net, width=width, budget=budget, seed=seed, candidates=candidates,
                            time_limit=time_limit)
    # In place for the callers, which hold ``net``: the sinks keep their indices.
    net.__dict__.clear()
    net.__dict__.update(new.__dict__)
    return FraigStats(candidates=st.local + st.proved + st.disproved + st.undecided,
                      local=st.local, merged=st.structural + st.local + st.proved,
                      disproved=st.disproved, undecided=st.undecided, resimulations=st.resimulations,
                      seconds=st.seconds, stopped=st.stopped)
