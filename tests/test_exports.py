"""Every export equals the circuit gatecc computes, proved by ABC's cec (and read by yosys, Graphviz, networkx).

References (tests/eda.py) are independent of the exporters: the reference
evaluator's full truth table for small nets, and the LogicNet written
straight to Verilog for wide ones.  AIGER and BLIF go to ABC directly;
Verilog and ASCII AIGER (which Debian's ABC cannot read) go through yosys;
DOT and GraphML are read back by Graphviz and networkx and re-simulated.
"""

import json
import subprocess

import networkx as nx
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from backend_support import sources_from_two_empty_caches
from eda import (
    DOT, YOSYS, abc, needs_abc, needs_dot, needs_yosys, output_columns, reference_verilog,
    truth_table_blif, verilog_to_blif,
)
from gatecc.compiler import lower_to_source
from gatecc.ir import gates as G
from gatecc.lower import lower
from gatecc.model import GroupSum, Layer, LogicNet
from gatecc.testing import logic_nets

FILES = {"aiger": "aig", "aag": "aag", "blif": "blif", "verilog": "v", "dot": "dot", "graphml": "graphml"}


def _write(tmp, net, target, level):
    path = tmp / f"O{level}.{FILES[target]}"
    source = lower_to_source(net, target, level).source
    path.write_bytes(source if isinstance(source, bytes) else source.encode())
    return path


def _to_blif_by_yosys(src, dst, reader):
    res = subprocess.run([YOSYS, "-q", "-p", f"{reader} {src}; write_blif -gates {dst}"],
                         capture_output=True, text=True, timeout=600)
    assert res.returncode == 0, res.stderr


@needs_abc
@needs_yosys
@settings(max_examples=12)
@given(net=logic_nets(n_inputs=st.integers(1, 9), max_layers=3, max_width=16))
def test_every_export_equals_the_evaluated_circuit(tmp_path_factory, net):
    tmp = tmp_path_factory.mktemp("exports")
    graph = lower(net)
    truth_table_blif(graph, tmp / "ref.blif", "bits")
    truth_table_blif(graph, tmp / "ref_v.blif", "verilog")
    checks = []
    for level in (0, 2):
        for target in ("aiger", "blif"):
            checks.append(("ref.blif", _write(tmp, net, target, level).name))
        aag = _write(tmp, net, "aag", level)
        _to_blif_by_yosys(aag, tmp / f"{aag.name}.blif", "read_aiger -module_name gatecc_net")
        checks.append(("ref.blif", f"{aag.name}.blif"))
        v = _write(tmp, net, "verilog", level)
        verilog_to_blif(v, tmp / f"{v.name}.blif")
        checks.append(("ref_v.blif", f"{v.name}.blif"))
    out = abc("; ".join(f"cec {a} {b}" for a, b in checks), cwd=tmp)
    assert out.count("Networks are equivalent") == len(checks), out


def _wide_net(seed, n_inputs=40, widths=(96, 64, 48), k=4):
    rng = np.random.default_rng(seed)
    layers, prev = [], n_inputs
    for w in widths:
        layers.append(Layer(rng.integers(0, prev, w), rng.integers(0, prev, w),
                            logits=rng.normal(size=(w, 16)).astype(np.float32)))
        prev = w
    return LogicNet(n_inputs, layers, GroupSum(k, 7.5) if k else None)


@needs_abc
@needs_yosys
@pytest.mark.parametrize("seed, k", [(1, 4), (2, None)])
def test_wide_exports_equal_the_net_written_from_its_definition(tmp_path, seed, k):
    net = _wide_net(seed, k=k)
    reference_verilog(net, tmp_path / "ref.v")
    verilog_to_blif(tmp_path / "ref.v", tmp_path / "ref.blif")
    checks = []
    for level in (0, 3):
        v = _write(tmp_path, net, "verilog", level)
        verilog_to_blif(v, tmp_path / f"{v.name}.blif")
        checks.append(f"cec ref.blif {v.name}.blif")
        # Bit-level formats name count bits y{k}_{bit}; compare them by position with the yosys netlist.
        for target in ("aiger", "blif"):
            checks.append(f"cec -n {v.name}.blif {_write(tmp_path, net, target, level).name}")
    out = abc("; ".join(checks), cwd=tmp_path)
    assert out.count("Networks are equivalent") == len(checks), out


@needs_abc
@needs_yosys
def test_a_wrong_export_is_caught(tmp_path):
    # The proof can fail: flip one gate of the net and the reference no longer matches.
    net = _wide_net(3, n_inputs=12, widths=(20, 8), k=None)
    reference_verilog(net, tmp_path / "ref.v")
    verilog_to_blif(tmp_path / "ref.v", tmp_path / "ref.blif")
    logits = net.layers[1].logits.copy()
    g = int(np.argmax(logits[0]))
    logits[0, G.negate_output(g)] = logits[0, g] + 1
    wrong = LogicNet(net.n_inputs, [net.layers[0], Layer(net.layers[1].a, net.layers[1].b, logits=logits)])
    bad = _write(tmp_path, wrong, "blif", 0)
    assert "NOT EQUIVALENT" in abc(f"cec ref.blif {bad.name}", cwd=tmp_path).upper()


@pytest.mark.parametrize("target", FILES)
@pytest.mark.parametrize("level", [0, 2])
def test_exports_are_deterministic(target, level, tmp_path, monkeypatch):
    # Two separate empty caches, so each lowering really runs (not a cache hit compared with itself).
    net = _wide_net(4, n_inputs=16, widths=(24, 12), k=3)
    first, second, cached = sources_from_two_empty_caches(net, target, level, tmp_path, monkeypatch)
    assert first == second == cached


def test_verilog_groupsum_is_a_counter_with_tau_in_a_comment():
    net = _wide_net(5, n_inputs=10, widths=(12, 9), k=3)
    raw = lower_to_source(net, "verilog", 0).source
    assert "tau=7.5" in raw and "y_c / tau" in raw
    assert "output wire [1:0] y0" in raw                       # 3 bits per group: counts 0..3
    assert "assign y0 = 2'd0 + " in raw                         # the group's bits summed
    optimised = lower_to_source(net, "verilog", 2).source
    assert "tau=7.5" in optimised and "assign y0 = {" in optimised  # the adder tree's bits


@pytest.mark.parametrize("target", ["aiger", "aag", "blif", "dot", "graphml"])
def test_every_export_records_tau(target):
    net = _wide_net(6, n_inputs=8, widths=(8, 6), k=2)
    source = lower_to_source(net, target, 1).source
    text = source.decode() if isinstance(source, bytes) else source
    assert "7.5" in text


# ---------------------------------------------------------------------------
# drawings: read back by their tools and simulated from what was read


def _truth(g, a, b):
    return (g >> (3 - 2 * a - b)) & 1


def _simulate(nodes, edges, x_row):
    """Outputs of a drawn circuit. nodes: name -> (kind, gate id or None); edges: (src, dst, port)."""
    fanin = {}
    for src, dst, port in edges:
        fanin.setdefault(dst, []).append((port, src))
    memo = {}

    def value(name):
        if name in memo:
            return memo[name]
        kind, gid = nodes[name]
        ins = fanin.get(name, [])
        if kind == "input":
            v = int(x_row[int(name[1:])])
        elif kind == "const":
            v = gid
        elif kind == "not":
            v = 1 - value(ins[0][1])
        elif kind == "gate":
            ports = {p: value(s) for p, s in ins}
            if "a" in ports:
                v = _truth(gid, ports["a"], ports["b"])
            else:  # symmetric gate: the order does not matter
                vals = [value(s) for _, s in ins]
                v = _truth(gid, vals[0], vals[-1])
        elif kind == "popcount":
            v = sum(value(s) for _, s in ins)
        elif kind == "uint":
            v = sum(value(s) << int(p) for p, s in ins)
        else:  # output
            v = value(ins[0][1])
        memo[name] = v
        return v

    outs = sorted((n for n, (kind, _) in nodes.items() if kind == "output"), key=lambda n: int(n[1:]))
    return [value(o) for o in outs]


def _reference_rows(net):
    graph = lower(net)
    names, x, table = output_columns(graph)
    counts = []
    for k, node in enumerate(graph.outputs):
        cols = [j for j, n in enumerate(names["bits"]) if n == f"y{k}" or n.startswith(f"y{k}_")]
        counts.append(sum(table[:, j].astype(np.int64) << bit for bit, j in enumerate(cols)))
    return x, np.stack(counts, axis=1)


@given(net=logic_nets(n_inputs=st.integers(1, 8), max_layers=3, max_width=10))
def test_graphml_read_back_by_networkx_computes_the_circuit(tmp_path_factory, net):
    tmp = tmp_path_factory.mktemp("graphml")
    x, expected = _reference_rows(net)
    for level in (0, 2):
        g = nx.read_graphml(_write(tmp, net, "graphml", level), force_multigraph=True)
        nodes = {n: (d["kind"], d["index"] if d["kind"] == "const" else d["gate_id"]) for n, d in g.nodes(data=True)}
        edges = [(s, t, d["port"] or "") for s, t, d in g.edges(data=True)]
        assert g.graph["inputs"] == net.n_inputs
        got = np.array([_simulate(nodes, edges, row) for row in x])
        np.testing.assert_array_equal(got, expected)


@needs_dot
@settings(max_examples=10)
@given(net=logic_nets(n_inputs=st.integers(1, 7), max_layers=2, max_width=8))
def test_dot_read_back_by_graphviz_computes_the_circuit(tmp_path_factory, net):
    tmp = tmp_path_factory.mktemp("dot")
    x, expected = _reference_rows(net)
    for level in (0, 2):
        res = subprocess.run([DOT, "-Tjson", str(_write(tmp, net, "dot", level))], capture_output=True, text=True)
        assert res.returncode == 0 and not res.stderr, res.stderr
        drawn = json.loads(res.stdout)
        ids = {o["_gvid"]: o["name"] for o in drawn["objects"] if "_gvid" in o and "nodes" not in o}
        nodes = {}
        for o in drawn["objects"]:
            if "nodes" in o:  # a rank subgraph
                continue
            name, label = o["name"], o.get("label", "\\N")
            if name[0] == "x":
                nodes[name] = ("input", None)
            elif name[0] == "y":
                nodes[name] = ("output", None)
            elif label in ("0", "1"):
                nodes[name] = ("const", int(label))
            elif label in ("not", "popcount", "uint"):
                nodes[name] = (label, None)
            else:
                nodes[name] = ("gate", G.GATE_IDS[label])
        edges = [(ids[e["tail"]], ids[e["head"]], e.get("label", "")) for e in drawn.get("edges", [])]
        # uint edges carry the bit's weight (1, 2, 4, ...); the simulator wants its position.
        edges = [(s, t, str(int(p).bit_length() - 1) if nodes[t][0] == "uint" else p) for s, t, p in edges]
        got = np.array([_simulate(nodes, edges, row) for row in x])
        np.testing.assert_array_equal(got, expected)
