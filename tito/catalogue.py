"""Catalogues: the test of a module's tests.

A module's `catalogue.py` (instructor material, never released) lists realistic learner
MISTAKES, each of which its tests must catch, and correct VARIANTS, written differently
from the reference, which they must pass:

    from tito.catalogue import Mistake, Variant

    AT_LEAST = 15  # the catalogue keeps at least this many mistakes
    MISTAKES = [Mistake("relu_where_nan", "np.where(x > 0, x, 0) turns nan into 0", '''
    def relu(x):
        return Tensor(np.where(x.data > 0, x.data, 0))
    ''')]
    VARIANTS = [Variant(...)]

An entry's code is a whole rewrite of functions, as a learner writes them, applied to the
module `target` (default: the module's own `tinytorch.core.<name>`). A top-level `def f`
replaces the function `f` in place (its code object is swapped, so every `from ... import
f` sees it); `class C:` sets just the methods and attributes it defines on the existing
class `C` (in place too when it can); any other statement (a helper, an import, a
constant) runs in the module's namespace. Everything is put back after the entry.

How a module's catalogue runs (`run_catalogue`, one child process per module):
the package is built from the reference dev files once; pytest collects the module's
tests in that process, and the reference runs once, traced: for each test, which
functions of the package it calls, fixtures included. Then, entry by entry, the patch is
applied and only the tests that reach a patched function run, the quickest first: a
mistake stops at its first failure, a variant must pass them all. Variants run with
PyTorch present (the stricter case for correct code); mistakes with PyTorch hidden
(`import torch` fails, the `torch` fixture skips), so a mistake caught here is caught
with PyTorch too. Hypothesis runs the catalogues' fast profile. A test that runs longer
than `tito test` allows one test (its --timeout) is stopped as `tito test` stops it, and
a stopped test fails there too: a mistake that hangs counts as caught, a variant that
hangs as failing. After a mistake is caught, the test that caught it runs once more on
the restored reference, which must pass it (else the entry changed state it should not).
"""
from __future__ import annotations

import argparse
import ast
import contextlib
import functools
import importlib
import importlib.util
import inspect
import json
import os
import sys
import tempfile
import textwrap
import time
import types
from dataclasses import asdict, dataclass, field
from pathlib import Path

import pytest

from tito import PYTEST_PLUGINS, children
from tito.commands.test import DEFAULT_TIMEOUT as TEST_LIMIT  # what tito test allows one test
from tito.console import TitoError
from tito.modules import Module, find_module
from tito.testing import _import_torch, torch_hidden


@dataclass(frozen=True)
class Entry:
    """One rewrite of a module's code (see the module docstring)."""

    name: str
    what: str  # the mistake or the variant, in words
    code: str  # whole functions, methods or classes, as a learner writes them
    target: str | None = None  # the patched module; default tinytorch.core.<the module's name>

    kind = "entry"


class Mistake(Entry):
    """A learner's mistake: at least one of the module's tests must fail."""

    kind = "mistake"


class Variant(Entry):
    """A correct way to write the same code: every test must pass."""

    kind = "variant"


@dataclass
class Verdict:
    name: str
    kind: str
    what: str
    ok: bool  # a mistake caught, a variant passing
    outcome: str  # caught, missed, passes, fails, error
    test: str = ""  # the first failing test (or the one that stopped)
    message: str = ""
    tests: int = 0  # tests run
    seconds: float = 0.0  # wall clock
    cpu: float = 0.0  # this process's CPU time (steadier on a loaded machine)


@dataclass
class Result:
    module: str
    reference: list = field(default_factory=list)  # [(test, message)] the reference fails
    tests: int = 0  # tests collected
    seconds: float = 0.0  # the traced reference run: wall clock
    cpu: float = 0.0  # and CPU time
    verdicts: list[Verdict] = field(default_factory=list)
    at_least: int = 0
    error: str = ""  # the catalogue could not run at all


# -- patching by function ---------------------------------------------------------------------

def _inner(obj):
    """The plain function under decorators (functools.wraps chains, staticmethod, classmethod)."""
    if isinstance(obj, (staticmethod, classmethod)):
        obj = obj.__func__
    obj = inspect.unwrap(obj) if callable(obj) else obj
    return obj if isinstance(obj, types.FunctionType) else None


def _rebind_class_cell(function: types.FunctionType, cls: type) -> types.FunctionType:
    """`function` (defined in a throwaway class body) with its `__class__` cell (zero-argument
    super()) pointing at the real class."""
    if "__class__" not in function.__code__.co_freevars:
        return function
    cells = tuple(types.CellType(cls) if name == "__class__" else cell
                  for name, cell in zip(function.__code__.co_freevars, function.__closure__))
    new = types.FunctionType(function.__code__, function.__globals__, function.__name__,
                             function.__defaults__, cells)
    new.__kwdefaults__, new.__qualname__ = function.__kwdefaults__, function.__qualname__
    return new


def _codes_of(obj) -> set:
    """The code objects of a function or of every function a class defines."""
    if isinstance(obj, type):
        codes = set()
        for value in vars(obj).values():
            values = (value.fget, value.fset, value.fdel) if isinstance(value, property) else (value,)
            codes |= {f.__code__ for f in map(_inner, values) if f is not None}
        return codes
    function = _inner(obj)
    return {function.__code__} if function else set()


class Patch:
    """An entry applied to its module; `undo()` puts everything back. `codes` are the code
    objects whose callers must be tested; `wide` means any test reaching `module` must run."""

    def __init__(self, entry: Entry, module: types.ModuleType):
        self.module, self.codes, self.wide, self.replaced = module, set(), False, 0
        self._swapped: list[tuple] = []  # (function, code, defaults, kwdefaults)
        self._attributes: list[tuple] = []  # (owner, name, old value or _MISSING)
        self._namespace = dict(module.__dict__)
        try:
            tree = ast.parse(textwrap.dedent(entry.code))
            for statement in tree.body:
                code = compile(ast.Module([statement], []), f"<{entry.kind} {entry.name}>", "exec")
                if isinstance(statement, ast.ClassDef) and isinstance(self._namespace.get(statement.name), type):
                    self._patch_class(statement.name, code)
                else:
                    self._run(statement, code)
            if not self.replaced:
                raise ValueError(f"it replaces nothing in {module.__name__} (a misspelt name?)")
        except BaseException:
            self.undo()
            raise

    def _run(self, statement, code) -> None:
        namespace = self.module.__dict__
        before = dict(namespace)
        exec(code, namespace)
        for name, value in list(namespace.items()):
            old = before.get(name, _MISSING)
            if old is value or old is _MISSING:
                continue  # unchanged, or a new helper
            self.replaced += 1
            if self._swap(old, value):
                namespace[name] = old  # the original object, its code now the entry's
                continue
            self.wide = True  # a constant, a class, a closure replaced: every test of the module runs
            for other in _package_modules():  # and every `from ... import name` sees the new one
                if other is not self.module and vars(other).get(name) is old:
                    self._attributes.append((other, name, old))
                    setattr(other, name, value)
        if not isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Import,
                                      ast.ImportFrom)):
            self.wide = True  # an assignment may change anything (e.g. a class attribute)

    def _patch_class(self, name: str, code) -> None:
        namespace = self.module.__dict__
        cls = namespace[name]
        exec(code, namespace)
        body, namespace[name] = namespace[name], cls
        for attr, value in vars(body).items():
            if attr in ("__module__", "__qualname__", "__dict__", "__weakref__", "__doc__",
                        "__firstlineno__", "__static_attributes__"):
                continue
            self.replaced += 1
            old = vars(cls).get(attr, _MISSING)
            if isinstance(value, types.FunctionType):
                value = _rebind_class_cell(value, cls)
            if old is not _MISSING and self._swap(old, value):
                continue
            # inherited, new, or not swappable: set it; the tests of the class (and of what it inherits) run
            self.codes |= _codes_of(cls) | _codes_of(getattr(cls, attr, None))
            self._attributes.append((cls, attr, old))
            setattr(cls, attr, value)

    def _swap(self, old, new) -> bool:
        """Give `old`'s function the code of `new`'s, in place (aliases see it), when both are
        functions with the same free variables; properties swap getter, setter and deleter."""
        if isinstance(old, property) and isinstance(new, property):
            pairs = [(a, b) for a, b in ((old.fget, new.fget), (old.fset, new.fset), (old.fdel, new.fdel))
                     if a is not None or b is not None]
            return all(_inner(a) and _inner(b) for a, b in pairs) and all(self._swap(a, b) for a, b in pairs)
        if isinstance(old, (staticmethod, classmethod)) != isinstance(new, (staticmethod, classmethod)):
            return False
        before, after = _inner(old), _inner(new)
        if before is None or after is None or before.__code__.co_freevars != after.__code__.co_freevars:
            return False
        self.codes.add(before.__code__)
        self._swapped.append((before, before.__code__, before.__defaults__, before.__kwdefaults__))
        before.__code__, before.__defaults__, before.__kwdefaults__ = \
            after.__code__, after.__defaults__, after.__kwdefaults__
        return True

    def undo(self) -> None:
        for function, code, defaults, kwdefaults in reversed(self._swapped):
            function.__code__, function.__defaults__, function.__kwdefaults__ = code, defaults, kwdefaults
        for owner, attr, old in reversed(self._attributes):
            if old is _MISSING:
                delattr(owner, attr)
            else:
                setattr(owner, attr, old)
        _restore(self.module.__dict__, self._namespace)
        self._swapped, self._attributes = [], []


_MISSING = object()


def _restore(namespace: dict, saved: dict) -> None:
    """`namespace` as `saved` (a submodule imported since stays: sys.modules has it too)."""
    for name in [n for n in namespace if n not in saved and not isinstance(namespace[n], types.ModuleType)]:
        del namespace[name]
    for name, value in saved.items():
        if namespace.get(name, _MISSING) is not value:
            namespace[name] = value


def _package_modules() -> list[types.ModuleType]:
    return [m for name, m in list(sys.modules.items())
            if (name == "tinytorch" or name.startswith("tinytorch.")) and isinstance(m, types.ModuleType)]


@contextlib.contextmanager
def _package_state():
    """Every global of the package as it was before the block (a grad-mode flag, an engine, a seed)."""
    saved = [(m, dict(vars(m))) for m in _package_modules()]
    # and the contents of its global dicts, lists and sets (a registry of rules a decorator fills)
    containers = [(value, value.copy()) for _, namespace in saved for name, value in namespace.items()
                  if isinstance(value, (dict, list, set)) and not name.startswith("__")]
    try:
        yield
    finally:
        for module, namespace in saved:
            _restore(vars(module), namespace)
        for value, copy in containers:
            if isinstance(value, list):
                value[:] = copy
            else:
                value.clear()
                value.update(copy)


# -- the runner: one module, in this process ----------------------------------------------------

def load_catalogue(module: Module) -> tuple[list[Entry], list[Entry], int]:
    """MISTAKES, VARIANTS and AT_LEAST of the module's catalogue.py."""
    spec = importlib.util.spec_from_file_location(f"tinytorch_catalogue_{module.name}", module.path / "catalogue.py")
    catalogue = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(catalogue)
    return list(getattr(catalogue, "MISTAKES", [])), list(getattr(catalogue, "VARIANTS", [])), \
        int(getattr(catalogue, "AT_LEAST", 1))


def _first_line(report) -> str:
    """What a failed (or skipped) report says, in one line."""
    longrepr = report.longrepr
    if isinstance(longrepr, tuple):  # a skip: (file, line, reason)
        return str(longrepr[2])[:300]
    crash = getattr(longrepr, "reprcrash", None)
    text = crash.message if crash is not None else str(longrepr or "")
    return " ".join(text.split())[:300]


class _Runner:
    """The pytest plugin that runs the catalogue in place of pytest's own test loop."""

    def __init__(self, module: Module, package: Path, out):
        self.module, self.package, self.out = module, str(package / "tinytorch"), out
        self.reports: list = []
        self.traces: dict[str, set] = {}  # test id -> the package's code objects it ran
        self.seconds: dict[str, float] = {}  # test id -> seconds on the reference
        self.result = Result(module.folder)

    def pytest_runtest_logreport(self, report):
        self.reports.append(report)

    def pytest_collectreport(self, report):
        if report.failed:
            self.reports.append(report)

    def _run(self, item, trace: set | None = None) -> tuple[bool, str]:
        """Run one test (all of pytest's protocol); (failed, message)."""
        self.reports.clear()
        tracer = None
        if trace is not None:
            inside = {}

            def tracer(frame, event, arg):
                code = frame.f_code
                mine = inside.get(code)
                if mine is None:
                    mine = inside[code] = code.co_filename.startswith(self.package)
                if mine:
                    trace.add(code)
        sys.settrace(tracer)
        try:
            item.ihook.pytest_runtest_protocol(item=item, nextitem=None)
        finally:
            sys.settrace(None)
        failed = [r for r in self.reports if r.failed]
        return bool(failed), (_first_line(failed[0]) if failed else "")

    def _emit(self, line: dict) -> None:
        """One JSON line to `out`, at once: the parent reads what is known if this process is stopped."""
        self.out.write(json.dumps(line) + "\n")
        self.out.flush()

    def _entry(self, entry: Entry, items, target: str, skip: set) -> None:
        if entry.name in skip:  # not asked for, or judged by an earlier child that was stopped
            return
        started, cpu = time.perf_counter(), time.process_time()
        verdict = Verdict(entry.name, entry.kind, entry.what, False, "error")
        with _package_state():
            self._judge(entry, items, target, verdict)
        mistake = entry.kind == "mistake"
        if verdict.outcome != "error":
            verdict.ok = bool(verdict.test) == mistake
            verdict.outcome = ("caught" if verdict.test else "missed") if mistake else \
                ("fails" if verdict.test else "passes")
            if not verdict.tests:
                verdict.message = "no test reaches the code it changes"
        if mistake and verdict.ok:  # the reference must still pass the test that caught it
            failed, message = self._run(next(i for i in items if i.nodeid == verdict.test))
            if failed:
                verdict.ok, verdict.outcome = False, "error"
                verdict.message = ("leaves the reference failing this test afterwards (state shared between "
                                   f"tests?): {message}")
        verdict.seconds, verdict.cpu = time.perf_counter() - started, time.process_time() - cpu
        self.result.verdicts.append(verdict)
        self._emit(asdict(verdict))

    def _judge(self, entry: Entry, items, target: str, verdict: Verdict) -> None:
        try:
            patch = Patch(entry, importlib.import_module(target))
        except BaseException as error:  # a patch that does not apply is the catalogue's error
            verdict.message = f"does not apply: {type(error).__name__}: {error}"[:300]
            return
        verdict.outcome = ""
        try:
            where = patch.module.__file__
            chosen = [i for i in items if (patch.codes & self.traces[i.nodeid])
                      or (patch.wide and any(c.co_filename == where for c in self.traces[i.nodeid]))]
            chosen.sort(key=lambda i: self.seconds[i.nodeid])
            for item in chosen:
                failed, message = self._run(item)
                verdict.tests += 1
                if failed:
                    verdict.test, verdict.message = item.nodeid, message
                    break
        finally:
            patch.undo()

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtestloop(self, session):
        result, items = self.result, list(session.items)
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        if reporter:  # the verdicts go to `out`; pytest's own summary would list every failure
            session.config.pluginmanager.unregister(reporter)
        if session.testsfailed or not items:
            result.error = "the module's tests do not collect: " + ("; ".join(
                _first_line(r) for r in self.reports if r.failed) or "no tests")
            self._emit({"error": result.error})
            return True
        mistakes, variants, result.at_least = load_catalogue(self.module)
        target = f"tinytorch.core.{self.module.name}"
        skip = set(json.loads(os.environ.get("TINYTORCH_CATALOGUE_SKIP", "[]")))
        started, cpu = time.perf_counter(), time.process_time()
        for item in items:  # the reference, traced (PyTorch present: every test that can run)
            self.traces[item.nodeid] = trace = set()
            begun = time.perf_counter()
            failed, message = self._run(item, trace)
            self.seconds[item.nodeid] = time.perf_counter() - begun
            if failed:
                result.reference.append((item.nodeid, message))
        result.tests, result.seconds, result.cpu = len(items), time.perf_counter() - started, time.process_time() - cpu
        self._emit({"reference": result.reference, "tests": result.tests, "seconds": result.seconds,
                    "cpu": result.cpu, "at_least": result.at_least})
        if result.reference:
            return True
        for entry in variants:
            self._entry(entry, items, entry.target or target, skip)
        with torch_hidden():
            for entry in mistakes:
                self._entry(entry, items, entry.target or target, skip)
        return True


def run_here(module: Module, root: Path, out) -> Result:
    """Run `module`'s catalogue in this process (a child of `run_catalogue`), writing each
    verdict to `out` as a JSON line as soon as it is known."""
    from tito.export import build_package, export_dev_file
    from tito.modules import all_modules

    os.environ.update(TINYTORCH_ROOT=str(root), TINYTORCH_HYPOTHESIS_PROFILE="fast")
    with tempfile.TemporaryDirectory(prefix="tinytorch-catalogue-") as tmp:
        exports = [export_dev_file(m.dev_file, root) for m in all_modules(module.path.parent) if m.dev_file.exists()]
        package = build_package(Path(tmp), exports, root)
        sys.path.insert(0, str(package))
        if importlib.util.find_spec("torch") is not None:  # imported before the clock starts (tito.watchdog
            _import_torch()  # arms it at the session's start): seconds of a loaded machine, not of a test
        runner = _Runner(module, package, out)
        pytest.main([str(module.tests_dir), *PYTEST_PLUGINS, "-p", "tito.watchdog", "-q", "--tb=line",
                     "--capture=sys", "-o", "addopts="], plugins=[runner])
        return runner.result


# -- the parent: one child per module ---------------------------------------------------------

def _read(lines: list[str], module: Module) -> Result:
    result = Result(module.folder)
    for line in lines:
        data = json.loads(line)
        if "error" in data:
            result.error = data["error"]
        elif "reference" in data:
            result.reference, result.tests = data["reference"], data["tests"]
            result.seconds, result.cpu, result.at_least = data["seconds"], data["cpu"], data["at_least"]
        else:
            result.verdicts.append(Verdict(**data))
    return result


def run_catalogue(module: Module, root: Path, only: list[str] | None = None, limit: float = TEST_LIMIT) -> Result:
    """The catalogue of `module` (a folder with catalogue.py), or the entries named in
    `only`, run in a child process. A test that runs `limit` seconds without finishing
    stops the child, which starts again after that entry: the entry is judged as `tito
    test` judges a test it stops, failed."""
    mistakes, variants, _ = load_catalogue(module)
    entries = {e.name: e for e in [*variants, *mistakes]}
    unknown = sorted(set(only or []) - set(entries))
    if unknown:
        raise TitoError(f"{module.folder}'s catalogue has no entry {', '.join(unknown)}",
                        hint="its entries: " + ", ".join(entries))
    done: list[Verdict] = []
    skipped = [name for name in entries if only and name not in only]
    with tempfile.TemporaryDirectory(prefix="tinytorch-catalogue-") as tmp:
        for attempt in range(len(entries) + 1):
            out = Path(tmp) / f"verdicts-{attempt}.jsonl"
            env = dict(os.environ, TINYTORCH_ROOT=str(root),
                       TINYTORCH_CATALOGUE_SKIP=json.dumps(skipped + [v.name for v in done]))
            env.pop("PYTHONPATH", None)
            finished = children.run([sys.executable, "-m", "tito.catalogue", str(module.path), "--out", str(out)],
                                    cwd=root, env=env, capture=True, timeout=limit)
            text = out.read_text(encoding="utf-8") if out.exists() else ""
            result = _read([line for line in text.splitlines() if line.strip()], module)
            result.verdicts = done = done + result.verdicts
            pending = [e for name, e in entries.items() if name not in {v.name for v in done} | set(skipped)]
            if finished.timed_out and pending and result.tests and not result.reference:
                entry, mistake = pending[0], pending[0].kind == "mistake"
                done.append(Verdict(entry.name, entry.kind, entry.what, mistake, "caught" if mistake else "fails",
                                    f"(stopped in {finished.stuck_at})",
                                    f"ran longer than {limit:g} s without finishing a test: tito test stops it"))
                continue
            if not result.error and (finished.returncode != 0 or (pending and not result.reference)):
                result.error = (f"the catalogue's process ended with exit code {finished.returncode}:\n"
                                + finished.stdout[-3000:])
            return result
    raise AssertionError("unreachable")


def table(result: Result) -> str:
    """The verdicts as a table: entry, verdict, first failing test, seconds."""
    lines = [f"{result.module}: {result.tests} tests, reference {result.seconds:.1f} s (traced)"]
    for v in result.verdicts:
        mark = "" if v.ok else "  <-- " + ("NOT CAUGHT" if v.outcome == "missed" else v.outcome.upper())
        path, _, name = v.test.partition("::")
        test = f"{path.rpartition('/')[2]}::{name}" if name else path
        lines.append(f"  {v.kind:8s} {v.name:36s} {v.outcome:7s} {v.seconds:5.2f}s {v.tests:3d} tests  "
                     f"{test}{mark}")
        if v.message and not v.ok:
            lines.append(f"           {v.message}")
    mistakes = [v for v in result.verdicts if v.kind == "mistake"]
    variants = [v for v in result.verdicts if v.kind == "variant"]
    lines.append(f"  {sum(v.ok for v in mistakes)} of {len(mistakes)} mistakes caught (PyTorch hidden), "
                 f"{sum(v.ok for v in variants)} of {len(variants)} variants pass (PyTorch present); entries "
                 f"{sum(v.seconds for v in result.verdicts):.1f} s, {sum(v.cpu for v in result.verdicts):.1f} s CPU")
    return "\n".join(lines)


def problems(result: Result, complete: bool = True) -> list[str]:
    """What is wrong with a catalogue run: empty when every mistake is caught and every
    variant passes (and, for a `complete` run, there are at least AT_LEAST mistakes)."""
    found = [result.error] if result.error else []
    found += [f"the reference fails {test}: {message}" for test, message in result.reference]
    mistakes = [v for v in result.verdicts if v.kind == "mistake"]
    if complete and not result.error and not result.reference and len(mistakes) < result.at_least:
        found.append(f"{len(mistakes)} mistakes, fewer than the catalogue's AT_LEAST = {result.at_least}")
    found += [f"{v.kind} {v.name} ({v.what}): {v.outcome}: {v.test} {v.message}".rstrip()
              for v in result.verdicts if not v.ok]
    return found


@functools.cache
def catalogued(root: Path) -> list[Module]:
    """The modules of the reference that have a catalogue."""
    from tito.modules import all_modules

    return [m for m in all_modules(root / "assignments" / "source") if (m.path / "catalogue.py").exists()]


def _main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m tito.catalogue")
    parser.add_argument("module", help="the module folder")
    parser.add_argument("--out", required=True, help="the file the verdicts go to (JSON lines)")
    args = parser.parse_args(argv)
    path = Path(args.module).resolve()
    module = find_module(path.name, path.parent)
    with open(args.out, "a", encoding="utf-8") as out:
        result = run_here(module, path.parents[2], out)
    return 1 if result.error else 0


if __name__ == "__main__":  # the entries' classes must be tito.catalogue's, where the catalogues find them
    from tito import catalogue

    sys.exit(catalogue._main(sys.argv[1:]))
