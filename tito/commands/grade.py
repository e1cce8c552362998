"""tito grade: arguments and output; the grading itself is tito.grading."""
from __future__ import annotations

import csv
import io
import json
import os
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict
from pathlib import Path

from rich.markup import escape
from rich.table import Table
from rich.text import Text

from tito import children
from tito.console import TitoError, console, err_console
from tito.grading import sandbox
from tito.grading.grader import REFERENCE_TIMEOUT, Grader, Result
from tito.modules import Module, find_module, project_root

NAME = "grade"
ORDER = 80
HELP = "grade submissions of a module, each sandboxed, in parallel"
DESCRIPTION = """\
Grade submissions (a learner's dev file, .py, or its notebook, .ipynb) with the module's
full tests (hidden tests included). Each submission is exported into its own package,
imported only by a sandboxed worker process; the tests run in a separate judge process
that never imports it and talks to the worker over a pipe that carries data, never code.

What a hostile submission cannot do: change its verdict. Its code never runs where
pass/fail and points are decided: results files, pytest's hooks, NumPy's comparisons and
the tests' assertions all live in the judge. Values it returns arrive as plain data (an
ndarray subclass arrives as a plain array); its own objects stay in the worker and are
reached by reference; its exceptions arrive as the matching builtin; its prints go to a
log nobody parses; ending its process (os._exit, a crash) fails the tests that needed it;
every process it starts is killed when it ends, daemons too. In isolated mode (root and
`unshare`) it also has no network, sees no copy of the solutions the grader found (the
checkout, its git worktrees and clones, an installed tinytorch, anything named with
--hide), cannot read the exact reference values the judges share, and runs as a
throwaway user with a disk quota. Without isolated mode it runs as your user and can
read and change your files; the tests it may change were read before it ran (the
verdict comes over a pipe, not a file), but tito's code, the Python installation and
the reference values the judges share, if your user may write them, are read by judges
that start later, so only isolated mode (or a read-only install) makes a forged grade
impossible (the report says which protections were given).

What it can still do: make a test pass whose own check trusts a learner object's answer
(e.g. `assert obj == 6` where obj is a learner object and not plain data); use its full
time, memory and disk limits; in isolated mode read world-readable files that are not
hidden.

Each test is worth 1 point (or n with @pytest.mark.points(n)); score = 100 * points / all
points of the tests the reference solution passes on this machine. Status: graded, timeout
(no result within --timeout) or error (with the reason: a syntax error and its line, a
symbolic link, a missing file, ...). A bad path is one error row; the others are graded.

  tito grade --module activations submissions/*.py
  tito grade -m 02 alice.ipynb bob.py --jobs 4 --timeout 300
  tito grade -m activations submissions/* --json > grades.json
  tito grade -m activations submissions/* --csv gradebook.csv --hide /srv/course-solutions
"""

STATUS_STYLE = {"graded": "green", "timeout": "yellow", "error": "red"}


def _seconds(text: str) -> float:
    value = float(text)
    if not value > 0:
        raise ValueError(text)
    return value


def add_arguments(parser) -> None:
    parser.add_argument("submissions", nargs="+", metavar="SUBMISSION", help="dev files (.py) or notebooks (.ipynb)")
    parser.add_argument("--module", "-m", required=True, metavar="M", help="the module they implement")
    parser.add_argument("--jobs", "-j", type=int, default=0, help="submissions at once (default: the number of cores)")
    parser.add_argument("--timeout", type=_seconds, default=sandbox.Limits.timeout,
                        help=f"seconds per submission, or inf (default {sandbox.Limits.timeout:g})")
    parser.add_argument("--reference-timeout", type=_seconds, default=REFERENCE_TIMEOUT,
                        help=f"seconds for the reference solution's own run (default {REFERENCE_TIMEOUT:g})")
    parser.add_argument("--memory", type=int, default=sandbox.Limits.memory_mb,
                        help=f"address-space limit in MB per submission (default {sandbox.Limits.memory_mb})")
    parser.add_argument("--disk", type=int, default=sandbox.Limits.disk_mb,
                        help=f"disk quota in MB per submission, isolated mode (default {sandbox.Limits.disk_mb})")
    parser.add_argument("--hide", action="append", default=[], metavar="PATH",
                        help="also hide this folder from submissions (another copy of the solutions); repeatable")
    parser.add_argument("--json", action="store_true", help="print the results as a JSON list")
    parser.add_argument("--csv", metavar="FILE", help="also write a gradebook as CSV")


def _short_names(submissions: list[str]) -> tuple[str, list[str]]:
    """The folder the submissions share, and each one's path from it (the names a table has room for)."""
    try:
        base = os.path.commonpath([os.path.dirname(s) or "." for s in submissions])
    except ValueError:  # absolute and relative paths mixed
        return "", submissions
    if base in ("", "."):
        return "", submissions
    return base, [os.path.relpath(s, base) for s in submissions]


def _table(results: list[Result], module: Module) -> Table:
    base, names = _short_names([r.submission for r in results])
    where = f" (submissions in {base})" if base else ""
    table = Table(title=Text(f"Grades: {module.folder}{where}"), title_justify="left")
    for column in ("#", "submission", "status", "passed", "failed", "points", "score", "reason"):
        table.add_column(column, justify="right" if column in ("#", "passed", "failed", "points", "score") else "left",
                         overflow="fold" if column in ("submission", "reason") else "ellipsis")
    for i, (r, name) in enumerate(zip(results, names), 1):
        table.add_row(str(i), Text(name), Text(r.status, style=STATUS_STYLE[r.status]), str(r.passed),
                      str(r.failed), f"{r.points}/{r.max_points}", f"{r.score:g}", Text(r.reason))
    return table


def _write_csv(path: Path, results: list[Result]) -> None:
    columns = ["submission", "score", "status", "passed", "failed", "points", "max_points", "reason", "seconds"]
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    for r in results:
        writer.writerow(asdict(r))
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(buffer.getvalue(), encoding="utf-8")
    os.replace(tmp, path)


def _sandbox_report(box: sandbox.Sandbox) -> None:
    if box.isolated:
        err_console.print("[green]sandbox: isolated[/] (" + "; ".join(p for p, _ in box.protections()) + ")")
        return
    missing = [p for p, given in box.protections() if not given]
    err_console.print(f"[yellow]sandbox: limits only[/] ({escape(box.reason)}); not given: " + "; ".join(missing))


def run(args) -> int:
    root = project_root()
    source = root / "assignments" / "source"
    if not source.is_dir():
        raise TitoError("no assignments/source/ here: grading needs the module's reference and full tests")
    module = find_module(args.module, source_dir=source)
    if not module.tests_dir.is_dir():
        raise TitoError(f"module {module.folder} has no tests/ folder")
    if args.jobs < 0 or args.memory < 256 or args.disk < 16:
        raise TitoError("--jobs must be >= 0, --memory at least 256 (MB) and --disk at least 16 (MB)")
    jobs = args.jobs or children.cores()
    limits = sandbox.Limits(timeout=args.timeout, memory_mb=args.memory, disk_mb=args.disk)
    submissions = [Path(name).expanduser().absolute() for name in args.submissions]
    start = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="tinytorch-grade-") as base:
        Path(base).chmod(0o711)  # throwaway users may pass through, not list
        grader = Grader(root, module, limits, Path(base), hide=args.hide, reference_timeout=args.reference_timeout)
        _sandbox_report(grader.sandbox)
        with err_console.status("running the reference solution ..."):
            grader.collect_possible()
        count, why = grader.skipped
        if count:
            err_console.print(f"[yellow]warning:[/] {count} test(s) skip with the reference solution "
                              f"on this machine and are not graded ({escape(why)})")
        count, why = grader.failing
        if count:
            err_console.print(f"[yellow]warning:[/] {count} test(s) fail with the reference solution "
                              f"under the grader and are not graded, e.g. {escape(why)}")
        done, lock = [0], threading.Lock()
        with err_console.status(f"grading {len(submissions)} submission(s), {jobs} at a time ...") as status:
            def grade(item):
                result = grader.grade(*item)
                with lock:
                    done[0] += 1
                    status.update(f"graded {done[0]} of {len(submissions)} ...")
                return result

            with ThreadPoolExecutor(max_workers=jobs) as pool:
                results = list(pool.map(grade, enumerate(submissions, 1)))
    seconds = time.monotonic() - start
    for r, given in zip(results, args.submissions):
        r.submission = given
    if args.csv:
        _write_csv(Path(args.csv).expanduser(), results)
    if args.json:
        sys.stdout.write(json.dumps([asdict(r) for r in results], indent=2) + "\n")
    else:
        console.print(_table(results, module))
    counts = {s: sum(r.status == s for r in results) for s in STATUS_STYLE}
    err_console.print(escape(f"graded {len(results)} submission(s) in {seconds:.1f} s with {jobs} job(s): "
                             + ", ".join(f"{n} {s}" for s, n in counts.items())
                             + (f"; gradebook: {args.csv}" if args.csv else "")))
    return 0 if counts["graded"] or counts["timeout"] else 1
