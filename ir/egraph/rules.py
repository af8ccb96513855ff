"""Rewrite rules as data: one line each, the algebra in the comment.

A rule is ``lhs -> rhs`` over the term language (:mod:`.language`); applying
it to an e-graph adds the right-hand side and unions it with every match of
the left-hand side, so rules only ever *add* equalities.  Every rule is
checked for soundness by ``tests/test_egraph.py``, exhaustively over its
variables.

:data:`ALGEBRA` holds the hand-written laws of AND/OR/XOR/NOT.  The relations
between the 16 gate kinds are not written by hand: :data:`GATE_KIND_RULES` is
derived from :mod:`gatecc.ir.gates` (swapping inputs, absorbing an inverter on
an input or the output, expanding a gate into its and/or/xor/not expression
and folding that expression back, collapsing the degenerate ids).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .. import gates as G
from .language import CONST, VAR, format_term, parse_sexpr


@dataclass(frozen=True)
class Rule:
    """``lhs -> rhs``; ``group`` names the family (for selecting rule sets)."""

    name: str
    lhs: tuple = field(repr=False)
    rhs: tuple = field(repr=False)
    group: str = "simplify"

    def __str__(self) -> str:
        return f"{self.name}: {format_term(self.lhs)} -> {format_term(self.rhs)}"

    def variables(self) -> list[str]:
        """Pattern variables of the left-hand side, in order of appearance."""
        out: list[str] = []

        def walk(t):
            if t[0] == "?":
                if t[1] not in out:
                    out.append(t[1])
            elif t[0] not in (VAR, CONST):
                for c in t[1:]:
                    walk(c)

        walk(self.lhs)
        return out


def rw(name: str, lhs: str, rhs: str, group: str = "simplify") -> Rule:
    """A rule from two s-expressions; the rhs may only use lhs variables."""
    rule = Rule(name, parse_sexpr(lhs), parse_sexpr(rhs), group)
    used: set[str] = set()

    def walk(t):
        if t[0] == "?":
            used.add(t[1])
        elif t[0] not in (VAR, CONST):
            for c in t[1:]:
                walk(c)

    walk(rule.rhs)
    if not used <= set(rule.variables()):
        raise ValueError(f"rule {name}: rhs uses variables the lhs does not bind")
    return rule


# fmt: off
ALGEBRA: tuple[Rule, ...] = (
    # -- structure: these make the e-graph grow (the "explosive" group) ------
    rw("and-comm",    "(and ?a ?b)",          "(and ?b ?a)", "structure"),                     # a & b = b & a
    rw("or-comm",     "(or ?a ?b)",           "(or ?b ?a)", "structure"),                      # a | b = b | a
    rw("xor-comm",    "(xor ?a ?b)",          "(xor ?b ?a)", "structure"),                     # a ^ b = b ^ a
    rw("and-assoc",   "(and ?a (and ?b ?c))", "(and (and ?a ?b) ?c)", "structure"),            # a & (b & c) = (a & b) & c
    rw("or-assoc",    "(or ?a (or ?b ?c))",   "(or (or ?a ?b) ?c)", "structure"),              # a | (b | c) = (a | b) | c
    rw("xor-assoc",   "(xor ?a (xor ?b ?c))", "(xor (xor ?a ?b) ?c)", "structure"),            # a ^ (b ^ c) = (a ^ b) ^ c
    rw("demorgan-and", "(not (and ?a ?b))",   "(or (not ?a) (not ?b))", "structure"),          # ~(a & b) = ~a | ~b
    rw("demorgan-or", "(not (or ?a ?b))",     "(and (not ?a) (not ?b))", "structure"),         # ~(a | b) = ~a & ~b
    rw("and-distrib", "(and ?a (or ?b ?c))",  "(or (and ?a ?b) (and ?a ?c))", "structure"),    # a & (b | c) = ab | ac
    rw("or-distrib",  "(or ?a (and ?b ?c))",  "(and (or ?a ?b) (or ?a ?c))", "structure"),     # a | bc = (a | b)(a | c)
    rw("xor-distrib", "(and ?a (xor ?b ?c))", "(xor (and ?a ?b) (and ?a ?c))", "structure"),   # a(b ^ c) = ab ^ ac
    rw("and-factor",  "(or (and ?a ?b) (and ?a ?c))", "(and ?a (or ?b ?c))", "factor"),        # ab | ac = a(b | c)
    rw("or-factor",   "(and (or ?a ?b) (or ?a ?c))",  "(or ?a (and ?b ?c))", "factor"),        # (a | b)(a | c) = a | bc
    rw("xor-factor",  "(xor (and ?a ?b) (and ?a ?c))", "(and ?a (xor ?b ?c))", "factor"),      # ab ^ ac = a(b ^ c)
    # -- simplification: these only ever make things smaller ------------------
    rw("and-idem",    "(and ?a ?a)",          "?a"),                                           # a & a = a
    rw("or-idem",     "(or ?a ?a)",           "?a"),                                           # a | a = a
    rw("xor-self",    "(xor ?a ?a)",          "0"),                                            # a ^ a = 0
    rw("and-compl",   "(and ?a (not ?a))",    "0"),                                            # a & ~a = 0
    rw("or-compl",    "(or ?a (not ?a))",     "1"),                                            # a | ~a = 1
    rw("xor-compl",   "(xor ?a (not ?a))",    "1"),                                            # a ^ ~a = 1
    rw("and-absorb",  "(and ?a (or ?a ?b))",  "?a"),                                           # a & (a | b) = a
    rw("or-absorb",   "(or ?a (and ?a ?b))",  "?a"),                                           # a | (a & b) = a
    rw("and-absorb-not", "(and ?a (or (not ?a) ?b))", "(and ?a ?b)"),                          # a & (~a | b) = a & b
    rw("or-absorb-not",  "(or ?a (and (not ?a) ?b))", "(or ?a ?b)"),                           # a | (~a & b) = a | b
    rw("and-and-same", "(and ?a (and ?a ?b))", "(and ?a ?b)"),                                 # a & (a & b) = a & b
    rw("or-or-same",  "(or ?a (or ?a ?b))",   "(or ?a ?b)"),                                   # a | (a | b) = a | b
    rw("and-and-compl", "(and ?a (and (not ?a) ?b))", "0"),                                    # a & (~a & b) = 0
    rw("or-or-compl", "(or ?a (or (not ?a) ?b))", "1"),                                        # a | (~a | b) = 1
    rw("xor-cancel",  "(xor ?a (xor ?a ?b))", "?b"),                                           # a ^ (a ^ b) = b
    rw("xor-push-not-a", "(xor (not ?a) ?b)", "(not (xor ?a ?b))"),                            # ~a ^ b = ~(a ^ b)
    rw("xor-push-not-b", "(xor ?a (not ?b))", "(not (xor ?a ?b))"),                            # a ^ ~b = ~(a ^ b)
    rw("not-not",     "(not (not ?a))",       "?a"),                                           # ~~a = a
    rw("and-0",       "(and ?a 0)",           "0"),                                            # a & 0 = 0
    rw("and-1",       "(and ?a 1)",           "?a"),                                           # a & 1 = a
    rw("or-0",        "(or ?a 0)",            "?a"),                                           # a | 0 = a
    rw("or-1",        "(or ?a 1)",            "1"),                                            # a | 1 = 1
    rw("xor-0",       "(xor ?a 0)",           "?a"),                                           # a ^ 0 = a
    rw("xor-1",       "(xor ?a 1)",           "(not ?a)"),                                     # a ^ 1 = ~a
    rw("not-0",       "(not 0)",              "1"),                                            # ~0 = 1
    rw("not-1",       "(not 1)",              "0"),                                            # ~1 = 0
    rw("and-or-xor",  "(and (or ?a ?b) (not (and ?a ?b)))", "(xor ?a ?b)"),                    # (a | b) & ~(a & b) = a ^ b
    rw("or-and-xor",  "(or (and ?a (not ?b)) (and (not ?a) ?b))", "(xor ?a ?b)"),              # a~b | ~ab = a ^ b
)
# fmt: on


def _gate(g: int, a: str, b: str) -> str:
    return f"({G.GATE_NAMES[g]} {a} {b})"


def _expr_sexpr(expr, leaves: dict[str, str]) -> str:
    """The s-expression of a :data:`gatecc.ir.gates.GATE_EXPRS` tree."""
    if isinstance(expr, str):
        return leaves.get(expr, expr)
    op, *args = expr
    return "(" + " ".join([op] + [_expr_sexpr(x, leaves) for x in args]) + ")"


def _gate_kind_rules() -> tuple[Rule, ...]:
    rules: list[Rule] = []
    leaves = {"a": "?a", "b": "?b"}
    for g in range(16):
        name = G.GATE_NAMES[g]
        here = _gate(g, "?a", "?b")
        if g not in G.BINARY_GATES:
            # Degenerate ids are constants, wires or NOTs: g(a, b) = its expression.
            rules.append(rw(f"{name}-collapse", here, _expr_sexpr(G.GATE_EXPRS[g], leaves)))
            continue
        if not G.is_symmetric(g):
            rules.append(rw(f"{name}-swap", here, _gate(G.swap_inputs(g), "?b", "?a"), "structure"))  # g(a,b) = g'(b,a)
        rules.append(rw(f"not-{name}", f"(not {here})", _gate(G.negate_output(g), "?a", "?b")))      # ~g(a,b) = (15-g)(a,b)
        rules.append(rw(f"{name}-not-a", _gate(g, "(not ?a)", "?b"), _gate(G.negate_a(g), "?a", "?b")))  # g(~a,b) = g'(a,b)
        rules.append(rw(f"{name}-not-b", _gate(g, "?a", "(not ?b)"), _gate(G.negate_b(g), "?a", "?b")))  # g(a,~b) = g'(a,b)
        expr = _expr_sexpr(G.GATE_EXPRS[g], leaves)
        if expr != here:
            rules.append(rw(f"{name}-expand", here, expr, "structure"))   # g(a,b) = its and/or/xor/not tree
            rules.append(rw(f"{name}-fold", expr, here))                  # ... and the tree back to one gate
    # Families overlap (folding "(and ?a (not ?b))" is also absorbing a NOT): keep one of each.
    unique: dict[tuple, Rule] = {}
    for r in rules:
        unique.setdefault((r.lhs, r.rhs), r)
    return tuple(unique.values())


GATE_KIND_RULES: tuple[Rule, ...] = _gate_kind_rules()

ALL_RULES: tuple[Rule, ...] = ALGEBRA + GATE_KIND_RULES

#: Named rule sets: "simplify" never grows the represented circuits,
#: "full" adds commutativity, associativity, De Morgan, distributivity, ...
RULE_SETS: dict[str, tuple[Rule, ...]] = {
    "simplify": tuple(r for r in ALL_RULES if r.group == "simplify"),
    "factor": tuple(r for r in ALL_RULES if r.group in ("simplify", "factor")),
    "full": ALL_RULES,
}


def rule_names() -> list[str]:
    """Every rule's name (unique)."""
    return [r.name for r in ALL_RULES]


assert len(set(rule_names())) == len(ALL_RULES), "rule names must be unique"
