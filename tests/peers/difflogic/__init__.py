"""Test stand-in for the difflogic package (see tests/peers/README.md)."""

from .difflogic import GroupSum, LogicLayer

__all__ = ["GroupSum", "LogicLayer"]
