"""The reference evaluator of spatial programs: the one definition of what a program computes.

Built on :func:`gatecc.ir.evaluate.evaluate_samples`: a conv kernel graph is
evaluated once over all (sample, output position) pairs, each pair one row of
its inputs, gathered from the source map at the window's offsets.  Every
backend, ``unroll`` and the soft model are tested against this.
"""

from __future__ import annotations

import itertools

import numpy as np

from ...errors import InputError
from ..evaluate import evaluate_samples
from .program import Program
from .verify import verify_program

#: Rows (sample x position pairs) gathered at once for one conv stage (bounds the gather's memory).
_CHUNK_ROWS = 1 << 20


def flat_rows(shape, x, what: str = "inputs") -> np.ndarray:
    """``x`` as (batch, shape.size) rows: a (batch, C, *spatial) array is flattened channel-major.

    Any other shape is one :class:`~gatecc.errors.InputError` naming both accepted shapes.
    """
    x = np.asarray(x)
    dims = (shape.channels, *shape.spatial)
    if x.ndim == 1 + len(dims) and tuple(x.shape[1:]) == dims:
        x = x.reshape(x.shape[0], -1)
    if x.ndim != 2 or x.shape[1] != shape.size:
        raise InputError(f"expected {what} of shape (batch, {shape.size}) or (batch, "
                         f"{', '.join(map(str, dims))}), got {x.shape}")
    return x


def check_bits(program: Program, x) -> np.ndarray:
    """``x`` as a (batch, n_inputs) uint8 0/1 array; (batch, C, *spatial) is accepted too.

    Raises :class:`~gatecc.errors.InputError` for another shape, a non-numeric
    dtype or a value other than 0 and 1.
    """
    x = flat_rows(program.input, x, "input bits")
    if x.dtype != bool and not np.issubdtype(x.dtype, np.number):
        raise InputError(f"expected 0/1 input bits, got dtype {x.dtype}")
    if x.size and not np.isin(x, (0, 1)).all():
        raise InputError("input bits must be 0 or 1 (found another value)")
    return x.astype(np.uint8)


def evaluate_program(program: Program, x) -> np.ndarray:
    """Evaluate ``program`` on input bits ``x`` (batch, n_inputs), channel-major.

    Returns what :func:`~gatecc.ir.evaluate.evaluate_samples` returns for the
    last stage's graph when that stage is dense ((batch, outputs) int64, counts
    included); for a map-valued last stage, its (batch, map.size) uint8 bits
    in channel-major order.
    """
    verify_program(program)
    x = check_bits(program, x)
    batch = x.shape[0]
    shapes = program.shapes()
    values = [x.reshape(batch, shapes[0].channels, *shapes[0].spatial)]
    last = None
    for st, shape in zip(program.stages, shapes[1:]):
        src = values[st.src]
        if st.kind == "conv":
            out = _conv(st, src, shape)
        elif st.kind == "orpool":
            out = _orpool(st, src, shape)
        elif st.kind == "flatten":
            out = src.reshape(batch, -1)
        elif st.kind == "or":
            out = src | values[st.other]
        else:
            last = evaluate_samples(st.graph, src.reshape(batch, -1))
            out = last.astype(np.uint8) if "count" not in st.graph.output_kinds() else None
        values.append(out)
    if program.stages[-1].kind == "dense":
        return last
    return np.ascontiguousarray(values[-1].reshape(batch, -1), dtype=np.uint8)


def window_indices(n: int, out: int, stride: int, padding: int, offset: int, torus: bool):
    """Input coordinates read along one axis by each output position at one window offset, and a validity mask."""
    idx = np.arange(out) * stride - padding + offset
    if torus:
        return idx % n, np.ones(out, dtype=bool)
    valid = (idx >= 0) & (idx < n)
    return np.where(valid, idx, 0), valid


def _gather(src: np.ndarray, entry, st, out_spatial, torus: bool) -> np.ndarray:
    """src[:, dc, p*stride - padding + d] for every output position p: (batch, *out_spatial), zeros outside."""
    dc, offs = entry[0], entry[1:]
    axes = [window_indices(n, o, s, p, d, torus)
            for n, o, s, p, d in zip(src.shape[2:], out_spatial, st.stride, st.padding, offs)]
    grid = np.ix_(*(ix for ix, _ in axes))
    vals = src[:, dc][(slice(None), *grid)]
    mask = np.ones(out_spatial, dtype=bool)
    for axis, (_, valid) in enumerate(axes):
        shape = [1] * len(out_spatial)
        shape[axis] = -1
        mask = mask & valid.reshape(shape)
    return vals * mask


def _conv(st, src: np.ndarray, shape) -> np.ndarray:
    batch = src.shape[0]
    torus = st.boundary == "torus"
    positions = int(np.prod(shape.spatial))
    # Rows are (sample, position) pairs: one kernel evaluation each.
    cols = np.stack([_gather(src, e, st, shape.spatial, torus).reshape(batch * positions)
                     for e in st.window], axis=1) if st.window else np.zeros((batch * positions, 0), np.uint8)
    parts = [evaluate_samples(st.kernel, cols[s:s + _CHUNK_ROWS]) for s in range(0, len(cols), _CHUNK_ROWS)]
    res = np.concatenate(parts) if parts else np.zeros((0, shape.channels), np.int64)
    res = res.reshape(batch, *shape.spatial, shape.channels).astype(np.uint8)
    return np.moveaxis(res, -1, 1)


def _orpool(st, src: np.ndarray, shape) -> np.ndarray:
    batch, channels = src.shape[:2]
    pad = [(0, 0), (0, 0)] + [(p, p) for p in st.padding]
    padded = np.pad(src, pad)  # padded cells read 0, the identity of OR
    out = np.zeros((batch, channels, *shape.spatial), dtype=np.uint8)
    for offs in itertools.product(*(range(k) for k in st.size)):
        sl = tuple(slice(d, d + (o - 1) * s + 1, s) for d, o, s in zip(offs, shape.spatial, st.stride))
        out |= padded[(slice(None), slice(None), *sl)]
    return out
