"""The e-graph engine: every rule is sound, rebuilding keeps congruence, the runner
reports why it stopped, extraction counts shared nodes once, and saturation plus
extraction keeps the function of random circuits."""

import itertools

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from gatecc.ir import Builder, all_inputs, evaluate_samples
from gatecc.ir import gates as G
from gatecc.ir.egraph.egraph import EGraph
from gatecc.ir.egraph.extract import evaluate_extracted, extract
from gatecc.ir.egraph.language import CONST, NOT, VAR, format_term, parse_sexpr
from gatecc.ir.egraph.rules import ALL_RULES, GATE_KIND_RULES, RULE_SETS, rw
from gatecc.ir.egraph.runner import ITERATION_LIMIT, NODE_LIMIT, SATURATED, TIME_LIMIT, Runner, search
from gatecc.ir.logic.saturate import saturate_windows
from gatecc.ir.logic.xag import from_graph, to_graph
from gatecc.lower import lower
from gatecc.testing import logic_nets

# An independent evaluator for patterns: and/or/xor/not by Python operators,
# the other gate kinds by the docs/design.md bitwise table (not by gates.truth).
BITWISE = {
    0: lambda a, b: 0, 1: lambda a, b: a & b, 2: lambda a, b: a & (1 - b), 3: lambda a, b: a,
    4: lambda a, b: (1 - a) & b, 5: lambda a, b: b, 6: lambda a, b: a ^ b, 7: lambda a, b: a | b,
    8: lambda a, b: 1 - (a | b), 9: lambda a, b: 1 - (a ^ b), 10: lambda a, b: 1 - b,
    11: lambda a, b: a | (1 - b), 12: lambda a, b: 1 - a, 13: lambda a, b: (1 - a) | b,
    14: lambda a, b: 1 - (a & b), 15: lambda a, b: 1,
}


def eval_pattern(tree, env):
    op = tree[0]
    if op == "?":
        return env[tree[1]]
    if op == CONST:
        return tree[1]
    if op == VAR:
        return env[f"x{tree[1]}"]
    if op == NOT:
        return 1 - eval_pattern(tree[1], env)
    return BITWISE[op](eval_pattern(tree[1], env), eval_pattern(tree[2], env))


@pytest.mark.parametrize("rule", ALL_RULES, ids=lambda r: r.name)
def test_rule_is_sound(rule):
    names = rule.variables()
    for bits in itertools.product((0, 1), repeat=len(names)):
        env = dict(zip(names, bits))
        assert eval_pattern(rule.lhs, env) == eval_pattern(rule.rhs, env), (str(rule), env)


def test_rule_sets_cover_the_issue():
    names = {r.name for r in ALL_RULES}
    for needed in ["and-comm", "or-assoc", "xor-assoc", "demorgan-and", "and-absorb", "and-distrib",
                   "and-idem", "xor-self", "xor-cancel", "not-not", "and-0", "xor-1"]:
        assert needed in names
    # The gate-kind rules come from the gate table: every 2-input gate can absorb
    # an inverter on each input and on its output.
    for g in G.BINARY_GATES:
        assert f"not-{G.GATE_NAMES[g]}" in names
        assert f"{G.GATE_NAMES[g]}-not-a" in names
    assert len(GATE_KIND_RULES) > 30
    assert set(RULE_SETS["simplify"]) < set(RULE_SETS["full"])


def test_bad_rules_and_patterns_are_rejected():
    with pytest.raises(ValueError, match="does not bind"):
        rw("bad", "(and ?a ?b)", "?c")
    for text in ["(and ?a)", "(frob ?a ?b)", "(and ?a ?b", "?a )", "x"]:
        with pytest.raises(ValueError):
            parse_sexpr(text)
    assert format_term(parse_sexpr("(xor x0 (not 1))")) == "(xor x0 (not 1))"


def test_hash_consing_and_congruence():
    eg = EGraph()
    a = eg.add_term(parse_sexpr("(and x0 x1)"))
    assert eg.add_term(parse_sexpr("(and x0 x1)")) == a
    b = eg.add_term(parse_sexpr("(and x2 x1)"))
    assert not eg.equivalent(a, b)
    eg.union(eg.add_term(parse_sexpr("x0")), eg.add_term(parse_sexpr("x2")))
    eg.rebuild()
    assert eg.equivalent(a, b)          # congruence: equal children, equal parents
    top_a = eg.add_term(parse_sexpr("(or (and x0 x1) x3)"))
    top_b = eg.add_term(parse_sexpr("(or (and x2 x1) x3)"))
    assert eg.equivalent(top_a, top_b)


def test_constant_analysis():
    eg = EGraph()
    for text, value in [("(and x0 0)", 0), ("(xor x1 x1)", 0), ("(nand x0 0)", 1), ("(not (or x0 1))", 0),
                        ("(a_and_not_b x3 x3)", 0), ("(and x0 x1)", None)]:
        c = eg.add_term(parse_sexpr(text))
        eg.rebuild()
        assert eg.const[eg.find(c)] == value, text
    # A class that becomes constant after a union propagates to its readers.
    x = eg.add_term(parse_sexpr("x5"))
    top = eg.add_term(parse_sexpr("(or x5 x6)"))
    eg.union(x, eg.add_term(parse_sexpr("1")))
    eg.rebuild()
    assert eg.const[eg.find(top)] == 1


def test_runner_reports_why_it_stopped():
    term = parse_sexpr("(or (and x0 (or x1 x2)) (and (xor x3 x0) (nand x1 x2)))")
    eg = EGraph()
    eg.add_term(term)
    report = Runner(RULE_SETS["simplify"], iter_limit=20).run(eg)
    assert report.stop_reason == SATURATED and report.iterations < 20
    eg = EGraph()
    eg.add_term(term)
    report = Runner(RULE_SETS["full"], iter_limit=2, node_limit=10**6, time_limit=60).run(eg)
    assert report.stop_reason == ITERATION_LIMIT and report.iterations == 2
    assert report.matches["and-comm"] > 0 and sum(report.merges.values()) > 0
    assert "and-comm" in report.summary()
    eg = EGraph()
    eg.add_term(term)
    report = Runner(RULE_SETS["full"], iter_limit=50, node_limit=300, time_limit=60).run(eg)
    assert report.stop_reason == NODE_LIMIT
    eg = EGraph()
    eg.add_term(term)
    report = Runner(RULE_SETS["full"], iter_limit=50, node_limit=10**6, time_limit=0.0).run(eg)
    assert report.stop_reason == TIME_LIMIT


def test_search_finds_matches_with_repeated_variables():
    eg = EGraph()
    eg.add_term(parse_sexpr("(and x0 (or x0 x1))"))
    eg.add_term(parse_sexpr("(and x1 (or x0 x2))"))
    rule = next(r for r in ALL_RULES if r.name == "and-absorb")
    assert len(search(eg, rule)) == 1


@pytest.mark.parametrize("text, cost", [
    ("(or (and x0 (not x1)) (and (not x0) x1))", 1),     # XOR
    ("(not (and (not x0) (not x1)))", 1),                # OR: inverters absorbed
    ("(and x0 (or x0 x1))", 0),                          # absorption
    ("(xor x0 (xor x1 x0))", 0),                         # cancellation
    ("(or (and x0 x1) (and x0 x2))", 2),                 # factoring
])
def test_saturation_and_extraction_simplify(text, cost):
    eg = EGraph()
    root = eg.add_term(parse_sexpr(text))
    Runner(RULE_SETS["full"], iter_limit=6, node_limit=5000, time_limit=10).run(eg)
    ex = extract(eg, [root])
    assert ex.cost == cost
    for bits in itertools.product((0, 1), repeat=3):
        env = {f"x{i}": b for i, b in enumerate(bits)}
        assert evaluate_extracted(ex, dict(enumerate(bits))) == [eval_pattern(parse_sexpr(text), env)]


def test_extraction_counts_shared_nodes_once():
    eg = EGraph()
    shared = "(and x0 x1)"
    r1 = eg.add_term(parse_sexpr(f"(xor {shared} x2)"))
    r2 = eg.add_term(parse_sexpr(f"(or {shared} x3)"))
    ex = extract(eg, [r1, r2])
    assert ex.cost == 3            # the AND once, plus the XOR and the OR
    assert ex.depth == 2


def _term_of_graph(graph, eg):
    cls = {i: eg.add((VAR, i)) for i in range(graph.n_inputs)}
    for i in range(graph.n_inputs, graph.n_nodes):
        op = int(graph.op[i])
        if op == 1:
            cls[i] = eg.add((CONST, int(graph.arg[i])))
        elif op == 2:
            cls[i] = eg.add((int(graph.arg[i]), cls[int(graph.a[i])], cls[int(graph.b[i])]))
        elif op == 3:
            cls[i] = eg.add((NOT, cls[int(graph.a[i])]))
    return [cls[o] for o in graph.outputs]


@given(logic_nets(n_inputs=9, groupsum=False, max_layers=3, max_width=8), st.sampled_from(["simplify", "full"]))
def test_saturation_and_extraction_keep_the_function(net, rules):
    graph = lower(net)
    eg = EGraph()
    roots = _term_of_graph(graph, eg)
    Runner(RULE_SETS[rules], iter_limit=4, node_limit=3000, time_limit=5).run(eg)
    ex = extract(eg, roots)
    expected = evaluate_samples(graph, all_inputs(9))
    got = np.array([evaluate_extracted(ex, dict(enumerate(row))) for row in all_inputs(9)])
    assert np.array_equal(got, expected)


@given(logic_nets(n_inputs=9, groupsum=False, max_layers=4, max_width=16), st.sampled_from(["simplify", "full"]))
def test_windowed_saturation_keeps_the_function_and_never_grows(net, rules):
    graph = lower(net)
    xag, sinks = from_graph(graph)
    xag = xag.compact()
    before = xag.count()
    saturate_windows(xag, rules=rules, max_leaves=5, iter_limit=3, node_limit=1500)
    assert xag.count() <= before
    out = to_graph(xag.compact(), sinks)
    assert np.array_equal(evaluate_samples(out, all_inputs(9)), evaluate_samples(graph, all_inputs(9)))


def test_windowed_saturation_finds_xor_from_and_gates():
    b = Builder(2)
    t1 = b.gate(G.AND, 0, b.not_(1))
    t2 = b.gate(G.AND, b.not_(0), 1)
    b.output(b.gate(G.OR, t1, t2))
    xag, sinks = from_graph(b.finish())
    xag = xag.compact()
    assert xag.count() == 3
    stats = saturate_windows(xag, rules="full")
    assert xag.count() == 1 and stats.replaced == 1
    assert stats.stop_reasons and sum(stats.stop_reasons.values()) == stats.windows
