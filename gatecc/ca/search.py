"""Hard-CA gate search: change single argmax gates of a trained CA where that makes the hard CA better.

The soft CA a training run leaves behind reaches its pattern through states
that are not 0/1; its argmax circuit can be a slower grower (docs/ca.md).
This search works on the hard circuit itself: for each neuron in the live
cone of the next state (the neurons whose value the outputs depend on), it
tries the other 15 gates and keeps a change when the hard CA gets fewer
channel-0 cells wrong after T steps on a set of random training starts
(first improvement, neurons in a seeded random order, sweeps until one
changes nothing or the budget runs out).  The soft model is not used.

Boards are evaluated bit-packed in numpy: every neuron's value for all cells
of all boards as uint64 words, each gate the select of its truth table
(taken from gatecc's gate coefficients, :func:`gatecc.ir.gates.relaxation_coefficients`),
so a candidate costs one run of T steps on the training boards.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from ..model import Layer
from .model import CENTRE, PATCH, CAModel, KernelLayer


def truth_tables() -> np.ndarray:
    """(16, 4) uint8: gate g's output for (a, b) = (0,0), (0,1), (1,0), (1,1), from gatecc's gate coefficients."""
    from ..ir.gates import relaxation_coefficients

    c = np.asarray(relaxation_coefficients(), dtype=np.float64)                  # (16, 4) over (1, a, b, ab)
    ab = np.array([[1, 0, 0, 0], [1, 0, 1, 0], [1, 1, 0, 0], [1, 1, 1, 1]], dtype=np.float64)
    return np.rint(c @ ab.T).astype(np.uint8)


_ONES = np.uint64(0xFFFFFFFFFFFFFFFF)


def _masks(gates: np.ndarray, tables: np.ndarray) -> list[np.ndarray]:
    """Per neuron its algebraic normal form g(a, b) = c0 ^ ca.a ^ cb.b ^ cab.ab as all-ones/zero words, shaped
    like ``gates`` + (1,): four words (c0, ca, cb, cab)."""
    t = tables[gates.astype(np.int64)].astype(bool)                  # (..., 4): (0,0), (0,1), (1,0), (1,1)
    anf = [t[..., 0], t[..., 0] ^ t[..., 2], t[..., 0] ^ t[..., 1], t[..., 0] ^ t[..., 1] ^ t[..., 2] ^ t[..., 3]]
    return [np.where(c[..., None], _ONES, np.uint64(0)) for c in anf]


def _apply(masks, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    c0, ca, cb, cab = masks
    r = a & ca
    r ^= c0
    t = b & cb
    r ^= t
    np.bitwise_and(a, b, out=t)
    t &= cab
    r ^= t
    return r


class PackedCA:
    """The hard CA of ``model`` on a batch of (B, H, W, C) boards, all cells bit-packed (B*H*W % 64 == 0)."""

    def __init__(self, model: CAModel):
        self.model = model
        self.tables = truth_tables()
        self.perceive = [(np.asarray(l.a), np.asarray(l.b), l.gate_ids().copy()) for l in model.perceive]
        self.update = [(np.asarray(l.a), np.asarray(l.b), l.gate_ids().copy()) for l in model.update]
        self.refresh()

    def refresh(self) -> None:
        """Recompute the gate masks (after changing a gate in ``perceive``/``update``)."""
        self._pm = [_masks(g[:, :, None], self.tables) for _, _, g in self.perceive]   # (K, n, 1, 1)
        self._um = [_masks(g, self.tables) for _, _, g in self.update]                 # (n, 1)

    def _patches(self, boards: np.ndarray) -> np.ndarray:
        """(9, C, words): each window position's bits of every cell."""
        bsz, h, w, c = boards.shape
        if self.model.periodic:
            shifted = [np.roll(boards, (1 - dy, 1 - dx), axis=(1, 2)) for dy in range(3) for dx in range(3)]
        else:
            p = np.pad(boards, ((0, 0), (1, 1), (1, 1), (0, 0)))
            shifted = [p[:, dy:dy + h, dx:dx + w] for dy in range(3) for dx in range(3)]
        bits = np.stack(shifted).transpose(0, 4, 1, 2, 3).reshape(PATCH, c, -1)
        return np.packbits(bits, axis=-1, bitorder="little").view(np.uint64)

    def step(self, boards: np.ndarray) -> np.ndarray:
        """One synchronous hard step of (B, H, W, C) uint8 boards."""
        bsz, h, w, c = boards.shape
        x = self._patches(boards)                                    # (9, C, n)
        hk = x[:, None]                                              # (9, 1, C, n): kernels share the patch
        for (a, b, _), m in zip(self.perceive, self._pm):
            masks = [mm.transpose(1, 0, 2, 3) for mm in m]           # (n_i, K, 1, 1)
            hk = _apply(masks, hk[a], hk[b])
        s, k = hk.shape[0], hk.shape[1]
        feats = hk.transpose(2, 0, 1, 3).reshape(c * s * k, -1)      # 'k c s -> (c s k)'
        hu = np.concatenate([x[CENTRE], feats], axis=0)
        for (a, b, _), m in zip(self.update, self._um):
            hu = _apply(m, hu[a], hu[b])
        bits = np.unpackbits(hu.view(np.uint8), axis=-1, bitorder="little")   # (C, B*H*W)
        return bits.reshape(c, bsz, h, w).transpose(1, 2, 3, 0)

    def run(self, boards: np.ndarray, steps: int) -> np.ndarray:
        """``steps`` synchronous hard steps."""
        for _ in range(steps):
            boards = self.step(boards)
        return boards

    def live(self) -> list[tuple[str, int, int, int]]:
        """The neurons the next state depends on: ("update", layer, neuron, 0) and ("perceive", layer, neuron, kernel)."""
        t = self.tables
        uses_a = (t[:, 2] != t[:, 0]) | (t[:, 3] != t[:, 1])
        uses_b = (t[:, 1] != t[:, 0]) | (t[:, 3] != t[:, 2])
        out, need = [], np.ones(len(self.update[-1][2]), dtype=bool)
        for li in range(len(self.update) - 1, -1, -1):
            a, b, g = self.update[li]
            rows = (len(self.update[li - 1][2]) if li else self.model.n_features)
            prev = np.zeros(rows, dtype=bool)
            for n in np.flatnonzero(need):
                out.append(("update", li, int(n), 0))
                prev[a[n]] |= bool(uses_a[g[n]])
                prev[b[n]] |= bool(uses_b[g[n]])
            need = prev
        # Features: C centre bits, then (c s k): output s of kernel k on channel c.
        c_n, s_n, k_n = self.model.channels, len(self.perceive[-1][2][0]), self.model.n_kernels
        per = need[c_n:].reshape(c_n, s_n, k_n).any(axis=0)         # (S, K): any channel reads it
        for li in range(len(self.perceive) - 1, -1, -1):
            a, b, g = self.perceive[li]
            prev = np.zeros((len(self.perceive[li - 1][2][0]) if li else PATCH, k_n), dtype=bool)
            for n, k in zip(*np.nonzero(per)):
                out.append(("perceive", li, int(n), int(k)))
                prev[a[n], k] |= bool(uses_a[g[k, n]])
                prev[b[n], k] |= bool(uses_b[g[k, n]])
            per = prev
        return out

    def gate(self, where) -> int:
        """The gate id of neuron ``where`` (an entry of :meth:`live`)."""
        kind, li, n, k = where
        return int(self.update[li][2][n] if kind == "update" else self.perceive[li][2][k, n])

    def set_gate(self, where, gate: int) -> None:
        """Set neuron ``where``'s gate and refresh its layer's masks."""
        kind, li, n, k = where
        if kind == "update":
            self.update[li][2][n] = gate
            self._um[li] = _masks(self.update[li][2], self.tables)
        else:
            self.perceive[li][2][k, n] = gate
            self._pm[li] = _masks(self.perceive[li][2][:, :, None], self.tables)

    def to_model(self) -> CAModel:
        """The CA with the current gates (hard)."""
        m = self.model
        return CAModel(m.channels, [KernelLayer(a, b, gates=g.copy()) for a, b, g in self.perceive],
                       [Layer(a, b, gates=g.copy()) for a, b, g in self.update], m.periodic, dict(m.meta))


def _chunks(starts: np.ndarray, cells: int = 1024) -> list[np.ndarray]:
    """The boards in groups of about ``cells`` cells, each a whole number of 64-cell words."""
    per = max(1, cells // (starts.shape[1] * starts.shape[2]))
    while (per * starts.shape[1] * starts.shape[2]) % 64:
        per += 1
    return [starts[i:i + per] for i in range(0, len(starts), per)]


@dataclass
class SearchResult:
    """The searched CA, its training-set wrong cells before and after, the accepted changes."""

    model: CAModel
    wrong_before: int
    wrong: int
    changes: list[dict] = field(default_factory=list)
    seconds: float = 0.0


def gate_search(model: CAModel, starts: np.ndarray, target: np.ndarray, steps: int, seed: int = 0,
                sweeps: int = 3, seconds: float | None = None, log=None) -> SearchResult:
    """Search single-gate changes of ``model``'s hard CA that lower its channel-0 error (see the module doc).

    ``starts`` (B, H, W, C) uint8 training boards, ``target`` (H, W) channel 0
    after ``steps`` steps; ``seconds`` bounds the run (checked between
    candidates); ``log`` is called with each accepted change.
    """
    ca = PackedCA(model.hardened())
    starts = np.ascontiguousarray(starts, dtype=np.uint8)

    chunks = _chunks(starts)
    if any(c.shape[0] * c.shape[1] * c.shape[2] % 64 for c in chunks):
        raise ValueError("the training boards do not group into whole 64-cell words (they are bit-packed)")

    def wrong(limit=None) -> int:
        # Board chunks one after another, stopping once the count reaches ``limit``: most candidate gates
        # wreck the pattern, and the first chunk shows it.
        total = 0
        for chunk in chunks:
            total += int((ca.run(chunk, steps)[..., 0] != target).sum())
            if limit is not None and total >= limit:
                break
        return total

    rng = np.random.default_rng(seed)
    began, best = time.perf_counter(), wrong()
    result = SearchResult(model, best, best)
    for sweep in range(sweeps):
        changed = False
        order = ca.live()
        for i in rng.permutation(len(order)):
            where = order[i]
            old = ca.gate(where)
            for g in rng.permutation(16):
                if g == old:
                    continue
                ca.set_gate(where, int(g))
                w = wrong(best)
                if w < best:
                    best, old, changed = w, int(g), True
                    result.changes.append({"sweep": sweep, "where": where, "gate": int(g), "wrong": w,
                                           "seconds": time.perf_counter() - began})
                    if log is not None:
                        log(result.changes[-1])
                    if best == 0:
                        break
            ca.set_gate(where, old)
            if best == 0 or (seconds is not None and time.perf_counter() - began > seconds):
                break
        if best == 0 or not changed or (seconds is not None and time.perf_counter() - began > seconds):
            break
    result.model, result.wrong, result.seconds = ca.to_model(), best, time.perf_counter() - began
    return result
