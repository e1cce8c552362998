"""tito status: where each module stands."""
from __future__ import annotations

import argparse
from pathlib import Path

from rich.table import Table

from tito.console import TitoError, console
from rich.markup import escape

from tito.export import export_dev_file, exported_from, stale_exports
from tito.modules import add_workspace_argument, project_root, select_modules, use_workspace, workspace_dir, workspace_flag

NAME = "status"
ORDER = 50
HELP = "a table of the modules: exercises written, dev file, sync state (--test: tests too)"


def add_arguments(parser) -> None:
    parser.add_argument("module", nargs="?", help="only this module")
    parser.add_argument("--test", action="store_true", help="also run each module's tests (slower)")
    add_workspace_argument(parser)


def _sync_state(module, root, flag: str) -> tuple[str, str]:
    if not module.dev_file.exists():
        return "[red]missing[/]", "-"
    try:
        export = export_dev_file(module.dev_file, root)
    except TitoError as error:
        return f"[red]broken[/] ({error.message.split(': ', 1)[0].rsplit('/', 1)[-1]})", "-"
    target = root / export.relative_path
    if not target.exists():
        return "[green]ok[/]", f"[yellow]not exported[/] (tito sync -m {module.name}{flag})"
    if stale_exports([export], root):
        origin = exported_from(target)
        if origin and origin != export.source_label and not flag:
            # the package holds another workspace's code (a student edition?): a plain
            # sync would put the reference solutions over it, so point at that workspace
            folder = str(Path(origin).parent.parent)
            name = next((n for n in ("release", "source") if folder == f"assignments/{n}"), folder)
            return "[green]ok[/]", f"[yellow]exported from {escape(folder)}[/] (tito status --from {escape(name)})"
        return "[green]ok[/]", f"[yellow]out of date[/] (tito sync -m {module.name}{flag})"
    return "[green]ok[/]", f"[green]in sync[/] {export.module_name}"


def _exercises(module) -> str:
    """How many of the dev file's exercises are written, as it is now (no test run: instant)."""
    from tito.progress import exercises

    found = exercises(module.dev_file) if module.dev_file.exists() else []
    if not found:
        return "-"
    written = sum(e.stub is None for e in found)
    style = "green" if written == len(found) else "yellow" if written else "bright_black"
    return f"[{style}]{written}/{len(found)} written[/]"


def _shown(path, root) -> str:
    try:
        return str(path.relative_to(root))
    except ValueError:
        return str(path)


def run(args) -> int:
    root = project_root()
    use_workspace(args.workspace)
    modules = select_modules(args.module)
    flag = workspace_flag(root)
    table = Table(title=f"TinyTorch modules in {_shown(workspace_dir(root), root)}", title_justify="left")
    for column in ("#", "module", "title", "exercises", "dev file", "package"):
        table.add_column(column)
    if args.test:
        table.add_column("tests")
    from tito.commands import test as test_command
    for module in modules:
        row = [module.number, module.name, module.title, _exercises(module), *_sync_state(module, root, flag)]
        if args.test:
            code = test_command.run(argparse.Namespace(
                module=module.name, module_opt=None, all=False, verbose=False, k=None, exitfirst=False,
                workspace=None, timeout=test_command.DEFAULT_TIMEOUT))
            row.append("[green]pass[/]" if code == 0 else "[red]fail[/]")
        table.add_row(*row)
    console.print(table)
    return 0
