"""tito plot: a module's figures as PNG files, drawn from its dev file as it is now."""
from __future__ import annotations

import contextlib
import multiprocessing
import pickle
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from rich.markup import escape
from rich.table import Table

from tito import children
from tito.commands.test import positive_seconds
from tito.console import TitoError, console
from tito.modules import add_workspace_argument, announce, find_module, use_workspace
from tito.offers import DEFAULT_TIMEOUT, Context, current_package, limited, offering

NAME = "plot"
ORDER = 31
HELP = "figures of a module's code as PNG files (tito plot activations)"
DESCRIPTION = """\
Draw a module's figures from your dev file as it is now (no `tito sync` needed) and
save them as PNG files, by default in plots/<module>/. Each module has its own; for
activations:

  <name>.png          4 panels: yours vs the exact curve, the definition, properties
                      (derivative from your backward, range, zero point, checks), and
                      the error in ULP over the whole float range, worst input marked
  comparison.png      every function and its derivative side by side
  gradient_flow.png   how the gradient shrinks or survives through 1 to 20 layers

  tito plot activations
  tito plot activations --only sigmoid --out /tmp/figs
  tito plot autograd --only graph

`--only` takes the figure names a module offers; an unknown one lists them. The same
figures appear in the module's notebook.
"""


def add_arguments(parser) -> None:
    parser.add_argument("module", help="module to plot, by name or number (e.g. activations or 02)")
    parser.add_argument("--out", metavar="DIR", type=Path, default=None,
                        help="folder for the PNG files (default plots/<module>)")
    parser.add_argument("--only", metavar="NAME", action="append",
                        help="only this figure (repeatable)")
    parser.add_argument("--dtype", choices=["float32", "float64"], default="float32",
                        help="input dtype of the measurements (default float32)")
    parser.add_argument("--timeout", type=positive_seconds, default=DEFAULT_TIMEOUT, metavar="SECONDS",
                        help=f"time limit of one call into your code (default {DEFAULT_TIMEOUT:g})")
    add_workspace_argument(parser)


def _wanted(only: list[str] | None, offered: dict) -> list[str]:
    if not only:
        return list(offered)
    wanted = []
    for name in only:
        key = name.strip().lower().replace("-", "_")
        if key not in offered:
            raise TitoError(f"unknown figure {name!r}", hint=f"choose from: {', '.join(offered)}")
        wanted.append(key)
    return list(dict.fromkeys(wanted))


def _out_dir(out: Path | None, module_name: str) -> Path:
    folder = out if out is not None else Path("plots") / module_name
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
    import matplotlib.pyplot as plt

    use_workspace(args.workspace)
    announce("plotting")
    module = find_module(args.module)
    provider = offering(module, "figures")
    offered = dict(getattr(provider, "FIGURES", {}))
    wanted = _wanted(args.only, offered)
    folder = _out_dir(args.out, module.name)
    ctx = Context(module, dtype=args.dtype, only=wanted, timeout=args.timeout)
    written: list[tuple[Path, str, str]] = []  # (file, status, description)
    with limited(ctx, "tito plot"), current_package(module), console.status(f"drawing {module.name} ...") as status, \
            _Renderer(len(wanted)) as renderer:
        for name, fig, state in provider.figures(ctx, wanted):
            ctx.step(name)
            status.update(f"drawing {module.name}: {name}")
            written.append((renderer.save(fig, folder / f"{name}.png"), state, offered.get(name, "")))
            plt.close(fig)
        status.update(f"drawing {module.name}: saving the PNG files")
        renderer.wait()
    table = Table(title=f"figures in {folder}", title_justify="left")
    for column in ("file", "pixels", "status", "shows"):
        table.add_column(column)
    colours = {"pass": "green", "warn": "yellow", "fail": "red", "missing": "bright_black"}
    for path, state, what in written:
        width, height = _pixels(path)
        colour = colours.get(state.split(" ")[0], "white") if state else ""  # "fail 43/100": status, score
        shown = f"[{colour}]{escape(state)}[/]" if state else ""
        table.add_row(escape(path.name), f"{width}x{height}", shown, escape(what))
    console.print(table)
    return 0


class _Renderer:
    """Saves figures as PNG files, on every core: drawing a figure into pixels takes most of
    tito plot's time, and the figures are independent.

    Each figure goes to a worker process as a pickle (matplotlib's own, a fraction of the
    time drawing takes); one core, or a figure that does not pickle, is drawn here.
    """

    def __init__(self, figures: int):
        self.workers = min(children.cores(), figures)
        self.pool = None
        self.pending: list[tuple[object, Path]] = []

    def __enter__(self):
        if self.workers > 1:
            self.pool = ProcessPoolExecutor(self.workers, mp_context=multiprocessing.get_context("spawn"),
                                            initializer=_headless)
        return self

    def save(self, fig, path: Path) -> Path:
        data = None
        if self.pool is not None:
            with contextlib.suppress(Exception):  # an artist that does not pickle: this figure is drawn here
                data = pickle.dumps(fig)
        if data is None:
            try:
                _render(fig, str(path))
            except OSError as exc:
                raise TitoError(f"cannot write {path}: {exc.strerror}") from None
        else:
            self.pending.append((self.pool.submit(_render, data, str(path)), path))
        return path

    def wait(self) -> None:
        from tito.watchdog import time_limit

        with time_limit(None):  # rendering a PNG is not the learner's code
            for future, path in self.pending:
                try:
                    future.result()
                except OSError as exc:
                    raise TitoError(f"cannot write {path}: {exc.strerror}") from None
        self.pending = []

    def __exit__(self, *exc):
        if self.pool is not None:
            self.pool.shutdown(wait=exc[0] is None, cancel_futures=exc[0] is not None)
        return False


def _headless() -> None:
    import matplotlib

    matplotlib.use("Agg")


def _render(fig, path: str) -> None:
    """Save `fig` (a figure, or its pickle) as the PNG file `path`."""
    from tito.watchdog import time_limit

    if isinstance(fig, bytes):
        fig = pickle.loads(fig)
    with time_limit(None):  # rendering a PNG is not the learner's code
        fig.savefig(path)


def _pixels(path: Path) -> tuple[int, int]:
    from PIL import Image

    with Image.open(path) as image:
        return image.size
