"""Choosing what steps a CA board: the reference stepper or a compiled target.

Every engine has ``name`` and ``run(board, steps, fire_rate=None, seed=0)``
on (H, W, C) uint8 boards (see :mod:`gatecc.ca.stepper`).
"""

from __future__ import annotations

from ..errors import TargetError
from .model import CAModel

#: Targets ``gatecc ca`` runs on, besides ``reference`` (the oracle) and ``jax`` (the JAX hard model).
TARGETS = ("c", "llvm", "wgsl")


def make_ca_engine(model: CAModel, target: str = "c", opt_level: int = 2, threads: int | None = None):
    """The engine for ``target``: reference, jax, or the kernel graph compiled for c / llvm / wgsl."""
    from .stepper import compiled_stepper, reference_stepper

    if target == "reference":
        return reference_stepper(model)
    if target == "jax":
        from .jaxca import JaxStepper

        return JaxStepper(model)
    if target not in TARGETS:
        raise TargetError(f"unknown CA target {target!r} (known: {', '.join(('reference', 'jax') + TARGETS)})")
    options = {"threads": threads} if threads and target in ("c", "llvm") else {}
    return compiled_stepper(model, target, opt_level, **options)
