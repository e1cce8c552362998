"""The one rich Console every tito command prints through, and the user-error type.

A `TitoError` is a user mistake or a problem the user can fix: `tito.main` prints its
message (and hint) in red and exits with code 2, never with a traceback.
"""
from __future__ import annotations

from rich.console import Console
from rich.markup import escape

console = Console(highlight=False)
err_console = Console(stderr=True, highlight=False)


class TitoError(Exception):
    """A problem the user can fix; printed without a traceback."""

    def __init__(self, message: str, hint: str | None = None, exit_code: int = 2):
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.exit_code = exit_code


def print_error(error: TitoError) -> None:
    # Into a pipe or a log an error stays one line per sentence, whole paths unbroken,
    # so it can be searched; a terminal wraps it itself.
    unwrapped = not err_console.is_terminal
    err_console.print(f"[bold red]error:[/] {escape(error.message)}", soft_wrap=unwrapped)
    if error.hint:
        err_console.print(f"[yellow]hint:[/] {escape(error.hint)}", soft_wrap=unwrapped)
