"""AIGER: reading the format as its specification shows it, and writing it back exactly."""

import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given

import gatecc
from gatecc.backends.aiger import emit_aiger
from gatecc.backends.target import legalize
from gatecc.importers.aiger import parse_aiger
from gatecc.ir import all_inputs, evaluate_samples
from gatecc.lower import lower
from gatecc.testing import logic_nets

CORPUS = Path(__file__).resolve().parents[1] / "benchmarks" / "corpus" / "epfl"


def _table(graph):
    return evaluate_samples(graph, all_inputs(graph.n_inputs))


# Examples in the style of the AIGER 1.9 specification.
AND_GATE = "aag 3 2 0 1 1\n2\n4\n6\n6 2 4\n"
OR_GATE = "aag 3 2 0 1 1\n2\n4\n7\n6 3 5\n"
HALF_ADDER_UNORDERED = "aag 7 2 0 2 3\n2\n4\n6\n12\n6 13 15\n12 2 4\n14 3 5\n"   # ANDs out of order


@pytest.mark.parametrize("text, expected", [
    (AND_GATE, [[0], [0], [0], [1]]),
    (OR_GATE, [[0], [1], [1], [1]]),
    (HALF_ADDER_UNORDERED, [[0, 0], [1, 0], [1, 0], [0, 1]]),
    ("aag 0 0 0 2 0\n0\n1\n", [[0, 1]]),
])
def test_ascii_examples(text, expected):
    graph = parse_aiger(text.encode())
    assert _table(graph).tolist() == expected


@pytest.mark.parametrize("data, needle", [
    (b"", "truncated"),
    (b"hello\n", "not an AIGER"),
    (b"aag 3 2 1 1 1\n2\n4\n6 2\n6\n8 2 4\n", "latches"),
    (b"aag 3 2 0 1 1\n2\n4\n6\n", "truncated"),
    (b"aag 3 2 0 1 1\n2\n4\n6\n6 2 8\n", "before it is defined"),
    (b"aag 4 1 0 1 2\n2\n6\n6 8 2\n8 6 2\n", "cycle"),
    (b"aig 3 2 0 1 1\n6\n\x02", "truncated"),
    (b"aag 2 2 0 1 1\n2\n4\n6\n6 2 4\n", "M=2"),
])
def test_bad_files(data, needle):
    with pytest.raises(gatecc.ModelError, match=needle):
        parse_aiger(data)


@given(logic_nets(n_inputs=9))
def test_write_then_read_keeps_the_function(net):
    graph = legalize(lower(net))
    for binary in (True, False):
        again = parse_aiger(emit_aiger(graph, binary=binary))
        assert np.array_equal(_table(again), _legal_table(graph))


def _legal_table(graph):
    """Outputs with count outputs split into their bits, as AIGER stores them."""
    from gatecc.backends.target import PlaneLayout
    from gatecc.ir.planes import pack_bits, unpack_bits
    from gatecc.ir.evaluate import evaluate

    layout = PlaneLayout.of(graph)
    x = all_inputs(graph.n_inputs)
    cols = []
    for (kind, start, width), value in zip(layout.outputs, evaluate(graph, pack_bits(x))):
        if kind == "bit":
            cols.append(unpack_bits(value[None, :], len(x))[:, 0])
        else:
            for bit in range(width):
                cols.append((value[: len(x)] >> bit) & 1)
    return np.stack(cols, axis=1)


@pytest.mark.skipif(not shutil.which("berkeley-abc"), reason="ABC (Debian berkeley-abc) is not installed")
@pytest.mark.parametrize("name", sorted(p.stem for p in CORPUS.glob("*.aig")))
def test_epfl_round_trip_is_equivalent_by_abc_cec(tmp_path, name):
    src = CORPUS / f"{name}.aig"
    assert src.exists(), src
    graph = gatecc.load(src)
    for level in (0, 2):
        from gatecc.compiler import lower_to_source
        out = tmp_path / f"{name}-O{level}.aig"
        out.write_bytes(lower_to_source(graph, "aiger", level).source)
        res = subprocess.run(["berkeley-abc", "-c", f"cec -n {src} {out}"], capture_output=True, text=True)
        assert "Networks are equivalent" in res.stdout, res.stdout


@pytest.mark.parametrize("cut", [10, 50, 200, 300])   # in the header, the outputs, the AND deltas
def test_truncated_aiger_is_one_clear_error(tmp_path, cut):
    from conftest import assert_one_line_error, run_cli

    data = (CORPUS / "ctrl.aig").read_bytes()
    (tmp_path / "t.aig").write_bytes(data[:cut])
    with pytest.raises(gatecc.ModelError, match="truncated"):
        gatecc.load(tmp_path / "t.aig")
    for command in (["stats", "t.aig"], ["lower", "t.aig", "--target", "blif"]):
        assert_one_line_error(run_cli(*command, cwd=tmp_path), "truncated")
