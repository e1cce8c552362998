"""tito status: where each module stands."""
from __future__ import annotations

import argparse

from rich.markup import escape
from rich.table import Table
from rich.text import Text

from tito.console import TitoError, console
from tito.export import export_dev_file, foreign_exports, stale_exports
from tito.modules import (
    add_workspace_argument,
    announce,
    describe_workspace,
    project_root,
    select_modules,
    use_workspace,
    workspace_flag,
)

NAME = "status"
ORDER = 50
HELP = "a table of the modules: exercises written, dev file, sync state (--test: tests too)"


def add_arguments(parser) -> None:
    parser.add_argument("module", nargs="?", help="only this module")
    parser.add_argument("--test", action="store_true", help="also run each module's tests (slower)")
    add_workspace_argument(parser)


def _sync_state(module, root, flag: str) -> tuple[str, str, str]:
    """(dev file, package, advice): short states for the table, the advice below it."""
    if not module.dev_file.exists():
        return "[red]missing[/]", "-", f"{module.dev_file.name} does not exist"
    try:
        export = export_dev_file(module.dev_file, root)
    except TitoError as error:
        return "[red]broken[/]", "-", error.message
    target = root / export.relative_path
    if not target.exists():
        return "[green]ok[/]", "[yellow]not exported[/]", f"run `tito sync -m {module.name}{flag}`"
    foreign = foreign_exports([export], root)
    if foreign:  # the package holds a learner's edition: never advice that would export this one over it
        theirs = foreign[0][1]
        return ("[green]ok[/]", f"[yellow]{escape(describe_workspace(theirs, root, how=False).split(' (')[0])}[/]",
                f"the package holds {describe_workspace(theirs, root, how=False)}")
    if stale_exports([export], root):
        return "[green]ok[/]", "[yellow]out of date[/]", f"run `tito sync -m {module.name}{flag}`"
    return "[green]ok[/]", "[green]in sync[/]", ""


def _exercises(module) -> str:
    """How many of the dev file's exercises are written, as it is now (no test run: instant)."""
    from tito.progress import exercises

    found = exercises(module.dev_file) if module.dev_file.exists() else []
    if not found:
        return "-"
    written = sum(e.stub is None for e in found)
    style = "green" if written == len(found) else "yellow" if written else "bright_black"
    return f"[{style}]{written}/{len(found)} written[/]"


def run(args) -> int:
    root = project_root()
    use_workspace(args.workspace)
    announce("status of")
    modules = select_modules(args.module)
    flag = workspace_flag(root)
    from tito.commands import test as test_command
    rows, advice = [], []
    for module in modules:
        dev, package, note = _sync_state(module, root, flag)
        row = [module.number, module.name, _exercises(module), dev, package]
        if note:
            advice.append(f"{module.number} {module.name}: {note}")
        if args.test:
            code = test_command.run(argparse.Namespace(
                module=module.name, module_opt=None, all=False, verbose=False, k=None, exitfirst=False,
                workspace=None, timeout=test_command.DEFAULT_TIMEOUT))
            row.append("[green]pass[/]" if code == 0 else "[red]fail[/]")
        rows.append((row, module.title))
    columns = ["#", "module", "exercises", "dev file", "package"] + (["tests"] if args.test else [])
    table = Table(title="TinyTorch modules", title_justify="left")
    for column in columns:
        table.add_column(column, no_wrap=True)
    # The title takes what is left of the terminal's width (each row one line, 80 columns too).
    used = sum(max([len(c)] + [Text.from_markup(r[i]).cell_len for r, _ in rows]) + 3 for i, c in enumerate(columns))
    room = console.width - used - 4
    if room >= 10:
        table.add_column("title", no_wrap=True, overflow="ellipsis", max_width=room)
    for row, title in rows:
        table.add_row(*row, *([escape(title)] if room >= 10 else []))
    console.print(table)
    for line in advice:
        console.print(f"  {escape(line)}")
    return 0
