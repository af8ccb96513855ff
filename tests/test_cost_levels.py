"""The -O levels under cost=aig (gatecc.ir.passes.costs, ``--cost aig``): same function as the input (the
reference evaluator is the oracle), deterministic output, and the command-line option."""

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import gatecc
from gatecc.backends.aiger import emit_aiger
from gatecc.backends.target import legalize
from gatecc.ir import all_inputs, evaluate_samples, verify
from gatecc.ir.passes import OPT_LEVELS, PipelineError, opt_pipeline, parse_pipeline, run_pipeline
from gatecc.ir.passes.costs import AIG_LEVELS, level_pipeline, with_cost
from gatecc.lower import lower
from gatecc.testing import logic_nets

from conftest import assert_one_line_error

CORPUS = Path(__file__).resolve().parent.parent / "benchmarks" / "corpus"


def _rows(n_inputs):
    if n_inputs <= 14:
        return all_inputs(n_inputs)
    return np.random.default_rng(0).integers(0, 2, (4096, n_inputs)).astype(np.uint8)


def test_aig_levels_switch_every_costed_pass():
    assert level_pipeline(3, "gates") == OPT_LEVELS[3]
    assert level_pipeline(3, "aig") == AIG_LEVELS[3]
    assert level_pipeline(2, "aig") == "adders,strash,map{cost=aig}"
    assert level_pipeline(0, "aig") == OPT_LEVELS[0]
    # Passes without a cost option are left alone.
    assert with_cost("strash,rewrite{rounds=2},map{cost=gates},balance,map{cost=aig}", "aig") == \
        "strash,rewrite{rounds=2,cost=aig},map{cost=aig},balance,map{cost=aig}"
    for level in OPT_LEVELS:
        parse_pipeline(level_pipeline(level, "aig"))
    with pytest.raises(PipelineError, match="cost must be one of"):
        opt_pipeline(3, "luts")
    with pytest.raises(PipelineError, match="optimisation level"):
        opt_pipeline(4, "aig")


@settings(max_examples=25, deadline=None)
@given(logic_nets(n_inputs=st.integers(1, 10)), st.integers(2, 3))
def test_aig_levels_keep_the_function_of_random_nets(net, level):
    graph = lower(net)
    out, _ = run_pipeline(graph, opt_pipeline(level, "aig"))
    verify(out)
    rows = all_inputs(graph.n_inputs)
    assert np.array_equal(evaluate_samples(out, rows), evaluate_samples(graph, rows))


@pytest.mark.parametrize("name", ["lgsynth93/5xp1", "lgsynth93/9symml", "lgsynth93/b12", "lgsynth93/cm150a",
                                  "lgsynth93/C880", "epfl/ctrl", "epfl/int2float"])
def test_aig_o3_keeps_the_function_of_corpus_circuits_and_is_deterministic(name):
    graph = gatecc.load(CORPUS / f"{name}.aig")
    first, _ = run_pipeline(graph, opt_pipeline(3, "aig"))
    again, _ = run_pipeline(graph, opt_pipeline(3, "aig"))
    rows = _rows(graph.n_inputs)
    assert np.array_equal(evaluate_samples(first, rows), evaluate_samples(graph, rows))
    assert emit_aiger(legalize(first)) == emit_aiger(legalize(again))


def test_cli_cost_option(cli, tmp_path):
    src = CORPUS / "lgsynth93" / "5xp1.aig"
    out = tmp_path / "o.aig"
    r = cli("lower", src, "--target", "aiger", "-O3", "--cost", "aig", "-o", out, "--quiet")
    assert r.returncode == 0, r.stderr
    graph, ours = gatecc.load(src), gatecc.load(out)
    rows = all_inputs(graph.n_inputs)
    assert np.array_equal(evaluate_samples(ours, rows), evaluate_samples(graph, rows))
    expected, _ = run_pipeline(graph, opt_pipeline(3, "aig"))
    assert out.read_bytes() == emit_aiger(legalize(expected))
    r = cli("stats", src, "-O3", "--cost", "aig", "--json", "--quiet")
    assert r.returncode == 0 and '"balance"' in r.stdout, r.stderr
    assert_one_line_error(cli("lower", src, "--target", "aiger", "--cost", "aig", "--passes", "strash"),
                          "--cost and --passes")
    r = cli("lower", src, "--target", "aiger", "--cost", "luts")
    assert r.returncode == 2 and "--cost" in r.stderr and "Traceback" not in r.stderr
    r = cli("lower", "--help")
    assert r.returncode == 0 and "--cost" in r.stdout


@pytest.mark.parametrize("k", [3, 9, 10, 11, 12])
def test_care_support_on_words_equals_its_definition(k):
    """collapse's hot spot takes a numpy path from 10 variables: same answer as the row-by-row definition."""
    import random

    from gatecc.ir.logic import truth as T

    def plain(tt, care):
        return [i for i in range(k)
                if any((care >> m) & (care >> (m | 1 << i)) & 1 and ((tt >> m) ^ (tt >> (m | 1 << i))) & 1
                       for m in range(1 << k) if not (m >> i) & 1)]

    rng = random.Random(k)
    for _ in range(12):
        few = rng.sample(range(k), rng.randint(0, min(k, 4)))      # a function of a few variables only
        keyed = {}
        tt_few = sum(1 << m for m in range(1 << k)
                     if keyed.setdefault(tuple((m >> v) & 1 for v in few), rng.getrandbits(1)))
        for tt in (rng.getrandbits(1 << k), tt_few):
            for care in (T.full(k), rng.getrandbits(1 << k) | rng.getrandbits(1 << k)):
                assert T.care_support(tt, care, k) == plain(tt, care)


def test_graph_cost_counts_what_strash_leaves():
    from gatecc.ir import Builder
    from gatecc.ir.passes.costs import graph_cost

    b = Builder(4)
    x = b.gate(6, 0, 1)                     # XOR: 3 ANDs
    y = b.gate(9, 2, 3)                     # XNOR: 3 ANDs
    z = b.gate(1, x, y)
    w = b.gate(14, z, 0)                    # NAND: 1 AND
    b.gate(1, 2, 3)                         # read by no output: costs nothing
    b.output(w)
    b.output(b.not_(z))
    g = b.finish()
    assert graph_cost(g, "aig") == 8
    assert graph_cost(g, "gates") == 6         # count_gates: every gate node and NOT, read or not


@pytest.mark.parametrize("name", ["lgsynth93/i6", "lgsynth93/c8", "lgsynth93/cht", "lgsynth93/b12"])
def test_collapse_under_aig_cost_never_adds_ands(name):
    from gatecc.ir.passes.costs import graph_cost

    graph, _ = run_pipeline(gatecc.load(CORPUS / f"{name}.aig"), parse_pipeline("strash,map{cost=aig}"))
    unit, _ = run_pipeline(graph, parse_pipeline("collapse{inputs=12}"))
    aig, _ = run_pipeline(graph, parse_pipeline("collapse{inputs=12,cost=aig}"))
    assert graph_cost(aig, "aig") <= min(graph_cost(graph, "aig"), graph_cost(unit, "aig"))
    rows = _rows(graph.n_inputs)
    assert np.array_equal(evaluate_samples(aig, rows), evaluate_samples(graph, rows))
    with pytest.raises(PipelineError, match="cost must be one of"):
        run_pipeline(graph, parse_pipeline("collapse{cost=luts}"))
