"""tito check: the report card of the activations in the package, right now."""
from __future__ import annotations

import json
import time

from tito.console import TitoError, console
from tito.export import staleness_note as package_staleness
from tito.feedback import NAMES, get
from tito.feedback.report import Report, render
from tito.feedback.runner import DEFAULT_TIMEOUT, Source
from tito.feedback.runner import run as run_functions
from tito.modules import find_module, project_root

NAME = "check"
ORDER = 30
HELP = "report card of a module's code: accuracy, stability, properties (tito check activations)"
DESCRIPTION = """\
Check the activations in the package (tinytorch.core.activations, as `tito sync`
left it) against an exact high-precision reference:

  accuracy     max error in ULP (or relative/absolute for softmax), worst input
  stability    no numpy warnings, right results at ±1e4, ±inf, nan, subnormals
  properties   range, zero point, symmetry, monotonicity, zero-centring, f' sign
  gradient     backward against the exact derivative and central differences
  contract     shape, dtype, no mutation, functional form, repr/parameters

Each function runs in its own process with a time limit, so a stub, a crash or an
endless loop in one never hides the others. Exit code 0 only when nothing is red
(fail) or grey (missing).

  tito check activations              float32, coloured table
  tito check activations -v           every check with its one-line reason
  tito check activations --only sigmoid --dtype float64
  tito check activations --json       machine-readable, on stdout
"""

MODULES = ("activations",)


def add_arguments(parser) -> None:
    parser.add_argument("module", help="module to check: activations (or 02)")
    parser.add_argument("--json", action="store_true", help="print the report as JSON on stdout")
    parser.add_argument("--dtype", choices=["float32", "float64"], default="float32",
                        help="input dtype to check (default float32)")
    parser.add_argument("--only", metavar="NAME", action="append",
                        help=f"only this function (repeatable): {', '.join(NAMES)}")
    parser.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT, metavar="SECONDS",
                        help=f"time limit of one call into your code (default {DEFAULT_TIMEOUT:g})")
    parser.add_argument("-v", "--verbose", action="store_true", help="show every check, not only problems")


def resolve_module(spec: str) -> str:
    """The module name behind `spec` (activations, 02, 02_activations); TitoError otherwise."""
    from tito.modules import find_module

    try:
        name = find_module(spec).name
    except TitoError:
        if spec.strip().lower() in ("activations", "02", "2", "02_activations"):
            return "activations"  # no checkout around (an installed tito): the package is enough
        raise
    if name not in MODULES:
        raise TitoError(f"there is no report card for module '{name}' yet",
                        hint=f"available: {', '.join(MODULES)}")
    return name


def chosen_functions(only: list[str] | None) -> list:
    try:
        wanted = {get(n).name for n in (only or NAMES)}
    except ValueError as exc:
        raise TitoError(str(exc)) from None
    return [get(n) for n in NAMES if n in wanted]  # the module's order: the next step follows it


def staleness_note() -> str | None:
    """A line for the learner when the package is not what the dev file makes now."""
    try:
        root, module = project_root(), find_module("activations")
    except TitoError:
        return None  # not in a checkout: nothing to compare with
    return package_staleness(module, root, "check your latest code")


def run_checks(args) -> Report:
    functions = chosen_functions(args.only)
    start = time.perf_counter()
    if args.json:
        results = run_functions(functions, Source(), args.dtype, args.timeout, isolate=True)
    else:
        done: list[str] = []
        with console.status(f"checking {len(functions)} functions ({args.dtype}) ...") as status:
            def progress(result):
                done.append(result.name)
                status.update(f"checked {len(done)}/{len(functions)}: {result.name}")
            results = run_functions(functions, Source(), args.dtype, args.timeout, isolate=True, on_result=progress)
    report = Report("activations", args.dtype, results, time.perf_counter() - start)
    note = staleness_note()
    if note:
        report.notes.append(note)
    return report


def run(args) -> int:
    resolve_module(args.module)
    report = run_checks(args)
    if args.json:
        print(json.dumps(report.to_json(), indent=2))
    else:
        console.print(render(report, verbose=args.verbose))
    return 0 if report.ok else 1
