"""Life engines: a learned Life circuit stepping bit-packed boards.

* :class:`PlaneEngine` works with any runnable target: numpy word shifts
  gather the nine neighbour planes of the whole board and the compiled net
  evaluates them in one call.
* :class:`FusedCEngine` (target ``c``) is the fused stencil engine
  (:class:`gatecc.backends.stencil.StencilEngine`) of one channel on a torus:
  generated C keeps the board for many steps, one vectorised loop over all
  words per step with the circuit inlined, spread over threads with OpenMP.
"""

from __future__ import annotations

import numpy as np

from ..backends.stencil import THREAD_MIN_WORDS, StencilEngine, passive_openmp  # noqa: F401  (re-exported)
from ..errors import ModelError
from ..ir.graph import Graph
from ..ir.spatial.program import Conv
from .board import check_size, neighbour_planes
from .rule import OFFSETS

#: The Life circuit's nine inputs as a Conv window: input j reads the cell at OFFSETS[j] of the centre.
LIFE_WINDOW = tuple((0, dy + 1, dx + 1) for dy, dx in OFFSETS)


def check_life_graph(graph: Graph) -> None:
    """A Life circuit has 9 inputs and one bit output."""
    if graph.n_inputs != 9 or graph.n_outputs != 1 or graph.is_count(graph.outputs[0]):
        raise ModelError(
            f"not a Life model: expected 9 inputs and 1 bit output, got {graph.n_inputs} inputs "
            f"and {graph.n_outputs} output(s)"
        )


class PlaneEngine:
    """Steps a board with any compiled net: gather planes in numpy, evaluate, repeat."""

    name = "planes"

    def __init__(self, compiled):
        check_life_graph(compiled.graph)
        self.compiled = compiled

    def run(self, words: np.ndarray, steps: int) -> np.ndarray:
        """Advance a packed (N, N/64) board by ``steps`` generations."""
        check_size(words.shape[1] * 64)
        for _ in range(steps):
            words = self.compiled.run_planes(neighbour_planes(words))[0].reshape(words.shape)
        return words


def life_conv(graph: Graph) -> Conv:
    """The Life circuit as the Conv stage of a one-channel torus automaton."""
    check_life_graph(graph)
    return Conv(0, graph, LIFE_WINDOW, (3, 3), (1, 1), (1, 1), "torus")


class FusedCEngine:
    """The whole stepping loop in generated C: the stencil engine of the Life Conv (one channel, torus)."""

    name = "fused-c"

    def __init__(self, graph: Graph, threads: int | None = None):
        self.conv = life_conv(graph)
        self.threads = threads
        self._engines: dict[tuple[int, int], StencilEngine] = {}
        self.source = self._engine(64, 64).source          # built now: one library serves every board size

    def _engine(self, rows: int, width: int) -> StencilEngine:
        key = (rows, width)
        if key not in self._engines:
            engine = StencilEngine(self.conv, rows, width, threads=self.threads)
            engine._threads_for = self._threads_for
            self._engines[key] = engine
        return self._engines[key]

    def _threads_for(self, words: int) -> int:
        # ``threads`` (default: every core) is a ceiling: each thread gets at least THREAD_MIN_WORDS words.
        return StencilEngine._threads_for(self, words)

    def run(self, words: np.ndarray, steps: int) -> np.ndarray:
        """Advance a packed (N, N/64) board by ``steps`` generations."""
        rows, w = words.shape
        check_size(w * 64)
        out = self._engine(rows, w * 64).run_words(np.asarray(words, dtype=np.uint64)[None], steps)
        return out[0]


def make_engine(model, target: str = "c", opt_level: int = 2, threads: int | None = None, fused: bool = True):
    """An engine for a Life model: fused C for target ``c``, else the plane engine."""
    from ..compiler import compile as compile_net
    from ..compiler import lower_to_source

    if target == "c" and fused:
        return FusedCEngine(lower_to_source(model, "c", opt_level).graph, threads=threads)
    return PlaneEngine(compile_net(model, target=target, opt_level=opt_level))
