"""The truth-table machinery behind resynth and collapse: cone truth tables, care supports narrowed to a
parent's, symmetric decompositions; and -O3's output does not depend on the interpreter's hash seed.

Oracles: the reference evaluator (``evaluate_samples``) and brute-force row enumeration."""

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from backend_support import implementation_graph
from gatecc.ir import all_inputs, evaluate_samples
from gatecc.ir.logic import truth as T
from gatecc.ir.logic.resynth import candidates
from gatecc.ir.passes.dontcare import output_bits, supports, truth_tables
from gatecc.lower import lower
from gatecc.testing import logic_nets

ROOT = Path(__file__).resolve().parent.parent


def _rows_index(rows, variables):
    """Table bit of each row: variable ``variables[i]`` is bit i."""
    return sum(rows[:, v].astype(np.int64) << i for i, v in enumerate(variables))


@settings(max_examples=25, deadline=None)
@given(logic_nets(n_inputs=st.integers(1, 12), max_width=24, groupsum=False))
def test_cone_truth_tables_follow_the_reference_evaluator(net):
    graph = lower(net)
    bits = output_bits(graph)
    sup = supports(graph)
    rows = all_inputs(graph.n_inputs)
    values = evaluate_samples(graph, rows)
    for k, node in enumerate(bits):
        variables = [i for i in range(graph.n_inputs) if (sup[node] >> i) & 1]
        (tt,) = truth_tables(graph, [node], variables)
        index = _rows_index(rows, variables) if variables else np.zeros(len(rows), dtype=np.int64)
        want = values[:, k]
        assert all(((tt >> int(m)) & 1) == int(v) for m, v in zip(index, want))
        assert tt >> (1 << len(variables)) == 0


def _brute_care_support(tt, care, k):
    out = []
    for i in range(k):
        if any((care >> m) & 1 and (care >> (m ^ (1 << i))) & 1 and ((tt >> m) ^ (tt >> (m ^ (1 << i)))) & 1
               for m in range(1 << k)):
            out.append(i)
    return out


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 7).flatmap(lambda k: st.tuples(st.just(k), st.integers(0, (1 << (1 << k)) - 1),
                                                     st.integers(0, (1 << (1 << k)) - 1))))
def test_care_support_within_the_parents_is_the_whole_answer(case):
    k, tt, care = case
    sup = T.care_support(tt, care, k)
    assert sup == _brute_care_support(tt, care, k)
    for v in sup:
        rest = [u for u in sup if u != v]
        for value in (0, 1):
            f, c = T.cofactor(tt, v, value, k), T.cofactor(care, v, value, k)
            assert T.care_support(f, c, k, rest) == _brute_care_support(f, c, k)


def _sparse_table(k, n, small, seed):
    """A k-variable table reading only n of its variables (so supports are not all k)."""
    import random

    vs = random.Random(seed).sample(range(k), n)
    return sum(1 << m for m in range(1 << k) if (small >> sum(((m >> v) & 1) << i for i, v in enumerate(vs))) & 1)


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 11), st.integers(1, 11), st.integers(0, 2**2048 - 1), st.integers(0, 2**2048 - 1),
       st.booleans(), st.integers(0, 99))
@example(10, 10, 0x9E3779B97F4A7C15 ** 16, 0xC2B2AE3D27D4EB4F ** 16, False, 1)
@example(11, 7, 0x9E3779B97F4A7C15 ** 3, 0, True, 2)
@example(10, 10, 0x9E3779B97F4A7C15 ** 16, 0, True, 3)
def test_split_scores_count_the_cofactors_care_supports(k, n, small, care, all_care, seed):
    # k < 10 takes the integer path, k >= 10 the numpy words.
    n = min(n, k)
    tt = _sparse_table(k, n, small & ((1 << (1 << n)) - 1), seed)
    care = T.full(k) if all_care else (care | small) & T.full(k)
    tt &= care
    sup = _brute_care_support(tt, care, k)
    want = {v: sum(len(_brute_care_support(T.cofactor(tt, v, b, k), T.cofactor(care, v, b, k), k)) for b in (0, 1))
            for v in sup}
    assert T.split_scores(tt, care, k, sup) == want


def _counting_function(k, group, seed):
    """A function of (how many of ``group`` are set, the other variables): symmetric in ``group``."""
    rng = np.random.default_rng(seed)
    others = [i for i in range(k) if i not in group]
    lut = rng.integers(0, 2, (len(group) + 1, 1 << len(others)))
    tt = 0
    for m in range(1 << k):
        count = sum((m >> i) & 1 for i in group)
        rest = sum(((m >> o) & 1) << j for j, o in enumerate(others))
        tt |= int(lut[count, rest]) << m
    return tt


@pytest.mark.parametrize("k,group,seed", [(5, [0, 2, 4], 0), (7, [1, 2, 3, 5], 1), (9, [0, 1, 2, 3, 4, 5], 2),
                                          (10, [3, 4, 7, 9], 3), (6, [0, 1, 2, 3, 4, 5], 4)])
def test_symmetric_decomposition_computes_the_table(k, group, seed):
    tt = _counting_function(k, group, seed)
    impls = candidates(tt, k)
    assert len(impls) == 2                       # Shannon, then counting the symmetric group
    rows = all_inputs(k)
    want = np.array([(tt >> int(m)) & 1 for m in _rows_index(rows, range(k))])
    for impl in impls:
        assert np.array_equal(evaluate_samples(implementation_graph(impl, k), rows)[:, 0], want)


_O3_SCRIPT = """
import hashlib, sys
import gatecc
from gatecc.backends.aiger import emit_aiger
from gatecc.backends.target import legalize
from gatecc.ir.passes import optimize
out, _ = optimize(gatecc.load(sys.argv[1]), 3)
print(hashlib.sha256(emit_aiger(legalize(out))).hexdigest())
"""


def test_o3_output_does_not_depend_on_the_hash_seed(tmp_path):
    src = ROOT / "benchmarks" / "corpus" / "lgsynth93" / "sqrt8.aig"
    digests = set()
    for seed in ("0", "1", "12345"):
        env = dict(os.environ, PYTHONHASHSEED=seed)
        # cwd outside the checkout: `python -c` puts the cwd first on sys.path, and the
        # checkout's gatecc/ folder is not the installed package (gatecc.ir lives in ir/).
        proc = subprocess.run([sys.executable, "-c", _O3_SCRIPT, str(src)], capture_output=True, text=True,
                              env=env, timeout=600, check=True, cwd=tmp_path)
        digests.add(proc.stdout.strip())
    assert len(digests) == 1


def test_refactor_leaves_out_covers_over_the_cube_limit():
    from gatecc.ir.logic.refactor import implementations

    k = 12
    parity = 0
    for i in range(k):
        parity ^= T.var_table(i, k)
    assert implementations(parity, k, limit=16 * k) == []          # 2048 cubes either way
    assert len(implementations(parity, k)) == 2
    small = T.var_table(0, k) & T.var_table(5, k) | T.var_table(11, k) & ~T.var_table(3, k) & T.full(k)
    assert implementations(small, k, limit=16 * k) == implementations(small, k)
