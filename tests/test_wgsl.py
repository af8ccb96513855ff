"""The WGSL backend beyond the shared backend tests (tests/test_backends.py).

The shared chunk schedule on odd graphs (executed in numpy, no GPU needed), naga validation of
emitted shaders, split shaders and odd graphs run on the adapter, the
embeddable function run inside a small shader, and the error paths when wgpu
or an adapter is missing.  Tests that dispatch shaders need a WebGPU adapter;
on Debian, mesa-vulkan-drivers provides a software one (lavapipe).
"""

import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import gatecc
from gatecc.backends import PlaneLayout, get_target, legalize
from gatecc.backends.wgsl import emit_wgsl, emit_wgsl_function, plan
from gatecc.compiler import lower_to_source
from gatecc.ir import gates as G
from gatecc.ir.builder import Builder
from gatecc.ir.evaluate import all_inputs, evaluate_samples
from gatecc.ir.graph import Op
from gatecc.ir.planes import pack_bits, unpack_bits
from gatecc.ir.text import parse_graph
from gatecc.testing import logic_nets
from gatecc.testing import raw_graphs as _raw_graphs

from backend_support import assert_matches_soft, plane_values, run_schedule
from conftest import assert_one_line_error

X9 = all_inputs(9)
REASON = get_target("wgsl").available()
needs_gpu = pytest.mark.skipif(REASON is not None, reason=f"no WebGPU adapter here: {REASON}")


def raw_graphs(**kw):
    """Odd legal graphs (see gatecc.testing.raw_graphs), legalized for the backend."""
    return _raw_graphs(**kw).map(legalize)


def decode(graph, planes, batch):
    return PlaneLayout.of(graph).decode(planes, batch).astype(np.int64)


# ---------------------------------------------------------------- chunk plans (no GPU)

@given(graph=raw_graphs(), max_nodes=st.integers(1, 8), data=st.data())
def test_chunk_plan_computes_the_graph(graph, max_nodes, data):
    """The shared schedule on the odd graphs the shader must handle (constants, NOTs, no inputs, ...)."""
    x = data.draw(st.integers(1, 150).map(lambda n: np.random.default_rng(n).integers(0, 2, (n, graph.n_inputs))))
    sched = plan(graph, max_nodes)
    assert all(len(c.nodes) <= max_nodes for c in sched.chunks)
    planes = pack_bits(x) if graph.n_inputs else np.zeros((0, -(-len(x) // 64)), np.uint64)
    np.testing.assert_array_equal(run_schedule(graph, sched, planes), plane_values(graph, planes))


def test_slots_are_reused_once_values_die():
    # A chain: each chunk hands exactly one value to the next.  A chunk may not
    # store into the slot it still has to load from, so two slots serve all cuts.
    bld = Builder.raw(2)
    node = bld.gate(G.XOR, 0, 1)
    for i in range(99):
        node = bld.gate(G.AND if i % 2 else G.OR, node, i % 2)
    bld.output(node)
    sched = plan(bld.finish(), 10)
    assert len(sched.chunks) == 10 and sched.n_slots == 2
    assert all(sum(s[0] == "load" and s[2] == "slot" for s in c.steps) == 1 for c in sched.chunks[1:])


def test_a_gate_that_ignores_an_input_does_not_load_it():
    graph = parse_graph("gatecc-ir 1\ninputs 2\n%2 = xor %0, %1\n%3 = and %0, %1\n%4 = a %3, %2\noutputs %4\n")
    sched = plan(graph, 1)    # %4 = "a" reads %3 only: %2 is dead, and never computed or kept
    assert [n for c in sched.chunks for n in c.nodes] == [3, 4]
    assert [s for c in sched.chunks for s in c.steps if s[0] == "load" and s[2] == "slot"] == [("load", 3, "slot", 0)]


# ---------------------------------------------------------------- emitted text (no GPU)

def test_function_text_of_a_known_circuit():
    graph = parse_graph("gatecc-ir 1\ninputs 3\n%3 = and %0, %1\n%4 = xor %3, %2\n%5 = not %0\noutputs %4, %5, %1\n")
    text = emit_wgsl_function(graph, name="tiny")
    assert "const TINY_INPUTS: u32 = 3u;\nconst TINY_OUTPUTS: u32 = 3u;\n" in text
    assert ("fn tiny(x: array<u32, 3>) -> array<u32, 3> {\n"
            "    let v0 = x[0];\n    let v1 = x[1];\n    let v2 = x[2];\n"
            "    let v3 = (v0 & v1);\n    let v4 = (v3 ^ v2);\n    let v5 = ~v0;\n"
            "    return array<u32, 3>(v4, v5, v1);\n}\n") in text


@pytest.mark.parametrize("name", ["", "2fast", "has space", "__reserved", "semi;colon", "_", "fn", "let"])
def test_function_rejects_bad_names(name):
    graph = parse_graph("gatecc-ir 1\ninputs 1\n%1 = not %0\noutputs %1\n")
    with pytest.raises(gatecc.TargetError, match="WGSL identifier"):
        emit_wgsl_function(graph, name=name)


def test_chunk_option_is_checked():
    for bad in (0, -3, 2.5, "8", True):
        with pytest.raises(gatecc.TargetError, match="chunk_nodes"):
            lower_to_source(parse_graph("gatecc-ir 1\ninputs 1\n%1 = not %0\noutputs %1\n"),
                            "wgsl", 0, chunk_nodes=bad)


def test_emitted_shader_is_deterministic_and_split_as_asked():
    from foreign import random_arrays
    from gatecc.model import net_from_arrays

    net = net_from_arrays(random_arrays(3, widths=(30, 20, 10), k=2))
    a = lower_to_source(net, "wgsl", 1, chunk_nodes=8)
    b = lower_to_source(net, "wgsl", 1, chunk_nodes=8)
    assert a.source == b.source
    n_chunks = len(plan(a.graph, 8).chunks)
    assert n_chunks > 1 and a.source.count("@compute") == n_chunks
    assert "mid_planes" in a.source and "mid_planes" not in emit_wgsl(a.graph, chunk_nodes=10**6)


# ---------------------------------------------------------------- on the adapter

@pytest.fixture(scope="module")
def gpu():
    from gatecc.backends.wgpu_runtime import default_gpu

    if REASON is not None:
        pytest.skip(f"no WebGPU adapter here: {REASON}")
    return default_gpu()


def validate(gpu, source):
    """Compile WGSL with naga; a validation error fails the test with naga's message."""
    import wgpu

    try:
        gpu.device.create_shader_module(code=source)
    except wgpu.GPUValidationError as exc:
        pytest.fail(f"naga rejected the shader:\n{exc}\n{source}")


@needs_gpu
@settings(max_examples=40)
@given(net=logic_nets(n_inputs=st.integers(1, 40), max_width=40), level=st.sampled_from([0, 2]),
       chunk=st.sampled_from([1, 7, 64, 1024]))
def test_naga_accepts_every_emitted_shader(gpu, net, level, chunk):
    lowered = lower_to_source(net, "wgsl", level, chunk_nodes=chunk)
    validate(gpu, lowered.source)
    validate(gpu, emit_wgsl_function(lowered.graph))


@needs_gpu
@given(graph=raw_graphs())
def test_naga_accepts_odd_graphs(gpu, graph):
    validate(gpu, emit_wgsl(graph, chunk_nodes=3))
    validate(gpu, emit_wgsl_function(graph))


@needs_gpu
@settings(max_examples=15)
@given(net=logic_nets(n_inputs=9, max_width=16), chunk=st.integers(1, 12), level=st.sampled_from([0, 2]))
def test_split_shaders_match_the_soft_model(net, chunk, level):
    compiled = gatecc.compile(net, target="wgsl", opt_level=level, chunk_nodes=chunk)
    assert compiled.source.count("@compute") == len(plan(compiled.graph, chunk).chunks)
    assert_matches_soft(net, compiled, X9)


@needs_gpu
@settings(max_examples=15)
@given(graph=raw_graphs(), chunk=st.sampled_from([2, 1000]), batch=st.integers(1, 100))
def test_odd_graphs_run_exactly(graph, chunk, batch):
    compiled = gatecc.compile(graph, target="wgsl", opt_level=0, chunk_nodes=chunk)
    x = np.random.default_rng(batch).integers(0, 2, (batch, graph.n_inputs)).astype(np.uint8)
    np.testing.assert_array_equal(compiled(x).astype(np.int64), evaluate_samples(compiled.graph, x))


@needs_gpu
def test_a_big_graph_is_split_and_exact():
    from gatecc.model import net_from_arrays
    from foreign import random_arrays

    net = net_from_arrays(random_arrays(11, n_inputs=32, widths=(200, 200, 100), k=5))
    compiled = gatecc.compile(net, target="wgsl", opt_level=2, chunk_nodes=128)
    assert compiled.source.count("@compute") >= 4
    x = np.random.default_rng(2).integers(0, 2, (777, 32)).astype(bool)
    assert_matches_soft(net, compiled, x)


def load_kernel(net, level=2, **options):
    """The wgsl kernel of ``net`` (public API: lower, then the target's load) and its graph."""
    lowered = lower_to_source(net, "wgsl", level, **options)
    return get_target("wgsl").load(lowered.graph, lowered.source, **options), lowered.graph


@needs_gpu
def test_batches_bigger_than_one_binding_run_in_spans():
    from gatecc.model import net_from_arrays
    from foreign import random_arrays

    kernel, graph = load_kernel(net_from_arrays(random_arrays(12, n_inputs=10, widths=(20, 6), k=3)), chunk_nodes=10)
    kernel.max_span = 6          # as if a binding held only 6 u32 words per plane
    x = np.random.default_rng(3).integers(0, 2, (1000, 10)).astype(np.uint8)
    got = decode(graph, kernel.run(pack_bits(x)), len(x))
    np.testing.assert_array_equal(got, evaluate_samples(graph, x))


HARNESS = """{function}
@group(0) @binding(0) var<storage, read> inp: array<u32>;
@group(0) @binding(1) var<storage, read_write> outp: array<u32>;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {{
    let w = gid.x;
    if (w >= {words}u) {{
        return;
    }}
    var x: array<u32, {upper}_INPUTS>;
    for (var i = 0u; i < {upper}_INPUTS; i++) {{
        x[i] = inp[i * {words}u + w];
    }}
    let y = {name}(x);
    for (var k = 0u; k < {upper}_OUTPUTS; k++) {{
        outp[k * {words}u + w] = y[k];
    }}
}}
"""


def run_embedded(gpu, function_source, name, planes32, n_out):
    """Run a test shader that loads a word per plane, calls the function and stores its result."""
    import wgpu

    device = gpu.device
    words = planes32.shape[1]
    code = HARNESS.format(function=function_source, name=name, upper=name.upper(), words=words)
    pipeline = device.create_compute_pipeline(
        layout="auto", compute={"module": device.create_shader_module(code=code), "entry_point": "main"})
    inp = device.create_buffer_with_data(data=np.ascontiguousarray(planes32), usage=wgpu.BufferUsage.STORAGE)
    out = device.create_buffer(size=4 * n_out * words, usage=wgpu.BufferUsage.STORAGE | wgpu.BufferUsage.COPY_SRC)
    bind = device.create_bind_group(layout=pipeline.get_bind_group_layout(0), entries=[
        {"binding": 0, "resource": {"buffer": inp, "offset": 0, "size": inp.size}},
        {"binding": 1, "resource": {"buffer": out, "offset": 0, "size": out.size}}])
    encoder = device.create_command_encoder()
    compute = encoder.begin_compute_pass()
    compute.set_pipeline(pipeline)
    compute.set_bind_group(0, bind)
    compute.dispatch_workgroups(-(-words // 64), 1, 1)
    compute.end()
    device.queue.submit([encoder.finish()])
    return np.frombuffer(device.queue.read_buffer(out), dtype="<u4").reshape(n_out, words)


@needs_gpu
@settings(max_examples=10)
@given(net=logic_nets(n_inputs=9, max_width=16), level=st.sampled_from([0, 2]))
def test_embedded_function_matches_the_soft_model(gpu, net, level):
    # Like the Life page: a 9-input circuit applied to 32 samples per u32 word.
    lowered = lower_to_source(net, "wgsl-fn", level)
    layout = PlaneLayout.of(lowered.graph)
    planes32 = pack_bits(X9, word_bits=32)
    out32 = run_embedded(gpu, lowered.source, "gatecc_circuit", planes32, len(layout.planes))
    # 512 samples are 16 u32 words per plane, i.e. 8 uint64 words: the shared layout.
    got = layout.decode(np.ascontiguousarray(out32).view("<u8"), len(X9))
    expected = gatecc.soft_eval(net, X9, hard=True)
    scale = np.float32(net.groupsum.tau) if net.groupsum else np.float32(1)
    np.testing.assert_array_equal(got.astype(np.float32) / scale, expected)


@needs_gpu
def test_embedded_function_with_its_own_name(gpu):
    graph = parse_graph("gatecc-ir 1\ninputs 2\n%2 = xnor %0, %1\n%3 = nand %0, %1\noutputs %3, %2\n")
    x = all_inputs(2)
    out = run_embedded(gpu, emit_wgsl_function(graph, name="life_rule"), "life_rule", pack_bits(x, 32), 2)
    np.testing.assert_array_equal(unpack_bits(out, 4), [[1, 1], [1, 0], [1, 0], [0, 1]])


@needs_gpu
def test_time_dispatches_measures_resident_runs(gpu):
    from foreign import random_arrays
    from gatecc.model import net_from_arrays

    kernel, _ = load_kernel(net_from_arrays(random_arrays(4, widths=(16, 4))))
    assert kernel.time_dispatches(256, 3) > 0
    with pytest.raises(ValueError):
        kernel.time_dispatches(0, 1)


@needs_gpu
def test_a_rejected_shader_is_a_build_error(gpu):
    from gatecc.backends.wgpu_runtime import WgslKernel

    graph = parse_graph("gatecc-ir 1\ninputs 1\n%1 = not %0\noutputs %1\n")
    source = emit_wgsl(graph).replace("~v0", "~v0 + 1.5")
    with pytest.raises(gatecc.BuildError, match="WGSL shader was rejected") as info:
        WgslKernel(gpu, source, plan(graph, 8), 1, 1)
    assert "\n" not in str(info.value)


# ---------------------------------------------------------------- without wgpu or an adapter

@pytest.fixture
def forget_gpu():
    from gatecc.backends.wgpu_runtime import forget_gpu as forget

    forget()
    yield
    forget()


@pytest.mark.parametrize("failure", ["none", "raises"])
def test_no_adapter_is_a_clear_target_error(monkeypatch, forget_gpu, failure):
    wgpu = pytest.importorskip("wgpu", reason="the wgpu package is not installed")

    def request_adapter_sync(**kwargs):
        if failure == "raises":
            raise RuntimeError("Request adapter failed\n  with a long native message")
        return None

    monkeypatch.delenv("GATECC_WGPU_ADAPTER", raising=False)
    monkeypatch.setattr(wgpu.gpu, "request_adapter_sync", request_adapter_sync)
    reason = get_target("wgsl").available()
    assert reason is not None and reason.startswith("no WebGPU adapter found") and "\n" not in reason
    assert "mesa-vulkan-drivers" in reason
    graph = parse_graph("gatecc-ir 1\ninputs 1\n%1 = not %0\noutputs %1\n")
    with pytest.raises(gatecc.TargetError, match="'wgsl' is not available here: no WebGPU adapter"):
        gatecc.compile(graph, target="wgsl")


def test_the_adapter_lookup_is_memoised(monkeypatch, forget_gpu):
    wgpu = pytest.importorskip("wgpu", reason="the wgpu package is not installed")
    calls = []

    def request_adapter_sync(**kwargs):
        calls.append(kwargs)
        return None

    monkeypatch.delenv("GATECC_WGPU_ADAPTER", raising=False)
    monkeypatch.setattr(wgpu.gpu, "request_adapter_sync", request_adapter_sync)
    target = get_target("wgsl")
    first, second = target.available(), target.available()
    assert first == second and len(calls) == 1
    from gatecc.backends.wgpu_runtime import forget_gpu as forget

    forget()
    target.available()
    assert len(calls) == 2


def test_cli_run_without_a_matching_adapter_exits_2(tmp_path, cli, monkeypatch):
    pytest.importorskip("wgpu", reason="the wgpu package is not installed")
    (tmp_path / "c.gir").write_text("gatecc-ir 1\ninputs 2\n%2 = xor %0, %1\noutputs %2\n")
    monkeypatch.setenv("GATECC_WGPU_ADAPTER", "no-such-adapter-anywhere")
    assert_one_line_error(cli("run", "c.gir", "--target", "wgsl"),
                          "not available", "no WebGPU adapter matches GATECC_WGPU_ADAPTER='no-such-adapter-anywhere'")


def _without_wgpu(tmp_path, *argv):
    # sys.modules[name] = None makes every later "import wgpu" fail, as if it were not installed.
    code = ("import sys; sys.modules['wgpu'] = None\n"
            "from gatecc.cli import main\n"
            f"status = main({list(argv)!r})\n"
            "print('wgpu imported' if sys.modules.get('wgpu') else 'no wgpu', file=sys.stderr)\n"
            "sys.exit(status)")
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path)


def test_without_wgpu_lower_still_emits_and_run_is_a_one_line_error(tmp_path):
    (tmp_path / "c.gir").write_text("gatecc-ir 1\ninputs 2\n%2 = xor %0, %1\noutputs %2\n")
    lowered = _without_wgpu(tmp_path, "lower", "c.gir", "--target", "wgsl", "-o", "c.wgsl")
    assert lowered.returncode == 0, lowered.stderr
    assert "@compute" in (tmp_path / "c.wgsl").read_text()
    ran = _without_wgpu(tmp_path, "run", "c.gir", "--target", "wgsl")
    assert ran.returncode == 2 and ran.stdout == ""
    error, marker = ran.stderr.strip().splitlines()
    assert error.startswith("gatecc run: error: target 'wgsl' is not available here: the wgpu package is not installed")
    assert marker == "no wgpu"


def test_cli_lower_emits_both_wgsl_forms(tmp_path, cli):
    (tmp_path / "c.gir").write_text("gatecc-ir 1\ninputs 2\n%2 = xor %0, %1\n%3 = popcount %0, %1, %2\noutputs %3\n")
    for target, needle in [("wgsl", "fn chunk0("), ("wgsl-fn", "fn gatecc_circuit(x: array<u32, 2>)")]:
        first = cli("lower", "c.gir", "--target", target, "-o", "a.wgsl")
        second = cli("lower", "c.gir", "--target", target, "-o", "b.wgsl")
        assert first.returncode == 0 and second.returncode == 0, first.stderr
        text = (tmp_path / "a.wgsl").read_text()
        assert needle in text and text == (tmp_path / "b.wgsl").read_text()


def test_cli_run_on_wgsl_matches_c(tmp_path, cli):
    if REASON is not None:
        pytest.skip(f"no WebGPU adapter here: {REASON}")
    from foreign import random_arrays, write

    write(tmp_path / "m.npz", random_arrays(21, widths=(20, 10), k=2, tau=3.0))
    on_gpu = cli("run", "m.npz", "--target", "wgsl")
    assert on_gpu.returncode == 0, on_gpu.stderr
    assert on_gpu.stdout == cli("run", "m.npz", "--target", "c").stdout
    assert on_gpu.stderr == ""          # no driver chatter (e.g. the XDG_RUNTIME_DIR warning)
