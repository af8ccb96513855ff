"""Training logic-gate networks in JAX (``gatecc train``).

* :mod:`.wiring`: how neurons are connected (``unique``, ``random``).
* :mod:`.tasks`: the datasets and heads of the built-in tasks (life, digits).
* :mod:`.trainer`: the soft model's training loop (optax AdamW) and the
  hard-mode evaluation that decides when a net is done.
"""
