"""Convolutional LGNs: gatecc's loop form against gatecc unrolled and torchlogix's compiled circuit.

    python benchmarks/conv.py [--models mnist,mnist56,cifar] [--unrolled mnist] [--standin mnist] [--batch 8192] [-O 2]
                              [--repeats 7] [--calls 3]

Models (random gates, as torchlogix initialises them with ``weight_init="random"``):

* ``mnist``: torchlogix's own ``torchlogix.models.conv.CNN`` (28x28x1; conv 16 kernels depth 3 rf 5,
  OR pool 2; conv 48 rf 3, pool 2 pad 1; conv 144 rf 3, pool 2 pad 1; dense 20480, 10240, 5120; GroupSum 10);
* ``mnist56``: the same layers on 56x56 inputs (the loop build should not grow with the image);
* ``cifar``: a CIFAR-sized variant, 32x32x3 images with 2 threshold bits per channel (6 bit channels),
  the layer shape of torchlogix's ``ClgnCifar10`` with k = 8 (convs 8, 32, 128, 256 rf 3 pad 1, each
  followed by OR pool 2; dense 10240, 5120, 2560; GroupSum 10).

Each model is built by torchlogix, saved with ``torch.save`` and read by gatecc without PyTorch.
One run measures, on the same random input bits (bool rows, as torchlogix's compiled circuit takes them):

* build time (s): gatecc loop form (``gatecc.compile(net, "c")``: per-stage -O passes, the stencil
  renderer, cc), gatecc unrolled (``mode="unroll"``: one flat graph through -O and the C backend), and
  the torchlogix stand-in;
* throughput (samples/s) on ``--batch`` bool samples: gatecc loop (all cores: the C runtime's pthreads
  take the batch's tiles one at a time) and on one thread, gatecc unrolled, and the stand-in (one thread,
  as torchlogix runs it), with the 1-minute load average before and after the timing rounds (the figures
  are only comparable within a run on a shared machine).  Each round calls every contender ``--calls``
  times back to back (contenders interleaved); the headline rate is the best call (a stream of batches),
  the "first call" line the best of each round's first call, made with the caches as the previous
  contender left them (the stand-in's 60k-statement function and its pass over the batch).

The stand-in.  torchlogix's ``Circuit.compile(opt_level=1, pack_bits=64)`` needs Python >= 3.12 (and a
PyTorch for it), which this machine lacks, so the script writes the C code torchlogix 0.2.2's
``Circuit.get_c_code(pack_bits=64)`` writes (read in torchlogix/circuit.py) for the same circuit:

* the circuit: gatecc's unrolled, unoptimised program after ``fold,copyprop,cse,dce`` (what
  torchlogix's ``Circuit.simplify()`` does: constant folding, wire bypass, NOT fusion, dedup, dead gates);
* the code: one ``uint64_t g<id> = <expr>;`` statement per gate in one function (64 samples per word,
  inputs read as ``in[k]``, ``inline_single_use`` off as ``compile`` leaves it); the GroupSum's input bits
  copied into ``raw[]``, then per sample ``p`` of the 64 a loop ``s += (int)((raw[i] >> p) & 1)`` per
  class, written as the float ``((float)s + beta) / tau`` (torchlogix's output type when tau != 1);
  ``circuit_bench_bool`` packs the bool rows bit by bit in C and copies the outputs out;
* the build: ``gcc -O1 -shared -fPIC``, as ``Circuit.compile(opt_level=1)`` runs it.  Its build time
  leaves out torchlogix's torch.fx trace and Python passes, so it is a lower bound on torchlogix's.

All outputs are checked equal (and equal to torchlogix's eval() counts on a few rows).  gatecc's build
caches are pointed at a fresh directory, so nothing is reused.  Ratios are against the stand-in.
"""

from __future__ import annotations

import argparse
import ctypes
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))


def torchlogix_model(name: str):
    """The torchlogix model (random gates) and its input shape."""
    from peer_models import torch, torchlogix_layers

    tl = torchlogix_layers()
    torch.manual_seed(0)
    kw = {"parametrization_kwargs": {"weight_init": "random"}}
    if name == "mnist":
        from torchlogix.models.conv import CNN

        return CNN(10, tau=6.5, **kw).eval(), (1, 28, 28)
    if name == "mnist56":
        layers = [tl.LogicConv2d(56, 1, 16, tree_depth=3, receptive_field_size=5, **kw), tl.OrPooling2d(2, 2, 0),
                  tl.LogicConv2d(26, 16, 48, tree_depth=3, receptive_field_size=3, **kw), tl.OrPooling2d(2, 2, 1),
                  tl.LogicConv2d(13, 48, 144, tree_depth=3, receptive_field_size=3, **kw), tl.OrPooling2d(2, 2, 1),
                  torch.nn.Flatten(), tl.LogicDense(144 * 36, 20480, **kw), tl.LogicDense(20480, 10240, **kw),
                  tl.LogicDense(10240, 5120, **kw), tl.GroupSum(10, 6.5)]
        return torch.nn.Sequential(*layers).eval(), (1, 56, 56)
    if name == "cifar":
        k, layers, size, ch = 8, [], 32, 6
        for mult in (1, 4, 16, 32):
            layers += [tl.LogicConv2d(size, ch, k * mult, tree_depth=3, receptive_field_size=3, padding=1, **kw),
                       tl.OrPooling2d(2, 2, 0)]
            size, ch = size // 2, k * mult
        layers += [torch.nn.Flatten(), tl.LogicDense(ch * 4, 1280 * k, **kw), tl.LogicDense(1280 * k, 640 * k, **kw),
                   tl.LogicDense(640 * k, 320 * k, **kw), tl.GroupSum(10, 20.0)]
        return torch.nn.Sequential(*layers).eval(), (6, 32, 32)
    raise SystemExit(f"unknown model {name!r}")


#: torchlogix's ``Circuit.simplify()`` (constant folding, wire bypass, NOT fusion, dedup, dead gates) in gatecc passes.
STANDIN_PASSES = "fold,copyprop,cse,dce"


def standin_source(graph, tau: float, beta: float) -> str:
    """The C torchlogix's ``Circuit.get_c_code(pack_bits=64)`` writes for a circuit whose outputs are GroupSums.

    Same code shape (torchlogix 0.2.2, circuit.py): one ``uint64_t g<id> = <expr>;`` per gate of the flat
    circuit, inputs read as ``in[k]``; the sum reductions' input bits copied into ``raw[]``; then per
    sample p of the 64 a loop ``s += (int)((raw[i] >> p) & 1)`` per class, written as the float
    ``((float)s + beta) / tau`` (tau != 1 makes its outputs float); ``circuit_bench_bool`` packs the bool
    rows bit by bit in C and copies the per-sample outputs out.
    """
    from gatecc.backends.c import node_expression
    from gatecc.ir.graph import Op

    n_in, k = graph.n_inputs, graph.n_outputs

    def var(x):
        if graph.op[x] == Op.CONST:
            return "~(uint64_t)0" if graph.arg[x] else "(uint64_t)0"
        return f"in[{x}]" if x < n_in else f"g{x}"

    body = []
    for n in range(n_in, graph.n_nodes):
        if int(graph.op[n]) in (Op.GATE, Op.NOT):
            body.append(f"    uint64_t g{n} = {node_expression(graph, n, var=var)};")
    raw = [x for o in graph.outputs for x in graph.operands[o]]
    body.append(f"    uint64_t raw[{len(raw)}];")
    body += [f"    raw[{i}] = {var(x)};" for i, x in enumerate(raw)]
    body.append("    for (int p = 0; p < 64; p++) {")
    start = 0
    for j, o in enumerate(graph.outputs):
        end = start + len(graph.operands[o])
        body.append(f"        {{ int s = 0; for (int i = {start}; i < {end}; i++) s += (int)((raw[i] >> p) & 1);"
                    f" out[p * {k} + {j}] = ((float)s + {beta!r}f) / {tau!r}f; }}")
        start = end
    body.append("    }")
    return "\n".join([
        "#include <stdbool.h>", "#include <stdint.h>",
        f"void circuit(const uint64_t in[{n_in}], float out[{64 * k}])", "{", *body, "}",
        "void circuit_bench_bool(const bool *in_bool, float *out, int batch_size)", "{",
        f"    int n_iter = batch_size / 64; uint64_t packed_in[{n_in}]; float packed_out[{64 * k}];",
        "    for (int iter = 0; iter < n_iter; iter++) {",
        f"        for (int kk = 0; kk < {n_in}; kk++) {{ uint64_t w = (uint64_t)0;",
        f"            for (int b = 0; b < 64; b++) w |= (uint64_t)in_bool[(iter * 64 + b) * {n_in} + kk] << b;",
        "            packed_in[kk] = w; }",
        "        circuit(packed_in, packed_out);",
        f"        for (int b = 0; b < 64; b++) for (int j = 0; j < {k}; j++)",
        f"            out[(iter * 64 + b) * {k} + j] = packed_out[b * {k} + j];",
        "    }", "}"])


def build_standin(program, tau: float, beta: float, tmp: Path):
    """Unroll, simplify as torchlogix does, write its C, ``gcc -O1 -shared``: (seconds, run(x_bool) -> counts, gates)."""
    from gatecc.backends.render import logic_nodes
    from gatecc.ir.passes import parse_pipeline, run_pipeline
    from gatecc.ir.spatial import unroll

    t0 = time.perf_counter()
    graph, _ = run_pipeline(unroll(program), parse_pipeline(STANDIN_PASSES))
    k = graph.n_outputs
    src = tmp / "standin.c"
    src.write_text(standin_source(graph, tau, beta))
    so = tmp / "standin.so"
    subprocess.run(["gcc", "-O1", "-shared", "-fPIC", "-o", str(so), str(src)], check=True, capture_output=True)
    lib = ctypes.CDLL(str(so))
    lib.circuit_bench_bool.argtypes = [ctypes.POINTER(ctypes.c_bool), ctypes.POINTER(ctypes.c_float), ctypes.c_int]
    seconds = time.perf_counter() - t0

    def run(x):
        x = np.ascontiguousarray(x, dtype=np.bool_)
        out = np.zeros((len(x), k), np.float32)
        lib.circuit_bench_bool(x.ctypes.data_as(ctypes.POINTER(ctypes.c_bool)),
                               out.ctypes.data_as(ctypes.POINTER(ctypes.c_float)), len(x))
        return out

    def counts(out):
        """torchlogix's float scores back to counts, as its eval() is checked: rint(tau * out - beta)."""
        return np.rint(out.astype(np.float64) * tau - beta).astype(np.int32)

    return seconds, run, counts, logic_nodes(graph)


def rates(fns: dict, x, repeats: int, calls: int = 1) -> tuple[dict, dict]:
    """Samples/s of each function over ``repeats`` rounds, ``calls`` back-to-back calls of each per round
    (contenders interleaved, so every one sees the same load on a shared machine).

    Returns (best over the rounds of each round's *first* call, which starts with the caches as the other
    contenders left them; best over every call, the steady rate of a stream of batches).
    """
    first = dict.fromkeys(fns, float("inf"))
    best = dict.fromkeys(fns, float("inf"))
    for _ in range(repeats):
        for key, fn in fns.items():
            for c in range(calls):
                t0 = time.perf_counter()
                fn(x)
                t = time.perf_counter() - t0
                best[key] = min(best[key], t)
                if c == 0:
                    first[key] = min(first[key], t)
    return ({key: len(x) / t for key, t in first.items()}, {key: len(x) / t for key, t in best.items()})


def bench(name: str, args, tmp: Path) -> dict:
    import gatecc
    from conv_peer_models import expected_counts
    from peer_models import torch

    model, shape = torchlogix_model(name)
    torch.save(model, tmp / f"{name}.pt")
    t0 = time.perf_counter()
    net = gatecc.load(tmp / f"{name}.pt")
    load_s = time.perf_counter() - t0
    k = net.groupsum.k
    x = np.random.default_rng(1).integers(0, 2, (args.batch, net.n_inputs), dtype=np.uint8).astype(bool)
    t0 = time.perf_counter()
    loop = gatecc.compile(net, "c", opt_level=args.opt, cache=False)
    loop_s = time.perf_counter() - t0
    y = loop(x)
    row = {"model": name, "shape": "x".join(map(str, shape)), "load_s": load_s, "loop_build_s": loop_s,
           "threads": loop.threads}
    ref = expected_counts(model, x[:16].astype(np.uint8), shape, net.groupsum.tau)
    assert np.array_equal(y[:16], ref), f"{name}: the loop form differs from torchlogix's eval()"
    threads = loop.threads

    def loop_1(x):
        loop.threads = 1
        try:
            return loop(x)
        finally:
            loop.threads = threads

    runs = {"loop_rate": loop, "loop_rate_1": loop_1}
    if name in args.unrolled.split(","):
        t0 = time.perf_counter()
        flat = gatecc.compile(net, "c", opt_level=args.opt, mode="unroll", cache=False)
        row["unroll_build_s"] = time.perf_counter() - t0
        assert np.array_equal(flat(x), y), f"{name}: unrolled differs from the loop form"
        runs["unroll_rate"] = flat
    if name in args.standin.split(","):
        sec, run, counts, gates = build_standin(net.to_program(), net.groupsum.tau, 0.0, tmp)   # the models' GroupSum beta is 0
        row.update(standin_build_s=sec, standin_nodes=gates)
        assert np.array_equal(counts(run(x)), y), f"{name}: the stand-in differs from the loop form"
        runs["standin_rate"] = run
    load = os.getloadavg()[0]
    first, steady = rates(runs, x, args.repeats, args.calls)
    row.update(steady)
    row.update({f"{key}_first": v for key, v in first.items()})
    row["load"] = (load, os.getloadavg()[0])       # 1-minute load average before / after the timing rounds
    return row


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--models", default="mnist,mnist56,cifar")
    ap.add_argument("--batch", type=int, default=8192, help="samples per throughput call (a multiple of 64)")
    ap.add_argument("-O", dest="opt", type=int, default=2, help="gatecc's optimisation level (default 2)")
    ap.add_argument("--repeats", type=int, default=7, help="interleaved timing rounds (best of each)")
    ap.add_argument("--calls", type=int, default=3,
                    help="back-to-back calls of each contender per round (default 3): the steady rate is the best "
                         "of all calls, the first-call rate the best of each round's first call")
    ap.add_argument("--unrolled", default="mnist", metavar="MODELS",
                    help="models to also build unrolled (its -O passes and cc take minutes; default mnist)")
    ap.add_argument("--standin", default="mnist", metavar="MODELS",
                    help="models to build the torchlogix stand-in for (gcc -O1 on one function of every gate "
                         "takes over ten minutes for mnist; default mnist)")
    ap.add_argument("--quick", action="store_true", help="mnist only, batch 2048, one repeat")
    args = ap.parse_args()
    if args.quick:
        args.models, args.batch, args.repeats, args.unrolled, args.standin = "mnist", 2048, 1, "", ""
    args.batch = max(64, args.batch // 64 * 64)
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["GATECC_CACHE_DIR"] = str(Path(tmp) / "cache")       # nothing reused from earlier runs
        from gatecc.backends.c_runtime import pack_path
        from gatecc.backends.c import host_vector_bits

        print(f"# {platform.processor() or platform.machine()}, {os.cpu_count()} cores "
              f"({len(os.sched_getaffinity(0))} usable), batch {args.batch}, gatecc -O{args.opt}, "
              f"packing {pack_path(host_vector_bits())}")
        rows = [bench(m, args, Path(tmp)) for m in args.models.split(",")]
    nan = float("nan")
    for r in rows:
        sb, sr = r.get("standin_build_s", nan), r.get("standin_rate", nan)
        print(f"\n{r['model']} ({r['shape']}): load {r['load_s']:.2f} s; stand-in circuit "
              f"{r.get('standin_nodes', '-')} nodes")
        print(f"  build s    loop {r['loop_build_s']:8.2f}   unrolled {r.get('unroll_build_s', nan):8.2f}"
              f"   torchlogix stand-in {sb:8.2f}   stand-in/loop {sb / r['loop_build_s']:.1f}x")
        print(f"  samples/s  loop {r['loop_rate']:10.0f} unrolled {r.get('unroll_rate', nan):10.0f}"
              f" torchlogix stand-in {sr:10.0f}   loop/stand-in {r['loop_rate'] / sr:.1f}x "
              f"({r['threads']} threads)")
        print(f"  samples/s  loop on 1 thread {r['loop_rate_1']:10.0f}   loop(1 thread)/stand-in "
              f"{r['loop_rate_1'] / sr:.1f}x")
        sf = r.get("standin_rate_first", nan)
        print(f"  first call of a round (caches as the other contenders left them): loop {r['loop_rate_first']:10.0f}"
              f" ({r['loop_rate_first'] / sf:.1f}x), 1 thread {r['loop_rate_1_first']:10.0f}"
              f" ({r['loop_rate_1_first'] / sf:.1f}x), stand-in {sf:10.0f}")
        print(f"  load average (1 min) {r['load'][0]:.2f} before, {r['load'][1]:.2f} after the timing rounds")
    by = {r["model"]: r for r in rows}
    if "mnist" in by and "mnist56" in by:
        print(f"\nloop build 56x56 / 28x28: {by['mnist56']['loop_build_s'] / by['mnist']['loop_build_s']:.2f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
