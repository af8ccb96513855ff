"""The data structures of spatial programs and their shape rules (no evaluation, no checking here).

Conventions every part of gatecc relies on (documented in docs/spatial.md):

* A feature map holds one bit per (channel, position) per sample.  Its shape
  is :class:`MapShape` ``(channels, *spatial)``: ``(C, H, W)`` for 2-D maps,
  ``(C, D, H, W)`` for 3-D.  Its bits are numbered channel-major, row-major
  inside a channel: bit ``c * H * W + y * W + x``, which is torch's
  ``(C, H, W)`` flatten order, so :class:`Flatten` renumbers nothing.
* A program's input is one map; value 0 is that input and stage ``i``
  produces value ``i + 1``.  Stages only read earlier values, so the tuple
  of stages is a valid evaluation order and a cycle cannot be represented.
* A :class:`Conv` kernel graph has one input per window entry: entry ``j``
  is the offset ``(dc, dy, dx)`` (``(dc, dz, dy, dx)`` in 3-D) read relative
  to the top-left corner of the receptive field at each output position
  ``p``: input position ``p * stride - padding + (dy, dx)`` of channel
  ``dc``.  Its outputs are the output channels.  Reads outside the map are
  0 (``boundary="zero"``) or wrap around (``boundary="torus"``, for cellular
  automata, where ``padding`` keeps the map size).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..graph import Graph


@dataclass(frozen=True)
class MapShape:
    """The shape of a per-sample bit map: channels, then spatial sizes (outermost first)."""

    channels: int
    spatial: tuple[int, ...]

    @property
    def size(self) -> int:
        """Bits per sample."""
        n = self.channels
        for s in self.spatial:
            n *= s
        return n

    @property
    def rank(self) -> int:
        """Spatial dimensions: 2 for images, 3 for volumes, 0 for a flat vector."""
        return len(self.spatial)

    def __str__(self) -> str:
        return "x".join(str(s) for s in (self.channels, *self.spatial))


def conv_out_size(size: int, kernel: int, stride: int, padding: int) -> int:
    """Output positions along one axis (torch's rule: floor((size + 2 pad - kernel) / stride) + 1)."""
    return (size + 2 * padding - kernel) // stride + 1


@dataclass(frozen=True)
class Conv:
    """One gate graph applied at every output position of a window over the source map."""

    src: int
    kernel: Graph
    #: Per kernel input: (dc, dy, dx) or (dc, dz, dy, dx) into the receptive field.
    window: tuple[tuple[int, ...], ...]
    #: Receptive-field extent per spatial axis (the window's offsets lie inside it).
    size: tuple[int, ...]
    stride: tuple[int, ...]
    padding: tuple[int, ...]
    boundary: str = "zero"
    kind = "conv"


@dataclass(frozen=True)
class OrPool:
    """OR (max of bits) over a window per channel; padded cells read 0."""

    src: int
    size: tuple[int, ...]
    stride: tuple[int, ...]
    padding: tuple[int, ...]
    kind = "orpool"


@dataclass(frozen=True)
class Flatten:
    """The map as a flat vector (channel-major: torch's order), shape (C*H*W,)."""

    src: int
    kind = "flatten"


@dataclass(frozen=True)
class Or:
    """Bitwise OR of two maps of one shape (a residual block's merge)."""

    src: int
    other: int
    kind = "or"


@dataclass(frozen=True)
class Dense:
    """A flat gate graph over a flat vector; its outputs (bits or GroupSum counts) are the stage's value."""

    src: int
    graph: Graph
    kind = "dense"


Stage = Conv | OrPool | Flatten | Or | Dense


@dataclass(frozen=True)
class Program:
    """A spatial program: the input map's shape and the stages, in evaluation order.

    The program's result is the value of its last stage; a program whose last
    stage is :class:`Dense` is a classifier or a bit-output net like any
    :class:`~gatecc.ir.graph.Graph`.
    """

    input: MapShape
    stages: tuple[Stage, ...]
    #: Optional input names (one per input bit); None: x{i}.
    input_names: tuple[str, ...] | None = field(default=None, compare=False)

    def shapes(self) -> list[MapShape]:
        """The shape of every value: the input, then each stage's output (no checking: see ir.spatial.verify)."""
        out = [self.input]
        for st in self.stages:
            src = out[st.src]
            if st.kind == "conv":
                if st.boundary == "torus":
                    spatial = src.spatial
                else:
                    spatial = tuple(conv_out_size(n, k, s, p)
                                    for n, k, s, p in zip(src.spatial, st.size, st.stride, st.padding))
                out.append(MapShape(st.kernel.n_outputs, spatial))
            elif st.kind == "orpool":
                out.append(MapShape(src.channels, tuple(
                    conv_out_size(n, k, s, p) for n, k, s, p in zip(src.spatial, st.size, st.stride, st.padding))))
            elif st.kind == "flatten":
                out.append(MapShape(src.size, ()))
            elif st.kind == "or":
                out.append(src)
            else:  # dense
                out.append(MapShape(st.graph.n_outputs, ()))
        return out

    @property
    def n_inputs(self) -> int:
        """Input bits per sample."""
        return self.input.size
