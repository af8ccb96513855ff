"""Equality saturation: e-matching, rule application and the runner with its limits.

Each iteration searches every rule against the e-graph as it stands (reads
only), then applies all the matches (adds right-hand sides, unions), then
rebuilds.  The runner stops when nothing changes (saturated) or a limit is
hit (iterations, e-nodes, seconds) and always reports which, with how many
times each rule matched and how many of those matches merged two classes.
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field

from .egraph import EGraph
from .language import CONST, VAR
from .rules import Rule

SATURATED = "saturated"
ITERATION_LIMIT = "iteration limit"
NODE_LIMIT = "node limit"
TIME_LIMIT = "time limit"


def _index(eg: EGraph) -> dict[int, list[tuple[int, tuple]]]:
    """op -> [(class, e-node)] over the canonical e-graph."""
    index: dict[int, list[tuple[int, tuple]]] = {}
    for c in eg.classes():
        for enode in eg.nodes[c]:
            index.setdefault(enode[0], []).append((c, enode))
    return index


def _match(eg: EGraph, pattern, c: int, subst: dict):
    """Substitutions extending ``subst`` under which ``pattern`` matches class ``c``."""
    op = pattern[0]
    if op == "?":
        bound = subst.get(pattern[1])
        if bound is None:
            yield {**subst, pattern[1]: c}
        elif eg.find(bound) == c:
            yield subst
        return
    if op == CONST:
        if eg.const[c] == pattern[1]:
            yield subst
        return
    if op == VAR:
        if pattern in eg.nodes[c]:
            yield subst
        return
    for enode in eg.nodes[c]:
        if enode[0] == op:
            yield from _match_children(eg, pattern[1:], enode[1:], subst)


def _match_children(eg, patterns, classes, subst):
    if not patterns:
        yield subst
        return
    for s in _match(eg, patterns[0], eg.find(classes[0]), subst):
        yield from _match_children(eg, patterns[1:], classes[1:], s)


def search(eg: EGraph, rule: Rule, index=None) -> list[tuple[int, dict]]:
    """Every (class, substitution) where ``rule.lhs`` matches."""
    index = _index(eg) if index is None else index
    lhs = rule.lhs
    out = []
    if lhs[0] in (CONST, VAR, "?"):
        raise ValueError(f"rule {rule.name}: a left-hand side must be an operator")
    for c, enode in index.get(lhs[0], ()):
        for subst in _match_children(eg, lhs[1:], enode[1:], {}):
            out.append((c, subst))
    return out


def instantiate(eg: EGraph, pattern, subst: dict) -> int:
    """Add ``pattern`` with its variables bound by ``subst``; returns its class."""
    op = pattern[0]
    if op == "?":
        return subst[pattern[1]]
    if op in (CONST, VAR):
        return eg.add(pattern)
    return eg.add((op, *(instantiate(eg, p, subst) for p in pattern[1:])))


@dataclass
class Report:
    """Why the runner stopped and what each rule did."""

    stop_reason: str
    iterations: int
    nodes: int
    classes: int
    seconds: float
    matches: Counter = field(default_factory=Counter)   # rule -> matches found
    merges: Counter = field(default_factory=Counter)    # rule -> matches that merged two classes

    def summary(self) -> str:
        """One line, then the rules that fired, most productive first."""
        head = (f"stopped: {self.stop_reason} after {self.iterations} iterations, "
                f"{self.nodes} e-nodes in {self.classes} classes, {self.seconds * 1000:.1f} ms")
        fired = sorted(self.merges.items(), key=lambda kv: (-kv[1], kv[0]))
        return head + "".join(f"\n  {name:<22} {n:6d} merges / {self.matches[name]:6d} matches" for name, n in fired if n)


@dataclass
class Runner:
    """Saturate an e-graph with rules, within limits."""

    rules: tuple[Rule, ...]
    iter_limit: int = 8
    node_limit: int = 10_000
    time_limit: float = 1.0

    def run(self, eg: EGraph) -> Report:
        """Run to saturation or a limit; the e-graph is left rebuilt."""
        start = time.perf_counter()
        matches: Counter = Counter()
        merges: Counter = Counter()
        reason = ITERATION_LIMIT
        iterations = 0
        eg.rebuild()
        for iterations in range(1, self.iter_limit + 1):
            index = _index(eg)
            found = [(rule, search(eg, rule, index)) for rule in self.rules]
            before = (eg.n_nodes, eg.unions)
            stopped = None
            for rule, hits in found:
                matches[rule.name] += len(hits)
                for c, subst in hits:
                    if eg.union(c, instantiate(eg, rule.rhs, subst)):
                        merges[rule.name] += 1
                    if eg.n_nodes > self.node_limit:
                        stopped = NODE_LIMIT
                        break
                if stopped:
                    break
            eg.rebuild()
            if stopped:
                reason = stopped
                break
            if (eg.n_nodes, eg.unions) == before:
                reason = SATURATED
                break
            if eg.n_nodes > self.node_limit:
                reason = NODE_LIMIT
                break
            if time.perf_counter() - start > self.time_limit:
                reason = TIME_LIMIT
                break
        return Report(reason, iterations, eg.n_nodes, eg.n_classes, time.perf_counter() - start, matches, merges)
