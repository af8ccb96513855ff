"""Port names through the pipeline: readers fill them, passes keep them, every export writes them.

ABC's *plain* ``cec`` (ports matched by name, not by position) proves each
round trip; yosys reads the Verilog back and reports the same ports.
"""

import json
import subprocess
from pathlib import Path

import networkx as nx
import pytest

from eda import ABC, YOSYS, abc, assert_equivalent, needs_abc, needs_yosys
from gatecc.backends.names import verilog_ports
from gatecc.compiler import lower_to_source
from gatecc.importers.aiger import parse_aiger, read_aiger
from gatecc.importers.blif import parse_blif, read_blif
from gatecc.ir import all_inputs, evaluate_samples
from gatecc.ir.passes import optimize
from gatecc.ir.text import parse_graph, print_graph

CORPUS = Path(__file__).resolve().parents[1] / "benchmarks" / "corpus"
EPFL = ["ctrl", "int2float", "dec", "cavlc"]
LGSYNTH = ["b9", "C499", "count", "parity", "cm150a", "mux", "x2", "sqrt8"]


def _named(path: Path, tmp: Path) -> Path:
    """The circuit with a symbol table: the LGSynth93 files have none, so ABC writes its own names in."""
    if read_aiger(path).input_names is not None:
        return path
    out = tmp / f"{path.stem}.named.aig"
    abc(f"read {path}; write_aiger -s {out}")
    assert read_aiger(out).input_names is not None
    return out


def _write(tmp: Path, graph, target: str, level: int, suffix: str) -> Path:
    source = lower_to_source(graph, target, level, cache=False).source
    out = tmp / f"out{suffix}"
    out.write_bytes(source) if isinstance(source, bytes) else out.write_text(source)
    return out


CIRCUITS = [CORPUS / "epfl" / f"{c}.aig" for c in EPFL] + [CORPUS / "lgsynth93" / f"{c}.aig" for c in LGSYNTH]


@needs_abc
@pytest.mark.parametrize("path", CIRCUITS, ids=lambda p: p.stem)
@pytest.mark.parametrize("target, suffix, reader", [("aiger", ".aig", read_aiger), ("blif", ".blif", read_blif)])
def test_corpus_round_trip_keeps_names(tmp_path, path, target, suffix, reader):
    src = _named(path, tmp_path)
    graph = read_aiger(src)
    out = _write(tmp_path, graph, target, 2, suffix)
    assert_equivalent(src, out)                       # plain cec: by name
    back = reader(out)
    assert back.input_names == graph.input_names and back.output_names == graph.output_names


def _yosys_ports(path: Path) -> dict:
    res = subprocess.run([YOSYS, "-q", "-p", f"read_verilog {path}; hierarchy -check -top gatecc_net; "
                          f"write_json {path}.json"], capture_output=True, text=True, timeout=600)
    assert res.returncode == 0, res.stderr
    ports = json.loads(Path(f"{path}.json").read_text())["modules"]["gatecc_net"]["ports"]
    return {name: (p["direction"], len(p["bits"])) for name, p in ports.items()}


@needs_abc
@needs_yosys
@pytest.mark.parametrize("name", ["ctrl", "int2float"])
def test_verilog_has_buses_and_yosys_reads_the_same_ports(tmp_path, name):
    src = CORPUS / "epfl" / f"{name}.aig"
    graph = read_aiger(src)
    v = _write(tmp_path, graph, "verilog", 2, ".v")
    ports = _yosys_ports(v)
    expected: dict = {}
    for direction, names in (("input", graph.input_names), ("output", graph.output_names)):
        for n in names:
            base = n.split("[")[0]
            expected[base] = (direction, expected.get(base, (direction, 0))[1] + 1)
    assert ports == expected
    if name == "ctrl":
        assert "input  wire [4:0] opcode" in v.read_text()
    synth = tmp_path / "yosys.blif"
    res = subprocess.run([YOSYS, "-q", "-p", f"read_verilog {v}; synth -flatten -top gatecc_net; aigmap; "
                          f"write_blif -gates {synth}"], capture_output=True, text=True, timeout=600)
    assert res.returncode == 0, res.stderr
    assert_equivalent(src, synth)                      # yosys's bit names opcode[0].. match the original's


# Names no format takes as they are: spaces, a comment character, a keyword, a bracket that is not a bus.
AWKWARD = ["a b", "c#d", "module", "e[1]", "n5", ".dot"]
AWKWARD_BLIF = """.model awkward
.inputs p q r s t u
.outputs o1 o2 o3
.names p q o1
11 1
.names r s t o2
1-- 1
-11 1
.names u p o3
10 1
.end
"""


def _awkward_graph():
    g = parse_blif(AWKWARD_BLIF)
    return g.with_names(AWKWARD, ["out put", "wire", "n5"])


@pytest.mark.parametrize("target", ["aiger", "aag", "blif", "verilog", "dot", "graphml"])
def test_awkward_names_are_mapped_not_dropped(target):
    g = _awkward_graph()
    text = lower_to_source(g, target, 1, cache=False).source
    text = text.decode("utf-8", "replace") if isinstance(text, bytes) else text
    # Every name shows up (mapped where the format needs it); nothing falls back to x0/y0.
    for fragment in ("a", "c", "module", "e", "dot", "out", "put", "wire"):
        assert fragment in text
    if target in ("dot", "graphml"):   # drawings keep node ids x{i}/y{k} and label them with the names
        assert all(n.replace('"', '\\"') in text for n in AWKWARD)
    else:
        assert "x0" not in text.replace("_x", "")
    assert lower_to_source(g, target, 1, cache=False).source == lower_to_source(g, target, 1, cache=False).source


def test_awkward_names_round_trip_through_aiger_and_blif():
    g = _awkward_graph()
    back = parse_aiger(lower_to_source(g, "aag", 1, cache=False).source)
    assert back.input_names == g.input_names and back.output_names == g.output_names   # AIGER takes any line
    back = parse_blif(lower_to_source(g, "blif", 1, cache=False).source)
    assert len(set(back.input_names + back.output_names)) == 9                       # mapped, still distinct
    assert back.input_names[4] == "n5"                                                # internal nodes moved aside
    x = all_inputs(g.n_inputs)
    assert (evaluate_samples(back, x) == evaluate_samples(g, x)).all()


@needs_yosys
def test_awkward_names_verilog_is_read_by_yosys(tmp_path):
    v = tmp_path / "awk.v"
    v.write_text(lower_to_source(_awkward_graph(), "verilog", 1, cache=False).source)
    ports = _yosys_ports(v)
    # Whitespace cannot sit in an escaped identifier (mapped to _x20_); e[1] is a one-bit bus; the
    # output n5 meets the input n5 and takes the first free suffix.
    assert set(ports) == {"a_x20_b", "c#d", "module", "e", "n5", ".dot", "out_x20_put", "wire", "n5_1"}
    assert ports["e"] == ("input", 1) and ports["n5_1"] == ("output", 1)


def test_verilog_ports_group_only_complete_buses():
    decls, refs = verilog_ports(["d[2]", "d[0]", "d[1]", "g[0]", "g[2]", "h"], [True] * 6, set())
    assert [d[:3] for d in decls] == [("d", 2, 0), ("\\g[0] ", -1, -1), ("\\g[2] ", -1, -1), ("h", -1, -1)]
    assert refs[:3] == ["d[2]", "d[0]", "d[1]"]


def test_every_optimisation_level_and_the_text_form_keep_names():
    g = read_aiger(CORPUS / "epfl" / "ctrl.aig")
    for level in (0, 1, 2, 3):
        opt, _ = optimize(g, level)
        assert (opt.input_names, opt.output_names) == (g.input_names, g.output_names), level
    back = parse_graph(print_graph(g))
    assert back == g and (back.input_names, back.output_names) == (g.input_names, g.output_names)
    assert parse_graph(print_graph(g).replace("gatecc-ir 1", "gatecc-ir 1  # c")).output_names == g.output_names


def test_dot_and_graphml_label_ports_with_their_names():
    g = read_aiger(CORPUS / "epfl" / "ctrl.aig")
    dot = lower_to_source(g, "dot", 1, cache=False).source
    assert 'label="opcode[0]"' in dot and 'label="sel_wb"' in dot
    nxg = nx.parse_graphml(lower_to_source(g, "graphml", 1, cache=False).source)
    assert nxg.nodes["x0"]["name"] == "opcode[0]" and nxg.nodes["y25"]["name"] == g.output_names[25]


def test_blif_pass_through_output_keeps_its_input_name():
    g = parse_blif(".model t\n.inputs a b\n.outputs a c\n.names a b c\n11 1\n.end\n")
    assert g.output_names == ("a", "c")
    back = parse_blif(lower_to_source(g, "blif", 1, cache=False).source)
    assert (back.input_names, back.output_names) == (("a", "b"), ("a", "c"))


@needs_abc
def test_a_renamed_port_fails_plain_cec(tmp_path):
    """The by-name check can fail: the same circuit with two outputs' names swapped is not equal."""
    src = CORPUS / "epfl" / "ctrl.aig"
    g = read_aiger(src)
    names = list(g.output_names)
    names[0], names[-1] = names[-1], names[0]
    out = _write(tmp_path, g.with_names(g.input_names, names), "aiger", 1, ".aig")
    assert "Networks are equivalent" not in abc(f"cec {src} {out}")
    assert ABC is not None


def test_aiger_symbol_table_partial_and_bad():
    import gatecc

    g = parse_aiger(b"aag 3 2 0 1 1\n2\n4\n6\n6 2 4\ni1 b[0]\no0 sum\nc\ni0 not a symbol\n")
    assert g.input_names == ("x0", "b[0]") and g.output_names == ("sum",)   # unnamed input: the default
    assert parse_aiger(b"aag 3 2 0 1 1\n2\n4\n6\n6 2 4\n").input_names is None
    with pytest.raises(gatecc.ModelError, match="only 2 inputs"):
        parse_aiger(b"aag 3 2 0 1 1\n2\n4\n6\n6 2 4\ni2 z\n")


def test_the_compile_cache_keeps_names_and_tells_renamed_circuits_apart(tmp_path, monkeypatch):
    monkeypatch.setenv("GATECC_CACHE_DIR", str(tmp_path))
    g = read_aiger(CORPUS / "epfl" / "ctrl.aig")
    first = lower_to_source(g, "blif", 1)
    again = lower_to_source(g, "blif", 1)                       # from the cache
    assert again.source == first.source and again.graph.output_names == g.output_names
    renamed = g.with_names(g.input_names, [f"o{k}" for k in range(g.n_outputs)])
    assert ".outputs o0 o1" in lower_to_source(renamed, "blif", 1).source
    unnamed = g.with_names(None, None)
    assert ".inputs x0 x1" in lower_to_source(unnamed, "blif", 1).source
