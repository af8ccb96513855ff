"""Time to a ready LLVM-JIT kernel for the 48k-gate MNIST-shaped net, and its throughput.

    python benchmarks/llvm_ready.py

"Ready" is gatecc.compile (lowering, -O2 passes, LLVM codegen, load) plus a
first call, with the build cache off; throughput is end to end from a bool
array, 65536 samples per call.  Prints one line per word width (64-bit words,
and the host's widest); `benchmarks/run.py` has the full table with baselines.
"""

import time

import numpy as np
from pipeline import random_net

import gatecc


def main() -> None:
    """Print ready time and samples/s for 64-bit and host-width words."""
    net = random_net(400, 8000, 6, 10)
    x = np.random.default_rng(0).integers(0, 2, (1 << 16, 400), dtype=np.uint8).astype(bool)
    for bits in (64, None):
        options = {} if bits is None else {"vector_bits": bits}
        start = time.perf_counter()
        kernel = gatecc.compile(net, target="llvm", cache=False, **options)
        kernel(x[:1])
        ready = time.perf_counter() - start
        kernel(x)
        start, samples = time.perf_counter(), 0
        while time.perf_counter() - start < 2:
            kernel(x)
            samples += len(x)
        rate = samples / (time.perf_counter() - start)
        print(f"llvm, {'host-width' if bits is None else bits}-bit words: ready {ready:.2f} s, {rate:.3g} samples/s")


if __name__ == "__main__":
    main()
