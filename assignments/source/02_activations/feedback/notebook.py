"""Feedback on your activations in the notebook: the report card and the figures.

`tito check activations` and `tito plot activations` make the same measurements
(measure.py) against the same exact reference (tests/activation_oracle), so every number
and picture is the one the tools show. The chapter reaches these functions through

    from tito.offers import feedback_module
    feedback = feedback_module("activations")

    feedback.plot_activation("sigmoid", Sigmoid())  # 4 panels: yours vs exact, definition,
                                                    # properties, error in ULP; a Figure
    feedback.plot_activation("sigmoid")             # the package's Sigmoid (after tito sync)
    feedback.plot_comparison()                      # every function and its derivative
    feedback.plot_gradient_flow()                   # gradients through 1 to 20 layers
    feedback.check_activation("sigmoid", Sigmoid()) # the report card of one function
    feedback.report_card()                          # all of them: table, score, next step

An implementation is an object with `forward(x)` and `backward(grad_output)` on
Tensors, as in tinytorch.core.activations (a class is instantiated with the row's
default arguments). Without one, the functions use the classes defined where they are
called from (a notebook that defines `Sigmoid`, ...) and otherwise the package.
Names: relu, sigmoid, tanh, leaky_relu, elu, gelu, gelu_tanh, silu, softplus,
softmax, log_softmax.
"""
from __future__ import annotations

import sys

from .functions import ACTIVATIONS, NAMES, get, specialise
from .measure import Result
from .report import Report
from .runner import DEFAULT_TIMEOUT, Source, run

__all__ = ["NAMES", "check_activation", "plot_activation", "plot_comparison", "plot_gradient_flow",
           "report_card"]


def _caller_source(depth: int = 2) -> Source:
    """The caller's own classes when it defines them (a notebook), else the package."""
    try:
        namespace = sys._getframe(depth).f_globals
    except ValueError:
        return Source()
    if any(isinstance(namespace.get(a.cls), type) and hasattr(namespace[a.cls], "backward")
           for a in ACTIVATIONS.values()):
        return Source(namespace=namespace)
    return Source()


def _source(source) -> Source:
    if source is None:
        return Source()
    if isinstance(source, Source):
        return source
    if isinstance(source, str):
        return Source(module=source)
    return Source(namespace=source)


def _row(name: str, impl):
    a = get(name)
    if impl is not None:
        obj = impl
        if isinstance(impl, type):
            try:
                obj = impl(**a.params)
            except Exception:
                obj = None
        if obj is not None:
            a = specialise(a, obj)
    return a


def _show(obj) -> None:
    """Display `obj` now when running inside Jupyter; elsewhere do nothing."""
    shell = sys.modules.get("IPython")
    if shell is None or shell.get_ipython() is None or not hasattr(shell.get_ipython(), "kernel"):
        return
    from IPython.display import display
    display(obj)


def check_activation(name: str, impl=None, dtype="float32", timeout: float = DEFAULT_TIMEOUT,
                     show: bool = True) -> Report:
    """The report card of one activation: accuracy, stability, properties, gradient, contract.

    `impl`: an object with forward/backward (or its class); None: the caller's class of
    that name, else the package's. Returns the `Report`; in Jupyter it is shown as a
    colour-coded table, in a terminal printed with rich.
    """
    a = _row(name, impl)
    source = Source(objects={a.name: impl}) if impl is not None else _caller_source()
    return _report([a], source, dtype, timeout, show)


def report_card(source=None, dtype="float32", names=None, timeout: float = DEFAULT_TIMEOUT,
                show: bool = True, isolate: bool = False) -> Report:
    """The report card of every activation (or `names`).

    `source`: None for the caller's classes or the package; a module, a dict of names
    (e.g. `globals()`) or a module name. `isolate=True` runs each function in its own
    process (what `tito check` does).
    """
    chosen = [get(n) for n in (names or NAMES)]
    src = _caller_source() if source is None else _source(source)
    return _report(chosen, src, dtype, timeout, show, isolate)


def _report(activations, source, dtype, timeout, show, isolate=False) -> Report:
    import time

    start = time.perf_counter()
    results: list[Result] = run(activations, source, dtype, timeout, isolate=isolate)
    report = Report("activations", str(dtype), results, time.perf_counter() - start)
    if show:
        if "ipykernel" in sys.modules:
            _show(report)
        else:
            from tito.console import console
            console.print(report)
    return report


def plot_activation(name: str, impl=None, dtype="float32", save=None):
    """The 4-panel figure of one activation; returns the matplotlib Figure.

    (1) your implementation against the exact curve, (2) the definition, (3) properties:
    the derivative from your backward, range, zero point, symmetry, (4) the error in ULP
    over the whole float range with the worst input marked. `save`: a PNG path.
    """
    from . import plots

    a = _row(name, impl)
    source = Source(objects={a.name: impl}) if impl is not None else _caller_source()
    result = run([a], source, dtype, DEFAULT_TIMEOUT, curves=True)[0]
    fig = plots.activation_figure(a, result)
    return _finish(fig, save)


def plot_comparison(source=None, dtype="float32", save=None):
    """Every activation and its derivative (from backward), side by side; returns the Figure."""
    from . import plots

    src = _caller_source() if source is None else _source(source)
    elementwise = [a for a in ACTIVATIONS.values() if not a.rowwise]
    results = run(elementwise, src, dtype, DEFAULT_TIMEOUT, curves=True, checks=False)
    return _finish(plots.comparison_figure(results), save)


def plot_gradient_flow(source=None, save=None):
    """How the gradient shrinks or survives through 1 to 20 layers of sigmoid, tanh and ReLU."""
    from . import plots

    src = _caller_source() if source is None else _source(source)
    fig = plots.gradient_flow_figure(plots.gradient_flow(src))
    return _finish(fig, save)


def _finish(fig, save):
    if save is not None:
        fig.savefig(save)
    _show(fig)
    return fig
