"""Compile C source into a shared library and load it with cffi.

A big source that defines ``GATECC_PARTS`` (see :func:`gatecc.backends.c.emit_c`)
is compiled in parallel, one compiler per core, each on a range of its
parts (``-DGATECC_PART_FIRST=a -DGATECC_PART_LAST=b``), and linked; a big
net is compiled with :data:`FAST_FLAGS`.  Builds are cached by a hash of the
source, the flags and the compiler in :func:`gatecc.cache.cache_dir`
(written under a temporary name and renamed, so concurrent builds of the
same net are safe).
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import tempfile
from functools import cache
from pathlib import Path

from ..cache import cache_dir
from ..errors import BuildError

#: Every compile: position independent, for this CPU, no debug info (it only
#: costs time on generated code); vector words alias their uint64 planes.
BASE_FLAGS = ("-g0", "-fPIC", "-march=native", "-fno-strict-aliasing", "-Wno-psabi")

#: Full optimisation: small nets, and the runtime.
FULL_FLAGS = ("-O2",)

#: The gate functions of big nets.  gcc's -O1 and -O2 spend most of their
#: time on these functions in passes whose cost grows with the number of
#: memory accesses in a function (dead-store elimination, value numbering
#: through memory, RTL CSE tables) or that redo what gatecc's passes did
#: (constant and copy propagation, IPA summaries); without them -O1 compiles
#: about as fast as -O0 (measured: 6.8 s vs 6.4 s of CPU on the 48k-gate net,
#: -O2 takes 5x longer) and runs as fast as -O2, 3x faster than -O0, since
#: what matters here is register allocation and instruction selection.
FAST_FLAGS = ("-O1", "-fno-tree-dse", "-fno-dse", "-fno-ipa-modref", "-fno-tree-fre", "-fno-tree-dominator-opts",
              "-fno-tree-ccp", "-fno-tree-forwprop", "-fno-ipa-pure-const", "-fno-ipa-reference", "-fno-ipa-profile",
              "--param=max-cselib-memory-locations=20", "--param=max-cse-insns=100")

#: The same idea for compilers that are not gcc (clang): plain -O1.
FAST_FLAGS_OTHER = ("-O1",)

#: Smaller sources compile as one unit: starting several compilers would cost more than it saves.
PARALLEL_MIN_CHARS = 200_000

_PARTS = re.compile(r"^#define GATECC_PARTS (\d+)$", re.MULTILINE)


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


@cache
def predefined_macros(compiler: str, flags: tuple[str, ...] = ("-march=native",)) -> frozenset[str]:
    """Names of the macros ``compiler`` predefines with ``flags`` (empty if it cannot say)."""
    try:
        out = subprocess.run([compiler, *flags, "-dM", "-E", "-x", "c", os.devnull],
                             capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.SubprocessError):
        return frozenset()
    return frozenset(line.split()[1] for line in out.stdout.splitlines() if line.startswith("#define "))


def native_vector_bits() -> int:
    """Widest integer vector the C compiler targets with ``-march=native``; /proc/cpuinfo without one."""
    from .native import cpu_flags, vector_bits_from_features

    compiler = find_compiler(required=False)
    macros = predefined_macros(compiler) if compiler else frozenset()
    if not macros:
        return vector_bits_from_features(cpu_flags())
    features = [name.strip("_").lower() for name in macros if name.startswith("__") and name.endswith("__")]
    return vector_bits_from_features(features + (["neon"] if "__ARM_NEON" in macros else []))


def is_gcc(compiler: str) -> bool:
    """True when ``compiler`` is gcc (it takes gcc's -f options and --param)."""
    macros = predefined_macros(compiler, ())
    return "__GNUC__" in macros and "__clang__" not in macros


def optimisation_flags(compiler: str, flags=None, fast: bool = False) -> tuple[str, ...]:
    """Every flag of a build: :data:`BASE_FLAGS`, then ``flags`` if given, else :data:`FAST_FLAGS` or -O2."""
    if flags is not None:
        return BASE_FLAGS + tuple(flags)
    if fast:
        return BASE_FLAGS + (FAST_FLAGS if is_gcc(compiler) else FAST_FLAGS_OTHER)
    return BASE_FLAGS + FULL_FLAGS


def build_library(source: str, flags=None, fast: bool = False, jobs: int | None = None) -> Path:
    """Compile ``source`` to a shared library (cached); return its path.

    ``flags`` replace the optimisation flags; ``fast`` uses
    :data:`FAST_FLAGS`; a big source with parts is compiled as ``jobs``
    units at once (default: one per core), each a range of its parts.
    """
    from .native import default_threads

    compiler = find_compiler()
    all_flags = optimisation_flags(compiler, flags, fast)
    key = hashlib.sha256(
        "\0".join([source, " ".join(all_flags), compiler, _compiler_id(compiler)]).encode()
    ).hexdigest()[:32]
    directory = cache_dir()
    directory.mkdir(parents=True, exist_ok=True)
    lib = directory / f"net-{key}.so"
    if lib.exists():
        return lib
    found = _PARTS.search(source) if len(source) >= PARALLEL_MIN_CHARS else None
    parts = int(found.group(1)) if found else 1
    jobs = min(jobs or default_threads(), parts)
    with tempfile.TemporaryDirectory(dir=directory, prefix="build-") as tmp:
        src = Path(tmp) / "net.c"
        src.write_text(source)
        out = Path(tmp) / "net.so"
        if jobs <= 1:
            _run_all([[compiler, *all_flags, "-shared", "-o", str(out), str(src)]], 1, compiler)
        else:
            units = [(parts * j // jobs, parts * (j + 1) // jobs - 1) for j in range(jobs)]
            objects = [Path(tmp) / f"unit{j}.o" for j in range(jobs)]
            _run_all([[compiler, *all_flags, f"-DGATECC_PART_FIRST={first}", f"-DGATECC_PART_LAST={last}", "-c",
                       "-o", str(obj), str(src)] for (first, last), obj in zip(units, objects)], jobs, compiler)
            _run_all([[compiler, "-shared", "-o", str(out), *map(str, objects)]], 1, compiler)
        os.replace(out, lib)
    return lib


def _run_all(commands: list[list[str]], jobs: int, compiler: str) -> None:
    """Run ``commands``, ``jobs`` at a time; :class:`BuildError` with the first error line."""
    pending = list(commands)
    running: list[subprocess.Popen] = []
    failure = None
    while pending or running:
        while pending and len(running) < max(1, jobs) and failure is None:
            running.append(subprocess.Popen(pending.pop(0), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                            text=True))
        proc = running.pop(0)
        output, _ = proc.communicate()
        if proc.returncode != 0 and failure is None:
            lines = output.strip().splitlines()
            errors = [line for line in lines if "error" in line] or lines
            failure = errors[0] if errors else "no message"
        if failure is not None:
            pending.clear()
    if failure is not None:
        raise BuildError(f"C compiler failed ({compiler}): {failure}")


def load_library(source: str, cdef: str, flags=None, fast: bool = False):
    """Build (or find in the cache) and dlopen ``source`` with cffi; return (ffi, lib).

    ``cdef`` declares the functions to call.  The library is never unloaded:
    a library whose OpenMP workers are still parked in its code would crash
    the process if cffi closed it at exit.
    """
    from cffi import FFI

    path = build_library(source, flags, fast)
    ffi = FFI()
    ffi.cdef(cdef)
    try:
        return ffi, ffi.dlopen(str(path), ffi.RTLD_NOW | ffi.RTLD_NODELETE)
    except OSError as exc:
        raise BuildError(f"cannot load the compiled net {path}: {exc}") from None


def function_address(ffi, lib, name: str) -> int:
    """The address of function ``name`` of a library loaded by :func:`load_library`."""
    return int(ffi.cast("uintptr_t", getattr(lib, name)))
