"""Learned cellular automata (DiffLogic CA): the model, its file, the notebook importer, steppers.

See docs/ca.md.  JAX loads only when the JAX model or training runs.
"""

from .model import CAModel, KernelLayer, window
from .store import load_ca, save_ca

__all__ = ["CAModel", "KernelLayer", "load_ca", "save_ca", "window"]
