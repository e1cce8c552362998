"""Which exercises of a dev file are done, not started or broken: the first thing `tito test` says.

An exercise is a function or method of the dev file that carries a `# TODO` comment, a
solution block (`### BEGIN SOLUTION`) or the student edition's stub at the top of its
body (`raise NotImplementedError("...: not implemented yet")`; an abstract method that
raises NotImplementedError by design is not an exercise). One
that still raises is *not started*; its tests are not run at all (they could only say
"not implemented", and a whole suite of those takes minutes): a pytest plugin (this module,
loaded with `-p tito.progress`) deselects every test whose id names a not-started exercise.
After the run, each failure is attributed to the exercises its test id and message name;
an exercise with a failure that is not "not implemented" is *broken*, the others *done*.

A Hypothesis test that reaches a stub of another module (module 05's tests on an untouched
module 03) would shrink its "not implemented" failure for seconds; the plugin ends such a
test at the first stub it reaches instead (`NotStarted`, which Hypothesis does not shrink).
"""
from __future__ import annotations

import ast
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

ENV = "TITO_NOT_STARTED"  # comma-separated names the plugin deselects tests for
STUB_SUFFIX = "not implemented yet"  # the end of every stub `tito release` writes
_TODO = re.compile(r"^\s*(# TODO\b|### BEGIN SOLUTION)")


@dataclass
class Exercise:
    name: str  # "relu", "Tensor.reshape"
    stub: str | None  # the message of its NotImplementedError, or None once written
    tests: int = 0  # tests not run because it is not started
    passed: int = 0  # passing tests that name it
    failures: list[tuple[str, str]] = field(default_factory=list)  # (test id, message)

    @property
    def status(self) -> str:
        if self.stub is not None:
            return "not started"
        if self.failures:
            return "broken"
        return "done" if self.passed else "untested"

    @property
    def short(self) -> str:
        return self.name.rsplit(".", 1)[-1]


def _stub_message(node: ast.FunctionDef) -> str | None:
    for statement in node.body:
        if isinstance(statement, ast.Raise) and statement.exc is not None:
            exc = statement.exc
            call = exc.func if isinstance(exc, ast.Call) else exc
            if isinstance(call, ast.Name) and call.id == "NotImplementedError":
                args = exc.args if isinstance(exc, ast.Call) else []
                text = args[0].value if args and isinstance(args[0], ast.Constant) else ""
                return f"NotImplementedError: {text}" if text else "NotImplementedError"
    return None


def exercises(dev_file: Path) -> list[Exercise]:
    """The exercises of a dev file, in file order; [] when it cannot be read or parsed."""
    try:
        text = dev_file.read_text(encoding="utf-8")
        tree = ast.parse(text)
    except (OSError, UnicodeDecodeError, SyntaxError, ValueError):
        return []
    lines = text.splitlines()
    found = []

    def visit(body, prefix):
        for node in body:
            if isinstance(node, ast.ClassDef):
                visit(node.body, prefix + node.name + ".")
            elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                stub = _stub_message(node)
                own = lines[node.lineno - 1:node.end_lineno]
                marked = any(_TODO.match(line) for line in own)
                if stub is not None and not marked and not stub.endswith(STUB_SUFFIX):
                    continue  # an abstract method (Dataset.__getitem__): raising is its job
                if stub is not None or marked:
                    found.append(Exercise(prefix + node.name, stub))

    visit(tree.body, "")
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
