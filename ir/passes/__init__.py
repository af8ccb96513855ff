"""Rewrite passes over the gate IR and the pipelines that run them.

Importing this package registers every pass in :data:`PASSES`.
"""

from . import adders, dontcare, logic, simplify  # noqa: F401  (registers the passes)
from .base import PASSES, Pass, PassStats, register
from .pipeline import OPT_LEVELS, PipelineError, opt_pipeline, optimize, parse_pipeline, run_pipeline

__all__ = [
    "PASSES", "Pass", "PassStats", "register", "OPT_LEVELS", "PipelineError",
    "opt_pipeline", "optimize", "parse_pipeline", "run_pipeline",
]
