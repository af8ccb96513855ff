"""ConvNet: a trained convolutional logic-gate network (torchlogix's LogicConv trees, OR pooling, dense head).

A :class:`ConvNet` is a spatial program (:mod:`gatecc.ir.spatial`) whose conv
and dense stages still hold what was trained:

* :class:`TreeConv`: ``K`` kernels, each a complete binary tree of 2-input
  gates of depth ``d`` over ``2**d`` leaves read from a receptive field
  (Petersen et al. 2024; torchlogix's ``LogicConv2d/3d``).  ``leaves[k, j]`` is
  the window offset ``(dc, dy, dx)`` of leaf ``j`` of kernel ``k``; level 0
  node ``i`` reads leaves ``2i`` and ``2i+1``, level ``l`` node ``i`` reads
  nodes ``2i`` and ``2i+1`` of level ``l-1``; ``levels[l]`` is ``(K, 2**(d-1-l), 16)``
  gate logits (or ``(K, 2**(d-1-l))`` gate ids).  Depth 0: the kernel is its one leaf.
* :class:`DenseHead`: a :class:`~gatecc.model.LogicNet` over the flat vector
  it reads (its layers and GroupSum head).
* ``OrPool``, ``Flatten`` and ``Or`` stages are the program's own.

:meth:`ConvNet.to_program` gives the hard program the compiler takes (argmax
gates, ties to the lowest id); :mod:`gatecc.convsoft` is its soft model in
JAX; :mod:`gatecc.convfile` its file format (docs/model-format.md).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from .errors import ModelError
from .ir.builder import Builder
from .ir.graph import Graph
from .ir.spatial.program import Conv, Dense, Flatten, MapShape, Or, OrPool, Program
from .ir.spatial.verify import ProgramError, verify_program
from .lower import lower
from .model import GroupSum, LogicNet


@dataclass(frozen=True, eq=False)
class TreeConv:
    """A layer of gate-tree kernels applied at every output position (see the module docstring)."""

    src: int
    leaves: np.ndarray                       # (K, 2**depth, 1 + rank) int64
    levels: tuple[np.ndarray, ...]           # per level: (K, n_l, 16) float logits or (K, n_l) uint8 gates
    size: tuple[int, ...]
    stride: tuple[int, ...]
    padding: tuple[int, ...]
    boundary: str = "zero"
    kind = "treeconv"

    @property
    def kernels(self) -> int:
        """Output channels."""
        return int(self.leaves.shape[0])

    @property
    def depth(self) -> int:
        """Tree depth (levels of gates)."""
        return len(self.levels)

    def gate_ids(self) -> list[np.ndarray]:
        """Per level, (K, n_l) uint8: argmax of the logits (ties to the lowest id), or the stored gates."""
        return [lv.astype(np.uint8) if lv.ndim == 2 else np.argmax(lv, axis=-1).astype(np.uint8)
                for lv in self.levels]

    def kernel_graph(self) -> tuple[Graph, tuple[tuple[int, ...], ...]]:
        """The hard kernel graph and its window: one input per distinct leaf offset, sorted."""
        flat = [tuple(int(v) for v in leaf) for leaf in self.leaves.reshape(-1, self.leaves.shape[-1])]
        window = tuple(sorted(set(flat)))
        slot = {off: j for j, off in enumerate(window)}
        bld = Builder.raw(len(window))
        per = self.leaves.shape[1]
        gates = self.gate_ids()
        for k in range(self.kernels):
            level = [slot[off] for off in flat[k * per:(k + 1) * per]]
            for lv in gates:
                level = [bld.gate(int(g), level[2 * i], level[2 * i + 1]) for i, g in enumerate(lv[k].tolist())]
            bld.output(level[0])
        return bld.finish(), window

    def hardened(self) -> "TreeConv":
        """The same layer with argmax gate ids instead of logits."""
        return replace(self, levels=tuple(self.gate_ids()))


@dataclass(frozen=True, eq=False)
class DenseHead:
    """Dense logic layers (and a GroupSum head) over the flat vector ``src``."""

    src: int
    net: LogicNet
    kind = "densehead"


@dataclass(eq=False)
class ConvNet:
    """A convolutional logic-gate network.  Construction validates it (one :class:`ModelError` line per problem)."""

    input: MapShape
    stages: tuple
    meta: dict[str, np.ndarray] = field(default_factory=dict)
    #: Optional input encoder (a :class:`gatecc.encoder.ThermometerEncoder`): raw features -> the input bits.
    encoder: object = None

    def __post_init__(self) -> None:
        self.stages = tuple(_checked(i, st) for i, st in enumerate(self.stages))
        self.input = MapShape(int(self.input.channels), tuple(int(s) for s in self.input.spatial))
        try:
            program = self.to_program()
            verify_program(program)
            self._shapes = program.shapes()
        except ProgramError as exc:
            raise ModelError(str(exc).replace("(conv)", "(treeconv)").replace("(dense)", "(dense head)")) from None
        for key, value in self.meta.items():
            if not isinstance(value, np.ndarray) or value.dtype.kind not in "biufUS":
                raise ModelError(f"meta/{key}: metadata must be numeric or string arrays")
        if self.encoder is not None and self.encoder.n_bits != self.n_inputs:
            raise ModelError(f"the encoder makes {self.encoder.n_bits} bits but the net has {self.n_inputs} inputs")

    # -- shape ---------------------------------------------------------------
    @property
    def n_inputs(self) -> int:
        """Input bits per sample (C*H*W, channel-major)."""
        return self.input.size

    @property
    def groupsum(self) -> GroupSum | None:
        """The GroupSum head of the last stage, if any."""
        last = self.stages[-1]
        return last.net.groupsum if last.kind == "densehead" else None

    @property
    def n_outputs(self) -> int:
        """Outputs per sample: GroupSum groups, or the last value's bits."""
        return self.shapes()[-1].size if self.groupsum is None else self.groupsum.k

    def shapes(self) -> list[MapShape]:
        """Every value's shape: the input, then each stage's output."""
        return list(self._shapes)

    @property
    def is_hard(self) -> bool:
        """True when no stage keeps logits."""
        return all((st.kind != "treeconv" or all(lv.ndim == 2 for lv in st.levels))
                   and (st.kind != "densehead" or st.net.is_hard) for st in self.stages)

    # -- conversions ---------------------------------------------------------
    def to_program(self) -> Program:
        """The hard spatial program: argmax gates (ties to the lowest id), one kernel graph per conv stage."""
        stages = []
        for st in self.stages:
            if st.kind == "treeconv":
                kernel, window = st.kernel_graph()
                stages.append(Conv(st.src, kernel, window, st.size, st.stride, st.padding, st.boundary))
            elif st.kind == "densehead":
                stages.append(Dense(st.src, lower(st.net)))
            else:
                stages.append(st)
        return Program(self.input, tuple(stages))

    def hardened(self) -> "ConvNet":
        """The same net with gate ids instead of logits everywhere."""
        stages = [st.hardened() if st.kind == "treeconv" else
                  DenseHead(st.src, st.net.hardened()) if st.kind == "densehead" else st for st in self.stages]
        return ConvNet(self.input, tuple(stages), dict(self.meta), self.encoder)

    def soft_eval(self, x, hard: bool = False) -> np.ndarray:
        """The soft model (see :func:`gatecc.convsoft.soft_eval`); ``gatecc.soft_eval`` calls this.

        A net with an encoder takes raw features (batch, n_features), encoded first.
        """
        from .convsoft import soft_eval

        if self.encoder is not None:
            x = self.encoder.encode(np.asarray(x).reshape(len(x), -1))
        return soft_eval(self, x, hard)

    def save(self, path, compressed: bool = True) -> None:
        """Write the convnet model format (docs/model-format.md, "Convolutional nets")."""
        from .convfile import save_convnet

        save_convnet(self, path, compressed)


def _checked(i: int, st):
    where = f"stage {i}"
    kind = getattr(st, "kind", None)
    if kind == "treeconv":
        return _checked_conv(where, st)
    if kind == "densehead":
        if not isinstance(st.net, LogicNet):
            raise ModelError(f"{where} (dense head): expected a LogicNet, got {type(st.net).__name__}")
        return st
    if isinstance(st, (OrPool, Flatten, Or)):
        return st
    raise ModelError(f"{where}: unknown stage {type(st).__name__} (expected TreeConv, OrPool, Flatten, Or, DenseHead)")


def _checked_conv(where: str, st: TreeConv) -> TreeConv:
    leaves = np.asarray(st.leaves)
    if leaves.dtype.kind not in "iu" or leaves.ndim != 3 or leaves.shape[0] < 1:
        raise ModelError(f"{where} (treeconv): leaves must be a (kernels, 2**depth, 1 + rank) integer array, "
                         f"got {leaves.dtype} of shape {leaves.shape}")
    k, n_leaves = leaves.shape[:2]
    depth = len(st.levels)
    if n_leaves != 1 << depth:
        raise ModelError(f"{where} (treeconv): {n_leaves} leaves per kernel but {depth} tree levels "
                         f"(a depth-{depth} tree has {1 << depth})")
    levels = []
    for lvl, arr in enumerate(st.levels):
        arr = np.asarray(arr)
        nodes = 1 << (depth - 1 - lvl)
        name = f"{where} (treeconv) level {lvl}"
        if arr.ndim == 3:
            if arr.dtype.kind != "f" or arr.shape != (k, nodes, 16):
                raise ModelError(f"{name}: logits {arr.dtype} of shape {arr.shape}, expected float ({k}, {nodes}, 16)")
            if not np.isfinite(arr).all():
                raise ModelError(f"{name}: logits contain NaN or infinite values")
        elif arr.ndim == 2:
            if arr.dtype.kind not in "iu" or arr.shape != (k, nodes):
                raise ModelError(f"{name}: gates {arr.dtype} of shape {arr.shape}, expected integer ({k}, {nodes})")
            if ((arr < 0) | (arr > 15)).any():
                raise ModelError(f"{name}: gate id {int(arr[(arr < 0) | (arr > 15)][0])} is not in 0..15")
            arr = arr.astype(np.uint8)
        else:
            raise ModelError(f"{name}: expected (K, nodes, 16) logits or (K, nodes) gates, got shape {arr.shape}")
        levels.append(arr)
    if (leaves < 0).any():
        raise ModelError(f"{where} (treeconv): negative leaf offset {leaves[leaves < 0][0]}")
    axes = {n: tuple(int(v) for v in np.asarray(getattr(st, n)).reshape(-1)) for n in ("size", "stride", "padding")}
    return TreeConv(st.src, leaves.astype(np.int64), tuple(levels), boundary=st.boundary, **axes)
