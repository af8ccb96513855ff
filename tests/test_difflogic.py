"""difflogic models, saved by real PyTorch as difflogic lays them out, give the counts difflogic's eval() gives."""

import numpy as np
import pytest

import gatecc
from conftest import assert_one_line_error
from gatecc.importers import difflogic as dl_import
from gatecc.ir import all_inputs, evaluate_samples
from gatecc.lower import lower
from peer_models import counts_from_scores, difflogic, difflogic_model, eval_outputs, torch

X9 = all_inputs(9)


def circuit(net):
    """The imported net's circuit on every input, by the reference evaluator (C is tested against it)."""
    return evaluate_samples(lower(net), X9)


def _wiring(model) -> dict:
    """What difflogic keeps outside its state_dict, keyed like it (docs/formats.md)."""
    dl = difflogic()
    extra = {}
    for name, m in model.named_modules():
        if isinstance(m, dl.LogicLayer):
            extra[f"{name}.indices"] = torch.stack(m.indices).numpy()
            extra[f"{name}.in_dim"] = m.in_dim
        elif isinstance(m, dl.GroupSum):
            extra[f"{name}.k"], extra[f"{name}.tau"] = m.k, m.tau
    return extra


def _check(net, model, tau):
    expected = counts_from_scores(eval_outputs(model, X9), tau)
    np.testing.assert_array_equal(circuit(net), expected)
    assert net.groupsum.tau == tau


@pytest.mark.parametrize("seed, ties", [(0, False), (1, False), (2, True), (3, True)])
def test_saved_model_object(tmp_path, seed, ties):
    model = difflogic_model(seed, ties=ties, tau=2.5)
    torch.save(model, tmp_path / "model.pt")
    net = gatecc.load(tmp_path / "model.pt")             # detected as difflogic from its classes
    assert net.widths == [24, 12] and net.n_inputs == 9
    _check(net, model, 2.5)


def test_state_dict_with_wiring_beside_it(tmp_path):
    model = difflogic_model(4, tau=3.0)
    torch.save(model.state_dict(), tmp_path / "model.pt")
    np.savez(tmp_path / "model.wiring.npz", **_wiring(model))
    _check(gatecc.load(tmp_path / "model.pt"), model, 3.0)


def test_state_dict_with_wiring_saved_by_torch_and_named_explicitly(tmp_path):
    model = difflogic_model(5, tau=1.0)
    torch.save(model.state_dict(), tmp_path / "weights.pth")
    wiring = {name + ".indices": m.indices for name, m in model.named_modules() if hasattr(m, "indices")}
    wiring.update({"3.k": 3, "3.tau": 1.0})
    torch.save(wiring, tmp_path / "indices.pt")          # the tuples of tensors exactly as difflogic holds them
    _check(gatecc.load(tmp_path / "weights.pth", "difflogic", wiring=tmp_path / "indices.pt"), model, 1.0)


def test_state_dict_as_npz_without_torch_at_hand(tmp_path):
    model = difflogic_model(6, tau=2.0)
    np.savez(tmp_path / "sd.npz", **{k: v.numpy() for k, v in model.state_dict().items()})
    np.savez(tmp_path / "sd.wiring.npz", **_wiring(model))
    _check(gatecc.load(tmp_path / "sd.npz", "difflogic"), model, 2.0)


def test_live_module():
    model = difflogic_model(7, tau=2.0)
    _check(dl_import.from_module(model), model, 2.0)


def test_no_head_gives_the_last_layer_bits(tmp_path):
    model = difflogic_model(8, k=None)
    torch.save(model, tmp_path / "m.pt")
    net = gatecc.load(tmp_path / "m.pt")
    assert net.groupsum is None
    np.testing.assert_array_equal(circuit(net), eval_outputs(model, X9).astype(np.uint8))


def test_cli_lower_stats_and_run(tmp_path, cli):
    model = difflogic_model(9, tau=2.0)
    torch.save(model, tmp_path / "m.pt")
    res = cli("lower", "m.pt", "--target", "verilog", "-o", "m.v")
    assert res.returncode == 0, res.stderr
    assert "tau=2.0" in (tmp_path / "m.v").read_text()
    res = cli("stats", "m.pt", "--json")
    assert res.returncode == 0 and '"outputs": 3' in res.stdout
    res = cli("run", "m.pt", "--input", "101100111")
    expected = counts_from_scores(eval_outputs(model, [[1, 0, 1, 1, 0, 0, 1, 1, 1]]), 2.0)[0]
    assert res.stdout.split("->")[1].split() == [str(v) for v in expected]


# ---------------------------------------------------------------------------
# bad files


def _state_dict_file(tmp_path, name, model, wiring=None, change=None):
    state = dict(model.state_dict())
    state.update(change or {})
    torch.save(state, tmp_path / f"{name}.pt")
    if wiring is not None:
        np.savez(tmp_path / f"{name}.wiring.npz", **wiring)
    return f"{name}.pt"


def _bad_case(tmp_path, case):
    model = difflogic_model(10, tau=2.0)
    wiring = _wiring(model)
    short = dict(wiring, **{"2.indices": wiring["2.indices"][:, :5]})
    far = dict(wiring, **{"1.indices": wiring["1.indices"] + 100})
    cases = {
        "missing wiring": (lambda: _state_dict_file(tmp_path, "a", model), "has no wiring"),
        "missing key": (lambda: _state_dict_file(tmp_path, "b", model, {k: v for k, v in wiring.items()
                                                                         if k != "2.indices"}),
                        "missing key '2.indices'"),
        "wrong weights shape": (lambda: _state_dict_file(tmp_path, "c", model, wiring,
                                                         change={"1.weights": torch.zeros(24, 8)}),
                                "shape (24, 8), expected (out, 16)"),
        "wiring too short": (lambda: _state_dict_file(tmp_path, "d", model, short), "12 gates but the wiring has 5"),
        "wiring out of range": (lambda: _state_dict_file(tmp_path, "e", model, far), "out of range"),
        "stray key": (lambda: _state_dict_file(tmp_path, "f", model, wiring, change={"1.bias": torch.zeros(3)}),
                      "unexpected key '1.bias'"),
    }
    make, needle = cases[case]
    return make(), needle


@pytest.mark.parametrize("case", ["missing wiring", "missing key", "wrong weights shape", "wiring too short",
                                  "wiring out of range", "stray key"])
def test_bad_state_dicts_get_one_clear_error(tmp_path, cli, case):
    name, needle = _bad_case(tmp_path, case)
    with pytest.raises(gatecc.ModelError, match=needle.replace("(", r"\(").replace(")", r"\)")):
        gatecc.load(tmp_path / name)
    assert_one_line_error(cli("lower", name, "--target", "blif"), needle)


def test_unsupported_module_is_named(tmp_path, cli):
    model = difflogic_model(11, k=None)
    model.append(torch.nn.ReLU())
    torch.save(model, tmp_path / "m.pt")
    assert_one_line_error(cli("stats", "m.pt"), "torch.nn.modules.activation.ReLU", "not supported")


class Net(torch.nn.Module):
    """A user's own module class: gatecc never imports or runs it."""


def test_a_pickle_naming_foreign_code_is_refused(tmp_path, cli):
    torch.save(Net(), tmp_path / "m.pt")
    assert_one_line_error(cli("stats", "m.pt"), "test_difflogic", "does not load")


def test_wiring_where_it_does_not_apply(tmp_path, cli):
    model = difflogic_model(12, tau=2.0)
    torch.save(model, tmp_path / "m.pt")
    np.savez(tmp_path / "w.npz", **_wiring(model))
    assert_one_line_error(cli("stats", "m.pt", "--wiring", "w.npz"), "--wiring applies to a state_dict")
    (tmp_path / "c.blif").write_text(".model c\n.inputs a\n.outputs y\n.names a y\n0 1\n.end\n")
    assert_one_line_error(cli("stats", "c.blif", "--wiring", "w.npz"), "'wiring' does not apply to blif files")
    torch.save(model.state_dict(), tmp_path / "sd.pt")
    assert_one_line_error(cli("stats", "sd.pt", "--wiring", "nope.npz"), "nope.npz: no such wiring file")


def test_help_explains_wiring(cli):
    res = cli("lower", "--help")
    assert "--wiring" in res.stdout and "state_dict" in res.stdout
