"""The shared native runtime for the C backend: ``runtime.c``, built once per vector width.

The runtime holds the bool path (packing rows into planes, calling a net
per tile, decoding planes into rows; see the comment at the top of
``runtime.c``), so nets do not each carry and compile it.  It is built
with full optimisation like any net, cached on disk by :mod:`.cbuild`, and
loaded once per process and vector width.
"""

from __future__ import annotations

from functools import cache
from importlib import resources

import numpy as np

from ..errors import BuildError
from .abi import ABI_VERSION
from .native import RUNTIME_CDEF

#: The runtime is small and built once: optimise it fully.
RUNTIME_FLAGS = ("-O3",)


def runtime_source() -> str:
    """The C source of the runtime, with the ABI definitions of :mod:`.abi` spliced in."""
    from .abi import c_definitions

    return resources.files(__package__).joinpath("runtime.c").read_text().replace("@GATECC_ABI@", c_definitions())


@cache  # one loaded library per process and width: it is shared by every net of that width
def runtime_library(vector_bits: int):
    """(ffi, lib) of the runtime built for ``vector_bits``-bit words (from the build cache when it is there)."""
    from .cbuild import load_library

    ffi, lib = load_library(runtime_source(), RUNTIME_CDEF,
                            flags=(*RUNTIME_FLAGS, f"-DGATECC_VECTOR_BYTES={vector_bits // 8}"))
    info = np.zeros(2, dtype=np.uint64)
    lib.gatecc_rt_info(ffi.from_buffer("uint64_t[]", info))
    if tuple(int(v) for v in info) != (ABI_VERSION, vector_bits // 64):
        raise BuildError(f"the native runtime does not match this gatecc (info {tuple(info)})")
    return ffi, lib


def runtime_run(vector_bits: int) -> int:
    """Address of ``gatecc_rt_run`` for ``vector_bits``-bit words."""
    from .cbuild import function_address

    ffi, lib = runtime_library(vector_bits)
    return function_address(ffi, lib, "gatecc_rt_run")
