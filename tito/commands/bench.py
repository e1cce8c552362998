"""tito bench: how fast a module's code runs, next to the memory floor and PyTorch."""
from __future__ import annotations

import argparse
import json
import sys

from tito.commands.test import positive_seconds
from tito.console import TitoError, console, err_console
from tito.modules import add_workspace_argument, announce, find_module, use_workspace
from tito.offers import Context, current_package, limited, offering, offering_modules

NAME = "bench"
ORDER = 45
HELP = "speed of a module's code against the memory-copy floor and PyTorch"
DESCRIPTION = """\
Time a module's code as it is in your dev file now (no `tito sync` needed) and report
ratios measured in the same run: to the memory-copy floor (np.copyto of the same
size: what any elementwise function must at least cost) and to PyTorch on one thread,
when PyTorch is installed. Each module says what it times; for activations: forward
through the function and backward through the layer, in ns per element (us per call
for small sizes), the median of repeats, and the extra memory a forward allocates.
Ratios that miss TinyTorch's target are shown as 'ratio > target'. A step that runs
longer than --timeout seconds (an endless loop in your code?) stops the benchmark,
naming the line it was on.

  tito bench                         every module that has benchmarks
  tito bench activations --sizes 1e6 --dtype float64
  tito bench activations --only sigmoid gelu --json
"""

MAX_SIZE = 10**9
DEFAULT_TIMEOUT = 60.0  # seconds one step of a benchmark may take: 1e7 elements on a loaded machine


def _size(text: str) -> int:
    try:
        value = float(text.replace("_", ""))
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid size '{text}': write a count like 1000 or 1e6") from None
    if not value.is_integer() or not 1 <= value <= MAX_SIZE:
        raise argparse.ArgumentTypeError(f"invalid size '{text}': a whole number from 1 to 1e9")
    return int(value)


def _positive(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"invalid count '{text}': a whole number, at least 1")
    return int(text)


def add_arguments(parser) -> None:
    parser.add_argument("module", nargs="?", help="module to benchmark (default: every module that has benchmarks)")
    parser.add_argument("--sizes", nargs="+", type=_size, metavar="N",
                        help="element counts (each module has its defaults)")
    parser.add_argument("--dtype", choices=["float32", "float64"], default="float32",
                        help="element type of the inputs (default float32)")
    parser.add_argument("--only", nargs="+", metavar="NAME", help="only these benchmarks, e.g. sigmoid gelu")
    parser.add_argument("--repeats", type=_positive, default=5,
                        help="repeats per timing; the median counts (default 5)")
    parser.add_argument("--timeout", type=positive_seconds, default=DEFAULT_TIMEOUT, metavar="SECONDS",
                        help=f"longest one step (one benchmark at one size) may run (default {DEFAULT_TIMEOUT:g})")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    add_workspace_argument(parser)


def run(args) -> int:
    use_workspace(args.workspace)
    announce("timing", json_output=args.json)
    if args.module:
        modules = [find_module(args.module)]
        offering(modules[0], "bench")  # a clear error when it has none
    else:
        modules = offering_modules("bench")
        if not modules:
            raise TitoError("no module has benchmarks yet")
    reports = []
    for module in modules:
        ctx = Context(module, dtype=args.dtype, only=args.only, sizes=args.sizes, repeats=args.repeats,
                      timeout=args.timeout)
        with limited(ctx, "tito bench"), current_package(module), \
                err_console.status(f"benchmarking {module.name} ...") as status:
            ctx.step = lambda what, m=module.name, step=ctx.step: (
                step(what), status.update(f"benchmarking {m}: {what}"))
            reports.append(offering(module, "bench").bench(ctx))
    if args.json:
        data = [r.to_json() for r in reports]
        sys.stdout.write(json.dumps(data[0] if args.module else data, indent=2) + "\n")
    else:
        for module, report in zip(modules, reports):
            console.print(f"[bold]{module.number} {module.name}[/] ({module.dev_file.name} as it is now)")
            console.print(report)
    return 0 if all(r.ok for r in reports) else 1
