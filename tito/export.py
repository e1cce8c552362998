"""Turning dev files into package code: the one exporter behind sync, test and grade.

A dev file is a jupytext percent-format script. Its cells follow nbdev's directives:
`#| default_exp core.activations` (once) names the target module, `#| export` marks a cell
for the package (`#| exporti` too, kept out of `__all__`), `#| hide` only hides a cell from
readers. Lines `### BEGIN SOLUTION` / `### END SOLUTION` (nbgrader's markers) are dropped;
the code between them is kept. So are the learner's scaffolding comments (`# TODO:`,
`# APPROACH:`, `# HINTS:` and their indented continuation lines): the package carries
finished code, not exercises. `__all__` lists the names of `#| export` cells only.

Nothing is written until every dev file involved has parsed, and each file is replaced
atomically (write beside it, then `os.replace`), so an error never leaves a half-written
package.
"""
from __future__ import annotations

import ast
import importlib.util
import os
import re
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from tito.console import TitoError
from tito.modules import Module

_DIRECTIVE = re.compile(r"^\s*#\|\s*([A-Za-z_][\w-]*)\s*(.*?)\s*$")
_MARKER = re.compile(r"^\s*### (BEGIN|END) SOLUTION\s*$")
_SCAFFOLD = re.compile(r"^\s*# (TODO|APPROACH|HINTS)\b")
_CONTINUED = re.compile(r"^\s*#( {2,}|\t)\S")  # "#   2. then ..." under a TODO or HINTS line
EXPORT_DIRECTIVES = {"export", "exporti"}


@dataclass(frozen=True)
class Export:
    """The package code made from one dev file."""

    dev_file: Path
    target: str  # dotted name inside the package, e.g. "core.activations"
    code: str

    @property
    def relative_path(self) -> Path:
        return Path("tinytorch", *self.target.split(".")).with_suffix(".py")

    @property
    def module_name(self) -> str:
        return f"tinytorch.{self.target}"


def split_directives(source: str) -> tuple[dict[str, str], str]:
    """The `#| name args` lines at the top of a cell, and the rest of the cell."""
    lines = source.splitlines()
    directives: dict[str, str] = {}
    body_start = 0
    for i, line in enumerate(lines):
        match = _DIRECTIVE.match(line)
        if match:
            directives[match[1]] = match[2]
            body_start = i + 1
        elif line.strip():
            break
    return directives, "\n".join(lines[body_start:])


def strip_solution_markers(code: str) -> str:
    return "\n".join(line for line in code.splitlines() if not _MARKER.match(line))


def strip_scaffolding(code: str) -> str:
    """`code` without the TODO / APPROACH / HINTS comment blocks written for learners."""
    kept, inside = [], False
    for line in code.splitlines():
        if _SCAFFOLD.match(line):
            inside = True
        elif not (inside and _CONTINUED.match(line)):
            inside = False
            kept.append(line)
    return "\n".join(kept)


def _public_names(code: str) -> list[str]:
    names = []
    for node in ast.parse(code).body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.append(node.name)
        elif isinstance(node, ast.Assign):
            names += [t.id for t in node.targets if isinstance(t, ast.Name)]
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names.append(node.target.id)
    return [n for n in dict.fromkeys(names) if not n.startswith("_")]


def _display(path: Path, root: Path | None) -> str:
    try:
        return str(path.resolve().relative_to(root.resolve())) if root else str(path)
    except ValueError:
        return str(path)


def export_dev_file(dev_file: Path, root: Path | None = None) -> Export:
    """Read one dev file and make its package code; TitoError (file and line) if it is broken."""
    shown = _display(dev_file, root)
    if not dev_file.exists():
        raise TitoError(f"{shown} does not exist", hint="restore it with git, or create the module first")
    text = dev_file.read_text(encoding="utf-8")
    try:
        compile(text, shown, "exec", dont_inherit=True)
    except SyntaxError as exc:
        raise TitoError(
            f"{shown}:{exc.lineno}: {exc.msg}",
            hint="fix the dev file; nothing in the package was changed",
        ) from None
    import jupytext  # imported here: it costs every tito command about a second otherwise

    try:
        notebook = jupytext.reads(text, fmt="py:percent")
    except Exception as exc:  # jupytext reports malformed headers in many ways
        raise TitoError(f"{shown}: not a readable jupytext percent file: {exc}") from None

    target = None
    exported: list[tuple[str, bool]] = []  # (code, public)
    for cell in notebook.cells:
        if cell.cell_type != "code":
            continue
        directives, body = split_directives(cell.source)
        if "default_exp" in directives:
            if target is not None:
                raise TitoError(f"{shown}: more than one `#| default_exp` directive")
            target = directives["default_exp"]
        kinds = EXPORT_DIRECTIVES & directives.keys()
        if kinds:
            exported.append((strip_scaffolding(strip_solution_markers(body)).strip("\n"), "export" in kinds))
    if not target or not re.fullmatch(r"[a-z_][a-z0-9_]*(\.[a-z_][a-z0-9_]*)*", target):
        raise TitoError(
            f"{shown}: missing or invalid `#| default_exp` directive (found {target!r})",
            hint="put `#| default_exp core.<name>` in the first code cell",
        )
    public = []
    for code, is_public in exported:
        if is_public:
            public += _public_names(code)
    relative_source = _display(dev_file, root)
    header = (
        f"# Generated by `tito sync` from {relative_source}.\n"
        "# Do not edit: change the dev file, then run `tito sync`.\n\n"
        f"__all__ = {sorted(dict.fromkeys(public))!r}\n"
    )
    code = header + "".join(f"\n\n{body}\n" for body, _ in exported)
    compile(code, str(dev_file), "exec", dont_inherit=True)
    return Export(dev_file, target, code)


def export_modules(modules: list[Module], root: Path | None = None) -> list[Export]:
    """Export every module's dev file; the first broken one stops everything."""
    return [export_dev_file(m.dev_file, root) for m in modules if m.dev_file.exists()]


def _ensure_package_dirs(package_root: Path, relative: Path) -> None:
    folder = package_root
    for part in relative.parent.parts:
        folder = folder / part
        folder.mkdir(exist_ok=True)
        init = folder / "__init__.py"
        if not init.exists():
            init.write_text("", encoding="utf-8")


def _atomic_write(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_exports(exports: list[Export], package_root: Path) -> list[Path]:
    """Write each export under `package_root` (the folder holding `tinytorch/`); changed files only."""
    written = []
    for export in exports:
        path = package_root / export.relative_path
        if path.exists() and path.read_text(encoding="utf-8") == export.code:
            continue
        _ensure_package_dirs(package_root, export.relative_path)
        _atomic_write(path, export.code)
        written.append(path)
    return written


def stale_exports(exports: list[Export], package_root: Path) -> list[Export]:
    """The exports whose file in the package differs from what the dev file makes."""
    stale = []
    for export in exports:
        path = package_root / export.relative_path
        if not path.exists() or path.read_text(encoding="utf-8") != export.code:
            stale.append(export)
    return stale


def build_package(dest: Path, exports: list[Export], root: Path) -> Path:
    """A complete copy of the package in `dest`, with `exports` written over it.

    `tito test` and `tito grade` put `dest` first on PYTHONPATH, so the tests see the dev
    files as they are now, without touching the learner's package.
    """
    shutil.copytree(
        root / "tinytorch", dest / "tinytorch", dirs_exist_ok=True,
        ignore=shutil.ignore_patterns("__pycache__", "*.pyc"),
    )
    write_exports(exports, dest)
    return dest


def staleness_note(module: Module, root: Path, purpose: str) -> str | None:
    """A line for the learner when the importable package is not what `module`'s dev file makes now.

    `purpose` finishes the advice, e.g. "check your latest code". None when they agree, or
    when there is nothing to compare (no dev file, no importable tinytorch).
    """
    try:
        spec = importlib.util.find_spec("tinytorch")
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations or not module.dev_file.exists():
        return None
    package_root = Path(list(spec.submodule_search_locations)[0]).parent
    try:
        export = export_dev_file(module.dev_file, root)
    except TitoError as error:
        return f"note: {error.message}; using the package as it is"
    if not stale_exports([export], package_root):
        return None
    target, dev = package_root / export.relative_path, module.dev_file.name
    advice = f"run `tito sync` to {purpose}"
    if not target.exists():
        return f"note: {export.module_name} does not exist yet: {advice}"
    if target.stat().st_mtime < module.dev_file.stat().st_mtime:
        return f"note: {export.module_name} is older than {dev}: {advice}"
    return f"note: {export.module_name} differs from {dev}: {advice}"
