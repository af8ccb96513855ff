"""The exceptions gatecc raises for problems a user can fix.

The command line prints any :class:`GateccError` as one line and exits with
status 2; everything else is a bug in gatecc and keeps its traceback.
"""


class GateccError(Exception):
    """Base class of the errors that name a user-fixable problem."""


class ModelError(GateccError):
    """A model file or object is missing, corrupt or inconsistent."""


class TargetError(GateccError):
    """An unknown target, or one that cannot run on this machine."""


class BuildError(GateccError):
    """Generated code failed to compile or load (a toolchain problem)."""


class InputError(GateccError):
    """Data passed to a compiled net has the wrong shape, type or values."""
