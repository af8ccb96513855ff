"""Read files written by ``torch.save`` without PyTorch, and without running their code.

A ``.pt`` file (PyTorch >= 1.6) is a zip archive: ``<name>/data.pkl`` is a
pickle of the saved object whose tensors refer, through pickle's
"persistent id" mechanism, to raw little-endian storages ``<name>/data/<key>``.

A pickle can call any importable function, so this reader never imports
what the pickle names.  Its unpickler resolves a short allow-list:

* the tensor rebuilders (``torch._utils._rebuild_tensor_v2``, parameters)
  become functions that build numpy arrays from the storages;
* ``collections.OrderedDict``, ``set``, ``frozenset``, dtypes, ``torch.Size``
  and ``torch.device`` become their plain Python counterparts;
* classes of ``torch.nn.modules``, ``difflogic`` and ``torchlogix`` become
  inert :class:`PickledObject` records that only remember their class name
  and the state the pickle gives them (what a module's ``__dict__`` held).

Any other name (``os.system``, a user's own class, ...) stops the load with a
:class:`ModelError` naming it.  The caller interprets the plain result.
"""

from __future__ import annotations

import _compat_pickle
import collections
import io
import pickle
import struct
import zipfile
import zlib
from pathlib import Path

import numpy as np

from ..errors import ModelError
from ..files import ZipArchive, read_file_bytes

#: torch storage class name -> numpy dtype of its elements (bfloat16 is widened on read).
STORAGE_DTYPES: dict[str, str] = {
    "DoubleStorage": "<f8", "FloatStorage": "<f4", "HalfStorage": "<f2", "BFloat16Storage": "<u2",
    "LongStorage": "<i8", "IntStorage": "<i4", "ShortStorage": "<i2", "CharStorage": "i1",
    "ByteStorage": "u1", "BoolStorage": "?",
}

#: torch dtype attribute name -> numpy dtype name (how a pickled ``torch.float32`` reads).
TORCH_DTYPES: dict[str, str] = {
    "float64": "float64", "double": "float64", "float32": "float32", "float": "float32",
    "float16": "float16", "half": "float16", "bfloat16": "bfloat16", "int64": "int64", "long": "int64",
    "int32": "int32", "int": "int32", "int16": "int16", "short": "int16", "int8": "int8",
    "uint8": "uint8", "bool": "bool",
}

#: Module prefixes whose classes load as inert records.
RECORD_PREFIXES = ("torch.nn.modules.", "difflogic.", "torchlogix.")


class PickledObject:
    """An object of class ``qualname`` rebuilt as data: its pickled state, never its code.

    ``state`` is what the pickle handed to ``__setstate__`` (a module's
    ``__dict__``), ``args`` what it handed to the constructor.
    """

    qualname = "?"

    def __new__(cls, *args):
        # NEWOBJ calls __new__ only; REDUCE calls the class: both just record args.
        obj = super().__new__(cls)
        obj.args, obj.state = args, None
        return obj

    def __init__(self, *args):
        pass

    def __setstate__(self, state):
        self.state = state

    def attr(self, name, default=None):
        """An attribute from the pickled ``__dict__`` (``default`` if absent)."""
        return self.state.get(name, default) if isinstance(self.state, dict) else default

    @property
    def children(self) -> dict:
        """A module's submodules in registration order (``_modules``), else {}."""
        mods = self.attr("_modules")
        return dict(mods) if isinstance(mods, dict) else {}

    def __repr__(self) -> str:
        return f"<pickled {self.qualname}>"


def _record_class(qualname: str) -> type:
    return type(qualname.rsplit(".", 1)[-1], (PickledObject,), {"qualname": qualname})


class _Storage:
    """A storage reference from a persistent id: its element dtype and key."""

    def __init__(self, dtype: str, key: str, numel: int):
        self.dtype, self.key, self.numel = dtype, key, numel


class _TorchUnpickler(pickle._Unpickler):  # noqa: SLF001
    """Resolves only the allow-list; reads storages from the archive on demand.

    Built on the pure-Python unpickler: the C one allocates what an opcode
    declares before reading it (a memo index of 2**32 or a BINBYTES8 length
    is a huge allocation), while this one keeps its memo in a dict and reads
    counted data from an in-memory file that returns at most what is there.
    data.pkl holds no tensor data, so the slower unpickler costs nothing.
    """

    def __init__(self, data: bytes, archive: ZipArchive, prefix: str, name: str, big_endian: bool):
        super().__init__(io.BytesIO(data))
        self.archive, self.prefix, self.name, self.big_endian = archive, prefix, name, big_endian
        self.cache: dict[str, np.ndarray] = {}
        self.records: dict[str, type] = {}

    def fail(self, message: str):
        raise ModelError(f"{self.name}: {message}")

    # -- what names in the pickle may mean ----------------------------------
    def find_class(self, module: str, name: str):
        # Protocol-2 pickles (torch's default) spell Python 3 modules the Python 2 way.
        module, name = _compat_pickle.NAME_MAPPING.get((module, name), (module, name))
        module = _compat_pickle.IMPORT_MAPPING.get(module, module)
        qualname = f"{module}.{name}"
        if module == "builtins" and name in _BUILTINS:
            return _BUILTINS[name]
        if module == "collections" and name == "OrderedDict":
            return collections.OrderedDict
        if module == "torch._utils" and name in _REBUILDERS:
            return getattr(self, _REBUILDERS[name])
        if module == "torch._tensor" and name == "_rebuild_from_type_v2":
            return self._rebuild_from_type_v2
        if module == "torch" and name in STORAGE_DTYPES:
            return STORAGE_DTYPES[name]
        if module == "torch" and name in TORCH_DTYPES:
            return TORCH_DTYPES[name]
        if module == "torch" and name == "Size":
            return tuple
        if module == "torch" and name == "device":
            return _device
        if module == "torch.nn.parameter" and name == "Parameter":
            return _Parameter
        if any(qualname.startswith(p) for p in RECORD_PREFIXES):
            return self.records.setdefault(qualname, _record_class(qualname))
        self.fail(f"the pickle refers to {qualname}, which gatecc does not load "
                  "(it reads tensors, containers and difflogic/torchlogix/torch.nn modules only)")

    def persistent_load(self, pid):
        if not (isinstance(pid, tuple) and len(pid) == 5 and pid[0] == "storage"):
            self.fail(f"unsupported persistent id {pid!r} in the pickle")
        _, dtype, key, _location, numel = pid
        if isinstance(numel, bool) or not isinstance(numel, int) or numel < 0:
            self.fail(f"storage {key!r} declares {numel!r} elements")
        if not isinstance(dtype, str) or dtype not in STORAGE_DTYPES.values():
            self.fail(f"storage {key!r} has an unsupported element type {dtype!r}")
        return _Storage(dtype, str(key), int(numel))

    # -- tensors ---------------------------------------------------------------
    def _storage_array(self, storage: _Storage) -> np.ndarray:
        if storage.key not in self.cache:
            entry = f"{self.prefix}data/{storage.key}"
            try:
                raw = self.archive.read(entry)
            except KeyError:
                self.fail(f"truncated: the archive has no storage {entry!r}")
            dtype = np.dtype(storage.dtype)
            if self.big_endian:
                dtype = dtype.newbyteorder(">")
            if len(raw) < storage.numel * dtype.itemsize:
                self.fail(f"truncated: storage {storage.key!r} holds {len(raw)} bytes, "
                          f"expected {storage.numel * dtype.itemsize}")
            arr = np.frombuffer(raw, dtype=dtype, count=storage.numel)
            if storage.dtype == "<u2":  # bfloat16: the high half of a float32
                arr = (arr.astype(np.uint32) << 16).view(np.float32)
            self.cache[storage.key] = arr.astype(arr.dtype.newbyteorder("="), copy=False)
        return self.cache[storage.key]

    def _rebuild_tensor(self, storage, offset, size, stride, *_rest):
        if not isinstance(storage, _Storage):
            self.fail("a tensor refers to something that is not a storage")
        base = self._storage_array(storage)
        size, stride, offset = tuple(int(s) for s in size), tuple(int(s) for s in stride), int(offset)
        if len(size) != len(stride):
            self.fail(f"storage {storage.key!r}: tensor size {size} and stride {stride} disagree")
        if any(s < 0 for s in size):
            self.fail(f"storage {storage.key!r}: negative tensor size {size}")
        numel = 1
        for s in size:
            numel *= s
        if numel == 0:
            return np.zeros(size, dtype=base.dtype)
        # A stride-0 view can declare far more elements than its storage holds: count what the copy costs.
        self.archive.charge(numel * base.itemsize, f"tensor of size {size} from storage {storage.key!r}")
        last = offset + sum((n - 1) * st for n, st in zip(size, stride))
        if offset < 0 or min(stride, default=0) < 0 or last >= len(base):
            self.fail(f"storage {storage.key!r}: a tensor reaches past its {len(base)} elements")
        view = np.lib.stride_tricks.as_strided(
            base[offset:], shape=size, strides=tuple(st * base.itemsize for st in stride), writeable=False)
        return np.array(view)

    def _rebuild_parameter(self, data, *_rest):
        return data

    def _rebuild_from_type_v2(self, func, new_type, args, state):
        return func(*args)


_REBUILDERS = {
    "_rebuild_tensor_v2": "_rebuild_tensor",
    "_rebuild_tensor": "_rebuild_tensor",
    "_rebuild_parameter": "_rebuild_parameter",
    "_rebuild_parameter_with_state": "_rebuild_parameter",
}

_BUILTINS = {"set": set, "frozenset": frozenset, "list": list, "dict": dict, "tuple": tuple,
             "int": int, "float": float, "bool": bool, "str": str}


def _device(*args):
    """``torch.device('cpu')`` reads as the string 'cpu'."""
    return ":".join(str(a) for a in args)


def _Parameter(data=None, requires_grad=True):  # noqa: N802  (stands in for the class)
    """``torch.nn.Parameter(tensor)`` reads as the tensor."""
    return data


def read_torch_file(path: str | Path):
    """The object saved by ``torch.save`` at ``path``, with tensors as numpy arrays.

    Modules come back as :class:`PickledObject` records.  Raises
    :class:`ModelError` for a missing, truncated or corrupt file, the legacy
    (pre-1.6) format, or a pickle that names anything outside the allow-list.
    """
    path = Path(path)
    data = read_file_bytes(path)
    return parse_torch_bytes(data, str(path))


def parse_torch_bytes(data: bytes, name: str = "<torch>"):
    """Like :func:`read_torch_file`, on the file's bytes."""
    if data[:2] != b"PK":
        if data[:1] == b"\x80":
            raise ModelError(f"{name}: legacy torch.save format (PyTorch < 1.6) or a plain pickle; "
                             "re-save it with a current PyTorch")
        raise ModelError(f"{name}: not a torch.save file (not a zip archive)")
    archive = ZipArchive(data, name, "torch.save file")
    try:
        pickles = [n for n in archive.namelist() if n.endswith("/data.pkl") or n == "data.pkl"]
        if len(pickles) != 1:
            raise ModelError(f"{name}: not a torch.save archive (expected one data.pkl, found {len(pickles)})")
        prefix = pickles[0][: -len("data.pkl")]
        big = False
        if f"{prefix}byteorder" in archive.namelist():
            big = archive.read(f"{prefix}byteorder").strip() == b"big"
        unpickler = _TorchUnpickler(archive.read(pickles[0]), archive, prefix, name, big)
        return unpickler.load()
    except ModelError:
        raise
    except (zipfile.BadZipFile, zlib.error, EOFError, pickle.UnpicklingError) as exc:
        raise ModelError(f"{name}: corrupt or truncated torch.save file ({type(exc).__name__}: {exc})") from None
    except (ValueError, TypeError, IndexError, KeyError, AttributeError, OverflowError, MemoryError,
            RecursionError, struct.error) as exc:
        # The pickle may call the allow-listed builtins with any arguments: their errors are the file's fault.
        raise ModelError(f"{name}: malformed torch.save pickle ({type(exc).__name__}: {str(exc)[:200]})") from None
