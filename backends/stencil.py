"""The stencil renderer's front: the fused multi-step engine of a self-map Conv, and compiled programs.

* :class:`StencilEngine` steps boards of a cellular automaton whose rule is
  one :class:`~gatecc.ir.spatial.program.Conv` stage mapping C bit planes of
  H x W to C planes of the same shape (3x3 window, padding 1, stride 1,
  boundary "torus" or "zero"): N steps in one call of generated code
  (``target`` "c": :mod:`.stencil_c`; "llvm": :mod:`.stencil_llvm`;
  "wgsl": :mod:`.stencil_wgsl`),
  synchronous or asynchronous (the fire mask of :mod:`gatecc.ir.spatial.firing`).
  The Game of Life engine (:class:`gatecc.life.engines.FusedCEngine`) is its
  C = 1 torus case.
* :func:`compile_program` compiles a whole spatial program (see
  :mod:`.stencil_program`).

See docs/backends.md, "The stencil renderer".
"""

from __future__ import annotations

import os

import numpy as np

from ..errors import InputError, ModelError, TargetError
from ..ir.spatial import firing

#: Words of a step each thread gets at least: a board of fewer than twice
#: this many words steps on one thread whatever ``threads`` asks for.  Such a
#: step takes well under a millisecond, less than what handing work to a
#: second thread every step costs once the machine is busy (measured: 2
#: threads on a loaded 2-core machine ran a 512x512 board 300x slower than 1,
#: benchmarks/threads_load.py).
THREAD_MIN_WORDS = 1 << 15

#: The C type of the LLVM engine's entry point (the C engine's ``gatecc_stencil``).
LLVM_SIGNATURE = "void(*)(uint64_t *, uint64_t *, size_t, size_t, size_t, uint32_t, uint32_t, int)"

#: Targets the fused engine is generated for.
ENGINE_TARGETS = ("c", "llvm", "wgsl")


def passive_openmp() -> None:
    """Make OpenMP's idle threads sleep instead of spinning (unless the user chose a policy).

    Spinning threads steal the core another process needs, and a spinning
    team on a busy core waits a whole time slice for its last member.
    libgomp reads these variables once, when it is loaded, so this runs
    before the first engine library is.
    """
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    os.environ.setdefault("GOMP_SPINCOUNT", "0")


def check_self_map(conv, height: int, width: int) -> tuple[int, object]:
    """(channels, legal kernel) of a Conv the engine can step; :class:`ModelError` naming what is not."""
    from .target import legalize

    if getattr(conv, "kind", None) != "conv":
        raise ModelError(f"the stencil engine steps one Conv stage, not {type(conv).__name__}")
    for what, value, want in (("size", conv.size, (3, 3)), ("padding", conv.padding, (1, 1)),
                              ("stride", conv.stride, (1, 1))):
        if tuple(value) != want:
            raise ModelError(f"the stencil engine needs a 3x3 window with padding 1 and stride 1, got {what} "
                             f"{tuple(value)}")
    if conv.boundary not in ("torus", "zero"):
        raise ModelError(f"unknown boundary {conv.boundary!r} (torus or zero)")
    kernel = legalize(conv.kernel)
    channels = kernel.n_outputs
    if kernel.n_inputs != len(conv.window):
        raise ModelError(f"the kernel has {kernel.n_inputs} inputs for a window of {len(conv.window)} entries")
    if channels < 1 or any(kernel.is_count(o) for o in kernel.outputs):
        raise ModelError("a stencil kernel's outputs are the output channels: one or more bits, no counts")
    for entry in conv.window:
        if len(entry) != 3 or not 0 <= entry[0] < channels or not all(0 <= d < 3 for d in entry[1:]):
            raise ModelError(f"window entry {tuple(entry)} is outside the 3x3 field of {channels} channel(s) "
                             "(a self-map reads the channels it writes)")
    for name, n in (("height", height), ("width", width)):
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
            raise InputError(f"board {name} must be a positive integer, not {n!r}")
    return channels, kernel


class StencilEngine:
    """N steps of a self-map Conv over one board of C bit planes, in generated code.

    ``StencilEngine(conv, height, width, target="c", threads=None)``;
    :meth:`run` takes and returns (C, H, W) uint8 0/1 planes, :meth:`run_words`
    the packed form (C, H, ceil(W/64)) uint64 (cell x is bit x % 64 of word
    x // 64).  ``threads`` (C: default every core) is a ceiling: each thread
    gets at least :data:`THREAD_MIN_WORDS` words of a step.
    """

    def __init__(self, conv, height: int, width: int, target: str = "c", threads: int | None = None):
        if target not in ENGINE_TARGETS:
            raise TargetError(f"the stencil engine has no target {target!r} (targets: {', '.join(ENGINE_TARGETS)})")
        self.channels, self.kernel = check_self_map(conv, height, width)
        self.conv, self.height, self.width = conv, int(height), int(width)
        self.target, self.threads = target, threads
        self.words = (self.width + 63) // 64
        if target == "c":
            from .cbuild import load_library
            from .stencil_c import STENCIL_CDEF, STENCIL_FLAGS, emit_stencil_c

            passive_openmp()
            self.source = emit_stencil_c(self.kernel, conv.window, self.channels, conv.boundary, self.height,
                                         self.width)
            ffi, lib = load_library(self.source, STENCIL_CDEF, flags=STENCIL_FLAGS)
            self._keep, self._fn, self._set_threads = (ffi, lib), lib.gatecc_stencil, lib.gatecc_stencil_threads
        elif target == "llvm":
            from .llvm import host_vector_bits
            from .llvm_jit import compile_module
            from .native import function_at
            from .stencil_llvm import emit_stencil_llvm

            self.source = emit_stencil_llvm(self.kernel, conv.window, self.channels, conv.boundary, self.height,
                                            self.width, host_vector_bits())
            self._keep = compile_module(self.source, 0, "full", entry_points=("gatecc_stencil",))
            self._fn = function_at(self._keep.get_function_address("gatecc_stencil"), LLVM_SIGNATURE)
            self._set_threads = lambda n: None          # one thread: llvmlite has no OpenMP runtime
        else:
            from .stencil_wgsl import WgslStencil

            self._gpu = WgslStencil(self.kernel, conv.window, self.channels, conv.boundary, self.height, self.width)
            self.source = self._gpu.source

    def _threads_for(self, words: int) -> int:
        wanted = self.threads or os.cpu_count() or 1
        return max(1, min(wanted, words // THREAD_MIN_WORDS))

    def run(self, planes: np.ndarray, steps: int, fire_rate=None, seed: int = 0) -> np.ndarray:
        """The (C, H, W) uint8 planes after ``steps`` steps (asynchronous when ``fire_rate`` is given)."""
        planes = self._check_planes(planes)
        words = pack_planes(planes)
        return unpack_planes(self.run_words(words, steps, fire_rate, seed), self.width)

    def run_words(self, words: np.ndarray, steps: int, fire_rate=None, seed: int = 0) -> np.ndarray:
        """:meth:`run` on packed planes (C, H, ceil(W/64)) uint64; unused bits of the last word must be 0."""
        shape = (self.channels, self.height, self.words)
        words = np.asarray(words)
        if words.shape != shape or words.dtype != np.uint64:
            raise InputError(f"packed planes must be uint64 of shape {shape}, not {words.dtype} {words.shape}")
        if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or steps < 0:
            raise InputError(f"steps must be a non-negative integer, not {steps!r}")
        seed = firing.check_seed(seed)
        threshold = 0 if fire_rate is None else firing.threshold(fire_rate)
        if self.target == "wgsl":
            return self._gpu.run(words, int(steps), fire_rate is not None, seed, threshold)
        from .stencil_c import plane_words

        plane = plane_words(self.height, self.width)
        s, h = self.words + 2, self.height
        board = np.zeros(self.channels * plane, dtype=np.uint64)
        interior = board.reshape(self.channels, plane)[:, :(h + 2) * s].reshape(self.channels, h + 2, s)
        interior[:, 1:-1, 1:-1] = words
        scratch = np.zeros_like(board)
        from .native import _ffi

        ffi = _ffi()
        self._set_threads(self._threads_for(self.channels * h * self.words))
        self._fn(ffi.from_buffer("uint64_t[]", board), ffi.from_buffer("uint64_t[]", scratch),
                 h, self.width, int(steps), seed, threshold, int(fire_rate is not None))
        return np.ascontiguousarray(interior[:, 1:-1, 1:-1])

    def _check_planes(self, planes) -> np.ndarray:
        planes = np.asarray(planes)
        shape = (self.channels, self.height, self.width)
        if planes.shape != shape:
            raise InputError(f"planes must have shape {shape} (channels, height, width), not {planes.shape}")
        if planes.dtype != bool and (planes.dtype.kind not in "ui" or planes.size and planes.max(initial=0) > 1
                                     or planes.size and planes.min(initial=0) < 0):
            raise InputError(f"planes must be 0/1 integers or bools, not {planes.dtype} values outside 0..1")
        return planes.astype(np.uint8)


def pack_planes(planes: np.ndarray) -> np.ndarray:
    """(C, H, W) 0/1 -> (C, H, ceil(W/64)) uint64, cell x in bit x % 64 of word x // 64, unused bits 0."""
    c, h, w = planes.shape
    nw = (w + 63) // 64
    padded = np.zeros((c, h, nw * 64), dtype=np.uint8)
    padded[:, :, :w] = planes
    packed = np.packbits(padded, axis=2, bitorder="little")
    return np.ascontiguousarray(packed).view("<u8").astype(np.uint64, copy=False)


def unpack_planes(words: np.ndarray, width: int) -> np.ndarray:
    """(C, H, NW) uint64 -> (C, H, width) uint8."""
    words = np.ascontiguousarray(words, dtype=np.uint64).astype("<u8", copy=False)
    return np.unpackbits(words.view(np.uint8), axis=2, bitorder="little")[:, :, :width]


#: Targets a spatial program compiles for.
PROGRAM_TARGETS = ("c", "llvm", "wgsl")


def compile_program(program, target: str = "c", **options):
    """A spatial program compiled for ``target``: a :class:`.stencil_program.ProgramKernel`.

    ``kernel.run(x)`` takes (N, n_inputs) 0/1 and returns what
    ``ir.spatial.evaluate.evaluate_program`` does (uint8 bits, int32 when an
    output is a count).  Options: ``vector_bits`` and ``chunk_nodes`` (c, llvm),
    ``chunk_nodes`` (wgsl).  See :mod:`.stencil_program`.
    """
    if target not in PROGRAM_TARGETS:
        raise TargetError(f"spatial programs compile for {', '.join(PROGRAM_TARGETS)}, not {target!r}")
    from .stencil_program import plan

    if target == "c":
        from .stencil_program_c import load_c

        return load_c(plan(program), **options)
    if target == "llvm":
        from .stencil_program_llvm import load_llvm

        return load_llvm(plan(program), **options)
    from .stencil_program_wgsl import load_wgsl

    return load_wgsl(plan(program), **options)
