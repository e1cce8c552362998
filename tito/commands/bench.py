"""tito bench: how fast the package's activations run, next to the copy floor and PyTorch."""
from __future__ import annotations

import argparse
import json
import sys

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.markup import escape
from rich.table import Table

from tito.bench import BENCHMARKS, SCRATCH_BYTES, import_package_module, load_torch, run_benchmarks
from tito.console import TitoError, console, err_console
from tito.export import staleness_note
from tito.modules import find_module, project_root

NAME = "bench"
ORDER = 45
HELP = "speed of each activation against the memory-copy floor and PyTorch"
DESCRIPTION = """\
Time every activation in the package (your code once you have synced it): forward
through the function (a Tensor in, a new Tensor out) and backward through the layer's
backward() after one forward, in nanoseconds per element (microseconds per call for
small sizes), the median of repeats, and as a ratio to:

  x copy   the memory-copy floor, np.copyto of the same size and dtype, measured in
           this run: one read and one write of the array, what any elementwise
           function must at least cost
  x torch  PyTorch on one thread, allocating its output (when PyTorch is installed)

"extra mem" is the most memory a forward allocates beyond its output, as a multiple
of the input. Ratios in green meet TinyTorch's targets, red ones miss them (the
target is shown). softmax and log_softmax work on rows of 1000.

  tito bench                         activations at 1e3, 1e6 and 1e7 elements
  tito bench activations --sizes 1e6 --dtype float64
  tito bench --only sigmoid gelu --json
"""

DEFAULT_SIZES = ["1e3", "1e6", "1e7"]
MAX_SIZE = 10**9


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
    parser.add_argument("module", nargs="?", default="activations",
                        help="module to benchmark (default: activations)")
    parser.add_argument("--sizes", nargs="+", type=_size, metavar="N",
                        help="element counts (default: 1e3 1e6 1e7)")
    parser.add_argument("--dtype", choices=["float32", "float64"], default="float32",
                        help="element type of the inputs (default float32)")
    parser.add_argument("--only", nargs="+", metavar="NAME", help="only these activations, e.g. sigmoid gelu")
    parser.add_argument("--repeats", type=_positive, default=5, help="repeats per timing; the median counts (default 5)")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")


def _select(cases, only):
    if not only:
        return cases
    def names(case):  # "gelu(tanh)" answers to its own name and to "gelu"
        return {case.name, case.name.split("(")[0]}
    unknown = [name for name in only if not any(name in names(case) for case in cases)]
    if unknown:
        raise TitoError(f"no benchmark named {', '.join(map(repr, unknown))}",
                        hint="known: " + ", ".join(case.name for case in cases))
    return [case for case in cases if names(case) & set(only)]


def _ratio(value, targets, what) -> str:
    if value is None:
        return "-"
    text = f"{value:.2f}" if value < 10 else f"{value:.1f}" if value < 100 else f"{value:.0f}"
    for target in targets:
        if target["what"] == what:
            return f"[green]{text}[/]" if target["met"] else f"[red]{text} > {target['limit']:g}[/]"
    return text


def _memory(row) -> str:
    extra = row["extra_x_input"]
    if extra is None:
        return "-"
    text = f"{extra:.2f}x"
    for target in row["targets"]:
        if target["what"] == "extra bytes":
            if target["met"]:
                return f"[green]{text}[/]"
            return f"[red]{text} = {row['extra_bytes'] / 2**20:.1f} MiB > {target['limit'] / 2**20:g}[/]"
    return text


def _per_call(us: float) -> str:
    return f"{us:.3g} us" if us < 1000 else f"{us / 1000:.3g} ms"


def _table(result: dict, dtype: str, torch_note: str) -> Table:
    n = result["elements"]
    small = n <= 10**4
    table = Table(title=f"{n:,} {dtype}: copy floor {result['copy_floor_ns_per_element']:.3g} ns/el"
                        f" ({_per_call(result['copy_floor_us_per_call'])}/call), {torch_note}",
                  title_justify="left")
    table.add_column("activation")
    table.add_column("fwd us/call" if small else "fwd ns/el", justify="right")
    table.add_column("x copy", justify="right")
    table.add_column("x torch", justify="right")
    table.add_column("bwd us/call" if small else "bwd ns/el", justify="right")
    table.add_column("x copy", justify="right")
    table.add_column("x torch", justify="right")
    table.add_column("extra mem", justify="right")
    for row in result["rows"]:
        if row["forward"] is None:
            table.add_row(row["activation"], f"[yellow]{row['status']}[/]", *[""] * 6)
            continue
        cells = [row["activation"]]
        for side in ("forward", "backward"):
            timing = row[side]
            if timing is None:
                cells += [f"[yellow]{row['backward_status']}[/]", "", ""]
                continue
            cells.append(f"{timing['us_per_call']:.3g}" if small else f"{timing['ns_per_element']:.3g}")
            cells.append(_ratio(timing["x_copy"], row["targets"], f"{side} x copy"))
            cells.append(_ratio(timing["x_torch"], row["targets"], f"{side} x torch"))
        cells.append(_memory(row))
        table.add_row(*cells)
    return table


def run(args) -> int:
    root = project_root()
    module = find_module(args.module)
    if module.name not in BENCHMARKS:
        raise TitoError(f"module {module.number} {module.name} has no benchmarks",
                        hint="modules with benchmarks: " + ", ".join(BENCHMARKS))
    cases = _select(BENCHMARKS[module.name], args.only)
    try:
        package = import_package_module(module.name, root)
    except ImportError as error:
        raise TitoError(f"cannot import tinytorch.core.{module.name}: {error}",
                        hint=f"export your module first: tito sync --module {module.name}") from None
    except Exception as error:  # the learner's module fails while importing
        raise TitoError(f"importing tinytorch.core.{module.name} failed: {type(error).__name__}: {error}",
                        hint=f"fix {module.dev_file.relative_to(root)}, then tito sync --module {module.name}") from None
    stale = staleness_note(module, root, "benchmark your latest code")
    torch, missing = load_torch()
    sizes = args.sizes or [_size(s) for s in DEFAULT_SIZES]

    steps = len(sizes) * (len(cases) + 1)
    with Progress(TextColumn("{task.description:<36}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=err_console, transient=True) as progress:
        task = progress.add_task("benchmarking", total=steps)
        started = []

        def on_step(what: str) -> None:
            progress.update(task, description=what, completed=len(started))
            started.append(what)

        results = run_benchmarks(package, cases, sizes, args.dtype, args.repeats, torch, on_step)
        progress.update(task, completed=steps)

    torch_info = ({"available": True, "version": torch.__version__, "threads": 1} if torch is not None
                  else {"available": False, "reason": missing})
    if args.json:
        sys.stdout.write(json.dumps({
            "module": module.name, "package": str(getattr(package, "__file__", "")), "dtype": args.dtype,
            "repeats": args.repeats, "torch": torch_info, "scratch_limit_bytes": SCRATCH_BYTES,
            "stale_package": stale, "sizes": results}, indent=2) + "\n")
        return 0

    console.print(f"benchmarking [bold]{getattr(package, '__file__', module.name)}[/]")
    if stale:
        console.print(f"[yellow]{escape(stale)}[/]")
    torch_note = f"torch {torch.__version__} on 1 thread" if torch is not None else "no PyTorch"
    for result in results:
        console.print(_table(result, args.dtype, torch_note))
    if torch is None:
        console.print(f"[yellow]{missing}[/]")
    console.print(f"[dim]median of {args.repeats} repeats; green meets TinyTorch's target, red misses it "
                  "(target after >); extra mem: a forward's peak allocation beyond its output, in inputs "
                  f"(elementwise target from 1e6 elements: at most {SCRATCH_BYTES >> 20} MiB)[/]")
    return 0
