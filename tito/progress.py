"""Which exercises of a dev file are done, not started, broken or untested: what `tito test`
says first, and the rows of `tito check`'s card.

An exercise is a function or method of the dev file (or a function nested in one, such
as the `backward` of an autograd rule) that carries a `# TODO` comment, a solution block
(`### BEGIN SOLUTION`) or the student edition's stub in its own body (`raise
NotImplementedError("...: not implemented yet")`; an abstract method that raises
NotImplementedError by design is not an exercise). One that still raises is *not
started*; the tests that name it (every part of its name, "Linear" and "forward" for
Linear.forward) are not run at all (they could only say "not implemented"): a pytest
plugin (this module, loaded with `-p tito.progress`) deselects them.

The plugin also records which exercises each test ran (a call at the top of each, added
to the module's package file as it is imported; no line tracing). An exercise is *done*
when a passing test ran it and no failure is its own; naming it in a test id proves
nothing. A failure is blamed on what the failing test ran: of those exercises, the ones
its id or message names, else the last one it entered; an exercise with a failure that
is not "not implemented" is *broken*. A written exercise that no passing test ran is
*untested*, with the reason: its tests stop first at a stub (named: of this module or an
earlier one), only failing tests run it, or no test runs it.

A Hypothesis test that reaches a stub of another module (module 05's tests on an untouched
module 03) would shrink its "not implemented" failure for seconds; the plugin ends such a
test at the first stub it reaches instead (`NotStarted`, which Hypothesis does not shrink).
"""
from __future__ import annotations

import ast
import contextlib
import importlib.machinery
import importlib.util
import json
import os
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ENV = "TITO_NOT_STARTED"  # comma-separated names the plugin deselects tests for
TRACE_ENV = "TITO_TRACE"  # the package file of the module under test, whose exercises say when they run
# (and TITO_TRACE_NAMES: which ones, comma-separated)
# where the plugin writes what ran: {"passing": {name: tests}, "reached": ..., "failing": {test: [names]}}
RAN_ENV = "TITO_RAN"
STUB_SUFFIX = "not implemented yet"  # the end of every stub `tito release` writes
_TODO = re.compile(r"^\s*(# TODO\b|### BEGIN SOLUTION)")


@dataclass
class Exercise:
    name: str  # "relu", "Tensor.reshape", "add.backward" (a function nested in add)
    stub: str | None  # the message of its NotImplementedError, or None once written
    tests: int = 0  # tests not run because it is not started (they name it)
    stopped: int = 0  # tests that ran and stopped at its stub first
    passed: int = 0  # passing tests that name it (what tells when nothing was traced)
    failures: list[tuple[str, str]] = field(default_factory=list)  # (test id, message)
    base: str = ""  # the name tests use for it: the outermost function's ("add" for add.backward)
    ran: int = 0  # passing tests that ran its code (the trace)
    reached: int = 0  # tests, passing or failing, that ran its code
    stopped_at: list[str] = field(default_factory=list)  # stubs at which failing tests that ran it stopped
    # stub name -> its module ("module 02 activations"), if another
    owners: dict[str, str] = field(default_factory=dict)
    traced: bool = False  # `ran` and `reached` come from a trace (else only test names tell)

    @property
    def status(self) -> str:
        if self.stub is not None:
            return "not started"
        if self.failures:
            return "broken"
        if self.traced:  # done only when a passing test ran it; naming it proves nothing
            return "done" if self.ran else "untested"
        return "done" if self.passed else "untested"

    @property
    def waiting(self) -> int:
        """Tests that wait for this not-started exercise: not run, or stopped at its stub."""
        return self.tests + self.stopped

    @property
    def why_untested(self) -> str:
        """Why no passing test ran this written exercise, from the trace."""
        if self.stopped_at:
            by_owner: dict[str, list[str]] = {}
            for name in self.stopped_at:
                by_owner.setdefault(self.owners.get(name, ""), []).append(name)
            parts = []
            for owner, names in by_owner.items():
                shown = ", ".join(names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")
                parts.append(f"{shown} ({owner + ': ' if owner else ''}not started)")
            return "its tests stop first at " + "; ".join(parts)
        if self.reached:
            return "only failing tests run it"
        return "no test runs it"

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
              passed: list[str] = (), runs: dict[str, list[str]] | None = None) -> list[tuple[str, str]]:
    """File each failure (and count each pass) under the exercises it names; return the
    failures that name none.

    "not implemented" failures are left out (they wait on a not-started exercise). A test
    about a backward pass counts against `<name>_backward` when that is an exercise.
    `runs` (test id -> the exercises it ran, the last one last, from the trace) narrows the
    blame to what the failing test ran: of those, the ones it names, else the last it entered.
    """
    if runs is None:
        runs = {}
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
    by_name = {item.name: item for item in items}
    unclaimed, shared = [], []
    for failure in failures:
        test_id, message = failure
        if "not implemented" in message or "NotImplementedError" in message:
            continue
        claimed = named(test_id, (message.splitlines() or [""])[0])
        ran_here = [by_name[n] for n in runs.get(test_id, []) if n in by_name]
        if ran_here:
            claimed = [c for c in claimed if c in ran_here] or ran_here[-1:]
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
        self.current: dict[str, None] = {}  # in the order last entered
        self.failed = False
        self.passing: dict[str, int] = {}  # exercise -> passing tests that ran it
        self.reached: dict[str, int] = {}  # exercise -> tests that ran it
        self.failing: dict[str, list[str]] = {}  # failing test id -> what it ran, the last entered last

    def __call__(self, name: str) -> None:
        current = self.current
        if next(reversed(current), None) != name:
            current.pop(name, None)
            current[name] = None


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
        _runs.current, _runs.failed = {}, False


def pytest_runtest_logreport(report):
    if _runs is not None and report.failed:
        _runs.failed = True


def pytest_runtest_logfinish(nodeid, location):
    if _runs is not None:
        for name in _runs.current:
            _runs.reached[name] = _runs.reached.get(name, 0) + 1
            if not _runs.failed:
                _runs.passing[name] = _runs.passing.get(name, 0) + 1
        if _runs.failed:
            _runs.failing[junit_id(nodeid)] = list(_runs.current)


def junit_id(nodeid: str) -> str:
    """A pytest node id as `tito test` reads it back from the JUnit report ("classname::name")."""
    path, bracket, params = nodeid.partition("[")
    names = path.split("::")
    names[0] = re.sub(r"\.py$", "", names[0].replace("/", "."))
    names[-1] += bracket + params
    return f"{'.'.join(names[:-1])}::{names[-1]}"


def pytest_sessionfinish(session, exitstatus):
    if _runs is not None:
        with contextlib.suppress(OSError):
            Path(os.environ[RAN_ENV]).write_text(json.dumps(
                {"passing": _runs.passing, "reached": _runs.reached, "failing": _runs.failing}), encoding="utf-8")


def ran(items: list[Exercise], path: Path) -> dict[str, list[str]]:
    """Mark what the traced run (`path`, written by the plugin) ran; return each failing test's
    exercises (test id -> names, the last entered last), for `attribute`."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    passing, reached = data.get("passing", {}), data.get("reached", {})
    for item in items:
        item.traced = True
        item.ran = int(passing.get(item.name, 0))
        item.reached = int(reached.get(item.name, 0))
    return data.get("failing", {})


def waits(items: list[Exercise], failures: list[tuple[str, str]], runs: dict[str, list[str]]) -> None:
    """For each written exercise, the stubs (of any module) at which the failing tests that ran it
    stopped: why a written exercise is untested. Each failing test that stopped at a stub of
    this module also waits for it (beside the tests not run because they name it)."""
    stubs = {item.name: item for item in items if item.stub is not None}
    for test_id, message in failures:
        stub = _STUB_REACHED.search(message)
        if stub is None:
            continue
        if stub.group(1) in stubs:
            stubs[stub.group(1)].stopped += 1
        for item in items:
            if item.name in runs.get(test_id, ()) and stub.group(1) not in item.stopped_at:
                item.stopped_at.append(stub.group(1))


_STUB_REACHED = re.compile(r"([A-Za-z_][\w.]*): " + re.escape(STUB_SUFFIX))


def waits_for(test_id: str, name: str) -> bool:
    """The test names the not-started exercise `name`: every part of it ("Linear" and "forward"
    for Linear.forward; underscores around a part do not count) occurs in its id as a word."""
    parts = [part.strip("_") for part in name.split(".")]
    return all(mentioned(test_id, [part]) for part in parts if part)


def pytest_collection_modifyitems(config, items):
    _fail_fast_at_stubs(items)
    waiting = [n for n in os.environ.get(ENV, "").split(",") if n]
    if not waiting:
        return
    keep, skip = [], []
    counts: dict[str, int] = {}
    for item in items:
        test = item.nodeid.split("::", 1)[-1]
        names = [name for name in waiting if waits_for(test, name)]
        (skip if names else keep).append(item)
        if names:
            counts[names[0]] = counts.get(names[0], 0) + 1
    if skip:
        config.hook.pytest_deselected(items=skip)
        items[:] = keep
        path = os.environ.get(ENV + "_COUNTS")
        if path:
            Path(path).write_text("\n".join(f"{k} {v}" for k, v in counts.items()), encoding="utf-8")
