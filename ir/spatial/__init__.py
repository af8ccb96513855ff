"""Spatial programs: a DAG of stages over per-sample bit feature maps (convolutional LGNs, cellular automata).

A gate graph (:mod:`gatecc.ir.graph`) is one flat circuit.  A convolutional
net applies one small circuit at many positions; a :class:`Program` keeps it
that way: its stages (``conv``, ``orpool``, ``flatten``, ``or``, ``dense``)
read feature maps, and each ``conv``/``dense`` stage holds one gate graph.
See docs/spatial.md.
"""

from .program import Conv, Dense, Flatten, MapShape, Or, OrPool, Program, Stage

__all__ = ["Conv", "Dense", "Flatten", "MapShape", "Or", "OrPool", "Program", "Stage"]
