"""The SAT-sweeping equivalence engine (gatecc.ir.logic.sweep) and `gatecc verify` on corpus circuits.

Oracles: exhaustive truth tables of small networks, and the reference
evaluator on the counterexamples of wide ones.
"""

import random
from pathlib import Path

import numpy as np
import pytest

import gatecc
from gatecc.ir import evaluate_samples
from gatecc.ir.graph import Op
from gatecc.ir.logic import truth as T
from gatecc.ir.logic.sweep import prove_pairs
from gatecc.ir.logic.xag import AND, XAG
from gatecc.ir.passes import optimize
from gatecc.verify import equivalent

from conftest import assert_one_line_error

LGSYNTH = Path(__file__).resolve().parent.parent / "benchmarks" / "corpus" / "lgsynth93"


def _tables(net: XAG) -> list[int]:
    """Truth table of every node over all inputs (node ids of a never-edited network are topological)."""
    k = net.n_inputs
    full = T.full(k)
    vals = [0] + [T.var_table(i, k) for i in range(k)]
    for n in range(k + 1, net.n_nodes):
        a, b = net.fa[n], net.fb[n]
        x = vals[a >> 1] ^ (full if a & 1 else 0)
        y = vals[b >> 1] ^ (full if b & 1 else 0)
        vals.append(x & y if net.kind[n] == AND else x ^ y)
    return vals


def _value(vals, lit, full):
    return vals[lit >> 1] ^ (full if lit & 1 else 0)


def _random_pair_net(seed: int, n_inputs: int = 9, n_gates: int = 60, plant: bool = False):
    """A random network and a copy built differently (XOR as ANDs, ANDs through De Morgan, reassociated).

    With ``plant``, one gate of the copy computes OR instead of AND (or XNOR
    instead of XOR), which may or may not reach an output.
    """
    rng = random.Random(seed)
    net = XAG(n_inputs)
    spec = []
    for g in range(n_gates):
        hi = n_inputs + g
        spec.append((rng.random() < 0.3, rng.randrange(hi), rng.getrandbits(1), rng.randrange(hi), rng.getrandbits(1)))
    planted = rng.randrange(n_gates) if plant else -1

    def build(copy: bool):
        lits = [net.input_lit(i) for i in range(n_inputs)]
        for g, (is_xor, i, ni, j, nj) in enumerate(spec):
            a, b = lits[i] ^ ni, lits[j] ^ nj
            if not copy:
                lits.append(net.xor(a, b) if is_xor else net.and_(a, b))
            elif is_xor:
                x = net.and_(net.and_(a, b) ^ 1, net.and_(a ^ 1, b ^ 1) ^ 1)     # (a | b) & ~(a & b)
                lits.append(x ^ (g == planted))
            else:
                y = net.and_(a ^ 1, b ^ 1) ^ 1 if g == planted else net.and_(b, a)
                lits.append(y)
        return lits

    first, second = build(False), build(True)
    outs = list(range(n_inputs + n_gates - 6, n_inputs + n_gates))
    return net, [(first[k], second[k]) for k in outs]


@pytest.mark.parametrize("seed", range(12))
def test_equal_halves_are_proved(seed):
    net, pairs = _random_pair_net(seed)
    vals, full = _tables(net), T.full(net.n_inputs)
    assert all(_value(vals, x, full) == _value(vals, y, full) for x, y in pairs)
    outcome = prove_pairs(net, pairs, seed=seed)
    assert outcome.differs is None


@pytest.mark.parametrize("seed", range(24))
def test_planted_differences_are_found_with_a_true_counterexample(seed):
    net, pairs = _random_pair_net(seed, plant=True)
    vals, full = _tables(net), T.full(net.n_inputs)
    truly_equal = all(_value(vals, x, full) == _value(vals, y, full) for x, y in pairs)
    # A small width leaves rare differences to the SAT solver.
    outcome = prove_pairs(net, pairs, seed=seed, width=8)
    assert (outcome.differs is None) == truly_equal
    if not truly_equal:
        row = sum(bit << i for i, bit in enumerate(outcome.differs))
        assert any((_value(vals, x, full) >> row & 1) != (_value(vals, y, full) >> row & 1) for x, y in pairs)


def test_a_time_limit_never_makes_the_answer_a_guess():
    net, pairs = _random_pair_net(3)
    assert prove_pairs(net, pairs, time_limit=0.0).differs is None
    net, pairs = _random_pair_net(5, plant=True)
    vals, full = _tables(net), T.full(net.n_inputs)
    truly_equal = all(_value(vals, x, full) == _value(vals, y, full) for x, y in pairs)
    assert (prove_pairs(net, pairs, time_limit=0.0, width=4).differs is None) == truly_equal


def test_budgets_must_end_unlimited():
    net, pairs = _random_pair_net(1)
    assert prove_pairs(net, pairs, budgets=(0, None)).differs is None


# Small corpus circuits wider than the exhaustive limit, so the SAT engine decides.
CORPUS = ["C880", "apex7", "b9", "count", "i3", "my_adder", "cm150a"]


@pytest.mark.parametrize("name", CORPUS)
def test_corpus_circuits_equal_their_optimised_results(name):
    graph = gatecc.load(LGSYNTH / f"{name}.aig")
    for level in (2, 3):
        out, _ = optimize(graph, level)
        result = equivalent(graph, out)
        assert result.equal and result.method == "sat", (name, level)


def _flip_rarely(graph, n_terms: int, seed: int):
    """A copy of ``graph`` whose output k is XORed with an AND of ``n_terms`` random input literals."""
    rng = np.random.default_rng(seed)
    n = graph.n_nodes
    ops, args, a, b = list(graph.op), list(graph.arg), list(graph.a), list(graph.b)
    inputs = rng.choice(graph.n_inputs, n_terms, replace=False)
    # AND(x, y) gate id 1; AND(x, ~y) is gate 2 (a & ~b) in the 16-gate numbering.
    acc = int(inputs[0])
    for i in inputs[1:]:
        ops.append(Op.GATE)
        args.append(1 if rng.random() < 0.5 else 2)
        a.append(acc)
        b.append(int(i))
        acc = n
        n += 1
    outputs = list(graph.outputs)
    k = int(rng.integers(len(outputs)))
    ops.append(Op.GATE)
    args.append(6)                                   # xor
    a.append(outputs[k])
    b.append(acc)
    outputs[k] = n
    return gatecc.ir.Graph(graph.n_inputs, np.array(ops, dtype=graph.op.dtype), np.array(args, dtype=graph.arg.dtype),
                           np.array(a, dtype=graph.a.dtype), np.array(b, dtype=graph.b.dtype), graph.operands,
                           outputs)


@pytest.mark.parametrize("name,seed", [("C880", 0), ("apex7", 1), ("i3", 2), ("count", 3)])
def test_a_rare_difference_in_a_corpus_circuit_is_found(name, seed):
    # On 1 input row in 2**28: random simulation cannot see it, SAT sweeping must.
    graph = gatecc.load(LGSYNTH / f"{name}.aig")
    out, _ = optimize(graph, 2)
    bad = _flip_rarely(out, 28, seed)
    result = equivalent(graph, bad)
    assert not result.equal and result.method == "sat"
    row = np.array(result.counterexample.inputs)[None, :]
    assert not np.array_equal(evaluate_samples(graph, row), evaluate_samples(bad, row))


def test_truncated_aiger_is_one_clear_line(cli, tmp_path):
    src = (LGSYNTH / "b9.aig").read_bytes()
    (tmp_path / "cut.aig").write_bytes(src[: len(src) // 2])
    assert_one_line_error(cli("verify", LGSYNTH / "b9.aig", tmp_path / "cut.aig"), "cut.aig")


def test_fraig_is_deterministic_and_keeps_the_function():
    from gatecc.ir.logic.fraig import fraig
    from gatecc.ir.logic.xag import from_graph, to_graph

    graph = gatecc.load(LGSYNTH / "count.aig")
    outs = []
    for _ in range(2):
        net, sinks = from_graph(graph)
        stats = fraig(net)
        outs.append(gatecc.ir.print_graph(to_graph(net.compact(), sinks)))
    assert outs[0] == outs[1] and stats.stopped == "done"
    assert equivalent(graph, gatecc.ir.parse_graph(outs[0]), method="sat").equal
    rows = np.random.default_rng(0).integers(0, 2, (2000, graph.n_inputs))
    assert np.array_equal(evaluate_samples(graph, rows), evaluate_samples(gatecc.ir.parse_graph(outs[0]), rows))
