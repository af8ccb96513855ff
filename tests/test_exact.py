"""The precomputed tables: NPN classes and the optimal 4-input circuits, checked by evaluation."""

import random

import numpy as np
import pytest

from gatecc.ir import gates as G
from gatecc.ir.logic.exact import BASES, database
from gatecc.ir.logic.mapper import circuit_arrays
from gatecc.ir.logic.npn import VAR_TT, apply_transform, compute_npn_table, npn_table


def evaluate(circuit, inputs=VAR_TT):
    """Truth table of a class circuit on four input tables (by gates.truth, bit by bit)."""
    vals = list(inputs)
    for g, a, b in circuit.gates:
        vals.append(sum(G.truth(g, (vals[a] >> m) & 1, (vals[b] >> m) & 1) << m for m in range(16)))
    out = 0 if circuit.out < 0 else vals[circuit.out]
    return out ^ (0xFFFF if circuit.out_neg else 0)


def test_stored_npn_classes_match_the_computation():
    stored, computed = npn_table(), compute_npn_table()
    for field in ("canon", "perm", "neg", "oneg"):
        assert np.array_equal(getattr(stored, field), getattr(computed, field)), field


@pytest.mark.parametrize("basis", BASES)
def test_every_class_has_circuits_that_compute_it(basis):
    db = database()
    classes = npn_table().classes()
    assert len(classes) == 222
    for c in classes:
        circuits = db.table[(basis, c)]
        assert circuits, (basis, hex(c))
        sizes = {circuit.size for circuit in circuits}
        assert len(sizes) == 1                                 # alternatives are all of the best size
        for circuit in circuits:
            assert evaluate(circuit) == c, (basis, hex(c))
            if basis == "aig":
                assert all(g not in (G.XOR, G.XNOR) for g, _, _ in circuit.gates)


def test_known_optimal_sizes():
    db = database()
    # Knuth, TAOCP 7.1.2: every 4-input function needs at most 7 gates; XOR4 needs 3.
    assert max(db.cost(c) for c in npn_table().classes()) == 7
    assert db.cost(0x6996) == 3
    assert db.cost(VAR_TT[0] & VAR_TT[1]) == 1
    assert db.cost(VAR_TT[2]) == 0 and db.cost(0) == 0
    # In ANDs only, a 2-input XOR costs 3 and a 4-input XOR costs 9.
    assert db.cost(VAR_TT[0] ^ VAR_TT[1], "aig") == 3
    assert db.cost(0x6996, "aig") == 9


def test_lookup_spot_checks_by_evaluation():
    db = database()
    rng = random.Random(1)
    for tt in [0, 0xFFFF, 0x8000, 0x6996, 0xCAFE] + [rng.randrange(1 << 16) for _ in range(200)]:
        circuits, perm, neg, oneg = db.circuits(tt)
        c = circuits[0]
        assert apply_transform(evaluate(c), perm, neg, oneg) == tt
        # Built on the leaves through the transform, the circuit computes tt itself.
        inputs = [VAR_TT[perm[j]] ^ (0xFFFF if (neg >> j) & 1 else 0) for j in range(4)]
        assert evaluate(c, inputs) ^ (0xFFFF if oneg else 0) == tt


def test_mapper_arrays_agree_with_the_table():
    arrays = circuit_arrays("gates")
    db = database()
    rng = random.Random(2)
    for tt in [rng.randrange(1 << 16) for _ in range(300)]:
        circuits, perm, neg, oneg = db.circuits(tt)
        assert arrays["size"][tt] == circuits[0].size
        assert tuple(arrays["perm"][tt]) == perm and arrays["neg"][tt] == neg
        assert arrays["flip"][tt] == circuits[0].out_neg ^ oneg
