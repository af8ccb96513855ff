"""The on-disk cache: built libraries and lowered nets, so compiling a net twice is instant.

Everything lives in ``$GATECC_CACHE_DIR``, else ``$XDG_CACHE_HOME/gatecc``,
else ``~/.cache/gatecc``, and may be deleted at any time.  Entries are
written under a temporary name and renamed, so concurrent compiles are safe.

A *lowered* entry holds what ``gatecc.compile`` computes before the build:
the optimised, legal graph, the generated source and the pass statistics.
Its key hashes the input graph, the target, the -O level, the target's
options, this machine's CPU and the source code of gatecc itself, so a
changed pass, backend or CPU never reads a stale entry.
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import json
import os
import platform
import tempfile
from functools import cache
from pathlib import Path

import numpy as np

from .ir.graph import Graph

#: Options that change how a net is built or run but not its source (not part of the key).
RUN_ONLY_OPTIONS = frozenset({"threads", "cflags", "codegen"})


def cache_dir() -> Path:
    """Where cached builds and lowered nets are kept."""
    if os.environ.get("GATECC_CACHE_DIR"):
        return Path(os.environ["GATECC_CACHE_DIR"])
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "gatecc"


@cache
def code_fingerprint() -> str:
    """A hash of gatecc's own source files (Python and the C runtime)."""
    from . import backends, ir

    digest = hashlib.sha256()
    for package in (Path(__file__).parent, Path(ir.__file__).parent, Path(backends.__file__).parent):
        for path in sorted(package.rglob("*")):
            if path.suffix in (".py", ".c") and path.is_file():
                digest.update(path.name.encode())
                digest.update(path.read_bytes())
    return digest.hexdigest()


@cache
def host_fingerprint() -> str:
    """The machine and its CPU features (generated code may depend on them)."""
    from .backends.native import cpu_flags

    return f"{platform.machine()} {' '.join(sorted(cpu_flags()))}"


def graph_digest(graph: Graph) -> str:
    """A hash of everything that defines ``graph``."""
    digest = hashlib.sha256(f"{graph.n_inputs}:{graph.n_nodes}".encode())
    for array, dtype in ((graph.op, np.uint8), (graph.arg, np.int32), (graph.a, np.int64), (graph.b, np.int64)):
        digest.update(np.ascontiguousarray(array, dtype=dtype).tobytes())
    digest.update(repr(sorted(graph.operands.items())).encode())
    if graph.luts:
        digest.update(repr(sorted(graph.luts.items())).encode())
    digest.update(repr(list(graph.outputs)).encode())
    if graph.input_names is not None or graph.output_names is not None:   # exports write the names
        digest.update(repr((graph.input_names, graph.output_names)).encode())
    return digest.hexdigest()


def lowered_key(graph: Graph, target: str, opt_level: int | str, options: dict) -> str:
    """The cache key of lowering ``graph`` for ``target`` at ``opt_level`` with ``options``."""
    source_options = {k: v for k, v in options.items() if k not in RUN_ONLY_OPTIONS}
    parts = [code_fingerprint(), host_fingerprint(), graph_digest(graph), target, str(opt_level),
             repr(sorted(source_options.items()))]
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()[:32]


def _path(key: str) -> Path:
    return cache_dir() / f"lowered-{key}.npz"


def load_lowered(key: str):
    """(graph, source, pass stats) stored under ``key``, or None (also for an unreadable entry)."""
    from .ir.passes import PassStats

    try:
        with np.load(_path(key), allow_pickle=False) as data:
            graph = Graph(
                n_inputs=int(data["n_inputs"]), op=data["op"], arg=data["arg"], a=data["a"], b=data["b"],
                operands={int(k): tuple(v) for k, v in json.loads(str(data["operands"])).items()},
                outputs=[int(o) for o in data["outputs"]],
            ).with_names(*json.loads(str(data["names"])))
            source = data["source"].tobytes() if data["binary"] else data["source"].tobytes().decode()
            stats = [PassStats(**s) for s in json.loads(str(data["passes"]))]
        return graph, source, stats
    except (OSError, KeyError, ValueError, TypeError):
        return None


def store_lowered(key: str, graph: Graph, source: str | bytes, stats) -> None:
    """Keep a lowering under ``key`` (best effort: a cache that cannot be written is skipped)."""
    binary = isinstance(source, bytes)
    buf = io.BytesIO()
    try:
        np.savez(buf, n_inputs=graph.n_inputs, op=graph.op, arg=graph.arg, a=graph.a, b=graph.b,
                 operands=json.dumps({str(k): list(v) for k, v in graph.operands.items()}),
                 outputs=np.asarray(graph.outputs, dtype=np.int64),
                 names=json.dumps([graph.input_names, graph.output_names]),
                 source=np.frombuffer(source if binary else source.encode(), dtype=np.uint8), binary=binary,
                 passes=json.dumps([dataclasses.asdict(s) for s in stats]))
    except (TypeError, ValueError):   # pass details that JSON cannot hold: do not cache
        return
    try:
        directory = cache_dir()
        directory.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=directory, prefix=".lowered-", delete=False) as tmp:
            tmp.write(buf.getvalue())
        os.replace(tmp.name, _path(key))
    except OSError:
        pass
