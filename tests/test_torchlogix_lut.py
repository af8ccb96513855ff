"""torchlogix warp (Walsh) and light neurons of lut_rank 2, 4 and 6, trained by torchlogix itself.

Oracle: torchlogix's own eval-mode output on every input row (GroupSum
scores turned back into counts, ``rint(tau * out - beta)``), compared with the
reference evaluator on the imported graph, the soft model in hard mode, and
the compiled C and LLVM kernels.
"""

import numpy as np
import pytest

import gatecc
from conftest import assert_one_line_error
from gatecc.compiler import to_graph
from gatecc.importers import torchlogix as tl_import
from gatecc.ir import all_inputs, evaluate_samples
from gatecc.lutnet import LutNet
from peer_models import counts_from_scores, eval_outputs, torch, torchlogix_layers

N_INPUTS, TAU = 8, 2.0
X = all_inputs(N_INPUTS)
# A random binary task: the majority of a random half of the bits, xor a third bit.
_rng = np.random.default_rng(19)
_mask = _rng.permutation(N_INPUTS)[: N_INPUTS // 2]
Y = ((X[:, _mask].sum(axis=1) > len(_mask) // 2) ^ X[:, 2]).astype(np.int64)

CASES = [(p, r) for p in ("warp", "light") for r in (2, 4, 6)]


def _train(parametrization: str, rank: int, seed: int = 0, epochs: int = 8):
    """A small torchlogix net trained a few epochs on the task (seconds)."""
    tl = torchlogix_layers()
    torch.manual_seed(seed + rank)
    model = torch.nn.Sequential(
        torch.nn.Flatten(),
        tl.LogicDense(N_INPUTS, 24, device="cpu", parametrization=parametrization, lut_rank=rank),
        tl.LogicDense(24, 12, device="cpu", parametrization=parametrization, lut_rank=rank),
        tl.GroupSum(2, TAU, device="cpu"),
    )
    opt = torch.optim.Adam(model.parameters(), lr=0.05)
    x, y = torch.tensor(X, dtype=torch.float32), torch.tensor(Y)
    model.train()
    for _ in range(epochs):
        opt.zero_grad()
        torch.nn.functional.cross_entropy(model(x), y).backward()
        opt.step()
    return model.eval()


@pytest.fixture(scope="module", params=CASES, ids=lambda c: f"{c[0]}-{c[1]}")
def trained(request, tmp_path_factory):
    parametrization, rank = request.param
    model = _train(parametrization, rank)
    expected = counts_from_scores(eval_outputs(model, X), TAU)
    path = tmp_path_factory.mktemp("tl") / "model.pt"
    torch.save(model, path)
    return parametrization, rank, model, expected, path


def test_imported_circuit_is_exact_on_every_row(trained):
    parametrization, rank, model, expected, path = trained
    net = gatecc.load(path)                                   # a saved model object, read without torch
    assert isinstance(net, LutNet) and [layer.k for layer in net.layers] == [rank, rank]
    assert all(layer.parametrization == parametrization for layer in net.layers)
    graph = to_graph(net)
    assert len(graph.luts) == 36
    np.testing.assert_array_equal(evaluate_samples(graph, X), expected)
    np.testing.assert_array_equal(np.rint(gatecc.soft_eval(net, X, hard=True) * TAU).astype(np.int64), expected)


def test_soft_model_matches_torchlogix_training_mode(trained):
    parametrization, rank, model, expected, path = trained
    net = tl_import.from_module(model)
    x = np.random.default_rng(rank).random((64, N_INPUTS)).astype(np.float32)   # soft inputs in [0, 1]
    model.train()
    try:
        with torch.no_grad():
            want = model(torch.tensor(x)).numpy()
    finally:
        model.eval()
    np.testing.assert_allclose(gatecc.soft_eval(net, x), want, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("target", ["c", "llvm"])
def test_compiled_kernels_are_exact(trained, target):
    parametrization, rank, model, expected, path = trained
    compiled = gatecc.compile(gatecc.load(path), target=target, cache=False)
    np.testing.assert_array_equal(np.asarray(compiled(X), dtype=np.int64), expected)


def test_state_dict_with_the_parametrization_in_a_wiring_file(tmp_path, cli):
    model = _train("warp", 4, seed=3, epochs=3)
    expected = counts_from_scores(eval_outputs(model, X), TAU)
    torch.save(model.state_dict(), tmp_path / "sd.pt")
    np.savez(tmp_path / "w.npz", **{"3.k": 2, "3.tau": TAU, "1.parametrization": "warp",
                                    "2.parametrization": "warp"})
    net = gatecc.load(tmp_path / "sd.pt", "torchlogix", wiring=tmp_path / "w.npz")
    np.testing.assert_array_equal(evaluate_samples(to_graph(net), X), expected)
    # Without it the shape cannot tell warp from light: one line naming the key to add.
    assert_one_line_error(cli("stats", "sd.pt", "--from", "torchlogix"), "'1.parametrization'", "'warp'")


def _rank2_model(parametrization: str, weights):
    tl = torchlogix_layers()
    layer = tl.LogicDense(2, len(weights), device="cpu", parametrization=parametrization, lut_rank=2)
    with torch.no_grad():
        layer.weight.copy_(torch.tensor(weights, dtype=torch.float32))
        layer.connections.indices.copy_(torch.tensor([[0] * len(weights), [1] * len(weights)]))
    return torch.nn.Sequential(torch.nn.Flatten(), layer).eval()


@pytest.mark.parametrize("parametrization", ["warp", "light"])
def test_ties_and_float32_rounding_break_as_torchlogix_breaks_them(parametrization):
    weights = [
        [0.0, 0.0, 0.0, 0.0],          # every sum exactly 0 (warp) / every weight 0 (light): 0
        [0.5, 0.5, 0.0, 0.0],          # warp: 0 on rows where B = -1, exactly
        [1.0, 1e8, -1e8, -0.5],        # warp: float32 loses the 1, so (1 + 1e8) - 1e8 - 0.5 < 0
        [-0.0, 1e-30, -1e-30, 0.0],
        [0.25, -0.25, -0.25, 0.25],
    ]
    model = _rank2_model(parametrization, weights)
    x2 = all_inputs(2)
    expected = eval_outputs(model, x2).astype(np.int64)
    net = tl_import.from_module(model)
    np.testing.assert_array_equal(evaluate_samples(to_graph(net), x2), expected)
    if parametrization == "warp":
        assert expected[0, 2] == 1          # the rounding case really is one (exact arithmetic says 0)


def test_unknown_rank_for_light_is_refused_by_name():
    from gatecc.importers.torchlogix_lut import lut_layer

    with pytest.raises(gatecc.ModelError, match="LUT rank 3"):
        lut_layer("0", np.zeros((4, 8), np.float32), np.zeros((3, 4), np.int64), "light")
