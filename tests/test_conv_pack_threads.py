"""The C loop form's bool path: packing rows into planes (AVX2 and portable paths) and pthreads over tiles.

Every check is against the reference evaluator (``evaluate_program``) or, for the NOT map, against 1 - x.
"""

import threading

import numpy as np
import pytest

import gatecc
from gatecc.backends.c_runtime import pack_path
from gatecc.backends.stencil import compile_program
from gatecc.ir.builder import Builder
from gatecc.ir.spatial import Conv, Dense, Flatten, MapShape, OrPool, Program, evaluate_program
from gatecc.testing_spatial import random_kernel

PACK_PATHS = ["auto", "portable"]


def _not_map(channels, spatial):
    """A 1x1 conv whose output channel c is NOT input channel c: output bit i is 1 - input bit i."""
    b = Builder.raw(channels)
    for c in range(channels):
        b.output(b.not_(c))
    window = tuple((c, 0, 0) for c in range(channels))
    return Program(MapShape(channels, spatial), (Conv(0, b.finish(), window, (1, 1), (1, 1), (0, 0)),))


def _cnn(seed=0, channels=2, spatial=(9, 7)):
    """conv 3x3 pad 1 -> fused or-pool 2 -> flatten -> dense with counts."""
    rng = np.random.default_rng(seed)
    window = tuple((c, dy, dx) for c in range(channels) for dy in range(3) for dx in range(3))
    conv = Conv(0, random_kernel(rng, len(window), 4, tree=False), window, (3, 3), (1, 1), (1, 1))
    stages = [conv, OrPool(1, (2, 2), (2, 2), (0, 0))]
    flat = Program(MapShape(channels, spatial), tuple(stages)).shapes()[-1].size
    b = Builder.raw(flat)
    bits = [b.gate(int(rng.integers(0, 16)), int(rng.integers(0, flat)), int(rng.integers(0, flat))) for _ in range(40)]
    for g in range(4):
        b.output(b.popcount(bits[g::4]))
    return Program(MapShape(channels, spatial), (*stages, Flatten(2), Dense(3, b.finish())))


def _x(n, width, seed):
    return np.random.default_rng(seed).integers(0, 2, (n, width)).astype(np.uint8)


@pytest.mark.parametrize("path", PACK_PATHS)
@pytest.mark.parametrize("channels,spatial", [
    (1, (1, 1)), (1, (7, 9)), (1, (8, 8)), (2, (8, 8)), (3, (5, 13)), (1, (1, 65)), (2, (24, 24)), (1, (33, 33)),
    (1, (1, 31)), (1, (4, 8)), (1, (3, 11)), (1, (28, 28)), (3, (26, 27))])
def test_packing_every_width_and_batch(monkeypatch, path, channels, spatial):
    """Widths 1, 63, 64, 128, 195, 65, 1152 (two passes of the portable packer's 16 blocks), 1089; 31 (the AVX2
    packer's smallest row is 32), 32, 33, 784 (a partial last 32-byte block), 2106 (two passes of its 64
    blocks); batches off every tile and word."""
    monkeypatch.setenv("GATECC_PACK", path)
    program = _not_map(channels, spatial)
    for bits in (64, 256):
        kernel = compile_program(program, "c", vector_bits=bits)
        for n in (1, 63, 64, 65, 257):
            x = _x(n, program.n_inputs, n + bits)
            got = kernel.run(x)
            np.testing.assert_array_equal(got, 1 - x)
            np.testing.assert_array_equal(got, evaluate_program(program, x))


def test_pack_paths_are_what_was_asked(monkeypatch):
    from gatecc.backends.cbuild import find_compiler, predefined_macros

    monkeypatch.setenv("GATECC_PACK", "portable")
    assert pack_path(256) == "portable"
    monkeypatch.setenv("GATECC_PACK", "auto")
    avx2 = "__AVX2__" in predefined_macros(find_compiler())
    assert pack_path(256) == ("avx2" if avx2 else "portable")
    monkeypatch.setenv("GATECC_PACK", "fast")
    with pytest.raises(gatecc.GateccError, match="GATECC_PACK"):
        pack_path(256)


def test_pack_path_reaches_dense_nets(monkeypatch):
    """The dense C path shares the runtime: the portable packer on a plain net equals the reference too."""
    from gatecc.ir.evaluate import evaluate_samples

    monkeypatch.setenv("GATECC_PACK", "portable")
    rng = np.random.default_rng(2)
    b = Builder.raw(131)
    for _ in range(20):
        b.output(b.gate(int(rng.integers(0, 16)), int(rng.integers(0, 131)), int(rng.integers(0, 131))))
    graph = b.finish()
    net = gatecc.compile(graph, "c", cache=False)
    x = _x(321, 131, 3)
    np.testing.assert_array_equal(net(x), evaluate_samples(graph, x))


@pytest.mark.parametrize("path", PACK_PATHS)
def test_threads_split_tiles(monkeypatch, path):
    """1, 2, 3 and more threads than tiles, on batches of 1 .. several tiles, equal the reference."""
    monkeypatch.setenv("GATECC_PACK", path)
    program = _cnn()
    net = gatecc.compile(program, "c", mode="loop", vector_bits=128)
    net.native.min_rows_per_thread = 1          # split even the smallest batch, so every thread takes tiles
    tile = net.native.layout.tile_rows
    for n in (1, 63, 65, tile - 1, tile + 1, 3 * tile + 5, 11 * tile):
        x = _x(n, program.n_inputs, n)
        want = evaluate_program(program, x)
        for threads in (1, 2, 3, 64):
            net.threads = threads
            np.testing.assert_array_equal(net(x), want)


def test_threads_from_several_python_threads_at_once():
    """Calls from several Python threads share the kernel's work-buffer pool safely."""
    program = _cnn(seed=5)
    net = gatecc.compile(program, "c", mode="loop", vector_bits=256, threads=2)
    net.native.min_rows_per_thread = 1
    xs = [_x(700 + 37 * k, program.n_inputs, k) for k in range(4)]
    wants = [evaluate_program(program, x) for x in xs]
    got = [None] * len(xs)

    def run(k):
        for _ in range(5):
            got[k] = net(xs[k])

    workers = [threading.Thread(target=run, args=(k,)) for k in range(len(xs))]
    for t in workers:
        t.start()
    for t in workers:
        t.join()
    for g, w in zip(got, wants):
        np.testing.assert_array_equal(g, w)


def test_threads_option_and_env(monkeypatch):
    program = _cnn(seed=1)
    monkeypatch.setenv("GATECC_THREADS", "3")
    assert gatecc.compile(program, "c", mode="loop").threads == 3
    monkeypatch.setenv("GATECC_THREADS", "many")
    with pytest.raises(gatecc.GateccError, match="GATECC_THREADS"):
        gatecc.compile(program, "c", mode="loop")
