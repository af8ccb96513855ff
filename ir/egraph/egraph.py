"""The e-graph: union-find over e-classes, hash-consed e-nodes, rebuilding, constant analysis.

An e-graph stores many equivalent circuits at once.  An *e-class* is a set of
e-nodes proven equal; an e-node (:mod:`.language`) reads e-classes.  Adding
an e-node returns the class that already holds it (hash-consing).  A
:meth:`EGraph.union` merges two classes and defers the repair of the
invariants to :meth:`EGraph.rebuild`, which restores *congruence* (e-nodes
with equal operator and equal children are in one class) with a worklist, as
in egg (Willsey et al., POPL 2021).

The constant analysis gives each class the constant it is known to equal, or
None: the rules of :mod:`gatecc.ir.gates` (a gate with constant inputs, a
gate whose inputs are the same class) decide it, and a class that becomes
constant is unioned with the constant e-node, so extraction finds it for free.
"""

from __future__ import annotations

from .. import gates as G
from .language import CONST, NOT, VAR, children


class EGraph:
    """An e-graph over the gate language."""

    def __init__(self):
        self.parent: list[int] = []                   # union-find
        self.nodes: list[list[tuple]] = []            # class id -> its e-nodes (valid at roots)
        self.parents: list[list[tuple]] = []          # class id -> (e-node, class) pairs that read it
        self.const: list[int | None] = []             # constant analysis, per class
        self.memo: dict[tuple, int] = {}              # canonical e-node -> class
        self.pending: list[int] = []                  # classes whose parents need repair
        self.unions = 0

    # -- union-find ---------------------------------------------------------
    def find(self, c: int) -> int:
        """The canonical id of class ``c`` (path halving)."""
        parent = self.parent
        while parent[c] != c:
            parent[c] = parent[parent[c]]
            c = parent[c]
        return c

    def canonical(self, enode: tuple) -> tuple:
        """``enode`` with its children replaced by their canonical ids."""
        if enode[0] >= VAR:
            return enode
        find = self.find
        if enode[0] == NOT:
            return (NOT, find(enode[1]))
        return (enode[0], find(enode[1]), find(enode[2]))

    # -- sizes ----------------------------------------------------------------
    @property
    def n_classes(self) -> int:
        """Number of distinct e-classes."""
        return sum(1 for c in range(len(self.parent)) if self.parent[c] == c)

    @property
    def n_nodes(self) -> int:
        """Number of distinct e-nodes."""
        return len(self.memo)

    def classes(self):
        """Canonical class ids."""
        return [c for c in range(len(self.parent)) if self.parent[c] == c]

    # -- building -------------------------------------------------------------
    def add(self, enode: tuple) -> int:
        """The class of ``enode`` (made if new)."""
        enode = self.canonical(enode)
        c = self.memo.get(enode)
        if c is not None:
            return self.find(c)
        c = len(self.parent)
        self.parent.append(c)
        self.nodes.append([enode])
        self.parents.append([])
        self.const.append(self._make(enode))
        self.memo[enode] = c
        for child in children(enode):
            self.parents[child].append((enode, c))
        if self.const[c] is not None and enode[0] != CONST:
            self.union(c, self.add((CONST, self.const[c])))
        return self.find(c)

    def add_term(self, tree) -> int:
        """Add a nested-tuple term (:func:`.language.parse_sexpr`); returns its class."""
        op = tree[0]
        if op in (VAR, CONST):
            return self.add(tree)
        return self.add((op, *(self.add_term(t) for t in tree[1:])))

    def _make(self, enode: tuple) -> int | None:
        """The constant an e-node is known to compute, from its children's constants."""
        op = enode[0]
        if op == CONST:
            return enode[1]
        if op == VAR:
            return None
        if op == NOT:
            v = self.const[self.find(enode[1])]
            return None if v is None else 1 - v
        if op in (G.FALSE, G.TRUE):
            return op & 1
        a, b = self.find(enode[1]), self.find(enode[2])
        ca, cb = self.const[a], self.const[b]
        if ca is not None and cb is not None:
            return G.truth(op, ca, cb)
        folded = G.fold(op, ca, cb, a == b)
        return folded[1] if folded is not None and folded[0] == G.SHAPE_CONST else None

    # -- merging --------------------------------------------------------------
    def union(self, a: int, b: int) -> bool:
        """Merge the classes of ``a`` and ``b``; True if they were different."""
        a, b = self.find(a), self.find(b)
        if a == b:
            return False
        if len(self.parents[a]) < len(self.parents[b]):
            a, b = b, a
        self.parent[b] = a
        self.unions += 1
        self.nodes[a].extend(self.nodes[b])
        self.parents[a].extend(self.parents[b])
        self.nodes[b] = []
        self.parents[b] = []
        ca, cb = self.const[a], self.const[b]
        if ca is not None and cb is not None and ca != cb:
            raise AssertionError("unsound rewrite: a class equals both 0 and 1")
        if ca is None and cb is not None:
            self.const[a] = cb
            self.pending.append(a)   # parents may fold now
        self.pending.append(a)
        return True

    def rebuild(self) -> int:
        """Restore congruence and the analysis after unions; returns the repairs made."""
        repairs = 0
        while self.pending:
            todo = {self.find(c) for c in self.pending}
            self.pending = []
            for c in sorted(todo):
                repairs += self._repair(self.find(c))
        for c in self.classes():
            self.nodes[c] = sorted({self.canonical(n) for n in self.nodes[c]})
        return repairs

    def _repair(self, c: int) -> int:
        # Re-canonicalise the e-nodes that read c; two that now agree are congruent.
        seen: dict[tuple, int] = {}
        for enode, pc in self.parents[c]:
            self.memo.pop(enode, None)
            enode = self.canonical(enode)
            pc = self.find(pc)
            other = seen.get(enode)
            if other is not None:
                self.union(other, pc)
            seen[enode] = self.find(pc)
            self.memo[enode] = self.find(pc)
        self.parents[c] = list(seen.items())
        # The analysis: parents of a class that became constant may fold.
        for enode, pc in list(self.parents[c]):
            pc = self.find(pc)
            v = self._make(enode)
            if v is not None and self.const[pc] is None:
                self.const[pc] = v
                self.pending.append(pc)
        if self.const[c] is not None:
            self.union(c, self.add((CONST, self.const[c])))
        return 1

    def equivalent(self, a: int, b: int) -> bool:
        """True when classes ``a`` and ``b`` have been merged."""
        return self.find(a) == self.find(b)
