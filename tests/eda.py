"""The logic tools the export tests prove things with (ABC, yosys, Graphviz), and references for them.

References come from outside the exporters under test:

* :func:`truth_table_blif`: every output bit's full truth table, computed by
  gatecc's reference evaluator (the oracle) and written one minterm per row;
* :func:`reference_verilog`: the LogicNet itself written as Verilog, each
  neuron's truth table (argmax straight from the logits) as minterms and
  ``+`` for each GroupSum group: no lowering, no passes, no gatecc writer.

ABC's ``cec`` (SAT-based combinational equivalence) then compares any two
networks, matching inputs and outputs by name.
"""

import shutil
import subprocess

import numpy as np
import pytest

from gatecc.ir import Op, all_inputs
from gatecc.ir.evaluate import evaluate
from gatecc.ir.planes import pack_bits, unpack_bits

ABC = shutil.which("berkeley-abc")
YOSYS = shutil.which("yosys")
DOT = shutil.which("dot")

# Debian packages the CI installs (scripts/setup.sh --test); a machine without them cannot run these proofs.
needs_abc = pytest.mark.skipif(ABC is None, reason="ABC (Debian berkeley-abc) is not installed")
needs_yosys = pytest.mark.skipif(YOSYS is None, reason="yosys is not installed")
needs_dot = pytest.mark.skipif(DOT is None, reason="Graphviz (dot) is not installed")


def abc(commands: str, cwd=None) -> str:
    """Run ABC on a command string; returns its output (stdout and stderr)."""
    res = subprocess.run([ABC, "-c", commands], capture_output=True, text=True, cwd=cwd, timeout=600)
    return res.stdout + res.stderr


def assert_equivalent(ref, impl, by_order=False, cwd=None) -> None:
    """ABC's ``cec`` proves ``impl`` equal to ``ref`` (ports matched by name, or by order)."""
    out = abc(f"cec {'-n ' if by_order else ''}{ref} {impl}", cwd=cwd)
    assert "Networks are equivalent" in out, f"cec {ref} {impl}:\n{out}"


def verilog_to_blif(src, dst, top="gatecc_net") -> None:
    """yosys reads, checks and synthesises the Verilog, and writes its gates as BLIF."""
    res = subprocess.run(
        [YOSYS, "-q", "-p", f"read_verilog {src}; hierarchy -check -top {top}; synth -flatten -top {top}; "
                            f"aigmap; write_blif -gates {dst}"],
        capture_output=True, text=True, timeout=600)
    assert res.returncode == 0, f"yosys failed on {src}:\n{res.stdout}{res.stderr}"


def output_columns(graph):
    """The graph's outputs as bit columns on every input row, from the reference evaluator.

    Returns (names per style, (2**n, bits) array): count outputs split into
    their binary digits, least significant first.
    """
    x = all_inputs(graph.n_inputs)
    cols, aiger_names, verilog_names = [], [], []
    for k, (node, value) in enumerate(zip(graph.outputs, evaluate(graph, pack_bits(x)))):
        if graph.is_count(node):
            n = len(graph.operands[node])
            width = max(1, n.bit_length()) if graph.op[node] == Op.POPCOUNT else n
            for bit in range(width):
                cols.append((value[: len(x)] >> bit) & 1)
                aiger_names.append(f"y{k}_{bit}")
                verilog_names.append(f"y{k}" if width == 1 else f"y{k}[{bit}]")
        else:
            cols.append(unpack_bits(value[None, :], len(x))[:, 0])
            aiger_names.append(f"y{k}")
            verilog_names.append(f"y{k}")
    return {"bits": aiger_names, "verilog": verilog_names}, x, np.stack(cols, axis=1).astype(np.uint8)


def truth_table_blif(graph, path, style="bits") -> None:
    """Write ``graph``'s function as a BLIF of minterms (see the module docstring)."""
    names, x, table = output_columns(graph)
    n = graph.n_inputs
    rows = ["".join(map(str, r)) for r in x.tolist()]
    lines = [".model reference", ".inputs " + " ".join(f"x{i}" for i in range(n)),
             ".outputs " + " ".join(names[style])]
    for j, name in enumerate(names[style]):
        ones = np.flatnonzero(table[:, j])
        if len(ones) in (0, len(rows)):  # ABC wants constants without fanins: no row is 0, "1" is 1
            lines += [f".names {name}"] + (["1"] if len(ones) else [])
            continue
        lines.append(f".names {' '.join(f'x{i}' for i in range(n))} {name}")
        lines += [f"{rows[r]} 1" for r in ones]
    lines.append(".end")
    path.write_text("\n".join(lines) + "\n")


def _minterms(g: int, a: str, b: str) -> str:
    """Gate g on signals a, b as the OR of the rows where (g >> (3 - 2a - b)) & 1 is 1."""
    terms = [f"({'' if va else '~'}{a} & {'' if vb else '~'}{b})"
             for va in (0, 1) for vb in (0, 1) if (g >> (3 - 2 * va - vb)) & 1]
    return " | ".join(terms) if terms else "1'b0"


def reference_verilog(net, path) -> None:
    """Write the LogicNet as Verilog straight from its definition (see the module docstring).

    Each neuron is its argmax gate's truth table written out as minterms,
    not gatecc's gate expressions.
    """
    ports = [f"input wire x{i}" for i in range(net.n_inputs)]
    body, prev = [], [f"x{i}" for i in range(net.n_inputs)]
    for li, layer in enumerate(net.layers):
        gates = np.argmax(layer.logits, axis=1) if layer.logits is not None else layer.gates
        cur = []
        for j, (g, a, b) in enumerate(zip(gates.tolist(), layer.a.tolist(), layer.b.tolist())):
            name = f"l{li}_{j}"
            body.append(f"  wire {name} = {_minterms(g, prev[a], prev[b])};")
            cur.append(name)
        prev = cur
    if net.groupsum is None:
        ports += [f"output wire y{k}" for k in range(len(prev))]
        body += [f"  assign y{k} = {v};" for k, v in enumerate(prev)]
    else:
        size = len(prev) // net.groupsum.k
        width = max(1, size.bit_length())
        for c in range(net.groupsum.k):
            ports.append(f"output wire [{width - 1}:0] y{c}")
            body.append(f"  assign y{c} = " + " + ".join([f"{width}'d0", *prev[c * size:(c + 1) * size]]) + ";")
    path.write_text("module gatecc_net (\n  " + ",\n  ".join(ports) + "\n);\n" + "\n".join(body) + "\nendmodule\n")
