"""Golden tests: the IR text after each pass (``gatecc lower --print-ir-after-all``) on small fixed inputs.

The expected text is written by hand from what each pass must do (the
reasoning is in the comments), so a pass that changes what it does, or the
order it numbers nodes in, fails here.
"""

import pytest

# copyprop absorbs the NOT into the gate that reads it: a_and_not_b(~t, c) = ~t & ~c = nor(t, c);
# cse puts the inputs of a symmetric gate in node order (nor %3, %2 -> nor %2, %3); fold and dce
# find nothing to do (no constants, nothing dead: the NOT is an output).
ABSORB = ("""gatecc-ir 1
inputs 3
%3 = and %0, %1
%4 = not %3
%5 = a_and_not_b %4, %2
%6 = popcount %3, %5
outputs %4, %6
""", "fold,copyprop,cse,dce", """// ----- IR after fold -----
gatecc-ir 1
inputs 3
%3 = and %0, %1
%4 = not %3
%5 = a_and_not_b %4, %2
%6 = popcount %3, %5
outputs %4, %6
// ----- IR after copyprop -----
gatecc-ir 1
inputs 3
%3 = and %0, %1
%4 = not %3
%5 = nor %3, %2
%6 = popcount %3, %5
outputs %4, %6
// ----- IR after cse -----
gatecc-ir 1
inputs 3
%3 = and %0, %1
%4 = not %3
%5 = nor %2, %3
%6 = popcount %3, %5
outputs %4, %6
// ----- IR after dce -----
gatecc-ir 1
inputs 3
%3 = and %0, %1
%4 = not %3
%5 = nor %2, %3
%6 = popcount %3, %5
outputs %4, %6
""")

# fold: and(x0, 1) = x0; xor(x1, x1) = 0 (a new constant); or(x0, 0) = x0; so xnor(%5, x1) reads x0.
# The unread const 1 and nand stay until dce, which keeps only the xnor.
FOLD = ("""gatecc-ir 1
inputs 2
%2 = const 1
%3 = and %0, %2
%4 = xor %1, %1
%5 = or %3, %4
%6 = nand %0, %1
%7 = xnor %5, %1
outputs %7
""", "fold,dce", """// ----- IR after fold -----
gatecc-ir 1
inputs 2
%2 = const 1
%3 = const 0
%4 = nand %0, %1
%5 = xnor %0, %1
outputs %5
// ----- IR after dce -----
gatecc-ir 1
inputs 2
%2 = xnor %0, %1
outputs %2
""")

# strash: and(x0, x1) and and(x1, x0) are one node; xor of a node with itself is 0; the only
# sink of the AND reads its complement, so the node is emitted as a NAND (no standalone NOT),
# and the constant comes after the gates.
STRASH = ("""gatecc-ir 1
inputs 2
%2 = and %0, %1
%3 = and %1, %0
%4 = xor %2, %3
%5 = not %2
outputs %4, %5
""", "strash", """// ----- IR after strash -----
gatecc-ir 1
inputs 2
%2 = nand %0, %1
%3 = const 0
outputs %3, %2
""")


@pytest.mark.parametrize("source, passes, expected", [ABSORB, FOLD, STRASH], ids=["absorb", "fold", "strash"])
def test_ir_after_each_pass(tmp_path, cli, source, passes, expected):
    (tmp_path / "in.gir").write_text(source)
    res = cli("lower", "in.gir", "--passes", passes, "--print-ir-after-all", "-o", "out.c", "--quiet")
    assert res.returncode == 0, res.stderr
    assert res.stderr == expected
