"""tito sync: export the dev files' `#| export` cells into the tinytorch package."""
from __future__ import annotations

from tito.console import console
from tito.export import export_modules, stale_exports, write_exports
from tito.modules import add_workspace_argument, project_root, select_modules, use_workspace

NAME = "sync"
ALIASES = ["export"]
ORDER = 20
HELP = "export dev files into the tinytorch package (--check: only compare)"
DESCRIPTION = """\
Export each dev file's `#| export` cells into tinytorch/<default_exp>.py.

Every dev file is read and checked first; if one has a syntax error, nothing is
written and the error names its file and line. Each package file is replaced
atomically. Dev files are only read, never changed.

  tito sync                       every module
  tito sync --module activations  one module
  tito sync --check               exit 1 if the package differs from the dev files
  tito sync --from release        export the student edition you work in
                                  (or set TINYTORCH_SOURCE=release once)
"""


def add_arguments(parser) -> None:
    parser.add_argument("module", nargs="?", help="module name or number (default: all)")
    parser.add_argument("--module", "-m", dest="module_opt", metavar="M", help="module name or number")
    parser.add_argument("--check", action="store_true",
                        help="write nothing; exit 1 when the package differs from the dev files")
    add_workspace_argument(parser)


def _shown(path, root) -> str:
    try:
        return str(path.relative_to(root))
    except ValueError:
        return str(path)


def run(args) -> int:
    root = project_root()
    use_workspace(args.workspace)
    modules = select_modules(args.module_opt or args.module)
    exports = export_modules(modules, root)
    if args.check:
        stale = stale_exports(exports, root)
        for export in stale:
            console.print(f"[red]out of date:[/] {export.relative_path} "
                          f"(run `tito sync --module {export.dev_file.parent.name}`)")
        if not stale:
            console.print(f"[green]in sync:[/] {len(exports)} package file(s) match their dev files")
        return 1 if stale else 0
    written = set(write_exports(exports, root))
    for export in exports:
        path = root / export.relative_path
        state = "[green]exported[/]" if path in written else "[dim]unchanged[/]"
        console.print(f"{state} {_shown(export.dev_file, root)} -> {export.relative_path}")
    return 0
