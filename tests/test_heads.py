"""Decision heads built into the circuit: argmax and threshold equal the decision taken from the
soft model's (and the peers' own) counts on every input."""

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import gatecc
from conftest import assert_one_line_error
from gatecc.ir.evaluate import all_inputs, evaluate_samples
from gatecc.testing import input_batches, logic_nets

from backend_support import runnable_targets

X9 = all_inputs(9)
DIGITS = Path(__file__).resolve().parent.parent / "examples" / "digits.npz"
TARGETS = [p for p in runnable_targets() if p.id in ("c", "llvm", "wgsl")]


def small_net(n_inputs, k, seed, width=12, ties=True):
    """A fixed random net (integer logits, so argmax gates and count ties are common); k=0: no GroupSum."""
    from gatecc.model import GroupSum, Layer, LogicNet

    rng = np.random.default_rng(seed)
    widths = [width, (k or 1) * 3]
    layers, prev = [], n_inputs
    for w in widths:
        logits = rng.integers(0, 3, (w, 16)) if ties else rng.normal(size=(w, 16))
        layers.append(Layer(rng.integers(0, prev, w), rng.integers(0, prev, w), logits=logits.astype(np.float32)))
        prev = w
    return LogicNet(n_inputs, layers, GroupSum(k, 2.0) if k else None)


def soft_counts(net, x):
    """The soft model's hard GroupSum counts (scores times tau, whole numbers)."""
    scores = np.asarray(gatecc.soft_eval(net, x, hard=True), dtype=np.float64) * net.groupsum.tau
    counts = np.rint(scores)
    assert np.allclose(scores, counts, atol=1e-3)
    return counts.astype(np.int64)


@pytest.mark.parametrize("target", TARGETS)
@settings(max_examples=20)
@given(net=logic_nets(n_inputs=9, groupsum=True, max_width=16), level=st.sampled_from([0, 2, 3]))
def test_argmax_head_matches_argmax_of_soft_counts(target, net, level):
    got = gatecc.compile(net, target=target, opt_level=level, head="argmax")(X9)
    assert got.shape == (512, 1) and got.dtype == np.int32
    np.testing.assert_array_equal(got[:, 0], soft_counts(net, X9).argmax(axis=1))


@pytest.mark.parametrize("target", TARGETS)
@settings(max_examples=15)
@given(net=logic_nets(n_inputs=9, groupsum=True, max_width=24, mode="ties"))
def test_argmax_ties_go_to_the_lowest_index(target, net):
    counts = soft_counts(net, X9)
    got = gatecc.compile(net, target=target, head="argmax")(X9)[:, 0]
    np.testing.assert_array_equal(got, counts.argmax(axis=1))


@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize("k", [2, 3, 5, 8])
def test_argmax_with_many_ties_fixed_nets(target, k):
    net = small_net(9, k, seed=k)
    counts = soft_counts(net, X9)
    ties = (counts == counts.max(axis=1, keepdims=True)).sum(axis=1) > 1
    assert ties.sum() > 10            # the tie rule is really exercised
    got = gatecc.compile(net, target=target, head="argmax")(X9)[:, 0]
    np.testing.assert_array_equal(got, counts.argmax(axis=1))


@pytest.mark.parametrize("target", TARGETS)
@settings(max_examples=15)
@given(net=logic_nets(n_inputs=9, groupsum=True, max_width=16), t=st.integers(0, 17), level=st.sampled_from([0, 3]))
def test_threshold_head_is_count_greater_than_t(target, net, t, level):
    got = gatecc.compile(net, target=target, opt_level=level, head=f"threshold:{t}")(X9)
    assert got.dtype == np.uint8 and got.shape == (512, net.groupsum.k)
    np.testing.assert_array_equal(got, (soft_counts(net, X9) > t).astype(np.uint8))


@settings(max_examples=10)
@given(data=st.data(), net=logic_nets(n_inputs=st.integers(20, 120), groupsum=True, max_width=64))
def test_wide_nets_argmax_on_random_inputs(data, net):
    x = data.draw(input_batches(net.n_inputs, max_batch=300))
    got = gatecc.compile(net, target="c", head="argmax")(x)[:, 0]
    np.testing.assert_array_equal(got, soft_counts(net, x).argmax(axis=1))


def test_predict_gives_classes_with_and_without_the_head():
    net = gatecc.load(DIGITS)
    x = np.random.default_rng(0).integers(0, 2, (300, net.n_inputs)).astype(np.uint8)
    expected = soft_counts(net, x).argmax(axis=1)
    in_circuit = gatecc.compile(net, head="argmax")
    by_numpy = gatecc.compile(net)
    np.testing.assert_array_equal(in_circuit.predict(x), expected)
    np.testing.assert_array_equal(by_numpy.predict(x), expected)
    assert in_circuit.predict(x).dtype == np.int32
    assert in_circuit.predict(x[:0]).shape == (0,)


def test_predict_on_a_net_without_groupsum_is_an_error():
    net = small_net(5, 0, seed=0)
    with pytest.raises(gatecc.ModelError, match="GroupSum"):
        gatecc.compile(net).predict(np.zeros((2, 5), np.uint8))


@pytest.mark.parametrize("head, needle", [
    ("softmax", "unknown head"), ("threshold", "needs a value"), ("threshold:x", "not an integer"),
    ("threshold:-1", "negative"), ("argmax:3", "unknown head"),
])
def test_bad_heads_raise(head, needle):
    net = small_net(5, 3, seed=1)
    with pytest.raises(gatecc.ModelError, match=needle):
        gatecc.compile(net, head=head)


def test_head_on_a_net_without_groupsum_raises():
    net = small_net(5, 0, seed=2)
    with pytest.raises(gatecc.ModelError, match="GroupSum counts"):
        gatecc.compile(net, head="argmax")


@pytest.mark.parametrize("command", ["lower", "stats", "run"])
@pytest.mark.parametrize("head, needle", [("foo", "unknown head"), ("threshold:1.5", "not an integer")])
def test_cli_bad_head_is_one_line_exit_2(tmp_path, cli, command, head, needle):
    net = small_net(5, 3, seed=1)
    net.save(tmp_path / "m.npz")
    res = cli(command, tmp_path / "m.npz", "--head", head)
    assert_one_line_error(res, needle)


def test_cli_head_on_bits_net_is_one_line_exit_2(tmp_path, cli):
    net = small_net(5, 0, seed=2)
    net.save(tmp_path / "m.npz")
    assert_one_line_error(cli("lower", tmp_path / "m.npz", "--head", "argmax"), "GroupSum counts")


def test_cli_run_and_verify_with_heads(tmp_path, cli):
    net = small_net(6, 3, seed=3, ties=False)
    net.save(tmp_path / "m.npz")
    x = all_inputs(6)
    res = cli("run", tmp_path / "m.npz", "--head", "argmax", "-o", tmp_path / "y.npy")
    assert res.returncode == 0, res.stderr
    np.testing.assert_array_equal(np.load(tmp_path / "y.npy")[:, 0], soft_counts(net, x).argmax(axis=1))
    for head in ("argmax", "threshold:2"):
        out = tmp_path / "h.aag"
        assert cli("lower", tmp_path / "m.npz", "--head", head, "-O3", "--target", "aag", "-o", out).returncode == 0
        res = cli("verify", tmp_path / "m.npz", out, "--head", head)
        assert res.returncode == 0 and res.stdout.startswith("equal"), res.stdout + res.stderr
    # The other head's decision is a different function: verify must notice.
    res = cli("verify", tmp_path / "m.npz", tmp_path / "h.aag", "--head", "threshold:0", "--json")
    import json

    data = json.loads(res.stdout)
    same = np.array_equal(soft_counts(net, x) > 0, soft_counts(net, x) > 2)
    assert data["equal"] == same and res.returncode == (0 if same else 1)


def test_head_graph_evaluates_like_numpy_on_digits():
    from gatecc.compiler import to_graph, with_head

    net = gatecc.load(DIGITS)
    x = np.random.default_rng(1).integers(0, 2, (200, net.n_inputs)).astype(np.uint8)
    counts = evaluate_samples(to_graph(net), x)
    np.testing.assert_array_equal(evaluate_samples(with_head(to_graph(net), "argmax"), x)[:, 0], counts.argmax(1))
    np.testing.assert_array_equal(evaluate_samples(with_head(to_graph(net), "threshold:4"), x), counts > 4)


@pytest.mark.parametrize("peer", ["difflogic", "torchlogix"])
@pytest.mark.parametrize("seed", [0, 1])
def test_peer_models_argmax_head_equals_the_peers_own_argmax(tmp_path, peer, seed):
    from peer_models import difflogic_model, eval_outputs, torch, torchlogix_model

    model = (difflogic_model(seed, k=4, ties=True) if peer == "difflogic"
             else torchlogix_model(seed, k=4, tau=4.0, beta=1.5))
    torch.save(model, tmp_path / "model.pt")
    expected = torch.argmax(torch.tensor(eval_outputs(model, X9)), dim=1).numpy()
    for target in ("c", "llvm"):
        got = gatecc.compile(tmp_path / "model.pt", target=target, head="argmax")(X9)[:, 0]
        np.testing.assert_array_equal(got, expected)
