"""The -O levels under a cost model: ``gates`` (every 2-input gate 1) or ``aig`` (ABC's metric).

``cost=aig`` judges a result by ABC's own metric, the AND nodes left after
``strash`` (an XOR costs 3 ANDs): what AIGER output is measured by.  Its
-O3 is a pipeline of its own (:data:`AIG_LEVELS`), chosen by measurement
(``python benchmarks/optimizer.py``, the "-O3 aig" row; docs/ir.md): the
unit-cost -O3 run with every pass switched to ``cost=aig`` beats ``resyn2``
by 14% on LGSynth93 but in 11.6x its time, while balancing, one AIG-cost
mapping and collapsing small outputs (the passes that earn their time under
this metric) reach ``resyn2``'s AND count in a few times less.  The other
levels are the unit-cost ones with every pass that has a cost switched.
"""

from __future__ import annotations

#: Pipelines that replace a level's unit-cost pipeline under ``cost=aig``.
AIG_LEVELS: dict[int, str] = {
    3: (
        "adders,strash,balance,map{cost=aig},resub{leaves=6,cost=aig},balance,map{cost=aig},"
        "collapse{inputs=14,cost=aig}"
    ),
}

COSTS = ("gates", "aig")
#: Gate ids that are an XOR or XNOR: 3 ANDs each under ``aig``.
_XOR_IDS = frozenset({6, 9})


def graph_cost(graph, cost: str) -> int:
    """``graph``'s size under ``cost``: gates (2-input gates and NOTs) or ``aig`` (ANDs after strash, XOR = 3)."""
    if cost == "gates":
        from ..stats import count_gates

        return count_gates(graph)
    from ..logic.strash import build, live

    net = live(build(graph))
    n_gates = len(net.is_xor) - net.n_inputs - 1
    return n_gates + 2 * int(net.is_xor.sum())


def implementation_cost(impl, cost: str) -> int:
    """The size of an :class:`~gatecc.ir.logic.replace.Implementation` under ``cost`` (its gates, XORs 3 under aig)."""
    if cost == "gates":
        return impl.size
    return sum(3 if g in _XOR_IDS else 1 for g, _, _ in impl.gates)


def with_cost(pipeline: str, cost: str) -> str:
    """``pipeline`` with every pass that has a ``cost`` option costing ``cost``."""
    from .base import PASSES
    from .pipeline import parse_pipeline

    if cost == "gates":
        return pipeline
    items = []
    for p in parse_pipeline(pipeline):
        spec = p.spec()
        if "cost" in getattr(PASSES[p.name], "__dataclass_fields__", {}) and "cost=" not in spec:
            # spec() spells only options that differ from their defaults: a cost= there is already ``cost``.
            spec = spec.replace("}", f",cost={cost}}}") if "{" in spec else spec + f"{{cost={cost}}}"
        items.append(spec)
    return ",".join(items)


def level_pipeline(level: int, cost: str = "gates") -> str:
    """The pipeline text of optimisation level ``level`` under ``cost`` ("gates" or "aig")."""
    from .pipeline import OPT_LEVELS, PipelineError

    if cost not in COSTS:
        raise PipelineError(f"cost must be one of {', '.join(COSTS)}, not {cost!r}")
    if level not in OPT_LEVELS:
        raise PipelineError(f"optimisation level must be 0, 1, 2 or 3, not {level}")
    if cost == "aig" and level in AIG_LEVELS:
        return AIG_LEVELS[level]
    return with_cost(OPT_LEVELS[level], cost)
