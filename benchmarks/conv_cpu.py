"""The C loop form of the MNIST CNN: CPU time per call, this tree against a base revision, same process.

    python benchmarks/conv_cpu.py [--base REV] [--batch 2048,8192] [--threads 1] [--rounds 10] [--calls 20]

On a machine shared with other jobs wall-clock rates swing by 2x between runs; the CPU time a call takes
(``time.thread_time`` on one thread, ``time.process_time`` with more) swings far less, since time spent
descheduled is not counted (what other jobs do to the caches still is).  The script builds the model of
``benchmarks/conv.py --models mnist`` (torchlogix's ``models.conv.CNN``, random gates), optimises it once
(-O2), then builds its loop form twice: with this tree's ``backends/runtime.c`` and
``backends/stencil_program_c.py``, and with those two files as they are at ``--base`` (the rest of the
package is this tree's).  Per round each build is called ``--calls`` times per batch size, alternating; a
round's figure is each build's fastest call; the script prints every round and the median of the rounds'
base/new ratios.  Outputs of the two builds are checked equal.

A batch of 2048 rows (1.6 MB of bool bytes) stays in the caches between calls; one of 8192 (6.4 MB) is
read from memory on a busy machine, which is then what a call waits on.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT))


def base_kernel(plan_, rev: str):
    """The loop form built with ``runtime.c`` and ``stencil_program_c.py`` of revision ``rev``."""
    from gatecc.backends import c_runtime, cbuild
    from gatecc.backends.abi import c_definitions
    from gatecc.backends.native import NET_CDEF, RUNTIME_CDEF

    def show(path):
        return subprocess.run(["git", "-C", str(ROOT.parent), "show", f"{rev}:{path}"], capture_output=True,
                              text=True, check=True).stdout

    with tempfile.TemporaryDirectory() as tmp:       # the base emitter, as a module of gatecc.backends
        path = Path(tmp) / "base_stencil_program_c.py"
        path.write_text(show("backends/stencil_program_c.py"))
        spec = importlib.util.spec_from_file_location("gatecc.backends._base_stencil_program_c", path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    runtime = show("backends/runtime.c").replace("@GATECC_ABI@", c_definitions())

    def bind(source, vector_bits):
        rffi, rlib = cbuild.load_library(runtime, RUNTIME_CDEF, flags=(*c_runtime.RUNTIME_FLAGS,
                                                                       f"-DGATECC_VECTOR_BYTES={vector_bits // 8}"))
        ffi, lib = cbuild.load_library(source, NET_CDEF)
        return ((lambda name: cbuild.function_address(ffi, lib, name)),
                cbuild.function_address(rffi, rlib, "gatecc_rt_run"), (ffi, lib, rffi, rlib),
                cbuild.function_address(rffi, rlib, "gatecc_rt_run_threads"))

    return module.native_program(plan_, "c", {}, module.emit_program_c, bind).native


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--base", default="HEAD", help="revision whose runtime.c and stencil_program_c.py to compare")
    ap.add_argument("--batch", default="2048,8192", help="batch sizes (rows), comma-separated")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--rounds", type=int, default=10)
    ap.add_argument("--calls", type=int, default=20, help="calls of each build per batch size and round")
    args = ap.parse_args()
    import conv

    from gatecc.backends.stencil_program import plan
    from gatecc.backends.stencil_program_c import load_c
    from gatecc.spatial_compile import as_program, optimise_program
    from peer_models import torch

    with tempfile.TemporaryDirectory() as tmp:
        os.environ["GATECC_CACHE_DIR"] = str(Path(tmp) / "cache")
        model, _ = conv.torchlogix_model("mnist")
        torch.save(model, Path(tmp) / "mnist.pt")
        import gatecc

        program, _ = optimise_program(as_program(gatecc.load(Path(tmp) / "mnist.pt")), 2)
        p = plan(program)
        kernels = {"base": base_kernel(p, args.base), "new": load_c(p).native}
    clock = time.thread_time if args.threads == 1 else time.process_time
    batches = [int(b) for b in args.batch.split(",")]
    xs = {b: np.random.default_rng(1).integers(0, 2, (b, program.n_inputs), dtype=np.uint8) for b in batches}
    for b, x in xs.items():
        assert np.array_equal(kernels["base"].run_samples(x, None), kernels["new"].run_samples(x, None))
    for k in kernels.values():
        k.threads = args.threads
    print(f"# base {args.base}, {args.threads} thread(s), CPU time per call ({clock.__name__}), best of {args.calls}")
    ratios = {b: [] for b in batches}
    for r in range(args.rounds):
        line = []
        for b, x in xs.items():
            best = dict.fromkeys(kernels, float("inf"))
            for _ in range(args.calls):
                for name, k in kernels.items():
                    t0 = clock()
                    k.run_samples(x, None)
                    best[name] = min(best[name], clock() - t0)
            ratios[b].append(best["base"] / best["new"])
            line.append(f"batch {b}: base {b / best['base']:,.0f}/s new {b / best['new']:,.0f}/s "
                        f"new/base {ratios[b][-1]:.3f}")
        print(f"round {r}: " + "   ".join(line) + f"   load {os.getloadavg()[0]:.1f}", flush=True)
    for b in batches:
        print(f"batch {b}: median new/base {np.median(ratios[b]):.3f} over {args.rounds} rounds")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
