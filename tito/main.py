"""`tito`: the TinyTorch command line.

Each command lives in `tito/commands/<name>.py` and defines NAME, HELP, ORDER,
`add_arguments(parser)` and `run(args) -> int` (ALIASES optional). This file finds them,
builds the parser and turns user mistakes (TitoError) into a red message and exit code 2.
"""
from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys

from tito import commands
from tito.children import signals_as_interrupt
from tito.console import TitoError, print_error


def _commands() -> list:
    found = [importlib.import_module(f"tito.commands.{info.name}")
             for info in pkgutil.iter_modules(commands.__path__) if not info.name.startswith("_")]
    return sorted((c for c in found if hasattr(c, "run")), key=lambda c: (c.ORDER, c.NAME))


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # argparse's own errors: usage + message, exit 2
        self.print_usage(sys.stderr)
        print_error(TitoError(message, hint=f"see `{self.prog} --help`"))
        raise SystemExit(2)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="tito",
        description="TinyTorch: build a deep-learning framework yourself, module by module.",
        epilog="Start with `tito status`; each command has --help.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for command in _commands():
        p = sub.add_parser(command.NAME, aliases=getattr(command, "ALIASES", []),
                           help=command.HELP, description=getattr(command, "DESCRIPTION", command.HELP),
                           formatter_class=argparse.RawDescriptionHelpFormatter)
        command.add_arguments(p)
        p.set_defaults(run=command.run)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "run", None):
        parser.print_help()
        return 2
    try:
        with signals_as_interrupt():  # SIGTERM too cleans up temporary folders and children
            return int(args.run(args) or 0)
    except TitoError as error:
        print_error(error)
        return error.exit_code
    except KeyboardInterrupt:
        print_error(TitoError("interrupted"))
        return 130


if __name__ == "__main__":
    sys.exit(main())
