"""The Game of Life with a learned circuit: boards, engines, and the reference rule."""

from .board import neighbour_planes, pack_board, unpack_board
from .engines import FusedCEngine, PlaneEngine, make_engine
from .jaxmodel import run_jax
from .rule import life_rule, random_board, reference_step

__all__ = [
    "FusedCEngine", "PlaneEngine", "life_rule", "make_engine", "neighbour_planes",
    "pack_board", "random_board", "reference_step", "run_jax", "unpack_board",
]
