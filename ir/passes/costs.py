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
    3: "adders,strash,balance,map{cost=aig},resub{leaves=6,cost=aig},balance,map{cost=aig},collapse{inputs=14}",
}

COSTS = ("gates", "aig")


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
