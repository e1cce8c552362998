"""What a module offers to `tito check`, `tito plot` and `tito bench`, and the code they judge.

tito's commands never name a module. A module's feedback provider sits in its own
folder: `feedback.py`, or a `feedback/` package (its `__init__.py` gives the names below;
the package's other files import each other relatively). Both are instructor material,
not released: for a learner's edition, the provider of the same module in
`assignments/source` judges it. (A `feedback: dotted.name` in `module.yaml` still names
an importable provider elsewhere.) A provider defines any of

    check(ctx) -> report                       tito check <module>
    FIGURES = {name: what it shows}            the names tito plot --only accepts
    figures(ctx, names) -> [(name, Figure, status)]   tito plot <module>
    bench(ctx) -> report                       tito bench <module>

A report is any object with `.ok`, `.score`, `to_json()` and `__rich__()`;
`tito.card.Card` is a ready one. While a provider runs, `import tinytorch` gives the
learner's dev files as they are now, exported into a throwaway package
(`current_package`): the commands judge the code the learner is looking at, never an
older `tito sync`.
"""
from __future__ import annotations

import contextlib
import importlib
import importlib.util
import os
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from tito.console import TitoError
from tito.modules import Module, all_modules, find_module, project_root

DEFAULT_TIMEOUT = 10.0  # seconds for one call into the learner's code
MIN_STALL = 5.0  # seconds a command waits at least for progress (see `limited`)
WHAT = {"check": "report card", "figures": "figures", "bench": "benchmarks"}
COMMAND = {"check": "tito check", "figures": "tito plot", "bench": "tito bench"}


@dataclass
class Context:
    """What a provider is asked for; every field has the default a command gives it."""

    module: Module
    dtype: str = "float32"
    only: list[str] | None = None
    timeout: float = DEFAULT_TIMEOUT
    verbose: bool = False
    sizes: list[int] | None = None
    repeats: int = 5
    step: Callable[[str], None] = lambda what: None  # progress: what is being done now


def provider(module: Module):
    """The module's feedback provider (a Python module), or None: its own folder's
    feedback/ package or feedback.py, else the one its module.yaml declares."""
    package = module.path / "feedback" / "__init__.py"
    if package.exists():
        return _load_file(f"tinytorch_feedback_{module.name}", package, package=True)
    own = module.path / "feedback.py"
    if own.exists():
        return _load_file(f"tinytorch_feedback_{module.name}", own)
    name = module.meta.get("feedback")
    if not name:
        return None
    try:
        return importlib.import_module(str(name))
    except ImportError as error:
        raise TitoError(f"{module.folder}/module.yaml names feedback provider {name!r}, "
                        f"which cannot be imported: {error}") from None


def _load_file(name: str, path: Path, package: bool = False):
    """The Python file `path` imported once as the module `name` (`package`: the
    `__init__.py` of a package whose other files it may import relatively)."""
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(
        name, path, submodule_search_locations=[str(path.parent)] if package else None)
    found = importlib.util.module_from_spec(spec)
    sys.modules[name] = found
    try:
        spec.loader.exec_module(found)
    except BaseException:
        del sys.modules[name]
        raise
    return found


def judging_provider(module: Module):
    """The provider that judges `module`: its own, else (a learner's edition, which carries
    no feedback) the provider of the same module folder in assignments/source; or None."""
    found = provider(module)
    source = project_root() / "assignments" / "source"
    if found is not None or not source.is_dir() or module.path.parent.resolve() == source.resolve():
        return found
    twin = source / module.folder
    return provider(find_module(module.folder, source)) if twin.is_dir() else None


def feedback_module(name: str):
    """The feedback provider of the module `name` (e.g. "conv"), for its chapter's plot cells
    and the milestones; a TitoError when it has none."""
    found = judging_provider(find_module(name))
    if found is None:
        raise TitoError(f"module {name} has no feedback provider")
    return found


def offering(module: Module, what: str):
    """The provider's `what` (check, figures or bench) for `module`, or a clear TitoError."""
    found = judging_provider(module)
    if found is not None and hasattr(found, what):
        return found
    others = [m.name for m in offering_modules(what)]
    raise TitoError(f"module {module.number} {module.name} has no {WHAT[what]} ({COMMAND[what]})",
                    hint=f"modules with {WHAT[what]}: {', '.join(others) or 'none yet'}")


def _offers(module: Module, what: str) -> bool:
    try:
        found = judging_provider(module)
    except TitoError:
        return False
    return found is not None and hasattr(found, what)


def offering_modules(what: str) -> list[Module]:
    """Every module of the workspace that offers `what`, in order."""
    return [m for m in all_modules() if _offers(m, what)]


@contextlib.contextmanager
def current_package(module: Module):
    """`import tinytorch` gives the workspace's dev files as they are now, inside this block.

    The dev files are exported into a temporary copy of the package, put first on
    sys.path and PYTHONPATH (worker processes see it too); any tinytorch imported before
    is forgotten. A dev file of `module` (or of what it builds on) that does not export is
    a TitoError naming its file and line, never a result from an older package.
    """
    from tito.export import build_package, workspace_exports

    root = project_root()
    wanted = [m for m in all_modules() if m.number <= module.number]
    exports = workspace_exports(root, wanted)
    saved_path, saved_env = list(sys.path), os.environ.get("PYTHONPATH")
    from tito.watchdog import remove_on_hard_stop

    with tempfile.TemporaryDirectory(prefix="tinytorch-current-") as tmp, remove_on_hard_stop(tmp):
        package_dir = build_package(Path(tmp), exports, root)
        saved_modules = _forget_tinytorch()
        sys.path.insert(0, str(package_dir))
        os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(package_dir), saved_env]))
        try:
            yield package_dir
        finally:
            _forget_tinytorch()
            sys.modules.update(saved_modules)  # whoever imported tinytorch before keeps its classes
            sys.path[:] = saved_path
            if saved_env is None:
                os.environ.pop("PYTHONPATH", None)
            else:
                os.environ["PYTHONPATH"] = saved_env


@contextlib.contextmanager
def limited(ctx: Context, command: str):
    """The provider's calls into the learner's code, inside this block, stop after
    `ctx.timeout` seconds without progress (at least MIN_STALL: importing NumPy and SciPy
    on a loaded machine is not an endless loop) with a TitoError naming where the code was.

    Progress is a step the provider reports (`ctx.step`) or a check it starts
    (`tito.card.attempt`); a provider that runs code under limits of its own (worker
    processes, `tito.children.run`) lifts this one meanwhile, and so does the first
    import of a library (anything but tinytorch).
    """
    from tito import watchdog

    step = ctx.step

    def stepped(what: str) -> None:
        watchdog.progress()
        step(what)

    ctx.step = stepped
    try:
        with watchdog.libraries_unlimited(), watchdog.time_limit(max(MIN_STALL, ctx.timeout)):
            yield
    except watchdog.TimeLimit as stop:
        raise stopped(command, ctx.module.name, stop.seconds, stop.where) from None
    finally:
        ctx.step = step


def stopped(command: str, module: str, seconds: float, where: str) -> TitoError:
    """The error of a command whose call into the learner's code ran out of time."""
    return TitoError(f"{command} {module}: stopped, your code ran {seconds:g} s without finishing "
                     f"(an endless loop?) at {where or 'an unknown place'}",
                     hint="fix the loop, or raise the limit with --timeout")


def _forget_tinytorch() -> dict:
    """Take every imported tinytorch module out of sys.modules; return them."""
    gone = {n: m for n, m in sys.modules.items() if n == "tinytorch" or n.startswith("tinytorch.")}
    for name in gone:
        del sys.modules[name]
    importlib.invalidate_caches()
    return gone
