"""The fused stencil engine against the reference: every step equals evaluate_program of the one-stage program."""

import numpy as np
import pytest

import gatecc
from gatecc.backends.stencil import StencilEngine, pack_planes, unpack_planes
from gatecc.ir.builder import Builder
from gatecc.ir.spatial.firing import fire_mask
from gatecc.ir.spatial import Conv, MapShape, Program, evaluate_program
from backend_support import runnable_targets

ENGINE_TARGETS = [p for p in runnable_targets() if p.values[0] in ("c", "llvm", "wgsl")]


def random_conv(channels, seed, boundary="torus", n_gates=60, full=True):
    """A random 3x3 self-map Conv: window of every (dc, dy, dx) (or a random subset), random gates."""
    rng = np.random.default_rng(seed)
    window = [(c, dy, dx) for c in range(channels) for dy in range(3) for dx in range(3)]
    if not full:
        window = [window[i] for i in sorted(rng.choice(len(window), size=max(1, len(window) // 2), replace=False))]
    b = Builder(len(window))
    nodes = [b.input(i) for i in range(len(window))]
    for _ in range(n_gates):
        nodes.append(b.gate(int(rng.integers(0, 16)), nodes[rng.integers(len(nodes))],
                            nodes[rng.integers(len(nodes))]))
    for k in range(channels):
        b.output(nodes[-1 - k])
    return Conv(0, b.finish(), tuple(window), (3, 3), (1, 1), (1, 1), boundary)


def reference_step(conv, planes):
    """One synchronous step of ``conv`` on (C, H, W) planes: the reference evaluator on the one-stage program."""
    c, h, w = planes.shape
    program = Program(MapShape(c, (h, w)), (conv,))
    return evaluate_program(program, planes.reshape(1, -1)).reshape(c, h, w).astype(np.uint8)


def reference_run(conv, planes, steps, fire_rate=None, seed=0):
    for t in range(steps):
        new = reference_step(conv, planes)
        if fire_rate is not None:
            fires = fire_mask(seed, t, planes.shape[1], planes.shape[2], fire_rate)
            new = np.where(fires[None], new, planes)
        planes = new
    return planes


def test_pack_planes_round_trips_odd_widths():
    rng = np.random.default_rng(0)
    for w in (1, 63, 64, 65, 130):
        planes = rng.integers(0, 2, (2, 3, w)).astype(np.uint8)
        words = pack_planes(planes)
        assert words.shape == (2, 3, (w + 63) // 64)
        assert np.array_equal(unpack_planes(words, w), planes)
        assert int(words[0, 0, -1]) >> (w % 64 or 64) == 0   # unused bits are 0


@pytest.mark.parametrize("target", ENGINE_TARGETS)
@pytest.mark.parametrize("boundary", ["torus", "zero"])
@pytest.mark.parametrize("channels,height,width", [(1, 5, 64), (1, 7, 70), (2, 9, 13), (3, 4, 130), (1, 1, 1),
                                                   (2, 3, 128), (1, 3, 32), (1, 2, 33),
                                                   # rows of more words than a vector: blocks run past a row
                                                   (2, 5, 600), (1, 6, 320), (3, 3, 1088)])
def test_engine_steps_like_the_reference(target, boundary, channels, height, width):
    conv = random_conv(channels, seed=channels * 100 + width, boundary=boundary, full=width % 2 == 0)
    rng = np.random.default_rng(width)
    planes = rng.integers(0, 2, (channels, height, width)).astype(np.uint8)
    engine = StencilEngine(conv, height, width, target=target, threads=1)
    for steps in (0, 1, 4):
        assert np.array_equal(engine.run(planes, steps), reference_run(conv, planes, steps)), steps


@pytest.mark.parametrize("target", ENGINE_TARGETS)
@pytest.mark.parametrize("boundary", ["torus", "zero"])
def test_engine_async_fires_by_the_hash(target, boundary):
    conv = random_conv(2, seed=7, boundary=boundary)
    rng = np.random.default_rng(3)
    planes = rng.integers(0, 2, (2, 11, 67)).astype(np.uint8)
    engine = StencilEngine(conv, 11, 67, target=target)
    for rate, seed in ((0.5, 0), (0.25, 12345), (1.0, 9), (0.0, 1), (0.75, 2**32 - 1)):
        got = engine.run(planes, 5, fire_rate=rate, seed=seed)
        assert np.array_equal(got, reference_run(conv, planes, 5, rate, seed)), (rate, seed)
    assert not np.array_equal(engine.run(planes, 3, 0.5, seed=1), engine.run(planes, 3, 0.5, seed=2))


def test_threads_give_the_same_board():
    conv = random_conv(1, seed=4)
    planes = np.random.default_rng(1).integers(0, 2, (1, 600, 640)).astype(np.uint8)
    one = StencilEngine(conv, 600, 640, threads=1).run(planes, 3)
    two = StencilEngine(conv, 600, 640, threads=2)
    two._threads_for = lambda words: 2                         # force the split whatever the board's size
    assert np.array_equal(two.run(planes, 3), one)
    assert np.array_equal(one, reference_run(conv, planes, 3))


def test_fire_mask_matches_the_formula():
    # The hash spelled out with Python ints (mod 2**32), independently of the numpy reference.
    def h(seed, t, i):
        m = 0xFFFFFFFF
        v = seed ^ (t * 0x9E3779B9 & m) ^ (i * 0x85EBCA6B & m)
        v ^= v >> 16
        v = v * 0x7FEB352D & m
        v ^= v >> 15
        v = v * 0x846CA68B & m
        v ^= v >> 16
        return v
    mask = fire_mask(77, 3, 5, 7, 0.3)
    expect = [[(h(77, 3, y * 7 + x) >> 8) < round(0.3 * 2**24) for x in range(7)] for y in range(5)]
    assert mask.tolist() == expect and 0 < mask.sum() < 35


@pytest.mark.parametrize("bad,match", [
    (dict(fire_rate=1.5), "fire_rate"), (dict(fire_rate=float("nan")), "fire_rate"), (dict(seed=-1), "seed"),
    (dict(seed=2**32), "seed"), (dict(steps=-1), "steps")])
def test_engine_rejects_bad_run_arguments(bad, match):
    conv = random_conv(1, seed=1)
    engine = StencilEngine(conv, 4, 4)
    args = dict(planes=np.zeros((1, 4, 4), np.uint8), steps=1) | bad
    with pytest.raises(gatecc.GateccError, match=match):
        engine.run(**args)


def test_engine_rejects_bad_planes_and_convs():
    conv = random_conv(2, seed=1)
    engine = StencilEngine(conv, 4, 5)
    with pytest.raises(gatecc.InputError, match="shape"):
        engine.run(np.zeros((2, 5, 4), np.uint8), 1)
    with pytest.raises(gatecc.InputError, match="0/1"):
        engine.run(np.full((2, 4, 5), 2, np.uint8), 1)
    with pytest.raises(gatecc.ModelError, match="3x3"):
        StencilEngine(Conv(0, conv.kernel, conv.window, (3, 3), (2, 2), (1, 1), "torus"), 4, 5)
    with pytest.raises(gatecc.ModelError, match="boundary"):
        StencilEngine(Conv(0, conv.kernel, conv.window, (3, 3), (1, 1), (1, 1), "reflect"), 4, 5)
    with pytest.raises(gatecc.InputError, match="height"):
        StencilEngine(conv, 0, 5)
    with pytest.raises(gatecc.TargetError, match="no target"):
        StencilEngine(conv, 4, 5, target="verilog")
