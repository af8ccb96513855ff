"""Reading models: one loader per file kind, chosen by extension or by name.

Every loader returns a :class:`~gatecc.model.LogicNet` or a gate
:class:`~gatecc.ir.graph.Graph` and raises :class:`~gatecc.ModelError` with
one line naming any problem.
"""

from __future__ import annotations

import os
from pathlib import Path

from .errors import ModelError


def _load_npz(path: Path):
    from .model import load_npz

    return load_npz(path)


def _load_ir(path: Path):
    from .ir.text import parse_graph
    from .ir.verify import IRError

    try:
        text = path.read_text()
    except FileNotFoundError:
        raise ModelError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ModelError(f"{path}: cannot read ({exc})") from None
    try:
        return parse_graph(text)
    except IRError as exc:
        raise ModelError(f"{path}: {exc}") from None


def _load_aiger(path: Path):
    from .importers.aiger import read_aiger

    return read_aiger(path)


#: format name -> (file extensions, loader, description)
LOADERS: dict[str, tuple[tuple[str, ...], object, str]] = {
    "npz": ((".npz",), _load_npz, "gatecc model format v1"),
    "ir": ((".gir",), _load_ir, "gatecc IR text"),
    "aiger": ((".aig", ".aag"), _load_aiger, "AIGER and-inverter graph (binary or ASCII)"),
}


def format_names() -> list[str]:
    """Names accepted by ``--from``."""
    return sorted(LOADERS)


def load(path: str | os.PathLike, fmt: str | None = None):
    """Load a model file: by ``fmt`` if given, else by its extension (default npz)."""
    path = Path(path)
    if fmt is None:
        suffix = path.suffix.lower()
        fmt = next((name for name, (exts, _, _) in LOADERS.items() if suffix in exts), "npz")
    if fmt not in LOADERS:
        raise ModelError(f"unknown model format {fmt!r} (known: {', '.join(format_names())})")
    return LOADERS[fmt][1](path)
