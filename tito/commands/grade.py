"""tito grade: arguments and output; the grading itself is tito.grading."""
from __future__ import annotations

import contextlib
import csv
import io
import json
import os
import re
import signal
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
from tito.grading.grader import PROPERTY_SHARE, REFERENCE_TIMEOUT, Grader, Result, read_submission
from tito.modules import Module, find_module, project_root

NAME = "grade"
ORDER = 80
HELP = "grade submissions of a module, each sandboxed, in parallel"
DESCRIPTION = """\
Grade submissions (a learner's dev file, .py, or its notebook, .ipynb) with the module's
full tests (hidden tests included). Each submission is exported into its own package,
imported only by a sandboxed worker process; the tests run in a separate judge process
that never imports it and talks to the worker over a pipe that carries data, never code.

What a submission cannot do, in any mode: change its verdict. Pass/fail and points are
decided in the judge, which has everything it decides with (the tests, the values the
reference run's tests shared) in memory before the submission runs and imports only from
the installation: results files, pytest's hooks, NumPy's comparisons and the tests'
assertions all live there. Values cross as plain data (an ndarray subclass arrives as a
plain array); the arrays the tests lend it are copies, so changing them changes nothing
the judge computes with; its own objects stay in the worker and are reached by
reference; its exceptions arrive as the matching builtin; its prints go to a log nobody
parses; ending its process (os._exit, a crash) fails the tests that needed it; every
process it starts is killed when it ends, daemons too. Every submission is read before
any runs, never through a symbolic link (in any folder of its path).

Isolated mode (the default where the machine allows it: root and `unshare`) also gives:
no network; no copy of the solutions the grader found (the checkout, its git worktrees
and clones, an installed tinytorch, anything named with --hide) and nothing of tito but
the worker's own code; a throwaway user with a disk quota, who can change no file of
yours nor another submission's.

Without isolated mode the submission runs as your user: it can read what you can (the
solutions, tito's oracles), so it can copy right answers, and change your files. Its
verdict stays its own only if tito, Python and its packages are installed where your
user cannot write (a read-only install), and other submissions' verdicts only with one
submission at a time (--jobs 1, the default there): submissions graded at the same time
can change each other's results. The report says which mode ran.

What it can still do in any mode: make a test pass whose own check trusts a learner
object's answer (`assert obj == 6` where obj is a learner object, not plain data); use
its full time, memory and disk limits; in isolated mode read world-readable files that
are not hidden.

Points: each test is worth 1 (or n with @pytest.mark.points(n)); the tests the reference
solution does not pass on this machine count for nobody. The reference also runs blind
(every number it returns reaches the tests as zero): the tests that still pass check
what code computing nothing gets right too (a shape, a dtype, an error, no warning) and
share 5% of the score; the tests that need the right values share the rest. Status:
graded, timeout (no result within --timeout) or error (with the reason: a syntax error
and its line, a symbolic link, a missing file, ...). A bad path is one error row; the
others are graded. The gradebook (--csv) is rewritten as each row is done: Ctrl-C stops
within seconds and loses no finished row.

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
    parser.add_argument("--jobs", "-j", type=int, default=0,
                        help="submissions at once (default: the number of cores when isolated, else 1)")
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


def shown(text: str) -> str:
    """`text` safe to print: control characters and bytes that are not UTF-8 become escapes."""
    return _CONTROL.sub(lambda m: f"\\x{ord(m[0]) & 0xFF:02x}" if 0xDC80 <= ord(m[0]) <= 0xDCFF
                        else m[0].encode("unicode_escape").decode(), text)


_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\udc80-\udcff]")


def _cell(text: str) -> str:
    """A gradebook cell: shown(text), and never read as a formula by a spreadsheet."""
    text = shown(text)
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text


def _table(results: list[Result], module: Module) -> Table:
    base, names = _short_names([r.submission for r in results])
    where = f" (submissions in {shown(base)})" if base else ""
    table = Table(title=Text(f"Grades: {module.folder}{where}"), title_justify="left")
    for column in ("#", "submission", "status", "passed", "failed", "points", "score", "reason"):
        table.add_column(column, justify="right" if column in ("#", "passed", "failed", "points", "score") else "left",
                         overflow="fold" if column in ("submission", "reason") else "ellipsis")
    for i, (r, name) in enumerate(zip(results, names), 1):
        table.add_row(str(i), Text(shown(name)), Text(r.status, style=STATUS_STYLE[r.status]), str(r.passed),
                      str(r.failed), f"{r.points}/{r.max_points}", f"{r.score:g}", Text(shown(r.reason)))
    return table


def write_csv(path: Path, results: list[Result]) -> None:
    """The gradebook, replaced in one step (a reader never sees half of it)."""
    columns = ["submission", "score", "status", "passed", "failed", "points", "max_points", "reason", "seconds"]
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    for r in results:
        row = {k: v for k, v in asdict(r).items() if k in columns}
        writer.writerow({k: _cell(v) if isinstance(v, str) else v for k, v in row.items()})
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(buffer.getvalue())
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


def _sandbox_report(box: sandbox.Sandbox) -> None:
    if box.isolated:
        how = "in a user namespace of its own" if box.as_user else "as a throwaway user"
        err_console.print(f"[green]sandbox: isolated[/], {how} (" + "; ".join(p for p, _ in box.protections()) + ")")
        return
    missing = [p for p, given in box.protections() if not given]
    err_console.print(f"[yellow]sandbox: limits only[/] ({escape(box.reason)}); not given: " + "; ".join(missing))


class _Stopped(Exception):
    """SIGTERM, as Ctrl-C."""


def _on_sigterm(signum, frame):
    raise _Stopped


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
    jobs = args.jobs or (children.cores() if sandbox.probe().isolated else 1)
    limits = sandbox.Limits(timeout=args.timeout, memory_mb=args.memory, disk_mb=args.disk)
    gradebook = Path(args.csv).expanduser() if args.csv else None
    # Every submission is read now, before any runs: none can change another's file.
    results, texts = [], []
    for given in args.submissions:
        path = Path(os.path.abspath(os.path.expanduser(given)))
        try:
            texts.append((path, read_submission(path), ""))
        except ValueError as exc:
            texts.append((path, None, str(exc)))
        results.append(Result(given, reason="not graded: tito grade was stopped"))
    start = time.monotonic()
    signal.signal(signal.SIGTERM, _on_sigterm)
    interrupted = False
    try:
        with tempfile.TemporaryDirectory(prefix="tinytorch-grade-") as base:
            Path(base).chmod(0o711)  # throwaway users may pass through, not list
            grader = Grader(root, module, limits, Path(base), hide=args.hide, reference_timeout=args.reference_timeout)
            _sandbox_report(grader.sandbox)
            _grade_all(grader, texts, results, jobs, gradebook)
    except (KeyboardInterrupt, _Stopped):
        interrupted = True
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
    unwritten = ""
    if gradebook is not None:
        try:
            write_csv(gradebook, results)
        except OSError as exc:   # the results are still printed below
            unwritten = f"{exc.strerror or exc}"
    seconds = time.monotonic() - start
    if args.json:
        sys.stdout.write(json.dumps([asdict(r) for r in results], indent=2) + "\n")
    else:
        console.print(_table(results, module))
    counts = {s: sum(r.status == s for r in results) for s in STATUS_STYLE}
    err_console.print(escape(shown(f"graded {len(results)} submission(s) in {seconds:.1f} s with {jobs} job(s): "
                                   + ", ".join(f"{n} {s}" for s, n in counts.items())
                                   + (f"; gradebook: {args.csv}" if args.csv else ""))))
    if unwritten:
        err_console.print(f"[red]error:[/] the gradebook {escape(shown(str(gradebook)))} could not be written "
                          f"({escape(unwritten)}); the results are above")
    if interrupted:
        err_console.print("[yellow]stopped:[/] the submissions not graded are rows that say so")
        return 130
    if unwritten:
        return 1
    return 0 if counts["graded"] or counts["timeout"] else 1


def _grade_all(grader: Grader, texts: list, results: list[Result], jobs: int, gradebook: Path | None) -> None:
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
    count = len(grader.properties)
    if count and count < len(grader.possible):
        err_console.print(f"points: {len(grader.possible) - count} test(s) need the right values; {count} pass "
                          "even when every number the reference returns is zero (shapes, dtypes, errors, warnings) "
                          f"and weigh {PROPERTY_SHARE:.0%} of the score together")
    done, lock = [0], threading.Lock()
    with err_console.status(f"grading {len(texts)} submission(s), {jobs} at a time ...") as status:
        def grade(index):
            path, text, unreadable = texts[index]
            result = grader.grade(index + 1, path, text, unreadable)
            result.submission = results[index].submission
            with lock:
                results[index] = result
                done[0] += 1
                status.update(f"graded {done[0]} of {len(texts)} ...")
                if gradebook is not None:
                    with contextlib.suppress(OSError):   # the gradebook so far: nothing is lost
                        write_csv(gradebook, results)     # if tito grade itself is killed
            return result

        pool = ThreadPoolExecutor(max_workers=jobs)
        try:
            for future in [pool.submit(grade, i) for i in range(len(texts))]:
                future.result()
        except BaseException:
            grader.stop()   # every judge ends now, and with it its worker: their rows say so
            raise
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
