"""What the milestone programs share: arguments, a results table, the verdict.

Each program prints its progress and results, writes its figures into --out, and exits
0 when it reached the result it states, 1 when it did not.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from rich.console import Console
from rich.table import Table

console = Console(highlight=False)


def arguments(description: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--out", default=".", help="folder for the figures (default: here)")
    parser.add_argument("--quick", action="store_true",
                        help="the shortened run the test suite makes, where the milestone has one (it says so and "
                             "states its own, smaller result)")
    args = parser.parse_args()
    args.out = Path(args.out)
    args.out.mkdir(parents=True, exist_ok=True)
    return args


def alive() -> None:
    """The run is moving on: tito milestone's time limit counts from here (a long training
    calls this every few steps, so only a stalled run is stopped)."""
    from tito import watchdog

    watchdog.progress()


def table(title: str, columns: list[str], rows: list[list]) -> None:
    shown = Table(title=title, title_justify="left")
    for column in columns:
        shown.add_column(column, justify="right")
    for row in rows:
        shown.add_row(*[str(v) for v in row])
    console.print(shown)


def save(fig, path: Path) -> None:
    fig.savefig(path, dpi=110)
    console.print(f"figure: {path}")


def verdict(checks: list[tuple[str, bool]]) -> None:
    """Print each stated criterion with its outcome and exit 0 (all reached) or 1."""
    for text, ok in checks:
        console.print(f"  [{'green' if ok else 'red'}]{'reached' if ok else 'MISSED'}[/]  {text}")
    sys.exit(0 if all(ok for _, ok in checks) else 1)
