"""Reading models: one loader per file kind, chosen by extension or by name.

Every loader returns a :class:`~gatecc.model.LogicNet` or a gate
:class:`~gatecc.ir.graph.Graph` and raises :class:`~gatecc.ModelError` with
one line naming any problem.
"""

from __future__ import annotations

import os
from pathlib import Path

from .errors import ModelError
from .files import read_file_text


def _load_npz(path: Path):
    from .ca.store import from_arrays as ca_from_arrays
    from .ca.store import is_ca_arrays
    from .convfile import FORMAT as CONVNET_FORMAT
    from .convfile import convnet_from_arrays
    from .model import net_from_arrays, read_npz_arrays   # model's name for the bounded reader (tests patch it)

    arrays = read_npz_arrays(path)
    try:
        if is_ca_arrays(arrays):   # the model format's CA kind (docs/ca.md)
            return ca_from_arrays(arrays)
        fmt = arrays.get("format")
        if fmt is not None and fmt.ndim == 0 and fmt.dtype.kind in "US" and str(fmt.item()) == CONVNET_FORMAT:
            return convnet_from_arrays(arrays)   # the conv kind (docs/model-format.md)
        return net_from_arrays(arrays)
    except ModelError as exc:
        exc = ModelError(f"{path}: {exc}")
        if not str(exc).endswith("missing key 'format'"):
            raise exc from None
        # An .npz of someone else's arrays: say how to read the other kinds gatecc knows.
        raise ModelError(f"{exc}: not gatecc model format v1; for a JAX params/wires pytree use --from jax, "
                         "for a difflogic or torchlogix state_dict --from difflogic or --from torchlogix, "
                         "for a DiffLogic CA notebook pytree --from difflogic-ca") from None


def _load_ca(path: Path):
    from .ca.store import load_ca

    return load_ca(path)


def _load_difflogic_ca(path: Path):
    from .ca.notebook import read_notebook_ca

    return read_notebook_ca(path)


def _load_ir(path: Path):
    from .ir.text import parse_graph
    from .ir.verify import IRError

    text = read_file_text(path)
    try:
        return parse_graph(text)
    except IRError as exc:
        raise ModelError(f"{path}: {exc}") from None


def _load_spatial(path: Path):
    from .ir.spatial.text import parse_program

    try:
        return parse_program(read_file_text(path))
    except ModelError as exc:
        raise ModelError(f"{path}: {exc}") from None


def _load_aiger(path: Path):
    from .importers.aiger import read_aiger

    return read_aiger(path)


def _load_blif(path: Path):
    from .importers.blif import read_blif

    return read_blif(path)


def _load_torch(path: Path, wiring=None):
    from .importers import difflogic, torchlogix
    from .importers.peers import detect_peer, read_peer_file

    data = read_peer_file(path)
    peer = detect_peer(data)
    if peer is None:
        raise ModelError(f"{path}: holds neither a difflogic nor a torchlogix model or state_dict "
                         "(use --from difflogic or --from torchlogix to say which)")
    module = difflogic if peer == "difflogic" else torchlogix
    return module.net_from_data(data, path, wiring)


def _load_difflogic(path: Path, wiring=None):
    from .importers.difflogic import read_difflogic

    return read_difflogic(path, wiring)


def _load_torchlogix(path: Path, wiring=None):
    from .importers.torchlogix import read_torchlogix

    return read_torchlogix(path, wiring)


def _load_jax(path: Path):
    from .importers.jaxtree import read_jax_pytree

    return read_jax_pytree(path)


#: format name -> (file extensions, loader, description).  A loader takes the
#: path and the keyword options it names (``wiring``).
LOADERS: dict[str, tuple[tuple[str, ...], object, str]] = {
    "npz": ((".npz",), _load_npz, "gatecc model format v1"),
    "ir": ((".gir",), _load_ir, "gatecc IR text"),
    "spatial": ((".gsp",), _load_spatial, "gatecc spatial program text (conv nets; docs/spatial.md)"),
    "aiger": ((".aig", ".aag"), _load_aiger, "AIGER and-inverter graph (binary or ASCII)"),
    "blif": ((".blif",), _load_blif, "combinational BLIF netlist"),
    "torch": ((".pt", ".pth"), _load_torch, "torch.save file of a difflogic or torchlogix model (detected)"),
    "difflogic": ((), _load_difflogic, "difflogic model or state_dict + wiring (.pt/.pth or .npz)"),
    "torchlogix": ((), _load_torchlogix, "torchlogix model or state_dict (.pt/.pth or .npz)"),
    "jax": ((), _load_jax, "JAX params/wires pytree flattened into an .npz"),
    "ca": ((), _load_ca, "gatecc CA model (format gatecc.ca, docs/ca.md)"),
    "difflogic-ca": ((), _load_difflogic_ca, "DiffLogic CA notebook params/wires pytree flattened into an .npz"),
}


def format_names() -> list[str]:
    """Names accepted by ``--from``."""
    return sorted(LOADERS)


def load(path: str | os.PathLike, fmt: str | None = None, **options):
    """Load a model file: by ``fmt`` if given, else by its extension (default npz).

    ``options`` go to the loader: ``wiring`` (a path) for difflogic and
    torchlogix state_dicts.  Returns a LogicNet, a Graph or (CA files) a
    :class:`~gatecc.ca.CAModel`.
    """
    import inspect

    path = Path(path)
    if fmt is None:
        suffix = path.suffix.lower()
        fmt = next((name for name, (exts, _, _) in LOADERS.items() if suffix in exts), "npz")
    if fmt not in LOADERS:
        raise ModelError(f"unknown model format {fmt!r} (known: {', '.join(format_names())})")
    loader = LOADERS[fmt][1]
    accepted = inspect.signature(loader).parameters
    for key in options:
        if key not in accepted:
            raise ModelError(f"{path}: option {key!r} does not apply to {fmt} files")
    try:
        return loader(path, **options)
    except (MemoryError, RecursionError) as exc:
        # Last line of defence: every reader bounds what it allocates, but a file must never crash gatecc.
        raise ModelError(f"{path}: too large or too deeply nested to load ({type(exc).__name__})") from None
