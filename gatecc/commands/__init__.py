"""The subcommands of ``gatecc``: one module each, with ``register(subparsers)``.

:data:`COMMANDS` lists the modules in the order ``gatecc --help`` shows them;
a new command is a new module plus one line here.
"""

COMMANDS = (
    "lower",
    "stats",
    "run",
    "train",
    "life",
    "ca",
    "verify",
)
