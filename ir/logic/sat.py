"""SAT queries about an XAG: Tseitin clauses added lazily, one incremental solver.

Only the cones that queries touch are encoded.  :meth:`SatChecker.equal`
asks whether two literals can differ, within a conflict budget, and answers
True (proved equal), False (a counterexample, see :meth:`input_bits`) or
None (budget exhausted).  python-sat is imported only when a checker is made.
"""

from __future__ import annotations

from .xag import AND, CONST, INPUT, XAG

DEFAULT_SOLVER = "glucose4"


class SatChecker:
    """Incremental equivalence queries over one network."""

    def __init__(self, net: XAG, solver: str = DEFAULT_SOLVER):
        from pysat.solvers import Solver

        self.net = net
        self.solver = Solver(name=solver)
        self.var: dict[int, int] = {}
        self.nv = 0
        self.calls = 0

    def close(self) -> None:
        """Free the solver."""
        self.solver.delete()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def _new(self) -> int:
        self.nv += 1
        return self.nv

    def sat_lit(self, lit: int) -> int:
        """The SAT literal of an XAG literal (encoding its cone first)."""
        v = self._node_var(lit >> 1)
        return -v if lit & 1 else v

    def _node_var(self, node: int) -> int:
        v = self.var.get(node)
        if v is not None:
            return v
        net = self.net
        stack = [node]
        while stack:
            n = stack[-1]
            if n in self.var:
                stack.pop()
                continue
            kind = net.kind[n]
            if kind in (CONST, INPUT):
                v = self._new()
                self.var[n] = v
                if kind == CONST:
                    self.solver.add_clause([-v])
                stack.pop()
                continue
            pending = [x for x in (net.fa[n] >> 1, net.fb[n] >> 1) if x not in self.var]
            if pending:
                stack.extend(pending)
                continue
            stack.pop()
            z = self._new()
            self.var[n] = z
            a = self.var[net.fa[n] >> 1] * (-1 if net.fa[n] & 1 else 1)
            b = self.var[net.fb[n] >> 1] * (-1 if net.fb[n] & 1 else 1)
            if kind == AND:
                clauses = ([-z, a], [-z, b], [z, -a, -b])
            else:
                clauses = ([-z, a, b], [-z, -a, -b], [z, -a, b], [z, a, -b])
            for c in clauses:
                self.solver.add_clause(list(c))
        return self.var[node]

    def equal(self, x: int, y: int, budget: int | None = None) -> bool | None:
        """Are literals x and y equal for every input?  None when the budget ran out."""
        a, b = self.sat_lit(x), self.sat_lit(y)
        s = self._new()
        # s -> (a != b)
        self.solver.add_clause([-s, a, b])
        self.solver.add_clause([-s, -a, -b])
        self.calls += 1
        if budget is None:
            answer = self.solver.solve(assumptions=[s])
        else:
            self.solver.conf_budget(budget)
            answer = self.solver.solve_limited(assumptions=[s])
        if answer is None:
            self.solver.add_clause([-s])
            return None
        if answer:
            self._model = self.solver.get_model()
            self.solver.add_clause([-s])
            return False
        self.solver.add_clause([-s])
        self.solver.add_clause([-a, b])
        self.solver.add_clause([a, -b])
        return True

    def input_bits(self) -> list[int]:
        """Input values of the last counterexample (inputs outside every queried cone are 0)."""
        model = self._model
        bits = []
        for i in range(self.net.n_inputs):
            v = self.var.get(i + 1)
            bits.append(1 if v is not None and v <= len(model) and model[v - 1] > 0 else 0)
        return bits
