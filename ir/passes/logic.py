"""The logic-optimisation passes: the XAG algorithms of :mod:`gatecc.ir.logic` as pipeline passes.

``strash`` works on the graph's arrays directly (vectorised); the others
build the XOR-AND network, run their algorithm in place and emit a graph
again (a few microseconds per node each way).
"""

from __future__ import annotations

from dataclasses import dataclass

from ..graph import Graph
from ..logic.strash import strash
from ..logic.xag import from_graph, to_graph
from .base import Pass, register


def _on_xag(graph: Graph, algorithm) -> tuple[Graph, dict]:
    """Run ``algorithm(net) -> (net, details)`` on the XAG of ``graph``."""
    net, sinks = from_graph(graph)
    net, details = algorithm(net.compact())
    return to_graph(net.compact(), sinks), details


@register
@dataclass(frozen=True)
class Strash(Pass):
    """Vectorised fold + inverter absorption + structural hashing + dead-code removal, in one sweep."""

    name = "strash"

    def run(self, graph):
        return strash(graph), {}


@register
@dataclass(frozen=True)
class Map(Pass):
    """Vectorised mapping onto optimal 4-input cells (``cost``: gates or aig).

    ``cuts`` cuts are kept per node; ``rounds`` rounds of area recovery.
    Two covers are made, one without duplicating any logic and one charging
    ``dup`` per duplicated shared node, and the smaller is kept (``dup=inf``:
    only the first).
    """

    name = "map"
    cost: str = "gates"
    cuts: int = 8
    rounds: int = 2
    dup: float = 1.0

    def run(self, graph):
        from ..logic.strash import build, live, to_graph as arrays_to_graph

        _check_cost(self.name, self.cost)
        net = live(build(graph))
        mapped, st = _map(self, net)
        return arrays_to_graph(mapped), {"cells": st.cells, "area": st.area}


def _map(options, net, choices=None):
    """``map_network`` under a map-like pass's ``cost``, ``cuts``, ``rounds`` and ``dup`` options."""
    from ..logic.mapper import map_network

    penalties = (float("inf"),) if options.dup == float("inf") else (float("inf"), options.dup)
    return map_network(net, cost=options.cost, cut_limit=options.cuts, rounds=options.rounds,
                       penalties=penalties, choices=choices)


def _check_cost(name: str, cost: str) -> None:
    from ..logic.exact import COST_MODELS

    if cost not in COST_MODELS:
        from .pipeline import PipelineError

        raise PipelineError(f"{name}: cost must be one of {', '.join(COST_MODELS)}, not {cost!r}")


@register
@dataclass(frozen=True)
class Rewrite(Pass):
    """Cut rewriting with optimal 4-input circuits (``cost``: gates or aig).

    ``rounds`` sweeps at most (stopping early when one gains nothing);
    ``zero`` also takes zero-gain replacements (reshapes for the next sweep);
    ``cuts`` is the number of cuts kept per node.
    """

    name = "rewrite"
    cost: str = "gates"
    rounds: int = 1
    zero: bool = False
    cuts: int = 8

    def run(self, graph):
        from ..logic.rewrite import rewrite

        _check_cost(self.name, self.cost)

        def algorithm(net):
            # Later sweeps revisit only the region the previous one changed.
            total = {"replaced": 0, "gain": 0, "rounds": 0}
            only = None
            for _ in range(self.rounds):
                net.touched = set()
                st = rewrite(net, cost=self.cost, zero_gain=self.zero, cut_limit=self.cuts, only=only)
                total["replaced"] += st.replaced
                total["gain"] += st.gain
                total["rounds"] += 1
                if st.gain == 0:
                    break
                net = net.compact()
                only = net.near_touched()
            return net, total

        return _on_xag(graph, algorithm)


@register
@dataclass(frozen=True)
class Fraig(Pass):
    """SAT sweeping: merge nodes proven equal (python-sat).

    ``patterns`` random simulation patterns, ``budget`` SAT conflicts per
    question, ``seconds`` time limit (0: none).
    """

    name = "fraig"
    patterns: int = 1024
    budget: int = 100
    seconds: float = 0.0

    def run(self, graph):
        from ..logic.fraig import fraig

        def algorithm(net):
            st = fraig(net, width=self.patterns, budget=self.budget, time_limit=self.seconds or None)
            return net, {"merged": st.merged, "sat_calls": st.candidates, "stopped": st.stopped}

        return _on_xag(graph, algorithm)


@register
@dataclass(frozen=True)
class Resynth(Pass):
    """Collapse cones of at most ``inputs`` primary inputs (and, with ``window`` > 4,
    reconvergent windows of that many leaves) to truth tables and rebuild them:
    Shannon splits down to exact 4-input circuits, or counting a symmetric
    variable group with an adder tree.  ``seconds`` limits the window sweep
    (0: none); ``cost``: gates or aig.
    """

    name = "resynth"
    inputs: int = 10
    window: int = 0
    seconds: float = 0.0
    cost: str = "gates"

    def run(self, graph):
        from ..logic.resynth import resynthesize

        _check_cost(self.name, self.cost)

        def algorithm(net):
            st = resynthesize(net, max_inputs=self.inputs, window_leaves=self.window, time_limit=self.seconds or None,
                              cost=self.cost)
            return net, {"cones": st.cones, "replaced": st.replaced, "gain": st.gain,
                         "symmetric": st.symmetric, "stopped": st.stopped}

        return _on_xag(graph, algorithm)


@register
@dataclass(frozen=True)
class Refactor(Pass):
    """Collapse each node's reconvergent window of at most ``leaves`` leaves to an irredundant sum of
    products (of the function or its complement), factor it algebraically and keep it where it is
    smaller in place.  ``seconds`` limits the sweep (0: none); ``cost``: gates or aig.
    """

    name = "refactor"
    leaves: int = 10
    seconds: float = 0.0
    cost: str = "gates"

    def run(self, graph):
        from ..logic.refactor import refactor

        _check_cost(self.name, self.cost)
        _check_range(self.name, "leaves", self.leaves, 3, 14)

        def algorithm(net):
            st = refactor(net, max_leaves=self.leaves, time_limit=self.seconds or None, cost=self.cost)
            return net, {"windows": st.cones, "replaced": st.replaced, "gain": st.gain, "stopped": st.stopped}

        return _on_xag(graph, algorithm)


def _check_range(name: str, option: str, value: int, low: int, high: int) -> None:
    if not low <= value <= high:
        from .pipeline import PipelineError

        raise PipelineError(f"{name}: {option} must be between {low} and {high}, not {value}")


@register
@dataclass(frozen=True)
class Balance(Pass):
    """Rebuild AND and XOR supergates as balanced trees, lowest level first, sharing what is built.

    ``extract``: first pull two-leaf divisors shared by several supergates out
    of them (the rows of a PLA share many); ``dup``: grow supergates through
    nodes read twice too; ``rounds`` repeats (stopping when one saves nothing).
    """

    name = "balance"
    rounds: int = 1
    extract: bool = True
    dup: bool = True

    def run(self, graph):
        from ..logic.balance import balance

        _check_range(self.name, "rounds", self.rounds, 1, 100)

        def algorithm(net):
            before = count = net.count()
            done = 0
            for _ in range(self.rounds):
                new = balance(net, extract=self.extract, dup=self.dup).compact()
                done += 1
                if new.count() >= count:
                    if new.count() == count:
                        net = new
                    break
                net, count = new, new.count()
            return net, {"rounds": done, "gain": before - count}

        return _on_xag(graph, algorithm)


@register
@dataclass(frozen=True)
class Resub(Pass):
    """Resubstitution: re-express each node as one of the signals its window of at most ``leaves``
    leaves already has, or one or two gates over them, where that frees more than it adds (the
    window's don't-cares respected); ``divisors`` caps the candidates per window, ``seconds`` the
    sweep (0: none); ``cost``: gates or aig.
    """

    name = "resub"
    leaves: int = 8
    divisors: int = 150
    seconds: float = 0.0
    cost: str = "gates"

    def run(self, graph):
        from ..logic.resub import resubstitute

        _check_cost(self.name, self.cost)
        _check_range(self.name, "leaves", self.leaves, 2, 16)
        _check_range(self.name, "divisors", self.divisors, 2, 10000)

        def algorithm(net):
            st = resubstitute(net, max_leaves=self.leaves, max_divisors=self.divisors,
                              time_limit=self.seconds or None, cost=self.cost)
            return net, {"windows": st.windows, "replaced": st.replaced, "gain": st.gain,
                         "kinds": dict(sorted(st.by_kind.items())), "stopped": st.stopped}

        return _on_xag(graph, algorithm)


@register
@dataclass(frozen=True)
class ChoiceMap(Pass):
    """Map over structural choices: the graph and the snapshots after each step of ``script``
    (``+``-separated passes, their options after ``:``, e.g. ``balance+rewrite:rounds=2``; each
    step starts from the previous snapshot) are proved equivalent node by node and kept side by
    side, and ``map`` picks each cell from whichever structure is best (ABC's ``dch; map``).
    ``budget`` SAT conflicts per question; ``cost``, ``cuts``, ``rounds``, ``dup`` as for ``map``;
    ``plain``: also map the graph without choices and keep that when it is smaller by more than
    this fraction of the mapping over choices (0: whenever smaller; negative: never).
    """

    name = "dch"
    script: str = "balance+rewrite:rounds=2+refactor:leaves=8+balance"
    budget: int = 100
    cost: str = "gates"
    cuts: int = 8
    rounds: int = 2
    dup: float = 1.0
    plain: float = 0.0

    def run(self, graph):
        from ..logic.choices import ChoiceStats, choice_network
        from ..logic.strash import build, live, to_graph as arrays_to_graph
        from .pipeline import parse_pipeline

        _check_cost(self.name, self.cost)
        _check_range(self.name, "budget", self.budget, 1, 10**7)
        _check_range(self.name, "cuts", self.cuts, 1, 32)
        if not -1.0 <= self.plain < 1.0:
            from .pipeline import PipelineError

            raise PipelineError(f"dch: plain must be a fraction in [-1, 1), not {self.plain}")
        steps = parse_pipeline(script_pipeline(self.script))
        nets = [live(build(graph))]
        for step in steps:
            graph, _ = step(graph)
            nets.append(live(build(graph)))
        st = ChoiceStats()
        choices = choice_network(nets[::-1], budget=self.budget, stats=st)
        mapped, ms = _map(self, choices.net, choices)
        # Area recovery over choices is a heuristic: now and then the plain mapping of the
        # input alone is smaller (cm162a: 30 gates against 37), and it costs one cheap map.
        from ..stats import count_gates

        out, used = arrays_to_graph(mapped), "choices"
        if self.plain >= 0:
            plain, ps = _map(self, nets[0])
            plain = arrays_to_graph(plain)
            if count_gates(plain) < (1 - self.plain) * count_gates(out):
                out, ms, used = plain, ps, "plain"
        return out, {"snapshots": len(nets), "members": st.members, "dropped": st.dropped,
                     "sat_calls": st.sat_calls, "cells": ms.cells, "used": used}


def script_pipeline(script: str) -> str:
    """``dch``'s script (``a+b:x=1:y=2``) as pipeline text (``a,b{x=1,y=2}``)."""
    items = []
    for step in filter(None, (s.strip() for s in script.split("+"))):
        name, *opts = step.split(":")
        items.append(f"{name}{{{','.join(opts)}}}" if opts else name)
    return ",".join(items)
