"""tito check: a module's report card, from its own tests run on its dev file as it is now."""
from __future__ import annotations

import contextlib
import json
import time
from types import SimpleNamespace

from tito.card import FAIL, MISSING, PASS, UNTESTED, Card, Check, Row
from tito.commands.test import DEFAULT_TIMEOUT as TEST_TIMEOUT
from tito.commands.test import Outcome, positive_seconds, run_groups
from tito.console import TitoError, console
from tito.modules import (
    Module,
    add_workspace_argument,
    announce,
    find_module,
    project_root,
    use_workspace,
    workspace_flag,
)
from tito.offers import DEFAULT_TIMEOUT, Context, current_package, limited, offering
from tito.offers import provider as provider_of
from tito.progress import STUB_SUFFIX, attribute

NAME = "check"
ORDER = 30
HELP = "report card of a module's code as it is now (tito check activations)"
DESCRIPTION = """\
The report card of a module: each exercise of its dev file, done, broken, not started
or untested, with a score from 0 to 100 (the share of exercises done) and the next
thing to do. It runs the module's own tests exactly as `tito test` does, on your dev
file as it is right now (exported into a throwaway package; no `tito sync` needed, your
package is not touched), and reads from them which exercises each test ran: an exercise
is done when a passing test ran it, broken when a failing test blames it, untested when
it is written but no passing test ran it (the reason is given). A dev file that does not
export is an error naming its file and line.

A module may add what only a card can show (for activations: accuracy against a 192-bit
reference in ULP, stability at extreme inputs, properties, and notes on what no user can
notice); that report follows the exercises, with its own --dtype, --only and --timeout.

Exit code 0 only when every exercise is done and the module's own report has nothing
red or grey.

  tito check nn                       the exercises of module 04
  tito check activations -v           every check with its one-line reason
  tito check activations --only sigmoid --dtype float64
  tito check activations --json       machine-readable, on stdout
  tito check activations --from source   the reference solutions
"""


def add_arguments(parser) -> None:
    parser.add_argument("module", help="module to check, by name or number (e.g. activations or 02)")
    parser.add_argument("--json", action="store_true", help="print the report as JSON on stdout")
    parser.add_argument("--dtype", choices=["float32", "float64"], default="float32",
                        help="input dtype of the module's own checks, where it has them (default float32)")
    parser.add_argument("--only", metavar="NAME", action="append",
                        help="only the rows naming NAME, e.g. a function name (repeatable)")
    parser.add_argument("--timeout", type=positive_seconds, default=None, metavar="SECONDS",
                        help=f"longest one test may run (default {TEST_TIMEOUT:g}) and one call of the "
                             f"module's own checks (default {DEFAULT_TIMEOUT:g})")
    parser.add_argument("-v", "--verbose", action="store_true", help="show every check, not only problems")
    add_workspace_argument(parser)


def _first_line(message: str) -> str:
    return (message.strip().splitlines() or ["(no message)"])[0]


def exercise_row(exercise) -> Row:
    """One exercise as a row of one check, from what the tests said about it."""
    status = exercise.status
    if status == "done":
        count = exercise.ran or exercise.passed
        check = Check("tests", PASS, f"{count} passing test{'s' if count != 1 else ''} ran it")
    elif status == "broken":
        test_id, message = exercise.failures[0]
        more = f" (and {len(exercise.failures) - 1} more failing)" if len(exercise.failures) > 1 else ""
        check = Check("tests", FAIL, f"{test_id.rsplit('::', 1)[-1]}: {_first_line(message)}{more}")
    elif status == "not started":
        count = exercise.waiting
        waiting = f" ({count} test{'s wait' if count != 1 else ' waits'} for it)" if count else ""
        stub = "not started" if exercise.stub.endswith(STUB_SUFFIX) else f"still raises {exercise.stub}"
        check = Check("tests", MISSING, stub + waiting)
    else:
        check = Check("tests", UNTESTED, f"written; {exercise.why_untested}")
    return Row(exercise.name, [check])


def exercise_card(module: Module, outcome: Outcome, only: list[str] | None = None) -> Card:
    """The card of a module from one run of its tests (`tito.commands.test.run_groups`)."""
    failures = [(t, m) for t, m in outcome.problems if not m.startswith("skipped: ")]
    unclaimed = attribute(outcome.exercises, failures, outcome.passed_ids, outcome.runs)
    card = Card(module.name, title=f"TinyTorch {module.number} {module.name} report card",
                done=f"every exercise of {module.dev_file.name} is done: its {outcome.passed} tests pass.")
    card.rows = [exercise_row(e) for e in outcome.exercises]
    if unclaimed:  # tests of no exercise (given code, a collection error, a time limit) still count
        test_id, message = unclaimed[0]
        more = f" (and {len(unclaimed) - 1} more)" if len(unclaimed) > 1 else ""
        card.rows.append(Row("other tests", [Check("tests", FAIL, f"{test_id}: {_first_line(message)}{more}")]))
    if not outcome.exercises:
        card.notes.append(f"{module.dev_file.name} has no exercises (no TODO, solution block or stub): "
                          "nothing to score")
    if outcome.blockers:  # an earlier module not finished comes before any row
        card.first = outcome.blockers[0].line(workspace_flag())
    if outcome.skipped:
        card.notes.append(f"{outcome.skipped} test(s) skipped (`tito test {module.number}` says why)")
    if only:
        card.rows = [r for r in card.rows if any(_names(r.name, name) for name in only)]
    return card


def _names(row: str, name: str) -> bool:
    return name.lower() in row.lower().replace(".", " ").split() or name.lower() == row.lower()


def module_report(module: Module, args) -> object | None:
    """The report of the module's own provider, if it offers one (`check(ctx)`)."""
    provider_of(module)  # a provider that cannot be loaded is an error, never a card without it
    try:
        provider = offering(module, "check")
    except TitoError:
        return None
    ctx = Context(module, dtype=args.dtype, only=args.only, timeout=args.timeout or DEFAULT_TIMEOUT,
                  verbose=args.verbose)
    with limited(ctx, "tito check"), current_package(module):
        return provider.check(ctx)


def run(args) -> int:
    use_workspace(args.workspace)
    announce("checking", json_output=args.json)
    module = find_module(args.module)
    if not module.tests_dir.is_dir():
        raise TitoError(f"module {module.folder} has no tests/ folder: nothing to build its card from")
    start = time.perf_counter()
    settings = SimpleNamespace(verbose=False, k=None, exitfirst=False, timeout=args.timeout or TEST_TIMEOUT)
    quiet = console.quiet
    if args.json:  # stdout carries only the JSON
        console.quiet = True
    try:
        [outcome] = run_groups(project_root(), [module], [(module.folder, module.tests_dir)], settings)
        card = exercise_card(module, outcome, args.only)
        with contextlib.ExitStack() as stack:
            if not args.json:
                stack.enter_context(console.status(f"checking {module.name} ({args.dtype}) ..."))
            if outcome.timed_out:
                card.notes.append("the module's own checks did not run: its tests ran out of time")
            else:
                card.extra = module_report(module, args)
    finally:
        console.quiet = quiet
    card.seconds = time.perf_counter() - start
    if args.json:
        print(json.dumps(card.to_json(), indent=2))
    else:
        console.print(card)
    return 0 if card.ok else 1
