"""Spatial programs compiled by the stencil renderer against the reference evaluator (evaluate_program)."""

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import gatecc
from gatecc.backends.stencil import compile_program
from gatecc.ir.builder import Builder
from gatecc.ir.spatial import Conv, Dense, Flatten, MapShape, Or, OrPool, Program, evaluate_program
from gatecc.testing_spatial import random_kernel, spatial_programs
from backend_support import runnable_targets

PROGRAM_TARGETS = [p for p in runnable_targets() if p.values[0] in ("c", "llvm", "wgsl")]


def _inputs(program, n, seed):
    return np.random.default_rng(seed).integers(0, 2, (n, program.n_inputs)).astype(np.uint8)


def _check(program, target, n=70, seed=0, **options):
    kernel = compile_program(program, target, **options)
    x = _inputs(program, n, seed)
    got, want = kernel.run(x), evaluate_program(program, x)
    # The dtypes of gatecc.compile: uint8 bits, int32 when some output is a count (the reference: int64).
    counts = program.stages[-1].kind == "dense" and "count" in program.stages[-1].graph.output_kinds()
    assert got.shape == want.shape and got.dtype == (np.int32 if counts else np.uint8)
    np.testing.assert_array_equal(got, want)
    return kernel


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(program=spatial_programs(max_input_bits=48), seed=st.integers(0, 100))
def test_random_programs_c(program, seed):
    _check(program, "c", n=37 + seed, seed=seed, vector_bits=128, chunk_nodes=1 + seed % 9)


def _cnn(boundary="zero", stride=1, size=12):
    """A small CNN: conv 3x3 (2 -> 4 channels), or-pool 2x2, a residual-free conv, flatten, dense with counts."""
    rng = np.random.default_rng(4)
    shape = MapShape(2, (size, size + 1))
    window = tuple((c, dy, dx) for c in range(2) for dy in range(3) for dx in range(3))
    conv = Conv(0, random_kernel(rng, len(window), 4, tree=False), window, (3, 3), (stride, stride), (1, 1), boundary)
    pool = OrPool(1, (2, 2), (2, 2), (0, 0))
    shapes = Program(shape, (conv, pool)).shapes()
    flat = shapes[-1].size
    b = Builder.raw(flat)
    bits = [b.gate(int(rng.integers(0, 16)), int(rng.integers(0, flat)), int(rng.integers(0, flat))) for _ in range(30)]
    for g in range(3):
        b.output(b.popcount(bits[g::3]))
    return Program(shape, (conv, pool, Flatten(2), Dense(3, b.finish())))


@pytest.mark.parametrize("target", PROGRAM_TARGETS)
@pytest.mark.parametrize("boundary,stride", [("zero", 1), ("zero", 2), ("torus", 1)])
def test_cnn_matches_the_reference(target, boundary, stride):
    _check(_cnn(boundary, stride), target, n=131)


@pytest.mark.parametrize("target", PROGRAM_TARGETS)
def test_map_valued_and_residual_programs(target):
    rng = np.random.default_rng(2)
    shape = MapShape(3, (5, 7))
    window = tuple((c, dy, dx) for c in range(3) for dy in range(3) for dx in range(3))
    conv = Conv(0, random_kernel(rng, len(window), 3, tree=False), window, (3, 3), (1, 1), (1, 1), "torus")
    _check(Program(shape, (conv, Or(1, 0))), target, n=65)


def test_code_size_does_not_grow_with_the_image():
    small, big = (compile_program(_cnn(size=s), "c", vector_bits=64).source for s in (8, 64))
    # Only the loop bounds and plane counts differ: the same number of lines.
    assert len(small.splitlines()) == len(big.splitlines())


@pytest.mark.parametrize("target", [p for p in PROGRAM_TARGETS if p.values[0] != "wgsl"])
def test_rank_3_programs(target):
    rng = np.random.default_rng(9)
    shape = MapShape(2, (3, 4, 5))
    window = tuple((int(rng.integers(0, 2)), *(int(rng.integers(0, 2)) for _ in range(3))) for _ in range(6))
    conv = Conv(0, random_kernel(rng, 6, 2, tree=False), window, (2, 2, 2), (1, 2, 1), (1, 0, 1), "zero")
    _check(Program(shape, (conv, OrPool(1, (2, 2, 2), (1, 1, 1), (1, 1, 1)))), target, n=40)


def test_bad_inputs_and_targets():
    program = _cnn()
    kernel = compile_program(program, "c")
    with pytest.raises(gatecc.InputError, match="shape"):
        kernel.run(np.zeros((3, program.n_inputs + 1), np.uint8))
    with pytest.raises(gatecc.InputError, match="0/1"):
        kernel.run(np.full((3, program.n_inputs), 2, np.uint8))
    with pytest.raises(gatecc.TargetError, match="verilog"):
        compile_program(program, "verilog")
    with pytest.raises(gatecc.TargetError, match="no option"):
        compile_program(program, "c", bogus=1)


@pytest.mark.parametrize("target", [p for p in PROGRAM_TARGETS if p.values[0] in ("llvm", "wgsl")])
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(program=spatial_programs(max_input_bits=40), seed=st.integers(0, 100))
def test_random_programs_llvm_and_wgsl(target, program, seed):
    _check(program, target, n=33 + seed, seed=seed, chunk_nodes=8, **({"vector_bits": 256} if target == "llvm" else {}))


def test_bad_programs_are_one_clear_error():
    good = _cnn()
    bad = Program(good.input, (Flatten(3),))                  # reads a value that does not exist yet
    with pytest.raises(gatecc.GateccError):
        compile_program(bad, "c")
    engine_like = Program(good.input, (Conv(0, good.stages[0].kernel, ((5, 0, 0),) * 18, (3, 3), (1, 1), (1, 1)),))
    with pytest.raises(gatecc.GateccError, match="channel|window|outside"):
        compile_program(engine_like, "c")


# ---------------------------------------------------------------------------
# the paths of the loop form: haloed inputs, pools fused into the conv, batches off the lane width

def _conv_pool(rank=2, spatial=(7, 5), size=(3, 3), stride=(1, 1), padding=(1, 1), pool=(2, 2), pool_stride=None,
               pool_padding=None, boundary="zero", channels=2, kernels=3, seed=0, head=True):
    """conv -> or-pool (fused when it tiles the conv's map) -> [flatten -> dense with counts]."""
    rng = np.random.default_rng(seed)
    shape = MapShape(channels, spatial)
    grid = np.stack(np.meshgrid(*(np.arange(k) for k in size), indexing="ij"), -1).reshape(-1, rank)
    window = tuple((c, *map(int, d)) for c in range(channels) for d in grid)
    conv = Conv(0, random_kernel(rng, len(window), kernels, tree=False), window, size, stride, padding, boundary)
    stages = [conv, OrPool(1, pool, pool_stride or pool, pool_padding or (0,) * rank)]
    flat = Program(shape, tuple(stages)).shapes()[-1].size
    if head:
        b = Builder.raw(flat)
        bits = [b.gate(int(rng.integers(0, 16)), int(rng.integers(0, flat)), int(rng.integers(0, flat)))
                for _ in range(24)]
        for g in range(3):
            b.output(b.popcount(bits[g::3]))
        stages += [Flatten(2), Dense(3, b.finish())]
    return Program(shape, tuple(stages))


FUSED_CASES = {
    "pool2-odd-width": {},
    "pool2-padded-pool": {"pool_padding": (1, 1)},
    "stride2-pool1": {"stride": (2, 2), "pool": (1, 1)},
    "pad2-rf5-on-3x4": {"spatial": (3, 4), "size": (5, 5), "padding": (2, 2), "pool": (2, 2)},
    "torus-pool3": {"boundary": "torus", "spatial": (6, 6), "pool": (3, 3)},
    "no-padding-map-valued": {"padding": (0, 0), "head": False},
    "rank3": {"rank": 3, "spatial": (3, 4, 5), "size": (2, 2, 2), "stride": (1, 1, 1), "padding": (1, 0, 1),
              "pool": (2, 2, 2)},
}


@pytest.mark.parametrize("target, case", [
    pytest.param(t.values[0], case, marks=t.marks, id=f"{t.values[0]}-{case}")
    for t in PROGRAM_TARGETS for case in FUSED_CASES
    if not (t.values[0] == "wgsl" and case == "rank3")])    # wgsl has no rank-3 form (see test_rank_3_programs)
def test_fused_pools_and_haloed_inputs(target, case):
    from gatecc.backends.stencil_program import fused_pools

    program = _conv_pool(**FUSED_CASES[case])
    assert fused_pools(program) == {0: 1}          # the pool tiles the conv's map: the C form fuses it
    for n in (1, 63, 65, 257):                      # batch sizes off every lane width
        kernel = _check(program, target, n=n, seed=n, **({} if target == "wgsl" else {"vector_bits": 256}))
    if target == "c":
        assert "] |= " in kernel.source             # the conv's outputs are ORed into the pooled map


def test_a_pool_that_overlaps_or_shares_its_conv_is_not_fused():
    from gatecc.backends.stencil_program import fused_pools

    assert fused_pools(_conv_pool(pool=(2, 2), pool_stride=(1, 1))) == {}
    shared = _conv_pool(head=False)
    program = Program(shared.input, (*shared.stages, Or(1, 1)))     # the conv's map is read again
    assert fused_pools(program) == {}
    _check(_conv_pool(pool=(3, 3), pool_stride=(2, 2)), "c", n=77, vector_bits=128)


@pytest.mark.parametrize("bits", [64, 128, 256])
def test_c_vector_widths_and_threads(bits):
    program = _conv_pool(seed=3)
    x = _inputs(program, 1000, 5)
    want = evaluate_program(program, x)
    for threads in (1, 2):
        net = gatecc.compile(program, "c", mode="loop", vector_bits=bits, threads=threads)
        np.testing.assert_array_equal(net(x), want)
        np.testing.assert_array_equal(net(x.astype(bool)), want)
        np.testing.assert_array_equal(net(x[:1]), want[:1])


@pytest.mark.parametrize("target", [p for p in PROGRAM_TARGETS if p.values[0] != "wgsl"])
@pytest.mark.parametrize("pool", [None, (2, 2)])
def test_kernel_outputs_read_back_by_a_later_chunk(target, pool):
    """An output channel that another gate reads: with one node per chunk it is loaded back from the output
    (or, under a fused pool, whose outputs are ORed in, the kernel stays one chunk)."""
    b = Builder.raw(2)
    first = b.gate(6, 0, 1)                       # XOR, an output channel ...
    b.output(first)
    b.output(b.gate(8, first, 1))                 # ... read again by the next output's gate
    b.output(first)
    window = ((0, 0, 0), (1, 1, 0))
    conv = Conv(0, b.finish(), window, (2, 1), (1, 1), (1, 0), "zero")
    stages = (conv,) if pool is None else (conv, OrPool(1, pool, pool, (0, 0)))
    _check(Program(MapShape(2, (5, 4)), stages), target, n=129, chunk_nodes=1)


def test_parallel_part_build_of_a_program(monkeypatch, tmp_path):
    """The dense head's chunk functions spread over parts compiled as parallel units and linked: same results."""
    from gatecc.backends import cbuild

    monkeypatch.setenv("GATECC_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(cbuild, "PARALLEL_MIN_CHARS", 0)   # build even a small program in parallel units
    monkeypatch.setenv("GATECC_THREADS", "3")
    commands = []
    real = cbuild._run_all
    monkeypatch.setattr(cbuild, "_run_all", lambda cmds, *a: commands.extend(cmds) or real(cmds, *a))
    for boundary, stride in (("zero", 2), ("torus", 1)):
        commands.clear()
        kernel = _check(_cnn(boundary, stride), "c", n=131, chunk_nodes=4)
        assert "#define GATECC_PARTS" in kernel.source
        assert sum("-DGATECC_PART_FIRST=0" in " ".join(c) for c in commands) == 1
        assert len([c for c in commands if "-c" in c]) == 3                # three units, then the link
