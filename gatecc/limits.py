"""Bounds on what gatecc reads from a file and builds from the sizes a file declares.

A hostile or corrupt file must fail fast with one :class:`ModelError`, not
exhaust memory or time.  Each limit has a default large enough for any real
model and an environment variable that raises it (documented in
``docs/formats.md``, "Limits"):

===========================  ==========  ================================================
variable                     default     what it bounds
===========================  ==========  ================================================
``GATECC_MAX_MODEL_BYTES``   1 GiB       bytes of one file, and the bytes its zip members
                                         inflate to (all members together)
``GATECC_MAX_RATIO``         100         inflated / compressed size of one zip member
                                         (checked once a member inflates past 4 MiB)
``GATECC_MAX_INPUTS``        1048576     inputs a model may declare beyond those its own
                                         wiring could read (2 per gate of the first layer)
===========================  ==========  ================================================
"""

from __future__ import annotations

import os

from .errors import ModelError

DEFAULTS = {
    "GATECC_MAX_MODEL_BYTES": 1 << 30,
    "GATECC_MAX_RATIO": 100,
    "GATECC_MAX_INPUTS": 1 << 20,
}
#: Members that inflate to at most this many bytes are not ratio-checked (tiny
#: arrays of zeros legitimately compress a thousandfold).
RATIO_FLOOR = 4 << 20


def limit(name: str) -> int:
    """The limit ``name`` (a key of :data:`DEFAULTS`), from the environment if set there."""
    text = os.environ.get(name)
    if text is None or not text.strip():
        return DEFAULTS[name]
    try:
        value = int(text.strip().replace("_", ""))
    except ValueError:
        value = 0
    if value < 1:
        raise ModelError(f"${name}={text!r}: expected a positive integer")
    return value


def check_inputs(n_inputs: int, reads: int, what: str) -> None:
    """Refuse a declared input count beyond what the model's own data can read.

    ``reads`` is how many input reads the model's arrays or text hold (two per
    first-layer gate); up to ``GATECC_MAX_INPUTS`` unread inputs are always fine.
    """
    cap = max(limit("GATECC_MAX_INPUTS"), int(reads))
    if n_inputs > cap:
        raise ModelError(f"{what} declares {n_inputs} inputs, more than its wiring can read ({int(reads)}) "
                         f"and over the limit {cap} (raise $GATECC_MAX_INPUTS for a model this wide)")
