"""Which exercises of a dev file are done, not started or broken: the first thing `tito test` says.

An exercise is a function or method of the dev file (or a function nested in one, such
as the `backward` of an autograd rule) that carries a `# TODO` comment, a solution block
(`### BEGIN SOLUTION`) or the student edition's stub in its own body (`raise
NotImplementedError("...: not implemented yet")`; an abstract method that raises
NotImplementedError by design is not an exercise). One that still raises is *not
started*; its tests are not run at all (they could only say "not implemented", and a
whole suite of those takes minutes): a pytest plugin (this module, loaded with `-p
tito.progress`) deselects every test whose id names a not-started exercise. After the
run, each failure is attributed to the exercises its test id and message name; an
exercise with a failure that is not "not implemented" is *broken*. The plugin also
records which exercises each test ran (a trace of calls into the module's own file, no
line tracing): one that a passing test ran, or that a passing test names, is *done*, and
one that no passing test ran is *untested*, with the reason (no test runs it, or its tests
stop first at a stub, named with its module).

A Hypothesis test that reaches a stub of another module (module 05's tests on an untouched
module 03) would shrink its "not implemented" failure for seconds; the plugin ends such a
test at the first stub it reaches instead (`NotStarted`, which Hypothesis does not shrink).
"""
from __future__ import annotations

import ast
import contextlib
import json
import os
import re
import importlib.machinery
import importlib.util
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ENV = "TITO_NOT_STARTED"  # comma-separated names the plugin deselects tests for
TRACE_ENV = "TITO_TRACE"  # the package file of the module under test, whose exercises say when they run
# (and TITO_TRACE_NAMES: which ones, comma-separated)
RAN_ENV = "TITO_RAN"  # where the plugin writes what ran: {"passing": [...], "reached": [...]}
STUB_SUFFIX = "not implemented yet"  # the end of every stub `tito release` writes
_TODO = re.compile(r"^\s*(# TODO\b|### BEGIN SOLUTION)")


@dataclass
class Exercise:
    name: str  # "relu", "Tensor.reshape", "add.backward" (a function nested in add)
    stub: str | None  # the message of its NotImplementedError, or None once written
    tests: int = 0  # tests not run because it is not started
    passed: int = 0  # passing tests that name it
    failures: list[tuple[str, str]] = field(default_factory=list)  # (test id, message)
    base: str = ""  # the name tests use for it: the outermost function's ("add" for add.backward)
    ran: bool = False  # a passing test ran its code
    reached: bool = False  # a test (passing or failing) ran its code

    @property
    def status(self) -> str:
        if self.stub is not None:
            return "not started"
        if self.failures:
            return "broken"
        return "done" if self.passed or self.ran else "untested"

    @property
    def short(self) -> str:
        return self.base or self.name.rsplit(".", 1)[-1]


_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)


def _own_nodes(node):
    """The nodes of a function's own body: nested functions and classes left out."""
    todo = [c for c in node.body if not isinstance(c, _SCOPES)]
    while todo:
        child = todo.pop()
        yield child
        todo.extend(c for c in ast.iter_child_nodes(child) if not isinstance(c, _SCOPES))


def _stub_message(node: ast.FunctionDef) -> str | None:
    """The message of the NotImplementedError the function's own body raises: at the top of
    its body, or anywhere in it when it is the student edition's stub."""
    found = None
    for statement in _own_nodes(node):
        if isinstance(statement, ast.Raise) and statement.exc is not None:
            exc = statement.exc
            call = exc.func if isinstance(exc, ast.Call) else exc
            if isinstance(call, ast.Name) and call.id == "NotImplementedError":
                args = exc.args if isinstance(exc, ast.Call) else []
                text = args[0].value if args and isinstance(args[0], ast.Constant) else ""
                message = f"NotImplementedError: {text}" if text else "NotImplementedError"
                if statement in node.body or str(text).endswith(STUB_SUFFIX):
                    found = found if found and found.endswith(STUB_SUFFIX) else message
    return found


def exercises(dev_file: Path) -> list[Exercise]:
    """The exercises of a dev file, in file order; [] when it cannot be read or parsed."""
    try:
        text = dev_file.read_text(encoding="utf-8-sig")
        tree = ast.parse(text)
    except (OSError, UnicodeDecodeError, SyntaxError, ValueError):
        return []
    lines = text.splitlines()
    found = []

    def visit(body, prefix, base):
        for node in body:
            if isinstance(node, ast.ClassDef):
                visit(node.body, prefix + node.name + ".", base)
            elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                nested = [n for n in ast.walk(node) if isinstance(n, _SCOPES) and n is not node]
                inner = {line for n in nested if hasattr(n, "body") for line in range(n.lineno, n.end_lineno + 1)}
                stub = _stub_message(node)
                own = [line for number, line in enumerate(lines[node.lineno - 1:node.end_lineno], node.lineno)
                       if number not in inner]
                marked = any(_TODO.match(line) for line in own)
                outer = base or node.name
                if stub is not None and not marked and not stub.endswith(STUB_SUFFIX):
                    pass  # an abstract method (Dataset.__getitem__): raising is its job
                elif stub is not None or marked:
                    found.append(Exercise(prefix + node.name, stub, base=outer if base else ""))
                visit(node.body, prefix + node.name + ".", outer)

    visit(tree.body, "", "")
    return found


def _pattern(name: str) -> re.Pattern:
    return re.compile(r"(?<![A-Za-z0-9])" + re.escape(name) + r"(?![A-Za-z0-9])", re.I)


def mentioned(text: str, names: list[str]) -> list[str]:
    """The names that occur in `text` as words (the longest first: leaky_relu is not relu)."""
    found = []
    for name in sorted(set(names), key=len, reverse=True):
        pattern = _pattern(name)
        if pattern.search(text):
            found.append(name)
            text = pattern.sub(" ", text)
    return found


def attribute(items: list[Exercise], failures: list[tuple[str, str]],
              passed: list[str] = ()) -> list[tuple[str, str]]:
    """File each failure (and count each pass) under the exercises it names; return the
    failures that name none.

    "not implemented" failures are left out (they wait on a not-started exercise). A test
    about a backward pass counts against `<name>_backward` when that is an exercise.
    """
    by_short: dict[str, Exercise] = {}
    for item in items:
        by_short.setdefault(item.short.lower(), item)
        by_short.setdefault(item.short.replace("_", "").lower(), item)
    names = list(by_short)

    def named(test_id: str, text: str) -> list[Exercise]:
        hits = mentioned(test_id + " " + text, names)
        if "backward" in test_id.lower():
            hits = [f"{h}_backward" if f"{h}_backward" in by_short else h for h in hits]
        return list({id(by_short[h]): by_short[h] for h in hits}.values())

    for test_id in passed:
        for item in named(test_id, ""):
            item.passed += 1
    unclaimed, shared = [], []
    for failure in failures:
        test_id, message = failure
        if "not implemented" in message or "NotImplementedError" in message:
            continue
        claimed = named(test_id, (message.splitlines() or [""])[0])
        if len(claimed) == 1:
            claimed[0].failures.append(failure)
        elif claimed:
            shared.append((failure, claimed))
        else:
            unclaimed.append(failure)
    # A test of two exercises (tanh = 2 sigmoid(2x) - 1) blames the one already failing alone.
    for failure, claimed in shared:
        guilty = [item for item in claimed if item.failures] or claimed
        for item in guilty:
            item.failures.append(failure)
    return unclaimed


# ---- the pytest plugin (pytest -p tito.progress) -------------------------------------------

class NotStarted(BaseException):
    """A stub was reached: the test can only fail, and no smaller example would say more.

    Not an Exception, so Hypothesis ends the test at once instead of shrinking; pytest reports
    it as the test's failure, with the stub's own message.
    """


def _stop_at_stubs(inner):
    def test(*args, **kwargs):
        try:
            return inner(*args, **kwargs)
        except NotImplementedError as error:
            if str(error).endswith(STUB_SUFFIX):
                raise NotStarted(f"NotImplementedError: {error}") from None
            raise
    test.tito_stops_at_stubs = True
    return test


def _fail_fast_at_stubs(items) -> None:
    for item in items:
        hypothesis = getattr(getattr(item, "obj", None), "hypothesis", None)
        inner = getattr(hypothesis, "inner_test", None)
        if inner is not None and not getattr(inner, "tito_stops_at_stubs", False):
            hypothesis.inner_test = _stop_at_stubs(inner)  # Hypothesis's documented hook


MARK = "__tito_ran__"  # the builtin each instrumented exercise calls first


def instrument(source: str, filename: str, names: set[str]) -> ast.Module:
    """The tree of a package file in which each function named in `names` ("Tensor.reshape",
    "add.backward") first calls MARK with its name. The call shares the line of the body's
    first statement (after the docstring), so every line number, traceback and docstring
    stays as it was."""
    tree = ast.parse(source, filename)

    def visit(body, prefix):
        for node in body:
            if isinstance(node, ast.ClassDef):
                visit(node.body, prefix + node.name + ".")
            elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                name = prefix + node.name
                if name in names:
                    first = node.body[0]
                    docstring = (isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant)
                                 and isinstance(first.value.value, str))
                    at = 1 if docstring else 0
                    anchor = node.body[min(at, len(node.body) - 1)]
                    call = ast.Expr(ast.Call(ast.Name(MARK, ast.Load()), [ast.Constant(name)], []))
                    for part in ast.walk(call):
                        part.lineno = part.end_lineno = anchor.lineno
                        part.col_offset = part.end_col_offset = anchor.col_offset
                    node.body.insert(at, call)
                visit(node.body, name + ".")

    visit(tree.body, "")
    return tree


class _MarkingLoader(importlib.machinery.SourceFileLoader):
    """Imports the module under test from its instrumented tree (compiled here, never cached)."""

    names: set[str] = set()

    def get_code(self, fullname):
        source = importlib.util.decode_source(self.get_data(self.path))
        return compile(instrument(source, self.path, self.names), self.path, "exec", dont_inherit=True)


class _MarkingFinder:
    """Finds the module under test (by its file) and gives it the marking loader."""

    def __init__(self, filename: str):
        self.filename = filename

    def find_spec(self, fullname, path=None, target=None):
        if not fullname.startswith("tinytorch."):
            return None
        spec = importlib.machinery.PathFinder.find_spec(fullname, path)
        if spec is None or not spec.origin or os.path.realpath(spec.origin) != self.filename:
            return None
        return importlib.util.spec_from_file_location(fullname, spec.origin,
                                                      loader=_MarkingLoader(fullname, spec.origin))


class _Runs:
    """Which exercises each test ran, from the marks; a test with a failing phase does not count."""

    def __init__(self):
        self.current: set[str] = set()
        self.failed = False
        self.passing: set[str] = set()
        self.reached: set[str] = set()

    def __call__(self, name: str) -> None:
        self.current.add(name)


_runs: _Runs | None = None
if os.environ.get(TRACE_ENV) and os.environ.get(RAN_ENV):  # loaded as the plugin of a traced run
    import builtins

    _runs = _Runs()
    _MarkingLoader.names = {n for n in os.environ.get(TRACE_ENV + "_NAMES", "").split(",") if n}
    setattr(builtins, MARK, _runs)
    sys.meta_path.insert(0, _MarkingFinder(os.path.realpath(os.environ[TRACE_ENV])))


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_protocol(item, nextitem):
    if _runs is not None:
        _runs.current, _runs.failed = set(), False


def pytest_runtest_logreport(report):
    if _runs is not None and report.failed:
        _runs.failed = True


def pytest_runtest_logfinish(nodeid, location):
    if _runs is not None:
        _runs.reached |= _runs.current
        if not _runs.failed:
            _runs.passing |= _runs.current


def pytest_sessionfinish(session, exitstatus):
    if _runs is not None:
        with contextlib.suppress(OSError):
            Path(os.environ[RAN_ENV]).write_text(json.dumps(
                {"passing": sorted(_runs.passing), "reached": sorted(_runs.reached)}), encoding="utf-8")


def ran(items: list[Exercise], path: Path) -> None:
    """Mark the exercises the traced run (`path`, written by the plugin) ran."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return
    passing, reached = set(data.get("passing", [])), set(data.get("reached", []))
    for item in items:
        item.ran = item.name in passing
        item.reached = item.ran or item.name in reached


def pytest_collection_modifyitems(config, items):
    _fail_fast_at_stubs(items)
    waiting = [n for n in os.environ.get(ENV, "").split(",") if n]
    if not waiting:
        return
    keep, skip = [], []
    for item in items:
        (skip if mentioned(item.nodeid.split("::", 1)[-1], waiting) else keep).append(item)
    if skip:
        config.hook.pytest_deselected(items=skip)
        items[:] = keep
        counts: dict[str, int] = {}
        for item in skip:
            for name in mentioned(item.nodeid.split("::", 1)[-1], waiting)[:1]:
                counts[name] = counts.get(name, 0) + 1
        path = os.environ.get(ENV + "_COUNTS")
        if path:
            Path(path).write_text("\n".join(f"{k} {v}" for k, v in counts.items()), encoding="utf-8")
