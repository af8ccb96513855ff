"""The contracts between the emitters and the runtimes that run their code, defined once.

Both native runtimes (``runtime.c``, compiled by the C backend, and
:mod:`.llvm_runtime`, generated for the LLVM backend) read the same net
descriptor; ``runtime.c`` gets its field indices from :func:`c_definitions`
(spliced in where it says ``@GATECC_ABI@``), :mod:`.llvm_runtime` imports
them.  The LLVM module's part markers and the WGSL shader's bindings live
here too, so that no emitter imports its runtime or the other way round.
"""

from __future__ import annotations

#: Version of the native kernel ABI (descriptor and ``gatecc_info``); bump on any change.
ABI_VERSION = 1

#: The uint64 fields of the net descriptor, in order; (start plane, width) per output follow.
DESCRIPTOR_FIELDS = ("abi", "lanes", "words_fn", "n_in", "n_planes", "n_out", "tile_words", "scratch_bytes",
                     "counts", "widest")
D_ABI, D_LANES, D_WORDS_FN, D_N_IN, D_N_PLANES, D_N_OUT, D_TILE_WORDS, D_SCRATCH_BYTES, D_COUNTS, D_WIDEST = range(
    len(DESCRIPTOR_FIELDS))
D_OUTPUTS = len(DESCRIPTOR_FIELDS)

#: Order of the values a generated module's ``gatecc_info`` writes.
INFO_FIELDS = ("abi", "lanes", "n_inputs", "n_planes", "n_outputs", "n_slots", "tile_words", "work_bytes", "counts")

#: Lines of an LLVM module that start each independently compiled part, and its driver.
PART_MARK = "; gatecc-part "
DRIVER_MARK = "; gatecc-driver"

#: WGSL: invocations per workgroup (each handles one u32 word, 32 samples).
WORKGROUP_SIZE = 64

#: WGSL: binding numbers of the compute shader's resources (group 0).
BINDING_PARAMS, BINDING_IN, BINDING_OUT, BINDING_MID = 0, 1, 2, 3


def c_definitions() -> str:
    """The descriptor indices and ABI version as C, for ``runtime.c``."""
    names = ", ".join(f"D_{name.upper()}" for name in DESCRIPTOR_FIELDS)
    return f"enum {{ {names}, D_OUTPUTS }};\n#define ABI {ABI_VERSION}"
