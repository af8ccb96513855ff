"""Reading model files, with one clear :class:`ModelError` for every way it can fail."""

from __future__ import annotations

import io
import os
import zipfile
import zlib
from pathlib import Path

import numpy as np

from .errors import ModelError


def read_file_bytes(path: str | os.PathLike) -> bytes:
    """The whole file; ModelError if it is missing, a directory or unreadable."""
    path = Path(path)
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise ModelError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise ModelError(f"{path}: is a directory, not a model file") from None
    except OSError as exc:
        raise ModelError(f"{path}: cannot read ({exc.strerror or exc})") from None


def read_file_text(path: str | os.PathLike) -> str:
    """The file as UTF-8 text (undecodable bytes replaced, so parsers report them by line)."""
    return read_file_bytes(path).decode("utf-8", errors="replace")


def read_npz_arrays(path: str | os.PathLike) -> dict[str, np.ndarray]:
    """Every array of an ``.npz`` archive, keyed by name; never unpickles anything."""
    data = read_file_bytes(path)
    if data[:2] != b"PK":
        raise ModelError(f"{path}: not an .npz archive (not a zip file)")
    try:
        with np.load(io.BytesIO(data), allow_pickle=False) as npz:
            return {key: npz[key] for key in npz.files}
    except ValueError as exc:
        if "pickle" in str(exc):
            raise ModelError(f"{path}: holds Python objects (pickled arrays), which gatecc does not load") from None
        raise ModelError(f"{path}: corrupt .npz ({exc})") from None
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, KeyError) as exc:
        raise ModelError(f"{path}: corrupt or truncated .npz ({type(exc).__name__}: {exc})") from None
