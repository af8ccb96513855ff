"""Don't-care optimisation: outputs of small support are resynthesised from their truth tables, exactly,
and never grow; a decision head lets -O3 shrink a learned net to what its decision costs."""

from pathlib import Path

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

import gatecc
from gatecc.compiler import to_graph, with_head
from gatecc.ir.evaluate import all_inputs, evaluate_samples
from gatecc.ir.passes import optimize, parse_pipeline, run_pipeline
from gatecc.ir.passes.dontcare import truth_tables
from gatecc.ir.stats import count_gates
from gatecc.model import GroupSum, LogicNet
from gatecc.testing import logic_nets
from gatecc.verify import equivalent

LIFE = Path(__file__).resolve().parent.parent / "examples" / "life.npz"


def life64(threshold=32):
    """The learned Life net's 64-wide layer read as one GroupSum count, through ``threshold:T``."""
    net = gatecc.load(LIFE)
    cut = [layer.a.shape[0] for layer in net.layers].index(64)
    return with_head(to_graph(LogicNet(9, net.layers[: cut + 1], GroupSum(1, 1.0))), f"threshold:{threshold}")


@settings(max_examples=25)
@given(net=logic_nets(n_inputs=st.integers(1, 13), groupsum=True, max_width=24),
       head=st.sampled_from(["argmax", "threshold:0", "threshold:3"]), level=st.sampled_from([1, 2]))
def test_collapse_is_exact_and_never_grows(net, head, level):
    graph, _ = optimize(with_head(to_graph(net), head), level)
    out, stats = run_pipeline(graph, parse_pipeline("collapse{inputs=13}"))
    assert count_gates(out) <= count_gates(graph)
    x = all_inputs(net.n_inputs)
    np.testing.assert_array_equal(evaluate_samples(out, x), evaluate_samples(graph, x))


def test_truth_tables_follow_the_reference_evaluator():
    graph = life64()
    graph, _ = optimize(graph, 1)
    node = graph.outputs[0]
    (tt,) = truth_tables(graph, [node], list(range(9)))
    x = all_inputs(9)                          # row r: input 0 is the most significant bit of r
    minterm = (x.astype(np.int64) << np.arange(9)).sum(axis=1)
    expected = evaluate_samples(graph, x)[:, 0]
    assert all(((tt >> int(m)) & 1) == int(v) for m, v in zip(minterm, expected))


def test_learned_life_net_read_as_a_threshold_shrinks_to_its_decision():
    graph = life64()
    o2, _ = optimize(graph, 2)
    collapsed, stats = run_pipeline(o2, parse_pipeline("collapse"))
    assert stats[0].details["collapsed"] == 1
    assert count_gates(collapsed) < count_gates(o2) / 2
    assert equivalent(graph, collapsed).equal
    o3, _ = optimize(graph, 3)
    assert count_gates(o3) <= count_gates(collapsed)
    assert equivalent(graph, o3).equal


def test_bad_collapse_option_is_a_pipeline_error():
    import pytest

    from gatecc.ir.passes import PipelineError

    with pytest.raises(PipelineError, match="inputs"):
        run_pipeline(life64(), parse_pipeline("adders,collapse{inputs=40}"))


def test_verify_proves_the_head_circuit_against_the_model(tmp_path, cli):
    net = gatecc.load(LIFE)
    cut = [layer.a.shape[0] for layer in net.layers].index(64)
    LogicNet(9, net.layers[: cut + 1], GroupSum(1, 1.0)).save(tmp_path / "life64.npz")
    out = tmp_path / "life64.aag"
    res = cli("lower", tmp_path / "life64.npz", "--head", "threshold:32", "-O3", "--target", "aag", "-o", out)
    assert res.returncode == 0, res.stderr
    assert cli("verify", tmp_path / "life64.npz", out, "--head", "threshold:32").returncode == 0
    assert cli("verify", tmp_path / "life64.npz", out, "--head", "threshold:31").returncode == 1
