"""SAT sweeping: merge nodes that compute the same function (or its complement).

Random simulation groups nodes by their value signature (a node and its
complement share a group); walking the network in topological order, each
node is checked against the earlier members of its group with an
incremental SAT solver (:mod:`.sat`).  Proven equal: the node is replaced by
the earlier one.  A counterexample is added to the simulation patterns, and
every 64 of them the signatures are recomputed, splitting the groups that the
random patterns could not.  This is ABC's ``fraig``/``&fraig``.

Counterexamples are simulated soon after they are found (after every one on
small networks, every few on large ones, keeping the re-simulation cost near
linear): a single input pattern that exposes a rare difference usually splits
many groups at once, which saves the SAT calls that would each have had to
find that pattern again.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from .sat import SatChecker
from .sim import random_patterns, simulate
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


class _Signatures:
    """Simulation values of every node, grown with counterexamples."""

    def __init__(self, net: XAG, width: int, seed: int):
        self.net = net
        self.width = width
        self.order = net.topological()
        self.order_edits = net.edits
        self.patterns = random_patterns(net.n_inputs, width, seed)
        self.pending: list[list[int]] = []
        self.vals = simulate(net, self.patterns, width, self.order)

    def add_counterexample(self, bits: list[int]) -> None:
        self.pending.append(bits)

    def refresh(self) -> None:
        """Simulate the pending counterexamples (only them) and append their bits to every signature."""
        if self.net.n_nodes != len(self.vals):
            # Merging made fresh nodes (an XOR that absorbed a complement): simulate
            # everything again, in the current topological order.
            for bits in self.pending:
                for i, bit in enumerate(bits):
                    self.patterns[i] |= bit << self.width
                self.width += 1
            self.pending = []
            self.order = self.net.topological()
            self.order_edits = self.net.edits
            self.vals = simulate(self.net, self.patterns, self.width, self.order)
            return
        if not self.pending:
            return
        if self.net.edits != self.order_edits:
            # Merges can make a node read one that came later in the old order.
            self.order = self.net.topological()
            self.order_edits = self.net.edits
        k = len(self.pending)
        extra = [sum(bits[i] << j for j, bits in enumerate(self.pending)) for i in range(self.net.n_inputs)]
        new = simulate(self.net, extra, k, self.order)
        shift = self.width
        vals = self.vals
        for n, v in enumerate(new):
            if v:
                vals[n] |= v << shift
        for i, p in enumerate(extra):
            self.patterns[i] |= p << shift
        self.width += k
        self.pending = []

    def key(self, node: int) -> tuple[int, int]:
        """(signature normalised so pattern 0 reads 0, phase)."""
        v = self.vals[node] if node < len(self.vals) else None
        if v is None:
            return -1, 0
        if v & 1:
            return v ^ ((1 << self.width) - 1), 1
        return v, 0


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


def _may_read(net: XAG, node: int, target: int, limit: int = 20000) -> bool:
    """Whether ``target`` may lie in ``node``'s transitive fanin (True also when the search passes ``limit`` nodes)."""
    seen = {node}
    stack = [node]
    n_inputs = net.n_inputs
    while stack:
        n = stack.pop()
        if n <= n_inputs:
            continue
        for f in (net.fa[n] >> 1, net.fb[n] >> 1):
            if f == target:
                return True
            if f not in seen:
                seen.add(f)
                if len(seen) > limit:
                    return True
                stack.append(f)
    return False


def fraig(net: XAG, width: int = 1024, budget: int = 100, seed: int = 0, candidates: int = 2,
          time_limit: float | None = None, signatures: list | None = None, stop=None) -> FraigStats:
    """Merge proven-equal nodes of ``net`` in place (call ``compact`` after).

    ``width`` random patterns start the simulation; each SAT question may
    use ``budget`` conflicts; each node is tried against up to
    ``candidates`` earlier members of its group.  When ``signatures`` is a
    list, the final simulation state is appended to it (for callers that
    want the counterexample patterns).  ``stop(signatures)``, if given, is
    asked after each re-simulation whether to end the sweep early.
    """
    start = time.perf_counter()
    stats = FraigStats()
    order = net.topological()
    sigs = _Signatures(net, width, seed)
    if signatures is not None:
        signatures.append(sigs)
    refresh_every = max(1, len(order) // 8192)
    groups: dict[int, list[int]] = {}
    for n in range(net.n_inputs + 1):
        groups.setdefault(sigs.key(n)[0], []).append(n)
    done: list[int] = list(range(net.n_inputs + 1))
    with SatChecker(net) as sat:
        for n in order:
            if time_limit is not None and time.perf_counter() - start > time_limit:
                stats.stopped = "time limit"
                break
            if net.dead[n] or n >= len(sigs.vals):
                continue
            key, phase = sigs.key(n)
            merged = False
            for r in groups.get(key, ())[:candidates]:
                if net.dead[r]:
                    continue
                lit = 2 * r + (phase ^ sigs.key(r)[1])
                stats.candidates += 1
                if local_equal(net, 2 * n, lit):
                    stats.local += 1
                    answer = True
                else:
                    answer = sat.equal(2 * n, lit, budget)
                if answer and _may_read(net, r, n):
                    # Earlier merges rehash readers, which can rewire r's cone
                    # through n's fanout: merging n into r would then close a loop.
                    stats.undecided += 1
                    continue
                if answer:
                    net.replace(n, lit)
                    stats.merged += 1
                    merged = True
                    break
                if answer is None:
                    stats.undecided += 1
                    continue
                stats.disproved += 1
                sigs.add_counterexample(sat.input_bits())
            if not merged:
                groups.setdefault(key, []).append(n)
                done.append(n)
            if len(sigs.pending) >= refresh_every:
                sigs.refresh()
                stats.resimulations += 1
                groups = {}
                for m in done:
                    if not net.dead[m]:
                        groups.setdefault(sigs.key(m)[0], []).append(m)
                if stop is not None and stop(sigs):
                    stats.stopped = "asked to stop"
                    break
    stats.seconds = time.perf_counter() - start
    return stats
