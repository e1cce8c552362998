"""The student edition of a module: solutions stubbed, hidden tests removed, nbgrader metadata.

Text in, text out, so the edition's `.py` keeps the author's layout line for line:

- every block from `### BEGIN SOLUTION` to `### END SOLUTION` becomes one line,
  `raise NotImplementedError("Sigmoid.forward: not implemented yet")`, at the indentation
  of the BEGIN marker, naming the innermost function or class around it; the TODO /
  APPROACH / HINTS comments above the marker stay;
- every block from `### BEGIN HIDDEN TESTS` to `### END HIDDEN TESTS` disappears, in the
  dev file and in the tests;
- the `.ipynb` made from the stubbed file carries nbgrader's cell metadata (schema 3):
  prose and package cells are read-only, solution cells are editable, and the checks are
  graded test cells. A check is a code cell outside the package that holds `assert` and
  uses a name whose code runs a solution block (a function or class holding one, or any
  top-level definition that uses one, transitively); a cell that would pass without any
  learner code (a demo of NumPy's own behaviour) is not graded. Its points follow
  `tito grade`: each solution function is worth the number of the module's tests that name
  it (`grading_weights`), shared among the checks that use it; `#| points N` overrides.
"""
from __future__ import annotations

import ast
import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from tito import PYTEST_PLUGINS
from tito.console import TitoError
from tito.export import EXPORT_DIRECTIVES, split_directives
from tito.progress import STUB_SUFFIX

_BEGIN = re.compile(r"^(\s*)### BEGIN SOLUTION\s*$")
_END = re.compile(r"^\s*### END SOLUTION\s*$")
_HIDDEN_BEGIN = re.compile(r"^\s*### BEGIN HIDDEN TESTS\s*$")
_HIDDEN_END = re.compile(r"^\s*### END HIDDEN TESTS\s*$")
_CELL = re.compile(r"^# %%")
STUB_MESSAGE = "{what}: " + STUB_SUFFIX


@dataclass
class Edition:
    """A dev file's student edition."""

    py: str                # the stubbed percent-format dev file
    notebook: dict         # the same as an nbformat notebook with nbgrader metadata
    stubs: list[str]       # what each stub names, in order
    hidden_blocks: int     # hidden-test blocks removed


def _outside_blocks(text: str, begin: re.Pattern, end: re.Pattern, name: str, shown: str):
    """(line number, line, the BEGIN match or None) for each line outside the `### BEGIN name` /
    `### END name` blocks of `text`, and for each BEGIN line; a TitoError (file and line) for a
    block inside another, an END without a BEGIN or a block never closed."""
    start = None
    for number, line in enumerate(text.splitlines(keepends=True), 1):
        opened = begin.match(line)
        if opened:
            if start is not None:
                raise TitoError(f"{shown}:{number}: `### BEGIN {name}` inside the block opened at line {start}")
            start = number
            yield number, line, opened
        elif end.match(line):
            if start is None:
                raise TitoError(f"{shown}:{number}: `### END {name}` without a BEGIN above it")
            start = None
        elif start is None:
            yield number, line, None
    if start is not None:
        raise TitoError(f"{shown}:{start}: `### BEGIN {name}` is never closed by `### END {name}`")


def strip_hidden_tests(text: str, shown: str) -> tuple[str, int]:
    """`text` without its hidden-test blocks (markers included), and how many there were."""
    lines = list(_outside_blocks(text, _HIDDEN_BEGIN, _HIDDEN_END, "HIDDEN TESTS", shown))
    return "".join(line for _, line, opened in lines if not opened), sum(1 for *_, opened in lines if opened)


def _scopes(tree: ast.AST) -> list[tuple[int, int, str]]:
    """(first line, last line, qualified name) of every function and class, outer first."""
    found = []

    def visit(node, prefix):
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                name = f"{prefix}{child.name}"
                first = min([child.lineno] + [d.lineno for d in child.decorator_list])
                found.append((first, child.end_lineno, name))
                visit(child, name + ".")
            else:
                visit(child, prefix)

    visit(tree, "")
    return found


def _enclosing(scopes, line: int) -> str | None:
    inside = [s for s in scopes if s[0] <= line <= s[1]]
    return max(inside, key=lambda s: s[0])[2] if inside else None


def _exported_lines(lines: list[str]) -> set[int]:
    """Line numbers (1-based) that sit in `#| export` cells."""
    exported, starts = set(), [i for i, line in enumerate(lines) if _CELL.match(line)] + [len(lines)]
    for begin, end in zip(starts, starts[1:]):
        directives, _ = split_directives("\n".join(lines[begin + 1:end]))
        if EXPORT_DIRECTIVES & directives.keys():
            exported.update(range(begin + 1, end + 1))
    return exported


def stub_solutions(text: str, shown: str) -> tuple[str, list[str]]:
    """Replace each solution block with a `raise NotImplementedError` naming what to implement."""
    try:
        scopes = _scopes(ast.parse(text, shown))
    except SyntaxError as exc:
        raise TitoError(f"{shown}:{exc.lineno}: {exc.msg}", hint="fix the dev file first") from None
    exported = _exported_lines(text.splitlines(keepends=True))
    out, stubs = [], []
    for number, line, begin in _outside_blocks(text, _BEGIN, _END, "SOLUTION", shown):
        if not begin:
            out.append(line)
        else:
            what = _enclosing(scopes, number)
            if what is None and number in exported:
                raise TitoError(
                    f"{shown}:{number}: a solution block outside any function in an exported cell",
                    hint="its stub would stop the package from importing; put the block in a function body")
            what = what or f"the cell at line {number}"
            stubs.append(what)
            message = STUB_MESSAGE.format(what=what)
            out.append(f'{begin[1]}raise NotImplementedError("{message}")\n')
    stubbed = "".join(out)
    try:
        compile(stubbed, shown, "exec", dont_inherit=True)
    except SyntaxError as exc:
        raise TitoError(f"{shown}:{exc.lineno}: the student edition would not compile: {exc.msg}",
                        hint="a solution block must be whole statements, e.g. a function body's tail") from None
    return stubbed, stubs


def _first_name(source: str) -> str | None:
    try:
        body = ast.parse(source).body
    except SyntaxError:
        return None
    for node in body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            return node.name
    return None


def _has_assert(source: str) -> bool:
    try:
        return any(isinstance(node, ast.Assert) for node in ast.walk(ast.parse(source)))
    except SyntaxError:
        return False


def _points(directives: dict[str, str], shown: str) -> float:
    raw = directives.get("points", "1").strip() or "1"
    try:
        points = float(raw)
    except ValueError:
        points = -1
    if points < 0:
        raise TitoError(f"{shown}: `#| points {raw}` is not a number of points")
    return int(points) if points == int(points) else points


def solution_reach(text: str) -> dict[str, set[str]]:
    """Top-level name -> the functions with solution blocks its code runs (directly or through others)."""
    try:
        tree = ast.parse(text)
    except SyntaxError:
        return {}
    begins = [n for n, line in enumerate(text.splitlines(), 1) if _BEGIN.match(line)]
    kinds = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
    tops = {node.name: node for node in tree.body if isinstance(node, kinds)}
    reach = {name: {name} for name, node in tops.items() if any(node.lineno <= b <= node.end_lineno for b in begins)}
    uses = {name: {n.id for n in ast.walk(node) if isinstance(n, ast.Name)} - {name} for name, node in tops.items()}
    changed = True
    while changed:
        changed = False
        for name, used in uses.items():
            found = set().union(*(reach[u] for u in used if u in reach)) if used & reach.keys() else set()
            if not found <= reach.get(name, set()):
                reach[name] = reach.get(name, set()) | found
                changed = True
    return reach


def grading_weights(tests_dir: Path, text: str, root: Path | None = None) -> dict[str, float]:
    """How much each solution function of the dev file `text` weighs in `tito grade`: the
    number of the module's collected tests naming it (at least 1)."""
    names = sorted(set().union(*solution_reach(text).values()))
    weights = dict.fromkeys(names, 1.0)
    if not tests_dir.is_dir() or not names:
        return weights
    try:
        path = os.pathsep.join(p for p in [str(root or ""), os.environ.get("PYTHONPATH", "")] if p)
        env = dict(os.environ, PYTHONPATH=path)
        done = subprocess.run([sys.executable, "-m", "pytest", "--collect-only", "-q", *PYTEST_PLUGINS,
                               str(tests_dir)], capture_output=True, text=True, timeout=600,
                              cwd=root or tests_dir, env=env)
    except (OSError, subprocess.TimeoutExpired):
        return weights
    pattern = re.compile(r"(?<![A-Za-z0-9])(" + "|".join(re.escape(n) for n in sorted(names, key=len, reverse=True))
                         + r")(?![A-Za-z0-9])")
    counts = dict.fromkeys(names, 0)
    for line in done.stdout.splitlines():
        if "::" in line:
            for found in set(pattern.findall(line.split("::", 1)[1])):
                counts[found] += 1
    return {n: float(max(1, c)) for n, c in counts.items()}


def nbgrader_metadata(original, stubbed, shown: str, weights: dict[str, float] | None = None) -> None:
    """Give the cells of `stubbed` nbgrader metadata, by the roles of `original`'s cells."""
    if len(original.cells) != len(stubbed.cells):  # stubbing keeps every cell boundary
        raise TitoError(f"{shown}: the student edition lost or gained cells")
    used: set[str] = set()

    def unique(base: str) -> str:
        base = re.sub(r"[^A-Za-z0-9_-]", "-", base)
        name, n = base, 2
        while name in used:
            name, n = f"{base}-{n}", n + 1
        used.add(name)
        return name

    reach = solution_reach("\n".join(c.source for c in original.cells if c.cell_type == "code"
                                      and EXPORT_DIRECTIVES & split_directives(c.source)[0].keys()))
    checks = {}
    for index, before in enumerate(original.cells, 1):
        if before.cell_type != "code":
            continue
        directives, body = split_directives(before.source)
        if EXPORT_DIRECTIVES & directives.keys() or "default_exp" in directives or not _has_assert(body):
            continue
        if any(_BEGIN.match(line) for line in before.source.splitlines()):
            continue
        used = _names_used(body)
        checked = set().union(*(reach[n] for n in used if n in reach)) if used & reach.keys() else set()
        if checked:
            checks[index] = checked
    covered: dict[str, int] = {}
    for checked in checks.values():
        for name in checked:
            covered[name] = covered.get(name, 0) + 1

    def points(index, directives):
        if "points" in directives:
            return _points(directives, shown)
        share = sum((weights or {}).get(name, 1.0) / covered[name] for name in checks[index])
        return int(share) if float(share).is_integer() else round(share, 2)

    for index, (before, cell) in enumerate(zip(original.cells, stubbed.cells), 1):
        if cell.cell_type == "markdown":
            role = dict(grade=False, solution=False, locked=True, grade_id=unique(f"prose-{index}"))
        elif cell.cell_type != "code":
            continue
        else:
            directives, body = split_directives(before.source)
            name = _first_name(body)
            if any(_BEGIN.match(line) for line in before.source.splitlines()):
                role = dict(grade=False, solution=True, locked=False,
                            grade_id=unique(f"solution-{name or index}"))
            elif EXPORT_DIRECTIVES & directives.keys() or "default_exp" in directives:
                role = dict(grade=False, solution=False, locked=True,
                            grade_id=unique(f"package-{name or index}"))
            elif index in checks:
                role = dict(grade=True, solution=False, locked=True, points=points(index, directives),
                            grade_id=unique(f"check-{index}"))
            else:
                continue  # demos, plots and checks of NumPy itself: the learner may play with them
        cell.metadata["nbgrader"] = {**role, "schema_version": 3, "task": False}
        if role["locked"]:  # JupyterLab honours these; nbgrader checks `locked` itself
            cell.metadata["editable"] = False
            cell.metadata["deletable"] = False


def _names_used(source: str) -> set[str]:
    try:
        return {n.id for n in ast.walk(ast.parse(source)) if isinstance(n, ast.Name)}
    except SyntaxError:
        return set()


def make_edition(text: str, shown: str, weights: dict[str, float] | None = None) -> Edition:
    """The student edition of a dev file's text; `weights` (see grading_weights) sets the checks' points."""
    import jupytext  # imported here: at module level it slows every tito command by a second
    import nbformat

    without_hidden, hidden = strip_hidden_tests(text, shown)
    stubbed, stubs = stub_solutions(without_hidden, shown)
    original = jupytext.reads(without_hidden, fmt="py:percent")
    notebook = jupytext.reads(stubbed, fmt="py:percent")
    nbgrader_metadata(original, notebook, shown, weights)
    notebook.metadata.pop("jupytext", None)  # a plain notebook; the .py is the text form
    nbformat.validate(notebook)
    return Edition(stubbed, notebook, stubs, hidden)


def notebook_text(notebook) -> str:
    import nbformat

    return nbformat.writes(notebook) + "\n"
