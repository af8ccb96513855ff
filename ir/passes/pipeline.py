"""Pass pipelines: parsing their text form, the -O levels, and running them."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Sequence

from ..graph import Graph
from ..verify import verify
from .base import PASSES, Pass, PassStats

#: The passes behind each optimisation level (docs/ir.md explains the choice).
OPT_LEVELS: dict[int, str] = {
    0: "",
    1: "adders,strash",
    2: "adders,strash,map",
    3: "adders,strash,dch{script=balance,plain=0.1},resynth{window=8},rewrite{rounds=4},fraig,resub,refactor{leaves=8},"
       "refactor{leaves=12},"
       "dch{script=balance,plain=-1},"
       "rewrite{zero=true},rewrite{rounds=4},collapse",
}

_ITEM = re.compile(r"\s*([A-Za-z_][\w-]*)\s*(?:\{([^}]*)\})?\s*(?:,|$)")


class PipelineError(ValueError):
    """A pipeline string names an unknown pass or a bad option."""


def _convert(value: str, typ, where: str):
    typ = {"int": int, "float": float, "bool": bool, "str": str}.get(typ, typ) if isinstance(typ, str) else typ
    try:
        if typ is bool:
            if value.lower() not in ("true", "false", "1", "0"):
                raise ValueError
            return value.lower() in ("true", "1")
        return typ(value)
    except (TypeError, ValueError):
        raise PipelineError(f"{where}: {value!r} is not a valid {getattr(typ, '__name__', typ)}") from None


def parse_pipeline(text: str) -> list[Pass]:
    """Parse ``"fold,cse,canon{rounds=8}"`` into pass instances."""
    passes: list[Pass] = []
    text = text.strip()
    pos = 0
    while pos < len(text):
        m = _ITEM.match(text, pos)
        if not m or m.end() == pos:
            raise PipelineError(f"cannot parse pass pipeline at {text[pos:]!r}")
        name, opts = m.group(1), m.group(2)
        if name not in PASSES:
            raise PipelineError(f"unknown pass {name!r} (known: {', '.join(sorted(PASSES))})")
        cls = PASSES[name]
        fields = {f.name: f for f in dataclasses.fields(cls)}
        kwargs = {}
        for item in filter(None, (o.strip() for o in (opts or "").split(","))):
            key, sep, value = item.partition("=")
            key = key.strip()
            if not sep or key not in fields:
                raise PipelineError(f"pass {name!r}: unknown option {item!r} (options: {', '.join(fields) or 'none'})")
            kwargs[key] = _convert(value.strip(), fields[key].type, f"{name}.{key}")
        passes.append(cls(**kwargs))
        pos = m.end()
    return passes


def opt_pipeline(level: int, cost: str = "gates") -> list[Pass]:
    """The passes of optimisation level ``level`` (0-3) under ``cost`` ("gates" or "aig", see :mod:`.costs`)."""
    from .costs import level_pipeline

    return parse_pipeline(level_pipeline(level, cost))


def run_pipeline(
    graph: Graph,
    passes: Sequence[Pass],
    *,
    after_pass: Callable[[Pass, Graph, PassStats], None] | None = None,
    verify_each: bool = False,
) -> tuple[Graph, list[PassStats]]:
    """Run ``passes`` in order; ``after_pass`` sees each result (for --print-ir-after-all)."""
    stats = []
    for p in passes:
        graph, st = p(graph)
        if verify_each:
            verify(graph)
        stats.append(st)
        if after_pass is not None:
            after_pass(p, graph, st)
    return graph, stats


def optimize(graph: Graph, level: int = 2, **kwargs) -> tuple[Graph, list[PassStats]]:
    """Run the pipeline of optimisation level ``level`` on ``graph``."""
    return run_pipeline(graph, opt_pipeline(level), **kwargs)
