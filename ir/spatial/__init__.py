"""Spatial programs: a DAG of stages over per-sample bit feature maps (convolutional LGNs, cellular automata).

A gate graph (:mod:`gatecc.ir.graph`) is one flat circuit.  A convolutional
net applies one small circuit at many positions; a :class:`Program` keeps it
that way: its stages (``conv``, ``orpool``, ``flatten``, ``or``, ``dense``)
read feature maps, and each ``conv``/``dense`` stage holds one gate graph.

* :mod:`.program`: the data structures and shape rules.
* :mod:`.verify`: :func:`verify_program` (every invariant, one clear error).
* :mod:`.evaluate`: :func:`evaluate_program`, THE reference evaluator.
* :mod:`.unroll`: :func:`unroll` to one flat gate graph.
* :mod:`.text`: :func:`print_program` / :func:`parse_program`.

See docs/spatial.md.
"""

from .evaluate import evaluate_program
from .program import Conv, Dense, Flatten, MapShape, Or, OrPool, Program, Stage
from .text import parse_program, print_program
from .unroll import unroll
from .verify import ProgramError, verify_program

__all__ = ["Conv", "Dense", "Flatten", "MapShape", "Or", "OrPool", "Program", "ProgramError", "Stage",
           "evaluate_program", "parse_program", "print_program", "unroll", "verify_program"]
