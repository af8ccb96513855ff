"""The term language of the e-graph: the 16 gates, NOT, variables and constants.

An e-node is a tuple ``(op, ...)``:

* ``(g, a, b)`` for a gate id ``g`` in 0-15 (:mod:`gatecc.ir.gates`) on
  e-classes ``a`` and ``b``;
* ``(NOT, a)``;
* ``(VAR, i)`` for input ``i`` and ``(CONST, v)`` for the bit ``v`` (their
  second field is a payload, not an e-class).

Patterns and terms are written as s-expressions with the gate mnemonics of
:data:`gatecc.ir.gates.GATE_NAMES` plus ``not``: ``(and ?a (or ?a ?b))``,
``(xor x0 (not x1))``, ``0``, ``1``; ``?name`` is a pattern variable and
``x<i>`` is input ``i``.
"""

from __future__ import annotations

from .. import gates as G

NOT, VAR, CONST = 16, 17, 18
N_OPS = 19

OP_NAMES: dict[int, str] = {**dict(enumerate(G.GATE_NAMES)), NOT: "not", VAR: "var", CONST: "const"}
OP_CODES: dict[str, int] = {name: op for op, name in OP_NAMES.items()}


def is_leaf(op: int) -> bool:
    """True for VAR and CONST, whose second field is a payload."""
    return op >= VAR


def children(enode: tuple) -> tuple:
    """The e-class ids an e-node reads."""
    return () if enode[0] >= VAR else enode[1:]


def tokenize(text: str) -> list[str]:
    """Split an s-expression into tokens."""
    return text.replace("(", " ( ").replace(")", " ) ").split()


def parse_sexpr(text: str):
    """Parse one s-expression into nested tuples of ``(op, child...)``.

    Leaves become ``("?", name)`` (pattern variable), ``(VAR, i)`` or
    ``(CONST, v)``.  Raises ValueError on anything malformed.
    """
    tokens = tokenize(text)
    pos = 0

    def parse():
        nonlocal pos
        if pos >= len(tokens):
            raise ValueError(f"unexpected end of {text!r}")
        tok = tokens[pos]
        pos += 1
        if tok == "(":
            if pos >= len(tokens) or tokens[pos] not in OP_CODES or tokens[pos] in ("var", "const"):
                raise ValueError(f"{text!r}: expected an operator after '('")
            op = OP_CODES[tokens[pos]]
            pos += 1
            args = []
            while pos < len(tokens) and tokens[pos] != ")":
                args.append(parse())
            if pos >= len(tokens):
                raise ValueError(f"{text!r}: missing ')'")
            pos += 1
            arity = 1 if op == NOT else 2
            if len(args) != arity:
                raise ValueError(f"{text!r}: {OP_NAMES[op]} takes {arity} operand(s), not {len(args)}")
            return (op, *args)
        if tok == ")":
            raise ValueError(f"{text!r}: unexpected ')'")
        if tok.startswith("?") and len(tok) > 1:
            return ("?", tok[1:])
        if tok in ("0", "1"):
            return (CONST, int(tok))
        if tok.startswith("x") and tok[1:].isdigit():
            return (VAR, int(tok[1:]))
        raise ValueError(f"{text!r}: unknown token {tok!r}")

    tree = parse()
    if pos != len(tokens):
        raise ValueError(f"{text!r}: trailing tokens")
    return tree


def format_term(tree) -> str:
    """The s-expression of a nested-tuple term or pattern."""
    op = tree[0]
    if op == "?":
        return "?" + tree[1]
    if op == VAR:
        return f"x{tree[1]}"
    if op == CONST:
        return str(tree[1])
    return "(" + " ".join([OP_NAMES[op]] + [format_term(c) for c in tree[1:]]) + ")"
