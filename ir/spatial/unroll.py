"""Lower a spatial program to one flat gate graph (for exports, ``gatecc verify``, and to test the loop form against).

The flat graph has the program's inputs (channel-major bits) and outputs:
the last dense stage's outputs, or the last map's bits in channel-major
order.  Each conv kernel is copied once per output position (vectorised over
positions: the node arrays are built with numpy, not node by node), an OR
pool becomes a chain of OR gates per window, an ``or`` stage one OR gate per
bit, and ``flatten`` costs nothing.  Reads outside a zero-boundary map are one
shared constant-0 node.  With ``simplify`` (the default) the result is
rebuilt once through the :class:`~gatecc.ir.builder.Builder` rules, which
fold those constants away and merge equal nodes; without it the copy is raw
(what ``-O0`` means).
"""

from __future__ import annotations

import itertools

import numpy as np

from .. import gates as G
from ..builder import Builder, rebuild
from ..graph import NARY_OPS, Graph, Op
from ..verify import verify
from .evaluate import window_indices
from .program import Program
from .verify import verify_program


class _Arrays:
    """The flat graph under construction: node arrays appended in blocks."""

    def __init__(self, n_inputs: int):
        self.n = n_inputs
        self.blocks = [(np.full(n_inputs, Op.INPUT, np.uint8), np.arange(n_inputs, dtype=np.int32),
                        np.full(n_inputs, -1, np.int64), np.full(n_inputs, -1, np.int64))]
        self.operands: dict[int, tuple[int, ...]] = {}
        self.luts: dict[int, int] = {}
        self._zero = -1

    def append(self, op, arg, a, b) -> int:
        """Append a block of nodes; returns the id of its first node."""
        base = self.n
        self.blocks.append((np.asarray(op, np.uint8), np.asarray(arg, np.int32),
                            np.asarray(a, np.int64), np.asarray(b, np.int64)))
        self.n += len(self.blocks[-1][0])
        return base

    def zero(self) -> int:
        """The one constant-0 node (built on first use)."""
        if self._zero < 0:
            self._zero = self.append([Op.CONST], [0], [-1], [-1])
        return self._zero

    def or_rows(self, ids: np.ndarray) -> np.ndarray:
        """OR of each row of ``ids`` (rows, k): a chain of k - 1 OR gates per row; -1 entries are 0 and skipped."""
        acc = ids[:, 0].copy()
        for j in range(1, ids.shape[1]):
            col = ids[:, j]
            both = (acc >= 0) & (col >= 0)
            new = np.full(len(acc), -1, np.int64)
            if both.any():
                cnt = int(both.sum())
                base = self.append(np.full(cnt, Op.GATE), np.full(cnt, G.OR), acc[both], col[both])
                new[both] = base + np.arange(cnt)
            new[~both] = np.where(acc[~both] >= 0, acc[~both], col[~both])
            acc = new
        if (acc < 0).any():
            acc = np.where(acc >= 0, acc, self.zero())
        return acc

    def copy_graph(self, graph: Graph, inputs: np.ndarray) -> np.ndarray:
        """Copy ``graph`` once per row of ``inputs`` (copies, graph.n_inputs) node ids; returns (copies, outputs) ids."""
        copies = inputs.shape[0]
        k_in, m = graph.n_inputs, graph.n_nodes - graph.n_inputs
        base = self.n

        def mapped(f):  # fanin ids of the template -> ids in every copy (copies, len(f))
            f = np.asarray(f, np.int64)
            internal = base + np.arange(copies, dtype=np.int64)[:, None] * m + (f - k_in)[None, :]
            ext = inputs[:, np.clip(f, 0, max(k_in - 1, 0))] if k_in else np.zeros_like(internal)
            res = np.where(f[None, :] < k_in, ext, internal)
            return np.where(f[None, :] < 0, -1, res)

        if m:
            body = slice(k_in, None)
            self.append(np.tile(graph.op[body], copies), np.tile(graph.arg[body], copies),
                        mapped(graph.a[body]).reshape(-1), mapped(graph.b[body]).reshape(-1))
            for node in sorted(int(i) for i in np.flatnonzero(np.isin(graph.op, [int(o) for o in NARY_OPS]))):
                ops = mapped(graph.operands[node])
                for c in range(copies):
                    new = base + c * m + node - k_in
                    self.operands[new] = tuple(int(v) for v in ops[c])
                    if node in graph.luts:
                        self.luts[new] = graph.luts[node]
        return mapped(graph.outputs) if graph.outputs else np.zeros((copies, 0), np.int64)

    def finish(self, outputs) -> Graph:
        """The graph built so far, with these output node ids."""
        op, arg, a, b = (np.concatenate(col) for col in zip(*self.blocks))
        return Graph(self.n_inputs, op, arg, a, b, self.operands, [int(o) for o in outputs], self.luts)

    @property
    def n_inputs(self) -> int:
        """The input count (the first block)."""
        return len(self.blocks[0][0])


def _conv_inputs(st, ids: np.ndarray, out_spatial, arrays: _Arrays) -> np.ndarray:
    """(positions, window) node ids each kernel copy reads; -1 (outside a zero map) becomes the constant 0."""
    torus = st.boundary == "torus"
    cols = []
    for entry in st.window:
        axes = [window_indices(n, o, s, p, d, torus)
                for n, o, s, p, d in zip(ids.shape[1:], out_spatial, st.stride, st.padding, entry[1:])]
        vals = ids[entry[0]][np.ix_(*(ix for ix, _ in axes))]
        mask = np.ones(out_spatial, dtype=bool)
        for axis, (_, valid) in enumerate(axes):
            shape = [1] * len(out_spatial)
            shape[axis] = -1
            mask = mask & valid.reshape(shape)
        if not mask.all():
            vals = np.where(mask, vals, arrays.zero())
        cols.append(vals.reshape(-1))
    positions = int(np.prod(out_spatial))
    return np.stack(cols, axis=1) if cols else np.zeros((positions, 0), np.int64)


def _pool(st, ids: np.ndarray, out_spatial, arrays: _Arrays) -> np.ndarray:
    """OR over each window: -1 marks padding (skipped)."""
    pad = [(0, 0)] + [(p, p) for p in st.padding]
    padded = np.pad(ids, pad, constant_values=-1)
    cols = []
    for offs in itertools.product(*(range(k) for k in st.size)):
        sl = tuple(slice(d, d + (o - 1) * s + 1, s) for d, o, s in zip(offs, out_spatial, st.stride))
        cols.append(padded[(slice(None), *sl)].reshape(-1))
    return arrays.or_rows(np.stack(cols, axis=1)).reshape(ids.shape[0], *out_spatial)


def unroll(program: Program, *, simplify: bool = True) -> Graph:
    """One flat :class:`Graph` computing what ``program`` computes, same inputs and outputs in the same order."""
    verify_program(program)
    shapes = program.shapes()
    arrays = _Arrays(program.n_inputs)
    values = [np.arange(program.n_inputs, dtype=np.int64).reshape(shapes[0].channels, *shapes[0].spatial)]
    out_names = None
    for st, shape in zip(program.stages, shapes[1:]):
        src = values[st.src]
        if st.kind == "conv":
            outs = arrays.copy_graph(st.kernel, _conv_inputs(st, src, shape.spatial, arrays))
            val = outs.T.reshape(shape.channels, *shape.spatial)
        elif st.kind == "orpool":
            val = _pool(st, src, shape.spatial, arrays)
        elif st.kind == "flatten":
            val = src.reshape(-1)
        elif st.kind == "or":
            val = arrays.or_rows(np.stack([src.reshape(-1), values[st.other].reshape(-1)], axis=1)).reshape(src.shape)
        else:
            val = arrays.copy_graph(st.graph, src.reshape(1, -1))[0]
            out_names = st.graph.output_names
        values.append(val)
    if program.stages[-1].kind != "dense":
        out_names = None
    graph = arrays.finish(values[-1].reshape(-1))
    if simplify:
        graph = rebuild(graph, Builder(graph.n_inputs), live_only=True)
    return verify(graph.with_names(program.input_names, out_names))
