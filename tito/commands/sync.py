"""tito sync: export the dev files' `#| export` cells into the tinytorch package."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from rich.markup import escape

from tito.console import TitoError, console
from tito.export import (
    Export,
    export_modules,
    exported_from,
    foreign_exports,
    missing_package_files,
    restore_package_files,
    stale_exports,
    write_exports,
)
from tito.modules import (
    Module,
    add_workspace_argument,
    all_modules,
    announce,
    describe_workspace,
    project_root,
    select_modules,
    shown_path,
    use_workspace,
    workspace_flag,
)
from tito.namespaces import is_namespace, namespace_exports, stale_namespaces

NAME = "sync"
ALIASES = ["export"]
ORDER = 20
HELP = "export dev files into the tinytorch package (--check: only compare)"
DESCRIPTION = """\
Export each dev file's `#| export` cells into tinytorch/<default_exp>.py, from the
edition you work on (yours after `tito start`; the first line says which), and
generate the PyTorch-style namespaces (tinytorch/__init__.py, tinytorch/nn/, ...)
from the names each module.yaml declares under `exports`.

Every dev file is read and checked first; if one has a syntax error, nothing is
written and the error names its file and line. Each package file is replaced
atomically. Dev files are only read, never changed. A package with files missing
(tinytorch/ deleted) is rebuilt whole: every module from your dev files, the rest
from git.

Code in the package that was exported from another edition (your own, when you
sync the reference with --from source) is never replaced without --force.

  tito sync                       every module
  tito sync --module activations  one module
  tito sync --check               exit 1 if the package differs from the dev files
  tito sync --from source         export the reference solutions (instructors)
"""


def add_arguments(parser) -> None:
    parser.add_argument("module", nargs="?", help="module name or number (default: all)")
    parser.add_argument("--module", "-m", dest="module_opt", metavar="M", help="module name or number")
    parser.add_argument("--check", action="store_true",
                        help="write nothing; exit 1 when the package differs from the dev files")
    parser.add_argument("--force", action="store_true",
                        help="replace package code exported from another edition (a learner's work)")
    add_workspace_argument(parser)


def _sync_advice(root: Path, edition: Path, module: str | None = None) -> str:
    """The sync command that exports `edition` (a flag only when it is not this clone's default)."""
    name = next((n for n in ("source", "release") if edition == (root / "assignments" / n).resolve()), str(edition))
    from tito.modules import _default_workspace, recorded_workspace, resolve_workspace

    recorded = recorded_workspace(root)
    default = resolve_workspace(recorded, root) if recorded else _default_workspace(root).resolve()
    flag = "" if edition == default else f" --from {name}"
    return f"tito sync{f' --module {module}' if module else ''}{flag}"


def _refuse_foreign(foreign: list[tuple[Export, Path]], root: Path, module: str | None) -> None:
    export, theirs = foreign[0]
    more = f" (and {len(foreign) - 1} more file(s))" if len(foreign) > 1 else ""
    ours = export.dev_file.resolve().parent.parent
    raise TitoError(
        f"{export.relative_path}{more} holds code exported from {describe_workspace(theirs, root, how=False)}; "
        f"exporting {describe_workspace(ours, root, how=False)} over it would replace that work in the package",
        hint=f"to export that edition: `{_sync_advice(root, theirs, module)}`; to replace it anyway: "
             f"`{_sync_advice(root, ours, module)} --force` (dev files are never changed)")


def _missing(root: Path, exports: list[Export]) -> tuple[list[Export], list[Path] | None]:
    """(exports, missing): when the package lacks files, every module's exports (a package
    is rebuilt whole) and the files no dev file makes; else (exports, None)."""
    if not missing_package_files(root, exports):
        return exports, None
    exports = export_modules(all_modules(), root)
    return exports, missing_package_files(root, exports)


@dataclass
class Synced:
    exports: list[Export]  # the modules' package files, then the namespaces
    written: list[Path]  # package files written from dev files and declarations
    restored: list[Path]  # package files restored from git
    removed: list[Path]  # namespace files no module declares any more
    rebuilt: bool  # files were missing: every module was exported


def export_workspace(root: Path, modules: list[Module], force: bool = False, module: str | None = None) -> Synced:
    """Export `modules` into the package, all or nothing.

    A package with files missing is made whole: every module of the workspace is exported
    (not only `modules`), and what no dev file makes is restored from git, before the
    namespaces are generated from the modules' declarations. Package code exported from
    another edition that is not the reference is replaced only with `force`.
    """
    exports, missing = _missing(root, export_modules(modules, root))
    foreign = foreign_exports(exports, root)
    if foreign and not force:
        _refuse_foreign(foreign, root, module)
    restore_package_files(root, missing or [])
    namespaces = namespace_exports(exports, root, root)
    written = write_exports(exports + namespaces, root)
    removed = stale_namespaces(namespaces, root)
    for path in removed:
        path.unlink()
    return Synced(exports + namespaces, written, [root / p for p in missing or []], removed, missing is not None)


def _check(root: Path, modules: list[Module]) -> int:
    exports = export_modules(modules, root)
    namespaces = namespace_exports(exports, root, root)
    flag = workspace_flag(root)
    problems = 0
    foreign: dict[Path, list[Export]] = {}
    for export, theirs in foreign_exports(exports, root):
        foreign.setdefault(theirs, []).append(export)
    for theirs, held in foreign.items():  # a learner's work: never advice that would replace it
        problems += len(held)
        files = f"{held[0].relative_path}" + (f" and {len(held) - 1} more package file(s)" if len(held) > 1 else "")
        console.print(f"[yellow]other edition:[/] {files} hold {escape(describe_workspace(theirs, root, how=False))}, "
                      f"not these dev files (`{escape(_sync_advice(root, theirs))}` keeps them up to date)")
    held = {id(e) for exports_held in foreign.values() for e in exports_held}
    for export in stale_exports(exports + namespaces, root):
        module = export.dev_file.parent.name
        if id(export) in held:
            continue
        problems += 1
        if is_namespace(export):
            state = "missing" if not (root / export.relative_path).exists() else "out of date"
            console.print(f"[red]{state}:[/] {export.relative_path} (run `tito sync{flag}`: the namespaces "
                          "the modules' module.yaml declare)")
        elif not (root / export.relative_path).exists():
            console.print(f"[red]missing:[/] {export.relative_path} (run `tito sync --module {module}{flag}`)")
        else:
            origin = exported_from(root / export.relative_path)
            note = f", now from {origin}" if origin and origin != export.source_label else ""
            console.print(f"[red]out of date:[/] {export.relative_path}{escape(note)} "
                          f"(run `tito sync --module {module}{flag}`)")
    made = {e.relative_path for e in namespaces}
    for path in _missing(root, exports)[1] or []:
        if path not in made:
            problems += 1
            console.print(f"[red]missing:[/] {path} (`tito sync` restores it from git)")
    for path in stale_namespaces(namespaces, root):
        problems += 1
        console.print(f"[red]no longer declared:[/] {shown_path(path, root)} (run `tito sync{flag}`)")
    if not problems:
        console.print(f"[green]in sync:[/] {len(exports)} package file(s) match their dev files, "
                      f"{len(namespaces)} namespace file(s) the modules' declarations")
    return 1 if problems else 0


def run(args) -> int:
    root = project_root()
    use_workspace(args.workspace)
    spec = args.module_opt or args.module
    modules = select_modules(spec)
    if args.check:
        announce("comparing tinytorch/ with")
        return _check(root, modules)
    announce("exporting")
    synced = export_workspace(root, modules, force=args.force, module=spec)
    written = set(synced.written)
    if synced.rebuilt:
        console.print("[yellow]the package had files missing: rebuilt it whole[/]")
    for path in synced.restored:
        console.print(f"[green]restored[/] {shown_path(path, root)} (from git)")
    for path in synced.removed:
        console.print(f"[green]removed[/] {shown_path(path, root)} (no module declares it any more)")
    for export in synced.exports:
        path = root / export.relative_path
        state = "[green]exported[/]" if path in written else "[dim]unchanged[/]"
        source = ("module.yaml exports" if is_namespace(export)
                  else f"{export.dev_file.parent.name}/{export.dev_file.name}")
        console.print(f"{state} {source} -> {export.relative_path}")
    return 0
