"""fraig's cut-based proofs (:func:`gatecc.ir.logic.fraig.local_equal`): sound, and they settle rebuilt logic."""

import random

import pytest

from gatecc.ir.logic import truth as T
from gatecc.ir.logic.fraig import local_equal
from gatecc.ir.logic.xag import XAG


def _tables(net):
    k = net.n_inputs
    vals = {0: 0}
    for i in range(k):
        vals[i + 1] = T.var_table(i, k)
    for n in range(k + 1, net.n_nodes):          # a network never edited: ids are topological
        a, b = net.fa[n], net.fb[n]
        x = vals[a >> 1] ^ (T.full(k) if a & 1 else 0)
        y = vals[b >> 1] ^ (T.full(k) if b & 1 else 0)
        vals[n] = x & y if net.kind[n] == 2 else x ^ y
    return vals


def test_an_xor_built_from_ands_is_proved_equal_to_the_xor_node():
    net = XAG(2)
    a, b = net.input_lit(0), net.input_lit(1)
    x = net.xor(a, b)
    y = net.and_(net.and_(a, b) ^ 1, net.and_(a ^ 1, b ^ 1) ^ 1)     # ~(a&b) & (a|b)
    net.add_sink(x)
    net.add_sink(y)
    assert x != y and local_equal(net, x, y)
    assert not local_equal(net, x, y ^ 1)


@pytest.mark.parametrize("seed", range(20))
def test_a_proof_is_never_wrong(seed):
    rng = random.Random(seed)
    net = XAG(8)
    lits = [net.input_lit(i) for i in range(8)]
    for _ in range(120):
        a, b = rng.choice(lits) ^ rng.getrandbits(1), rng.choice(lits) ^ rng.getrandbits(1)
        lits.append(net.and_(a, b) if rng.random() < 0.7 else net.xor(a, b))
    for lit in lits[-6:]:
        net.add_sink(lit)
    vals = _tables(net)
    full = T.full(8)
    gates = [x for x in lits if x >> 1 > 8]
    for _ in range(200):
        x, y = rng.choice(gates), rng.choice(gates) ^ rng.getrandbits(1)
        vx = vals[x >> 1] ^ (full if x & 1 else 0)
        vy = vals[y >> 1] ^ (full if y & 1 else 0)
        if local_equal(net, x, y, max_leaves=rng.choice((4, 8, 12))):
            assert vx == vy
        # With every input inside the budget the cut reaches the inputs: the answer is exact.
        assert local_equal(net, x, y, max_leaves=8, max_nodes=10_000) == (vx == vy)
