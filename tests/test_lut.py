"""The ``lut`` IR node: definition, verifier, text form, lowering to 2-input gates, backends."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import gatecc
from gatecc.ir import Builder, IRError, all_inputs, evaluate_samples, parse_graph, print_graph, verify
from gatecc.ir.graph import Op
from gatecc.ir.lut import lower_luts
from gatecc.ir.passes import optimize

N = 6
X = all_inputs(N)


def _by_definition(table, operands):
    """Bit m of the table, with m's bit j the value of operand j (docs/ir.md)."""
    rows = sum(X[:, o].astype(np.int64) << j for j, o in enumerate(operands))
    # Python ints: a 6-input table can exceed int64, which numpy's shift would overflow.
    return np.array([(table >> int(r)) & 1 for r in rows], dtype=np.int64)


@st.composite
def luts(draw):
    k = draw(st.integers(1, 6))
    operands = draw(st.lists(st.integers(0, N - 1), min_size=k, max_size=k))   # repeats allowed
    return draw(st.integers(0, (1 << (1 << k)) - 1)), operands


@settings(max_examples=120, deadline=None)
@given(luts())
def test_evaluator_lowering_and_text_agree_with_the_definition(lut):
    table, operands = lut
    bld = Builder.raw(N)
    bld.output(bld.lut(table, operands))
    graph = verify(bld.finish())
    expected = np.array([_by_definition(table, operands)]).T
    np.testing.assert_array_equal(evaluate_samples(graph, X), expected)
    lowered = verify(lower_luts(graph))
    assert not lowered.luts and not (lowered.op == Op.LUT).any()
    np.testing.assert_array_equal(evaluate_samples(lowered, X), expected)
    assert parse_graph(print_graph(graph)) == graph


def test_four_input_luts_lower_to_their_optimal_size():
    from gatecc.ir.logic.exact import database

    for table in (0x6996, 0x8000, 0xCAFE, 0x1234):
        bld = Builder.raw(4)
        bld.output(bld.lut(table, [0, 1, 2, 3]))
        lowered = lower_luts(bld.finish())
        assert int((lowered.op == Op.GATE).sum()) <= database().cost(table)


@pytest.mark.parametrize("text, needle", [
    ("gatecc-ir 1\ninputs 2\n%2 = lut %0, %1\noutputs %2\n", "hex table"),
    ("gatecc-ir 1\ninputs 2\n%2 = lut 0x1ff %0, %1\noutputs %2\n", "does not fit"),
    ("gatecc-ir 1\ninputs 7\n%7 = lut 0x1 %0, %1, %2, %3, %4, %5, %6\noutputs %7\n", "1..6 operands"),
])
def test_bad_lut_text_is_refused(text, needle):
    with pytest.raises(IRError, match=needle):
        parse_graph(text)


def test_verifier_checks_the_table():
    bld = Builder.raw(2)
    bld.output(bld.lut(0x6, [0, 1]))
    g = bld.finish()
    g.luts[2] = 1 << 4
    with pytest.raises(IRError, match="lut"):
        verify(g)


def _random_lut_graph(seed):
    rng = np.random.default_rng(seed)
    bld = Builder.raw(N)
    prev = list(range(N))
    for width in (12, 8):
        cur = []
        for _ in range(width):
            k = int(rng.integers(1, 7))
            ops = [prev[int(i)] for i in rng.choice(len(prev), size=k, replace=False)]
            cur.append(bld.lut(int(rng.integers(0, 1 << 62)) & ((1 << (1 << k)) - 1), ops))
        prev = cur
    for node in prev[:4]:
        bld.output(node)
    bld.output(bld.popcount(prev[4:]))
    return verify(bld.finish())


@pytest.mark.parametrize("level", [0, 2, 3])
def test_every_level_optimises_lut_graphs(level):
    g = _random_lut_graph(level)
    opt, _ = optimize(g, level)
    np.testing.assert_array_equal(evaluate_samples(opt, X), evaluate_samples(g, X))


@pytest.mark.parametrize("target", ["c", "llvm"])
def test_compiled_lut_graph_matches_the_evaluator(target):
    g = _random_lut_graph(7)
    for level in (0, 2):
        net = gatecc.compile(g, target=target, opt_level=level, cache=False)
        np.testing.assert_array_equal(np.asarray(net(X), dtype=np.int64), evaluate_samples(g, X))


@pytest.mark.parametrize("target", ["verilog", "blif", "aiger", "dot", "graphml"])
def test_exports_take_lut_graphs(target):
    from gatecc.compiler import lower_to_source

    assert lower_to_source(_random_lut_graph(3), target, 0, cache=False).source
