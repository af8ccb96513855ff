"""What a target is, and what every backend shares.

Backends see *legal* graphs: bit logic plus ``uint`` outputs (GroupSum
popcounts are expanded into adder trees first).  A runnable target turns a
graph into a :class:`Kernel`, which maps input bit planes to output bit planes
in the shared packed layout (:mod:`gatecc.ir.planes`): uint64 words, sample j
in bit j % 64 of word j // 64.  :class:`PlaneLayout` says which planes make up
each output.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ..ir.graph import Graph, Op
from ..ir.passes.adders import expand_popcounts, has_popcounts


#: Options the compiler adds from the model itself (see gatecc.compiler.emit_options);
#: every target accepts them, and targets that have no use for them ignore them.
MODEL_OPTIONS = frozenset({"groupsum", "encoder"})


def check_options(target: str, options: dict, known) -> None:
    """:class:`TargetError` naming the first option ``target`` does not take."""
    from ..errors import TargetError

    for name in options:
        if name not in known and name not in MODEL_OPTIONS:
            listed = ", ".join(sorted(known)) or "none"
            raise TargetError(f"target {target!r} has no option {name!r} (options: {listed})")


def legalize(graph: Graph) -> Graph:
    """The graph a backend can emit: LUT nodes lowered to gates, popcounts expanded into adder trees."""
    if graph.luts:
        from ..ir.lut import lower_luts

        graph = lower_luts(graph)
    return expand_popcounts(graph).names_from(graph) if has_popcounts(graph) else graph


@dataclass(frozen=True)
class PlaneLayout:
    """The output bit planes a kernel writes and how outputs are read from them.

    ``planes`` lists the node whose value each output plane holds;
    ``outputs[k]`` is (kind, first plane, number of planes), kind "bit" (one
    plane) or "count" (planes of a little-endian binary number).
    """

    planes: tuple[int, ...]
    outputs: tuple[tuple[str, int, int], ...]

    @classmethod
    def of(cls, graph: Graph) -> "PlaneLayout":
        """The layout of a legal graph."""
        planes: list[int] = []
        outputs = []
        for o in graph.outputs:
            op = graph.op[o]
            if op == Op.POPCOUNT:
                raise ValueError("popcount outputs must be legalized (expanded) first")
            bits = list(graph.operands[o]) if op == Op.UINT else [o]
            outputs.append(("count" if op == Op.UINT else "bit", len(planes), len(bits)))
            planes.extend(bits)
        return cls(tuple(planes), tuple(outputs))

    def decode(self, planes: np.ndarray, batch: int) -> np.ndarray:
        """(batch, n_outputs): uint8 bits, or int32 counts if any output is a count."""
        from ..ir.planes import unpack_bits

        bits = unpack_bits(planes, batch)
        if all(kind == "bit" for kind, _, _ in self.outputs):
            return bits
        cols = []
        for kind, start, width in self.outputs:
            weights = np.left_shift(np.int64(1), np.arange(width, dtype=np.int64))
            cols.append(bits[:, start : start + width].astype(np.int64) @ weights)
        return np.stack(cols, axis=1).astype(np.int32)


class Kernel:
    """A loaded, runnable net: input planes in, output planes out.

    ``word_multiple`` is how many uint64 words the kernel processes at a time;
    callers pad the word count to a multiple of it.
    """

    word_multiple: int = 1

    def run(self, planes: np.ndarray) -> np.ndarray:
        """(n_inputs, words) uint64 -> (n_output_planes, words) uint64."""
        raise NotImplementedError

    def run_samples(self, x: np.ndarray, layout: PlaneLayout) -> np.ndarray:
        """(batch, n_inputs) uint8 0/1 rows -> ``layout.decode``'d outputs.

        This default packs with numpy and calls :meth:`run`; native kernels
        override it to pack and decode in compiled code.
        """
        from ..ir.planes import pack_bits

        planes = pack_bits(x)
        words = planes.shape[1]
        padded = -(-words // self.word_multiple) * self.word_multiple
        if padded != words:
            planes = np.concatenate([planes, np.zeros((planes.shape[0], padded - words), np.uint64)], axis=1)
        return layout.decode(self.run(planes)[:, :words], x.shape[0])


@dataclass(frozen=True)
class Target:
    """A code generator.  Runnable targets also build a :class:`Kernel`."""

    name: str
    description: str
    suffix: str
    runnable: bool = True

    #: The options this target's emit/load take (besides :data:`MODEL_OPTIONS`); others are an error.
    options = ()

    def check(self, options: dict) -> None:
        """:class:`TargetError` naming the first of ``options`` this target does not declare."""
        check_options(self.name, options, self.options)

    def legalize(self, graph: Graph) -> Graph:
        """The graph this target's :meth:`emit` takes (default: popcounts expanded).

        Exporters that can express a count directly (Verilog's ``+``, a
        drawing) override this to keep ``popcount`` nodes.
        """
        return legalize(graph)

    def emit(self, graph: Graph, **options) -> str | bytes:
        """Source text (or bytes, for binary formats) for the legal ``graph``.

        Deterministic: equal graphs and options give identical output.  For a
        net with a GroupSum head the compiler passes ``groupsum`` (k and tau,
        which the graph does not hold) so that exports can record tau.
        """
        raise NotImplementedError

    def load(self, graph: Graph, source: str, **options) -> Kernel:
        """Compile ``source`` (from :meth:`emit` of ``graph``) into a kernel."""
        raise NotImplementedError

    def available(self) -> str | None:
        """None when this target can run here, else the reason it cannot."""
        return None


@dataclass(frozen=True)
class FunctionTarget(Target):
    """An emit-only target writing the circuit as one function, ``render(graph, name)``; option ``name``."""

    runnable: bool = False
    render: Callable | None = None
    default_name: str = "gatecc_eval"

    options = ("name",)

    def emit(self, graph: Graph, **options) -> str:
        self.check(options)
        return self.render(graph, options.get("name", self.default_name))
