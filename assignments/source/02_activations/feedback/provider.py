"""What this module offers to `tito check`, `tito plot` and `tito bench` (see tito.offers).

The measurements, drawings and timings live in the rest of this folder, shared with the
notebook helpers (notebook.py).
"""
from __future__ import annotations

import time

from rich.console import Group
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from tito.console import TitoError
from tito.watchdog import time_limit

from .functions import NAMES, get
from .report import Report, render
from .runner import Source
from .runner import run as run_functions

PACKAGE = "tinytorch.core.activations"
EXTRA = {"comparison": "all functions and derivatives", "gradient_flow": "gradients through 1-20 layers"}
FIGURES = {**{name: "4 panels: yours vs exact, f', error" for name in NAMES}, **EXTRA}


def _functions(only: list[str] | None) -> list:
    try:
        wanted = {get(n).name for n in (only or NAMES)}
    except ValueError as exc:
        raise TitoError(str(exc)) from None
    return [get(n) for n in NAMES if n in wanted]  # the module's order: the next step follows it


class _Card(Report):
    verbose = False

    def __rich__(self):
        return render(self, verbose=self.verbose)


def _import_here() -> None:
    """Import the learner's module in this process, under the command's time limit, before
    the workers fork: an endless loop at import is stopped once, here, not in every worker.
    Any other import error is left to the workers, which report it row by row."""
    import importlib

    try:
        importlib.import_module(PACKAGE)
    except Exception:
        pass


def check(ctx) -> Report:
    functions = _functions(ctx.only)
    start = time.perf_counter()
    _import_here()
    results = run_functions(functions, Source(), ctx.dtype, ctx.timeout, isolate=True)
    card = _Card("activations", ctx.dtype, results, time.perf_counter() - start)
    card.verbose = ctx.verbose
    return card


def figures(ctx, names: list[str]):
    from . import plots

    measured = [get(n) for n in NAMES if n in names or "comparison" in names]
    _import_here()
    results = run_functions(measured, Source(), ctx.dtype, ctx.timeout, curves=True, isolate=True)
    by_name = {r.name: r for r in results}
    for name in NAMES:
        if name in names:
            result = by_name[name]  # the score its report-card row and its figure's title show
            with time_limit(None):  # drawing what the workers measured: tito's own seconds
                figure = plots.activation_figure(get(name), result)
            yield name, figure, f"{result.status} {result.score}/100"
    if "comparison" in names:
        with time_limit(None):
            figure = plots.comparison_figure(results)
        yield "comparison", figure, ""
    if "gradient_flow" in names:
        yield "gradient_flow", plots.gradient_flow_figure(plots.gradient_flow(Source())), ""


# ---------------------------------------------------------------- tito bench

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


def bench(ctx):
    import importlib

    from tito.bench import load_torch

    from .speed import ACTIVATIONS, SCRATCH_BYTES, run_benchmarks

    cases = _select(ACTIVATIONS, ctx.only)
    try:
        package = importlib.import_module(PACKAGE)
    except Exception as error:  # the learner's module fails while importing
        raise TitoError(f"importing {PACKAGE} failed: {type(error).__name__}: {error}",
                        hint=f"fix {ctx.module.dev_file.name}") from None
    torch, missing = load_torch()
    sizes = ctx.sizes or [1000, 10**6, 10**7]
    results = run_benchmarks(package, cases, sizes, ctx.dtype, ctx.repeats, torch, ctx.step)
    torch_info = ({"available": True, "version": torch.__version__, "threads": 1} if torch is not None
                  else {"available": False, "reason": missing})
    return BenchReport({"module": "activations", "package": str(getattr(package, "__file__", "")),
                        "dtype": ctx.dtype, "repeats": ctx.repeats,
                        "torch": torch_info, "scratch_limit_bytes": SCRATCH_BYTES, "sizes": results})


class BenchReport:
    score = None

    def __init__(self, data: dict):
        self.data = data

    @property
    def ok(self) -> bool:
        return True  # speed is reported, never a failure

    def to_json(self) -> dict:
        return self.data

    def __rich__(self):
        data = self.data
        torch = data["torch"]
        torch_note = f"torch {torch['version']} on 1 thread" if torch["available"] else "no PyTorch"
        parts = [_table(result, data["dtype"], torch_note) for result in data["sizes"]]
        if not torch["available"]:
            parts.append(Text(torch["reason"], style="yellow"))
        parts.append(Text(
            f"median of {data['repeats']} repeats; a ratio 'a > b' misses TinyTorch's target b; "
            "extra mem: a forward's peak allocation beyond its output, in inputs "
            f"(elementwise target from 1e6 elements: at most {data['scratch_limit_bytes'] >> 20} MiB)",
            style="dim"))
        return Group(*parts)


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
            table.add_row(row["activation"], f"[yellow]{escape(row['status'])}[/]", *[""] * 6)
            continue
        cells = [row["activation"]]
        for side in ("forward", "backward"):
            timing = row[side]
            if timing is None:
                cells += [f"[yellow]{escape(row['backward_status'])}[/]", "", ""]
                continue
            cells.append(f"{timing['us_per_call']:.3g}" if small else f"{timing['ns_per_element']:.3g}")
            cells.append(_ratio(timing["x_copy"], row["targets"], f"{side} x copy"))
            cells.append(_ratio(timing["x_torch"], row["targets"], f"{side} x torch"))
        cells.append(_memory(row))
        table.add_row(*cells)
    return table
