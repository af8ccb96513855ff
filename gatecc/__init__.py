"""gatecc: a compiler for trained logic-gate networks.

::

    import gatecc
    net = gatecc.load("model.npz")          # LogicNet (model format v1 or v2)
    fast = gatecc.compile(net)              # native code, the fastest target available here
    y = fast(x)                             # (batch, n_inputs) bools -> bits or counts
    ref = gatecc.soft_eval(net, x, hard=True)
    net = gatecc.train(x_float, labels)     # trained LogicNet with its input encoder
    gatecc.compile(net)(x_float)            # the encoder runs inside the generated code

Heavy dependencies (JAX for the soft model, compilers for targets) load only
when the functions that need them run.
"""

from __future__ import annotations

__version__ = "0.1.0"

from .errors import BuildError, GateccError, InputError, ModelError, TargetError
from .load import load
from .model import GroupSum, Layer, LogicNet
from . import train  # noqa: E402  (a callable package: gatecc.train(x, y, ...) -> LogicNet; JAX loads when it runs)


def compile(model, target=None, opt_level=2, cache=True, head=None, **options):  # noqa: A001
    """Compile a LogicNet, Graph or model path into a runnable :class:`CompiledNet`.

    ``head="argmax"`` or ``"threshold:T"`` builds the decision into the
    circuit.  See :func:`gatecc.compiler.compile`.
    """
    from .compiler import compile as _compile

    return _compile(model, target=target, opt_level=opt_level, cache=cache, head=head, **options)


def soft_eval(net, x, hard=False):
    """The soft model (JAX) on x; ``hard=True`` uses argmax gates.  See :mod:`gatecc.soft`."""
    from .soft import soft_eval as _soft_eval

    return _soft_eval(net, x, hard=hard)


def __getattr__(name):
    # ``gatecc.dask`` (batch inference on Dask) loads dask only when first used.
    if name == "dask":
        import importlib

        return importlib.import_module(".dask", __name__)
    raise AttributeError(f"module 'gatecc' has no attribute {name!r}")


__all__ = [
    "BuildError", "GateccError", "GroupSum", "InputError", "Layer", "LogicNet",
    "ModelError", "TargetError", "__version__", "compile", "load", "soft_eval", "train",
]
