"""Code generators (installed as ``gatecc.backends``).

:data:`TARGETS` maps each target name to the module and attribute that
define it; a target's module is imported only when it is asked for, so
heavy toolchains (llvmlite, wgpu) load lazily.
"""

from __future__ import annotations

import importlib

from ..errors import TargetError
from .target import Kernel, PlaneLayout, Target, legalize

#: target name -> "module:attribute" of its :class:`Target`.
TARGETS: dict[str, str] = {
    "c": "gatecc.backends.c:TARGET",
    "aiger": "gatecc.backends.aiger:TARGET",
    "aag": "gatecc.backends.aiger:TARGET_ASCII",
    "wgsl": "gatecc.backends.wgsl:TARGET",
    "wgsl-fn": "gatecc.backends.wgsl:FUNCTION_TARGET",
    "blif": "gatecc.backends.blif:TARGET",
    "verilog": "gatecc.backends.verilog:TARGET",
    "dot": "gatecc.backends.dot:TARGET",
    "graphml": "gatecc.backends.graphml:TARGET",
}


def target_names() -> list[str]:
    """All target names, sorted."""
    return sorted(TARGETS)


def get_target(name: str) -> Target:
    """The :class:`Target` called ``name``; :class:`TargetError` if unknown."""
    if name not in TARGETS:
        raise TargetError(f"unknown target {name!r} (known: {', '.join(target_names())})")
    module, attr = TARGETS[name].split(":")
    return getattr(importlib.import_module(module), attr)


__all__ = ["TARGETS", "Kernel", "PlaneLayout", "Target", "get_target", "legalize", "target_names"]
