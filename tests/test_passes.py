"""Every pass and every pipeline keeps the function of the graph."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from gatecc.ir import Builder, all_inputs, count_gates, evaluate_samples, graph_stats, verify
from gatecc.ir.passes import OPT_LEVELS, PASSES, PipelineError, opt_pipeline, parse_pipeline, run_pipeline
from gatecc.ir.passes.adders import adder_tree
from gatecc.lower import lower
from gatecc.testing import logic_nets

X9 = all_inputs(9)


def _table(graph):
    return evaluate_samples(graph, X9)


@given(logic_nets(n_inputs=9), st.lists(st.sampled_from(sorted(PASSES)), min_size=1, max_size=6))
def test_any_pass_sequence_keeps_the_function(net, names):
    graph = lower(net)
    expected = _table(graph)
    out, stats = run_pipeline(graph, parse_pipeline(",".join(names)), verify_each=True)
    assert np.array_equal(_table(out), expected)
    assert [s.name for s in stats] == names


@pytest.mark.parametrize("level", sorted(OPT_LEVELS))
@given(net=logic_nets(n_inputs=9))
def test_opt_levels_keep_the_function_and_never_grow(level, net):
    graph = lower(net)
    out, stats = run_pipeline(graph, opt_pipeline(level))
    verify(out)
    assert np.array_equal(_table(out), _table(graph))
    if level >= 1:
        # Simplification after the adder expansion never adds gates.
        after_adders = stats[0].gates_after
        assert count_gates(out) <= after_adders


@pytest.mark.parametrize("n", list(range(1, 20)) + [31, 32, 33, 64, 100])
def test_adder_tree_counts(n):
    rng = np.random.default_rng(n)
    b = Builder(n)
    b.output(b.uint(adder_tree(b, range(n))))
    x = rng.integers(0, 2, (500, n))
    assert np.array_equal(evaluate_samples(b.finish(), x)[:, 0], x.sum(axis=1))


def test_adder_tree_size_and_depth():
    b = Builder(64)
    bits = adder_tree(b, range(64))
    b.output(b.uint(bits))
    st_ = graph_stats(b.finish())
    assert len(bits) == 7                       # 64 needs 7 bits
    assert st_.gates <= 5 * 64                  # at most one full adder per input bit
    assert st_.depth <= 40                      # logarithmic, not a 64-long ripple


def test_dead_code_is_removed():
    b = Builder(2)
    b.gate(1, 0, 1)                              # dead
    b.output(b.gate(6, 0, 1))
    out, stats = run_pipeline(b.finish(), parse_pipeline("dce"))
    assert out.n_nodes == 3 and stats[0].details["removed"] == 1


def test_cse_merges_and_fold_removes():
    b = Builder.raw(2)
    x = b.gate(1, 0, 1)
    y = b.gate(1, 1, 0)                          # same AND, inputs swapped
    z = b.gate(9, x, x)                          # xnor(x, x) = 1
    b.output(b.gate(6, x, y))
    b.output(z)
    g = b.finish()
    once, _ = run_pipeline(g, parse_pipeline("fold,copyprop,cse,dce"))
    assert count_gates(once) == 2                # x and y merge, but x ^ x needs another fold
    twice, _ = run_pipeline(g, parse_pipeline("fold,copyprop,cse,fold,dce"))
    canon, _ = run_pipeline(g, parse_pipeline("canon"))
    for out in (twice, canon):
        assert count_gates(out) == 0
        assert np.array_equal(evaluate_samples(out, all_inputs(2)), evaluate_samples(g, all_inputs(2)))


def test_pipeline_parsing():
    passes = parse_pipeline("fold, cse ,canon{rounds=3}")
    assert [p.spec() for p in passes] == ["fold", "cse", "canon{rounds=3}"]
    for bad, needle in [("nope", "unknown pass"), ("canon{x=1}", "unknown option"),
                        ("canon{rounds=abc}", "not a valid int"), ("fold,,", "cannot parse")]:
        with pytest.raises(PipelineError, match=needle):
            parse_pipeline(bad)
