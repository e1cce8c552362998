"""Feedback on module 05 (losses): the report card and the figure, through the module's
`feedback:` declaration (tito check losses, tito plot losses).

Each loss is judged on values known in closed form, on its gradient against central
differences of its own value, at the extremes where the naive formulas break, and on
its shape check. The figure draws each loss and its gradient against the input.
"""
from __future__ import annotations

import math
import time

import numpy as np

FIGURES = {"losses": "each loss and its gradient (from your backward) against its input"}

# name -> (input, target, options, the exact value): closed-form cases
KNOWN = {
    "mse_loss": [([1.0, 2.0, 3.0], [1.0, 4.0, 0.0], {}, 13 / 3)],
    "l1_loss": [([1.0, 2.0, 3.0], [1.0, 4.0, 0.0], {}, 5 / 3)],
    "nll_loss": [([[-1.0, -2.0], [-3.0, -4.0]], [1, 0], {"weight": [1.0, 3.0]}, 9 / 4)],
    "cross_entropy": [(np.zeros((2, 4)), [1, 3], {}, math.log(4)),
                      ([[1e4, -1e4, 0.0]], [1], {}, 2e4)],
    "binary_cross_entropy": [([0.5, 0.25], [1.0, 0.0], {}, (math.log(2) - math.log(0.75)) / 2),
                             ([0.0, 1.0], [1.0, 0.0], {}, 100.0)],
    "binary_cross_entropy_with_logits": [([0.0], [1.0], {}, math.log(2)), ([100.0, -800.0], [0.0, 1.0], {}, 450.0)],
}
TITLES = {"mse_loss": "MSELoss", "l1_loss": "L1Loss", "nll_loss": "NLLLoss", "cross_entropy": "CrossEntropyLoss",
          "binary_cross_entropy": "BCELoss", "binary_cross_entropy_with_logits": "BCEWithLogitsLoss"}
CLASS_LOSSES = ("nll_loss", "cross_entropy")


def _tensor(value, integer=False):
    from tinytorch.core.tensor import Tensor

    return Tensor(np.asarray(value, np.int64 if integer else np.float64))


def _sample(name, rng):
    """A random float64 case (input, target, options) away from kinks and clamps."""
    if name in CLASS_LOSSES:
        return rng.normal(size=(4, 3)), np.array([0, 2, 1, 2]), {"weight": np.array([1.0, 2.0, 0.5])}
    x = rng.uniform(0.1, 0.9, (3, 2)) if name == "binary_cross_entropy" else rng.normal(size=(3, 2))
    y = rng.uniform(0, 1, (3, 2)) if "binary" in name else x + rng.choice([-1, 1], (3, 2)) * rng.uniform(0.2, 1, (3, 2))
    return x, y, {}


def _gradient_check(fn, name, rng):
    x, y, options = _sample(name, rng)
    options = {k: _tensor(v) for k, v in options.items()}
    target = _tensor(y, name in CLASS_LOSSES)
    xt = _tensor(x)
    xt.requires_grad = True
    fn(xt, target, **options).backward()
    if xt.grad is None:
        return "backward() left input.grad empty"
    numeric = np.zeros_like(x)
    eps = 1e-6
    for i in np.ndindex(x.shape):
        up, down = x.copy(), x.copy()
        up[i] += eps
        down[i] -= eps
        numeric[i] = (fn(_tensor(up), target, **options).item() - fn(_tensor(down), target, **options).item()) / (2 * eps)
    error = float(np.max(np.abs(xt.grad.data - numeric)) / max(np.max(np.abs(numeric)), 1e-300))
    return None if error < 1e-6 else f"the gradient is off by a relative {error:.2g} from central differences"


def check(ctx):
    from tito.card import Card, Check, Row, attempt

    from tinytorch.core import losses

    start = time.perf_counter()
    rng = np.random.default_rng(0)
    rows = []
    for name, cases in KNOWN.items():
        title = TITLES[name]
        if ctx.only and name not in ctx.only and title not in ctx.only:
            continue
        fn = getattr(losses, name)
        checks = []
        for i, (x, y, options, want) in enumerate(cases):
            def value(x=x, y=y, options=options, want=want):
                with np.errstate(all="raise", under="ignore"):
                    got = fn(_tensor(x), _tensor(y, name in CLASS_LOSSES),
                             **{k: _tensor(v) for k, v in options.items()}).item()
                if not math.isclose(got, want, rel_tol=1e-12):
                    return f"{name}({np.asarray(x).tolist()}, {np.asarray(y).tolist()}) = {got!r}, exactly {want!r}"
                return None
            checks.append(attempt("value" if i == 0 else "extreme input", value, f"exact on {np.asarray(x).shape}"))
        checks.append(attempt("gradient", lambda fn=fn, name=name: _gradient_check(fn, name, rng),
                              "backward agrees with central differences"))

        def mismatch(fn=fn, name=name):
            x = _tensor(np.full((4, 3), 0.5))
            y = _tensor(np.zeros(2, np.int64) if name in CLASS_LOSSES else np.full((4, 1), 0.5), name in CLASS_LOSSES)
            try:
                fn(x, y)
            except ValueError as error:
                return None if "(4, 3)" in str(error) else f"the ValueError does not name both shapes: {error}"
            return "shapes that differ must be a ValueError naming both"
        checks.append(attempt("shapes", mismatch, "a ValueError naming both shapes"))
        rows.append(Row(title, checks))
    return Card("losses", rows, seconds=time.perf_counter() - start,
                done="nothing: every loss is exact, stable and differentiable. Next: module 06, optim.")


def _curves(name, fn):
    """(x, loss(x), d loss / dx) along one input axis, with a fixed target."""
    x = np.linspace(0.001, 0.999, 400) if name == "binary_cross_entropy" else np.linspace(-6, 6, 400)
    values, grads = np.full_like(x, np.nan), np.full_like(x, np.nan)
    for i, v in enumerate(x):
        if name in CLASS_LOSSES:  # the input of class 0 of three varies; the truth is class 0
            scores = np.array([[v, -1.0, -2.0]] if name == "nll_loss" else [[v, 0.0, 1.0]])
            xt, target = _tensor(scores), _tensor([0], True)
        else:
            xt, target = _tensor([v]), _tensor([1.0] if "binary" in name else [0.0])
        xt.requires_grad = True
        out = fn(xt, target)
        out.backward()
        values[i], grads[i] = out.item(), np.ravel(xt.grad.data)[0]
    return x, values, grads


def loss_figure(functions=None):
    """Each loss and its gradient (from backward) against its input; returns (Figure, status).

    functions: an object with the six loss functions as attributes (a module, or a
    notebook's namespace); default the package's tinytorch.core.losses.
    """
    from tito.feedback.plots import _figure

    if functions is None:
        from tinytorch.core import losses as functions
    fig = _figure((15.0, 8.0))
    axes = fig.subplots(2, 3).ravel()
    status = "pass"
    labels = {"mse_loss": "target 0", "l1_loss": "target 0", "nll_loss": "input (x, -1, -2), class 0",
              "cross_entropy": "logits (x, 0, 1), class 0", "binary_cross_entropy": "p = x, target 1",
              "binary_cross_entropy_with_logits": "z = x, target 1"}
    for ax, name in zip(axes, KNOWN):
        ax.set_title(TITLES[name])
        try:
            x, values, grads = _curves(name, getattr(functions, name))
        except NotImplementedError as error:
            ax.text(0.5, 0.5, str(error), ha="center", va="center", transform=ax.transAxes, color="#757575")
            status = "missing"
            continue
        ax.plot(x, values, color="#08306b", lw=2, label="loss")
        twin = ax.twinx()
        twin.plot(x, grads, color="#d95f02", ls="--", label="gradient (backward)")
        numeric = np.gradient(values, x)
        twin.plot(x[::25], numeric[::25], "o", ms=3, color="#1b9e77", label="slope of the loss")
        ax.set_xlabel(labels[name])
        ax.set_ylabel("loss", color="#08306b")
        twin.set_ylabel("d loss / dx", color="#d95f02")
        if name == "binary_cross_entropy":
            twin.set_ylim(-20, 1)
        lines = ax.get_legend_handles_labels()[0] + twin.get_legend_handles_labels()[0]
        ax.legend(lines, [line.get_label() for line in lines], fontsize=8, loc="upper center")
    fig.suptitle("Each loss and its gradient: the dashed line is your backward, the dots the loss's slope")
    return fig, status


def figures(ctx, names):
    if "losses" in names:
        fig, status = loss_figure()
        yield "losses", fig, status
