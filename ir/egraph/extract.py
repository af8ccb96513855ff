"""Extraction: pick one e-node per e-class so the chosen circuit is small.

Cost is counted on the DAG, not the tree: a node shared by several readers
costs once.  Each class keeps its best e-node together with the *set* of
costly classes its sub-circuit uses (so a shared sub-circuit is counted once
when two operands meet) and its depth; sweeps repeat until no class improves
(the "greedy DAG" extractor).  Gate count first, depth second.  A 2-input
gate or a standalone NOT costs 1; wires, constants and inputs are free; an
inverter absorbed into a gate id is free, which is why the gate-kind rules
let extraction hide NOTs.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..graph import Op, gate_kind
from .egraph import EGraph
from .language import CONST, NOT, VAR, children


def enode_cost(enode: tuple) -> int:
    """1 for a 2-input gate or a NOT, 0 for wires, constants and inputs."""
    op = enode[0]
    if op == NOT:
        return 1
    if op >= VAR:
        return 0
    return 1 if gate_kind(Op.GATE, op) else 0


@dataclass(frozen=True)
class Extracted:
    """A circuit chosen from the e-graph: e-nodes in topological order, children by index."""

    nodes: tuple[tuple, ...]   # (op, child index, ...) or (VAR, i) / (CONST, v)
    roots: tuple[int, ...]     # index of each requested class's node
    cost: int                  # gates, each shared node counted once
    depth: int


class ExtractionError(ValueError):
    """No acyclic choice reaches a requested class."""


def _best_choices(eg: EGraph) -> dict[int, tuple]:
    # class -> (cost key, depth, e-node, costly classes, all classes below)
    best: dict[int, tuple] = {}
    classes = eg.classes()
    changed = True
    while changed:
        changed = False
        for c in classes:
            for enode in eg.nodes[c]:
                kids = [eg.find(k) for k in children(enode)]
                if any(k not in best for k in kids):
                    continue
                below = frozenset().union(*(best[k][4] for k in kids)) | set(kids)
                if c in below:
                    continue                      # would make a cycle
                costly = frozenset().union(*(best[k][3] for k in kids))
                own = enode_cost(enode)
                if own:
                    costly = costly | {c}
                depth = max((best[k][1] for k in kids), default=0) + own
                key = (len(costly), depth)
                if c not in best or key < best[c][0]:
                    best[c] = (key, depth, enode, costly, below)
                    changed = True
    return best


def extract(eg: EGraph, roots) -> Extracted:
    """The cheapest circuit computing every class in ``roots`` (DAG cost, then depth)."""
    best = _best_choices(eg)
    nodes: list[tuple] = []
    index: dict[int, int] = {}
    depth: dict[int, int] = {}

    def emit(root: int) -> int:
        stack = [(eg.find(root), False)]
        on_path: set[int] = set()
        while stack:
            c, expanded = stack.pop()
            if c in index:
                continue
            if c not in best:
                raise ExtractionError(f"e-class {c} has no acyclic circuit")
            enode = best[c][2]
            kids = [eg.find(k) for k in children(enode)]
            if expanded:
                on_path.discard(c)
                nodes.append((enode[0], *(index[k] for k in kids)) if kids else enode)
                index[c] = len(nodes) - 1
                depth[c] = max((depth[k] for k in kids), default=0) + enode_cost(enode)
                continue
            if c in on_path:
                raise ExtractionError("extraction met a cycle")
            on_path.add(c)
            stack.append((c, True))
            stack.extend((k, False) for k in kids if k not in index)
        return index[eg.find(root)]

    out = tuple(emit(r) for r in roots)
    cost = sum(enode_cost(n) for n in nodes)
    return Extracted(tuple(nodes), out, cost, max((depth[eg.find(r)] for r in roots), default=0))


def evaluate_extracted(ex: Extracted, inputs: dict[int, int]) -> list[int]:
    """Values of the roots for input bits ``inputs`` (var index -> bit); used by tests."""
    from .. import gates as G

    vals: list[int] = []
    for n in ex.nodes:
        op = n[0]
        if op == VAR:
            vals.append(inputs[n[1]])
        elif op == CONST:
            vals.append(n[1])
        elif op == NOT:
            vals.append(1 - vals[n[1]])
        else:
            vals.append(G.truth(op, vals[n[1]], vals[n[2]]))
    return [vals[r] for r in ex.roots]
