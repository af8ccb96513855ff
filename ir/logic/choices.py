"""A structural-choice network: several equivalent versions of a circuit in one, for the mapper.

ABC's ``dch`` idea.  Snapshots of one circuit (say: as given, balanced,
rewritten, refactored) are built into one structurally hashed XAG, so the
logic they share is one node.  A SAT sweep in topological order then groups
the nodes into *choice classes* of nodes proved equal (or complementary) to
the class's first node, its *representative*; nothing is merged.  Every
fanin is then read through its class, so a node of any snapshot is built on
the representatives below it, and a class has as many alternative
structures as it has members.

The mapper (:func:`.mapper.map_network` with ``choices=``) enumerates each
class's cuts over all of its members (:func:`.vcuts.enumerate_cuts` with
``classes=``) and covers the representatives' network, so it picks, cell by
cell, the best structure any snapshot had.

Reading fanins through classes can close a loop (a member built on a class
that reads the member's own class); members on a loop are dropped until the
class graph is acyclic (the representatives alone always are: each reads
only earlier nodes).
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

import numpy as np

from .arrays import ArrayNet
from .xag import AND, XOR, XAG


@dataclass
class ChoiceNet:
    """A network with choice classes.

    ``net`` holds every node of every snapshot (fanins and sinks already read
    through the classes); ``repr[n]`` is node n's representative and
    ``phase[n]`` whether n is its complement; ``level[n]`` the class level (a
    class's longest path from the inputs over all members, the same for all
    members).
    """

    net: ArrayNet
    repr: np.ndarray
    phase: np.ndarray
    level: np.ndarray
    members: int            # nodes that are not their class's representative

    def refs(self) -> np.ndarray:
        """Readers of each representative in the representatives' own network (plus sinks)."""
        net = self.net
        first = net.first_gate
        reps = np.flatnonzero(self.repr[first:] == np.arange(first, net.n_nodes)) + first
        refs = np.zeros(net.n_nodes, dtype=np.int64)
        np.add.at(refs, net.fa[reps] >> 1, 1)
        np.add.at(refs, net.fb[reps] >> 1, 1)
        np.add.at(refs, net.sinks >> 1, 1)
        return refs


@dataclass
class ChoiceStats:
    """What building the choice network did."""

    nodes: int = 0          # gate nodes of the combined network
    members: int = 0        # of those, alternatives to an earlier node
    sat_calls: int = 0
    disproved: int = 0
    undecided: int = 0
    dropped: int = 0        # members dropped to keep the class graph acyclic


def combine(nets: list[ArrayNet]) -> tuple[XAG, np.ndarray]:
    """One hashed XAG holding every net of ``nets`` (same inputs); returns it and the first net's sink literals."""
    xag = XAG(nets[0].n_inputs)
    first_sinks = None
    for net in nets:
        lit = [0] * net.n_nodes
        for i in range(1, net.first_gate):
            lit[i] = 2 * i
        fa, fb, is_xor = net.fa.tolist(), net.fb.tolist(), net.is_xor.tolist()
        make = xag.make
        for n in range(net.first_gate, net.n_nodes):
            a, b = fa[n], fb[n]
            lit[n] = make(XOR if is_xor[n] else AND, lit[a >> 1] ^ (a & 1), lit[b >> 1] ^ (b & 1))
        sinks = np.asarray([lit[s >> 1] ^ (s & 1) for s in net.sinks.tolist()], dtype=np.int64)
        if first_sinks is None:
            first_sinks = sinks
        for s in sinks.tolist():
            xag.add_sink(s)
    return xag, first_sinks


def prove_classes(xag: XAG, width: int = 4096, budget: int = 100, candidates: int = 2, seed: int = 0,
                  stats: ChoiceStats | None = None, flips: int = 15) -> tuple[list[int], list[int]]:
    """Choice classes of ``xag`` (node ids topological, nothing dead): (representative, phase) per node.

    Nodes are grouped by random-simulation signature; each is checked against
    up to ``candidates`` representatives of its group, by exhaustive
    simulation over a common cut or else SAT (``budget`` conflicts).  A
    counterexample and ``flips`` neighbours of it (one input flipped each:
    guided simulation, which halves the SAT calls on PLA-like logic) are
    simulated at once on small networks (every few on large ones: at most 16
    counterexamples wait) and the groups rebuilt.
    """
    from .fraig import local_equal
    from .sat import SatChecker
    from .sim import random_patterns, simulate

    stats = stats if stats is not None else ChoiceStats()
    n_nodes = xag.n_nodes
    order = list(range(xag.n_inputs + 1, n_nodes))
    patterns = random_patterns(xag.n_inputs, width, seed)
    vals = simulate(xag, patterns, width, order)
    rep = list(range(n_nodes))
    phase = [0] * n_nodes
    pending: list[list[int]] = []
    refresh_every = (1 + flips) * max(1, min(16, len(order) // 1024))
    rng = np.random.default_rng(seed)

    full = (1 << width) - 1

    def key(n: int) -> tuple[int, int]:
        v = vals[n]
        return (v ^ full, 1) if v & 1 else (v, 0)

    def regroup() -> dict[int, list[int]]:
        groups: dict[int, list[int]] = {}
        for m in range(done):
            if rep[m] == m:
                groups.setdefault(key(m)[0], []).append(m)
        return groups

    done = xag.n_inputs + 1
    groups = regroup()
    with SatChecker(xag) as sat:
        for n in order:
            k, ph = key(n)
            for r in groups.get(k, ())[:candidates]:
                lit = 2 * r + (ph ^ (vals[r] & 1))
                if local_equal(xag, 2 * n, lit):
                    answer = True
                else:
                    stats.sat_calls += 1
                    answer = sat.equal(2 * n, lit, budget)
                if answer:
                    rep[n], phase[n] = r, lit & 1
                    stats.members += 1
                    break
                if answer is None:
                    stats.undecided += 1
                    continue
                stats.disproved += 1
                bits = sat.input_bits()
                pending.append(bits)
                # Its neighbours (one input flipped) tend to split other rare look-alikes too.
                for i in rng.choice(len(bits), size=min(flips, len(bits)), replace=False).tolist():
                    pending.append(bits[:i] + [bits[i] ^ 1] + bits[i + 1:])
            done = n + 1
            if rep[n] == n:
                groups.setdefault(k, []).append(n)
            if len(pending) >= refresh_every:
                # Simulate only the new patterns and append their bits to every signature.
                extra = [sum(bits[i] << j for j, bits in enumerate(pending)) for i in range(xag.n_inputs)]
                new = simulate(xag, extra, len(pending), order)
                vals = [v | (w << width) for v, w in zip(vals, new)]
                width += len(pending)
                full = (1 << width) - 1
                pending = []
                groups = regroup()
    stats.nodes = len(order)
    return rep, phase


def choice_network(nets: list[ArrayNet], width: int = 4096, budget: int = 100,
                   stats: ChoiceStats | None = None) -> ChoiceNet:
    """The choice network of equivalent ``nets`` (the first one's sinks and outputs are kept)."""
    stats = stats if stats is not None else ChoiceStats()
    xag, sinks = combine(nets)
    rep_l, phase_l = prove_classes(xag, width=width, budget=budget, stats=stats)
    rep = np.asarray(rep_l, dtype=np.int64)
    phase = np.asarray(phase_l, dtype=np.int64)
    n, first = xag.n_nodes, xag.n_inputs + 1
    # A node equal to an input or a constant is read as that literal; as a class it would
    # need a cut structure the input does not have, so it stays a (dead) class of its own.
    gone = np.flatnonzero(rep < first)
    gone = gone[gone >= first]
    is_xor = np.asarray([k == XOR for k in xag.kind], dtype=np.int8)
    fa = np.asarray(xag.fa, dtype=np.int64)
    fb = np.asarray(xag.fb, dtype=np.int64)

    def through(lits):
        return np.where(lits >= 0, 2 * rep[np.maximum(lits, 0) >> 1] + (phase[np.maximum(lits, 0) >> 1] ^ (lits & 1)),
                        -1)

    fa, fb = through(fa), through(fb)
    sinks = through(sinks)
    rep[gone], phase[gone] = gone, 0
    level = _acyclic_levels(rep, phase, fa, fb, first, stats)
    arrays = ArrayNet(xag.n_inputs, is_xor, fa, fb, sinks, nets[0].outputs)
    members = int((rep[first:] != np.arange(first, n)).sum())
    stats.members = members
    return ChoiceNet(arrays, rep, phase, level, members)


def _acyclic_levels(rep, phase, fa, fb, first, stats) -> np.ndarray:
    """Drop members that close a loop through the classes (in place: they become their own,
    unread classes) and return every node's class level."""
    n = len(rep)
    while True:
        member = np.flatnonzero(rep[first:] != np.arange(first, n)) + first
        gates = np.arange(first, n)
        cls = rep[gates]
        src_a, src_b = fa[gates] >> 1, fb[gates] >> 1
        reached, level = _kahn(n, first, cls, src_a, src_b)
        stuck = ~reached
        stuck[member] = False          # not classes
        if not stuck[first:].any():
            out = level[rep]
            out[:first] = 0
            return out
        # Loops lie inside strongly connected components of the stuck classes; the
        # representatives' edges alone are acyclic, so dropping the members with a fanin
        # in their own class's component breaks every loop.
        comp = _components(np.flatnonzero(stuck), cls, src_a, src_b, first, n)
        ca, cb = comp[fa[member] >> 1], comp[fb[member] >> 1]
        cm = comp[rep[member]]
        bad = member[(cm >= 0) & ((ca == cm) | (cb == cm))]
        stats.dropped += len(bad)
        rep[bad] = bad
        phase[bad] = 0


def _components(nodes, cls, src_a, src_b, first, n) -> np.ndarray:
    """Strongly connected component id of each of ``nodes`` in the class graph (-1 elsewhere;
    iterative Tarjan over the edges between ``nodes``)."""
    inside = np.zeros(n, dtype=bool)
    inside[nodes] = True
    succ: dict[int, list[int]] = {int(c): [] for c in nodes}
    for c, a, b in zip(cls.tolist(), src_a.tolist(), src_b.tolist()):
        if inside[c]:
            for x in (a, b):
                if inside[x]:
                    succ[x].append(c)
    index: dict[int, int] = {}
    low: dict[int, int] = {}
    comp = np.full(n, -1, dtype=np.int64)
    stack: list[int] = []
    on_stack: set[int] = set()
    counter = 0
    for root in succ:
        if root in index:
            continue
        work = [(root, 0)]
        while work:
            v, i = work.pop()
            if i == 0:
                index[v] = low[v] = counter
                counter += 1
                stack.append(v)
                on_stack.add(v)
            edges = succ[v]
            while i < len(edges):
                w = edges[i]
                i += 1
                if w not in index:
                    work.append((v, i))
                    work.append((w, 0))
                    break
                if w in on_stack:
                    low[v] = min(low[v], index[w])
            else:
                if low[v] == index[v]:
                    while True:
                        w = stack.pop()
                        on_stack.discard(w)
                        comp[w] = v
                        if w == v:
                            break
                if work:
                    u = work[-1][0]
                    low[u] = min(low[u], low[v])
                continue
    return comp


def _kahn(n, first, cls, src_a, src_b):
    """Topological sweep of the class graph (edges fanin class -> class, one per member fanin):
    (reached per class, longest-path level per class)."""
    indeg = np.zeros(n, dtype=np.int64)
    np.add.at(indeg, cls, 2)
    readers: list[list[int]] = [[] for _ in range(n)]
    for c, a, b in zip(cls.tolist(), src_a.tolist(), src_b.tolist()):
        readers[a].append(c)
        readers[b].append(c)
    deg = indeg.tolist()
    level = [0] * n
    reached = [False] * n
    queue = deque(range(first))
    for c in range(first):
        reached[c] = True
    while queue:
        c = queue.popleft()
        lc = level[c] + 1
        for r in readers[c]:
            if level[r] < lc:
                level[r] = lc
            deg[r] -= 1
            if deg[r] == 0:
                reached[r] = True
                queue.append(r)
    return np.asarray(reached, dtype=bool), np.asarray(level, dtype=np.int64)
