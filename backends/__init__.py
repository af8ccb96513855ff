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
    "c-embedded": "gatecc.backends.c_embedded:TARGET",
    "llvm": "gatecc.backends.llvm:TARGET",
    "aiger": "gatecc.backends.aiger:TARGET",
    "aag": "gatecc.backends.aiger:TARGET_ASCII",
    "wgsl": "gatecc.backends.wgsl:TARGET",
    "wgsl-fn": "gatecc.backends.wgsl:FUNCTION_TARGET",
    "blif": "gatecc.backends.blif:TARGET",
    "verilog": "gatecc.backends.verilog:TARGET",
    "dot": "gatecc.backends.dot:TARGET",
    "graphml": "gatecc.backends.graphml:TARGET",
    "python": "gatecc.backends.python:TARGET",
}


#: Runnable targets from fastest to slowest at run time; ``gatecc.compile``
#: without a target takes the first one available here.  Measured on the
#: 48k-gate net (benchmarks/RESULTS.md): the C code ran 1.2-1.4x faster than
#: LLVM's in most runs and never slower by more than noise (gcc's register
#: allocation beats LLVM's fast one, which big nets need to JIT quickly),
#: while LLVM builds in about the same time or less and needs no C
#: compiler, so it is the choice where there is none.
FASTEST_FIRST: tuple[str, ...] = ("c", "llvm")


def default_target() -> str:
    """The fastest runnable target available on this machine; :class:`TargetError` if none is."""
    reasons = []
    for name in FASTEST_FIRST:
        reason = get_target(name).available()
        if reason is None:
            return name
        reasons.append(f"{name}: {reason}")
    raise TargetError(f"no runnable target is available here ({'; '.join(reasons)})")


def target_names() -> list[str]:
    """All target names, sorted."""
    return sorted(TARGETS)


def get_target(name: str) -> Target:
    """The :class:`Target` called ``name``; :class:`TargetError` if unknown."""
    if name not in TARGETS:
        raise TargetError(f"unknown target {name!r} (known: {', '.join(target_names())})")
    module, attr = TARGETS[name].split(":")
    return getattr(importlib.import_module(module), attr)


__all__ = ["FASTEST_FIRST", "TARGETS", "Kernel", "PlaneLayout", "Target", "default_target", "get_target", "legalize",
           "target_names"]
