"""torchlogix binarization modules import as the net's input encoder: compiled nets on raw floats == torchlogix eval."""

import numpy as np
import pytest

import gatecc
from backend_support import runnable_targets
from conftest import assert_one_line_error
from gatecc.importers import torchlogix as tl_import
from gatecc.importers.torchlogix_binarization import learned_thresholds
from peer_models import counts_from_scores, torch, torchlogix_layers

TAU = 2.0


def _data(n=400, seed=0):
    """Three real features; class = x0 > 0.5 or x1 < -1 (float32, as torchlogix computes)."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(-3, 3, size=(n, 3)).astype(np.float32)
    return x, ((x[:, 0] > 0.5) | (x[:, 1] < -1.0)).astype(np.int64)


def _trained(kind: str, x, y, epochs=4):
    """Binarization(kind) + LogicDense(.., 32) x2 + GroupSum(2), trained briefly by torchlogix in train mode."""
    tl = torchlogix_layers()
    torch.manual_seed(0)
    data = torch.tensor(x)
    if kind == "global":                   # one set of 4 thresholds for every feature, soft in training
        t = tl.Binarization.get_initial_thresholds(data, 4, "global", "distributive")
        binarize = tl.SoftBinarization(t, temperature=0.3)
    elif kind == "fixed":
        binarize = tl.FixedBinarization(tl.Binarization.get_initial_thresholds(data, 4, "feature", "distributive"))
    else:
        binarize = tl.LearnableBinarization(tl.Binarization.get_initial_thresholds(data, 4, "feature", "uniform"),
                                            temperature_sampling=0.3, max_grad_norm=1.0)
    model = torch.nn.Sequential(binarize, tl.LogicDense(12, 32, device="cpu"), tl.LogicDense(32, 32, device="cpu"),
                                tl.GroupSum(2, TAU, device="cpu"))
    opt = torch.optim.Adam(model.parameters(), lr=0.05)
    target = torch.tensor(y)
    model.train()
    for _ in range(epochs):
        for idx in torch.randperm(len(x)).split(64):
            opt.zero_grad()
            torch.nn.functional.cross_entropy(model(data[idx]), target[idx]).backward()
            opt.step()
    return model.eval()


def _rows(model, n=300):
    """Fresh rows, plus rows exactly on each threshold and on the float32 values either side of it."""
    x = np.random.default_rng(7).uniform(-3.5, 3.5, (n, 3)).astype(np.float32)
    t = model[0].get_thresholds().detach().numpy().astype(np.float32).reshape(-1)
    edges = np.concatenate([t, np.nextafter(t, np.float32(np.inf)), np.nextafter(t, np.float32(-np.inf))])
    return np.concatenate([x, np.repeat(edges[:, None], 3, axis=1)])


def _torch_counts(model, x):
    with torch.no_grad():
        return counts_from_scores(model(torch.tensor(x)).numpy(), TAU)


@pytest.fixture(scope="module", params=["fixed", "global", "learnable"])
def trained(request):
    x, y = _data()
    model = _trained(request.param, x, y)
    return request.param, model, _rows(model)


def test_learned_thresholds_are_torchs_bit_for_bit():
    model = _trained("learnable", *_data(), epochs=2)
    raw = model[0].raw_diffs.detach().numpy()
    assert not np.array_equal(raw[:, 1:], np.diff(model[0].thresholds.numpy(), axis=-1)), "training moved nothing"
    ours = learned_thresholds(raw, model[0].temperature_softplus)
    np.testing.assert_array_equal(ours, model[0].get_thresholds().detach().numpy())


def _imports(model, tmp_path):
    """The net imported from the live module, a torch.save'd model (read without torch) and a state_dict."""
    torch.save(model, tmp_path / "model.pt")
    torch.save(model.state_dict(), tmp_path / "sd.pt")
    np.savez(tmp_path / "sd.wiring.npz", **{"3.k": 2, "3.tau": TAU,
                                            "0.temperature_softplus": getattr(model[0], "temperature_softplus", 0.1)})
    return {"live": tl_import.from_module(model), "file": gatecc.load(tmp_path / "model.pt"),
            "state_dict": gatecc.load(tmp_path / "sd.pt", "torchlogix")}


@pytest.mark.parametrize("target", runnable_targets())
def test_compiled_net_on_raw_floats_is_torchlogix_eval(trained, target, tmp_path):
    kind, model, x = trained
    expected = _torch_counts(model, x)
    assert len(np.unique(expected.argmax(1))) == 2          # the rows exercise both classes
    for how, net in _imports(model, tmp_path).items():
        assert net.encoder is not None and net.encoder.n_features == 3 and net.n_inputs == 12, how
        np.testing.assert_array_equal(gatecc.compile(net, target=target)(x), expected, err_msg=how)
        np.testing.assert_array_equal(gatecc.soft_eval(net, x, hard=True), expected / np.float32(TAU), err_msg=how)


def test_float64_thresholds_decide_as_torch_does():
    """A float64 threshold between two float32 values: torch compares the float32 x in float64."""
    tl = torchlogix_layers()
    t = torch.tensor([[0.1], [-0.3], [1.0]], dtype=torch.float64)
    torch.manual_seed(1)
    model = torch.nn.Sequential(tl.FixedBinarization(t), tl.LogicDense(3, 8, device="cpu"),
                                tl.GroupSum(2, 1.0, device="cpu")).eval()
    x32 = np.float32([0.1, -0.3, 1.0])
    x = np.stack([x32, np.nextafter(x32, np.float32(1)), np.nextafter(x32, np.float32(-1))]).repeat(3, 0)
    x = np.array([[a, b, c] for a in x[:, 0] for b in x[:, 1] for c in x[:, 2]], np.float32)
    net = tl_import.from_module(model)
    with torch.no_grad():
        bits = model[0](torch.tensor(x)).numpy()
    np.testing.assert_array_equal(net.encoder.encode(x), bits)
    np.testing.assert_array_equal(gatecc.compile(net, target="c")(x), _torch_counts_tau(model, x, 1.0))


def _torch_counts_tau(model, x, tau):
    with torch.no_grad():
        return counts_from_scores(model(torch.tensor(x)).numpy(), tau)


def test_bad_binarizations_get_one_clear_error(tmp_path, cli):
    tl = torchlogix_layers()
    good = torch.tensor([[0.0, 1.0]] * 3)
    cases = [
        (torch.nn.Sequential(tl.LogicDense(6, 4, device="cpu"), tl.FixedBinarization(good)), "must come first"),
        (torch.nn.Sequential(tl.FixedBinarization(torch.tensor([[0.0, float("nan")]] * 3)),
                             tl.LogicDense(6, 4, device="cpu")), "NaN"),
        (torch.nn.Sequential(tl.FixedBinarization(torch.tensor([[0.0, 1.0]] * 4)), tl.LogicDense(6, 4, device="cpu")),
         "makes 8 bits but the first logic layer reads 6 inputs"),
        (torch.nn.Sequential(tl.FixedBinarization(good, feature_dim=0), tl.LogicDense(6, 4, device="cpu")),
         "feature_dim 0 is not supported"),
    ]
    for i, (model, needle) in enumerate(cases):
        torch.save(model, tmp_path / f"m{i}.pt")
        with pytest.raises(gatecc.ModelError, match=needle):
            gatecc.load(tmp_path / f"m{i}.pt")
        assert_one_line_error(cli("stats", f"m{i}.pt"), needle)


# ---------------------------------------------------------------------------
# a binarization in front of conv layers: the image encoder of the imported ConvNet

def _conv_model(binarize, planes: int):
    from conv_peer_models import RANDOM

    layers = torchlogix_layers()
    torch.manual_seed(5)
    return torch.nn.Sequential(
        binarize,
        layers.LogicConv2d(in_dim=(5, 5), channels=planes, num_kernels=4, tree_depth=2, receptive_field_size=3,
                           padding=1, parametrization_kwargs=RANDOM),
        layers.OrPooling2d(kernel_size=2, stride=2, padding=0),
        torch.nn.Flatten(),
        layers.LogicDense(16, 30, parametrization_kwargs=RANDOM),
        layers.GroupSum(3, tau=1.0)).eval()


@pytest.mark.parametrize("kind", ["fixed", "global", "learnable"])
def test_binarization_before_conv_layers_is_the_convnets_encoder(kind, tmp_path):
    """torchlogix eval(x_float) == gatecc soft_eval(hard) == compiled(x_float) with the imported image encoder."""
    layers = torchlogix_layers()
    if kind == "global":
        bz = layers.FixedBinarization(torch.tensor([-0.5, 0.0, 0.7]), feature_dim=1)
    elif kind == "fixed":
        bz = layers.FixedBinarization(torch.tensor([[-0.5, 0.1, 0.6], [-0.2, 0.3, 1.0]]), feature_dim=1)
    else:
        bz = layers.LearnableBinarization(torch.tensor([[-0.5, 0.1, 0.6], [-0.2, 0.3, 1.0]]), feature_dim=1)
        with torch.no_grad():
            bz.raw_diffs.add_(torch.randn(bz.raw_diffs.shape, generator=torch.Generator().manual_seed(1)) * 0.2)
    channels = 1 if kind == "global" else 2
    model = _conv_model(bz, 3 * channels)
    x = np.random.default_rng(2).normal(0, 0.8, (200, channels, 5, 5)).astype(np.float32)
    with torch.no_grad():
        expected = counts_from_scores(model(torch.tensor(x)).numpy(), 1.0)
    torch.save(model, tmp_path / "m.pt")
    net = gatecc.load(tmp_path / "m.pt")
    assert net.encoder is not None and net.encoder.n_features == channels * 25
    flat = x.reshape(len(x), -1)
    np.testing.assert_array_equal(gatecc.soft_eval(net, flat, hard=True), expected)
    np.testing.assert_array_equal(gatecc.compile(net, target="c")(flat), expected)


def test_binarization_before_conv_needs_feature_dim_1(tmp_path, cli):
    layers = torchlogix_layers()
    model = _conv_model(layers.FixedBinarization(torch.tensor([-0.5, 0.0, 0.7])), 3)
    torch.save(model, tmp_path / "m.pt")
    assert_one_line_error(cli("stats", "m.pt"), "feature_dim -2")
