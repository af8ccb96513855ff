"""Real torchlogix models, saved by real PyTorch, give the counts torchlogix's eval() gives."""

import numpy as np
import pytest

import gatecc
from conftest import assert_one_line_error
from gatecc.importers import torchlogix as tl_import
from gatecc.ir import all_inputs, evaluate_samples
from gatecc.lower import lower
from peer_models import counts_from_scores, eval_outputs, torch, torchlogix_layers, torchlogix_model

X9 = all_inputs(9)


def circuit(net):
    """The imported net's circuit on every input, by the reference evaluator (C is tested against it)."""
    return evaluate_samples(lower(net), X9)


def _check(net, model, tau, beta=0.0):
    expected = counts_from_scores(eval_outputs(model, X9), tau, beta)
    np.testing.assert_array_equal(circuit(net), expected)


@pytest.mark.parametrize("seed, connections", [(0, "fixed"), (1, "fixed"), (2, "learnable")])
def test_saved_model_object(tmp_path, seed, connections):
    model = torchlogix_model(seed, connections=connections, tau=4.0, beta=1.5)
    torch.save(model, tmp_path / "model.pt")
    net = gatecc.load(tmp_path / "model.pt")              # detected as torchlogix from its classes
    assert net.widths == [24, 12] and net.groupsum.tau == 4.0
    assert float(net.meta["groupsum_beta"]) == 1.5
    _check(net, model, 4.0, 1.5)


@pytest.mark.parametrize("connections", ["fixed", "learnable"])
def test_state_dict_carries_weights_and_wiring(tmp_path, connections):
    model = torchlogix_model(3, connections=connections, tau=2.0)
    torch.save(model.state_dict(), tmp_path / "sd.pt")
    np.savez(tmp_path / "sd.wiring.npz", **{"3.k": 3, "3.tau": 2.0})   # GroupSum keeps no tensors
    _check(gatecc.load(tmp_path / "sd.pt"), model, 2.0)


def test_state_dict_in_export_mode(tmp_path):
    model = torchlogix_model(4, connections="learnable", tau=2.0)
    expected = counts_from_scores(eval_outputs(model, X9), 2.0)
    from torchlogix.utils import set_export_mode  # after torchlogix_model() made the package importable

    set_export_mode(model)
    state = model.state_dict()
    assert any(k.endswith("_export_lut_ids") for k in state)   # derived buffers gatecc accepts and ignores
    torch.save(state, tmp_path / "sd.pt")
    net = gatecc.load(tmp_path / "sd.pt", "torchlogix", wiring=_wiring_file(tmp_path, k=3, tau=2.0))
    np.testing.assert_array_equal(circuit(net), expected)


def _wiring_file(tmp_path, **head):
    np.savez(tmp_path / "head.npz", **{f"3.{k}": v for k, v in head.items()})
    return tmp_path / "head.npz"


def test_live_module():
    model = torchlogix_model(5, tau=1.0)
    _check(tl_import.from_module(model), model, 1.0)


def test_cli_run_matches_eval(tmp_path, cli):
    model = torchlogix_model(6, tau=3.0)
    torch.save(model, tmp_path / "m.pth")
    res = cli("run", "m.pth", "--input", "011010011")
    expected = counts_from_scores(eval_outputs(model, [[0, 1, 1, 0, 1, 0, 0, 1, 1]]), 3.0)[0]
    assert res.returncode == 0, res.stderr
    assert res.stdout.split("->")[1].split() == [str(v) for v in expected]


# ---------------------------------------------------------------------------
# what gatecc refuses, by name


@pytest.mark.parametrize("parametrization", ["warp", "light"])
def test_other_parametrizations_import_and_match_eval(tmp_path, cli, parametrization):
    """Random (untrained) warp/light nets; tests/test_torchlogix_lut.py covers trained ones of every rank."""
    model = torchlogix_model(7, parametrization=parametrization)
    torch.save(model, tmp_path / "m.pt")
    assert cli("stats", "m.pt").returncode == 0
    from gatecc.compiler import to_graph

    expected = counts_from_scores(eval_outputs(model, X9), 2.0)
    np.testing.assert_array_equal(evaluate_samples(to_graph(gatecc.load(tmp_path / "m.pt")), X9), expected)
    torch.save(model.state_dict(), tmp_path / "sd.pt")
    assert_one_line_error(cli("stats", "sd.pt"), "'warp' (Walsh) or 'light'", "parametrization")


def test_lut_rank_above_two_needs_its_parametrization_in_a_state_dict(tmp_path, cli):
    model = torchlogix_model(8, parametrization="warp", lut_rank=4, k=None)
    torch.save(model.state_dict(), tmp_path / "sd.pt")
    assert_one_line_error(cli("stats", "sd.pt", "--from", "torchlogix"), "LUT rank 4", "'warp' (Walsh) or 'light'")


def test_convolutional_state_dict_needs_its_config(tmp_path, cli):
    """Conv models import (tests/test_torchlogix_conv.py); a bare conv state_dict lacks its shapes."""
    tl = torchlogix_layers()
    conv = tl.LogicConv2d(in_dim=(4, 4), channels=1, num_kernels=2, tree_depth=1, receptive_field_size=2,
                          device="cpu")
    model = torch.nn.Sequential(conv)
    torch.save(model.state_dict(), tmp_path / "sd.pt")
    assert_one_line_error(cli("stats", "sd.pt", "--from", "torchlogix"), "conv state_dict", "sd.config.json")


@pytest.mark.parametrize("change, needle", [
    ({"drop": "2.connections.indices"}, "missing key '2.connections.indices'"),
    ({"2.weight": np.zeros((12, 16, 1), np.float32)}, "gate weights have shape (12, 16, 1)"),
    ({"1.connections.indices": np.zeros((2, 7), np.int64)}, "24 gates but the wiring has 7"),
    ({"1.weight": np.zeros((24, 16), np.int64)}, "dtype int64"),
    ({"1.weight": np.full((24, 16), np.nan, np.float32)}, "NaN"),
])
def test_bad_state_dicts_get_one_clear_error(tmp_path, cli, change, needle):
    state = {k: v.numpy() for k, v in torchlogix_model(9, k=None).state_dict().items()}
    state.pop(change.pop("drop", None), None)
    state.update(change)
    np.savez(tmp_path / "sd.npz", **state)
    with pytest.raises(gatecc.ModelError, match=needle.replace("(", r"\(").replace(")", r"\)")):
        gatecc.load(tmp_path / "sd.npz", "torchlogix")
    assert_one_line_error(cli("lower", "sd.npz", "--from", "torchlogix", "--target", "verilog"), needle)
