"""`tito`: the TinyTorch command line.

Each command lives in `tito/commands/<name>.py` and defines NAME, HELP, ORDER,
`add_arguments(parser)` and `run(args) -> int` (ALIASES optional). This file finds them,
builds the parser and turns user mistakes (TitoError) into a red message and exit code 2.

Ctrl-C (or SIGTERM) while tito is still starting (importing, parsing its arguments: the
first ~150 ms, before a command has made anything) ends it at once with "interrupted"
and exit code 130, never a traceback (`tito.quiet_while_starting`, from the first line of
the package); once a command runs, it becomes KeyboardInterrupt, so the command's
temporary folders and children are cleaned up.
"""
from __future__ import annotations

import argparse
import signal
import sys

from tito import quiet_while_starting


def _commands() -> list:
    import importlib
    import pkgutil

    from tito import commands

    found = [importlib.import_module(f"tito.commands.{info.name}")
             for info in pkgutil.iter_modules(commands.__path__) if not info.name.startswith("_")]
    return sorted((c for c in found if hasattr(c, "run")), key=lambda c: (c.ORDER, c.NAME))


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # argparse's own errors: usage + message, exit 2
        from tito.console import TitoError, print_error

        self.print_usage(sys.stderr)
        print_error(TitoError(message, hint=f"see `{self.prog} --help`"))
        raise SystemExit(2)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="tito",
        description="TinyTorch: build a deep-learning framework yourself, module by module.",
        epilog="Start with `tito start` (once, after git clone: your own edition), then `tito status`; "
               "each command has --help.",
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
    if argv is None:
        quiet_while_starting()
    from tito.children import signals_as_interrupt
    from tito.console import TitoError, print_error

    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "run", None):
        parser.print_help()
        return 2
    try:
        if argv is None:  # from here on Ctrl-C is KeyboardInterrupt: the command cleans up
            signal.signal(signal.SIGINT, signal.default_int_handler)
        with signals_as_interrupt():  # SIGTERM too cleans up temporary folders and children
            return int(args.run(args) or 0)
    except TitoError as error:
        print_error(error)
        return error.exit_code
    except KeyboardInterrupt:
        print_error(TitoError("interrupted"))
        return 130
    finally:
        if argv is None:  # the command is over: a late Ctrl-C ends tito quietly, as at its start
            quiet_while_starting()


if __name__ == "__main__":
    sys.exit(main())
