"""tito plot: the figures of the activations in the package, as PNG files."""
from __future__ import annotations

from pathlib import Path

from rich.table import Table

from tito.commands.check import resolve_module
from tito.console import TitoError, console
from tito.feedback import NAMES, get
from tito.feedback.runner import DEFAULT_TIMEOUT, Source
from tito.feedback.runner import run as run_all

NAME = "plot"
ORDER = 31
HELP = "figures of a module's code as PNG files (tito plot activations)"
EXTRA = ("comparison", "gradient_flow")
DESCRIPTION = f"""\
Draw the activations in the package (tinytorch.core.activations) against the exact
functions and save PNG files (default folder plots/activations/):

  <name>.png          4 panels: yours vs the exact curve, the definition, properties
                      (derivative from your backward, range, zero point, checks), and
                      the error in ULP over the whole float range, worst input marked
  comparison.png      every function and its derivative side by side
  gradient_flow.png   how the gradient shrinks or survives through 1 to 20 layers of
                      sigmoid, tanh and ReLU

  tito plot activations
  tito plot activations --only sigmoid --out /tmp/figs
  tito plot activations --only gradient_flow

Names: {", ".join(NAMES + EXTRA)}.
The same figures appear in the module's notebook (tito.feedback.plot_activation).
"""


def add_arguments(parser) -> None:
    parser.add_argument("module", help="module to plot: activations (or 02)")
    parser.add_argument("--out", metavar="DIR", type=Path, default=None,
                        help="folder for the PNG files (default plots/activations)")
    parser.add_argument("--only", metavar="NAME", action="append",
                        help="only this figure (repeatable): a function name, comparison or gradient_flow")
    parser.add_argument("--dtype", choices=["float32", "float64"], default="float32",
                        help="input dtype of the measurements (default float32)")
    parser.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT, metavar="SECONDS",
                        help=f"time limit of one call into your code (default {DEFAULT_TIMEOUT:g})")


def _wanted(only: list[str] | None) -> list[str]:
    if not only:
        return list(NAMES + EXTRA)
    wanted = []
    for name in only:
        key = name.strip().lower().replace("-", "_")
        if key not in NAMES + EXTRA:
            raise TitoError(f"unknown figure {name!r}", hint=f"choose from: {', '.join(NAMES + EXTRA)}")
        wanted.append(key)
    return list(dict.fromkeys(wanted))


def _out_dir(out: Path | None) -> Path:
    folder = out if out is not None else Path("plots") / "activations"
    if folder.exists() and not folder.is_dir():
        raise TitoError(f"{folder} exists and is not a folder", hint="choose another --out")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise TitoError(f"cannot create {folder}: {exc.strerror}", hint="choose another --out") from None
    return folder


def run(args) -> int:
    import matplotlib

    matplotlib.use("Agg")  # headless: no display needed, nothing pops up
    from tito.feedback import plots

    resolve_module(args.module)
    wanted = _wanted(args.only)
    folder = _out_dir(args.out)
    measured = [get(n) for n in NAMES if n in wanted or "comparison" in wanted]
    written: list[tuple[Path, str, str]] = []  # (file, status, description)
    with console.status(f"measuring {len(measured)} functions ..."):
        results = run_functions(measured, args)
    by_name = {r.name: r for r in results}
    with console.status("drawing ..."):
        for name in NAMES:
            if name in wanted:
                fig = plots.activation_figure(get(name), by_name[name])
                written.append((_save(fig, folder / f"{name}.png"), by_name[name].status,
                                "4 panels: yours vs exact, f', error"))
        if "comparison" in wanted:
            fig = plots.comparison_figure(results)
            written.append((_save(fig, folder / "comparison.png"), "", "all functions and derivatives"))
        if "gradient_flow" in wanted:
            fig = plots.gradient_flow_figure(plots.gradient_flow(Source()))
            written.append((_save(fig, folder / "gradient_flow.png"), "", "gradients through 1-20 layers"))
    table = Table(title=f"figures in {folder}", title_justify="left")
    for column in ("file", "pixels", "status", "shows"):
        table.add_column(column)
    colours = {"pass": "green", "warn": "yellow", "fail": "red", "missing": "bright_black"}
    for path, status, what in written:
        width, height = _pixels(path)
        shown = f"[{colours[status]}]{status}[/]" if status else ""
        table.add_row(path.name, f"{width}x{height}", shown, what)
    console.print(table)
    return 0


def run_functions(activations, args):
    """Measure in worker processes (a stub or an endless loop stays in its own figure)."""
    return run_all(activations, Source(), args.dtype, args.timeout, curves=True, isolate=True)


def _save(fig, path: Path) -> Path:
    try:
        fig.savefig(path)
    except OSError as exc:
        raise TitoError(f"cannot write {path}: {exc.strerror}") from None
    return path


def _pixels(path: Path) -> tuple[int, int]:
    from PIL import Image

    with Image.open(path) as image:
        return image.size
