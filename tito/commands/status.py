"""tito status: where each module stands."""
from __future__ import annotations

import argparse

from rich.table import Table

from tito.console import TitoError, console
from tito.export import export_dev_file, stale_exports
from tito.modules import project_root, select_modules

NAME = "status"
ORDER = 50
HELP = "a table of the modules: dev file, export, sync state (--test: tests too)"


def add_arguments(parser) -> None:
    parser.add_argument("module", nargs="?", help="only this module")
    parser.add_argument("--test", action="store_true", help="also run each module's tests (slower)")


def _sync_state(module, root) -> tuple[str, str]:
    if not module.dev_file.exists():
        return "[red]missing[/]", "-"
    try:
        export = export_dev_file(module.dev_file, root)
    except TitoError as error:
        return f"[red]broken[/] ({error.message.split(': ', 1)[0].rsplit('/', 1)[-1]})", "-"
    target = root / export.relative_path
    if not target.exists():
        return "[green]ok[/]", f"[yellow]not exported[/] (tito sync -m {module.name})"
    if stale_exports([export], root):
        return "[green]ok[/]", f"[yellow]out of date[/] (tito sync -m {module.name})"
    return "[green]ok[/]", f"[green]in sync[/] {export.module_name}"


def run(args) -> int:
    root = project_root()
    modules = select_modules(args.module)
    table = Table(title="TinyTorch modules", title_justify="left")
    for column in ("#", "module", "title", "dev file", "package"):
        table.add_column(column)
    if args.test:
        table.add_column("tests")
    from tito.commands import test as test_command
    for module in modules:
        row = [module.number, module.name, module.title, *_sync_state(module, root)]
        if args.test:
            code = test_command.run(argparse.Namespace(
                module=module.name, module_opt=None, all=False, verbose=False, k=None, exitfirst=False))
            row.append("[green]pass[/]" if code == 0 else "[red]fail[/]")
        table.add_row(*row)
    console.print(table)
    return 0
