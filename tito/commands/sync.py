"""tito sync: export the dev files' `#| export` cells into the tinytorch package."""
from __future__ import annotations

from tito.console import console
from tito.export import export_modules, stale_exports, write_exports
from tito.modules import add_workspace_argument, project_root, select_modules, use_workspace
from tito.namespaces import is_namespace, namespace_exports, stale_namespaces

NAME = "sync"
ALIASES = ["export"]
ORDER = 20
HELP = "export dev files into the tinytorch package (--check: only compare)"
DESCRIPTION = """\
Export each dev file's `#| export` cells into tinytorch/<default_exp>.py, and
generate the PyTorch-style namespaces (tinytorch/__init__.py, tinytorch/nn/, ...)
from the names each module.yaml declares under `exports`.

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
    namespaces = namespace_exports(exports, root, root)
    if args.check:
        stale = stale_exports(exports + namespaces, root)
        for export in stale:
            fix = "tito sync" if is_namespace(export) else f"tito sync --module {export.dev_file.parent.name}"
            console.print(f"[red]out of date:[/] {export.relative_path} (run `{fix}`)")
        for path in stale_namespaces(namespaces, root):
            console.print(f"[red]no longer declared:[/] {_shown(path, root)} (run `tito sync`)")
            stale.append(path)
        if not stale:
            console.print(f"[green]in sync:[/] {len(exports)} package file(s) match their dev files, "
                          f"{len(namespaces)} namespace file(s) the modules' declarations")
        return 1 if stale else 0
    written = set(write_exports(exports + namespaces, root))
    for path in stale_namespaces(namespaces, root):
        path.unlink()
        console.print(f"[green]removed[/] {_shown(path, root)} (no module declares it any more)")
    for export in exports + namespaces:
        path = root / export.relative_path
        state = "[green]exported[/]" if path in written else "[dim]unchanged[/]"
        source = "module.yaml exports" if is_namespace(export) else _shown(export.dev_file, root)
        console.print(f"{state} {source} -> {export.relative_path}")
    return 0
