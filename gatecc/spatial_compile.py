"""Compiling spatial programs (conv nets): optimise each stage's graph, then the loop form or the unrolled graph.

``gatecc.compile(model)`` comes here for a :class:`~gatecc.convnet.ConvNet`
or a :class:`~gatecc.ir.spatial.Program`:

* every conv kernel graph and the dense head's graph run through the
  ``-O`` pipeline (or ``passes``) on their own: the kernel is optimised
  once, not once per position;
* ``mode="loop"`` (the default where the target has it: c, llvm, wgsl) compiles
  the program with the stencil renderer (:mod:`gatecc.backends.stencil_program`):
  each conv / pool stage one loop over output positions, so build time does
  not grow with the image;
* ``mode="unroll"`` (and every other target) unrolls the optimised program
  into one flat graph (:func:`gatecc.ir.spatial.unroll`) and compiles that
  like any net.

The result takes (batch, C, H, W) or (batch, C*H*W) bool / 0/1 arrays.
"""

from __future__ import annotations

import dataclasses
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from .errors import InputError, ModelError, TargetError
from .ir.spatial.program import Dense, Program
from .ir.spatial.verify import verify_program

MODES = ("loop", "unroll")


def is_spatial(model) -> bool:
    """True for a ConvNet or a spatial Program."""
    from .convnet import ConvNet

    return isinstance(model, (ConvNet, Program))


def as_program(model) -> Program:
    """The (hard) spatial program of a ConvNet or Program, verified."""
    program = model if isinstance(model, Program) else model.to_program()
    verify_program(program)
    return program


def optimise_program(program: Program, opt_level: int = 2, passes: str | None = None, head=None):
    """``program`` with every conv kernel and dense graph optimised; returns (program, per-stage pass stats).

    ``head`` (argmax, threshold:T, counts) is built into the last dense stage's graph first.
    """
    from .compiler import with_head
    from .ir.passes import opt_pipeline, parse_pipeline, run_pipeline

    pipeline = opt_pipeline(opt_level) if passes is None else parse_pipeline(passes)
    stages, stats = [], []
    last = len(program.stages) - 1
    for i, st in enumerate(program.stages):
        if st.kind == "conv":
            graph, s = run_pipeline(st.kernel, pipeline)
            st = dataclasses.replace(st, kernel=graph)
        elif st.kind == "dense":
            graph = with_head(st.graph, head) if i == last else st.graph
            graph, s = run_pipeline(graph, pipeline)
            st = Dense(st.src, graph)
        else:
            s = []
        stages.append(st)
        stats.append(s)
    if head not in (None, "counts") and program.stages[-1].kind != "dense":
        raise ModelError(f"head {head!r} needs a GroupSum head; this program ends in a {program.stages[-1].kind} stage")
    return Program(program.input, tuple(stages), program.input_names), stats


def stage_table(program: Program) -> list[dict]:
    """Per stage: kind, output shape, gates of its graph (per position for a conv), positions, total gates."""
    from .ir.stats import graph_stats

    shapes = program.shapes()
    rows = []
    for i, st in enumerate(program.stages):
        shape = shapes[i + 1]
        positions = int(np.prod(shape.spatial)) if shape.rank else 1
        if st.kind in ("conv", "dense"):
            gates = graph_stats(st.kernel if st.kind == "conv" else st.graph).gates
        elif st.kind == "orpool":
            gates = int(np.prod(st.size)) - 1
        else:
            gates = 1 if st.kind == "or" else 0
        per = shape.channels if st.kind in ("orpool", "or") else 1
        rows.append({"stage": i, "kind": st.kind, "src": st.src, "shape": str(shape), "positions": positions,
                     "gates": gates * per, "total": gates * per * positions})
    return rows


class CompiledProgram:
    """A compiled conv net / spatial program.  Call it on (batch, C, H, W) or (batch, C*H*W) bool or 0/1 arrays.

    Returns int32 counts (batch, k) for a GroupSum head, else uint8 bits
    (batch, n_outputs), as :class:`gatecc.compiler.CompiledNet` does.
    ``mode`` is "loop" or "unroll"; ``source`` the generated code;
    ``program`` the optimised program; ``threads`` how many threads split a batch.
    """

    def __init__(self, program: Program, target: str, opt_level: int, mode: str, run, source: str, stats,
                 threads: int | None = None, word_samples: int = 64, native=None):
        self.program, self.target, self.opt_level, self.mode = program, target, opt_level, mode
        self._run, self.source, self.passes = run, source, stats
        #: The loop form's :class:`~gatecc.backends.native.NativeKernel` (c, llvm): it splits a batch itself.
        self.native = native
        from .backends.native import default_threads

        self.threads = threads or default_threads()    # $GATECC_THREADS, else the cores this process may use
        self._word = word_samples

    @property
    def n_inputs(self) -> int:
        """Input bits per sample."""
        return self.program.n_inputs

    @property
    def n_outputs(self) -> int:
        """Outputs per sample."""
        last = self.program.stages[-1]
        return last.graph.n_outputs if last.kind == "dense" else self.program.shapes()[-1].size

    def _rows(self, x) -> np.ndarray:
        x = np.asarray(x)
        dims = (self.program.input.channels, *self.program.input.spatial)
        if x.ndim == 1 + len(dims) and tuple(x.shape[1:]) == dims:
            x = x.reshape(x.shape[0], -1)
        if x.ndim != 2 or x.shape[1] != self.n_inputs:
            raise InputError(f"expected inputs of shape (batch, {', '.join(map(str, dims))}) or "
                             f"(batch, {self.n_inputs}), got {x.shape}")
        if x.dtype == np.bool_:
            return x.view(np.uint8)               # the same bytes: no copy of a large batch
        if x.dtype.kind not in "iuf":
            raise InputError(f"inputs must be bool or 0/1 numbers, not {x.dtype}")
        if x.size and (x.dtype.kind == "f" and not np.isin(x, (0, 1)).all() or x.min() < 0 or x.max() > 1):
            raise InputError("inputs must be 0 or 1")
        return x.astype(np.uint8) if x.dtype != np.uint8 else x

    #: A model's input encoder (raw features -> input bits) and its compiled float entry point (None: bits in).
    encoder = None
    float_entry = None

    def __call__(self, x) -> np.ndarray:
        if self.encoder is None:
            return self.run_bits(x)
        if self.float_entry is None:
            raise TargetError(f"target {self.target!r} has no float entry point for the net's input encoder "
                              "(c, llvm and wgsl have one); call run_bits(net.encoder.encode(x)) instead")
        from .ir.planes import unpack_bits

        x = np.asarray(x)                     # raw features: the comparisons run in generated code
        return self.run_bits(unpack_bits(self.float_entry.planes(x.reshape(len(x), -1)), len(x)))

    def run_bits(self, x) -> np.ndarray:
        """Run on input bits ((batch, C, H, W) or (batch, C*H*W)), bypassing any input encoder."""
        x = self._rows(x)
        if self.native is not None:           # C: pthreads inside one call; LLVM: the kernel's Python threads
            self.native.threads = self.threads
            return self._run(x)
        # Large batches are split across threads in whole vector words (the compiled code releases the GIL).
        step = max(self._word, -(-len(x) // max(1, self.threads)) // self._word * self._word or self._word)
        if self.threads <= 1 or len(x) <= step:
            return self._run(x)
        with ThreadPoolExecutor(self.threads) as pool:
            parts = list(pool.map(self._run, [x[s:s + step] for s in range(0, len(x), step)]))
        return np.concatenate(parts)

    def predict(self, x) -> np.ndarray:
        """The argmax class of each row (ties to the lowest), for a GroupSum head."""
        y = self(x)
        return y.argmax(axis=1).astype(np.int32) if y.shape[0] else np.zeros(0, np.int32)

    def __repr__(self) -> str:
        return (f"<CompiledProgram target={self.target} {self.mode} -O{self.opt_level} "
                f"inputs={self.n_inputs} outputs={self.n_outputs}>")


def loop_targets() -> tuple[str, ...]:
    """Targets that compile the loop form."""
    from .backends.stencil import PROGRAM_TARGETS

    return tuple(PROGRAM_TARGETS)


def compile_spatial(model, target: str, opt_level: int = 2, *, mode: str | None = None, passes: str | None = None,
                    head=None, cache: bool = True, threads: int | None = None, **options) -> CompiledProgram:
    """Compile a ConvNet or Program for ``target`` (see the module docstring).

    A ConvNet with an input encoder (trained by ``gatecc.train``) is called
    on raw features: the float entry point of :mod:`gatecc.backends.float_entry`
    (c, llvm, wgsl) encodes them in generated code.
    """
    compiled = _compile_spatial(model, target, opt_level, mode=mode, passes=passes, head=head, cache=cache,
                                threads=threads, **options)
    encoder = getattr(model, "encoder", None)
    if encoder is not None:
        from .backends.float_entry import TARGETS, load_entry

        compiled.encoder = encoder
        compiled.float_entry = load_entry(target, encoder) if target in TARGETS else None
    return compiled


def _compile_spatial(model, target: str, opt_level: int = 2, *, mode: str | None = None, passes: str | None = None,
                     head=None, cache: bool = True, threads: int | None = None, **options) -> CompiledProgram:
    if mode is not None and mode not in MODES:
        raise TargetError(f"unknown mode {mode!r} (expected one of {', '.join(MODES)})")
    loop_ok = target in loop_targets()
    if mode == "loop" and not loop_ok:
        raise TargetError(f"target {target!r} has no loop form (loop targets: {', '.join(loop_targets())}); "
                          "use mode='unroll'")
    mode = mode or ("loop" if loop_ok else "unroll")
    program, stats = optimise_program(as_program(model), opt_level, passes, head)
    if mode == "loop":
        from .backends.stencil import compile_program

        kernel = compile_program(program, target, **options)
        word = max(64, int(options.get("vector_bits") or getattr(kernel, "word_bits", 64)))
        native = getattr(kernel, "native", None)
        run = kernel.run_rows if native is not None else kernel.run   # rows checked by _rows
        return CompiledProgram(program, target, opt_level, mode, run, kernel.source, stats, threads, word, native)
    from .compiler import compile as compile_graph
    from .ir.spatial.unroll import unroll

    if threads is not None:
        options["threads"] = threads
    net = compile_graph(unroll(program), target, opt_level, cache=cache, **options)
    return CompiledProgram(program, target, opt_level, mode, net.run_bits, net.source, stats, 1)


def program_source(model, target: str, opt_level: int = 2, passes: str | None = None, head=None,
                   **options) -> str:
    """The loop-form source of a ConvNet or Program for ``target`` (c: a C file, llvm: LLVM IR, wgsl: the shader)."""
    from .backends.stencil_program import plan

    if target not in loop_targets():
        raise TargetError(f"target {target!r} has no loop form (loop targets: {', '.join(loop_targets())})")
    program, _ = optimise_program(as_program(model), opt_level, passes, head)
    chunk = {"chunk_nodes": options["chunk_nodes"]} if "chunk_nodes" in options else {}
    if target == "c":
        from .backends.stencil_program_c import emit_program_c

        return emit_program_c(plan(program), options.get("vector_bits"), **chunk)
    if target == "llvm":
        from .backends.stencil_program_llvm import emit_program_llvm

        return emit_program_llvm(plan(program), options.get("vector_bits"), **chunk)
    from .backends.stencil_program_wgsl import emit_program_wgsl

    return emit_program_wgsl(plan(program), **chunk)[0]
