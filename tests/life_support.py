"""A hand-written Life circuit (built directly, independent of training) for engine tests."""

from gatecc.ir import Builder
from gatecc.ir import gates as G
from gatecc.ir.passes.adders import adder_tree


def handwritten_life():
    """Count the 8 neighbours with an adder tree; alive next iff count == 3, or count == 2 and alive."""
    b = Builder(9)
    c = adder_tree(b, [0, 1, 2, 3, 5, 6, 7, 8])
    count_is_2_or_3 = b.gate(G.AND, b.gate(2, c[1], c[2]), b.not_(c[3]))   # c1 & ~c2 & ~c3
    b.output(b.gate(G.AND, count_is_2_or_3, b.gate(G.OR, c[0], 4)))        # ... & (c0 | centre)
    return b.finish()


def majority_circuit():
    """Not Life: the majority of the 9 cells (for tests that must see a mismatch)."""
    b = Builder(9)
    c = adder_tree(b, list(range(9)))
    b.output(b.gate(G.OR, c[3], b.gate(G.AND, c[2], b.gate(G.OR, c[1], c[0]))))   # count >= 5
    return b.finish()
