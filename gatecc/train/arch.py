"""Architecture specs: one string names a net's layers (``gatecc train --arch``).

Grammar (spaces ignored)::

    spec    := item ("," item)*
    item    := layer ["x" COUNT]
    layer   := "conv(" K ["," "rf=" R] ["," "depth=" D] ["," "pad=" P] ["," "stride=" S] ")"
             | "orpool(" [SIZE] ["," "stride=" S] ["," "pad=" P] ")"   (conv and orpool before any dense)
             | "dense(" WIDTH ["," "wiring=" WIRING] ["," "candidates=" C] ")"
             | "groupsum(" [K] ["," "tau=" TAU] ")"       (last item only)

``dense(4000)x2,groupsum(10,tau=20)`` is two dense layers of 4000 neurons
and a GroupSum head of 10 classes dividing each group's sum by 20.
``WIRING`` is ``unique`` (default), ``random`` or ``learnable``: each
operand of a neuron a softmax over ``C`` candidate wires (default 4), of
which the argmax is compiled.  Without a ``groupsum`` the last dense layer's
bits are the outputs.

``conv(16,rf=3,depth=3,pad=1),orpool(2),dense(4000)x2,groupsum(10,tau=20)``
starts with a convolution of 16 kernels over image inputs (C, H, W): each
kernel a complete binary tree of 2-input gates of depth D (default 3) over
2**D leaves, each leaf one bit of an R x R (default 3) receptive field of
any input channel (chosen at random, fixed), zero padding P (default 0),
stride S (default 1); ``orpool(SIZE)`` ORs SIZE x SIZE windows (default
stride SIZE, padding 0).  The map is then flattened (channel-major) into
the dense layers.  See :mod:`gatecc.train.convnets`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, fields

from ..errors import InputError

WIRINGS = ("unique", "random", "learnable")
DEFAULT_CANDIDATES = 4


class ArchError(InputError):
    """An architecture spec that does not parse or does not fit the data."""


@dataclass(frozen=True)
class Dense:
    """A layer of ``width`` two-input neurons."""

    width: int
    wiring: str = "unique"
    candidates: int = DEFAULT_CANDIDATES


class _MapItem:
    """A conv/orpool item: its canonical spec is ``kind(FIRST,name=value,...)`` in field order."""

    kind = ""

    def _value(self, name: str):
        return getattr(self, name)

    def spec(self) -> str:
        """This item of the canonical spec."""
        first, *rest = fields(self)
        items = [str(self._value(first.name))] + [f"{f.name}={self._value(f.name)}" for f in rest]
        return f"{self.kind}({','.join(items)})"


@dataclass(frozen=True)
class ConvLayer(_MapItem):
    """``kernels`` gate trees of ``depth`` over an ``rf`` x ``rf`` receptive field."""

    kernels: int
    rf: int = 3
    depth: int = 3
    pad: int = 0
    stride: int = 1
    kind = "conv"


@dataclass(frozen=True)
class Pool(_MapItem):
    """OR pooling over ``size`` x ``size`` windows."""

    size: int = 2
    stride: int | None = None          # None: size
    pad: int = 0
    kind = "orpool"

    def _value(self, name: str):
        return (self.stride or self.size) if name == "stride" else getattr(self, name)


@dataclass(frozen=True)
class Head:
    """A GroupSum head: ``k`` groups (None: the number of classes), sums / ``tau`` (None: default)."""

    k: int | None = None
    tau: float | None = None


@dataclass(frozen=True)
class Arch:
    """Conv and pool layers (images), dense layers and an optional GroupSum head."""

    layers: tuple[Dense, ...]
    head: Head | None
    convs: tuple[ConvLayer | Pool, ...] = ()

    def spec(self) -> str:
        """The canonical spec string (what the model's ``meta/arch`` records)."""
        parts = [c.spec() for c in self.convs]
        for d in self.layers:
            opts = "" if d.wiring == "unique" else f",wiring={d.wiring}"
            if d.wiring == "learnable" and d.candidates != DEFAULT_CANDIDATES:
                opts += f",candidates={d.candidates}"
            parts.append(f"dense({d.width}{opts})")
        if self.head is not None:
            args = [str(self.head.k)] if self.head.k is not None else []
            if self.head.tau is not None:
                args.append(f"tau={self.head.tau:g}")
            parts.append(f"groupsum({','.join(args)})")
        return ",".join(parts)


_ITEM = re.compile(r"(\w+)\(([^()]*)\)(?:x(\d+))?")


def _split_items(text: str) -> list[str]:
    items, depth, start = [], 0, 0
    for i, ch in enumerate(text):
        depth += {"(": 1, ")": -1}.get(ch, 0)
        if ch == "," and depth == 0:
            items.append(text[start:i])
            start = i + 1
    items.append(text[start:])
    return items


def _args(name: str, body: str) -> tuple[list[str], dict[str, str]]:
    pos, kw = [], {}
    for part in filter(None, body.split(",")):
        if "=" in part:
            key, value = part.split("=", 1)
            kw[key] = value
        elif kw:
            raise ArchError(f"{name}(...): positional argument {part!r} after keyword arguments")
        else:
            pos.append(part)
    return pos, kw


def _positive_int(name: str, what: str, text: str) -> int:
    if not re.fullmatch(r"\d+", text) or int(text) < 1:
        raise ArchError(f"{name}(...): {what} must be a positive integer, not {text!r}")
    return int(text)


def parse_arch(text: str) -> Arch:
    """Parse a spec string (see the module doc); ArchError naming the first problem."""
    spec = re.sub(r"\s+", "", text)
    layers: list[Dense] = []
    convs: list[ConvLayer | Pool] = []
    head = None
    for item in _split_items(spec):
        m = _ITEM.fullmatch(item)
        if not m:
            raise ArchError(f"cannot parse {item!r} in the architecture (expected e.g. dense(4000)x2,groupsum(10,tau=20))")
        name, body, count = m.group(1), m.group(2), m.group(3)
        if head is not None:
            raise ArchError("groupsum(...) must be the last item of the architecture")
        pos, kw = _args(name, body)
        if name in ("conv", "orpool"):
            if layers:
                raise ArchError(f"{name}(...) must come before the dense(...) layers")
            reps = _positive_int(name, "the repeat count", count) if count is not None else 1
            convs += [_conv_item(name, pos, kw, body)] * reps
        elif name == "dense":
            if len(pos) != 1 or set(kw) - {"wiring", "candidates"}:
                raise ArchError(f"dense(...) takes WIDTH[,wiring=...][,candidates=C], not {body!r}")
            wiring = kw.get("wiring", "unique")
            if wiring not in WIRINGS:
                raise ArchError(f"unknown wiring {wiring!r} (known: {', '.join(WIRINGS)})")
            c = _positive_int(name, "candidates", kw["candidates"]) if "candidates" in kw else DEFAULT_CANDIDATES
            if "candidates" in kw and wiring != "learnable":
                raise ArchError("dense(...): candidates= needs wiring=learnable")
            reps = _positive_int(name, "the repeat count", count) if count is not None else 1
            layers += [Dense(_positive_int(name, "WIDTH", pos[0]), wiring, c)] * reps
        elif name == "groupsum":
            if count is not None or len(pos) > 1 or set(kw) - {"tau"}:
                raise ArchError(f"groupsum(...) takes [K][,tau=T], not {body!r}")
            k = _positive_int(name, "K", pos[0]) if pos else None
            tau = None
            if "tau" in kw:
                try:
                    tau = float(kw["tau"])
                except ValueError:
                    tau = float("nan")
                if not tau > 0 or tau == float("inf"):
                    raise ArchError(f"groupsum(...): tau must be a positive number, not {kw['tau']!r}")
            head = Head(k, tau)
        else:
            raise ArchError(f"unknown layer {name!r} (known: conv, orpool, dense, groupsum)")
    if not layers:
        raise ArchError("the architecture needs at least one dense(...) layer")
    return Arch(tuple(layers), head, tuple(convs))


def _conv_item(name: str, pos: list[str], kw: dict[str, str], body: str) -> ConvLayer | Pool:
    """A conv(...) or orpool(...) item."""
    def natural(key: str, text: str, minimum: int = 1) -> int:
        if not re.fullmatch(r"\d+", text) or int(text) < minimum:
            raise ArchError(f"{name}(...): {key} must be an integer >= {minimum}, not {text!r}")
        return int(text)

    if name == "conv":
        if len(pos) != 1 or set(kw) - {"rf", "depth", "pad", "stride"}:
            raise ArchError(f"conv(...) takes K[,rf=R][,depth=D][,pad=P][,stride=S], not {body!r}")
        return ConvLayer(natural("K", pos[0]), natural("rf", kw.get("rf", "3")), natural("depth", kw.get("depth", "3"), 0),
                         natural("pad", kw.get("pad", "0"), 0), natural("stride", kw.get("stride", "1")))
    if len(pos) > 1 or set(kw) - {"stride", "pad"}:
        raise ArchError(f"orpool(...) takes [SIZE][,stride=S][,pad=P], not {body!r}")
    size = natural("SIZE", pos[0]) if pos else 2
    return Pool(size, natural("stride", kw["stride"]) if "stride" in kw else size, natural("pad", kw.get("pad", "0"), 0))


def default_arch(n_inputs: int, n_classes: int | None, n_bits: int | None = None) -> Arch:
    """The no-flags default: two dense layers and, for classes, a GroupSum head.

    Width: about 400 neurons per class (2000 at least, a multiple of the
    classes); tau = sqrt(neurons per class), so a class score spans ~±sqrt.
    Bit outputs: two layers of max(256, 4 * n_inputs), then one of n_bits.
    """
    if n_classes is not None:
        per_class = max(400, -(-2000 // n_classes))
        width = per_class * n_classes
        return Arch((Dense(width),) * 2, Head(n_classes, float(round(per_class ** 0.5))))
    width = max(256, 4 * n_inputs)
    return Arch((Dense(width), Dense(width), Dense(int(n_bits))), None)


def resolve(arch: Arch, n_classes: int | None, n_bits: int | None) -> Arch:
    """Fill in the head's k and tau from the data; ArchError if the spec cannot fit it."""
    last = arch.layers[-1].width
    if n_classes is None:
        if arch.head is not None:
            raise ArchError("groupsum(...) needs class labels, but y holds bit outputs; end with dense(N_BITS)")
        if last != n_bits:
            raise ArchError(f"the last dense layer has {last} neurons but y has {n_bits} bit outputs")
        return arch
    if arch.head is None:
        raise ArchError(f"classification needs a groupsum(...) head, e.g. groupsum({n_classes})")
    k = arch.head.k if arch.head.k is not None else n_classes
    if k != n_classes:
        raise ArchError(f"groupsum({k}) but the labels have {n_classes} classes")
    if last % k:
        raise ArchError(f"groupsum({k}) does not divide the last layer's width {last}")
    tau = arch.head.tau if arch.head.tau is not None else float(round((last // k) ** 0.5))
    return Arch(arch.layers, Head(k, tau), arch.convs)
