"""A mutable XOR-AND graph with complemented edges: the optimiser's working network.

Every 2-input gate of :mod:`gatecc.ir.gates` is one AND or one XOR node
whose inputs and output may be complemented, so the 16-gate basis *is* an
XAG where inverters are free; gatecc's gate count is the number of AND and
XOR nodes (plus the few NOTs an output may need, settled when the network is
turned back into a :class:`Graph`).

Signals are *literals*: ``2 * node + complemented``.  Node 0 is the constant
0 (literal 0 is false, 1 is true), nodes ``1 .. n_inputs`` are the inputs.
Nodes are structurally hashed (one node per kind and ordered fanins, XOR
fanins never complemented) and trivial gates fold as they are made.

Rewriting passes edit the network in place: :meth:`XAG.replace` redirects a
node's fanouts to an equivalent literal (re-hashing the fanouts, which may
merge further) and deletes what became dead; :meth:`XAG.compact` renumbers the
live nodes in topological order.  Sinks are the literals the network must
keep: the graph's bit outputs and the operands of its counters.
"""

from __future__ import annotations

from dataclasses import dataclass


from .. import gates as G
from ..graph import Graph, Op

CONST, INPUT, AND, XOR = 0, 1, 2, 3


#: xag kind of a gate shape of :mod:`gatecc.ir.gates`, and back.
KIND_OF_SHAPE = {G.SHAPE_AND: AND, G.SHAPE_XOR: XOR}
SHAPE_OF_KIND = {AND: G.SHAPE_AND, XOR: G.SHAPE_XOR}

#: gate id -> (kind, neg_a, neg_b, neg_out) for the ten 2-input gates (:data:`gatecc.ir.gates.FORMS`).
GATE_XAG: dict[int, tuple[int, int, int, int]] = {
    g: (KIND_OF_SHAPE[G.FORMS[g][0]], *G.FORMS[g][1:]) for g in G.BINARY_GATES
}

#: [kind][na][nb][no] -> gate id (the inverse of :data:`GATE_XAG`).
XAG_GATE = {k: [[[G.gate_of_form(SHAPE_OF_KIND[k], na, nb, no) for no in (0, 1)] for nb in (0, 1)] for na in (0, 1)]
            for k in (AND, XOR)}


@dataclass(frozen=True)
class Sinks:
    """How a graph's outputs read the network's sink literals.

    ``outputs[k]`` is ``("bit", i)`` (output k is sink i) or ``("popcount" |
    "uint", (i, j, ...))`` (a counter over those sinks).
    """

    outputs: tuple


class XAG:
    """The network.  Parallel lists indexed by node: kind, fanin literals, fanouts."""

    def __init__(self, n_inputs: int):
        self.n_inputs = n_inputs
        self.kind: list[int] = [CONST] + [INPUT] * n_inputs
        self.fa: list[int] = [-1] * (n_inputs + 1)
        self.fb: list[int] = [-1] * (n_inputs + 1)
        self.ref: list[int] = [0] * (n_inputs + 1)       # fanout references incl. sinks
        self.fanouts: list[list[int]] = [[] for _ in range(n_inputs + 1)]
        self.dead: list[bool] = [False] * (n_inputs + 1)
        self.level: list[int] = [0] * (n_inputs + 1)       # logic depth (kept approximately by edits)
        self.forward: dict[int, int] = {}                  # replaced node -> the literal that replaced it
        self.touched: set[int] = set()                     # nodes made or edited since the last compact()
        self.edits = 0                                     # replace() calls so far (invalidates orders)
        self.table: dict[tuple[int, int, int], int] = {}
        self.sinks: list[int] = []
        self.sink_refs: dict[int, list[int]] = {}   # node -> indices of the sinks reading it

    # -- sizes ------------------------------------------------------------
    @property
    def n_nodes(self) -> int:
        """Nodes ever made (dead ones included until :meth:`compact`)."""
        return len(self.kind)

    def gate_nodes(self):
        """Live AND/XOR node ids."""
        return [n for n in range(self.n_inputs + 1, len(self.kind)) if not self.dead[n]]

    def count(self, xor_cost: int = 1) -> int:
        """AND nodes plus ``xor_cost`` per XOR node, over the nodes some sink reads."""
        kind = self.kind
        return sum(1 if kind[n] == AND else xor_cost for n in self.topological())

    def resolve(self, node: int) -> int | None:
        """The literal that now stands for ``node`` (following replacements), or None if it died unreplaced."""
        lit = 2 * node
        while self.dead[lit >> 1]:
            nxt = self.forward.get(lit >> 1)
            if nxt is None:
                return None
            lit = nxt ^ (lit & 1)
        return lit

    # -- construction -------------------------------------------------------
    @staticmethod
    def input_lit(i: int) -> int:
        """The literal of input ``i``."""
        return 2 * (i + 1)

    @staticmethod
    def normalize(kind: int, a: int, b: int):
        """Fold a gate: ``(literal, None)`` if trivial, else ``(None, (key, out_neg))``."""
        if kind == AND:
            if a > b:
                a, b = b, a
            if a == 0:
                return 0, None
            if a == 1:
                return b, None
            if a == b:
                return a, None
            if a == b ^ 1:
                return 0, None
            return None, ((AND, a, b), 0)
        neg = (a ^ b) & 1
        a &= ~1
        b &= ~1
        if a > b:
            a, b = b, a
        if a == b:
            return neg, None
        if a == 0:
            return b ^ neg, None
        return None, ((XOR, a, b), neg)

    def make(self, kind: int, a: int, b: int) -> int:
        """The literal of ``kind(a, b)``: folded, hashed, or a new node."""
        lit, norm = self.normalize(kind, a, b)
        if norm is None:
            return lit
        key, neg = norm
        node = self.table.get(key)
        if node is None:
            node = self._new(key)
        return 2 * node + neg

    def lookup(self, kind: int, a: int, b: int) -> int | None:
        """The literal ``make`` would return without making anything, or None."""
        lit, norm = self.normalize(kind, a, b)
        if norm is None:
            return lit
        key, neg = norm
        node = self.table.get(key)
        return None if node is None else 2 * node + neg

    def and_(self, a: int, b: int) -> int:
        """``a & b``."""
        return self.make(AND, a, b)

    def xor(self, a: int, b: int) -> int:
        """``a ^ b``."""
        return self.make(XOR, a, b)

    def gate(self, g: int, a: int, b: int) -> int:
        """Gate id ``g`` (0-15) on literals ``a`` and ``b``."""
        return G.on_literals(g, a, b, self._make_shape)

    def _make_shape(self, shape: int, a: int, b: int) -> int:
        return self.make(KIND_OF_SHAPE[shape], a, b)

    def add_sink(self, lit: int) -> int:
        """Keep ``lit`` alive as a sink; returns the sink's index."""
        self.sinks.append(lit)
        self.ref[lit >> 1] += 1
        self.sink_refs.setdefault(lit >> 1, []).append(len(self.sinks) - 1)
        return len(self.sinks) - 1

    def _new(self, key) -> int:
        kind, a, b = key
        node = len(self.kind)
        self.touched.add(node)
        self.kind.append(kind)
        self.fa.append(a)
        self.fb.append(b)
        self.ref.append(0)
        self.fanouts.append([])
        self.dead.append(False)
        self.level.append(1 + max(self.level[a >> 1], self.level[b >> 1]))
        self.table[key] = node
        for x in (a >> 1, b >> 1):
            self.ref[x] += 1
            self.fanouts[x].append(node)
        return node

    # -- editing --------------------------------------------------------------
    def replace(self, old: int, new_lit: int) -> None:
        """Make every reader of node ``old`` read ``new_lit`` instead, then delete ``old``.

        ``new_lit`` must compute the same function and must not depend on
        ``old``.  Readers are re-hashed; one that folds or collides with an
        existing node is replaced in turn (a worklist, so deep cascades do
        not recurse).
        """
        self.edits += 1
        work = [(old, new_lit)]
        self.ref[new_lit >> 1] += 1          # pending replacements hold their target
        while work:
            old, new_lit = work.pop()
            target = new_lit >> 1
            if not self.dead[old] and target != old:
                self._redirect(old, new_lit, work)
            self.ref[target] -= 1
            if self.ref[target] == 0:
                self.kill_if_unused(target)

    def _redirect(self, old: int, new_lit: int, work: list) -> None:
        target = new_lit >> 1
        for f in list(self.fanouts[old]):
            kind, a, b = self.kind[f], self.fa[f], self.fb[f]
            na = new_lit ^ (a & 1) if a >> 1 == old else a
            nb = new_lit ^ (b & 1) if b >> 1 == old else b
            lit, norm = self.normalize(kind, na, nb)
            if norm is not None:
                key, neg = norm
                existing = self.table.get(key)
                if existing is not None:
                    lit = 2 * existing + neg
                elif neg:
                    lit = 2 * self._new(key) + 1   # XOR absorbed a complement: a fresh node
            if lit is not None:
                # f folds or duplicates another node: f itself is replaced.
                self.ref[lit >> 1] += 1
                work.append((f, lit))
                continue
            del self.table[(kind, a, b)]
            for x in (a >> 1, b >> 1):
                self.fanouts[x].remove(f)
                self.ref[x] -= 1
            self.kind[f], self.fa[f], self.fb[f] = key
            self.touched.add(f)
            self.level[f] = 1 + max(self.level[key[1] >> 1], self.level[key[2] >> 1])
            self.table[key] = f
            for x in (key[1] >> 1, key[2] >> 1):
                self.ref[x] += 1
                self.fanouts[x].append(f)
        self.forward[old] = new_lit
        for k in self.sink_refs.pop(old, ()):
            s = self.sinks[k]
            self.sinks[k] = new_lit ^ (s & 1)
            self.ref[old] -= 1
            self.ref[target] += 1
            self.sink_refs.setdefault(target, []).append(k)
        if self.ref[old] == 0:
            self.kill_if_unused(old)

    def kill_if_unused(self, node: int) -> None:
        """Delete ``node`` if nothing reads it, and then every fanin left without a reader."""
        stack = [node]
        while stack:
            n = stack.pop()
            if self.dead[n] or self.ref[n] > 0 or self.kind[n] not in (AND, XOR):
                continue
            self.dead[n] = True
            key = (self.kind[n], self.fa[n], self.fb[n])
            if self.table.get(key) == n:
                del self.table[key]
            for x in (self.fa[n] >> 1, self.fb[n] >> 1):
                self.ref[x] -= 1
                self.fanouts[x].remove(n)
                if self.ref[x] == 0:
                    stack.append(x)
            self.fanouts[n] = []

    def deref(self, node: int, leaves=()) -> list[int]:
        """The nodes that die if ``node`` loses its last reader (its MFFC), stopping at ``leaves``.

        Leaves the reference counts lowered, so that lookups during the
        caller's evaluation see those nodes as free to reuse only at a cost;
        :meth:`reref` with the returned list restores them.
        """
        cone = [node]
        stack = [node]
        while stack:
            n = stack.pop()
            for x in (self.fa[n] >> 1, self.fb[n] >> 1):
                self.ref[x] -= 1
                if self.ref[x] == 0 and self.kind[x] >= AND and x not in leaves:
                    cone.append(x)
                    stack.append(x)
        return cone

    def reref(self, cone: list[int]) -> None:
        """Undo :meth:`deref`."""
        for n in cone:
            for x in (self.fa[n] >> 1, self.fb[n] >> 1):
                self.ref[x] += 1

    # -- whole-network operations ------------------------------------------
    def topological(self) -> list[int]:
        """Live gate nodes that some sink reads, fanins first."""
        seen = bytearray(len(self.kind))
        for n, k in enumerate(self.kind):
            if k not in (AND, XOR):
                seen[n] = 1                  # the constant and the inputs are not listed
        return self.postorder([s >> 1 for s in self.sinks], seen)

    def postorder(self, roots, seen) -> list[int]:
        """The nodes below ``roots`` not yet ``seen`` (marked as they are listed), fanins first.

        ``seen[n]`` is true for a node not to enter (a bytearray over the
        node ids, or a ``defaultdict(int)`` holding a cone's leaves).
        """
        order: list[int] = []
        fa, fb = self.fa, self.fb
        for root in roots:
            stack = [(root, False)]
            while stack:
                n, expanded = stack.pop()
                if expanded:
                    order.append(n)
                    continue
                if seen[n]:
                    continue
                seen[n] = 1
                stack.append((n, True))
                stack.append((fb[n] >> 1, False))       # fanin a on top: visited first
                stack.append((fa[n] >> 1, False))
        return order

    def compact(self) -> "XAG":
        """A fresh copy with only the live nodes, numbered in topological order.

        Nodes edited since the last compaction (:attr:`touched`) stay marked
        under their new numbers, so a later sweep can revisit only them.
        """
        new = XAG(self.n_inputs)
        lit = list(range(0, 2 * (self.n_inputs + 1), 2)) + [0] * (len(self.kind) - self.n_inputs - 1)
        for n in self.topological():
            a, b = self.fa[n], self.fb[n]
            lit[n] = new.make(self.kind[n], lit[a >> 1] ^ (a & 1), lit[b >> 1] ^ (b & 1))
        for s in self.sinks:
            new.add_sink(lit[s >> 1] ^ (s & 1))
        new.touched = {lit[n] >> 1 for n in self.touched if not self.dead[n] and lit[n] >> 1 > self.n_inputs}
        return new

    def near_touched(self, distance: int = 3) -> set[int]:
        """Touched nodes and the readers up to ``distance`` steps above them."""
        region = set(self.touched)
        frontier = region
        for _ in range(distance):
            frontier = {f for n in frontier for f in self.fanouts[n] if not self.dead[f]} - region
            region |= frontier
        return region


def add_graph(net: XAG, graph: Graph) -> Sinks:
    """Build ``graph`` into ``net`` on its inputs (hashed and folded); returns how its outputs read the sinks."""
    if graph.n_inputs != net.n_inputs:
        raise ValueError(f"graph has {graph.n_inputs} inputs, the network {net.n_inputs}")
    from .arrays import bit_literals

    lit = bit_literals(graph, net.gate)
    ops = graph.op.tolist()
    outputs = []
    for o in graph.outputs:
        op = ops[o]
        if op in (Op.POPCOUNT, Op.UINT):
            idx = tuple(net.add_sink(lit[x]) for x in graph.operands[o])
            outputs.append(("popcount" if op == Op.POPCOUNT else "uint", idx))
        else:
            outputs.append(("bit", net.add_sink(lit[o])))
    return Sinks(tuple(outputs))


def from_graph(graph: Graph) -> tuple[XAG, Sinks]:
    """The XAG of a bit/count graph, hashed and folded as it is built."""
    net = XAG(graph.n_inputs)
    return net, add_graph(net, graph)


def to_graph(net: XAG, sinks: Sinks) -> Graph:
    """The gate graph of the live network: one gate per AND/XOR, NOTs only where a sink needs one.

    A node whose sinks mostly want its complement is emitted complemented
    (its readers absorb the change into their gate ids), so a standalone NOT
    appears only where both polarities of a node feed sinks, or a sink reads
    a complemented input.  The one emitter is :func:`.arrays.to_graph`.
    """
    from .arrays import from_xag, to_graph as emit

    return emit(from_xag(net, sinks))
