"""Spatial programs: verifier, reference evaluator, unroll and text form, against an independent per-position oracle."""

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gatecc.errors import InputError, ModelError
from gatecc.ir import Builder, all_inputs, evaluate_samples
from gatecc.ir import gates as G
from gatecc.ir.graph import Op
from gatecc.ir.spatial import (Conv, Dense, Flatten, MapShape, Or, OrPool, Program, ProgramError, evaluate_program,
                               parse_program, print_program, unroll, verify_program)
from gatecc.testing_spatial import random_kernel, spatial_programs


# -- the oracle: plain Python, one sample and one position at a time --------------------------------------------------
def _run_graph(graph, bits):
    """Node by node from the gate definition (G.truth), not through ir.evaluate."""
    val = list(bits) + [0] * (graph.n_nodes - graph.n_inputs)
    for i in range(graph.n_inputs, graph.n_nodes):
        op, arg = int(graph.op[i]), int(graph.arg[i])
        if op == Op.GATE:
            val[i] = G.truth(arg, val[graph.a[i]], val[graph.b[i]])
        elif op == Op.NOT:
            val[i] = 1 - val[graph.a[i]]
        elif op == Op.CONST:
            val[i] = arg
        elif op == Op.LUT:
            m = sum(val[x] << j for j, x in enumerate(graph.operands[i]))
            val[i] = (graph.luts[i] >> m) & 1
        elif op == Op.POPCOUNT:
            val[i] = sum(val[x] for x in graph.operands[i])
        elif op == Op.UINT:
            val[i] = sum(val[x] << j for j, x in enumerate(graph.operands[i]))
    return [val[o] for o in graph.outputs]


def _positions(shape):
    return itertools.product(*(range(n) for n in shape))


def _oracle(program, row):
    """One sample: dicts of value -> nested lists, computed by loops over positions and window cells."""
    shapes = program.shapes()
    ins = program.input
    vals = [np.array(row, dtype=np.int64).reshape(ins.channels, *ins.spatial)]
    for st_, shape in zip(program.stages, shapes[1:]):
        src = vals[st_.src]
        if st_.kind == "conv":
            out = np.zeros((shape.channels, *shape.spatial), np.int64)
            for pos in _positions(shape.spatial):
                leaves = []
                for dc, *offs in st_.window:
                    at = [p * s - pad + d for p, s, pad, d in zip(pos, st_.stride, st_.padding, offs)]
                    if st_.boundary == "torus":
                        leaves.append(int(src[(dc, *(a % n for a, n in zip(at, src.shape[1:])))]))
                    elif all(0 <= a < n for a, n in zip(at, src.shape[1:])):
                        leaves.append(int(src[(dc, *at)]))
                    else:
                        leaves.append(0)
                for c, v in enumerate(_run_graph(st_.kernel, leaves)):
                    out[(c, *pos)] = v
        elif st_.kind == "orpool":
            out = np.zeros((shape.channels, *shape.spatial), np.int64)
            for c in range(shape.channels):
                for pos in _positions(shape.spatial):
                    for offs in _positions(st_.size):
                        at = [p * s - pad + d for p, s, pad, d in zip(pos, st_.stride, st_.padding, offs)]
                        if all(0 <= a < n for a, n in zip(at, src.shape[1:])):
                            out[(c, *pos)] |= src[(c, *at)]
        elif st_.kind == "flatten":
            out = src.reshape(-1)
        elif st_.kind == "or":
            out = src | vals[st_.other]
        else:
            out = np.array(_run_graph(st_.graph, src.reshape(-1).tolist()), np.int64)
        vals.append(out)
    return vals[-1].reshape(-1)


def _inputs(program, seed=0):
    n = program.n_inputs
    if n <= 12:
        return all_inputs(n)
    return np.random.default_rng(seed).integers(0, 2, (40, n), dtype=np.uint8)


@given(spatial_programs(max_input_bits=24))
def test_evaluate_and_unroll_match_the_per_position_oracle(program):
    x = _inputs(program)
    got = evaluate_program(program, x)
    rows = x if len(x) <= 64 else x[np.random.default_rng(1).choice(len(x), 64, replace=False)]
    idx = [int(np.flatnonzero((x == r).all(axis=1))[0]) for r in rows]
    expected = np.array([_oracle(program, r.tolist()) for r in rows])
    assert np.array_equal(got[idx], expected)
    for simplify in (True, False):
        flat = unroll(program, simplify=simplify)
        assert flat.n_inputs == program.n_inputs
        assert np.array_equal(evaluate_samples(flat, x), got)


@settings(max_examples=15)
@given(spatial_programs(max_input_bits=12, rank=3))
def test_three_d_programs_exhaustively(program):
    x = all_inputs(program.n_inputs)
    got = evaluate_program(program, x)
    assert np.array_equal(got, np.array([_oracle(program, r) for r in x.tolist()]))
    assert np.array_equal(evaluate_samples(unroll(program), x), got)


@given(spatial_programs(max_input_bits=40))
def test_text_form_round_trips(program):
    text = print_program(program)
    back = parse_program(text)
    assert back == program
    assert print_program(back) == text


def test_outputs_and_shapes_of_a_classifier():
    rng = np.random.default_rng(3)
    kernel = random_kernel(rng, 8, 2)                 # two depth-2 trees
    window = tuple((c, dy, dx) for c, dy, dx in rng.integers(0, [2, 3, 3], (8, 3)).tolist())
    bld = Builder.raw(2 * 2 * 3)
    bld.output(bld.popcount([bld.gate(G.XOR, 0, 11), bld.gate(G.AND, 3, 5)]))
    bld.output(bld.popcount([bld.gate(G.OR, 1, 2)]))
    program = Program(MapShape(2, (5, 6)), (
        Conv(0, kernel, window, (3, 3), (1, 1), (1, 1)),
        OrPool(1, (2, 2), (2, 2), (0, 0)),
        Flatten(2),
        Dense(3, bld.finish()),
    ))
    assert [str(s) for s in program.shapes()] == ["2x5x6", "2x5x6", "2x2x3", "12", "2"]
    x = np.random.default_rng(0).integers(0, 2, (300, 60), dtype=np.uint8)
    got = evaluate_program(program, x)
    assert got.dtype == np.int64 and got.shape == (300, 2)
    assert np.array_equal(got, np.array([_oracle(program, r) for r in x.tolist()]))
    # (batch, C, H, W) is the same input as its channel-major flattening.
    assert np.array_equal(evaluate_program(program, x.reshape(300, 2, 5, 6).astype(bool)), got)


def test_torus_conv_is_the_life_neighbourhood():
    """Sum of the 8 neighbours > 0 on a torus, checked against np.roll."""
    window = tuple((0, dy, dx) for dy in range(3) for dx in range(3) if (dy, dx) != (1, 1))
    bld = Builder.raw(8)
    acc = 0
    for j in range(1, 8):
        acc = bld.gate(G.OR, acc, j)
    bld.output(acc)
    program = Program(MapShape(1, (4, 5)), (Conv(0, bld.finish(), window, (3, 3), (1, 1), (1, 1), "torus"),))
    x = np.random.default_rng(2).integers(0, 2, (50, 20), dtype=np.uint8)
    boards = x.reshape(50, 4, 5)
    expected = np.zeros_like(boards)
    for dy, dx in itertools.product((-1, 0, 1), repeat=2):
        if (dy, dx) != (0, 0):
            expected |= np.roll(boards, (-dy, -dx), axis=(1, 2))
    assert np.array_equal(evaluate_program(program, x), expected.reshape(50, 20))


# -- the verifier: one clear error per problem ------------------------------------------------------------------------
def _kernel(n_in, n_out=1):
    bld = Builder.raw(n_in)
    for k in range(n_out):
        bld.output(bld.gate(G.AND, 0, n_in - 1) if n_in else bld.const(1))
    return bld.finish()


_OK = Conv(0, _kernel(2), ((0, 0, 0), (0, 1, 1)), (2, 2), (1, 1), (0, 0))


def _count_dense(n):
    bld = Builder.raw(n)
    bld.output(bld.popcount([0]))
    return bld.finish()


@pytest.mark.parametrize("stages, message", [
    ((Conv(0, _kernel(2), ((0, 0, 0), (0, 2, 1)), (2, 2), (1, 1), (0, 0)),), "outside the receptive field"),
    ((Conv(0, _kernel(2), ((0, 0, 0), (1, 1, 1)), (2, 2), (1, 1), (0, 0)),), "outside the input's 1 channels"),
    ((Conv(0, _kernel(3), ((0, 0, 0), (0, 1, 1)), (2, 2), (1, 1), (0, 0)),), "3 inputs but the window 2"),
    ((Conv(0, _kernel(2), ((0, 0), (0, 1, 1)), (2, 2), (1, 1), (0, 0)),), "needs 3 offsets"),
    ((Conv(0, _kernel(2), ((0, 0, 0), (0, 1, 1)), (2,), (1, 1), (0, 0)),), "size (2,) has 1 axes"),
    ((Conv(0, _kernel(2), ((0, 0, 0), (0, 1, 1)), (2, 2), (0, 1), (0, 0)),), "stride (0, 1) has an entry below 1"),
    ((Conv(0, _kernel(2), ((0, 0, 0), (0, 1, 1)), (2, 2), (1, 1), (0, 0), "mirror"),), "unknown boundary 'mirror'"),
    ((Conv(0, _kernel(2), ((0, 0, 0), (0, 1, 1)), (2, 2), (2, 2), (1, 1), "torus"),), "stride must be 1"),
    ((Conv(0, _kernel(2), ((0, 0, 0), (0, 1, 1)), (9, 2), (1, 1), (0, 0)),), "larger than the padded input"),
    ((Conv(0, _count_dense(2), ((0, 0, 0), (0, 1, 1)), (2, 2), (1, 1), (0, 0)),), "is a count"),
    ((OrPool(0, (5, 5), (1, 1), (0, 0)),), "pool window (5, 5) is larger than the padded input"),
    ((OrPool(0, (2, 2), (1, 1), (2, 0)),), "more than half the window"),
    ((_OK, Or(1, 0)), "cannot OR value 1 of shape 1x3x3 with value 0 of shape 1x4x4"),
    ((_OK, OrPool(3, (1, 1), (1, 1), (0, 0))), "src=3 is not an earlier value"),
    ((Flatten(0), OrPool(1, (1,), (1,), (0,))), "a flat vector 16"),
    ((Flatten(0), Dense(1, _kernel(15))), "15 inputs but value 1 has 16 bits"),
    ((Flatten(0), Dense(1, _count_dense(16)), Flatten(2)), "holds counts"),
    ((), "no stages"),
    (("conv",), "unknown stage str"),
])
def test_verifier_rejects_bad_programs(stages, message):
    with pytest.raises(ProgramError, match=None) as info:
        verify_program(Program(MapShape(1, (4, 4)), stages))
    assert message in str(info.value)
    assert isinstance(info.value, ModelError) and "\n" not in str(info.value)


def test_verifier_rejects_bad_graphs_and_shapes():
    bad = _kernel(2)
    bad.a[2] = 7  # a fanin after its reader
    with pytest.raises(ProgramError, match="stage 0 \\(conv\\) kernel: node 2"):
        verify_program(Program(MapShape(1, (4, 4)), (Conv(0, bad, ((0, 0, 0), (0, 1, 1)), (2, 2), (1, 1), (0, 0)),)))
    with pytest.raises(ProgramError, match="the input channels"):
        verify_program(Program(MapShape(0, (4, 4)), (Flatten(0),)))
    with pytest.raises(ProgramError, match="input names: 2 names for 16"):
        verify_program(Program(MapShape(1, (4, 4)), (Flatten(0),), input_names=("a", "b")))


def test_evaluate_rejects_bad_inputs():
    program = Program(MapShape(1, (2, 2)), (_OK,))
    for x, message in [(np.zeros((3, 5)), "shape \\(batch, 4\\)"), (np.full((2, 4), 2), "0 or 1"),
                       (np.array([["a"] * 4]), "dtype"), (np.zeros((2, 1, 3, 3)), "got \\(2, 1, 3, 3\\)")]:
        with pytest.raises(InputError, match=message):
            evaluate_program(program, x)


# -- the text form's errors name the line -----------------------------------------------------------------------------
_TEXT = print_program(Program(MapShape(1, (4, 4)), (_OK, OrPool(1, (2, 2), (1, 1), (0, 0)), Flatten(2))))


@pytest.mark.parametrize("edit, message", [
    (lambda t: t.replace("gatecc-spatial 1", "gatecc-spatial 9"), "line 1: expected the header"),
    (lambda t: t.replace("input 1x4x4", "input 1x4y4"), "line 2: a shape must look like"),
    (lambda t: t.replace("stage orpool", "stage maxpool"), "line 11: expected 'stage KIND"),
    (lambda t: t.replace("stride=1x1 padding=0x0 boundary", "stride=1x1 boundary"), "line 3: the conv stage lacks padding="),
    (lambda t: t.replace("window 0,0,0", "window 0;0,0"), "line 4: window entries"),
    (lambda t: t.replace("%2 = and", "%2 = andd"), "line 8: unknown op 'andd'"),
    (lambda t: t.replace("end\n", ""), "graph without its closing 'end'"),
    (lambda t: t.replace("src=2", "src=7"), "stage 2 (flatten): src=7 is not an earlier value"),
    (lambda t: t.replace("size=2x2 stride=1x1 padding=0x0\n", "size=2x2 stride=1x1 padding=0x0 color=red\n"),
     "line 11: unexpected 'color=red'"),
])
def test_parser_errors_name_the_line(edit, message):
    text = edit(_TEXT)
    assert text != _TEXT
    with pytest.raises(ProgramError) as info:
        parse_program(text)
    assert message in str(info.value)
