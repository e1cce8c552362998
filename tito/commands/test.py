"""tito test: run a module's tests against its dev file as it is now."""
from __future__ import annotations

import argparse
import json
import math
import os
import re
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

from rich.markup import escape
from rich.table import Table

from tito import PYTEST_PLUGINS, children
from tito.console import TitoError, console
from tito.export import build_package, workspace_exports
from tito.modules import (
    Module,
    add_workspace_argument,
    all_modules,
    announce,
    find_module,
    is_reference,
    project_root,
    use_workspace,
    workspace_dir,
    workspace_flag,
)
from tito.progress import ENV as NOT_STARTED_ENV
from tito.progress import RAN_ENV, STUB_SUFFIX, TRACE_ENV, Exercise, attribute, exercises, ran, waits

NAME = "test"
ORDER = 10
HELP = "run a module's tests (tito test activations, --all for everything)"
DESCRIPTION = """\
Run a module's tests with pytest against the code in its dev file right now:
the dev files are exported into a temporary copy of the package (your
tinytorch/ folder is not touched), so there is no need to sync first.

  tito test activations          also: 02, 2, the folder NN_name, --module activations
  tito test --all                every module, then (on the reference solutions)
                                 the tests of tito itself, in one worker process
                                 per core
  tito test tensor -v            pytest's full output
  tito test activations -k relu  only the tests whose name matches
  tito test activations --from source
                                 test the reference solutions instead of your
                                 edition (after `tito start`, yours is the default)

The first line says which edition is tested.
Exit code 0 only when every test passed.
"""


DEFAULT_TIMEOUT = 120.0    # seconds one module test may take: generous on a loaded 2-core machine
TITO_TIMEOUT_FACTOR = 10   # tito's own tests run whole catalogues in one test


def positive_seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not 0 < value < math.inf:
        raise argparse.ArgumentTypeError(f"invalid time limit '{text}': a number of seconds above 0")
    return value


def add_arguments(parser) -> None:
    parser.add_argument("module", nargs="?", help="module name or number")
    parser.add_argument("--module", "-m", dest="module_opt", metavar="M", help="module name or number")
    parser.add_argument("--all", action="store_true", help="every module and the tests of tito itself")
    parser.add_argument("-v", "--verbose", action="store_true", help="show pytest's own output")
    parser.add_argument("-k", metavar="EXPR", help="only tests matching EXPR (as pytest -k)")
    parser.add_argument("-x", "--exitfirst", action="store_true", help="stop at the first failure")
    parser.add_argument("--timeout", type=positive_seconds, default=DEFAULT_TIMEOUT, metavar="SECONDS",
                        help=f"longest one test (or the import of your module) may run (default {DEFAULT_TIMEOUT:g}; "
                             f"tito's own tests get {TITO_TIMEOUT_FACTOR}x)")
    add_workspace_argument(parser)


def listed(names: list[str], limit: int = 4) -> str:
    """'a', 'a and b', 'a, b and c', or the first `limit` and 'N more'."""
    if len(names) > limit:
        return f"{', '.join(names[:limit])} and {len(names) - limit} more"
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


@dataclass
class Blocker:
    """A module, not the one tested, whose unwritten functions (stubs) the tests reached."""

    module: Module
    reached: list[str]  # its stubs the failures name, in file order
    stubs: list[str]  # all its exercises not started, in file order

    def line(self, flag: str = "") -> str:
        verb = "is" if len(self.stubs) == 1 else "are"
        return (f"module {self.module.number} {self.module.name} is not finished: {listed(self.stubs)} {verb} "
                f"not started; test it with `tito test {self.module.number}{flag}`")


_STUB_REACHED = re.compile(r"([A-Za-z_][\w.]*): " + re.escape(STUB_SUFFIX))


def blockers(outcome: Outcome, module: Module, modules: list[Module]) -> list[Blocker]:
    """The other modules whose stubs this module's failing tests reached, earliest first: an
    unfinished earlier module is why they fail, and that module is what to test first."""
    reached: dict[str, int] = {}
    for _, message in outcome.problems:
        for name in _STUB_REACHED.findall(message):
            reached[name] = reached.get(name, 0) + 1
    if not reached:
        return []
    found = []
    for other in modules:
        if other == module or not other.dev_file.exists():
            continue
        stubs = [e.name for e in exercises(other.dev_file) if e.stub is not None]
        hit = [name for name in stubs if name in reached]
        if hit:
            found.append(Blocker(other, hit, stubs))
    return found


@dataclass
class Outcome:
    label: str
    passed: int = 0
    failed: int = 0
    skipped: int = 0
    seconds: float = 0.0
    problems: list[tuple[str, str]] = field(default_factory=list)  # (test id, message)
    passed_ids: list[str] = field(default_factory=list)
    output: str = ""
    returncode: int = 0
    exercises: list[Exercise] = field(default_factory=list)  # the module's, when it has any
    waiting: int = 0  # tests not run: they name an exercise that is not started
    blockers: list[Blocker] = field(default_factory=list)  # earlier modules whose stubs the tests reached
    timed_out: bool = False  # a test (or the import of a test module) ran out of time
    runs: dict[str, list[str]] = field(default_factory=dict)  # failing test id -> the exercises it ran (trace)
    cut: dict[str, int] = field(default_factory=dict)  # test id -> lines its message lost in the JUnit file (-1: cut)

    @property
    def not_started(self) -> list[Exercise]:
        return [e for e in self.exercises if e.status == "not started"]

    @property
    def ok(self) -> bool:
        return self.returncode == 0 and self.failed == 0 and self.passed > 0 and not self.not_started


def _warn(message: str) -> None:
    console.print(f"[yellow]warning:[/] {escape(message)}")


# pytest's JUnit file holds a long failure message shortened, with this note in place of the rest
_JUNIT_CUT = re.compile(r"\n\[(?:\+(?P<lines>\d+) more lines?|truncated); full report in element text\]$")
SHOWN_LINES = 8  # of one failure's message; `-v` shows pytest's whole report


def _read_junit(path: Path, outcome: Outcome) -> None:
    if not path.exists():
        return
    for suite in ET.parse(path).getroot().iter("testsuite"):
        outcome.seconds += float(suite.get("time", 0))
        for case in suite.iter("testcase"):
            test_id = f"{case.get('classname', '')}::{case.get('name', '')}".strip(":")
            problem = case.find("failure")
            if problem is None:
                problem = case.find("error")
            if problem is not None:
                outcome.failed += 1
                message = (problem.get("message") or "").strip()
                if problem.tag == "error" or not message:  # collection errors: the traceback's end
                    message = "\n".join((problem.text or message).strip().splitlines()[-6:])
                cut = _JUNIT_CUT.search(message)  # pytest's own note on a long message: ours is said when shown
                if cut:
                    message = message[:cut.start()]
                    outcome.cut[test_id] = int(cut["lines"] or 0) or -1
                outcome.problems.append((test_id, message))
            elif case.find("skipped") is not None:
                outcome.skipped += 1
                outcome.problems.append((test_id, "skipped: " + (case.find("skipped").get("message") or "")))
            else:
                outcome.passed += 1
                outcome.passed_ids.append(test_id)


def pytest_command() -> list[str]:
    """pytest in this Python, without the current folder on sys.path.

    `python -m pytest` would put the current folder first on sys.path, and with it the
    checkout's own tinytorch/ ahead of the freshly built package on PYTHONPATH.
    """
    return [sys.executable, "-c", _BOOTSTRAP]


# pytest's JUnit file keeps about 500 characters of a failure's message (pytest 9) and
# puts a note of its own in place of the rest; tito reads the message from that file and
# shows its first SHOWN_LINES lines itself, so the file keeps the message whole.
_BOOTSTRAP = """\
import sys
sys.path.pop(0)
import pytest
try:
    import _pytest.junitxml as junit
    if hasattr(junit, "shorten_message"):
        junit.shorten_message = lambda message, *args, **kwargs: message
except ImportError:
    pass
sys.exit(pytest.main())
"""


def tito_workers() -> list[str]:
    """pytest-xdist options that spread tito's own tests over the machine's cores.

    Most of them run whole catalogues or start tito in a child process and wait for it,
    one core each; with two or more cores they run in as many worker processes, at most
    four (each worker holds a few hundred MB of NumPy, PyTorch and Hypothesis).
    """
    cores = children.cores()
    return ["-p", "xdist.plugin", "-n", str(min(cores, 4)), "--dist", "worksteal"] if cores >= 2 else []


def run_pytest(label: str, target: Path, package_dir: Path, root: Path, args,
               module: Module | None = None, traced: Path | None = None) -> Outcome:
    """Run one test group; `traced`: the module's file in the package, whose calls each test makes are
    recorded (which exercises the passing tests ran)."""
    outcome = Outcome(label)
    junit = package_dir / f"junit-{label}.xml"
    command = [*pytest_command(), str(target), *PYTEST_PLUGINS, "-p", "tito.watchdog",
               "-p", "tito.progress",
               f"--junitxml={junit}", "-o", "junit_family=xunit1"]
    command += ["-v", "--tb=short"] if args.verbose else ["-q", "--tb=no", "--no-header"]
    if label == "tito":
        command += tito_workers()
    if args.k:
        command += ["-k", args.k]
    if args.exitfirst:
        command.append("-x")
    limit = args.timeout * (TITO_TIMEOUT_FACTOR if label == "tito" else 1)
    env = dict(os.environ, TINYTORCH_ROOT=str(root))
    env["PYTHONPATH"] = os.pathsep.join([str(package_dir), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    started = time.monotonic()
    counts = package_dir / f"waiting-{label}.txt"
    ran_file = package_dir / f"ran-{label}.json"
    if module is not None and module.dev_file.exists():
        outcome.exercises = exercises(module.dev_file)
        env[NOT_STARTED_ENV] = ",".join(e.name for e in outcome.not_started)
        env[NOT_STARTED_ENV + "_COUNTS"] = str(counts)
        names = [e.name for e in outcome.exercises]
        if traced is not None and names:
            env.update({TRACE_ENV: str(traced), TRACE_ENV + "_NAMES": ",".join(names), RAN_ENV: str(ran_file)})
    if args.verbose:
        done = children.run(command, cwd=root, env=env, timeout=limit)
    else:
        before = previous_seconds().get(str(target))
        usual = f" (last time {_duration(before)})" if before else ""
        with console.status(f"testing {label}{usual} ..."):
            done = children.run(command, cwd=root, env=env, capture=True, timeout=limit)
    outcome.returncode, outcome.output = done.returncode, done.stdout
    remember_seconds(str(target), time.monotonic() - started)
    _read_junit(junit, outcome)
    if counts.exists():
        waiting = dict(line.rsplit(" ", 1) for line in counts.read_text(encoding="utf-8").splitlines() if line)
        for exercise in outcome.not_started:
            exercise.tests = int(waiting.get(exercise.name, 0))
        outcome.waiting = sum(int(v) for v in waiting.values())
    outcome.runs = ran(outcome.exercises, ran_file)
    waits(outcome.exercises, outcome.problems, outcome.runs)
    if done.timed_out:
        outcome.timed_out = True
        outcome.failed += 1
        outcome.problems.append((label, f"stopped: a test or the import of a test module ran longer than "
                                        f"{limit:g} s (an endless loop?), at {done.stuck_at or 'an unknown place'}"
                                        " (raise the limit with --timeout)"))
    return outcome


def _times_file() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "tinytorch" / "test-seconds.json"


def previous_seconds() -> dict:
    """How long each test folder took the last time it ran here (measured, never guessed)."""
    try:
        data = json.loads(_times_file().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def remember_seconds(target: str, seconds: float) -> None:
    data = previous_seconds()
    data[target] = round(seconds, 1)
    try:
        _times_file().parent.mkdir(parents=True, exist_ok=True)
        # whole or not at all: several tito test runs at once each read a complete file
        fd, tmp = tempfile.mkstemp(dir=_times_file().parent, prefix=".test-seconds-")
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(data, f, indent=1)
        os.replace(tmp, _times_file())
    except OSError:
        pass  # a read-only home: no memory of durations, nothing else changes


ALL_MINUTES = 10  # tito test --all on two cores, measured on a fresh clone (tito's own group is most of it)


def _duration(seconds: float) -> str:
    return f"{seconds:.0f} s" if seconds < 90 else f"{seconds / 60:.0f} min"


_STATUS_STYLE = {"done": "green", "not started": "dim", "broken": "red", "untested": "yellow"}


def _progress(o: Outcome) -> list[tuple[str, str]]:
    """Print one line per exercise; return the failures still to show (the broken ones' and unclaimed)."""
    failures = [(t, m) for t, m in o.problems if not m.startswith("skipped: ")]
    unclaimed = attribute(o.exercises, failures, o.passed_ids, o.runs)
    width = max(len(e.name) for e in o.exercises)
    counts = {s: sum(e.status == s for e in o.exercises) for s in _STATUS_STYLE}
    untested = f", {counts['untested']} untested" if counts["untested"] else ""
    console.print(f"[bold]{escape(o.label)}[/]: {counts['done']} done, {counts['broken']} broken, "
                  f"{counts['not started']} not started{untested} (of {len(o.exercises)})")
    for e in o.exercises:
        style = _STATUS_STYLE[e.status]
        if e.status == "not started":
            waiting = f"{e.tests} tests wait" if e.tests > 1 else "1 test waits"
            detail = f"  ({waiting} for it)" if e.tests else ""
        elif e.status == "broken":
            detail = f"  ({len(e.failures)} failing test(s), below)"
        elif e.status == "untested":
            detail = f"  (written; {e.why_untested})"
        else:
            detail = ""
        console.print(f"  [{style}]{escape(e.name.ljust(width))}  {e.status}[/]{escape(detail)}")
    stubs = [e for e in o.exercises if e.stub]
    if stubs:
        first = "first not started" if counts["broken"] else "next: write"  # a broken one's failures come first
        console.print(f"  [dim]{first} {escape(stubs[0].name)} (it still raises NotImplementedError)[/]")
    if unclaimed:
        console.print(f"  [red]{len(unclaimed)} failing test(s) name no exercise[/] (below)")
    shown = {id(p) for e in o.exercises for p in e.failures}
    return [p for p in failures if id(p) in shown] + unclaimed


def _verbose_command(label: str) -> str:
    """The command that shows pytest's whole report for the test group `label`."""
    if label == "tito":
        return "tito test --all -v"
    return f"tito test {label.split('_', 1)[0]}{workspace_flag()} -v"


def _report(outcomes: list[Outcome], verbose: bool) -> None:
    # First what a learner needs most: an earlier module that is not finished (the first
    # blocker), then which exercises are done, not started, broken.
    flag = workspace_flag()
    for o in outcomes:
        if o.blockers:
            console.print(f"[bold red]{escape(o.label)}: {escape(o.blockers[0].line(flag))}[/]")
            for later in o.blockers[1:]:
                console.print(f"  [red]then: {escape(later.line(flag))}[/]")
    shown: dict[str, list[tuple[str, str]]] = {}
    for o in outcomes:
        if o.exercises:
            shown[o.label] = _progress(o)
    table = Table(title="TinyTorch tests", title_justify="left")
    for column in ("tests", "passed", "failed", "skipped", "seconds", "result"):
        table.add_column(column, justify="left" if column == "tests" else "right")
    for o in outcomes:
        result = "[green]PASS[/]" if o.ok else "[red]FAIL[/]"
        table.add_row(o.label, str(o.passed), str(o.failed), str(o.skipped), f"{o.seconds:.1f}", result)
    console.print(table)
    for o in outcomes:
        skips: dict[str, list[str]] = {}  # one line per reason, not one per skipped test
        for test_id, message in o.problems:
            if message.startswith("skipped: "):
                skips.setdefault(message[9:], []).append(test_id)
        for reason, ids in skips.items():
            more = f" and {len(ids) - 1} more" if len(ids) > 1 else ""
            console.print(f"[yellow]- {o.label}: {len(ids)} skipped[/] ({escape(ids[0])}{more}): {escape(reason)}")
        problems = shown.get(o.label, o.problems)
        hidden = [m for _, m in o.problems if not m.startswith("skipped: ")]
        for _, message in problems:  # what is shown below is not hidden
            if message in hidden:
                hidden.remove(message)
        earlier = {name for b in o.blockers for name in b.stubs}
        at_earlier = sum(1 for m in hidden if earlier & set(_STUB_REACHED.findall(m)))
        if at_earlier:
            b = o.blockers[0].module
            console.print(f"[dim]{o.label}: {at_earlier} failing test(s) stop at a function of an earlier module "
                          f"not started yet (module {b.number} {b.name}'s, above): not shown[/]")
        if len(hidden) > at_earlier:
            console.print(f"[dim]{o.label}: {len(hidden) - at_earlier} failing test(s) only say 'not implemented' "
                          "(they reach a function of this module not started yet, listed above): not shown[/]")
        for test_id, message in problems:
            if message.startswith("skipped: "):
                continue
            lines = message.splitlines() or ["(no message)"]
            console.print(f"[red]x {escape(test_id)}[/]")
            for line in lines[:SHOWN_LINES]:
                console.print(f"    {line}", markup=False)
            more = max(len(lines) - SHOWN_LINES, 0) + max(o.cut.get(test_id, 0), 0)
            if more or o.cut.get(test_id) == -1:
                rest = f"{more} more line{'s' if more > 1 else ''}" if more else "the rest of the line"
                console.print(f"    [dim]... {rest}: `{_verbose_command(o.label)}` shows the whole report[/]")
        if not o.ok and not verbose:
            if o.returncode == 5 and o.waiting:
                pass  # every test waits for an exercise that is not started: said above
            elif o.returncode == 5:
                console.print(f"[red]{o.label}: no tests were collected[/]")
            elif o.returncode not in (0, 1) or (o.failed == 0 and o.returncode != 0):
                console.print(f"[red]{o.label}: pytest stopped (exit code {o.returncode}):[/]")
                console.print(o.output[-4000:], markup=False)


def run_groups(root: Path, modules: list[Module], targets: list[tuple[str, Path]], args) -> list[Outcome]:
    """Export the dev files of `modules` as they are now into a throwaway package and run each
    test group (label, folder) on it: what `tito test` and `tito check` report. `args` carries
    verbose, k, exitfirst and timeout."""
    with tempfile.TemporaryDirectory(prefix="tinytorch-test-") as tmp:
        exports = workspace_exports(root, modules, warn=_warn)
        package_dir = build_package(Path(tmp), exports, root)
        by_folder = {m.folder: m for m in modules}
        files = {e.dev_file.parent.name: package_dir / e.relative_path for e in exports}
        outcomes = []
        for number, (label, target) in enumerate(targets, 1):
            if len(targets) > 1:  # one line per group, in a terminal and in a CI log alike
                console.print(f"[{number}/{len(targets)}] {label} ...", markup=False)
            outcomes.append(run_pytest(label, target, package_dir, root, args, by_folder.get(label), files.get(label)))
    everything = all_modules()
    for o in outcomes:
        if o.label in by_folder and not o.ok:
            o.blockers = blockers(o, by_folder[o.label], everything)
            owners = {name: f"module {b.module.number} {b.module.name}" for b in o.blockers for name in b.reached}
            for e in o.exercises:
                e.owners = owners
    return outcomes


def run(args) -> int:
    root = project_root()
    use_workspace(getattr(args, "workspace", None))
    announce("testing")
    spec = args.module_opt or args.module
    if args.all:
        modules = all_modules()
    elif spec:
        modules = [find_module(spec)]
    else:
        raise TitoError("name a module to test, or --all", hint="e.g. `tito test activations`")
    targets = [(m.folder, m.tests_dir) for m in modules if m.tests_dir.is_dir()]
    for m in modules:
        if not m.tests_dir.is_dir():
            raise TitoError(f"module {m.folder} has no tests/ folder")
    if args.all and (root / "tests").is_dir() and is_reference(workspace_dir(root), root):
        targets.append(("tito", root / "tests"))  # tito's own tests judge tito with the reference, not a learner
    if len(targets) > 1:
        known = previous_seconds()
        total = sum(known.get(str(target), 0) for _, target in targets)
        if all(str(t) in known for _, t in targets):
            usual = f"; last time {_duration(total)} in all"
        elif args.all:  # a first run has no timings yet: what it takes on CI's two cores
            usual = f"; about {ALL_MINUTES} min on a 2-core machine (later runs say how long the last one took)"
        else:
            usual = ""
        console.print(f"running {len(targets)} test groups one after another: "
                      f"{', '.join(label for label, _ in targets)}{usual}")
    outcomes = run_groups(root, modules, targets, args)
    _report(outcomes, args.verbose)
    failed = [o.label for o in outcomes if not o.ok]
    if failed:
        console.print(f"[bold red]{len(failed)} of {len(outcomes)} test group(s) failed:[/] {', '.join(failed)}")
    passed, bad, skipped, waiting = (sum(getattr(o, k) for o in outcomes)
                                     for k in ("passed", "failed", "skipped", "waiting"))
    # One plain closing line, the same whatever ran, for people and CI logs alike.
    not_run = f", {waiting} not run (their exercise is not started)" if waiting else ""
    console.print(f"tito: {passed} passed, {bad} failed, {skipped} skipped{not_run}", markup=False)
    return 1 if failed else 0
