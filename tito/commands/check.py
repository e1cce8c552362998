"""tito check: a module's report card, judged on its dev file as it is now."""
from __future__ import annotations

import json
import time

from tito.commands.test import positive_seconds
from tito.console import console
from tito.modules import add_workspace_argument, announce, find_module, use_workspace
from tito.offers import DEFAULT_TIMEOUT, Context, current_package, limited, offering

NAME = "check"
ORDER = 30
HELP = "report card of a module's code as it is now (tito check activations)"
DESCRIPTION = """\
The report card of a module: what is right, what is wrong, where, and on which input,
with a score from 0 to 100 and the next thing to fix. It judges your dev file as it
is right now (exported into a throwaway package; no `tito sync` needed, your package
is not touched). A dev file that does not export is an error naming its file and line.

For activations: accuracy against a 192-bit reference (ULP), stability at extreme
inputs, properties (range, symmetry, monotonicity), the gradient, the contract, and
notes (status "info", never a failure) on what no user can notice: a zero whose sign
differs from PyTorch's, sub-normal results off by less than the smallest normal. Each
function runs in its own process with a time limit, so a stub, a crash or an endless
loop in one never hides the others. Other modules check what their chapter builds.

Exit code 0 only when nothing is red (fail) or grey (missing).

  tito check activations              float32, coloured table
  tito check activations -v           every check with its one-line reason
  tito check activations --only sigmoid --dtype float64
  tito check activations --json       machine-readable, on stdout
  tito check activations --from source   the reference solutions
"""


def add_arguments(parser) -> None:
    parser.add_argument("module", help="module to check, by name or number (e.g. activations or 02)")
    parser.add_argument("--json", action="store_true", help="print the report as JSON on stdout")
    parser.add_argument("--dtype", choices=["float32", "float64"], default="float32",
                        help="input dtype to check (default float32)")
    parser.add_argument("--only", metavar="NAME", action="append",
                        help="only this row, e.g. a function name (repeatable)")
    parser.add_argument("--timeout", type=positive_seconds, default=DEFAULT_TIMEOUT, metavar="SECONDS",
                        help=f"time limit of one call into your code (default {DEFAULT_TIMEOUT:g})")
    parser.add_argument("-v", "--verbose", action="store_true", help="show every check, not only problems")
    add_workspace_argument(parser)


def run(args) -> int:
    use_workspace(args.workspace)
    announce("checking", json_output=args.json)
    module = find_module(args.module)
    provider = offering(module, "check")
    ctx = Context(module, dtype=args.dtype, only=args.only, timeout=args.timeout, verbose=args.verbose)
    start = time.perf_counter()
    with limited(ctx, "tito check"), current_package(module):
        if args.json:
            report = provider.check(ctx)
        else:
            with console.status(f"checking {module.name} ({args.dtype}) ..."):
                report = provider.check(ctx)
    if not getattr(report, "seconds", 0):
        report.seconds = time.perf_counter() - start
    if args.json:
        print(json.dumps(report.to_json(), indent=2))
    else:
        console.print(report)
    return 0 if report.ok else 1
