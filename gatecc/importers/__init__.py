"""Readers for model and circuit files other than gatecc's own format.

Each module reads one kind of file into a :class:`~gatecc.model.LogicNet` or
a gate :class:`~gatecc.ir.graph.Graph`; :mod:`gatecc.load` chooses among them.

* :mod:`.aiger`, :mod:`.blif`: combinational circuits (Graph);
* :mod:`.difflogic`, :mod:`.torchlogix`: the PyTorch peers' models (LogicNet),
  sharing :mod:`.peers`; :mod:`.torchfile` reads ``torch.save`` files without
  PyTorch and without running code from them;
* :mod:`.jaxtree`: JAX ``params``/``wires`` pytrees flattened into an ``.npz``.

See ``docs/formats.md``.
"""
