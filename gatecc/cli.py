"""The ``gatecc`` command line.

Every problem with the user's input (a bad model file, an unknown target, a
compiler failure) is printed as one line on stderr with exit status 2.
Output files are written only when everything succeeded.  The subcommands
live in :mod:`gatecc.commands`, one module each.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from .errors import GateccError

EXIT_USAGE = 2


class _Parser(argparse.ArgumentParser):
    """argparse, but usage errors are one line and exit 2."""

    def error(self, message):  # argparse API
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``gatecc`` command."""
    from . import __version__
    from .commands import COMMANDS
    from .commands.common import formatter

    parser = _Parser(
        prog="gatecc",
        formatter_class=formatter,
        description="gatecc compiles trained logic-gate networks into fast, exact code.",
        epilog="Run 'gatecc COMMAND --help' for a command's options.",
    )
    parser.add_argument("--version", action="version", version=f"gatecc {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for name in COMMANDS:
        importlib.import_module(f".commands.{name}", __package__).register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return EXIT_USAGE
    try:
        return args.func(args)
    except GateccError as exc:
        sys.stderr.write(f"gatecc {args.command}: error: {exc}\n")
        return EXIT_USAGE
    except BrokenPipeError:
        return 1
    except KeyboardInterrupt:
        return 130
