"""Batch inference on Dask: map a Dask array's or dataframe's partitions through a compiled net.

::

    import dask.array as da
    import gatecc.dask

    x = da.from_zarr("rows.zarr")                       # (n, n_inputs) 0/1, chunked by rows
    classes = gatecc.dask.predict(x, "model.npz")       # (n,) int32, lazy
    classes.compute()

Each worker process compiles the model once (kept in memory for later
partitions) and through the on-disk cache (:mod:`gatecc.cache`), so a
worker that restarts, or a second worker on the same machine, reads the
optimised code back instead of optimising again.  docs/dask.md shows a real
cluster.  Needs the ``dask`` extra (``pip install gatecc[dask]``).
"""

from __future__ import annotations

import os
import threading

import numpy as np

from .errors import InputError, ModelError

#: (model token, target, level, head, options) -> CompiledNet, per process.
_COMPILED: dict = {}
_LOCK = threading.Lock()
_BUILDS = 0


def builds() -> int:
    """How many nets this process has compiled for :func:`predict` (each key once)."""
    return _BUILDS


def _token(model) -> str:
    """A key that names the model's content: a file's path, size and time, or the object's hash."""
    if isinstance(model, (str, os.PathLike)):
        path = os.path.abspath(os.fspath(model))
        try:
            st = os.stat(path)
        except OSError as exc:
            raise ModelError(f"{model}: cannot read ({exc.strerror or exc})") from None
        return f"file:{path}:{st.st_size}:{st.st_mtime_ns}"
    from dask.base import tokenize

    return f"object:{tokenize(model)}"


def compiled(model, token: str, target, opt_level: int, head, options: dict):
    """The CompiledNet for this key in this process, built on first use."""
    global _BUILDS
    key = (token, target, opt_level, head, tuple(sorted(options.items())))
    with _LOCK:
        net = _COMPILED.get(key)
        if net is None:
            from .compiler import compile as compile_net

            net = compile_net(model, target=target, opt_level=opt_level, head=head, **options)
            _COMPILED[key] = net
            _BUILDS += 1
    return net


def _run(block: np.ndarray, model, token, target, opt_level, head, options, classes: bool) -> np.ndarray:
    net = compiled(model, token, target, opt_level, head, options)
    block = np.asarray(block)
    return net.predict(block) if classes else net(block)


def predict(data, model, head: str | None = "argmax", target: str | None = None, opt_level: int = 2,
            columns=None, **options):
    """Lazily evaluate ``model`` on every row of ``data`` (a Dask array or dataframe).

    ``data``: a 2-D Dask array ``(n, n_inputs)`` of bools or 0/1 numbers
    (chunked by rows; column chunks are merged), or a Dask dataframe whose
    columns (or ``columns``) are the inputs in order.  ``model``: a path
    (each worker reads it, so it must be readable there) or a LogicNet/Graph
    (shipped inside the task graph).  ``head``: "argmax" (default; for a net
    without GroupSum pass None), "threshold:T", "counts" or None (the
    model's own outputs).  ``target``, ``opt_level`` and ``options`` are
    those of :func:`gatecc.compile`.

    Returns a Dask array: (n,) int32 classes for "argmax", else (n, outputs);
    for a dataframe, a Series named "class" (argmax) or a DataFrame with
    columns out0, out1, ...  The model is compiled here first, so a bad
    model or head fails at once rather than on a worker.
    """
    try:
        import dask.array as da
    except ImportError:
        raise ModelError("gatecc.dask needs dask: pip install 'gatecc[dask]'") from None
    from .backends import default_target

    token = _token(model)
    target = target or default_target()     # workers build exactly what is checked here
    net = compiled(model, token, target, opt_level, head, options)
    classes = head == "argmax"
    n_out = net.n_outputs
    dtype = np.int32 if classes or any(k == "count" for k, _, _ in net.layout.outputs) else np.uint8
    args = (model, token, target, opt_level, head, options, classes)
    if isinstance(data, da.Array):
        if data.ndim != 2 or data.shape[1] != net.n_inputs:
            raise InputError(f"expected a Dask array of shape (n, {net.n_inputs}), got {data.shape}")
        data = data.rechunk({1: -1})
        if classes:
            return data.map_blocks(_run, *args, drop_axis=1, dtype=np.int32, meta=np.zeros(0, np.int32))
        return data.map_blocks(_run, *args, chunks=(data.chunks[0], (n_out,)), dtype=dtype,
                               meta=np.zeros((0, n_out), dtype))
    return _predict_frame(data, net, columns, args, dtype, n_out)


def _predict_frame(df, net, columns, args, dtype, n_out):
    """The dataframe case of :func:`predict`."""
    try:
        import dask.dataframe as dd
        import pandas as pd
    except ImportError:
        raise ModelError("gatecc.dask needs dask[dataframe]: pip install 'gatecc[dask]'") from None
    if not isinstance(df, dd.DataFrame):
        raise InputError(f"expected a Dask array or dataframe, not a {type(df).__name__}")
    cols = list(df.columns if columns is None else columns)
    missing = [c for c in cols if c not in df.columns]
    if missing:
        raise InputError(f"column {missing[0]!r} is not in the dataframe")
    if len(cols) != net.n_inputs:
        raise InputError(f"the model has {net.n_inputs} inputs but {len(cols)} columns were given")
    classes = args[-1]

    def part(frame):
        y = _run(frame[cols].to_numpy(), *args)
        if classes:
            return pd.Series(y, index=frame.index, name="class")
        return pd.DataFrame(y, index=frame.index, columns=[f"out{k}" for k in range(n_out)])

    if classes:
        meta = pd.Series(np.zeros(0, np.int32), name="class")
    else:
        meta = pd.DataFrame({f"out{k}": np.zeros(0, dtype) for k in range(n_out)})
    return df.map_partitions(part, meta=meta)
