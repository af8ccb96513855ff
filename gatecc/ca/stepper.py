"""Stepping a CA board with its per-cell circuit: the reference stepper and the plane stepper.

Boards are (H, W, C) uint8 0/1 arrays (the ``gatecc ca`` file layout).  One
step gathers, for every cell, the 9C kernel-graph inputs in window order
(:func:`gatecc.ca.model.window`: input c*9 + 3*dy + dx reads channel c of
cell (y + dy - 1, x + dx - 1), wrapped on a torus or 0 outside the board),
evaluates the circuit on all cells at once (cells are the samples of the bit
planes), and, for an asynchronous step, keeps the old state of the cells the
fire mask (:mod:`gatecc.ir.spatial.firing`) leaves out.

* :func:`reference_stepper`: each step is
  :func:`gatecc.ir.spatial.evaluate.evaluate_program` of the CA's one-stage
  spatial program (:meth:`CAModel.to_program`), the oracle every target is
  tested against;
* :class:`PlaneStepper`: the neighbour planes gathered here in numpy and the
  circuit run on all cells at once, by :func:`gatecc.ir.evaluate.evaluate`
  or by the kernel graph compiled for any runnable target.
"""

from __future__ import annotations

import numpy as np

from ..errors import InputError
from ..ir.planes import pack_bits, unpack_bits
from ..ir.spatial.firing import fire_mask
from .model import CAModel


def check_board(board, channels: int) -> np.ndarray:
    """A board as (H, W, C) uint8 0/1, or InputError naming what is wrong."""
    arr = np.asarray(board)
    if arr.ndim != 3 or arr.shape[2] != channels:
        raise InputError(f"board has shape {arr.shape}, expected (H, W, {channels}) for a {channels}-channel CA")
    if arr.shape[0] < 1 or arr.shape[1] < 1:
        raise InputError(f"board has shape {arr.shape}: it has no cells")
    if arr.dtype.kind not in "biu":
        raise InputError(f"board dtype {arr.dtype} is not bool or an integer type (cells are 0/1)")
    if arr.size and (arr.min() < 0 or arr.max() > 1):
        raise InputError(f"board cells must be 0 or 1, found {int(arr.max() if arr.max() > 1 else arr.min())}")
    return arr.astype(np.uint8)


def neighbour_rows(board: np.ndarray, periodic: bool) -> np.ndarray:
    """(H*W, 9C) uint8: each cell's circuit inputs in window order."""
    h, w, c = board.shape
    if periodic:
        shifted = [np.roll(board, (1 - dy, 1 - dx), axis=(0, 1)) for dy in range(3) for dx in range(3)]
    else:
        padded = np.pad(board, ((1, 1), (1, 1), (0, 0)))
        shifted = [padded[dy:dy + h, dx:dx + w] for dy in range(3) for dx in range(3)]
    # (9, H, W, C) -> (H*W, C, 9) -> (H*W, 9C): input c*9 + f
    return np.stack(shifted).transpose(1, 2, 3, 0).reshape(h * w, c * 9)


class PlaneStepper:
    """Steps boards with one evaluation of the per-cell circuit per step over all cells."""

    def __init__(self, model: CAModel, graph, run_planes, name: str):
        self.model, self.graph, self.name = model, graph, name
        self._run_planes = run_planes

    def step(self, board: np.ndarray, t: int = 0, fire_rate: float | None = None, seed: int = 0) -> np.ndarray:
        """One step of a checked (H, W, C) board; step number ``t`` picks the fire mask."""
        h, w, c = board.shape
        planes = pack_bits(neighbour_rows(board, self.model.periodic))
        out = np.asarray(self._run_planes(planes))
        new = unpack_bits(out[:c], h * w).reshape(h, w, c).astype(np.uint8)
        if fire_rate is None:
            return new
        fires = fire_mask(seed, t, h, w, fire_rate)[:, :, None]
        return np.where(fires, new, board).astype(np.uint8)

    def run(self, board, steps: int, fire_rate: float | None = None, seed: int = 0) -> np.ndarray:
        """``steps`` steps of an (H, W, C) 0/1 board (asynchronous with ``fire_rate``)."""
        b = check_board(board, self.model.channels)
        for t in range(int(steps)):
            b = self.step(b, t, fire_rate, seed)
        return b


class ReferenceStepper:
    """The oracle: one step = ``evaluate_program`` of the CA's program on the board's channel-major bits."""

    name = "reference"

    def __init__(self, model: CAModel):
        self.model = model
        self.graph = model.kernel_graph(raw=True)
        self._programs: dict[tuple[int, int], object] = {}

    def step(self, board: np.ndarray, t: int = 0, fire_rate: float | None = None, seed: int = 0) -> np.ndarray:
        """One step of a checked (H, W, C) board; step number ``t`` picks the fire mask."""
        from ..ir.spatial.evaluate import evaluate_program

        h, w, c = board.shape
        if (h, w) not in self._programs:
            self._programs[(h, w)] = self.model.to_program(h, w, raw=True)
        bits = board.transpose(2, 0, 1).reshape(1, c * h * w)
        new = evaluate_program(self._programs[(h, w)], bits).reshape(c, h, w).transpose(1, 2, 0)
        if fire_rate is None:
            return new.astype(np.uint8)
        fires = fire_mask(seed, t, h, w, fire_rate)[:, :, None]
        return np.where(fires, new, board).astype(np.uint8)

    run = PlaneStepper.run


def reference_stepper(model: CAModel) -> ReferenceStepper:
    """The oracle stepper (see :class:`ReferenceStepper`)."""
    return ReferenceStepper(model)


def evaluator_stepper(model: CAModel) -> PlaneStepper:
    """Gathered planes through :func:`gatecc.ir.evaluate.evaluate` (the raw kernel graph)."""
    from ..ir.evaluate import evaluate

    graph = model.kernel_graph(raw=True)
    return PlaneStepper(model, graph, lambda planes: np.stack(evaluate(graph, planes)), "planes-evaluate")


def compiled_stepper(model: CAModel, target: str, opt_level: int = 2, **options) -> PlaneStepper:
    """The kernel graph compiled for ``target`` (c, llvm, wgsl, ...) stepping boards plane by plane."""
    from ..compiler import compile as compile_graph

    net = compile_graph(model.kernel_graph(), target=target, opt_level=opt_level, **options)
    return PlaneStepper(model, net.graph, net.run_planes, f"planes-{target}")
