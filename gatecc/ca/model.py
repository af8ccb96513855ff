"""CAModel: a learned cellular automaton (DiffLogic CA) with C state bits per cell.

Per cell and step (the layout of the DiffLogic CA notebook):

1. *Perception*: ``n_kernels`` small circuits, each run on every channel's
   3x3 patch (9 bits, position ``f = 3 * dy + dx``, row-major, the cell at
   ``f = 4``).  All kernels share one wiring per layer; each has its own
   gates.  The first layer is usually the notebook's ``first_kernel`` wiring
   (each of the 8 neighbours paired with the centre).  The last layer's
   width is ``S``.
2. *Features*: the cell's own C bits, then the perception outputs flattened
   as ``'k c s -> (c s k)'``: feature ``C + c * S * K + s * K + k``.
3. *Update*: a dense gate network over the features whose last layer has C
   neurons: the cell's next state.

Boundary: ``periodic`` (torus) or fixed zeros outside the board.
:meth:`CAModel.kernel_graph` is this whole per-cell function as one gate
graph (9C inputs, C outputs) and :meth:`CAModel.to_conv` the
``ir.spatial.Conv`` stage that applies it to every cell.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..errors import ModelError
from ..model import Layer, _checked_layer, checked_gate_choice, checked_wiring

#: The patch: 9 positions per channel, f = 3 * dy + dx; the cell itself is f = 4.
PATCH = 9
CENTRE = 4


@dataclass(frozen=True, eq=False)
class KernelLayer(Layer):
    """One perception layer: wiring ``a``, ``b`` shared by all kernels; per-kernel ``logits`` or ``gates``.

    ``logits`` is (n_kernels, n, 16) float, ``gates`` (n_kernels, n) ids 0-15; :attr:`width` is the neurons
    per kernel and :meth:`gate_ids` gives (n_kernels, n) ids (the argmax is over the last axis).
    """


def window(channels: int) -> tuple[tuple[int, int, int], ...]:
    """The kernel graph's inputs in order: ``(c, dy, dx)`` channel-major, then row-major (input c*9 + 3*dy + dx)."""
    return tuple((c, dy, dx) for c in range(channels) for dy in range(3) for dx in range(3))


@dataclass(eq=False)
class CAModel:
    """A DiffLogic cellular automaton.  Construction validates it (:class:`ModelError` naming any problem)."""

    channels: int
    perceive: list[KernelLayer]
    update: list[Layer]
    periodic: bool = True
    meta: dict[str, np.ndarray] = field(default_factory=dict)

    def __post_init__(self) -> None:
        c = self.channels
        if isinstance(c, bool) or not isinstance(c, (int, np.integer)) or c < 1:
            raise ModelError(f"channels must be a positive integer, not {c!r}")
        self.channels = int(c)
        self.periodic = bool(self.periodic)
        if not self.perceive:
            raise ModelError("a CA needs at least one perception layer")
        if not self.update:
            raise ModelError("a CA needs at least one update layer")
        kernels, prev, checked = None, PATCH, []
        for i, layer in enumerate(self.perceive):
            layer = _checked_kernel_layer(f"perceive{i}", layer, prev, kernels)
            kernels = layer.gate_ids().shape[0]
            checked.append(layer)
            prev = layer.width
        self.perceive = checked
        prev = self.n_features
        update = []
        for i, layer in enumerate(self.update):
            try:
                layer = _checked_layer(i, layer, prev)
            except ModelError as exc:
                raise ModelError(f"update: {exc}".replace("update: layer", "update")) from None
            update.append(layer)
            prev = layer.width
        self.update = update
        if prev != self.channels:
            raise ModelError(f"the last update layer has {prev} neurons but the CA has {self.channels} channels")

    # -- shape ---------------------------------------------------------------
    @property
    def n_kernels(self) -> int:
        """Perception kernels."""
        return int(self.perceive[0].gate_ids().shape[0])

    @property
    def perceive_width(self) -> int:
        """Outputs of one perception kernel on one channel (S)."""
        return self.perceive[-1].width

    @property
    def n_features(self) -> int:
        """Inputs of the update network: C + C * S * n_kernels."""
        return self.channels * (1 + self.perceive_width * self.n_kernels)

    @property
    def boundary(self) -> str:
        """"torus" or "zero"."""
        return "torus" if self.periodic else "zero"

    @property
    def n_gates(self) -> int:
        """Learned gates: every perception neuron of every kernel plus every update neuron."""
        return sum(l.width for l in self.perceive) * self.n_kernels + sum(l.width for l in self.update)

    def hardened(self) -> "CAModel":
        """The same CA with argmax gates in place of logits."""
        return CAModel(self.channels, [KernelLayer(l.a, l.b, gates=l.gate_ids()) for l in self.perceive],
                       [Layer(l.a, l.b, gates=l.gate_ids()) for l in self.update], self.periodic, dict(self.meta))

    # -- circuits --------------------------------------------------------------
    def kernel_graph(self, raw: bool = False):
        """The per-cell circuit as a gate Graph: 9C inputs (see :func:`window`), C bit outputs (next state).

        ``raw=True`` appends every gate verbatim (no folding or sharing),
        as -O0 lowering does.
        """
        from ..ir.builder import Builder

        c_n, k_n, s_n = self.channels, self.n_kernels, self.perceive_width
        b = Builder.raw(PATCH * c_n) if raw else Builder(PATCH * c_n)
        layers = [(l.a.tolist(), l.b.tolist(), l.gate_ids().tolist()) for l in self.perceive]
        per = np.zeros((c_n, s_n, k_n), dtype=np.int64)      # feature (c, s, k) -> node
        for c in range(c_n):
            for k in range(k_n):
                vals = [c * PATCH + f for f in range(PATCH)]
                for wa, wb, gates in layers:
                    vals = [b.gate(g, vals[x], vals[y]) for g, x, y in zip(gates[k], wa, wb)]
                per[c, :, k] = vals
        vals = [c * PATCH + CENTRE for c in range(c_n)] + per.ravel().tolist()
        for layer in self.update:
            vals = [b.gate(g, vals[x], vals[y])
                    for g, x, y in zip(layer.gate_ids().tolist(), layer.a.tolist(), layer.b.tolist())]
        for node in vals:
            b.output(node)
        names = tuple(f"c{c}_{dy}{dx}" for c, dy, dx in window(c_n))
        return b.finish().with_names(names, tuple(f"next_c{c}" for c in range(c_n)))

    def to_conv(self, src: int = 0, raw: bool = False):
        """The ``ir.spatial.Conv`` stage of one CA step: 3x3 window, padding 1, stride 1, this boundary."""
        from ..ir.spatial import Conv

        return Conv(src, self.kernel_graph(raw), window(self.channels), (3, 3), (1, 1), (1, 1), self.boundary)

    def to_program(self, height: int, width: int, raw: bool = False):
        """One CA step on an (C, height, width) board as an ``ir.spatial.Program``."""
        from ..ir.spatial import MapShape, Program

        return Program(MapShape(self.channels, (int(height), int(width))), (self.to_conv(raw=raw),))


def _checked_kernel_layer(where: str, layer, prev: int, kernels: int | None) -> KernelLayer:
    if not isinstance(layer, KernelLayer):
        raise ModelError(f"{where}: expected a KernelLayer, got {type(layer).__name__}")
    a, b = checked_wiring(where, layer, prev)
    n = a.shape[0]
    logits, gates = checked_gate_choice(where, layer, (-1, n))
    k = (logits if logits is not None else gates).shape[0]
    if kernels is not None and k != kernels:
        raise ModelError(f"{where}: {k} kernels, but the first perception layer has {kernels}")
    return KernelLayer(a, b, logits, gates)
