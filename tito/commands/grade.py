"""tito grade: test submissions of a module, each in its own sandboxed subprocess."""
from __future__ import annotations

import csv
import importlib.util
import io
import json
import os
import shutil
import signal
import stat
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path

from rich.markup import escape
from rich.table import Table

import tito
from tito import sandbox
from tito.commands.test import pytest_command
from tito.console import TitoError, console, err_console
from tito.export import Export, build_package, export_dev_file, export_modules
from tito.modules import Module, all_modules, find_module, project_root

NAME = "grade"
ORDER = 80
HELP = "grade submissions of a module, each sandboxed, in parallel"
DESCRIPTION = """\
Grade submissions (a learner's dev file, .py, or its notebook, .ipynb) with the module's
full tests (hidden tests included). Each submission is exported into its own temporary
package and tested in its own sandboxed subprocess, with a time limit, a memory limit
and, where the machine allows (root and `unshare`), no network, hidden solutions, and
its own throwaway user id; the report says which protections were given.

Each test is worth 1 point (or n with @pytest.mark.points(n)); score = 100 * points / all.
Status: graded, timeout (no result within --timeout) or error (with the reason, e.g.
a syntax error and its line, or a run that ended without a result).

  tito grade --module activations submissions/*.py
  tito grade -m 02 alice.ipynb bob.py --jobs 4 --timeout 300
  tito grade -m activations submissions/* --json > grades.json
  tito grade -m activations submissions/* --csv gradebook.csv
"""

STATUS_STYLE = {"graded": "green", "timeout": "yellow", "error": "red"}


def add_arguments(parser) -> None:
    parser.add_argument("submissions", nargs="+", metavar="SUBMISSION", help="dev files (.py) or notebooks (.ipynb)")
    parser.add_argument("--module", "-m", required=True, metavar="M", help="the module they implement")
    parser.add_argument("--jobs", "-j", type=int, default=0, help="submissions at once (default: the number of cores)")
    parser.add_argument("--timeout", type=float, default=sandbox.Limits.timeout,
                        help=f"seconds per submission (default {sandbox.Limits.timeout:g})")
    parser.add_argument("--memory", type=int, default=sandbox.Limits.memory_mb,
                        help=f"address-space limit in MB per submission (default {sandbox.Limits.memory_mb})")
    parser.add_argument("--json", action="store_true", help="print the results as a JSON list")
    parser.add_argument("--csv", metavar="FILE", help="also write a gradebook as CSV")


@dataclass
class Result:
    submission: str
    status: str = "error"   # graded | timeout | error
    score: float = 0.0      # 0-100
    passed: int = 0
    failed: int = 0
    points: float = 0
    max_points: float = 0
    reason: str = ""
    seconds: float = 0.0
    failures: list[dict] = field(default_factory=list)


class Grader:
    """Everything the submissions of one module share: the reference, the tests, the limits."""

    def __init__(self, root: Path, module: Module, limits: sandbox.Limits, base: Path):
        self.root, self.module, self.limits, self.base = root, module, limits, base
        source = root / "assignments" / "source"
        self.exports = export_modules(all_modules(source), root)
        self.reference = next((e for e in self.exports if e.dev_file == module.dev_file), None)
        if self.reference is None:
            raise TitoError(f"module {module.folder} has no dev file to grade against")
        self.sandbox = sandbox.probe()
        self.possible: dict[str, float] = {}

    # -- one sandboxed pytest run --------------------------------------------------------
    def _checkout(self, folder: Path, dev_text: str) -> Path:
        """A minimal copy of the project for the tests: pytest settings, the module, its tests."""
        checkout = folder / "checkout"
        module_dir = checkout / "assignments" / "source" / self.module.folder
        shutil.copytree(self.module.tests_dir, module_dir / "tests",
                        ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        for extra in ("module.yaml", "README.md"):
            if (self.module.path / extra).exists():
                shutil.copy2(self.module.path / extra, module_dir / extra)
        if (self.root / "pyproject.toml").exists():  # the project's pytest settings, e.g. filterwarnings
            shutil.copy2(self.root / "pyproject.toml", checkout / "pyproject.toml")
        else:
            (checkout / "pyproject.toml").write_text("[tool.pytest.ini_options]\n", encoding="utf-8")
        (module_dir / self.module.dev_file.name).write_text(dev_text, encoding="utf-8")
        return checkout

    def _run(self, folder: Path, number: int, export: Export, checkout: Path, extra: list[str]) -> tuple:
        package = build_package(folder / "package", [e for e in self.exports if e.target != export.target] + [export],
                                self.root)
        _readable(package)
        _readable(checkout)
        tests = checkout / "assignments" / "source" / self.module.folder / "tests"
        work = folder / "work"
        results = work / "results.json"
        argv = [*pytest_command(), str(tests), "-p", "no:cacheprovider", "-p", "tito.grade_plugin",
                "-q", "--tb=no", "--no-header", "-c", str(checkout / "pyproject.toml"), "--rootdir", str(checkout),
                *extra]
        if importlib.util.find_spec("hypothesis"):
            argv.append("--hypothesis-seed=0")  # every submission meets the same examples
        env = {
            "PATH": os.pathsep.join([str(Path(sys.executable).parent), "/usr/bin", "/bin"]),
            "HOME": str(work), "TMPDIR": str(work / "tmp"), "MPLCONFIGDIR": str(work / "tmp"),
            # The package under test first, then the very tito running now: an editable
            # install's own path to tito may lie in a folder the sandbox hides (e.g. /tmp).
            "PYTHONPATH": os.pathsep.join([str(package), str(Path(tito.__file__).resolve().parents[1])]),
            "PYTHONDONTWRITEBYTECODE": "1", "PYTHONHASHSEED": "0",
            "MPLBACKEND": "Agg", "LANG": "C.UTF-8", "NO_COLOR": "1",
            "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
            "TINYTORCH_ROOT": str(checkout), "TINYTORCH_GRADE_RESULTS": str(results),
        }
        if "CI" in os.environ:
            env["CI"] = os.environ["CI"]
        hide = [str(self.root / name) for name in ("assignments", "tinytorch", ".git")]
        hide += [os.path.expanduser("~"), "/tmp", "/var/tmp", "/dev/shm"]
        keep = [sys.prefix, sys.base_prefix, str(Path(tito.__file__).parent)]
        job = sandbox.Job(argv, env, folder, self.limits, number, hide, keep)
        finished = sandbox.run(job, self.sandbox)
        return finished, _read_results(results)

    def collect_possible(self) -> None:
        """The tests and their points: those the reference solution runs on this machine.

        A test the reference skips here (a PyTorch cross-check without PyTorch) can be
        passed by nobody, so it is left out of everyone's points; a submission that makes
        a counted test skip does not earn it.
        """
        folder = Path(tempfile.mkdtemp(prefix="reference-", dir=self.base))
        folder.chmod(0o755)
        checkout = self._checkout(folder, self.module.dev_file.read_text(encoding="utf-8"))
        finished, data = self._run(folder, 0, self.reference, checkout, [])
        shutil.rmtree(folder, ignore_errors=True)
        if data is None or data["errors"] or not data["points"]:
            problem = (data["errors"][0]["message"] if data and data["errors"] else
                       "no tests were collected" if data else finished.output.strip()[-800:])
            raise TitoError(f"the tests of {self.module.folder} do not collect with the reference solution: {problem}")
        outcomes = data["outcomes"]
        skipped = [t for t in data["points"] if outcomes.get(t, {}).get("outcome") == "skipped"]
        self.possible = {t: p for t, p in data["points"].items() if t not in skipped}
        if skipped:
            why = outcomes[skipped[0]]["message"].removeprefix("skipped: ")
            err_console.print(f"[yellow]warning:[/] {len(skipped)} test(s) skip with the reference solution "
                              f"on this machine and are not graded ({escape(why)})")
        if not self.possible:
            raise TitoError(f"every test of {self.module.folder} skips with the reference solution here")

    # -- one submission ------------------------------------------------------------------
    def grade(self, number: int, path: Path) -> Result:
        result = Result(str(path), max_points=_number(sum(self.possible.values())))
        start = time.monotonic()
        folder = Path(tempfile.mkdtemp(prefix=f"submission-{number:04d}-", dir=self.base))
        folder.chmod(0o755)
        try:
            self._grade(number, path, folder, result)
        except Exception as exc:  # one row's trouble never stops the others
            result.status, result.reason = "error", f"could not grade: {type(exc).__name__}: {exc}"
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        result.seconds = round(time.monotonic() - start, 2)
        return result

    def _grade(self, number: int, path: Path, folder: Path, result: Result) -> None:
        try:
            text = _read_submission(path)
            compile(text, path.name, "exec", dont_inherit=True)
        except SyntaxError as exc:
            result.reason = f"syntax error at line {exc.lineno}: {exc.msg}"
            return
        except (OSError, ValueError) as exc:
            result.reason = str(exc)
            return
        checkout = self._checkout(folder, text)
        dev_file = checkout / "assignments" / "source" / self.module.folder / self.module.dev_file.name
        try:
            export = export_dev_file(dev_file, checkout)
        except TitoError as error:
            result.reason = error.message.split(": ", 1)[-1]
            return
        if export.target != self.reference.target:
            result.reason = f"it exports tinytorch.{export.target}, not tinytorch.{self.reference.target}"
            return
        finished, data = self._run(folder, number, export, checkout, [])
        if finished.timed_out:
            result.status, result.reason = "timeout", f"no result within {self.limits.timeout:g} s (an endless loop?)"
            return
        if data is None:
            result.reason = f"the test run ended without a result ({_describe_exit(finished.returncode)})"
            last = [line for line in finished.output.splitlines() if line.strip()]
            if last:
                result.reason += f": {last[-1][:200]}"
            return
        outcomes = data["outcomes"]
        if not outcomes and data["errors"]:
            result.reason = f"the tests could not start: {data['errors'][0]['message'][:300]}"
            return
        earned = 0.0
        for test_id, points in self.possible.items():
            outcome = outcomes.get(test_id, {"outcome": "missing", "message": "did not run"})
            if outcome["outcome"] == "passed":
                result.passed += 1
                earned += points
            else:
                result.failed += 1
                result.failures.append({"test": test_id.rsplit("/", 1)[-1], "message": outcome["message"]})
        result.status = "graded"
        result.points = _number(earned)
        total = sum(self.possible.values())
        result.score = round(100.0 * earned / total, 1) if total else 0.0


def _readable(folder: Path) -> None:
    """Readable (not writable) by the sandbox's throwaway user: files 0644, folders 0755."""
    for path in [folder, *folder.rglob("*")]:
        if not path.is_symlink():
            path.chmod(0o755 if path.is_dir() else 0o644)


def _number(value: float) -> float | int:
    return int(value) if float(value).is_integer() else round(value, 2)


def _describe_exit(code: int | None) -> str:
    if code is None:
        return "killed"
    if code < 0:
        try:
            return f"killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"killed by signal {-code}"
    return f"exit code {code}"


def _read_submission(path: Path) -> str:
    if path.suffix == ".ipynb":
        import jupytext  # only for notebooks: importing it costs every tito command a second

        try:
            return jupytext.writes(jupytext.read(path, fmt="ipynb"), fmt="py:percent")
        except Exception as exc:  # nbformat and json report broken notebooks in many ways
            raise ValueError(f"not a readable notebook: {str(exc).splitlines()[0][:200]}") from None
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise ValueError(f"not UTF-8 text: {exc.reason} at byte {exc.start}") from None


def _read_results(path: Path) -> dict | None:
    """The plugin's JSON, read defensively: the submission could have replaced the file."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError:
        return None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode) or info.st_size > 32 * 2**20:
            return None
        with os.fdopen(fd, "rb") as handle:
            fd = -1
            data = json.loads(handle.read().decode("utf-8", errors="replace"))
    except (OSError, ValueError):
        return None
    finally:
        if fd >= 0:
            os.close(fd)
    if not isinstance(data, dict):
        return None
    try:
        points = {str(k): float(v) for k, v in data.get("points", {}).items()}
        outcomes = {str(k): {"outcome": str(v["outcome"]), "message": str(v.get("message", ""))}
                    for k, v in data.get("outcomes", {}).items()}
        errors = [{"message": str(e.get("message", ""))} for e in data.get("errors", [])]
    except (AttributeError, KeyError, TypeError, ValueError):
        return None
    return {"points": points, "outcomes": outcomes, "errors": errors}


def _check_submissions(names: list[str]) -> list[Path]:
    paths = [Path(name).expanduser() for name in names]
    missing = [str(p) for p in paths if not p.is_file()]
    if missing:
        raise TitoError(f"no such submission file: {', '.join(missing)}")
    wrong = [str(p) for p in paths if p.suffix not in (".py", ".ipynb")]
    if wrong:
        raise TitoError(f"not a dev file (.py) or notebook (.ipynb): {', '.join(wrong)}")
    return [p.resolve() for p in paths]


def _table(results: list[Result], module: Module) -> Table:
    table = Table(title=f"Grades: {module.folder}", title_justify="left")
    for column in ("#", "submission", "status", "passed", "failed", "points", "score", "reason"):
        table.add_column(column, justify="right" if column in ("#", "passed", "failed", "points", "score") else "left")
    for i, r in enumerate(results, 1):
        style = STATUS_STYLE[r.status]
        table.add_row(str(i), r.submission, f"[{style}]{r.status}[/]", str(r.passed), str(r.failed),
                      f"{r.points}/{r.max_points}", f"{r.score:g}", r.reason)
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
    err_console.print(f"[yellow]sandbox: limits only[/] ({box.reason}); not given: " + "; ".join(missing))


def run(args) -> int:
    root = project_root()
    source = root / "assignments" / "source"
    if not source.is_dir():
        raise TitoError("no assignments/source/ here: grading needs the module's reference and full tests")
    module = find_module(args.module, source_dir=source)
    if not module.tests_dir.is_dir():
        raise TitoError(f"module {module.folder} has no tests/ folder")
    submissions = _check_submissions(args.submissions)
    if args.jobs < 0 or args.timeout <= 0 or args.memory < 256:
        raise TitoError("--jobs must be >= 0, --timeout > 0 and --memory at least 256 (MB)")
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    jobs = args.jobs or cores
    limits = sandbox.Limits(timeout=args.timeout, memory_mb=args.memory)
    start = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="tinytorch-grade-") as base:
        Path(base).chmod(0o711)  # throwaway users may pass through, not list
        grader = Grader(root, module, limits, Path(base))
        _sandbox_report(grader.sandbox)
        grader.collect_possible()
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
    err_console.print(f"graded {len(results)} submission(s) in {seconds:.1f} s with {jobs} job(s): "
                      + ", ".join(f"{n} {s}" for s, n in counts.items())
                      + (f"; gradebook: {args.csv}" if args.csv else ""))
    return 0
