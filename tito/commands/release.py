"""tito release: write the student edition of the modules."""
from __future__ import annotations

import contextlib
import shutil
import tempfile
from pathlib import Path

from rich.table import Table

from tito.console import TitoError, console
from tito.export import read_dev_file
from tito.modules import Module, project_root, select_modules
from tito.release import grading_weights, make_edition, notebook_text, strip_hidden_tests

NAME = "release"
ORDER = 70
HELP = "write the student edition: solutions stubbed, hidden tests removed"
DESCRIPTION = """\
Write the student edition of each module to assignments/release/NN_name/:

  name_dev.py     the dev file, each `### BEGIN SOLUTION` .. `### END SOLUTION` block
                  replaced by `raise NotImplementedError("<function>: not implemented yet")`
                  (the TODO and HINTS comments above it stay)
  name_dev.ipynb  the same as a notebook, with nbgrader cell metadata (read-only prose,
                  solution cells, graded checks) for nbgrader / JupyterHub
  README.md, module.yaml, tests/   the public tests: `### BEGIN HIDDEN TESTS` ..
                  `### END HIDDEN TESTS` blocks removed

An existing edition is a learner's work: it is replaced only with --force.

  tito release                         every module
  tito release --module activations    one module
  tito release --out /tmp/course       somewhere else

A learner's own edition is the same, made once by `tito start`, which also makes it
the edition every command of the clone uses. Without it, work in an edition with
--from release (or TINYTORCH_SOURCE=release); a clone holding only
assignments/release/ uses it without --from.
"""


def add_arguments(parser) -> None:
    parser.add_argument("module", nargs="?", help="module name or number (default: all)")
    parser.add_argument("--module", "-m", dest="module_opt", metavar="M", help="module name or number")
    parser.add_argument("--out", metavar="DIR", help="where to write (default: assignments/release)")
    parser.add_argument("--force", action="store_true", help="replace an existing edition (its changes are lost)")


def _write_module(module: Module, dest: Path, root: Path) -> tuple[int, int]:
    """Write one module's edition into the empty folder `dest`; (stubs, hidden blocks)."""
    shown = str(module.dev_file.relative_to(root))
    text = read_dev_file(module.dev_file, shown)
    edition = make_edition(text, shown, weights=grading_weights(module.tests_dir, text, root))
    dest.mkdir(parents=True)
    (dest / module.dev_file.name).write_text(edition.py, encoding="utf-8")
    (dest / module.dev_file.with_suffix(".ipynb").name).write_text(notebook_text(edition.notebook), encoding="utf-8")
    for extra in ("README.md", "module.yaml"):
        if (module.path / extra).exists():
            shutil.copy2(module.path / extra, dest / extra)
    hidden = edition.hidden_blocks
    for source in sorted(module.tests_dir.rglob("*")) if module.tests_dir.is_dir() else []:
        relative = source.relative_to(module.path)
        if "__pycache__" in relative.parts or source.is_dir():
            continue
        target = dest / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        if source.suffix == ".py":
            text, blocks = strip_hidden_tests(source.read_text(encoding="utf-8"), str(source.relative_to(root)))
            target.write_text(text, encoding="utf-8")
            hidden += blocks
        else:
            shutil.copy2(source, target)
    return len(edition.stubs), hidden


def write_edition(modules: list[Module], out: Path, root: Path, force: bool = False) -> list[tuple[Module, int, int]]:
    """Write the student edition of `modules` into `out`; (module, stubs, hidden blocks) each.

    Everything is built beside the destination first, so a broken module writes nothing;
    a folder that cannot be written (read-only, a full disk) is a TitoError, and a
    destination this call created is removed again (no empty assignments/release/ left).
    """
    existing = [out / m.folder for m in modules if (out / m.folder).exists()]
    if existing and not force:
        names = ", ".join(str(p) for p in existing)
        raise TitoError(f"the student edition already exists: {names}",
                        hint="a learner may be working in it; pass --force to replace it (their changes are lost)")
    created = [folder for folder in (out, *out.parents) if not folder.exists()]
    built = []
    try:
        out.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(prefix=".release-", dir=out) as tmp:
            for module in modules:
                stubs, hidden = _write_module(module, Path(tmp) / module.folder, root)
                built.append((module, stubs, hidden))
            for module, _, _ in built:
                final = out / module.folder
                if final.exists():
                    shutil.rmtree(final)
                (Path(tmp) / module.folder).rename(final)
    except OSError as exc:
        where = exc.filename or out
        raise TitoError(f"cannot write the student edition into {where}: {exc.strerror or exc}",
                        hint="free some disk space or make the folder writable (or choose another with --out); "
                             "no module of the edition was written") from None
    finally:
        for folder in created:  # innermost first: only folders this call made, and only if empty
            with contextlib.suppress(OSError):
                folder.rmdir()
    return built


def run(args) -> int:
    root = project_root()
    source = root / "assignments" / "source"
    if not source.is_dir():
        raise TitoError("no assignments/source/ here: the student edition is made from the authored modules")
    modules = select_modules(args.module_opt or args.module, source_dir=source)
    if not modules:
        raise TitoError("no modules in assignments/source/")
    out = Path(args.out).expanduser().resolve() if args.out else root / "assignments" / "release"
    if out == source or source in out.parents:
        raise TitoError(f"--out {out} is inside assignments/source/; choose another folder")
    built = write_edition(modules, out, root, args.force)
    table = Table(title=f"Student edition in {out}", title_justify="left")
    for column in ("module", "stubs", "hidden blocks removed", "files"):
        table.add_column(column, justify="left" if column in ("module", "files") else "right")
    for module, stubs, hidden in built:
        files = ", ".join(sorted(p.name for p in (out / module.folder).iterdir()))
        table.add_row(module.folder, str(stubs), str(hidden), files)
    console.print(table)
    if out == root / "assignments" / "release":
        console.print("A learner works in it after [bold]tito start[/] (every command then uses it); "
                      "or with [bold]--from release[/] on each command")
    else:
        console.print(f"Work in it with [bold]--from {out}[/] on each command (tito test, sync, jupyter, ...)")
    return 0
