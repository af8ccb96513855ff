"""Example models shipped with gatecc (installed as ``gatecc.examples``).

* ``life.npz``: a Game-of-Life rule net trained by ``gatecc train life``.
* ``digits.npz``: an 8x8 digits classifier trained by ``gatecc train digits``.
"""
