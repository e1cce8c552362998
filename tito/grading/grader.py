"""Grading a class: every submission exported, judged by its own judge against its own sandboxed worker.

For each submission (and first for the reference solution, which decides which tests
count and what each weighs), the grader:

1. has read it before any submission ran (never through a symbolic link, in any folder
   of its path), exports it with tito.export (parsing only: nothing of it runs here), and
   builds a package of its own: the other modules' reference exports plus this export;
2. starts a judge (tito.grading.judge) in a trusted subprocess and hands it, over its
   standard input, everything it decides with (the module's tests as read once, the values
   the reference run's tests shared); the judge starts the worker in the sandbox
   (tito.grading.sandbox), with every copy of the solutions it found hidden;
3. reads the judge's results from a pipe, never from a file.
"""
from __future__ import annotations

import contextlib
import dataclasses
import errno
import importlib.util
import json
import math
import os
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import tito
from tito.children import ONE_THREAD, signal_group
from tito.console import TitoError
from tito.export import Export, build_package, export_dev_file, export_modules
from tito.grading import sandbox
from tito.grading.judge import BOOT, frames, unframe
from tito.modules import Module, all_modules

REFERENCE_TIMEOUT = 900.0   # seconds for the reference solution's own run (a busy machine is slow)
PROPERTY_SHARE = 0.05       # of the score: the tests that code computing nothing passes too
_SKIP_SCAN = {"proc", "sys", "dev", "usr", "lib", "lib32", "lib64", "bin", "sbin", "etc", "boot", "run",
              "snap", "var", "nix", "lost+found"}
# The worker's own code: all of tito a sandboxed worker may import.
WORKER_FILES = ("__init__.py", "grading/__init__.py", "grading/worker.py", "grading/peer.py", "grading/wire.py")


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


def _is_dir(path: Path) -> bool:
    try:
        return path.is_dir()
    except OSError:   # a folder this user may not enter
        return False


def solution_copies(root: Path, named: list[str] = ()) -> list[str]:
    """Every copy of the reference solutions this machine shows: folders to hide from a worker.

    The checkout itself; its git worktrees, the repository they share and local clones it
    names; an installed `tinytorch` outside it; any folder (three levels below /, the home
    folders and the checkout's parents) that holds `assignments/source`; and `named`.
    Folders this user may not read are passed over.
    """
    found = {root.resolve()}
    git = shutil.which("git")
    if git and (root / ".git").exists():
        for args in (["worktree", "list", "--porcelain"], ["rev-parse", "--path-format=absolute", "--git-common-dir"],
                     ["config", "--get-regexp", r"remote\..*\.url"]):
            try:
                out = subprocess.run([git, "-C", str(root), *args], capture_output=True, text=True, timeout=20).stdout
            except (OSError, subprocess.TimeoutExpired):
                continue
            for line in out.splitlines():
                value = line.split(" ", 1)[-1].strip()
                path = Path(value).parent if value.endswith(".git") else Path(value)
                if path.is_absolute() and _is_dir(path):
                    found.add(path.resolve())
    try:
        spec = importlib.util.find_spec("tinytorch")
    except (ImportError, ValueError):
        spec = None
    for location in (spec.submodule_search_locations or []) if spec else []:
        found.add(Path(location).resolve())
    bases = {Path("/"), Path.home(), Path("/home"), Path("/root"), root.parent, root.parent.parent}
    seen = 0
    for base in bases:
        frontier = [base]
        for depth in range(3):
            deeper = []
            for folder in frontier:
                try:
                    entries = list(os.scandir(folder))
                except OSError:
                    continue
                for entry in entries:
                    seen += 1
                    try:
                        is_folder = entry.is_dir(follow_symlinks=False)
                    except OSError:
                        continue
                    if seen > 20000 or not is_folder or entry.name.startswith(".") \
                            or (folder == Path("/") and entry.name in _SKIP_SCAN):
                        continue
                    path = Path(entry.path)
                    if _is_dir(path / "assignments" / "source"):
                        found.add(path.resolve())
                    elif depth < 2:
                        deeper.append(path)
            frontier = deeper
    found.update(Path(p).expanduser().resolve() for p in named)
    return sorted(str(p) for p in found)


def _open_without_links(path: Path) -> int:
    """A descriptor of `path`, opened folder by folder from / without following any symbolic link."""
    parts = Path(os.path.abspath(path)).parts
    fd = os.open("/", os.O_RDONLY | os.O_DIRECTORY)
    try:
        for depth, part in enumerate(parts[1:], 1):
            last = depth == len(parts) - 1
            flags = os.O_NOFOLLOW | (os.O_RDONLY | os.O_NONBLOCK if last else os.O_RDONLY | os.O_DIRECTORY)
            try:
                inner = os.open(part, flags, dir_fd=fd)
            except FileNotFoundError:
                raise ValueError("no such file") from None
            except OSError as exc:
                here = os.path.join(*parts[:depth + 1])
                if os.path.islink(here):
                    what = "it is" if last else f"the folder {here} on its path is"
                    raise ValueError(f"{what} a symbolic link: grading follows none (give the real path "
                                     f"{os.path.realpath(path)} if it is meant)") from None
                if exc.errno == errno.ENOTDIR:
                    raise ValueError(f"{here} is not a folder") from None
                raise ValueError(f"cannot read it: {exc.strerror}") from None
            os.close(fd)
            fd = inner
        return fd
    except BaseException:
        os.close(fd)
        raise


def read_submission(path: Path) -> str:
    """The submission's text as a percent-format dev file; ValueError saying why it cannot be read."""
    fd = _open_without_links(path)
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode):
        os.close(fd)
        raise ValueError("it is a folder, not a dev file (.py) or notebook (.ipynb)" if stat.S_ISDIR(info.st_mode)
                         else "not a regular file")
    with os.fdopen(fd, "rb") as handle:
        if info.st_size > 32 * 2**20:
            raise ValueError(f"too large ({info.st_size / 2**20:.0f} MB)")
        data = handle.read()
    if path.suffix not in (".py", ".ipynb"):
        raise ValueError("not a dev file (.py) or notebook (.ipynb)")
    try:
        text = data.decode("utf-8-sig")   # a byte-order mark is fine, as it is to Python
    except UnicodeDecodeError as exc:
        raise ValueError(f"not UTF-8 text: {exc.reason} at byte {exc.start}") from None
    if path.suffix == ".ipynb":
        import jupytext  # only for notebooks: importing it costs every tito command a second

        try:
            return jupytext.writes(jupytext.reads(text, fmt="ipynb"), fmt="py:percent")
        except Exception as exc:  # nbformat and json report broken notebooks in many ways
            why = str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__
            raise ValueError(f"not a readable notebook: {why}") from None
    return text


def _readable(folder: Path) -> None:
    """Readable (not writable) by the sandbox's throwaway user: files 0644, folders 0755."""
    for path in [folder, *folder.rglob("*")]:
        if not path.is_symlink():
            path.chmod(0o755 if path.is_dir() else 0o644)


def number(value: float) -> float | int:
    return int(value) if float(value).is_integer() else round(value, 2)


def _drain(fd: int, into: list[bytes]) -> None:
    """Read the judge's results pipe to its end (a thread: the judge may write more than a pipe holds)."""
    with os.fdopen(fd, "rb") as handle:
        while chunk := handle.read(1 << 16):
            into.append(chunk)


def _parse_results(data: bytes) -> tuple[dict | None, bytes]:
    try:
        head, shared = unframe(data)
        found = json.loads(head.decode("utf-8", errors="replace"))
    except (ValueError, TypeError):
        return None, b""
    return (found, shared) if isinstance(found, dict) else (None, b"")


class Grader:
    """Everything the submissions of one module share: the reference, the tests, the limits."""

    def __init__(self, root: Path, module: Module, limits: sandbox.Limits, base: Path,
                 hide: list[str] = (), reference_timeout: float = REFERENCE_TIMEOUT):
        self.root, self.module, self.limits, self.base = root, module, limits, base
        self.reference_timeout = reference_timeout
        self.modules = all_modules(module.path.parent)
        self.exports = export_modules(self.modules, root)
        self.reference = next((e for e in self.exports if e.dev_file == module.dev_file), None)
        if self.reference is None:
            raise TitoError(f"module {module.folder} has no dev file to grade against")
        # The module's test files, read once now, before any submission runs: every judge
        # imports them from these bytes, whatever happens to the files later.
        self.tests = {os.path.realpath(p): p.read_bytes() for p in sorted(module.tests_dir.rglob("*.py"))
                      if "__pycache__" not in p.parts and p.is_file() and not p.is_symlink()}
        self.sandbox = sandbox.probe()
        self.hidden = solution_copies(root, list(hide))
        tito_dir = Path(tito.__file__).resolve().parent
        self.worker_files = [str(tito_dir / f) for f in WORKER_FILES]
        self.possible: dict[str, float] = {}
        self.weights: dict[str, float] = {}
        self.properties: set[str] = set()
        self.shared = b""   # the values the reference run's tests shared (tito.testing.shared)
        self._lock, self._running = threading.Lock(), set()   # the judges running now
        self.stopped = False

    # -- one judged run --------------------------------------------------------------------
    def _judge(self, folder: Path, number_: int, export: Export, timeout: float, blind: bool = False) -> tuple:
        """Run the module's tests in a judge against `export`; (timed out, exit code, results or None, tail)."""
        judge_dir = folder / "judge"
        judge_dir.mkdir(mode=0o700)
        package = build_package(folder / "package", [e for e in self.exports if e.target != export.target] + [export],
                                self.root)
        _readable(package)
        shared_tmp = folder / "tmp"
        tito_path = str(Path(tito.__file__).resolve().parents[1])
        common = {"MPLBACKEND": "Agg", "LANG": "C.UTF-8", "NO_COLOR": "1", "PYTHONDONTWRITEBYTECODE": "1",
                  "PYTHONHASHSEED": "0", **ONE_THREAD,
                  "PATH": os.pathsep.join([str(Path(sys.executable).parent), "/usr/bin", "/bin"])}
        for name in ("CI", tito.HIDE_TORCH_ENV):   # as the tests would run here
            if name in os.environ:
                common[name] = os.environ[name]
        work = folder / "work"
        worker_env = dict(common, HOME=str(work), TMPDIR=str(work / "tmp"), MPLCONFIGDIR=str(work / "tmp"),
                          PYTHONPATH=os.pathsep.join([str(package), tito_path]))
        judge_env = dict(common, HOME=str(judge_dir), TMPDIR=str(judge_dir), MPLCONFIGDIR=str(judge_dir),
                         PYTHONPATH=tito_path, TINYTORCH_ROOT=str(self.root), TINYTORCH_GRADE_TMP=str(shared_tmp),
                         TINYTORCH_CACHE_DIR="")   # the values its tests compute stay in its memory
        tests = self.module.tests_dir
        project = self.root / "pyproject.toml"   # the project's pytest settings, e.g. filterwarnings
        pytest_args = [str(tests), *tito.PYTEST_PLUGINS, "-p", "tito.grading.plugin", "-q", "--tb=no",
                       "--no-header", "-c", str(project) if project.is_file() else os.devnull,
                       "--rootdir", str(self.root), "--confcutdir", str(tests), "--basetemp", str(shared_tmp),
                       "-W", "ignore::pytest.PytestUnraisableExceptionWarning"]
        if importlib.util.find_spec("hypothesis"):
            pytest_args.append("--hypothesis-seed=0")  # every submission meets the same examples
        keep = [sys.prefix, sys.base_prefix, *self.worker_files, str(folder)]
        hide = self.hidden + [os.path.expanduser("~"), *sandbox.WRITABLE]
        results_r, results_w = os.pipe()   # the verdict comes back over a pipe, never through a file
        spec = {"sandbox": dataclasses.asdict(self.sandbox),
                "limits": {k: (None if isinstance(v, float) and math.isinf(v) else v)
                           for k, v in self.limits.__dict__.items()},
                "worker_env": worker_env, "worker_folder": str(folder), "number": number_,
                "hide": hide, "keep": keep, "pytest_args": pytest_args, "results_fd": results_w,
                "blind": blind, "share": export is self.reference and not blind, "grader": os.getpid()}
        given = frames([json.dumps(spec).encode(), self.shared,
                        *(part for path, data in self.tests.items() for part in (path.encode(), data))])
        log = judge_dir / "judge.log"
        received: list[bytes] = []
        reader = threading.Thread(target=_drain, args=(results_r, received), daemon=True)
        with open(log, "wb") as output:
            try:
                process = subprocess.Popen([sys.executable, "-s", "-c", BOOT], cwd=judge_dir, env=judge_env,
                                           stdin=subprocess.PIPE, stdout=output, stderr=subprocess.STDOUT,
                                           start_new_session=True, pass_fds=(results_w,))
            finally:
                os.close(results_w)
            reader.start()
            with self._lock:
                self._running.add(process)
            timed_out = False
            try:
                with contextlib.suppress(OSError):   # it ended before reading: its exit says why
                    process.stdin.write(given)
                    process.stdin.close()
                process.wait(None if math.isinf(timeout) else timeout)
            except subprocess.TimeoutExpired:
                timed_out = True
                process.terminate()   # the judge ends its worker and everything it started
                with contextlib.suppress(subprocess.TimeoutExpired):
                    process.wait(15)
            finally:
                signal_group(process.pid)
                process.wait()
                with self._lock:
                    self._running.discard(process)
        reader.join(30)
        data, shared = (None, b"") if timed_out or reader.is_alive() else _parse_results(b"".join(received))
        tail = log.read_bytes()[-2000:].decode("utf-8", errors="replace") if log.exists() else ""
        return timed_out, process.returncode, data, shared, tail

    def stop(self) -> None:
        """End every judge running now (and, through each, its worker): tito grade was interrupted."""
        with self._lock:
            self.stopped = True
            running = list(self._running)
        for process in running:
            signal_group(process.pid, signal.SIGTERM)

    def _reference_run(self, blind: bool) -> dict:
        folder = Path(tempfile.mkdtemp(prefix="reference-", dir=self.base))
        folder.chmod(0o755)
        try:
            timed_out, code, data, shared, tail = self._judge(folder, 0, self.reference, self.reference_timeout, blind)
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        if timed_out:
            raise TitoError(f"the reference solution's own run of the {self.module.folder} tests took longer than "
                            f"{self.reference_timeout:g} s (a busy machine?)",
                            hint="raise --reference-timeout (seconds), or grade when the machine is less busy")
        if data is None or not data.get("points"):
            problem = (data["errors"][0]["message"] if data and data.get("errors") else
                       "no tests were collected" if data else
                       f"the judge {sandbox.describe_exit(code)}: {tail.strip()[-600:]}")
            raise TitoError(f"the tests of {self.module.folder} do not collect with the reference solution: {problem}")
        if not blind:
            self.shared = shared
        return data

    def collect_possible(self) -> None:
        """The tests, their points and their weights, from two runs of the reference solution.

        A test the reference skips here (a PyTorch cross-check without PyTorch), or fails
        here, can be passed by nobody, so it is left out of everyone's points (and named in
        a warning); a submission that makes a counted test skip does not earn it. The second
        run is blind (every number the reference returns reaches the tests as zero): a test
        that still passes checks what code computing nothing also gets right (a shape, a
        dtype, an error for bad input, no warning), and all such tests together weigh
        PROPERTY_SHARE of the score; the tests that need the right values weigh the rest.
        """
        data = self._reference_run(blind=False)
        outcomes = data["outcomes"]
        failed = [t for t in data["points"] if outcomes.get(t, {}).get("outcome") == "failed"]
        # A test the reference fails here (through the judge) can be passed by nobody
        # either: it is left out and named, never counted against the submissions.
        self.failing = (len(failed), f"{failed[0]}: {outcomes[failed[0]]['message'][:300]}" if failed else "")
        skipped = [t for t in data["points"] if outcomes.get(t, {}).get("outcome") == "skipped"]
        self.possible = {t: float(p) for t, p in data["points"].items() if t not in skipped and t not in failed}
        self.skipped = (len(skipped), outcomes[skipped[0]]["message"].removeprefix("skipped: ") if skipped else "")
        if not self.possible:
            raise TitoError(f"no test of {self.module.folder} passes with the reference solution here",
                            hint="fix the dev file or its tests (tito test) before grading")
        blind = self._reference_run(blind=True)["outcomes"]
        self.properties = {t for t in self.possible if blind.get(t, {}).get("outcome") == "passed"}
        self.weights = weigh(self.possible, self.properties)

    # -- one submission ------------------------------------------------------------------
    def grade(self, number_: int, path: Path, text: str | None, unreadable: str = "") -> Result:
        """Grade the submission at `path` whose text was read before grading began (None: `unreadable` says why)."""
        result = Result(str(path), max_points=number(sum(self.possible.values())))
        start = time.monotonic()
        folder = Path(tempfile.mkdtemp(prefix=f"submission-{number_:04d}-", dir=self.base))
        folder.chmod(0o755)
        try:
            if text is None:
                result.reason = unreadable
            else:
                self._grade(number_, path, text, folder, result)
        except Exception as exc:  # one row's trouble never stops the others
            result.status, result.reason = "error", f"could not grade: {type(exc).__name__}: {exc}"
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        result.seconds = round(time.monotonic() - start, 2)
        return result

    def _grade(self, number_: int, path: Path, text: str, folder: Path, result: Result) -> None:
        try:
            compile(text, path.name, "exec", dont_inherit=True)
        except SyntaxError as exc:
            result.reason = f"syntax error at line {exc.lineno}: {exc.msg}"
            return
        except (ValueError, OverflowError, MemoryError) as exc:
            result.reason = str(exc)
            return
        staging = folder / "export"
        staging.mkdir()
        dev_file = staging / self.module.dev_file.name
        dev_file.write_text(text, encoding="utf-8")
        try:
            export = export_dev_file(dev_file, staging)
        except TitoError as error:
            result.reason = error.message.split(": ", 1)[-1]
            return
        export = Export(self.module.dev_file, export.target, export.code)
        if export.target != self.reference.target:
            result.reason = f"it exports tinytorch.{export.target}, not tinytorch.{self.reference.target}"
            return
        if self.stopped:
            result.reason = "not graded: tito grade was stopped"
            return
        timed_out, code, data, _, tail = self._judge(folder, number_, export, self.limits.timeout)
        if self.stopped and data is None:
            result.reason = "not graded: tito grade was stopped while grading it"
            return
        if timed_out:
            result.status, result.reason = "timeout", f"no result within {self.limits.timeout:g} s (an endless loop?)"
            return
        if data is None:
            result.reason = f"the judge ended without a result ({sandbox.describe_exit(code)})"
            return
        outcomes = data.get("outcomes", {})
        if not outcomes and data.get("errors"):
            result.reason = f"the tests could not start: {data['errors'][0]['message'][:300]}"
            return
        earned, points, memory = 0.0, 0.0, 0
        for test_id, test_points in self.possible.items():
            outcome = outcomes.get(test_id, {"outcome": "missing", "message": "did not run"})
            if outcome["outcome"] == "passed":
                result.passed += 1
                points += test_points
                earned += self.weights[test_id]
            else:
                result.failed += 1
                memory += "MemoryError" in outcome["message"]
                result.failures.append({"test": test_id.rsplit("/", 1)[-1], "message": outcome["message"]})
        result.status = "graded"
        result.points = number(points)
        total = sum(self.weights.values())
        result.score = round(100.0 * earned / total, 1) if total else 0.0
        notes = []
        if memory:
            notes.append(f"reached the memory limit ({self.limits.memory_mb} MB) in {memory} test(s)")
        ended = [str(e) for e in data.get("ended", [])]
        if ended:
            notes.append(f"its process ended {len(ended)} time(s) during the tests ({ended[0]})")
        if not outcomes and not result.passed:
            collection = data.get("errors") or [{"message": ""}]
            notes.append(f"no test ran: {collection[0]['message'][:200]}")
        result.reason = "; ".join(notes)


def weigh(points: dict[str, float], properties: set[str]) -> dict[str, float]:
    """Each test's weight in the score: its points, with the `properties` (tests that code computing
    nothing passes too) scaled to share PROPERTY_SHARE of the whole, when there are both kinds."""
    values = sum(p for t, p in points.items() if t not in properties)
    rest = sum(p for t, p in points.items() if t in properties)
    if not values or not rest:
        return dict(points)
    scale = PROPERTY_SHARE / (1 - PROPERTY_SHARE) * values / rest
    return {t: p * scale if t in properties else p for t, p in points.items()}
