"""Feedback on module 05 (losses): the figure of `tito plot losses` and of the chapter
(through `tito.offers.feedback_module("losses")`): each loss and its gradient against
its input.
"""
from __future__ import annotations

import numpy as np

FIGURES = {"losses": "each loss and its gradient (from your backward) against its input"}

TITLES = {"mse_loss": "MSELoss", "l1_loss": "L1Loss", "nll_loss": "NLLLoss", "cross_entropy": "CrossEntropyLoss",
          "binary_cross_entropy": "BCELoss", "binary_cross_entropy_with_logits": "BCEWithLogitsLoss"}
CLASS_LOSSES = ("nll_loss", "cross_entropy")


def _tensor(value, integer=False):
    from tinytorch.core.tensor import Tensor

    return Tensor(np.asarray(value, np.int64 if integer else np.float64))


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
    for ax, name in zip(axes, TITLES):
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
