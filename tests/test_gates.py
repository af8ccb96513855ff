"""The gate table against the reference facts of docs/design.md section 2."""

import itertools

import numpy as np
import pytest

from gatecc.ir import gates as G

# The docs/design.md table, written out independently of the code under test.
BITWISE = {
    0: lambda a, b: 0, 1: lambda a, b: a & b, 2: lambda a, b: a & ~b & 1, 3: lambda a, b: a,
    4: lambda a, b: ~a & b & 1, 5: lambda a, b: b, 6: lambda a, b: a ^ b, 7: lambda a, b: a | b,
    8: lambda a, b: ~(a | b) & 1, 9: lambda a, b: ~(a ^ b) & 1, 10: lambda a, b: ~b & 1,
    11: lambda a, b: (a | ~b) & 1, 12: lambda a, b: ~a & 1, 13: lambda a, b: (~a | b) & 1,
    14: lambda a, b: ~(a & b) & 1, 15: lambda a, b: 1,
}
RELAXATION = {
    0: lambda a, b: 0, 1: lambda a, b: a * b, 2: lambda a, b: a - a * b, 3: lambda a, b: a,
    4: lambda a, b: b - a * b, 5: lambda a, b: b, 6: lambda a, b: a + b - 2 * a * b,
    7: lambda a, b: a + b - a * b, 8: lambda a, b: 1 - (a + b - a * b), 9: lambda a, b: 1 - (a + b - 2 * a * b),
    10: lambda a, b: 1 - b, 11: lambda a, b: 1 - b + a * b, 12: lambda a, b: 1 - a,
    13: lambda a, b: 1 - a + a * b, 14: lambda a, b: 1 - a * b, 15: lambda a, b: 1,
}
NAMES = ["FALSE", "AND", "A AND NOT B", "A", "NOT A AND B", "B", "XOR", "OR", "NOR", "XNOR",
         "NOT B", "A OR NOT B", "NOT A", "NOT A OR B", "NAND", "TRUE"]

BITS = list(itertools.product((0, 1), repeat=2))


@pytest.mark.parametrize("g", range(16))
def test_truth_matches_design_table(g):
    for a, b in BITS:
        assert G.truth(g, a, b) == BITWISE[g](a, b)
        assert G.eval_expr(G.GATE_EXPRS[g], {"a": a, "b": b}) == BITWISE[g](a, b)
    assert G.GATE_NAMES[g] == NAMES[g].lower().replace(" ", "_")


@pytest.mark.parametrize("g", range(16))
def test_relaxation_matches_design_table(g):
    c = G.relaxation_coefficients()[g]
    rng = np.random.default_rng(g)
    for a, b in list(BITS) + [tuple(rng.uniform(0, 1, 2)) for _ in range(20)]:
        got = c[0] + c[1] * a + c[2] * b + c[3] * a * b
        assert got == pytest.approx(RELAXATION[g](a, b), abs=1e-6)


@pytest.mark.parametrize("g", range(16))
def test_derived_gate_transforms(g):
    for a, b in BITS:
        assert G.truth(G.swap_inputs(g), a, b) == BITWISE[g](b, a)
        assert G.truth(G.negate_a(g), a, b) == BITWISE[g](1 - a, b)
        assert G.truth(G.negate_b(g), a, b) == BITWISE[g](a, 1 - b)
        assert G.truth(G.negate_output(g), a, b) == 1 - BITWISE[g](a, b)
    assert G.is_symmetric(g) == all(BITWISE[g](a, b) == BITWISE[g](b, a) for a, b in BITS)
    assert G.depends_on_a(g) == any(BITWISE[g](0, b) != BITWISE[g](1, b) for b in (0, 1))
    assert G.depends_on_b(g) == any(BITWISE[g](a, 0) != BITWISE[g](a, 1) for a in (0, 1))


def test_binary_gates_are_the_ten_real_ones():
    assert G.BINARY_GATES == (1, 2, 4, 6, 7, 8, 9, 11, 13, 14)


def test_evaluate_words_is_bitwise_truth_table():
    rng = np.random.default_rng(1)
    a = rng.integers(0, 2**63, 50, dtype=np.uint64)
    b = rng.integers(0, 2**63, 50, dtype=np.uint64)
    for g in range(16):
        out = G.evaluate_words(g, a, b)
        for k in range(0, 64, 7):
            ba = ((a >> np.uint64(k)) & np.uint64(1)).astype(int)
            bb = ((b >> np.uint64(k)) & np.uint64(1)).astype(int)
            bo = ((out >> np.uint64(k)) & np.uint64(1)).astype(int)
            assert list(bo) == [BITWISE[g](int(x), int(y)) for x, y in zip(ba, bb)]


SHAPE_FN = {G.SHAPE_CONST: lambda a, b: 0, G.SHAPE_A: lambda a, b: a, G.SHAPE_B: lambda a, b: b,
            G.SHAPE_AND: lambda a, b: a & b, G.SHAPE_XOR: lambda a, b: a ^ b}
# Which ids are constants, wires / NOTs of one input, and real 2-input gates (read off the table above).
EXPECTED_SHAPE = {0: "const", 15: "const", 3: "a", 12: "a", 5: "b", 10: "b", 6: "xor", 9: "xor"}


@pytest.mark.parametrize("g", range(16))
def test_every_gate_is_one_shape_with_complemented_edges(g):
    shape, na, nb, no = G.FORMS[g]
    for a, b in BITS:
        assert no ^ SHAPE_FN[shape](a ^ na, b ^ nb) == BITWISE[g](a, b)
    name = {G.SHAPE_CONST: "const", G.SHAPE_A: "a", G.SHAPE_B: "b", G.SHAPE_AND: "and", G.SHAPE_XOR: "xor"}[shape]
    assert name == EXPECTED_SHAPE.get(g, "and")
    assert G.gate_of_form(shape, na, nb, no) == g
    # on_literals builds the same function on literals (2 * node + complemented).
    made = []
    G.on_literals(g, 4, 6, lambda s, x, y: made.append((s, x, y)) or 8)
    assert len(made) == (shape >= G.SHAPE_AND)


@pytest.mark.parametrize("g", range(16))
def test_fold_agrees_with_the_table(g):
    def value(shape, neg, a, b):
        return neg if shape == G.SHAPE_CONST else (a if shape == G.SHAPE_A else b) ^ neg

    for a, b in BITS:
        shape, neg = G.fold(g, const_a=a)                    # B still unknown: A fixed
        assert value(shape, neg, a, b) == BITWISE[g](a, b)
        shape, neg = G.fold(g, const_b=b)
        assert value(shape, neg, a, b) == BITWISE[g](a, b)
    for x in (0, 1):
        shape, neg = G.fold(g, same=True)
        assert value(shape, neg, x, x) == BITWISE[g](x, x)
    assert (G.fold(g) is None) == (g not in (0, 15))
