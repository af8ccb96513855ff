"""The XAG working network and the logic algorithms on it, checked against the reference evaluator."""

import itertools
import random

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gatecc.ir import Builder, all_inputs, evaluate_samples, graph_stats, verify
from gatecc.ir import gates as G
from gatecc.ir.graph import Op
from gatecc.ir.logic import truth as T
from gatecc.ir.logic.cuts import enumerate_cuts
from gatecc.ir.logic.fraig import fraig
from gatecc.ir.logic.npn import PERMS, VAR_TT, apply_transform, npn_table
from gatecc.ir.logic.resynth import resynthesize
from gatecc.ir.logic.rewrite import rewrite
from gatecc.ir.logic.strash import strash
from gatecc.ir.logic.windows import cone_nodes, cone_truth_table, reconvergent_cut
from gatecc.ir.logic.xag import AND, GATE_XAG, XAG, XOR, Sinks, from_graph, to_graph
from gatecc.ir.passes import parse_pipeline, run_pipeline
from gatecc.lower import lower
from gatecc.testing import logic_nets

X9 = all_inputs(9)


def table(graph):
    return evaluate_samples(graph, X9)


def test_every_two_input_gate_is_one_and_or_xor_node():
    ops = {AND: lambda x, y: x & y, XOR: lambda x, y: x ^ y}
    assert set(GATE_XAG) == set(G.BINARY_GATES)
    for g, (kind, na, nb, no) in GATE_XAG.items():
        for a, b in itertools.product((0, 1), repeat=2):
            assert G.truth(g, a, b) == no ^ ops[kind](a ^ na, b ^ nb)
        assert kind == AND or (na, nb) == (0, 0)


@given(logic_nets(n_inputs=9))
def test_xag_round_trip_keeps_the_function(net):
    graph = lower(net)
    xag, sinks = from_graph(graph)
    out = verify(to_graph(xag.compact(), sinks))
    assert np.array_equal(table(out), table(graph))


def test_not_only_where_a_sink_needs_both_polarities():
    b = Builder(2)
    x = b.gate(G.AND, 0, 1)
    b.output(b.not_(x))          # only the complement is read: the gate flips to NAND
    g = b.finish()
    out = to_graph(*from_graph(g))
    assert graph_stats(out).nots == 0 and graph_stats(out).gates == 1
    b.output(x)                  # now both polarities are outputs: one NOT
    out = to_graph(*from_graph(b.finish()))
    assert graph_stats(out).nots == 1


@given(logic_nets(n_inputs=9))
def test_strash_keeps_the_function_and_is_canonical(net):
    graph = lower(net)
    once = verify(strash(graph))
    assert np.array_equal(table(once), table(graph))
    twice = strash(once)
    assert graph_stats(twice).gates == graph_stats(once).gates
    # As small as the XAG built node by node.
    xag, _ = from_graph(graph)
    assert graph_stats(once).gates - graph_stats(once).nots == xag.compact().count()


def test_replace_rehashes_readers():
    net = XAG(3)
    a, b, c = (net.input_lit(i) for i in range(3))
    x = net.and_(a, b)
    y = net.and_(a, c)
    top1 = net.and_(x, c)
    top2 = net.and_(y, b)        # the same function as top1, another structure
    net.add_sink(top1)
    net.add_sink(top2)
    net.replace(y >> 1, net.and_(a, c))   # a no-op replacement is ignored
    z = net.and_(x, c)
    assert z == top1
    # Replacing top2 by top1 merges them; the dead cone disappears.
    net.replace(top2 >> 1, top1)
    assert net.sinks == [top1, top1]
    assert net.dead[y >> 1] and net.count() == 2


def _random_xag(seed, n_inputs=6, n_gates=40):
    rng = random.Random(seed)
    net = XAG(n_inputs)
    lits = [net.input_lit(i) for i in range(n_inputs)]
    for _ in range(n_gates):
        x, y = rng.sample(lits, 2)
        lit = (net.and_ if rng.random() < 0.7 else net.xor)(x ^ rng.randint(0, 1), y ^ rng.randint(0, 1))
        lits.append(lit)
    for lit in lits[-4:]:
        net.add_sink(lit)
    return net


def _sink_tables(net):
    k = net.n_inputs
    vals = {0: 0}
    for i in range(k):
        vals[i + 1] = T.var_table(i, k)
    for n in net.topological():
        a, b = net.fa[n], net.fb[n]
        x = vals[a >> 1] ^ (T.full(k) if a & 1 else 0)
        y = vals[b >> 1] ^ (T.full(k) if b & 1 else 0)
        vals[n] = x & y if net.kind[n] == AND else x ^ y
    return [vals[s >> 1] ^ (T.full(k) if s & 1 else 0) for s in net.sinks]


@pytest.mark.parametrize("seed", range(6))
def test_cut_truth_tables(seed):
    net = _random_xag(seed).compact()
    order = net.topological()
    cuts = enumerate_cuts(net, order, 4, 8)
    for n in order:
        for leaves, tt in cuts[n]:
            assert len(leaves) <= 4
            full = cone_truth_table(net, 2 * n, list(leaves), cone_nodes(net, n, set(leaves)))
            assert T.expand(full, len(leaves)) == tt


@pytest.mark.parametrize("seed", range(4))
def test_rewrite_cuts_are_each_cuts_function_and_only_restricts_them(seed):
    from gatecc.ir.logic.rewrite import network_cuts

    net = _random_xag(seed).compact()
    order = net.topological()
    cuts = network_cuts(net, order, 8)
    assert set(cuts) == set(order)
    k = net.n_inputs
    vals = {0: 0, **{i + 1: T.var_table(i, k) for i in range(k)}}     # every node over the primary inputs
    for n in order:
        a, b = net.fa[n], net.fb[n]
        x, y = vals[a >> 1] ^ (T.full(k) if a & 1 else 0), vals[b >> 1] ^ (T.full(k) if b & 1 else 0)
        vals[n] = x & y if net.kind[n] == AND else x ^ y
    for n in order:
        assert cuts[n], n
        for leaves, tt in cuts[n]:
            assert 1 <= len(leaves) <= 4 and n not in leaves and len(set(leaves)) == len(leaves)
            # A cut may keep a leaf the others compute: tt must hold on every reachable row, as the node.
            for m in range(1 << k):
                row = sum(((vals[x] >> m) & 1) << i for i, x in enumerate(leaves))
                assert (tt >> row) & 1 == (vals[n] >> m) & 1, (n, leaves)
    only = set(order[seed::3])
    assert network_cuts(net, order, 8, only) == {n: cuts[n] for n in order if n in only}


def test_npn_transforms_rebuild_every_function():
    table_ = npn_table()
    assert len(table_.classes()) == 222
    rng = random.Random(0)
    for f in [0, 0xFFFF, 0x6996, 0x8000, 0xAAAA] + [rng.randrange(1 << 16) for _ in range(300)]:
        c, perm, neg, oneg = table_.transform(f)
        assert perm in PERMS and c <= f
        assert apply_transform(c, perm, neg, oneg) == f
    assert apply_transform(VAR_TT[1], (1, 0, 2, 3), 0, 0) == VAR_TT[0]


@pytest.mark.parametrize("seed", range(8))
@pytest.mark.parametrize("algorithm", ["rewrite", "rewrite-aig", "rewrite-zero", "fraig", "resynth"])
def test_algorithms_keep_every_sink(seed, algorithm):
    net = _random_xag(seed, n_gates=60).compact()
    before = _sink_tables(net)
    count = net.count()
    if algorithm == "rewrite":
        rewrite(net)
    elif algorithm == "rewrite-aig":
        rewrite(net, cost="aig")
    elif algorithm == "rewrite-zero":
        rewrite(net, zero_gain=True)
    elif algorithm == "fraig":
        fraig(net)
    else:
        resynthesize(net, max_inputs=6, window_leaves=6)
    assert _sink_tables(net) == before
    assert net.compact().count() <= count


def test_rewrite_turns_three_ands_into_an_xor():
    b = Builder(2)
    t1 = b.gate(G.AND, 0, b.not_(1))
    t2 = b.gate(G.AND, b.not_(0), 1)
    b.output(b.gate(G.OR, t1, t2))
    out, _ = run_pipeline(b.finish(), parse_pipeline("rewrite"))
    st_ = graph_stats(out)
    assert st_.gates == 1 and st_.kinds == {"xor": 1}


def test_fraig_merges_differently_built_equal_nodes():
    b = Builder(3)
    # (a & b) | (a & c) and a & (b | c): equal, no structure in common.
    left = b.gate(G.OR, b.gate(G.AND, 0, 1), b.gate(G.AND, 0, 2))
    right = b.gate(G.AND, 0, b.gate(G.OR, 1, 2))
    b.output(b.gate(G.XOR, left, b.gate(G.AND, right, 1)))
    b.output(right)
    g = b.finish()
    out, stats = run_pipeline(g, parse_pipeline("fraig"))
    assert stats[0].details["merged"] >= 1
    assert graph_stats(out).gates < graph_stats(g).gates
    assert np.array_equal(evaluate_samples(out, all_inputs(3)), evaluate_samples(g, all_inputs(3)))


def test_truth_table_helpers():
    k = 5
    f = T.var_table(0, k) & T.var_table(3, k) | T.var_table(4, k)
    assert T.support(f, k) == [0, 3, 4]
    assert T.swap_vars(T.swap_vars(f, 1, 3, k), 1, 3, k) == f
    assert T.symmetric(T.var_table(0, k) ^ T.var_table(2, k), 0, 2, k)
    groups = T.symmetry_groups(T.var_table(0, k) ^ T.var_table(1, k) ^ T.var_table(2, k), k)
    assert [0, 1, 2] in groups
    assert T.shrink(f, [0, 3, 4], k) == 0b11111000      # y0 & y1 | y2


def majority(bits):
    return int(sum(bits) * 2 > len(bits))


def test_resynthesis_counts_symmetric_functions():
    # A 7-input majority written as a sum of products: huge, but symmetric.
    n = 7
    b = Builder(n)
    terms = []
    for combo in itertools.combinations(range(n), 4):
        t = combo[0]
        for x in combo[1:]:
            t = b.gate(G.AND, t, x)
        terms.append(t)
    o = terms[0]
    for t in terms[1:]:
        o = b.gate(G.OR, o, t)
    b.output(o)
    g = b.finish()
    out, stats = run_pipeline(g, parse_pipeline("strash,resynth"))
    assert stats[1].details["symmetric"] == 1
    assert graph_stats(out).gates <= 25
    x = all_inputs(n)
    assert np.array_equal(evaluate_samples(out, x)[:, 0], [majority(r) for r in x])


def life_rule(rows):
    rows = rows.astype(int)
    neighbours = rows.sum(axis=1) - rows[:, 4]
    return ((neighbours == 3) | ((rows[:, 4] == 1) & (neighbours == 2))).astype(int)


def test_life_rule_from_minterms_shrinks_below_the_hand_written_circuit():
    # The Life rule written as an OR of its 140 minterms (about 600 gates):
    # -O3 must find the structure (it counts the 8 symmetric neighbours).
    rows = all_inputs(9)
    b = Builder(9)
    out = None
    for row in rows[life_rule(rows) == 1]:
        term = None
        for i, bit in enumerate(row):
            lit = i if bit else b.not_(i)
            term = lit if term is None else b.gate(G.AND, term, lit)
        out = term if out is None else b.gate(G.OR, out, term)
    b.output(out)
    graph = b.finish()
    assert graph_stats(graph).gates > 500
    from gatecc.ir.passes import optimize

    result, _ = optimize(graph, 3)
    assert graph_stats(result).gates <= 54          # a person's hand-written circuit
    assert np.array_equal(evaluate_samples(result, rows)[:, 0], life_rule(rows))


@pytest.mark.parametrize("seed", range(4))
def test_vectorised_cuts_agree_with_simulation(seed):
    # Every cut's truth table, read at the simulated values of its leaves,
    # gives the node's simulated value (leaves may depend on each other, so the
    # table is only pinned down on the combinations that occur).
    from gatecc.ir.logic.sim import random_patterns, simulate
    from gatecc.ir.logic.strash import from_xag
    from gatecc.ir.logic.vcuts import SENT, enumerate_cuts as vector_cuts

    xag = _random_xag(seed, n_inputs=8, n_gates=120).compact()
    arrays = from_xag(xag, Sinks(()))
    width = 512
    vals = simulate(xag, random_patterns(xag.n_inputs, width, seed), width)
    order = xag.topological()
    old = list(range(xag.n_inputs + 1)) + order
    cs = vector_cuts(arrays.is_xor, arrays.fa, arrays.fb, arrays.first_gate, limit=6)
    for new in range(arrays.first_gate, arrays.n_nodes):
        node = old[new]
        for k in range(cs.slots):
            if cs.n_leaves[new, k] < 1:
                continue
            leaves = [old[int(x)] for x in cs.leaves[new, k] if x != SENT]
            tt = int(cs.tt[new, k])
            for bit in range(0, width, 7):
                row = sum(((vals[leaf] >> bit) & 1) << i for i, leaf in enumerate(leaves))
                assert (tt >> row) & 1 == (vals[node] >> bit) & 1


def test_map_finds_xor_and_never_duplicates_at_a_loss():
    b = Builder(2)
    t1 = b.gate(G.AND, 0, b.not_(1))
    t2 = b.gate(G.AND, b.not_(0), 1)
    b.output(b.gate(G.OR, t1, t2))
    b.output(t1)                                   # t1 is shared: XOR may still pay
    out, stats = run_pipeline(b.finish(), parse_pipeline("map"))
    assert graph_stats(out).gates <= 3
    assert np.array_equal(evaluate_samples(out, all_inputs(2)), [[0, 0], [1, 0], [1, 1], [0, 0]])


def test_bad_pass_options_are_pipeline_errors():
    from gatecc.ir.passes import PipelineError

    for bad in ["map{cost=foo}", "rewrite{cost=bar}", "resynth{cost=x}"]:
        with pytest.raises(PipelineError, match="must be one of"):
            run_pipeline(Builder(1).finish(), parse_pipeline(bad))


@settings(max_examples=15, deadline=None)
@given(logic_nets(n_inputs=9, groupsum=False), st.sampled_from(["map{cost=aig}", "rewrite{cost=aig}",
                                                               "resynth{cost=aig,window=6}"]))
def test_aig_cost_passes_keep_the_function(net, pipeline):
    # cost=aig builds from the AND-only table, whose bounds exceed the 7 gates of the gates basis.
    graph = lower(net)
    out, _ = run_pipeline(graph, parse_pipeline("adders,strash," + pipeline))
    assert np.array_equal(table(verify(out)), table(graph))
    if pipeline.startswith("map"):
        # Every node is rebuilt from an AND-only cell: no XOR or XNOR survives.
        ids = {int(g) for g in out.arg[out.op == Op.GATE]}
        assert not ids & {G.XOR, G.XNOR}
