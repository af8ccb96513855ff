"""Equivalence checking: gatecc.verify.equivalent and the ``gatecc verify`` command."""

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import gatecc
from gatecc.backends.aiger import emit_aiger
from gatecc.backends.target import legalize
from gatecc.errors import InputError
from gatecc.ir import evaluate_samples, print_graph
from gatecc.ir.graph import Op
from gatecc.ir.passes import optimize, parse_pipeline, run_pipeline
from gatecc.lower import lower
from gatecc.testing import logic_nets
from gatecc.verify import equivalent

from conftest import assert_one_line_error

EPFL = Path(__file__).resolve().parent.parent / "benchmarks" / "corpus" / "epfl"


def mutate(graph, seed=0):
    """The graph with one gate's truth table changed so that some output changes."""
    rng = np.random.default_rng(seed)
    x = rng.integers(0, 2, (4096, graph.n_inputs))
    base = evaluate_samples(graph, x)
    gates = np.flatnonzero(graph.op == Op.GATE)
    for node in rng.permutation(gates):
        for flip in (1, 2, 4, 8):
            bad = gatecc.ir.Graph(graph.n_inputs, graph.op.copy(), graph.arg.copy(), graph.a, graph.b,
                                  graph.operands, graph.outputs)
            bad.arg[node] ^= flip
            if not np.array_equal(evaluate_samples(bad, x), base):
                return bad
    return None


def check_counterexample(result, a, b):
    cex = result.counterexample
    row = np.array(cex.inputs)[None, :]
    va, vb = evaluate_samples(a, row)[0], evaluate_samples(b, row)[0]
    assert tuple(va) == cex.outputs_a and tuple(vb) == cex.outputs_b
    assert va[cex.output] != vb[cex.output]


@given(logic_nets(n_inputs=st.integers(1, 12)), st.integers(0, 3))
def test_exhaustive_equal_after_optimisation(net, level):
    graph = lower(net)
    out, _ = optimize(graph, level)
    result = equivalent(graph, out)
    assert result.equal and result.method == "exhaustive" and result.counterexample is None


@given(logic_nets(n_inputs=st.integers(2, 12), groupsum=False, mode="gates"))
def test_exhaustive_finds_a_real_counterexample(net):
    graph = lower(net)
    bad = mutate(graph)
    if bad is None:
        return
    result = equivalent(graph, bad)
    assert not result.equal and result.method == "exhaustive"
    check_counterexample(result, graph, bad)


@given(logic_nets(n_inputs=st.integers(21, 48), max_layers=5, max_width=40), st.sampled_from([2, 3]))
def test_sat_on_wide_circuits(net, level):
    graph = lower(net)
    out, _ = optimize(graph, level)
    result = equivalent(graph, out)
    assert result.equal and result.method == "sat"
    bad = mutate(legalize(out), seed=1)
    if bad is not None:
        result = equivalent(graph, bad)
        assert not result.equal and result.method == "sat"
        check_counterexample(result, legalize(graph), bad)


def test_sat_finds_a_rare_difference():
    # The outputs differ on one input row in 2**40: simulation cannot see it.
    b = gatecc.ir.Builder(40)
    acc = 0
    for i in range(1, 40):
        acc = b.gate(1, acc, i)
    b.output(acc)
    a = b.finish()
    b2 = gatecc.ir.Builder(40)
    b2.output(b2.const(0))
    result = equivalent(a, b2.finish())
    assert not result.equal and result.method == "sat"
    assert result.counterexample.inputs == (1,) * 40


@pytest.mark.parametrize("name", ["int2float", "cavlc", "bar", "max"])
def test_epfl_circuits_against_their_optimised_selves(name):
    graph = gatecc.load(EPFL / f"{name}.aig")
    out, _ = run_pipeline(graph, parse_pipeline("strash,rewrite,fraig"))
    result = equivalent(graph, out)
    assert result.equal
    assert result.method == ("exhaustive" if graph.n_inputs <= 20 else "sat")


def test_model_against_its_aiger_export(tmp_path):
    from gatecc.model import GroupSum, Layer, LogicNet

    rng = np.random.default_rng(3)
    layers = [Layer(rng.integers(0, 30, 40), rng.integers(0, 30, 40), gates=rng.integers(0, 16, 40).astype(np.uint8))]
    net = LogicNet(30, layers, GroupSum(4, 1.0))
    path = tmp_path / "m.npz"
    net.save(path)
    graph, _ = optimize(lower(net), 2)
    (tmp_path / "m.aig").write_bytes(emit_aiger(legalize(graph)))
    result = equivalent(path, tmp_path / "m.aig")
    assert result.equal


def test_interface_mismatch_is_an_input_error():
    a = gatecc.ir.Builder(3)
    a.output(a.gate(1, 0, 1))
    b = gatecc.ir.Builder(4)
    b.output(b.gate(1, 0, 1))
    with pytest.raises(InputError, match="3 inputs but B has 4"):
        equivalent(a.finish(), b.finish())
    c = gatecc.ir.Builder(3)
    c.output(c.gate(1, 0, 1))
    c.output(c.gate(6, 0, 1))
    with pytest.raises(InputError, match="outputs differ in shape"):
        equivalent(a.finish(), c.finish())
    with pytest.raises(InputError, match="unknown verification method"):
        equivalent(a.finish(), a.finish(), method="guess")


def _write(tmp_path, name, graph):
    path = tmp_path / name
    path.write_text(print_graph(graph))
    return path


def test_cli_verify(cli, tmp_path):
    b = gatecc.ir.Builder(3)
    t = b.gate(1, 0, 1)
    b.output(b.gate(7, t, 2))
    a = b.finish()
    b2 = gatecc.ir.Builder(3)
    t = b2.gate(14, 0, 1)                       # nand
    b2.output(b2.gate(13, t, 2))                # ~nand | c = (a & b) | c
    same = b2.finish()
    b3 = gatecc.ir.Builder(3)
    b3.output(b3.gate(6, b3.gate(1, 0, 1), 2))  # xor instead of or
    other = b3.finish()
    pa, ps, po = _write(tmp_path, "a.gir", a), _write(tmp_path, "s.gir", same), _write(tmp_path, "o.gir", other)

    r = cli("verify", pa, ps)
    assert r.returncode == 0 and r.stdout.startswith("equal:") and "exhaustive" in r.stdout
    r = cli("verify", pa, po)
    assert r.returncode == 1 and r.stdout.startswith("different:")
    assert "input   111" in r.stdout and "A       1" in r.stdout and "B       0" in r.stdout
    r = cli("verify", pa, po, "--json")
    assert r.returncode == 1 and '"equal": false' in r.stdout and '"inputs": "111"' in r.stdout
    r = cli("verify", pa, ps, "--method", "sat")
    assert r.returncode == 0 and "sat" in r.stdout

    assert_one_line_error(cli("verify", pa, tmp_path / "missing.gir"), "missing.gir")
    b4 = gatecc.ir.Builder(4)
    b4.output(b4.gate(1, 0, 1))
    p4 = _write(tmp_path, "four.gir", b4.finish())
    assert_one_line_error(cli("verify", pa, p4), "3 inputs but B has 4")
    (tmp_path / "junk.aig").write_bytes(b"not an aiger file")
    assert_one_line_error(cli("verify", tmp_path / "junk.aig", pa), "junk.aig")
    r = cli("verify", "--help")
    assert r.returncode == 0 and "exit status: 0 equal, 1 different, 2 bad input" in r.stdout


def test_sat_sweeping_never_closes_a_loop():
    # Found by hypothesis: rehashing after one merge rewired a representative's
    # cone through the next candidate's fanout, and merging that candidate made
    # a cycle (the SAT encoder then never returned).  Settled against exhaustion.
    from gatecc.model import GroupSum, Layer, LogicNet

    def layer(a, b, g):
        return Layer(a=np.array(a), b=np.array(b), logits=None, gates=np.array(g, dtype=np.uint8))

    net = LogicNet(n_inputs=21, groupsum=GroupSum(k=2, tau=1.0), layers=[
        layer([8, 19, 13, 19, 9, 5, 17, 4], [15, 11, 1, 0, 11, 14, 0, 19], [1, 7, 10, 14, 12, 1, 1, 12]),
        layer([4, 5, 1, 3, 4, 3, 7, 4, 4, 4, 5], [4, 7, 6, 1, 5, 3, 7, 5, 6, 6, 4],
              [15, 2, 4, 9, 8, 4, 6, 8, 3, 10, 11]),
        layer([1, 0, 6, 8, 3, 3, 7, 2, 4, 5, 9, 4, 9, 7, 5, 10, 10], [8, 2, 7, 8, 10, 6, 9, 5, 8, 0, 0, 9, 4, 6, 2, 4, 1],
              [0, 12, 4, 5, 9, 12, 15, 0, 4, 15, 2, 5, 1, 4, 15, 11, 5]),
        layer([11, 15, 1, 0, 3, 13, 10, 2, 2, 6, 3, 5, 9], [9, 1, 6, 1, 14, 13, 1, 10, 9, 5, 8, 5, 7],
              [14, 14, 4, 11, 10, 11, 5, 3, 3, 10, 13, 14, 3]),
        layer([8, 5, 10, 12, 1, 4, 10, 8, 9, 1, 0, 4, 2, 2, 9, 1, 9, 10, 10, 12],
              [8, 7, 0, 4, 11, 10, 8, 11, 8, 1, 9, 10, 4, 12, 6, 9, 2, 7, 9, 12],
              [3, 5, 10, 11, 1, 4, 9, 0, 3, 5, 7, 10, 12, 0, 7, 1, 3, 5, 4, 7]),
    ])
    graph = lower(net)
    out, _ = optimize(graph, 3)
    assert equivalent(graph, out, method="exhaustive").equal
    result = equivalent(graph, out, method="sat")
    assert result.equal and result.method == "sat"


@pytest.mark.parametrize("n", [5, 6, 7, 12, 17])
def test_exhaustive_finds_the_one_differing_row(n):
    # A minterm of n inputs (every input 1 except x1) against constant 0: the only counterexample is that row.
    b = gatecc.ir.Builder(n)
    acc = b.not_(1)
    for i in [0] + list(range(2, n)):
        acc = b.gate(1, acc, i)
    b.output(acc)
    b.output(b.const(0))
    a = b.finish()
    z = gatecc.ir.Builder(n)
    z.output(z.const(0))
    z.output(z.const(0))
    result = equivalent(a, z.finish(), method="exhaustive")
    assert not result.equal and result.method == "exhaustive"
    assert result.counterexample.inputs == tuple(0 if i == 1 else 1 for i in range(n))
    assert result.counterexample.output == 0
