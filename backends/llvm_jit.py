"""JIT-compiling LLVM IR with llvmlite: codegen settings by size, parallel parts, the runtime.

**Settings.**  A module with at most :data:`FULL_OPT_NODES` gates gets full
optimisation: the new pass manager's -O2 pipeline on the IR, then code
generation at -O3.  A bigger one skips the IR passes (gatecc's passes
already folded and CSE'd it) and is generated at codegen level 0, which
selects LLVM's fast instruction selection, the fast register allocator and
no instruction schedulers, the settings docs/design.md section 5 measured.  They
are set on the target machine of that one compilation.  A process could reach
them with ``llvm.set_option("-fast-isel", "-regalloc=fast",
"-enable-misched=false", ...)``, but those options are *process-global*: they
would silently change every later LLVM compilation in the process,
including other libraries' (numba, another gatecc net that wants full
optimisation), and cannot be scoped to one module.  gatecc never calls
``llvm.set_option``; measured on the 48k-gate net, codegen level 0 compiles
faster than those options at level 2 (2.8 s vs 4.5 s) and the code runs as
fast (within noise).

**Parts.**  A big module is compiled as independent parts by one worker
process per core (:mod:`.llvm_worker`; llvmlite serialises all calls into
LLVM with a process-wide lock, so threads would not help): the emitted text
marks each part (``; gatecc-part k``), the workers return object files, and
the small driver module that calls the parts is JIT-compiled here with the
objects linked in.

**Runtime.**  The bool path (:mod:`.llvm_runtime`) is compiled once per
process and vector width, with full optimisation.
"""

from __future__ import annotations

import threading
from functools import cache

from ..errors import BuildError, TargetError

#: Up to this many gate and NOT nodes a module gets full optimisation.
FULL_OPT_NODES = 2048

#: Codegen choices of the ``codegen`` option.
CODEGEN = ("auto", "full", "fast")

#: Below this many gate and NOT nodes, starting worker processes costs more than it saves.
PARALLEL_MIN_NODES = 8192


def unavailable_reason() -> str | None:
    """None when llvmlite can JIT here, else why not."""
    try:
        _initialize()
    except ImportError:
        return "llvmlite is not installed (pip install llvmlite)"
    except Exception as exc:  # noqa: BLE001  (llvmlite raises plain RuntimeErrors)
        return f"llvmlite cannot JIT on this machine: {exc}"
    return None


@cache  # LLVM's native target is initialised once per process
def _initialize():
    import llvmlite.binding as llvm

    llvm.initialize_native_target()
    llvm.initialize_native_asmprinter()
    return llvm


def host_vector_bits() -> int:
    """The widest integer vector the host CPU's features allow (LLVM's view of the CPU)."""
    from .native import vector_bits_from_features

    try:
        llvm = _initialize()
    except ImportError:
        from .native import cpu_flags

        return vector_bits_from_features(cpu_flags())
    features = llvm.get_host_cpu_features()
    return vector_bits_from_features(name for name, on in features.items() if on)


def _target_machine(opt: int):
    """A target machine for this CPU at codegen level ``opt``."""
    llvm = _initialize()
    target = llvm.Target.from_default_triple()
    return target.create_target_machine(cpu=llvm.get_host_cpu_name(), features=llvm.get_host_cpu_features().flatten(),
                                        opt=opt, jit=True)


class Engine:
    """The JIT engine holding one net's machine code (kept alive by the kernel)."""

    def __init__(self, engine, addresses: dict[str, int]):
        self._engine = engine
        self._addresses = addresses

    def get_function_address(self, name: str) -> int:
        """Address of an entry point."""
        if name not in self._addresses:
            raise BuildError(f"the JIT-compiled module has no function {name!r}")
        return self._addresses[name]


def split_parts(source: str) -> tuple[list[str], str]:
    """The part modules of an emitted module (see :func:`.llvm.emit_llvm`) and its driver."""
    from .abi import DRIVER_MARK, PART_MARK

    body, _, driver = source.partition("\n" + DRIVER_MARK + "\n")
    parts = body.split("\n" + PART_MARK)[1:]
    return [PART_MARK + part for part in parts], driver


def compile_module(source: str, logic_nodes: int, codegen: str = "auto", jobs: int | None = None,
                   entry_points=("gatecc_words", "gatecc_eval", "gatecc_info")) -> Engine:
    """JIT-compile an emitted module; ``codegen`` is "auto" (by size), "full" or "fast".

    A fully optimised module is compiled whole.  Otherwise its parts are
    compiled apart, by ``jobs`` worker processes (default: one per core)
    when the module is big and there is more than one core, and linked
    with the driver.  Object code is cached on disk
    (:func:`gatecc.cache.cache_dir`), so compiling the same net again only
    links.
    """
    from .native import default_threads

    if codegen not in CODEGEN:
        raise TargetError(f"codegen must be one of {', '.join(CODEGEN)}, not {codegen!r}")
    full = codegen == "full" or (codegen == "auto" and logic_nodes <= FULL_OPT_NODES)
    parts, driver = split_parts(source)
    if full or len(parts) < 2:
        objects = _objects([source], 3 if full else 0, full, parallel=False)
        return _link(None, 0, objects, entry_points)
    jobs = min(jobs or default_threads(), len(parts)) if logic_nodes >= PARALLEL_MIN_NODES else 1
    units = ["\n".join(parts[j::jobs]) for j in range(jobs)]
    return _link(driver, len(parts), _objects(units, 0, False, parallel=jobs > 1), entry_points)


def _object_path(text: str, level: int, full: bool):
    """Where the object code of ``text`` at these settings is cached."""
    import hashlib

    from ..cache import cache_dir

    llvm = _initialize()
    key = "\0".join([text, str(level), str(full), llvm.get_host_cpu_name(), llvm.get_host_cpu_features().flatten(),
                     ".".join(map(str, llvm.llvm_version_info))])
    return cache_dir() / f"llvm-{hashlib.sha256(key.encode()).hexdigest()[:32]}.o"


def _objects(units: list[str], level: int, full: bool, parallel: bool) -> list[bytes]:
    """Object code of each unit: from the cache, else compiled (in workers if ``parallel``) and cached."""
    import os
    import tempfile

    from .llvm_worker import compile_object

    paths = [_object_path(u, level, full) for u in units]
    objects: list = []
    for path in paths:
        try:
            objects.append(path.read_bytes())
        except OSError:
            objects.append(None)
    missing = [k for k, o in enumerate(objects) if o is None]
    if not missing:
        return objects
    compiled = _compile_in_workers([units[k] for k in missing], level, full) if parallel and len(missing) > 1 else None
    if compiled is None:
        try:
            compiled = [compile_object(units[k], level, full) for k in missing]
        except RuntimeError as exc:
            first = str(exc).strip().splitlines()
            raise BuildError(f"LLVM rejected the module: {first[0] if first else exc}") from None
    for k, data in zip(missing, compiled):
        objects[k] = data
        try:
            paths[k].parent.mkdir(parents=True, exist_ok=True)
            with tempfile.NamedTemporaryFile(dir=paths[k].parent, prefix=".llvm-", delete=False) as tmp:
                tmp.write(data)
            os.replace(tmp.name, paths[k])
        except OSError:
            pass  # an unwritable cache only costs time
    return objects


def _compile_in_workers(texts: list[str], level: int, full: bool) -> list[bytes] | None:
    """Object code of ``texts``, one worker process each; None if a worker could not do its part."""
    import subprocess
    import sys

    command = [sys.executable, "-m", "gatecc.backends.llvm_worker", str(level), "1" if full else "0"]
    try:
        procs = [subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
                 for _ in texts]
    except OSError:
        return None
    results: list = [None] * len(procs)

    def feed(k):  # one thread per worker, so no pipe fills up while another is written
        results[k] = procs[k].communicate(texts[k].encode())

    feeders = [threading.Thread(target=feed, args=(k,)) for k in range(len(procs))]
    for t in feeders:
        t.start()
    for t in feeders:
        t.join()
    if any(p.returncode != 0 for p in procs):
        return None
    return [out for out, _ in results]


def _link(driver: str | None, n_parts: int, objects: list[bytes], entry_points) -> Engine:
    """A JIT engine holding ``objects`` and, compiled here, the driver that calls the parts."""
    llvm = _initialize()
    declarations = "\n".join(f"declare void @gatecc_part{k}(ptr, ptr, ptr)" for k in range(n_parts))
    module = llvm.parse_assembly((driver or "") + "\n" + declarations + "\n", context=llvm.create_context())
    machine = _target_machine(0)
    module.triple = machine.triple
    module.data_layout = str(machine.target_data)
    engine = llvm.create_mcjit_compiler(module, machine)
    for data in objects:
        engine.add_object_file(llvm.ObjectFileRef.from_data(data))
    engine.finalize_object()
    addresses = {name: engine.get_function_address(name) for name in entry_points}
    missing = [name for name, address in addresses.items() if not address]
    if missing:
        raise BuildError(f"the JIT-compiled module lacks {', '.join(missing)}")
    return Engine(engine, addresses)


@cache  # one runtime per process and width, shared by every net of that width
def _runtime(vector_bits: int) -> tuple[Engine, int]:
    from .llvm_runtime import runtime_ir
    from .native import ABI_VERSION, read_info

    engine = compile_module(runtime_ir(vector_bits), 0, "full", entry_points=("gatecc_rt_run", "gatecc_rt_info"))
    info = read_info(engine.get_function_address("gatecc_rt_info"), 2)
    if info != (ABI_VERSION, vector_bits // 64):
        raise BuildError(f"the LLVM runtime does not match this gatecc (info {tuple(info)})")
    return engine, engine.get_function_address("gatecc_rt_run")


def runtime_run(vector_bits: int) -> int:
    """Address of the LLVM runtime's ``gatecc_rt_run`` for ``vector_bits``-bit words."""
    return _runtime(vector_bits)[1]
