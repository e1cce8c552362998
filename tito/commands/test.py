"""tito test: run a module's tests against its dev file as it is now."""
from __future__ import annotations

import argparse
import math
import os
import re
import sys
import tempfile
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

from rich.markup import escape
from rich.table import Table

from tito.console import TitoError, console
from tito import children
from tito.export import build_package, shown_location, workspace_exports
from tito.modules import add_workspace_argument, all_modules, find_module, project_root, use_workspace

NAME = "test"
ORDER = 10
HELP = "run a module's tests (tito test activations, --all for everything)"
DESCRIPTION = """\
Run a module's tests with pytest against the code in its dev file right now:
the dev files are exported into a temporary copy of the package (your
tinytorch/ folder is not touched), so there is no need to sync first.

  tito test activations          also: 02, 02_activations, --module activations
  tito test --all                every module, then the tests of tito itself
  tito test tensor -v            pytest's full output
  tito test activations -k relu  only the tests whose name matches
  tito test activations --from release
                                 test the student edition you work in
                                 (or set TINYTORCH_SOURCE=release once)

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


@dataclass
class Outcome:
    label: str
    passed: int = 0
    failed: int = 0
    skipped: int = 0
    seconds: float = 0.0
    problems: list[tuple[str, str]] = field(default_factory=list)  # (test id, message)
    output: str = ""
    returncode: int = 0

    @property
    def ok(self) -> bool:
        return self.returncode == 0 and self.failed == 0 and self.passed > 0


def _warn(message: str) -> None:
    console.print(f"[yellow]warning:[/] {escape(message)}")


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
                outcome.problems.append((test_id, message))
            elif case.find("skipped") is not None:
                outcome.skipped += 1
                outcome.problems.append((test_id, "skipped: " + (case.find("skipped").get("message") or "")))
            else:
                outcome.passed += 1


def pytest_command() -> list[str]:
    """pytest in this Python, without the current folder on sys.path.

    `python -m pytest` would put the current folder first on sys.path, and with it the
    checkout's own tinytorch/ ahead of the freshly built package on PYTHONPATH.
    """
    bootstrap = "import sys; sys.path.pop(0); import pytest; sys.exit(pytest.main())"
    return [sys.executable, "-c", bootstrap]


def run_pytest(label: str, target: Path, package_dir: Path, root: Path, args) -> Outcome:
    outcome = Outcome(label)
    junit = package_dir / f"junit-{label}.xml"
    watchdog = package_dir / f"watchdog-{label}.txt"
    command = [*pytest_command(), str(target), "-p", "no:cacheprovider", "-p", "tito.watchdog",
               f"--junitxml={junit}", "-o", "junit_family=xunit1"]
    command += ["-v", "--tb=short"] if args.verbose else ["-q", "--tb=no", "--no-header"]
    if args.k:
        command += ["-k", args.k]
    if args.exitfirst:
        command.append("-x")
    limit = args.timeout * (TITO_TIMEOUT_FACTOR if label == "tito" else 1)
    env = dict(os.environ, TINYTORCH_ROOT=str(root), TINYTORCH_TEST_TIMEOUT=str(limit),
               TINYTORCH_TEST_WATCHDOG=str(watchdog))
    env["PYTHONPATH"] = os.pathsep.join([str(package_dir), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    if args.verbose:
        outcome.returncode = children.run(command, cwd=root, env=env).returncode
    else:
        with console.status(f"testing {label} ..."):
            done = children.run(command, cwd=root, env=env, capture=True)
        outcome.returncode, outcome.output = done.returncode, done.stdout
    _read_junit(junit, outcome)
    if watchdog.exists() and watchdog.read_text(encoding="utf-8", errors="replace").strip():
        outcome.failed += 1
        outcome.problems.append((label, f"stopped: a test or the import of a test module ran longer than "
                                        f"{limit:g} s (an endless loop?), at "
                                        f"{stuck_at(watchdog.read_text(encoding='utf-8', errors='replace'))}"
                                        " (raise the limit with --timeout)"))
    return outcome


def stuck_at(dump: str) -> str:
    """Where faulthandler's dump says the main thread was: the innermost frame, as a dev-file line."""
    frames = re.findall(r'File "([^"]+)", line (\d+) in (\S+)', dump.split("\n\n")[-1] if dump else "")
    frames = frames or re.findall(r'File "([^"]+)", line (\d+) in (\S+)', dump)
    if not frames:
        return "an unknown place"
    filename, line, function = frames[0]  # faulthandler lists the innermost frame first
    return f"{shown_location(filename, int(line))} in {function}"


def _report(outcomes: list[Outcome], verbose: bool) -> None:
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
        for test_id, message in o.problems:
            if message.startswith("skipped: "):
                continue
            lines = message.splitlines() or ["(no message)"]
            console.print(f"[red]x {escape(test_id)}[/]")
            for line in lines[:8]:
                console.print(f"    {line}", markup=False)
        if not o.ok and not verbose:
            if o.returncode == 5:
                console.print(f"[red]{o.label}: no tests were collected[/]")
            elif o.returncode not in (0, 1) or (o.failed == 0 and o.returncode != 0):
                console.print(f"[red]{o.label}: pytest stopped (exit code {o.returncode}):[/]")
                console.print(o.output[-4000:], markup=False)


def run(args) -> int:
    root = project_root()
    use_workspace(getattr(args, "workspace", None))
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
    if args.all and (root / "tests").is_dir():
        targets.append(("tito", root / "tests"))
    with tempfile.TemporaryDirectory(prefix="tinytorch-test-") as tmp:
        package_dir = build_package(Path(tmp), workspace_exports(root, modules, warn=_warn), root)
        outcomes = [run_pytest(label, target, package_dir, root, args) for label, target in targets]
    _report(outcomes, args.verbose)
    failed = [o.label for o in outcomes if not o.ok]
    if failed:
        console.print(f"[bold red]{len(failed)} of {len(outcomes)} test group(s) failed:[/] {', '.join(failed)}")
    passed, bad, skipped = (sum(getattr(o, k) for o in outcomes) for k in ("passed", "failed", "skipped"))
    # One plain closing line, the same whatever ran, for people and CI logs alike.
    console.print(f"tito: {passed} passed, {bad} failed, {skipped} skipped", markup=False)
    return 1 if failed else 0
