"""Compiling LLVM IR text to an object file, here or in a worker process.

    python -m gatecc.backends.llvm_worker LEVEL FULL < part.ll > part.o

llvmlite serialises every call into LLVM with one process-wide lock, so
threads cannot compile parts of a module at once; processes can.
:func:`gatecc.backends.llvm_jit.compile_module` starts one per core for big
modules and links the objects into its JIT; it calls :func:`compile_object`
directly otherwise.  Only llvmlite is imported here.
"""

from __future__ import annotations

import sys


def compile_object(text: str, level: int, full: bool) -> bytes:
    """Object code of an IR module for this CPU at codegen ``level``; ``full`` runs the -O2 IR pipeline first.

    Raises RuntimeError (from LLVM) on an invalid module.
    """
    import llvmlite.binding as llvm

    llvm.initialize_native_target()
    llvm.initialize_native_asmprinter()
    module = llvm.parse_assembly(text, context=llvm.create_context())
    module.verify()
    machine = llvm.Target.from_default_triple().create_target_machine(
        cpu=llvm.get_host_cpu_name(), features=llvm.get_host_cpu_features().flatten(), opt=level, jit=True)
    module.triple = machine.triple
    module.data_layout = str(machine.target_data)
    if full:
        builder = llvm.create_pass_builder(machine, llvm.create_pipeline_tuning_options(speed_level=2))
        builder.getModulePassManager().run(module, builder)
    return machine.emit_object(module)


def main() -> int:
    """Compile stdin to an object file on stdout; 1 (with the reason on stderr) on failure."""
    try:
        sys.stdout.buffer.write(compile_object(sys.stdin.read(), int(sys.argv[1]), sys.argv[2] == "1"))
    except (RuntimeError, ValueError, IndexError) as exc:
        sys.stderr.write(f"{exc}\n")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
