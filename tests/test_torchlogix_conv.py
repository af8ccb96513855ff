"""torchlogix conv models, trained by torchlogix's own layers and saved by real PyTorch, give its eval() counts."""

import json

import numpy as np
import pytest

import gatecc
from conftest import assert_one_line_error
from conv_peer_models import RANDOM, conv3d_model, conv_model, expected_counts, residual_model, resblock, train
from gatecc.convnet import ConvNet
from gatecc.importers.torchlogix_conv import convnet_from_module
from gatecc.ir import all_inputs, evaluate_samples
from gatecc.ir.spatial import evaluate_program, unroll
from peer_models import torch, torchlogix_layers


def _rows(n, count=3000, seed=0):
    return all_inputs(n) if n <= 12 else np.random.default_rng(seed).integers(0, 2, (count, n), dtype=np.uint8)


def _check(net, model, shape, tau, beta=0.0):
    assert isinstance(net, ConvNet)
    x = _rows(net.n_inputs)
    expected = expected_counts(model, x, shape, tau, beta)
    program = net.to_program()
    np.testing.assert_array_equal(evaluate_program(program, x), expected)
    np.testing.assert_array_equal(evaluate_samples(unroll(program), x[:300]), expected[:300])
    np.testing.assert_allclose(net.soft_eval(x, hard=True) * tau, expected, atol=1e-4)


def test_trained_conv_model_from_torch_save(tmp_path):
    model = conv_model(0)
    torch.save(model, tmp_path / "m.pt")
    net = gatecc.load(tmp_path / "m.pt")                   # detected as torchlogix from its classes
    assert [st.kind for st in net.stages] == ["treeconv", "orpool", "treeconv", "orpool", "flatten", "densehead"]
    assert [str(s) for s in net.shapes()] == ["2x6x7", "4x6x7", "4x3x3", "6x2x2", "6x3x3", "54", "3"]
    assert float(net.meta["groupsum_beta"]) == 0.5
    _check(net, model, (2, 6, 7), 2.0, 0.5)


def test_state_dict_with_config(tmp_path):
    model = conv_model(1)
    torch.save(model.state_dict(), tmp_path / "sd.pt")
    config = {"input": [2, 6, 7], "layers": [
        {"type": "LogicConv2d", "name": "0", "receptive_field_size": 3, "padding": 1},
        {"type": "OrPooling2d", "kernel_size": 2, "stride": 2},
        {"type": "LogicConv2d", "name": "2", "receptive_field_size": 2, "stride": 2, "padding": 1},
        {"type": "OrPooling2d", "kernel_size": 2, "stride": 1, "padding": 1},
        {"type": "Flatten"},
        {"type": "LogicDense", "name": "5"},
        {"type": "LogicDense", "name": "6"},
        {"type": "GroupSum", "k": 3, "tau": 2.0, "beta": 0.5}]}
    (tmp_path / "sd.config.json").write_text(json.dumps(config))
    _check(gatecc.load(tmp_path / "sd.pt"), model, (2, 6, 7), 2.0, 0.5)
    # The same config given explicitly, for a state_dict in export mode (its derived buffers are ignored).
    from torchlogix.utils import set_export_mode

    set_export_mode(model)
    torch.save(model.state_dict(), tmp_path / "export.pt")
    (tmp_path / "other.json").write_text(json.dumps(config))
    net = gatecc.load(tmp_path / "export.pt", "torchlogix", wiring=tmp_path / "other.json")
    assert net.to_program() == gatecc.load(tmp_path / "sd.pt").to_program()


def test_residual_block(tmp_path):
    model = residual_model(2)
    torch.save(model, tmp_path / "m.pt")
    net = gatecc.load(tmp_path / "m.pt")
    assert "or" in [st.kind for st in net.stages]
    _check(net, model, (1, 4, 4), 1.0)


def test_conv3d_and_pool3d(tmp_path):
    model = conv3d_model(3)
    torch.save(model, tmp_path / "m.pt")
    net = gatecc.load(tmp_path / "m.pt")
    assert net.input.rank == 3
    _check(net, model, (1, 3, 4, 4), 1.0)


def test_exhaustive_small_image_and_live_module():
    """A 3x3x1 image (9 bits): every input, through the live module too."""
    tl = torchlogix_layers()
    torch.manual_seed(4)
    model = torch.nn.Sequential(
        tl.LogicConv2d(in_dim=3, channels=1, num_kernels=4, tree_depth=2, receptive_field_size=2, padding=1,
                       parametrization_kwargs=RANDOM),
        tl.OrPooling2d(kernel_size=2, stride=2, padding=1),
        torch.nn.Flatten(),
        tl.LogicDense(36, 30, parametrization_kwargs={"weight_init": "random"}),
        tl.GroupSum(3, tau=1.0))
    model = train(model, (1, 3, 3), seed=4)
    _check(convnet_from_module(model), model, (1, 3, 3), 1.0)


# ---------------------------------------------------------------------------
# what gatecc refuses, by name

def test_warp_conv_is_refused_by_name(tmp_path, cli):
    tl = torchlogix_layers()
    model = torch.nn.Sequential(tl.LogicConv2d(4, 1, 2, tree_depth=1, receptive_field_size=2, parametrization="warp"))
    torch.save(model, tmp_path / "m.pt")
    assert_one_line_error(cli("stats", "m.pt"), "LogicConv2d", "parametrization 'warp'")


def _config_case(tmp_path, edit):
    model = conv_model(5, trained=False)
    torch.save(model.state_dict(), tmp_path / "sd.pt")
    config = {"input": [2, 6, 7], "layers": [
        {"type": "LogicConv2d", "name": "0", "receptive_field_size": 3, "padding": 1},
        {"type": "OrPooling2d", "kernel_size": 2, "stride": 2},
        {"type": "LogicConv2d", "name": "2", "receptive_field_size": 2, "stride": 2, "padding": 1},
        {"type": "OrPooling2d", "kernel_size": 2, "stride": 1, "padding": 1},
        {"type": "Flatten"}, {"type": "LogicDense", "name": "5"}, {"type": "LogicDense", "name": "6"},
        {"type": "GroupSum", "k": 3, "tau": 2.0}]}
    edit(config)
    (tmp_path / "sd.config.json").write_text(json.dumps(config))


@pytest.mark.parametrize("edit, needles", [
    (lambda c: c.update(input=[2, 6, 6]), ("shape (2, 4, 42, 2, 3)", "36 output positions")),
    (lambda c: c["layers"][3].update(kernel_size=9), ("pool window (9, 9) does not fit",)),
    (lambda c: c["layers"][0].update(receptive_field_size=1, padding=0), ("is outside the receptive field of size 1",)),
    (lambda c: c["layers"].pop(4), ("LogicDense reads a map; put a Flatten before it",)),
    (lambda c: c["layers"].insert(1, {"type": "Dropout"}), ("Dropout", "not supported")),
    (lambda c: c["layers"].pop(5), ("unexpected key '5.weight'",)),
    (lambda c: c["layers"][5].update(name="9"), ("no '9.weight'",)),
    (lambda c: c.update(layers=3), ("\"layers\" list",)),
    (lambda c: c["layers"][0].update(temperature=-1), ("temperature must be a positive number",)),
])
def test_bad_conv_models_give_one_clear_line(tmp_path, cli, edit, needles):
    _config_case(tmp_path, edit)
    assert_one_line_error(cli("stats", "sd.pt"), "sd.pt", *needles)


def test_leaves_that_move_between_positions_are_not_a_convolution(tmp_path, cli):
    model = conv_model(6, trained=False)
    state = model.state_dict()
    idx = state["0.connections._indices_L0"]
    idx[0, 0, 5, 0, 0] += 1                                  # one leaf of one kernel, at one position only
    torch.save(model, tmp_path / "m.pt")
    assert_one_line_error(cli("stats", "m.pt"), "_indices_L0", "differ between output positions")


def test_shapes_that_do_not_chain(tmp_path, cli):
    tl = torchlogix_layers()
    model = torch.nn.Sequential(
        tl.LogicConv2d(in_dim=6, channels=1, num_kernels=2, tree_depth=1, receptive_field_size=3),
        tl.LogicConv2d(in_dim=5, channels=2, num_kernels=2, tree_depth=1, receptive_field_size=2))
    torch.save(model, tmp_path / "m.pt")
    assert_one_line_error(cli("stats", "m.pt"), "expects a 2x5x5 input but the previous layer gives 2x4x4")


# ---------------------------------------------------------------------------
# ResidualLogicBlock's projection shortcut: torchlogix 0.2.2 cannot build one, so gatecc refuses it by name

@pytest.mark.parametrize("parametrization, error", [("raw", ValueError), ("light", ValueError), ("warp", TypeError)])
@pytest.mark.parametrize("downsample, out_channels", [(False, 2), (True, 1)])
def test_torchlogix_cannot_build_a_projection_shortcut(parametrization, error, downsample, out_channels):
    """The fact the importer's refusal rests on; if a torchlogix release builds one, this fails and says so."""
    rb = resblock()
    with pytest.raises(error):
        rb.ResidualLogicBlock(8, 1, out_channels, tree_depth=1, receptive_field_size=2, padding=1,
                              downsample=downsample, parametrization=parametrization)


def test_a_non_identity_shortcut_is_refused_by_name(tmp_path, cli):
    model = residual_model(3)
    tl = torchlogix_layers()
    model[1].shortcut = torch.nn.Sequential(tl.OrPooling2d(kernel_size=1, stride=1))   # what no 0.2.2 block has
    torch.save(model, tmp_path / "m.pt")
    assert_one_line_error(cli("stats", "m.pt"), "ResidualLogicBlock", "projection shortcut", "torchlogix 0.2.2")


@pytest.mark.parametrize("block", [{"in_channels": 2, "out_channels": 4}, {"in_channels": 2, "out_channels": 2,
                                                                           "downsample": True}])
def test_a_projection_shortcut_in_a_config_is_refused_by_name(tmp_path, cli, block):
    model = conv_model(7, trained=False)
    torch.save(model.state_dict(), tmp_path / "sd.pt")
    config = {"input": [2, 6, 7], "layers": [dict({"type": "ResidualLogicBlock", "name": "0"}, **block)]}
    (tmp_path / "sd.config.json").write_text(json.dumps(config))
    assert_one_line_error(cli("stats", "sd.pt"), "ResidualLogicBlock", "projection shortcut")


@pytest.mark.parametrize("temperature", [1.0, 0.5, 3.0])
def test_soft_model_is_torchlogix_training_forward_with_its_temperature(tmp_path, temperature):
    """gatecc's soft conv model equals torchlogix's training-mode forward (softmax(w / temperature)) on float inputs."""
    tl = torchlogix_layers()
    torch.manual_seed(12)
    kw = {"parametrization_kwargs": {"weight_init": "random", "temperature": temperature}}
    model = torch.nn.Sequential(
        tl.LogicConv2d(in_dim=(5, 6), channels=2, num_kernels=3, tree_depth=2, receptive_field_size=3, padding=1, **kw),
        tl.OrPooling2d(kernel_size=2, stride=2, padding=0),
        torch.nn.Flatten(),
        tl.LogicDense(3 * 2 * 3, 24, parametrization_kwargs=RANDOM),
        tl.GroupSum(4, tau=2.0))
    torch.save(model, tmp_path / "m.pt")
    net = gatecc.load(tmp_path / "m.pt")
    x = np.random.default_rng(12).random((40, 2 * 5 * 6), dtype=np.float32)
    model.train()
    with torch.no_grad():
        want = model(torch.from_numpy(x.reshape(40, 2, 5, 6))).numpy()
    np.testing.assert_allclose(net.soft_eval(x, hard=False), want, atol=1e-5)
    bits = (x > 0.5).astype(np.uint8)          # and eval mode (argmax) is untouched by the temperature
    np.testing.assert_array_equal(evaluate_program(net.to_program(), bits), expected_counts(model, bits, (2, 5, 6), 2.0))


def test_transposed_conv_is_refused_by_name(tmp_path, cli):
    tl = torchlogix_layers()
    model = torch.nn.Sequential(
        tl.LogicConv2d(4, 1, 2, tree_depth=1, receptive_field_size=2, parametrization_kwargs=RANDOM),
        tl.LogicConvTranspose2d(3, 2, 2, tree_depth=1, receptive_field_size=2, stride=2, device="cpu"))
    torch.save(model, tmp_path / "m.pt")
    assert_one_line_error(cli("stats", "m.pt"), "LogicConvTranspose2d", "not supported")
