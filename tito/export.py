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
import os
import re
import shutil
import stat
import tempfile
from dataclasses import dataclass
from pathlib import Path

from tito.console import TitoError
from tito.modules import Module, shown_path

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
    dev_lines: tuple[int, ...] = ()  # line of the dev file behind each line of `code` (0: none)

    @property
    def relative_path(self) -> Path:
        return Path("tinytorch", *self.target.split(".")).with_suffix(".py")

    @property
    def source_label(self) -> str:
        """The dev file as the generated header names it."""
        return exported_from_header(self.code) or str(self.dev_file)

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


_CELL = re.compile(r"^# %%(?:\s|$)")
_TEXT_CELL = re.compile(r"^# %%.*\[(markdown|md|raw)\]")


def code_cells(text: str) -> list[str]:
    """The sources of the code cells of a jupytext percent-format file, in order.

    Read here rather than through jupytext, whose import alone costs every command that
    reads a dev file about a second: a cell starts at a `# %%` line (`[markdown]` or
    `[raw]` after it for text cells), after the optional `# ---` header. The tests
    compare the result with jupytext's own reading of every dev file.
    """
    lines = text.splitlines()
    start = 0
    if lines and lines[0].rstrip() == "# ---":
        end = next((i for i in range(1, len(lines)) if lines[i].rstrip() == "# ---"), None)
        start = end + 1 if end is not None else 0
    cells, current, is_code = [], [], True
    for line in lines[start:] + ["# %%"]:
        if _CELL.match(line):
            source = "\n".join(current).strip("\n")
            if is_code and source.strip():
                cells.append(source)
            current, is_code = [], not _TEXT_CELL.match(line)
        else:
            current.append(line)
    return cells


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


def _public_names(tree: ast.Module, public_lines) -> list[str]:
    """The names the top-level statements of `tree` on `public_lines` define."""
    names = []
    for node in tree.body:
        if node.lineno not in public_lines:
            continue
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.append(node.name)
        elif isinstance(node, ast.Assign):
            names += [t.id for t in node.targets if isinstance(t, ast.Name)]
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names.append(node.target.id)
    return [n for n in dict.fromkeys(names) if not n.startswith("_")]


MAX_CELL_CHARS = 200_000  # ten times the largest cell of any module: code, not data


def _refuse_huge_cells(text: str, cells: list[str], shown: str) -> None:
    """A TitoError for a code cell too large to be code: parsing one of millions of numbers
    takes minutes and gigabytes, so it is refused before anything parses it."""
    for source in cells:
        if len(source) > MAX_CELL_CHARS:
            line = text.count("\n", 0, text.find(source[:1000])) + 1
            raise TitoError(f"{shown}:{line}: a code cell of {len(source):,} characters (at most "
                            f"{MAX_CELL_CHARS:,}): it holds data, not code",
                            hint="save the data in a file (np.save) and load it in the cell; "
                                 "nothing in the package was changed")


def read_dev_file(dev_file: Path, shown: str) -> str:
    """The text of a dev file; a TitoError naming the file (and line) when it cannot be read."""
    try:
        data = dev_file.read_bytes()
    except IsADirectoryError:
        raise TitoError(f"{shown} is a folder, not a dev file") from None
    except PermissionError:
        raise TitoError(f"{shown} cannot be read (permission denied)",
                        hint=f"give yourself read access: chmod u+r {shown}") from None
    except OSError as exc:
        raise TitoError(f"{shown} cannot be read: {exc.strerror}") from None
    if data.startswith(b"\xef\xbb\xbf"):  # a UTF-8 byte-order mark: accepted, as Python accepts it
        data = data[3:]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise TitoError(f"{shown}:{line}: not UTF-8 text (byte 0x{data[exc.start]:02x})",
                        hint="save the file as UTF-8 in your editor") from None
    if "\0" in text:
        line = text.count("\n", 0, text.index("\0")) + 1
        raise TitoError(f"{shown}:{line}: a NUL byte (\\0) in the file", hint="remove it in your editor")
    return text


def export_dev_file(dev_file: Path, root: Path | None = None) -> Export:
    """Read one dev file and make its package code; TitoError (file and line) if it is broken."""
    shown = shown_path(dev_file, root) if root else str(dev_file)
    if not dev_file.exists():
        raise TitoError(f"{shown} does not exist", hint="restore it with git, or create the module first")
    text = read_dev_file(dev_file, shown)
    cells = code_cells(text)
    _refuse_huge_cells(text, cells, shown)
    try:
        compile(text, shown, "exec", dont_inherit=True)
    except SyntaxError as exc:
        raise TitoError(f"{shown}:{exc.lineno}: {exc.msg}",
                        hint="fix the dev file; nothing in the package was changed") from None
    target = None
    exported: list[tuple[str, bool]] = []  # (code, public)
    for source in cells:
        directives, body = split_directives(source)
        if "default_exp" in directives:
            if target is not None:
                raise TitoError(f"{shown}: more than one `#| default_exp` directive")
            target = directives["default_exp"]
        kinds = EXPORT_DIRECTIVES & directives.keys()
        if kinds:
            exported.append((strip_scaffolding(strip_solution_markers(body)).strip("\n"), "export" in kinds))
    if not target or not re.fullmatch(r"[a-z_][a-z0-9_]*(\.[a-z_][a-z0-9_]*)*", target):
        raise TitoError(f"{shown}: missing or invalid `#| default_exp` directive (found {target!r})",
                        hint="put `#| default_exp core.<name>` in the first code cell")
    header = (f"# Generated by `tito sync` from {shown}.\n"
              "# Do not edit: change the dev file, then run `tito sync`.\n\n")
    body, public_lines, line = "", set(), header.count("\n") + 2
    for code, is_public in exported:
        cell = f"\n\n{code}\n"
        if is_public:
            public_lines.update(range(line + 2, line + cell.count("\n")))
        body += cell
        line += cell.count("\n")
    # One parse of the exported code alone: it must stand without the other cells, and its
    # tree names what `__all__` lists (the whole dev file was compiled once above).
    try:
        tree = ast.parse(header + "__all__ = []\n" + body, str(dev_file))
    except SyntaxError as exc:
        raise TitoError(f"{shown}: the exported cells do not compile on their own: {exc.msg}",
                        hint="an exported cell needs something from a cell that is not exported; "
                             "nothing in the package was changed") from None
    code = header + f"__all__ = {sorted(_public_names(tree, public_lines))!r}\n" + body
    return Export(dev_file, target, code, _line_map(code, text))


_HEADER = re.compile(r"^# Generated by `tito sync` from (.+)\.$", re.M)


def exported_from_header(code: str) -> str | None:
    match = _HEADER.search(code[:500])
    return match[1] if match else None


def exported_from(path: Path) -> str | None:
    """The dev file a generated package file names as its source, if it names one."""
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            return exported_from_header(handle.read(500))
    except OSError:
        return None


def _line_map(code: str, dev_text: str) -> tuple[int, ...]:
    """For each line of the generated code, the dev file line it came from (0: generated).

    Exported cells appear in the package in dev-file order, each a contiguous run of its
    cell's lines less the dropped ones, so a forward scan pairs every line with its source.
    """
    dev = dev_text.splitlines()
    found, at = [], 0
    for line in code.splitlines():
        i = next((i for i in range(at, len(dev)) if dev[i] == line), None) if line.strip() else None
        found.append(0 if i is None else i + 1)
        at = at if i is None else i + 1
    return tuple(found)


def export_modules(modules: list[Module], root: Path | None = None) -> list[Export]:
    """Export every module's dev file; the first broken or missing one stops everything."""
    return [export_dev_file(m.dev_file, root) for m in modules]


def _ensure_package_dirs(package_root: Path, relative: Path) -> None:
    folder = package_root
    for part in relative.parent.parts:
        folder = folder / part
        folder.mkdir(exist_ok=True)
        init = folder / "__init__.py"
        if not init.exists():
            init.write_text("", encoding="utf-8")


def _new_file_mode() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return 0o644 & ~umask


def _stage(path: Path, text: str) -> Path:
    """Write `text` beside `path` in a temporary file with the mode `path` has (new: 0644)."""
    mode = stat.S_IMODE(path.stat().st_mode) if path.exists() else _new_file_mode()
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
        os.chmod(tmp, mode)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return Path(tmp)


def _unchanged(path: Path, code: str) -> bool:
    try:
        return path.read_text(encoding="utf-8") == code
    except (OSError, UnicodeDecodeError):
        return False


def write_exports(exports: list[Export], package_root: Path) -> list[Path]:
    """Write each export under `package_root` (the folder holding `tinytorch/`); changed files only.

    All or nothing: every changed file is first written beside its target, and only when
    all of them are written are they moved into place (`os.replace`), so a full disk or a
    folder that cannot be written leaves the package as it was. A replaced file keeps its
    mode; a new one gets 0644 (less the umask). A read-only package file is refused.
    """
    changed = [(e, package_root / e.relative_path) for e in stale_exports(exports, package_root)]
    for _, path in changed:
        if path.exists() and not path.stat().st_mode & stat.S_IWUSR:
            raise TitoError(f"{path} is read-only; nothing in the package was changed",
                            hint=f"make it writable (chmod u+w {path}) and sync again")
    staged: list[tuple[Path, Path]] = []
    try:
        for export, path in changed:
            _ensure_package_dirs(package_root, export.relative_path)
            staged.append((_stage(path, export.code), path))
    except BaseException as exc:  # a full disk, a folder we cannot write, or Ctrl-C: nothing is left behind
        for tmp, _ in staged:
            tmp.unlink(missing_ok=True)
        if not isinstance(exc, OSError):
            raise
        where = exc.filename or package_root / "tinytorch"
        raise TitoError(f"cannot write into {where}: {exc.strerror}; nothing in the package was changed",
                        hint="free some disk space or fix the folder's permissions, then sync again") from None
    before = {path: path.read_bytes() if path.exists() else None for _, path in staged}
    replaced: list[Path] = []
    try:
        for tmp, path in staged:
            os.replace(tmp, path)
            replaced.append(path)
    except BaseException as exc:  # rare (a folder made read-only meanwhile, Ctrl-C): put back what was replaced
        for tmp, _ in staged:
            tmp.unlink(missing_ok=True)
        for path in replaced:
            if before[path] is None:
                path.unlink(missing_ok=True)
            else:
                os.replace(_stage(path, before[path].decode("utf-8")), path)
        if not isinstance(exc, OSError):
            raise
        raise TitoError(f"cannot replace {exc.filename or package_root / 'tinytorch'}: {exc.strerror}; "
                        "nothing in the package was changed",
                        hint="fix the folder's permissions, then sync again") from None
    return [path for _, path in staged]


def stale_exports(exports: list[Export], package_root: Path) -> list[Export]:
    """The exports whose file in the package differs from what the dev file makes."""
    return [export for export in exports if not _unchanged(package_root / export.relative_path, export.code)]


def edition_of(origin: str, root: Path) -> Path:
    """The edition (folder of modules) of a dev file a generated header names."""
    path = Path(origin)
    return (path if path.is_absolute() else root / path).parent.parent.resolve()


def foreign_exports(exports: list[Export], root: Path) -> list[tuple[Export, Path]]:
    """The exports whose package file holds other code, exported from another edition that is
    not the reference solutions: a learner's work, which syncing `exports` would replace.
    (Code of assignments/source may be replaced: git keeps the reference.)"""
    found = []
    for export in exports:
        target = root / export.relative_path
        origin = exported_from(target)
        if origin is None or _unchanged(target, export.code):
            continue
        theirs, ours = edition_of(origin, root), export.dev_file.resolve().parent.parent
        if theirs != ours and theirs != (root / "assignments" / "source").resolve():
            found.append((export, theirs))
    return found


PACKAGE = "tinytorch"


def tracked_package_files(root: Path) -> list[Path] | None:
    """The files of the package git tracks (relative to `root`); None when `root` is not a
    git clone (or git is missing)."""
    import subprocess

    try:
        done = subprocess.run(["git", "-C", str(root), "ls-files", "-z", "--", PACKAGE], capture_output=True,
                              timeout=60)
    except (OSError, subprocess.TimeoutExpired):
        return None
    if done.returncode != 0:
        return None
    return [Path(name) for name in done.stdout.decode("utf-8", "surrogateescape").split("\0") if name]


def missing_package_files(root: Path, exports: list[Export] = ()) -> list[Path]:
    """The package files that should be there and are not: the files git tracks under
    tinytorch/ (without git: tinytorch/__init__.py at least) that none of `exports` makes."""
    made = {export.relative_path for export in exports}
    tracked = tracked_package_files(root)
    wanted = tracked if tracked is not None else [Path(PACKAGE, "__init__.py")]
    return [path for path in wanted if path not in made and not (root / path).exists()]


def _few(paths: list[Path]) -> str:
    return ", ".join(map(str, paths[:3])) + (f" and {len(paths) - 3} more" if len(paths) > 3 else "")


def restore_package_files(root: Path, paths: list[Path]) -> None:
    """Put the package files `paths` back as git has them (a deleted tinytorch/ made whole)."""
    import subprocess

    if not paths:
        return
    shown = _few(paths)
    if tracked_package_files(root) is None:
        raise TitoError(f"the package is missing {shown}, and this folder is not a git clone to restore it from",
                        hint="take tinytorch/ from a fresh copy of TinyTorch; nothing in the package was changed")
    try:
        done = subprocess.run(["git", "-C", str(root), "checkout", "HEAD", "--", *map(str, paths)],
                              capture_output=True, text=True, timeout=120)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise TitoError(f"cannot restore {shown} from git: {exc}") from None
    if done.returncode != 0:
        raise TitoError(f"cannot restore {shown} from git: {done.stderr.strip().splitlines()[-1:]}",
                        hint="restore them yourself: git checkout HEAD -- tinytorch")


def build_package(dest: Path, exports: list[Export], root: Path, modules: list[Module] | None = None) -> Path:
    """A complete copy of the package in `dest`, with `exports` and the namespaces they make
    (`tito.namespaces`; from the declarations of `modules`, the workspace's by default)
    written over it.

    `tito test` and `tito grade` put `dest` first on PYTHONPATH, so the tests see the dev
    files as they are now, without touching the learner's package. A package with files
    missing (a deleted tinytorch/) is a TitoError that names them and the command that
    rebuilds it, never a half package.
    """
    missing = missing_package_files(root, exports)
    if missing:
        whole = not (root / PACKAGE).is_dir()
        raise TitoError(f"the package {PACKAGE}/ is missing" if whole else f"the package is missing {_few(missing)}",
                        hint="`tito sync` rebuilds it whole (your dev files, and git for the rest)")
    from tito.namespaces import namespace_exports, stale_namespaces

    shutil.copytree(root / PACKAGE, dest / PACKAGE, dirs_exist_ok=True,
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    made = namespace_exports(exports, dest, root, modules)
    write_exports(exports + made, dest)
    for stale in stale_namespaces(made, dest):
        stale.unlink()
    for export in exports:
        _BUILT[str((dest / export.relative_path).resolve())] = export
    return dest


_BUILT: dict[str, Export] = {}  # generated file -> its export, for every package built here


def locate(filename: str, lineno: int) -> tuple[Path, int] | None:
    """The dev file and line behind line `lineno` of a generated package file, if known."""
    export = _BUILT.get(str(Path(filename).resolve())) or _synced(Path(filename))
    if export is None or not 0 < lineno <= len(export.dev_lines) or not export.dev_lines[lineno - 1]:
        return None
    return export.dev_file, export.dev_lines[lineno - 1]


def _synced(path: Path) -> Export | None:
    """The export behind a package file `tito sync` wrote, when its dev file still makes it."""
    from tito.modules import project_root

    key = str(path.resolve())
    if key not in _SYNCED:
        _SYNCED[key] = None
        source = exported_from(path) if path.suffix == ".py" else None
        try:
            root = project_root()
            export = export_dev_file(root / source, root) if source else None
            if export is not None and path.read_text(encoding="utf-8") == export.code:
                _SYNCED[key] = export
        except (TitoError, OSError, UnicodeDecodeError):
            pass
    return _SYNCED[key]


_SYNCED: dict[str, Export | None] = {}


def shown_location(filename: str, lineno: int) -> str:
    """'activations_dev.py:42' for a line of a generated file, else 'file.py:42'."""
    found = locate(filename, lineno)
    return f"{found[0].name}:{found[1]}" if found else f"{os.path.basename(filename)}:{lineno}"


def workspace_exports(root: Path, wanted: list[Module], warn=None) -> list[Export]:
    """The exports of every module in the workspace, as its dev files are now.

    A broken dev file stops everything when its module is in `wanted` (TitoError with file
    and line); another module's is reported through `warn(message)` and left out, so the
    package's copy of it is used.
    """
    from tito.modules import all_modules

    exports = []
    for module in all_modules():
        if not module.dev_file.exists():
            if module in wanted:
                raise TitoError(f"{shown_path(module.dev_file, root)} does not exist",
                                hint="restore it (git checkout, or tito release for a student edition)")
            continue
        try:
            exports.append(export_dev_file(module.dev_file, root))
        except TitoError as error:
            if module in wanted:
                raise
            if warn:
                warn(f"{error.message}; using the package's copy of {module.name}")
    return exports


def staleness_note(module: Module, root: Path, purpose: str) -> str | None:
    """A line for the learner when the package (`root`/tinytorch) is not what `module`'s dev
    file makes now: the dev file does not export (a syntax error: file and line), or the
    package's copy is missing, older or different. `purpose` finishes the advice, e.g. "run
    the milestones on your latest code". None when they agree or there is no dev file."""
    if not module.dev_file.exists():
        return None
    try:
        export = export_dev_file(module.dev_file, root)
    except TitoError as error:
        return (f"{error.message}: the package holds the {module.name} of your last sync; "
                f"fix the dev file, then `tito sync` to {purpose}")
    if not stale_exports([export], root):
        return None
    target, dev = root / export.relative_path, module.dev_file.name
    advice = f"`tito sync` to {purpose}"
    if not target.exists():
        return f"{export.module_name} is not in the package yet: {advice}"
    if target.stat().st_mtime < module.dev_file.stat().st_mtime:
        return f"{export.module_name} is older than {dev}: {advice}"
    return f"{export.module_name} differs from {dev}: {advice}"
