"""Conv nets through gatecc.compile and the CLI: every target x {loop, unrolled} x -O levels == the reference."""

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import gatecc
from backend_support import runnable_targets
from conftest import assert_one_line_error
from gatecc.ir import all_inputs, evaluate_samples, parse_graph, print_graph
from gatecc.ir.spatial import evaluate_program, unroll
from gatecc.spatial_compile import loop_targets
from gatecc.testing_spatial import conv_nets, spatial_programs

TARGETS = runnable_targets()


def _mode_params():
    out = []
    for t in TARGETS:
        for m in ("loop", "unroll"):
            if m == "unroll" or t.values[0] in loop_targets():
                out.append(pytest.param(t.values[0], m, marks=t.marks, id=f"{t.values[0]}-{m}"))
    return out


def _rows(n, seed=0):
    return all_inputs(n) if n <= 12 else np.random.default_rng(seed).integers(0, 2, (200, n), dtype=np.uint8)


@pytest.mark.parametrize("target, mode", _mode_params())
@settings(max_examples=8)
@given(program=spatial_programs(max_input_bits=40), level=st.sampled_from([0, 2]))
def test_random_programs_on_every_target(target, mode, program, level):
    x = _rows(program.n_inputs)
    net = gatecc.compile(program, target, opt_level=level, mode=mode, cache=False)
    assert net.mode == mode
    np.testing.assert_array_equal(net(x), evaluate_program(program, x))


@pytest.mark.parametrize("target, mode", _mode_params())
@settings(max_examples=5)
@given(net=conv_nets(max_input_bits=40, head=True))
def test_conv_nets_equal_the_hard_soft_model(target, mode, net):
    x = _rows(net.n_inputs)
    compiled = gatecc.compile(net, target, mode=mode, cache=False)
    got = compiled(x.reshape(len(x), net.input.channels, *net.input.spatial).astype(bool))
    assert got.dtype == np.int32
    np.testing.assert_array_equal(got / np.float32(net.groupsum.tau), gatecc.soft_eval(net, x, hard=True))


@pytest.mark.parametrize("target, mode", _mode_params())
def test_torchlogix_model_never_seen_compiles_to_its_eval_counts(tmp_path, target, mode):
    """The done-when check: a model trained by torchlogix (seed the other tests do not use), saved by torch.save."""
    from conv_peer_models import conv_model, expected_counts
    from peer_models import torch

    model = conv_model(11)
    torch.save(model, tmp_path / "m.pt")
    x = np.random.default_rng(11).integers(0, 2, (500, 84), dtype=np.uint8)
    net = gatecc.compile(tmp_path / "m.pt", target, mode=mode, cache=False)
    np.testing.assert_array_equal(net(x), expected_counts(model, x, (2, 6, 7), 2.0, 0.5))


def test_loop_form_does_not_grow_with_the_image():
    """The loop form's source is the same size for a 12x12 and a 48x48 image; the unrolled graph is not."""
    from gatecc.convnet import ConvNet, DenseHead, TreeConv
    from gatecc.ir.spatial import MapShape, OrPool
    from gatecc.spatial_compile import program_source

    rng = np.random.default_rng(0)
    leaves = np.stack([np.zeros((4, 8), int), rng.integers(0, 3, (4, 8)), rng.integers(0, 3, (4, 8))], -1)
    levels = tuple(rng.normal(size=(4, 4 >> lv, 16)).astype(np.float32) for lv in range(3))
    sizes = {}
    for n in (12, 48):
        net = ConvNet(MapShape(1, (n, n)), (TreeConv(0, leaves, levels, (3, 3), (1, 1), (1, 1)),
                                            OrPool(1, (2, 2), (2, 2), (0, 0))))
        sizes[n] = (len(program_source(net, "c")), unroll(net.to_program()).n_nodes)
    assert abs(sizes[48][0] - sizes[12][0]) < 200          # only the loop bounds' digits differ
    assert sizes[48][1] > 10 * sizes[12][1]


# -- the command line ---------------------------------------------------------------------------------------------
@pytest.fixture
def conv_file(tmp_path):
    from conv_peer_models import conv_model
    from peer_models import torch

    model = conv_model(12)
    torch.save(model, tmp_path / "m.pt")
    return model


def test_cli_stats_reports_stages_and_positions(tmp_path, cli, conv_file):
    res = cli("stats", "m.pt", "--json")
    assert res.returncode == 0, res.stderr
    data = json.loads(res.stdout)
    assert data["input_shape"] == "2x6x7" and data["outputs"] == 3
    assert [(r["kind"], r["positions"]) for r in data["stages"]] == [
        ("conv", 42), ("orpool", 9), ("conv", 4), ("orpool", 9), ("flatten", 1), ("dense", 1)]
    assert data["gates"] == sum(r["gates"] * r["positions"] for r in data["stages"])
    text = cli("stats", "m.pt")
    assert text.returncode == 0 and "positions" in text.stdout and "4x6x7" in text.stdout


def test_cli_run_lower_verify(tmp_path, cli, conv_file):
    from conv_peer_models import expected_counts

    x = np.random.default_rng(3).integers(0, 2, (20, 2, 6, 7), dtype=np.uint8)
    np.save(tmp_path / "x.npy", x)
    for extra in ([], ["--unroll"], ["--unroll", "-t", "llvm"]):
        res = cli("run", "m.pt", "--npy", "x.npy", "-o", "y.npy", *extra)
        assert res.returncode == 0, res.stderr
        np.testing.assert_array_equal(np.load(tmp_path / "y.npy"),
                                      expected_counts(conv_file, x.reshape(20, -1), (2, 6, 7), 2.0, 0.5))
    loop = cli("lower", "m.pt", "-t", "c", "-o", "loop.c")
    flat = cli("lower", "m.pt", "-t", "c", "--unroll", "-o", "flat.c")
    assert loop.returncode == 0 and flat.returncode == 0, (loop.stderr, flat.stderr)
    assert "spatial program" in (tmp_path / "loop.c").read_text()
    assert "spatial program" not in (tmp_path / "flat.c").read_text()
    # The unrolled circuit, written as IR text, is proved equal to the model (and a mutant is not).
    graph = unroll(gatecc.load(tmp_path / "m.pt").to_program())
    (tmp_path / "flat.gir").write_text(print_graph(graph))
    assert cli("verify", "m.pt", "flat.gir").returncode == 0
    text = print_graph(graph)
    outs = graph.outputs
    mutant = text.replace(f"outputs %{outs[0]}, %{outs[1]},", f"outputs %{outs[1]}, %{outs[0]},")   # two classes swapped
    (tmp_path / "mutant.gir").write_text(mutant)
    assert not np.array_equal(evaluate_samples(parse_graph(mutant), _rows(84)), evaluate_samples(graph, _rows(84)))
    assert cli("verify", "m.pt", "mutant.gir").returncode == 1


def test_cli_bad_inputs_and_options(tmp_path, cli, conv_file):
    np.save(tmp_path / "bad.npy", np.zeros((3, 2, 6, 6), np.uint8))
    assert_one_line_error(cli("run", "m.pt", "--npy", "bad.npy"), "(batch, 2, 6, 7)", "(3, 2, 6, 6)")
    assert_one_line_error(cli("run", "m.pt", "--npy", "bad.npy", "-t", "llvm", "--unroll"), "(3, 2, 6, 6)")
    np.save(tmp_path / "logic.npy", np.zeros((1, 9)))
    from gatecc.model import LogicNet

    LogicNet.from_gates(2, [([0], [1], [6])]).save(tmp_path / "dense.npz")
    assert_one_line_error(cli("run", "dense.npz", "--unroll", "-i", "01"), "--unroll applies to conv models")


def test_spatial_program_text_files(tmp_path, cli):
    from gatecc.ir.spatial import print_program
    from gatecc.testing_spatial import random_kernel
    from gatecc.ir.spatial import Conv, MapShape, Program

    kernel = random_kernel(np.random.default_rng(1), 4, 2)
    program = Program(MapShape(1, (3, 3)), (Conv(0, kernel, ((0, 0, 0), (0, 1, 1), (0, 0, 1), (0, 1, 0)),
                                                 (2, 2), (1, 1), (0, 0)),))
    (tmp_path / "p.gsp").write_text(print_program(program))
    res = cli("run", "p.gsp")
    assert res.returncode == 0, res.stderr
    got = np.array([[int(c) for c in line.split(" -> ")[1]] for line in res.stdout.splitlines()])
    np.testing.assert_array_equal(got, evaluate_program(program, all_inputs(9)))
    (tmp_path / "bad.gsp").write_text(print_program(program).replace("size=2x2", "size=1x1"))
    assert_one_line_error(cli("stats", "bad.gsp"), "bad.gsp", "outside the receptive field of size 1")


@settings(max_examples=3)
@given(net=conv_nets(max_input_bits=40, head=True))
def test_loop_source_is_deterministic(tmp_path_factory, net):
    """Same model, same options: byte-identical code, also after a save/load round trip of the model."""
    from gatecc.spatial_compile import program_source

    tmp_path = tmp_path_factory.mktemp("det")
    net.save(tmp_path / "net.npz")
    again = gatecc.load(tmp_path / "net.npz")
    for target in ("c", "wgsl"):
        assert program_source(net, target) == program_source(again, target)
