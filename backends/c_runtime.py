"""The shared native runtime for the C backend: ``runtime.c``, built once per vector width.

The runtime holds the bool path (packing rows into planes, calling a net
per tile, decoding planes into rows; see the comment at the top of
``runtime.c``), so nets do not each carry and compile it.  It is built
with full optimisation like any net, cached on disk by :mod:`.cbuild`, and
loaded once per process and vector width.

Packing has two code paths: where the compiler targets AVX2
(``-march=native`` on such a machine) and rows have at least 32 inputs,
8 rows' bytes shifted into one byte vector and byte-transposed 32 inputs at
a time; else a portable multiply per 8 bytes and 64 x 64 bit transposes.
``GATECC_PACK=portable`` forces the portable one (it is a build
flag, so each path has its own cache entry); :func:`pack_path` says which
one a runtime was built with.
"""

from __future__ import annotations

import os
from functools import cache
from importlib import resources

import numpy as np

from ..errors import BuildError, TargetError
from .abi import ABI_VERSION
from .native import RUNTIME_CDEF

#: The runtime is small and built once: optimise it fully (and link pthreads for gatecc_rt_run_threads).
RUNTIME_FLAGS = ("-O3", "-pthread")

#: Values of ``$GATECC_PACK`` and the flags they add.
PACK_CHOICES = {"auto": (), "portable": ("-DGATECC_PACK_PORTABLE",)}

#: What ``gatecc_rt_info`` reports as its packing path.
PACK_PATHS = ("portable", "avx2")


def pack_choice() -> str:
    """``$GATECC_PACK`` (auto or portable; default auto), else :class:`TargetError`."""
    choice = os.environ.get("GATECC_PACK", "auto").strip() or "auto"
    if choice not in PACK_CHOICES:
        raise TargetError(f"GATECC_PACK must be one of {', '.join(PACK_CHOICES)}, not {choice!r}")
    return choice


def runtime_source() -> str:
    """The C source of the runtime, with the ABI definitions of :mod:`.abi` spliced in."""
    from .abi import c_definitions

    return resources.files(__package__).joinpath("runtime.c").read_text().replace("@GATECC_ABI@", c_definitions())


def runtime_library(vector_bits: int):
    """(ffi, lib) of the runtime built for ``vector_bits``-bit words and the ``$GATECC_PACK`` path."""
    return _runtime_library(vector_bits, pack_choice())


@cache  # one loaded library per process, width and packing path: it is shared by every net of that width
def _runtime_library(vector_bits: int, choice: str):
    from .cbuild import load_library

    ffi, lib = load_library(runtime_source(), RUNTIME_CDEF,
                            flags=(*RUNTIME_FLAGS, *PACK_CHOICES[choice], f"-DGATECC_VECTOR_BYTES={vector_bits // 8}"))
    info = np.zeros(3, dtype=np.uint64)
    lib.gatecc_rt_info(ffi.from_buffer("uint64_t[]", info))
    if tuple(int(v) for v in info[:2]) != (ABI_VERSION, vector_bits // 64) or int(info[2]) >= len(PACK_PATHS):
        raise BuildError(f"the native runtime does not match this gatecc (info {tuple(info)})")
    return ffi, lib


def pack_path(vector_bits: int) -> str:
    """The packing path ("avx2" or "portable") of the runtime for ``vector_bits`` (and ``$GATECC_PACK``)."""
    ffi, lib = runtime_library(vector_bits)
    info = np.zeros(3, dtype=np.uint64)
    lib.gatecc_rt_info(ffi.from_buffer("uint64_t[]", info))
    return PACK_PATHS[int(info[2])]


def runtime_run(vector_bits: int) -> int:
    """Address of ``gatecc_rt_run`` for ``vector_bits``-bit words."""
    from .cbuild import function_address

    ffi, lib = runtime_library(vector_bits)
    return function_address(ffi, lib, "gatecc_rt_run")


def runtime_run_threads(vector_bits: int) -> int:
    """Address of ``gatecc_rt_run_threads`` (``gatecc_rt_run`` over pthreads) for ``vector_bits``-bit words."""
    from .cbuild import function_address

    ffi, lib = runtime_library(vector_bits)
    return function_address(ffi, lib, "gatecc_rt_run_threads")
