"""The 16 two-input Boolean gates: the one source of truth for gate semantics.

A gate id *is* its truth table.  Bit 3 is f(0,0), bit 2 is f(0,1), bit 1 is
f(1,0) and bit 0 is f(1,1) (input A first), so

    f(a, b) = (id >> (3 - 2a - b)) & 1

These are the ids of difflogic, torchlogix, DiffLogic CA and the Game-of-Life
reproduction.  Everything else in this module (names, input swaps, negations,
cofactors, the soft relaxations and the expression each backend renders) is
*derived* from that definition, and checked against it when the module loads.
"""

from __future__ import annotations

from functools import cache

import numpy as np

N_GATES = 16

#: Lower-case mnemonics, indexed by gate id (used by the IR text form).
GATE_NAMES: tuple[str, ...] = (
    "false", "and", "a_and_not_b", "a", "not_a_and_b", "b", "xor", "or",
    "nor", "xnor", "not_b", "a_or_not_b", "not_a", "not_a_or_b", "nand", "true",
)

GATE_IDS: dict[str, int] = {name: g for g, name in enumerate(GATE_NAMES)}

# Named ids that the rest of the compiler refers to.
FALSE, AND, XOR, OR, NOR, XNOR, NAND, TRUE = 0, 1, 6, 7, 8, 9, 14, 15
PASS_A, PASS_B, NOT_A, NOT_B = 3, 5, 12, 10


def truth(g: int, a: int, b: int) -> int:
    """Value of gate ``g`` on input bits ``a`` and ``b`` (the definition)."""
    return (g >> (3 - 2 * a - b)) & 1


def table_from_function(fn) -> int:
    """Gate id of the Boolean function ``fn(a, b) -> 0/1``."""
    return sum(fn(a, b) << (3 - 2 * a - b) for a in (0, 1) for b in (0, 1))


@cache  # pure in small ints: the builder calls these per node
def swap_inputs(g: int) -> int:
    """Gate id of ``f(b, a)``: the same gate with its inputs exchanged."""
    return table_from_function(lambda a, b: truth(g, b, a))


@cache  # pure in small ints: the builder calls these per node
def negate_a(g: int) -> int:
    """Gate id of ``f(not a, b)``: absorbs an inverter on input A."""
    return table_from_function(lambda a, b: truth(g, 1 - a, b))


@cache  # pure in small ints: the builder calls these per node
def negate_b(g: int) -> int:
    """Gate id of ``f(a, not b)``: absorbs an inverter on input B."""
    return table_from_function(lambda a, b: truth(g, a, 1 - b))


def negate_output(g: int) -> int:
    """Gate id of ``not f(a, b)``: absorbs an inverter on the output."""
    return 15 - g


@cache  # pure in small ints: the builder calls these per node
def cofactor_a(g: int, value: int) -> tuple[int, int]:
    """The function of B left when A is fixed to ``value``: (f(v,0), f(v,1))."""
    return truth(g, value, 0), truth(g, value, 1)


@cache  # pure in small ints: the builder calls these per node
def cofactor_b(g: int, value: int) -> tuple[int, int]:
    """The function of A left when B is fixed to ``value``: (f(0,v), f(1,v))."""
    return truth(g, 0, value), truth(g, 1, value)


@cache  # pure in small ints: the builder calls these per node
def on_equal_inputs(g: int) -> tuple[int, int]:
    """The function of x left by ``f(x, x)``: (f(0,0), f(1,1))."""
    return truth(g, 0, 0), truth(g, 1, 1)


@cache  # pure in small ints: the builder calls these per node
def depends_on_a(g: int) -> bool:
    """True when the output of gate ``g`` can change with input A."""
    return any(truth(g, 0, b) != truth(g, 1, b) for b in (0, 1))


@cache  # pure in small ints: the builder calls these per node
def depends_on_b(g: int) -> bool:
    """True when the output of gate ``g`` can change with input B."""
    return any(truth(g, a, 0) != truth(g, a, 1) for a in (0, 1))


@cache  # pure in small ints: the builder calls these per node
def is_symmetric(g: int) -> bool:
    """True when f(a, b) == f(b, a) for all inputs (AND, OR, XOR, ...)."""
    return swap_inputs(g) == g


#: Gates that depend on both inputs: the ten real two-input gates.
BINARY_GATES: tuple[int, ...] = tuple(g for g in range(16) if depends_on_a(g) and depends_on_b(g))


def unary_function(bits: tuple[int, int]) -> str:
    """Classify a one-input function given as (f(0), f(1)).

    Returns ``"const0"``, ``"const1"``, ``"copy"`` or ``"not"``.
    """
    return {(0, 0): "const0", (1, 1): "const1", (0, 1): "copy", (1, 0): "not"}[bits]


# ---------------------------------------------------------------------------
# The gate algebra.  Every gate is one *shape* (a constant, a wire of A or B,
# an AND or an XOR) with complemented edges:
#     g(a, b) == neg_out ^ shape(a ^ neg_a, b ^ neg_b)
# The builders, folders and decomposers (ir/builder.py, ir/logic/xag.py,
# ir/logic/strash.py, ir/logic/replace.py, ir/stats.py, ir/graph.py,
# backends/aiger.py) all read :data:`FORMS` and :func:`fold`
# instead of deriving these cases again.

SHAPE_CONST, SHAPE_A, SHAPE_B, SHAPE_AND, SHAPE_XOR = range(5)

_SHAPES = (lambda a, b: 0, lambda a, b: a, lambda a, b: b, lambda a, b: a & b, lambda a, b: a ^ b)


def gate_of_form(shape: int, neg_a: int, neg_b: int, neg_out: int) -> int:
    """The gate id of ``neg_out ^ shape(a ^ neg_a, b ^ neg_b)``."""
    fn = _SHAPES[shape]
    return table_from_function(lambda a, b: neg_out ^ fn(a ^ neg_a, b ^ neg_b))


def _form(g: int) -> tuple[int, int, int, int]:
    # The simplest shape first (constant, wire, AND, XOR), then the fewest leading negations.
    for shape in range(5):
        for na in (0, 1):
            for nb in (0, 1):
                for no in (0, 1):
                    if gate_of_form(shape, na, nb, no) == g:
                        return shape, na, nb, no
    raise AssertionError(g)


#: gate id -> (shape, neg_a, neg_b, neg_out): a constant is (SHAPE_CONST, 0, 0, value),
#: a wire or NOT of A is (SHAPE_A, 0, 0, neg), of B (SHAPE_B, 0, 0, neg).
FORMS: tuple[tuple[int, int, int, int], ...] = tuple(_form(g) for g in range(16))


def on_literals(g: int, a: int, b: int, make) -> int:
    """Gate ``g`` on literals ``a`` and ``b`` (``2 * node + complemented``; 0 is false, 1 true).

    ``make(shape, x, y)`` builds the AND (``SHAPE_AND``) or XOR
    (``SHAPE_XOR``) of two literals; constants and wires need no node.
    """
    shape, na, nb, no = FORMS[g]
    if shape == SHAPE_CONST:
        return no
    if shape == SHAPE_A:
        return a ^ no
    if shape == SHAPE_B:
        return b ^ no
    return make(shape, a ^ na, b ^ nb) ^ no


def _unary_form(bits: tuple[int, int], shape: int) -> tuple[int, int]:
    f0, f1 = bits
    return (SHAPE_CONST, f0) if f0 == f1 else (shape, f0)


def fold(g: int, const_a: int | None = None, const_b: int | None = None, same: bool = False):
    """What gate ``g`` folds to when an input is a known constant or both inputs are one signal.

    Returns ``(SHAPE_CONST, value)``, ``(SHAPE_A, neg)`` / ``(SHAPE_B, neg)``
    (input A / B, complemented when ``neg``), or None when nothing folds.
    The rules apply in order: a constant gate, equal inputs, a constant A,
    a constant B (with both constant, the result reads the constant B).  A
    wire gate does not fold here: that is copy propagation (:data:`FORMS`).
    """
    if g in (FALSE, TRUE):
        return SHAPE_CONST, g & 1
    if same:
        return _unary_form(on_equal_inputs(g), SHAPE_A)
    if const_a is not None:
        return _unary_form(cofactor_a(g, const_a), SHAPE_B)
    if const_b is not None:
        return _unary_form(cofactor_b(g, const_b), SHAPE_A)
    return None


def relaxation_coefficients() -> np.ndarray:
    """The (16, 4) matrix C with relaxation_g(a, b) = C[g] @ (1, a, b, ab).

    The relaxation of each gate is the multilinear extension of its truth
    table: f00 (1-a)(1-b) + f01 (1-a) b + f10 a (1-b) + f11 a b.
    """
    c = np.zeros((16, 4), dtype=np.float32)
    for g in range(16):
        f00, f01, f10, f11 = (truth(g, a, b) for a in (0, 1) for b in (0, 1))
        c[g] = (f00, f10 - f00, f01 - f00, f11 - f10 - f01 + f00)
    return c


def evaluate_words(gate_ids, a, b):
    """Apply gates bitwise to packed words, straight from the truth tables.

    ``gate_ids`` broadcasts against ``a`` and ``b`` (unsigned integer arrays);
    every output bit is the OR of the four minterms that the id switches on.
    This is the definition the reference evaluator uses, deliberately not the
    per-gate expressions that backends render.
    """
    a = np.asarray(a)
    b = np.asarray(b)
    g = np.asarray(gate_ids)
    ones = ~np.zeros((), dtype=a.dtype)
    zero = np.zeros((), dtype=a.dtype)

    def mask(bit):
        return np.where(((g >> bit) & 1).astype(bool), ones, zero)

    na, nb = ~a, ~b
    return (mask(3) & na & nb) | (mask(2) & na & b) | (mask(1) & a & nb) | (mask(0) & a & b)


# ---------------------------------------------------------------------------
# Expressions that backends render.  Each is a tiny tree over the operators
# and / or / xor / not and the leaves "a", "b", "0", "1"; a backend supplies a
# template per operator.  They are checked against the truth tables below.

Expr = str | tuple

GATE_EXPRS: tuple[Expr, ...] = (
    "0",                                  # 0  FALSE
    ("and", "a", "b"),                    # 1  a & b
    ("and", "a", ("not", "b")),           # 2  a & ~b
    "a",                                  # 3  a
    ("and", ("not", "a"), "b"),           # 4  ~a & b
    "b",                                  # 5  b
    ("xor", "a", "b"),                    # 6  a ^ b
    ("or", "a", "b"),                     # 7  a | b
    ("not", ("or", "a", "b")),            # 8  ~(a | b)
    ("not", ("xor", "a", "b")),           # 9  ~(a ^ b)
    ("not", "b"),                         # 10 ~b
    ("or", "a", ("not", "b")),            # 11 a | ~b
    ("not", "a"),                         # 12 ~a
    ("or", ("not", "a"), "b"),            # 13 ~a | b
    ("not", ("and", "a", "b")),           # 14 ~(a & b)
    "1",                                  # 15 TRUE
)


def eval_expr(expr: Expr, env: dict[str, int]) -> int:
    """Evaluate an expression tree on single bits (used to check the table)."""
    if isinstance(expr, str):
        return env[expr] if expr in env else int(expr)
    op, *args = expr
    vals = [eval_expr(x, env) for x in args]
    if op == "not":
        return 1 - vals[0]
    if op == "and":
        return vals[0] & vals[1]
    if op == "or":
        return vals[0] | vals[1]
    if op == "xor":
        return vals[0] ^ vals[1]
    raise ValueError(f"unknown operator {op!r}")


def render_expr(expr: Expr, templates: dict[str, str], leaves: dict[str, str]) -> str:
    """Render an expression tree with a backend's operator templates.

    ``templates`` maps "and", "or", "xor", "not", "0" and "1" to format strings
    (``"({a} & {b})"``, ``"~{a}"``, ...); ``leaves`` maps "a" and "b" to the
    backend's operand spellings.
    """
    if isinstance(expr, str):
        return leaves[expr] if expr in leaves else templates[expr]
    op, *args = expr
    parts = [render_expr(x, templates, leaves) for x in args]
    return templates[op].format(a=parts[0], b=parts[1] if len(parts) > 1 else "")


def _check_tables() -> None:
    for g in range(16):
        for a in (0, 1):
            for b in (0, 1):
                assert eval_expr(GATE_EXPRS[g], {"a": a, "b": b}) == truth(g, a, b), g
    assert len(BINARY_GATES) == 10
    assert all(gate_of_form(*FORMS[g]) == g for g in range(16))
    assert all((FORMS[g][0] >= SHAPE_AND) == (g in BINARY_GATES) for g in range(16))


_check_tables()
