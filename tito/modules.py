"""Where the project is, which folder of modules is worked in, and which modules it has.

A module is a folder `NN_name/` holding `name_dev.py`, `README.md`, `module.yaml` (its
title and the names it adds to the namespaces, see `tito.namespaces`) and `tests/`.
Users name a module by its name, its number (`02` or `2`) or its folder (`NN_name`); `find_module`
accepts all of them and explains what it knows otherwise.

The workspace (the edition) is the folder of modules that `tito sync`, `tito test`,
`tito check` and the others work on: `assignments/source` (the reference solutions),
`assignments/release` (the student edition: a learner's own, made by `tito start` or
`tito release`), or any folder of module folders. It is chosen by `--from` on a command,
else by the environment variable TINYTORCH_SOURCE, else by the file `.tito/workspace` in
the clone (git-ignored; `tito start` writes it, so a learner's clone works on their own
edition from then on), else it is `assignments/source`, or `assignments/release` in a
clone that has only the student edition. Every command that judges or exports code
says first which edition it works on (`announce`).
"""
from __future__ import annotations

import difflib
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from tito.console import TitoError

_MODULE_DIR = re.compile(r"^(\d{2})_([a-z][a-z0-9_]*)$")


WORKSPACE_ENV = "TINYTORCH_SOURCE"
WORKSPACE_NAMES = ("source", "release")  # shortcuts for assignments/source, assignments/release
WORKSPACE_FILE = Path(".tito", "workspace")  # in the clone, git-ignored: the edition `tito start` chose
_chosen_by = ""  # "--from" once a command's --from chose the workspace (see use_workspace)


def project_root() -> Path:
    """The TinyTorch checkout: $TINYTORCH_ROOT, else the folder holding this tito."""
    env = os.environ.get("TINYTORCH_ROOT")
    root = Path(env).resolve() if env else Path(__file__).resolve().parents[1]
    if not any((root / "assignments" / name).is_dir() for name in WORKSPACE_NAMES):
        raise TitoError(
            f"{root} is not a TinyTorch checkout (no assignments/source/ folder)",
            hint="run tito from a TinyTorch clone, or set TINYTORCH_ROOT to one",
        )
    return root


def resolve_workspace(spec: str, root: Path | None = None) -> Path:
    """The folder of modules `spec` names: 'source', 'release', or a path (from here or the root)."""
    root = root or project_root()
    if spec in WORKSPACE_NAMES:
        path = root / "assignments" / spec
    else:
        given = Path(spec).expanduser()
        path = given if given.is_absolute() or given.exists() else root / given
    path = path.resolve()
    if not path.is_dir():
        hint = ("make your edition with `tito start` (or the student edition with `tito release`)"
                if spec == "release"
                else "name a folder of module folders (NN_name/), 'source' or 'release'")
        raise TitoError(f"workspace {spec!r} does not exist ({path})", hint=hint)
    if not any(_MODULE_DIR.match(p.name) and p.is_dir() for p in path.iterdir()):
        raise TitoError(f"workspace {path} holds no module folders (NN_name/)",
                        hint="name a folder of module folders, 'source' or 'release'")
    return path


def use_workspace(spec: str | None) -> None:
    """Work in `spec` from now on (a command's --from); its subprocesses inherit the choice."""
    global _chosen_by
    if spec:
        os.environ[WORKSPACE_ENV] = str(resolve_workspace(spec))
        _chosen_by = "--from"


def recorded_workspace(root: Path | None = None) -> str | None:
    """The edition `.tito/workspace` names (written by `tito start`), or None."""
    root = root or project_root()
    try:
        text = (root / WORKSPACE_FILE).read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError):
        return None
    return text or None


def record_workspace(spec: str, root: Path | None = None) -> Path:
    """Make `spec` the edition every command of this clone uses (`.tito/workspace`)."""
    root = root or project_root()
    path = root / WORKSPACE_FILE
    try:
        path.parent.mkdir(exist_ok=True)
        path.write_text(spec + "\n", encoding="utf-8")
    except OSError as exc:
        raise TitoError(f"cannot write {WORKSPACE_FILE}: {exc.strerror}",
                        hint=f"make the clone writable, or use --from {spec} on every command") from None
    return path


def _default_workspace(root: Path) -> Path:
    source = root / "assignments" / "source"
    return source if source.is_dir() else root / "assignments" / "release"


def workspace_dir(root: Path | None = None) -> Path:
    """The folder of modules commands work on (see the module docstring)."""
    root = root or project_root()
    chosen = os.environ.get(WORKSPACE_ENV) or recorded_workspace(root)
    if chosen:
        return resolve_workspace(chosen, root)
    return _default_workspace(root)


def workspace_flag(root: Path | None = None) -> str:
    """' --from DIR' when commands work in a workspace other than this clone's default, else ''.

    Advice such as "run tito sync" carries it, so that obeying it exports the workspace
    judged now, never the reference solutions over a learner's work. The clone's default
    is the edition `tito start` recorded, else assignments/source.
    """
    chosen = os.environ.get(WORKSPACE_ENV)
    if not chosen:
        return ""
    root = root or project_root()
    path = resolve_workspace(chosen, root)
    recorded = recorded_workspace(root)
    default = resolve_workspace(recorded, root) if recorded else _default_workspace(root).resolve()
    if path == default:
        return ""
    for name in WORKSPACE_NAMES:
        if path == (root / "assignments" / name).resolve():
            return f" --from {name}"
    return f" --from {path}"


def shown_path(path: Path, root: Path) -> str:
    """`path` relative to the clone when it is inside it, else as it is."""
    try:
        return str(path.resolve().relative_to(root.resolve()))
    except ValueError:
        return str(path)


def is_reference(path: Path, root: Path | None = None) -> bool:
    """Whether `path` is the reference solutions, assignments/source (which git keeps)."""
    root = root or project_root()
    return path.resolve() == (root / "assignments" / "source").resolve()


def describe_workspace(path: Path | None = None, root: Path | None = None, how: bool = True) -> str:
    """Which edition `path` (default: the workspace) is, in a few words a first line can hold:
    'your edition (assignments/release, set by `tito start`)', 'the reference solutions
    (assignments/source; yours: `tito start`)'."""
    root = root or project_root()
    current = path is None
    path = (path or workspace_dir(root)).resolve()
    where = shown_path(path, root)
    if is_reference(path, root):
        what = "the reference solutions"
    elif path == (root / "assignments" / "release").resolve():
        what = "your edition"
    else:
        what = "the modules in"
    if not how:
        return f"{what} {where}" if what.endswith(" in") else f"{what} ({where})"
    reason = ""
    if current and _chosen_by:
        reason = "--from"
    elif current and os.environ.get(WORKSPACE_ENV):
        reason = f"${WORKSPACE_ENV}"
    elif current and recorded_workspace(root):
        reason = "`tito start`"
    if what.endswith(" in"):
        return f"{what} {where}" + (f" (set by {reason})" if reason else "")
    if reason:
        return f"{what} ({where}, set by {reason})"
    if what == "the reference solutions" and (root / "assignments" / "source").is_dir():
        return f"{what} ({where}; yours: `tito start`)"
    return f"{what} ({where})"


def announce(doing: str, json_output: bool = False) -> None:
    """The first line of a command that judges or exports code: which edition it works on,
    e.g. announce("testing") -> 'testing your edition (assignments/release, set by
    `tito start`)'. On stderr when stdout carries JSON."""
    from rich.markup import escape

    from tito.console import console, err_console

    (err_console if json_output else console).print(f"[bold]{escape(doing)}[/] {escape(describe_workspace())}",
                                                     soft_wrap=True)


def add_workspace_argument(parser) -> None:
    """The --from option of the commands that work on a learner's modules."""
    parser.add_argument(
        "--from", dest="workspace", metavar="DIR",
        help="the edition to work on: 'source' (the reference solutions), 'release' (the "
             "student edition, yours after `tito start`) or a folder of module folders; also "
             f"${WORKSPACE_ENV}. Default: the one `tito start` chose, else 'source'")


@dataclass(frozen=True)
class Module:
    number: str          # "02"
    name: str            # "activations"
    path: Path           # .../assignments/source/NN_name
    meta: dict = field(default_factory=dict, compare=False, hash=False)

    @property
    def folder(self) -> str:
        return f"{self.number}_{self.name}"

    @property
    def dev_file(self) -> Path:
        return self.path / f"{self.name}_dev.py"

    @property
    def tests_dir(self) -> Path:
        return self.path / "tests"

    @property
    def title(self) -> str:
        return str(self.meta.get("title", self.name.title()))



def read_yaml(file: Path) -> dict:
    """The mapping a YAML file holds ({} when it is missing or holds none); TitoError when it is not YAML."""
    if not file.exists():
        return {}
    try:
        data = yaml.safe_load(file.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise TitoError(f"{file} is not valid YAML: {exc}") from None
    return data if isinstance(data, dict) else {}


def all_modules(source_dir: Path | None = None) -> list[Module]:
    """Every module folder in the workspace (or in `source_dir`), in order."""
    source_dir = source_dir or workspace_dir()
    found = []
    for path in sorted(source_dir.iterdir()) if source_dir.is_dir() else []:
        match = _MODULE_DIR.match(path.name)
        if match and path.is_dir():
            found.append(Module(match[1], match[2], path, read_yaml(path / "module.yaml")))
    return found


def find_module(spec: str, source_dir: Path | None = None) -> Module:
    """The module a user means by `spec`, or a TitoError listing the known ones."""
    modules = all_modules(source_dir)
    wanted = spec.strip().lower().rstrip("/")
    wanted = Path(wanted).name if "/" in wanted else wanted
    for module in modules:
        names = {module.name, module.number, module.folder, str(int(module.number))}
        if wanted in names:
            return module
    known = ", ".join(f"{m.number} {m.name}" for m in modules) or "none"
    candidates = [m.name for m in modules] + [m.folder for m in modules]
    close = difflib.get_close_matches(wanted, candidates, n=1, cutoff=0.5)
    hint = f"did you mean '{close[0]}'?" if close else "name a module by name or number, e.g. 'activations' or '02'"
    raise TitoError(f"unknown module '{spec}'. Known modules: {known}", hint=hint)


def select_modules(spec: str | None, all_: bool = False, source_dir: Path | None = None) -> list[Module]:
    """The modules a command works on: one named module, or all of them."""
    if spec and not all_:
        return [find_module(spec, source_dir)]
    return all_modules(source_dir)
