"""Training logic-gate networks in JAX (``gatecc train``).

* :mod:`.wiring`: how neurons are connected (``unique``, ``random``).
* :mod:`.tasks`: the datasets and heads of the built-in tasks (life, digits).
* :mod:`.trainer`: the soft model's training loop (optax AdamW) and the
  hard-mode evaluation that decides when a net is done.
"""

import sys as _sys
import types as _types


class _CallableModule(_types.ModuleType):
    """Makes ``gatecc.train(x, y, ...)`` work although ``gatecc.train`` is also this package."""

    def __call__(self, x, y, **options):
        """Train on features ``x`` and targets ``y``; see :func:`gatecc.train.fit.train`."""
        from .fit import train

        return train(x, y, **options)


_sys.modules[__name__].__class__ = _CallableModule
