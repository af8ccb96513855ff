"""balance, refactor and resub: each keeps the function (the reference evaluator is the oracle) and finds
the gain it exists for."""

import random
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from backend_support import implementation_graph

import gatecc
from gatecc.ir import Builder, all_inputs, evaluate_samples, graph_stats, verify
from gatecc.ir import gates as G
from gatecc.ir.logic import truth as T
from gatecc.ir.logic.refactor import implementations, isop
from gatecc.ir.passes import PipelineError, parse_pipeline, run_pipeline
from gatecc.lower import lower
from gatecc.testing import logic_nets

CORPUS = Path(__file__).resolve().parent.parent / "benchmarks" / "corpus"
PASSES = ["balance", "balance{extract=false,dup=false}", "refactor", "refactor{leaves=6,cost=aig}", "refactor{leaves=12}",
          "resub", "resub{leaves=6,cost=aig}"]


def _run(graph, pipeline):
    out, stats = run_pipeline(graph, parse_pipeline(pipeline))
    return verify(out), stats[-1]


def _same_on(graph, out, rows):
    return np.array_equal(evaluate_samples(out, rows), evaluate_samples(graph, rows))


@settings(max_examples=20, deadline=None)
@given(logic_nets(n_inputs=9), st.sampled_from(PASSES))
def test_passes_keep_the_function_of_random_nets(net, pipeline):
    graph = lower(net)
    out, _ = _run(graph, "strash," + pipeline)
    assert _same_on(graph, out, all_inputs(9))


@pytest.mark.parametrize("name", ["lgsynth93/5xp1", "lgsynth93/rd53", "lgsynth93/misex1", "lgsynth93/b12",
                                  "lgsynth93/cm150a", "epfl/ctrl"])
@pytest.mark.parametrize("pipeline", PASSES)
def test_passes_keep_the_function_of_corpus_circuits(name, pipeline):
    graph = gatecc.load(CORPUS / f"{name}.aig")
    out, st_ = _run(graph, "strash," + pipeline)
    if graph.n_inputs <= 14:
        rows = all_inputs(graph.n_inputs)
    else:
        rows = np.random.default_rng(0).integers(0, 2, (4096, graph.n_inputs)).astype(np.uint8)
    assert _same_on(graph, out, rows)
    assert graph_stats(out).gates <= graph_stats(run_pipeline(graph, parse_pipeline("strash"))[0]).gates
    assert st_.details is not None


def _chain(b, op, xs):
    out = xs[0]
    for x in xs[1:]:
        out = b.gate(op, out, x)
    return out


def test_balance_shares_products_spelled_as_different_chains():
    b = Builder(5)
    b.output(_chain(b, G.AND, [0, 1, 2, 3]))
    b.output(_chain(b, G.AND, [3, 2, 1, 4]))
    b.output(_chain(b, G.AND, [2, 0, 3, 1, 4]))
    graph = b.finish()
    assert graph_stats(graph).gates == 10
    out, _ = _run(graph, "strash,balance")
    assert _same_on(graph, out, all_inputs(5))
    # b1&b2&b3 once, then one gate for each product, one more for the third: at most 6.
    assert graph_stats(out).gates <= 6


def test_balance_folds_supergates_with_both_polarities_of_a_leaf():
    # (x0 & x1) & (~x0 & x2) is 0 and (x0 ^ x1) ^ (x1 ^ x2) is x0 ^ x2, neither visible to strash.
    b = Builder(3)
    b.output(b.gate(G.AND, b.gate(G.AND, 0, 1), b.gate(4, 0, 2)))
    b.output(b.gate(G.XOR, b.gate(G.XOR, 0, 1), b.gate(G.XOR, 1, 2)))
    b.output(b.gate(G.OR, b.gate(G.AND, 0, 1), 2))
    graph = b.finish()
    out, _ = _run(graph, "strash,balance")
    assert _same_on(graph, out, all_inputs(3))
    assert graph_stats(out).gates == 3


def test_refactor_factors_a_sum_of_products():
    b = Builder(4)
    b.output(_chain(b, G.OR, [b.gate(G.AND, 0, 1), b.gate(G.AND, 0, 2), b.gate(G.AND, 0, 3)]))
    graph = b.finish()
    out, st_ = _run(graph, "strash,refactor")
    assert _same_on(graph, out, all_inputs(4))
    assert graph_stats(out).gates == 3 and st_.details["replaced"] >= 1   # a & (b | c | d)


def test_resub_rebuilds_a_node_from_signals_that_exist():
    # y = x0 & x1 and w = x2 | x3 are outputs; z = (x0 & x3) & x1 | (x2 & x0) & x1 is y & w (one gate, not five).
    b = Builder(4)
    y = b.gate(G.AND, 0, 1)
    w = b.gate(G.OR, 2, 3)
    z = b.gate(G.OR, b.gate(G.AND, b.gate(G.AND, 0, 3), 1), b.gate(G.AND, b.gate(G.AND, 2, 0), 1))
    for x in (y, w, z):
        b.output(x)
    graph = b.finish()
    out, st_ = _run(graph, "strash,resub")
    assert _same_on(graph, out, all_inputs(4))
    assert graph_stats(out).gates == 3 and st_.details["replaced"] >= 1


@pytest.mark.parametrize("seed", range(40))
def test_isop_covers_between_the_bounds_and_the_factored_forms_compute_them(seed):
    rng = random.Random(seed)
    k = rng.randint(1, 7)
    full = T.full(k)
    tt = rng.getrandbits(1 << k)
    care = full if seed % 2 else rng.getrandbits(1 << k)
    cubes, f = isop(tt & care, (tt | ~care) & full, k)
    cover = 0
    for pos, neg in cubes:
        c = full
        for v in range(k):
            if (pos >> v) & 1:
                c &= T.var_table(v, k)
            if (neg >> v) & 1:
                c &= ~T.var_table(v, k) & full
        cover |= c
    assert cover == f and f & care == tt & care
    for impl in implementations(tt, k, care):
        rows = all_inputs(k)
        got = evaluate_samples(implementation_graph(impl, k), rows)[:, 0]
        index = rows.astype(int) @ (1 << np.arange(k))      # table bit of each row: x_i is bit i
        want = np.array([(tt >> int(m)) & 1 for m in index])
        mask = np.array([(care >> int(m)) & 1 for m in index], dtype=bool)
        assert np.array_equal(got[mask], want[mask])


@pytest.mark.parametrize("bad", ["refactor{leaves=2}", "refactor{cost=x}", "balance{rounds=0}",
                                 "resub{leaves=40}", "resub{cost=nope}", "balance{extract=maybe}"])
def test_bad_options_are_pipeline_errors(bad):
    with pytest.raises(PipelineError):
        run_pipeline(Builder(1).finish(), parse_pipeline(bad))
