"""The one levelisation (:mod:`gatecc.ir.logic.levels`) and the one XAG simulator (:func:`.sim.propagate`)
against their plain definitions."""

import random

import numpy as np
import pytest

from gatecc.ir import Builder
from gatecc.ir.evaluate import levels
from gatecc.ir.graph import Op
from gatecc.ir.logic import truth as T
from gatecc.ir.logic.levels import dag_levels, net_levels
from gatecc.ir.logic.sim import random_patterns, simulate
from gatecc.ir.logic.strash import build
from gatecc.ir.logic.windows import cone_nodes, cone_truth_table, reconvergent_cut
from gatecc.ir.logic.xag import XAG


def _plain_levels(graph):
    """The definition, node by node (the oracle)."""
    lev = {}
    for i in range(graph.n_nodes):
        op = graph.op[i]
        if op == Op.GATE:
            lev[i] = 1 + max(lev[int(graph.a[i])], lev[int(graph.b[i])])
        elif op == Op.NOT:
            lev[i] = 1 + lev[int(graph.a[i])]
        elif op == Op.LUT:
            lev[i] = 1 + max(lev[x] for x in graph.operands[i])
        elif op in (Op.POPCOUNT, Op.UINT):
            lev[i] = max(lev[x] for x in graph.operands[i])
        else:
            lev[i] = 0
    return [lev[i] for i in range(graph.n_nodes)]


def _random_graph(seed, n_inputs=6, n_nodes=300, luts=True, chain=0):
    rng = random.Random(seed)
    b = Builder(n_inputs, fold=False, copyprop=False, cse=False)
    nodes = list(range(n_inputs))
    x = nodes[0]
    for _ in range(chain):                      # a deep chain: more levels than one block sweeps
        x = b.gate(6, x, nodes[1])
        nodes.append(x)
    for _ in range(n_nodes):
        r = rng.random()
        if r < 0.1:
            nodes.append(b.not_(rng.choice(nodes)))
        elif r < 0.2 and luts:
            k = rng.randint(1, 4)
            nodes.append(b.lut(rng.getrandbits(1 << k), rng.sample(nodes, k)))
        else:
            nodes.append(b.gate(rng.choice((1, 2, 6, 7, 8, 14)), rng.choice(nodes), rng.choice(nodes)))
    b.output(nodes[-1])
    b.output(b.popcount(rng.sample(nodes, 5)))
    b.output(b.uint(rng.sample(nodes, 3)))
    return b.finish()


@pytest.mark.parametrize("seed", range(6))
def test_graph_levels_match_the_definition(seed):
    graph = _random_graph(seed, luts=seed % 2 == 0, chain=80 * (seed % 3))
    assert levels(graph).tolist() == _plain_levels(graph)


@pytest.mark.parametrize("block,sweeps", [(7, 2), (64, 48), (65536, 1)])
def test_block_sweeps_and_the_deep_block_loop_agree(block, sweeps):
    graph = _random_graph(11, n_nodes=400, chain=120)
    net = build(graph)
    n = len(net.fa)
    gates = np.arange(net.first_gate, n)
    dst = np.repeat(gates, 2)
    src = np.stack([net.fa[gates] >> 1, net.fb[gates] >> 1], axis=1).ravel()
    got = dag_levels(n, dst, src, np.ones(n, dtype=np.int64), block=block, max_sweeps=sweeps)
    lev = [0] * n
    for g in gates.tolist():
        lev[g] = 1 + max(lev[int(net.fa[g]) >> 1], lev[int(net.fb[g]) >> 1])
    assert got.tolist() == lev
    assert net_levels(net.fa, net.fb, net.first_gate).tolist() == lev


@pytest.mark.parametrize("seed", range(5))
def test_cone_truth_tables_agree_with_whole_network_simulation(seed):
    rng = random.Random(seed)
    net = XAG(7)
    lits = [net.input_lit(i) for i in range(7)]
    for _ in range(60):
        a, b = rng.choice(lits) ^ rng.getrandbits(1), rng.choice(lits) ^ rng.getrandbits(1)
        lits.append(net.and_(a, b) if rng.random() < 0.7 else net.xor(a, b))
    net.add_sink(lits[-1])
    width = 1 << 7
    # Exhaustive patterns: pattern j sets input i to bit i of j.
    patterns = [sum(((j >> i) & 1) << j for j in range(width)) for i in range(7)]
    vals = simulate(net, patterns, width)
    for node in net.topological()[-10:]:
        leaves, cone = reconvergent_cut(net, node, max_leaves=6)
        tt = cone_truth_table(net, 2 * node, leaves, cone_nodes(net, node, set(leaves)))
        for j in range(width):
            row = sum(((vals[leaf] >> j) & 1) << i for i, leaf in enumerate(leaves))
            assert (tt >> row) & 1 == (vals[node] >> j) & 1
        assert tt < 1 << (1 << len(leaves)) and T.full(len(leaves)) >= tt


def test_random_patterns_are_reproducible_and_masked():
    a, b = random_patterns(5, 100, seed=3), random_patterns(5, 100, seed=3)
    assert a == b and all(p < 1 << 100 for p in a) and random_patterns(5, 100, seed=4) != a
