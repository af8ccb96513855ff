"""The IR: builder normalisation, verifier, text form and reference evaluator."""

import itertools

import numpy as np
import pytest
from hypothesis import given

from gatecc.ir import Builder, IRError, Op, all_inputs, evaluate_samples, parse_graph, print_graph, verify
from gatecc.ir import gates as G
from gatecc.ir.graph import Graph
from gatecc.lower import lower
from gatecc.testing import logic_nets

from foreign import reference_outputs


def _table(graph):
    return evaluate_samples(graph, all_inputs(graph.n_inputs))


def test_evaluator_matches_independent_reference():
    from foreign import random_arrays
    from gatecc.model import net_from_arrays

    for seed, k in itertools.product(range(4), (None, 4)):
        arrays = random_arrays(seed, k=k, tau=1.5 if k else None)
        graph = lower(net_from_arrays(arrays))
        expected = [reference_outputs(arrays, row) for row in all_inputs(9).tolist()]
        assert np.array_equal(_table(graph), np.array(expected))


@pytest.mark.parametrize("flags", [dict(fold=f, copyprop=c, cse=s) for f, c, s in itertools.product((0, 1), repeat=3)])
def test_every_builder_rule_keeps_the_function(flags):
    """Build every gate on every pair of (input, NOT input, constant, equal) operands."""
    raw = Builder.raw(2)
    norm = Builder(2, **{k: bool(v) for k, v in flags.items()})
    operands = []
    for bld in (raw, norm):
        x, y = bld.input(0), bld.input(1)
        operands.append([x, y, bld.not_(x), bld.not_(y), bld.const(0), bld.const(1), bld.gate(G.AND, x, y)])
    for g in range(16):
        for i, j in itertools.product(range(7), repeat=2):
            raw.output(raw.gate(g, operands[0][i], operands[0][j]))
            norm.output(norm.gate(g, operands[1][i], operands[1][j]))
            raw.output(raw.not_(raw.gate(g, operands[0][i], operands[0][j])))
            norm.output(norm.not_(norm.gate(g, operands[1][i], operands[1][j])))
    g_raw, g_norm = verify(raw.finish()), verify(norm.finish())
    assert np.array_equal(_table(g_raw), _table(g_norm))
    if all(flags.values()):
        assert g_norm.n_nodes < g_raw.n_nodes / 4


def test_builder_normal_forms():
    b = Builder(3)
    x, y, z = 0, 1, 2
    assert b.gate(G.AND, x, y) == b.gate(G.AND, y, x)                 # commutative order
    assert b.gate(2, y, x) == b.gate(4, x, y)                         # a&~b swapped is ~a&b
    assert b.gate(G.XOR, x, x) == b.const(0)                          # x ^ x -> 0
    assert b.gate(G.AND, x, b.const(1)) == x                          # x & 1 -> x
    assert b.gate(G.PASS_B, x, z) == z                                # wire
    assert b.not_(b.not_(y)) == y                                     # ~~y -> y
    n = b.gate(G.NOT_A, z, x)
    assert b.op_of(n) == Op.NOT and b.fanin_a(n) == z                 # id 12 is a NOT
    g = b.gate(G.OR, b.not_(x), y)                                    # ~x | y absorbs the NOT
    assert b.op_of(g) == Op.GATE and b.arg_of(g) == 13


def test_raw_builder_keeps_everything():
    b = Builder.raw(2)
    n1 = b.gate(G.AND, 0, 1)
    n2 = b.gate(G.AND, 0, 1)
    n3 = b.gate(G.FALSE, 1, 0)
    assert len({n1, n2, n3}) == 3


@given(logic_nets())
def test_text_round_trip(net):
    graph = lower(net)
    text = print_graph(graph)
    again = parse_graph(text)
    assert again == graph
    assert print_graph(again) == text


def test_text_example_parses_and_evaluates():
    text = """gatecc-ir 1
    inputs 3          # a comment
    %3 = and %0, %1
    %4 = not %3
    %5 = a_and_not_b %4, %2
    %6 = const 1
    %7 = popcount %3, %5, %6
    %8 = uint %5, %3
    outputs %4, %7, %8
    """
    graph = parse_graph(text)
    table = _table(graph)
    for (a, b, c), (nand, cnt, num) in zip(itertools.product((0, 1), repeat=3), table.tolist()):
        assert nand == 1 - (a & b)
        and_ = a & b
        t5 = (1 - and_) & (1 - c)
        assert cnt == and_ + t5 + 1
        assert num == t5 + 2 * and_


@pytest.mark.parametrize("text, needle", [
    ("", "header"),
    ("gatecc-ir 1\n", "inputs"),
    ("gatecc-ir 1\ninputs 2\n%2 = and %0, %1\n", "outputs"),
    ("gatecc-ir 1\ninputs 2\n%3 = and %0, %1\noutputs %3\n", "next node is %2"),
    ("gatecc-ir 1\ninputs 2\n%2 = and %0, %2\noutputs %2\n", "forward reference"),
    ("gatecc-ir 1\ninputs 2\n%2 = frob %0, %1\noutputs %2\n", "unknown op"),
    ("gatecc-ir 1\ninputs 2\n%2 = and %0\noutputs %2\n", "two operands"),
    ("gatecc-ir 1\ninputs 2\n%2 = const 2\noutputs %2\n", "const"),
    ("gatecc-ir 1\ninputs 2\n%2 = popcount %0, %1\n%3 = and %2, %0\noutputs %3\n", "count"),
    ("gatecc-ir 1\ninputs 2\noutputs %5\n", "not defined"),
])
def test_parse_errors_name_the_problem(text, needle):
    with pytest.raises(IRError) as info:
        parse_graph(text)
    assert needle in str(info.value)


def _graph(**changes):
    b = Builder.raw(2)
    b.output(b.popcount([b.gate(G.AND, 0, 1), 1]))
    g = b.finish()
    fields = dict(n_inputs=g.n_inputs, op=g.op.copy(), arg=g.arg.copy(), a=g.a.copy(), b=g.b.copy(),
                  operands=dict(g.operands), outputs=list(g.outputs))
    for key, fn in changes.items():
        fields[key] = fn(fields[key])
    return Graph(**fields)


def _set(i, v):
    def f(arr):
        arr[i] = v
        return arr
    return f


@pytest.mark.parametrize("changes, needle", [
    (dict(op=_set(2, 9)), "unknown op"),
    (dict(arg=_set(2, 16)), "gate id 16"),
    (dict(a=_set(2, 2)), "not an earlier node"),
    (dict(b=_set(2, 7)), "not an earlier node"),
    (dict(arg=_set(1, 0)), "inputs"),
    (dict(operands=lambda d: {3: (3,)}), "not an earlier node"),
    (dict(operands=lambda d: {}), "operand list"),
    (dict(outputs=lambda o: [9]), "does not exist"),
    (dict(op=_set(2, int(Op.CONST)), arg=_set(2, 5)), "constant 5"),
])
def test_verifier_rejects_malformed_graphs(changes, needle):
    verify(_graph())
    with pytest.raises(IRError) as info:
        verify(_graph(**changes))
    assert needle in str(info.value)


def test_verifier_rejects_count_read_by_gate():
    b = Builder.raw(2)
    c = b.popcount([0, 1])
    g = b.finish()
    bad = Graph(2, np.append(g.op, np.uint8(Op.GATE)), np.append(g.arg, 1), np.append(g.a, c),
                np.append(g.b, 0), g.operands, [3])
    with pytest.raises(IRError, match="count, not a bit"):
        verify(bad)


def test_evaluator_handles_any_batch_size():
    b = Builder(3)
    b.output(b.gate(G.XOR, b.gate(G.AND, 0, 1), 2))
    b.output(b.popcount([0, 1, 2]))
    g = b.finish()
    rng = np.random.default_rng(0)
    for batch in (1, 63, 64, 65, 130):
        x = rng.integers(0, 2, (batch, 3))
        out = evaluate_samples(g, x)
        assert out.shape == (batch, 2)
        assert np.array_equal(out[:, 0], (x[:, 0] & x[:, 1]) ^ x[:, 2])
        assert np.array_equal(out[:, 1], x.sum(axis=1))
