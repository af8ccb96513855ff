"""Compile C source into a shared library and load it with cffi.

Builds are cached by a hash of the source, the flags and the compiler, so
compiling the same net twice is instant.  The cache lives in
``$GATECC_CACHE_DIR``, else ``$XDG_CACHE_HOME/gatecc``, else
``~/.cache/gatecc``; a build is written under a temporary name and renamed,
so concurrent builds of the same net are safe.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import tempfile
from functools import cache
from pathlib import Path

from ..errors import BuildError

DEFAULT_FLAGS = ("-O2", "-g0", "-fPIC", "-shared", "-march=native", "-fno-strict-aliasing")


def cache_dir() -> Path:
    """Where built libraries are kept."""
    if os.environ.get("GATECC_CACHE_DIR"):
        return Path(os.environ["GATECC_CACHE_DIR"])
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "gatecc"


def find_compiler(required: bool = True) -> str | None:
    """The C compiler: ``$CC`` if set, else the first of cc, gcc, clang on PATH."""
    names = [os.environ["CC"]] if os.environ.get("CC") else ["cc", "gcc", "clang"]
    for name in names:
        path = shutil.which(name)
        if path:
            return path
    if required:
        raise BuildError(f"no C compiler found (looked for {', '.join(names)}); install gcc or set CC")
    return None


@cache
def _compiler_id(compiler: str) -> str:
    try:
        out = subprocess.run([compiler, "--version"], capture_output=True, text=True, timeout=30)
        return out.stdout.splitlines()[0] if out.stdout else compiler
    except (OSError, subprocess.SubprocessError):
        return compiler


def build_library(source: str, flags=None) -> Path:
    """Compile ``source`` to a shared library (cached); return its path."""
    compiler = find_compiler()
    flags = tuple(flags) if flags else DEFAULT_FLAGS
    key = hashlib.sha256(
        "\0".join([source, " ".join(flags), compiler, _compiler_id(compiler)]).encode()
    ).hexdigest()[:32]
    directory = cache_dir()
    directory.mkdir(parents=True, exist_ok=True)
    lib = directory / f"net-{key}.so"
    if lib.exists():
        return lib
    with tempfile.TemporaryDirectory(dir=directory, prefix="build-") as tmp:
        src = Path(tmp) / "net.c"
        src.write_text(source)
        out = Path(tmp) / "net.so"
        proc = subprocess.run([compiler, *flags, "-o", str(out), str(src)], capture_output=True, text=True)
        if proc.returncode != 0:
            first = (proc.stderr or proc.stdout).strip().splitlines()
            raise BuildError(f"C compiler failed ({compiler}): {first[0] if first else 'no message'}")
        os.replace(out, lib)
    return lib


def load_library(source: str, cdef: str, flags=None):
    """Build (or find in the cache) and dlopen ``source``; return (ffi, lib)."""
    from cffi import FFI

    path = build_library(source, flags)
    ffi = FFI()
    ffi.cdef(cdef)
    try:
        # Never unload: a library whose OpenMP workers are still parked in its
        # code would crash the process when cffi dlcloses it at exit.
        lib = ffi.dlopen(str(path), ffi.RTLD_NOW | ffi.RTLD_NODELETE)
    except OSError as exc:
        raise BuildError(f"cannot load the compiled net {path}: {exc}") from None
    return ffi, lib
