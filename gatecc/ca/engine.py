"""Choosing what steps a CA board: the stencil engine, the reference or the JAX model.

Every engine has ``name`` and ``run(board, steps, fire_rate=None, seed=0)``
on (H, W, C) uint8 boards.

* c, llvm, wgsl: the stencil engine (``backends.stencil.StencilEngine``): the
  optimised per-cell circuit inlined in generated code that keeps the C bit
  planes on the target for all N steps;
* ``reference``: one step = :func:`gatecc.ir.spatial.evaluate.evaluate_program`
  of the CA's one-stage program, the oracle;
* ``jax``: the JAX hard model (:class:`~gatecc.ca.jaxca.JaxStepper`).
"""

from __future__ import annotations

import numpy as np

from ..errors import TargetError
from .model import CAModel

#: Targets ``gatecc ca`` runs on, besides ``reference`` (the oracle) and ``jax`` (the JAX hard model).
TARGETS = ("c", "llvm", "wgsl")


def optimised_conv(model: CAModel, opt_level: int = 2):
    """The CA's Conv stage with its kernel graph through the -O pipeline."""
    import dataclasses

    from ..ir.passes import optimize

    conv = model.to_conv()
    graph, _ = optimize(conv.kernel, opt_level)
    return dataclasses.replace(conv, kernel=graph)


class StencilCA:
    """The stencil engine behind the (H, W, C) board interface; one generated engine per board size."""

    def __init__(self, model: CAModel, target: str, opt_level: int = 2, threads: int | None = None):
        self.model, self.target, self.threads = model, target, threads
        self.conv = optimised_conv(model, opt_level)
        self.graph = self.conv.kernel
        self.name = f"stencil-{target}"
        self._engines: dict[tuple[int, int], object] = {}

    def engine(self, height: int, width: int):
        """The StencilEngine for boards of this size (built on first use)."""
        from ..backends.stencil import StencilEngine

        key = (int(height), int(width))
        if key not in self._engines:
            self._engines[key] = StencilEngine(self.conv, height, width, self.target, self.threads)
        return self._engines[key]

    def run(self, board, steps: int, fire_rate: float | None = None, seed: int = 0) -> np.ndarray:
        """``steps`` steps in one call of the generated engine."""
        from .stepper import check_board

        b = check_board(board, self.model.channels)
        planes = np.ascontiguousarray(b.transpose(2, 0, 1))
        out = self.engine(b.shape[0], b.shape[1]).run(planes, int(steps), fire_rate, seed)
        return np.ascontiguousarray(out.transpose(1, 2, 0)).astype(np.uint8)


def make_ca_engine(model: CAModel, target: str = "c", opt_level: int = 2, threads: int | None = None):
    """The engine for ``target`` (see the module doc)."""
    from ..backends.stencil import ENGINE_TARGETS
    from .stepper import reference_stepper

    if target == "reference":
        return reference_stepper(model)
    if target == "jax":
        from .jaxca import JaxStepper

        return JaxStepper(model)
    if target not in TARGETS:
        raise TargetError(f"unknown CA target {target!r} (known: {', '.join(('reference', 'jax') + TARGETS)})")
    if target not in ENGINE_TARGETS:      # TARGETS and the engine's targets are one list; say so if they part
        raise TargetError(f"the stencil engine has no target {target!r} (targets: {', '.join(ENGINE_TARGETS)})")
    return StencilCA(model, target, opt_level, threads if target == "c" else None)
