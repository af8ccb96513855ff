"""Reading model files, with one clear :class:`ModelError` for every way it can fail.

Every reader gets its bytes from here, so every reader is bounded the same
way (see :mod:`gatecc.limits`): only regular files are opened (a FIFO with no
writer would block), a file or the zip members it inflates to may not exceed
``GATECC_MAX_MODEL_BYTES``, a member may not inflate more than
``GATECC_MAX_RATIO`` times, and an ``.npy`` member's declared shape must match
the bytes it holds before anything is allocated for it.
"""

from __future__ import annotations

import ast
import io
import os
import stat
import struct
import zipfile
import zlib
from pathlib import Path

import numpy as np

from .errors import ModelError
from .limits import RATIO_FLOOR, limit

#: What zipfile and zlib raise on a corrupt archive (zipfile's own checks are not exhaustive).
ZIP_ERRORS = (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, zlib.error, EOFError, OSError,
              ValueError, RuntimeError, KeyError, IndexError, TypeError, OverflowError, struct.error)
#: Compression methods of np.savez (deflate) and torch.save (stored); others are refused unread.
ZIP_METHODS = {zipfile.ZIP_STORED: "stored", zipfile.ZIP_DEFLATED: "deflate"}
#: dtype kinds an array member may have: bool, integers, floats, complex, strings.
NPY_KINDS = "biufcSU"
NPY_MAX_HEADER = 10000  # numpy's own cap on a .npy header (np.lib.format)
NPY_MAX_DIMS = 32


def read_file_bytes(path: str | os.PathLike) -> bytes:
    """The whole file; ModelError if it is missing, not a regular file, too large or unreadable."""
    path = Path(path)
    try:
        info = os.stat(path)
    except FileNotFoundError:
        raise ModelError(f"{path}: no such file") from None
    except OSError as exc:
        raise ModelError(f"{path}: cannot read ({exc.strerror or exc})") from None
    if stat.S_ISDIR(info.st_mode):
        raise ModelError(f"{path}: is a directory, not a model file")
    if not stat.S_ISREG(info.st_mode):
        raise ModelError(f"{path}: is not a regular file (a FIFO, device or socket); gatecc reads model files only")
    cap = limit("GATECC_MAX_MODEL_BYTES")
    if info.st_size > cap:
        raise ModelError(f"{path}: {info.st_size} bytes is over the {cap}-byte limit (raise $GATECC_MAX_MODEL_BYTES)")
    try:
        # O_NONBLOCK: should the path have become a FIFO since the stat, opening it must not wait for a writer.
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
        with os.fdopen(fd, "rb") as f:
            if not stat.S_ISREG(os.fstat(f.fileno()).st_mode):
                raise ModelError(f"{path}: is not a regular file")
            data = f.read(cap + 1)
    except OSError as exc:
        raise ModelError(f"{path}: cannot read ({exc.strerror or exc})") from None
    if len(data) > cap:
        raise ModelError(f"{path}: over the {cap}-byte limit (raise $GATECC_MAX_MODEL_BYTES)")
    return data


def read_file_text(path: str | os.PathLike) -> str:
    """The file as UTF-8 text (undecodable bytes replaced, so parsers report them by line)."""
    return read_file_bytes(path).decode("utf-8", errors="replace")


class ZipArchive:
    """A zip archive in memory whose members are read within the limits, all members sharing one budget."""

    def __init__(self, data: bytes, name: str, kind: str = "zip archive"):
        self.name, self.size = name, len(data)
        self.budget = limit("GATECC_MAX_MODEL_BYTES")
        try:
            self.zf = zipfile.ZipFile(io.BytesIO(data))
            self.infos = self.zf.infolist()
        except ZIP_ERRORS as exc:
            raise ModelError(f"{name}: corrupt or truncated {kind} ({type(exc).__name__}: {exc})") from None
        seen: set[str] = set()
        for info in self.infos:
            if info.filename in seen:
                raise ModelError(f"{name}: member {info.filename!r} appears twice in the archive")
            seen.add(info.filename)

    def namelist(self) -> list[str]:
        """Member names in archive order."""
        return [i.filename for i in self.infos]

    def charge(self, nbytes: int, what: str) -> None:
        """Count ``nbytes`` made from this archive against its budget."""
        if nbytes > self.budget:
            cap = limit("GATECC_MAX_MODEL_BYTES")
            raise ModelError(f"{self.name}: {what} would take the archive past the {cap}-byte limit "
                             "(raise $GATECC_MAX_MODEL_BYTES for a model this large)")
        self.budget -= nbytes

    def read(self, member: str) -> bytearray:
        """The member's bytes, after checking its declared sizes; KeyError if there is no such member."""
        info = self.zf.getinfo(member)
        where = f"{self.name}: member {member!r}"
        if info.compress_type not in ZIP_METHODS:
            raise ModelError(f"{where}: compression method {info.compress_type} is not supported "
                             f"({' or '.join(ZIP_METHODS.values())} only)")
        if info.flag_bits & 0x1:
            raise ModelError(f"{where}: is encrypted")
        if info.compress_size > self.size or info.header_offset >= self.size:
            raise ModelError(f"{where}: declares {info.compress_size} compressed bytes at offset "
                             f"{info.header_offset}, beyond the {self.size}-byte file (truncated or corrupt)")
        ratio = limit("GATECC_MAX_RATIO")
        if info.file_size > RATIO_FLOOR and info.file_size > ratio * max(info.compress_size, 1):
            raise ModelError(f"{where}: inflates {info.compress_size} bytes to {info.file_size}, more than "
                             f"{ratio} times (a zip bomb? raise $GATECC_MAX_RATIO if the model is genuine)")
        self.charge(info.file_size, f"{where} ({info.file_size} bytes inflated)")
        out = bytearray()
        try:
            with self.zf.open(info) as f:
                while len(out) <= info.file_size:
                    chunk = f.read(min(1 << 20, info.file_size + 1 - len(out)))
                    if not chunk:
                        break
                    out += chunk
        except ZIP_ERRORS as exc:
            raise ModelError(f"{where}: corrupt or truncated ({type(exc).__name__}: {exc})") from None
        if len(out) != info.file_size:
            raise ModelError(f"{where}: holds {len(out)} bytes but its header declares {info.file_size}")
        return out


def parse_npy(raw: bytes | bytearray, where: str) -> np.ndarray:
    """The array in ``.npy`` bytes, its header checked against the bytes that follow before any allocation.

    Never unpickles: object and structured dtypes are refused.  ``where`` names the member in errors.
    """
    if raw[:6] != b"\x93NUMPY":
        raise ModelError(f"{where}: not a .npy array (no NUMPY magic)")
    major = raw[6] if len(raw) > 6 else None
    if major not in (1, 2, 3):
        raise ModelError(f"{where}: unsupported .npy format version {major}")
    start = 10 if major == 1 else 12
    if len(raw) < start:
        raise ModelError(f"{where}: truncated .npy header")
    hlen = struct.unpack_from("<H" if major == 1 else "<I", raw, 8)[0]
    if hlen > NPY_MAX_HEADER or start + hlen > len(raw):
        raise ModelError(f"{where}: .npy header of {hlen} bytes is too long or truncated")
    offset = start + hlen
    try:
        text = bytes(raw[start:offset]).decode("latin1" if major < 3 else "utf-8")
        header = ast.literal_eval(text)
    except (SyntaxError, ValueError, TypeError, MemoryError, RecursionError, UnicodeDecodeError) as exc:
        raise ModelError(f"{where}: unreadable .npy header ({type(exc).__name__})") from None
    if not isinstance(header, dict) or set(header) != {"descr", "fortran_order", "shape"}:
        raise ModelError(f"{where}: .npy header must be a dict of descr, fortran_order and shape")
    descr, order, shape = header["descr"], header["fortran_order"], header["shape"]
    if not isinstance(descr, str):
        raise ModelError(f"{where}: structured .npy dtypes are not supported")
    try:
        dtype = np.dtype(descr)
    except (TypeError, ValueError, SyntaxError) as exc:
        raise ModelError(f"{where}: bad .npy dtype {descr[:40]!r} ({type(exc).__name__})") from None
    if dtype.hasobject:
        raise ModelError(f"{where}: holds Python objects (pickled arrays), which gatecc does not load")
    if dtype.kind not in NPY_KINDS or dtype.itemsize == 0 or dtype.fields or dtype.subdtype:
        raise ModelError(f"{where}: unsupported .npy dtype {dtype}")
    if not isinstance(order, bool):
        raise ModelError(f"{where}: .npy fortran_order must be True or False")
    if (not isinstance(shape, tuple) or len(shape) > NPY_MAX_DIMS
            or not all(isinstance(n, int) and not isinstance(n, bool) and n >= 0 for n in shape)):
        raise ModelError(f"{where}: bad .npy shape {str(shape)[:60]}")
    count = 1
    for n in shape:
        count *= n
    body = len(raw) - offset
    if count * dtype.itemsize != body:
        raise ModelError(f"{where}: declares shape {shape} of {dtype} ({count * dtype.itemsize} bytes) "
                         f"but holds {body} bytes")
    arr = np.frombuffer(raw, dtype=dtype, count=count, offset=offset)
    return arr.reshape(shape, order="F" if order else "C")


def read_npz_arrays(path: str | os.PathLike) -> dict[str, np.ndarray]:
    """Every array of an ``.npz`` archive, keyed by name; never unpickles anything."""
    data = read_file_bytes(path)
    if data[:2] != b"PK":
        raise ModelError(f"{path}: not an .npz archive (not a zip file)")
    archive = ZipArchive(data, str(path), ".npz")
    arrays = {}
    for member in archive.namelist():
        if not member.endswith(".npy"):
            raise ModelError(f"{path}: member {member!r} is not a .npy array")
        arrays[member[:-4]] = parse_npy(archive.read(member), f"{path}: member {member!r}")
    return arrays


def read_npy(path: str | os.PathLike) -> np.ndarray:
    """One ``.npy`` file, checked like an ``.npz`` member."""
    return parse_npy(read_file_bytes(path), str(path))
