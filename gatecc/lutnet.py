"""LutNet: a logic network whose neurons are k-input lookup tables (torchlogix ``warp`` / ``light`` / LUT-4, -6).

A :class:`LutLayer` keeps what the peer trained: each neuron's ``k`` input
wires (``wires[n, j]``, connection ``j`` of neuron ``n``), its ``(n, 2**k)``
weights and their parametrization; row ``r`` of a neuron's table sets
connection ``j`` to bit ``k-1-j`` of ``r`` (the first connection is the most
significant bit, torchlogix's order).

* ``light``: basis function ``r`` is the indicator of row ``r``.  Soft: the
  output is ``sum_r sigmoid(w_r / t) * [x = row r]`` (the indicator as a product
  of ``x_j`` and ``1 - x_j``); hard: row ``r`` gives ``w_r > 0``.
* ``warp`` (Walsh): with ``X_j = 1 - 2 x_j``, basis function ``q`` is the
  product of the ``X_j`` over the bits of ``q``; ``s = sum_q w_q basis_q``.
  Soft: ``sigmoid(-s / t)``; hard: 1 iff ``s < 0`` (exactly 0 gives 0), with
  ``s`` summed in float32 in basis order, as torchlogix's eval mode sums it.
* ``raw`` (2 inputs only): ``(n, 16)`` gate logits, argmax (ties to the lowest id).

:meth:`LutNet.to_graph` lowers each neuron to one ``lut`` IR node; the
compiler takes a LutNet wherever it takes a LogicNet.  ``t`` is the
parametrization's temperature.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .errors import InputError
from .ir import gates as G
from .model import GroupSum

PARAMETRIZATIONS = ("warp", "light", "raw")


def _rows(k: int) -> np.ndarray:
    """(2**k, k) 0/1: row r's value of connection j (connection 0 is the most significant bit)."""
    r = np.arange(1 << k)[:, None]
    return ((r >> np.arange(k - 1, -1, -1)[None, :]) & 1).astype(np.int64)


def walsh_signs(k: int) -> np.ndarray:
    """(2**k basis q, 2**k rows r) of +-1: basis function q on row r, (-1)^popcount(q & r)."""
    q, r = np.arange(1 << k)[:, None], np.arange(1 << k)[None, :]
    parity = np.vectorize(lambda v: bin(int(v)).count("1") & 1)(q & r)
    return (1 - 2 * parity).astype(np.float32)


@dataclass(frozen=True, eq=False)
class LutLayer:
    """One layer of k-input neurons (see the module docstring)."""

    wires: np.ndarray            # (n, k) int64
    weight: np.ndarray           # (n, 2**k) float32 (raw: (n, 16) logits)
    parametrization: str
    temperature: float = 1.0

    @property
    def width(self) -> int:
        """Number of neurons."""
        return int(self.wires.shape[0])

    @property
    def k(self) -> int:
        """Inputs per neuron."""
        return int(self.wires.shape[1])

    def rows(self) -> np.ndarray:
        """(n, 2**k) 0/1: each neuron's output on each row, as the peer's eval mode computes it."""
        w = self.weight.astype(np.float32)
        if self.parametrization == "light":
            return (w > 0).astype(np.uint8)
        if self.parametrization == "raw":
            ids = np.argmax(w, axis=1)
            return np.array([[G.truth(int(g), int(r >> 1), int(r & 1)) for r in range(4)] for g in ids],
                            dtype=np.uint8).reshape(-1, 4)
        signs = walsh_signs(self.k)
        s = np.zeros((self.width, 1 << self.k), dtype=np.float32)
        for q in range(1 << self.k):       # left to right in float32, like the peer's sum of terms
            s = s + w[:, q : q + 1] * signs[q][None, :]
        return (s < 0).astype(np.uint8)

    def tables(self) -> list[int]:
        """Each neuron's ``lut`` table in the IR's order (operand j = connection k-1-j, so bit m is row m)."""
        weights = np.left_shift(np.ones(1, dtype=object), np.arange(1 << self.k)).astype(object)
        return [int(v) for v in (self.rows().astype(object) * weights).sum(axis=1)]

    def forward(self, x: np.ndarray, hard: bool) -> np.ndarray:
        """The layer on real-valued x (batch, m) -> (batch, n), soft or hard (see the module docstring)."""
        xs = x[:, self.wires].astype(np.float32)               # (batch, n, k)
        t = np.float32(self.temperature)
        if self.parametrization == "raw" and not hard:
            return self._soft_raw(xs)
        if self.parametrization == "raw" or (hard and self.parametrization == "light"):
            # Hard light/raw: the table, interpolated multilinearly (exact on 0/1 inputs).
            coef = self.rows().astype(np.float32)
            w = None
        elif self.parametrization == "light":
            coef, w = 1 / (1 + np.exp(-self.weight.astype(np.float32) / t)), None
        else:
            w = self.weight.astype(np.float32)
        rows = _rows(self.k)                                    # (2**k, k)
        if w is None:
            # sum over rows r of coef[n, r] * prod_j (x_j if bit else 1 - x_j)
            basis = np.prod(np.where(rows[None, None] == 1, xs[:, :, None, :], 1 - xs[:, :, None, :]), axis=-1)
            return (basis * coef[None]).sum(axis=-1).astype(np.float32)
        big_x = 1 - 2 * xs                                      # (batch, n, k)
        basis = np.prod(np.where(rows[None, None] == 1, big_x[:, :, None, :], np.float32(1)), axis=-1)
        s = np.zeros(xs.shape[:2], dtype=np.float32)
        for q in range(1 << self.k):
            s = s + w[None, :, q] * basis[:, :, q]
        if hard:
            return (s < 0).astype(np.float32)
        return (1 / (1 + np.exp(s / t))).astype(np.float32)

    def _soft_raw(self, xs: np.ndarray) -> np.ndarray:
        """A raw layer's softmax mixture of the 16 gates' relaxations (as :mod:`gatecc.soft` computes it)."""
        from .ir.gates import relaxation_coefficients

        w = self.weight.astype(np.float32)
        p = np.exp(w - w.max(axis=1, keepdims=True))
        c = (p / p.sum(axis=1, keepdims=True)) @ relaxation_coefficients()
        a, b = xs[:, :, 0], xs[:, :, 1]
        return (c[:, 0] + c[:, 1] * a + c[:, 2] * b + c[:, 3] * a * b).astype(np.float32)


@dataclass(eq=False)
class LutNet:
    """A network of :class:`LutLayer` s with an optional GroupSum head."""

    n_inputs: int
    layers: list[LutLayer]
    groupsum: GroupSum | None = None
    meta: dict[str, np.ndarray] = field(default_factory=dict)

    @property
    def widths(self) -> list[int]:
        """Neurons per layer."""
        return [layer.width for layer in self.layers]

    @property
    def n_outputs(self) -> int:
        """Output bits, or GroupSum groups."""
        return self.groupsum.k if self.groupsum is not None else self.layers[-1].width

    def to_graph(self):
        """The gate graph: one ``lut`` node per neuron, ``popcount`` per GroupSum group."""
        from .ir.builder import Builder
        from .lower import add_outputs

        bld = Builder.raw(self.n_inputs)
        prev = list(range(self.n_inputs))
        for layer in self.layers:
            wires = layer.wires.tolist()
            prev = [bld.lut(t, [prev[x] for x in reversed(w)]) for t, w in zip(layer.tables(), wires)]
        add_outputs(bld, prev, self.groupsum)
        return bld.finish()

    def soft_eval(self, x, hard: bool = False) -> np.ndarray:
        """The soft model (hard: the eval-mode network) on x (batch, n_inputs) in [0, 1]; float32."""
        x = np.asarray(x)
        if x.ndim != 2 or x.shape[1] != self.n_inputs:
            raise InputError(f"expected inputs of shape (batch, {self.n_inputs}), got {x.shape}")
        h = x.astype(np.float32)
        for layer in self.layers:
            h = layer.forward(h, hard)
        if self.groupsum is None:
            return h
        sums = h.reshape(h.shape[0], self.groupsum.k, -1).sum(axis=-1, dtype=np.float32)
        return sums / np.float32(self.groupsum.tau)
