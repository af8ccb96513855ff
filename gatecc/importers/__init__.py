"""Readers for model and circuit files other than gatecc's own format.

Each module reads one kind of file into a :class:`~gatecc.model.LogicNet` or
a gate :class:`~gatecc.ir.graph.Graph`; :mod:`gatecc.load` chooses among them.
"""
