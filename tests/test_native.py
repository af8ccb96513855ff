"""The native backends' shared machinery: chunk schedule, vector widths, threads, runtime, build cache.

Every check compares against the reference evaluator or the soft model.
Widths other than this machine's are compiled too (the compiler emulates
wider vectors), so a CI machine with another CPU cannot hide a width bug.
"""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import gatecc
from gatecc.backends import get_target, legalize
from gatecc.backends.native import VECTOR_BITS, Layout, tile_words_for
from gatecc.backends.schedule import STORE, schedule
from gatecc.backends.target import PlaneLayout
from gatecc.ir import Builder, all_inputs, evaluate, evaluate_samples
from gatecc.ir import gates as G
from gatecc.ir.graph import Graph, Op
from gatecc.ir.passes import optimize
from gatecc.lower import lower
from gatecc.testing import logic_nets

from backend_support import assert_matches_soft, plane_values, run_schedule

X9 = all_inputs(9)
C = get_target("c")
needs_cc = pytest.mark.skipif(C.available() is not None, reason=f"C target: {C.available()}")


def native_targets():
    """The native targets, each skipped (with the reason) where it cannot run here."""
    params = []
    for name in ("c", "llvm"):
        reason = get_target(name).available()
        params.append(pytest.param(name, id=name, marks=[pytest.mark.skip(reason=f"{name}: {reason}")] if reason else []))
    return params


NATIVE = native_targets()


# -- the schedule, executed step by step in Python -------------------------------

@given(net=logic_nets(n_inputs=st.integers(1, 12), max_width=24), level=st.sampled_from([0, 2]),
       chunk_nodes=st.integers(1, 9), seed=st.integers(0, 2**32 - 1))
def test_schedule_computes_every_plane_like_the_reference(net, level, chunk_nodes, seed):
    graph = legalize(optimize(lower(net), level)[0])
    sched = schedule(graph, chunk_nodes)
    planes = np.random.default_rng(seed).integers(0, 2**63, (graph.n_inputs, 3), dtype=np.uint64)
    np.testing.assert_array_equal(run_schedule(graph, sched, planes), plane_values(graph, planes))
    assert all(len(c.nodes) <= chunk_nodes for c in sched.chunks)
    computed = [n for c in sched.chunks for n in c.nodes]
    assert len(computed) == len(set(computed))


def test_slots_are_reused_and_stay_below_the_values_crossing_chunks():
    from foreign import random_arrays
    from gatecc.model import net_from_arrays

    graph = legalize(optimize(lower(net_from_arrays(random_arrays(3, n_inputs=16, widths=(60, 60, 40), k=4))), 2)[0])
    sched = schedule(graph, 8)
    stored = sum(1 for c in sched.chunks for s in c.steps if s[0] == STORE)
    assert 0 < sched.n_slots < stored
    planes = np.random.default_rng(0).integers(0, 2**63, (16, 2), dtype=np.uint64)
    np.testing.assert_array_equal(run_schedule(graph, sched, planes), plane_values(graph, planes))


@needs_cc
def test_groupsum_is_gates_in_the_code_not_a_popcount():
    from foreign import random_arrays
    from gatecc.model import net_from_arrays

    compiled = gatecc.compile(net_from_arrays(random_arrays(2, n_inputs=9, widths=(40, 32), k=4)), target="c")
    assert (compiled.graph.op != Op.POPCOUNT).all()
    body = compiled.source.split("gatecc_chunk0(", 2)[-1]
    assert "popcount" not in compiled.source and "for (" not in body.split("void gatecc_words")[0]


def test_tile_sizes_are_whole_vectors_and_bounded():
    for lanes in (1, 2, 4, 8):
        for n_in, n_planes in ((1, 1), (9, 4), (400, 100), (5000, 10)):
            words = tile_words_for(lanes, n_in, n_planes)
            assert words % lanes == 0 and lanes <= words <= 64 * lanes
    layout = Layout(lanes=4, n_inputs=400, n_planes=100, n_outputs=10, n_slots=7, tile_words=4, counts=True)
    assert layout.scratch_bytes % 64 == 0 and layout.work_bytes > layout.scratch_bytes


# -- widths, shapes and threads on the C target -----------------------------------

@pytest.mark.parametrize("target", NATIVE)
@pytest.mark.parametrize("bits", VECTOR_BITS)
@settings(max_examples=6)
@given(net=logic_nets(n_inputs=9), chunk_nodes=st.sampled_from([1, 3, 256]))
def test_every_vector_width_matches_the_soft_model(target, bits, net, chunk_nodes):
    compiled = gatecc.compile(net, target=target, vector_bits=bits, chunk_nodes=chunk_nodes)
    assert compiled._kernel.layout.lanes == bits // 64
    assert_matches_soft(net, compiled, X9)


def _graph_with(n_inputs, outputs):
    """A graph whose outputs are built by ``outputs(builder)``: a list of nodes or lists (uint bits)."""
    b = Builder(n_inputs)
    for o in outputs(b):
        b.output(b.uint(o) if isinstance(o, list) else o)
    return b.finish()


@pytest.mark.parametrize("target", NATIVE)
@pytest.mark.parametrize("n_inputs", [1, 7, 8, 9, 33, 63, 64, 65, 130])
@pytest.mark.parametrize("bits", [64, 256, 512])
def test_packing_every_input_count(target, n_inputs, bits):
    # Outputs: a gate, an input and constants as planes; a count of (up to 31 of) the inputs.
    graph = _graph_with(n_inputs, lambda b: [b.gate(G.XOR, 0, n_inputs - 1) if n_inputs > 1 else b.not_(0),
                                             n_inputs - 1, b.const(1), b.const(0), list(range(min(31, n_inputs)))])
    compiled = gatecc.compile(graph, target=target, vector_bits=bits)
    x = np.random.default_rng(n_inputs).integers(0, 2, (1000, n_inputs)).astype(bool)
    np.testing.assert_array_equal(compiled(x), evaluate_samples(graph, x))


@pytest.mark.parametrize("target", NATIVE)
def test_wide_counts_and_many_outputs(target):
    # A 20-bit count (decoded in 32-bit lanes) and 70 outputs.
    graph = _graph_with(24, lambda b: [list(range(20))] + [b.gate(G.AND, i % 24, (i + 5) % 24) for i in range(69)])
    x = np.random.default_rng(1).integers(0, 2, (777, 24)).astype(np.uint8)
    np.testing.assert_array_equal(gatecc.compile(graph, target=target)(x), evaluate_samples(graph, x))
    bits_only = _graph_with(24, lambda b: [b.gate(G.OR, i % 24, (i * 7) % 24) for i in range(100)])
    np.testing.assert_array_equal(gatecc.compile(bits_only, target=target)(x), evaluate_samples(bits_only, x))


@pytest.mark.parametrize("target", NATIVE)
def test_threads_split_batches_without_changing_results(target):
    from foreign import random_arrays
    from gatecc.model import net_from_arrays

    net = net_from_arrays(random_arrays(5, n_inputs=30, widths=(64, 40), k=4, tau=1.0))
    compiled = gatecc.compile(net, target=target, threads=1)
    rng = np.random.default_rng(0)
    x = rng.integers(0, 2, (41_000, 30)).astype(bool)
    planes = rng.integers(0, 2**63, (30, 1024), dtype=np.uint64)
    one, one_planes = compiled(x), compiled.run_planes(planes)
    assert_matches_soft(net, compiled, x[:3000])
    for threads in (2, 3, 7):
        compiled.threads = threads
        assert compiled.threads == threads
        np.testing.assert_array_equal(compiled(x), one)
        np.testing.assert_array_equal(compiled.run_planes(planes), one_planes)
    for batch in (1, 63, 64, 65, 4095, 4097, 8193):
        np.testing.assert_array_equal(compiled(x[:batch]), one[:batch])


@pytest.mark.parametrize("target", NATIVE)
def test_packed_api_takes_any_stride_and_alignment(target):
    from foreign import random_arrays
    from gatecc.model import net_from_arrays

    net = net_from_arrays(random_arrays(6, n_inputs=12, widths=(30, 8)))
    compiled = gatecc.compile(net, target=target)
    big = np.random.default_rng(2).integers(0, 2**63, (12, 41), dtype=np.uint64)
    view = big[:, 1:38]                      # not contiguous, not aligned, not a lane multiple
    expected = np.stack(evaluate(lower(net), np.ascontiguousarray(view)))
    np.testing.assert_array_equal(compiled.run_planes(view), expected)


@needs_cc
def test_parallel_part_build_matches(monkeypatch, tmp_path):
    from gatecc.backends import cbuild
    from foreign import random_arrays
    from gatecc.model import net_from_arrays

    monkeypatch.setenv("GATECC_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(cbuild, "PARALLEL_MIN_CHARS", 0)   # build even a small net in parallel units
    monkeypatch.setenv("GATECC_THREADS", "3")
    commands = []
    real = cbuild._run_all
    monkeypatch.setattr(cbuild, "_run_all", lambda cmds, *a: commands.extend(cmds) or real(cmds, *a))
    net = net_from_arrays(random_arrays(8, n_inputs=9, widths=(40, 30, 20), k=2))
    compiled = gatecc.compile(net, target="c", chunk_nodes=4, cache=False)
    assert "#define GATECC_PARTS" in compiled.source
    assert sum("-DGATECC_PART_FIRST=0" in " ".join(c) for c in commands) == 1
    assert len([c for c in commands if "-c" in c]) == 3                # three units, then the link
    assert_matches_soft(net, compiled, X9)


@needs_cc
def test_emitted_c_is_one_self_contained_file(tmp_path):
    import subprocess

    from cffi import FFI

    from gatecc.backends.cbuild import find_compiler
    from gatecc.backends.native import aligned_empty
    from gatecc.ir.planes import pack_bits
    from foreign import random_arrays
    from gatecc.model import net_from_arrays

    net = net_from_arrays(random_arrays(9, n_inputs=9, widths=(20, 6)))
    compiled = gatecc.compile(net, target="c", vector_bits=128)
    (tmp_path / "net.c").write_text(compiled.source)
    subprocess.run([find_compiler(), "-O2", "-shared", "-fPIC", "-o", str(tmp_path / "net.so"),
                    str(tmp_path / "net.c")], check=True)
    from gatecc.backends.native import NET_CDEF
    ffi = FFI()
    ffi.cdef(NET_CDEF)
    lib = ffi.dlopen(str(tmp_path / "net.so"))
    planes = pack_bits(X9)                                  # (9, 8): a multiple of 2 lanes
    out = np.zeros((6, planes.shape[1]), dtype=np.uint64)
    work = aligned_empty(compiled._kernel.layout.work_bytes)
    lib.gatecc_eval(ffi.from_buffer("uint64_t[]", planes), ffi.from_buffer("uint64_t[]", out), 8, 8,
                    ffi.from_buffer(work))
    np.testing.assert_array_equal(out, compiled.run_planes(planes))


# -- options, errors and the build cache --------------------------------------------

@pytest.mark.parametrize("target", NATIVE)
@pytest.mark.parametrize("options, needle", [
    ({"vector_bits": 100}, "vector_bits"),
    ({"vector_bits": "512"}, "vector_bits"),
    ({"chunk_nodes": 0}, "chunk_nodes"),
    ({"threads": 0}, "threads"),
    ({"frobnicate": 1}, "no option 'frobnicate'"),
])
def test_bad_options_are_one_clear_error(target, options, needle):
    from foreign import random_arrays
    from gatecc.model import net_from_arrays

    with pytest.raises(gatecc.TargetError, match=needle):
        gatecc.compile(net_from_arrays(random_arrays(1)), target=target, **options)


@pytest.mark.parametrize("target", NATIVE)
def test_counts_wider_than_31_bits_are_refused(target):
    graph = _graph_with(40, lambda b: [list(range(32))])
    with pytest.raises(gatecc.TargetError, match="32 bits"):
        gatecc.compile(graph, target=target)


@needs_cc
def test_setting_bad_thread_counts_is_refused():
    from foreign import random_arrays
    from gatecc.model import net_from_arrays

    compiled = gatecc.compile(net_from_arrays(random_arrays(1)), target="c")
    for bad in (0, -3, 1.5, True):
        with pytest.raises(gatecc.TargetError, match="threads"):
            compiled.threads = bad


@pytest.mark.parametrize("target", NATIVE)
def test_a_module_for_another_graph_is_refused(target):
    from foreign import random_arrays
    from gatecc.model import net_from_arrays

    a = gatecc.compile(net_from_arrays(random_arrays(1, widths=(10, 4))), target=target)
    b = gatecc.compile(net_from_arrays(random_arrays(2, widths=(10, 5))), target=target)
    with pytest.raises(gatecc.BuildError, match="does not match"):
        get_target(target).load(b.graph, a.source)


@needs_cc
def test_compiler_errors_are_one_line():
    from gatecc.backends.cbuild import build_library

    with pytest.raises(gatecc.BuildError, match="C compiler failed") as info:
        build_library("int f(void) { return undeclared; }\n")
    assert "\n" not in str(info.value)


@needs_cc
def test_second_compile_is_instant(monkeypatch, tmp_path):
    from gatecc import compiler
    from gatecc.backends import cbuild
    from foreign import random_arrays
    from gatecc.model import net_from_arrays

    monkeypatch.setenv("GATECC_CACHE_DIR", str(tmp_path))
    net = net_from_arrays(random_arrays(4, widths=(30, 10), k=2))
    first = gatecc.compile(net, target="c")
    cached = sorted(p.name for p in tmp_path.iterdir())
    assert any(name.startswith("net-") for name in cached) and any(name.startswith("lowered-") for name in cached)

    def must_not_run(*args, **kwargs):
        raise AssertionError("the second compile redid work")

    monkeypatch.setattr(cbuild, "_run_all", must_not_run)       # no compiler
    monkeypatch.setattr(compiler, "run_pipeline", must_not_run)  # no passes
    again = gatecc.compile(net, target="c")
    assert again.source == first.source and again.graph == first.graph
    assert [s.name for s in again.passes] == [s.name for s in first.passes]
    np.testing.assert_array_equal(again(X9), first(X9))
    assert sorted(p.name for p in tmp_path.iterdir()) == cached
    # Other options are other entries, and an unreadable entry is recomputed, not trusted.
    monkeypatch.undo()
    monkeypatch.setenv("GATECC_CACHE_DIR", str(tmp_path))
    assert "vector_size(16)" in gatecc.compile(net, target="c", vector_bits=128).source
    for entry in tmp_path.glob("lowered-*"):
        entry.write_bytes(b"garbage")
    np.testing.assert_array_equal(gatecc.compile(net, target="c")(X9), first(X9))
    assert gatecc.compile(net, target="c", cache=False).source == first.source


def test_compile_picks_the_fastest_available_target(monkeypatch):
    from gatecc import backends
    from foreign import random_arrays
    from gatecc.model import net_from_arrays

    available = [name for name in backends.FASTEST_FIRST if get_target(name).available() is None]
    if not available:
        with pytest.raises(gatecc.TargetError, match="no runnable target"):
            backends.default_target()
        return
    assert backends.default_target() == available[0]
    assert gatecc.compile(net_from_arrays(random_arrays(1))).target == available[0]


@needs_cc
def test_cli_native_options(tmp_path, cli):
    from foreign import random_arrays, write

    write(tmp_path / "m.npz", random_arrays(31, widths=(20, 10), k=2, tau=3.0))
    res = cli("lower", "m.npz", "--target", "c", "--vector-bits", "128", "-o", "m.c")
    assert res.returncode == 0, res.stderr
    assert "vector_size(16)" in (tmp_path / "m.c").read_text()
    wide = cli("run", "m.npz", "--vector-bits", "512", "--threads", "3")
    narrow = cli("run", "m.npz", "--vector-bits", "64", "--threads", "1")
    assert wide.returncode == 0 and wide.stdout == narrow.stdout and len(wide.stdout.splitlines()) == 512


@pytest.mark.parametrize("args, needles", [
    (["lower", "m.npz", "--target", "aiger", "--vector-bits", "256"], ["--vector-bits", "aiger"]),
    (["lower", "m.npz", "--vector-bits", "100"], ["invalid choice"]),
    (["run", "m.npz", "--threads", "0"], ["--threads"]),
])
def test_cli_native_option_errors(tmp_path, cli, args, needles):
    from conftest import assert_one_line_error
    from foreign import random_arrays, write

    write(tmp_path / "m.npz", random_arrays(31, widths=(20, 10)))
    assert_one_line_error(cli(*args), *needles)


def test_both_runtimes_take_the_descriptor_layout_from_one_definition():
    # runtime.c is generated with abi.py's indices; the LLVM runtime imports them.
    from gatecc.backends import abi, llvm_runtime
    from gatecc.backends.c_runtime import runtime_source

    source = runtime_source()
    assert "@GATECC_ABI@" not in source and abi.c_definitions() in source
    assert source.count("enum { D_ABI") == 1
    assert (llvm_runtime.D_N_IN, llvm_runtime.D_OUTPUTS) == (abi.DESCRIPTOR_FIELDS.index("n_in"),
                                                            len(abi.DESCRIPTOR_FIELDS))
