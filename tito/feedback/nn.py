"""Feedback on module 04 (nn): the report card, the figures and the speed of the layers.

`tito check nn`, `tito plot nn` and `tito bench nn` reach this file through the
module's `feedback:` declaration; the chapter's plot cells call the same functions:

    init_spread()             # std of each layer's output through 10 layers, three init scales
    init_scale_figure(spread) # that, plotted
    dropout_figure()          # what Dropout does to a batch in train and in eval mode
"""
from __future__ import annotations

import math

import numpy as np

FIGURES = {
    "init_scale": "the spread of the activations through 10 layers at three init scales",
    "dropout": "Dropout in train and eval mode: the mask, the survivors' scale, the mean kept",
}

DEPTH, WIDTH, BATCH = 10, 256, 512
# (label, how the weights of one Linear(WIDTH, WIDTH) are drawn); fan_in = WIDTH
SCALES = (
    ("std 0.01 (small random numbers)", "normal", 0.01),
    ("std 1 (randn, unscaled)", "normal", 1.0),
    ("PyTorch default U(±1/sqrt(fan_in))", "default", None),
    ("Kaiming: std sqrt(2 / fan_in)", "normal", math.sqrt(2.0 / WIDTH)),
)


def _nn():
    import tinytorch.core.nn as nn

    return nn


def init_spread(Linear=None, ReLU=None, normal_=None, depth=DEPTH, width=WIDTH,
                batch=BATCH, seed=0):
    """{label: [std of layer 1's output, ..., layer `depth`'s]} for each init scale of SCALES.

    The layers are `Linear(width, width)` followed by `ReLU()`, built from the given
    classes and init functions (default: the package's tinytorch.core.nn).
    """
    import tinytorch
    from tinytorch.core.tensor import Tensor

    nn = None
    if None in (Linear, ReLU, normal_):
        nn = _nn()
    Linear, ReLU, normal_ = Linear or nn.Linear, ReLU or nn.ReLU, normal_ or nn.normal_
    x0 = np.random.default_rng(seed).normal(size=(batch, width))
    spread = {}
    for label, kind, std in SCALES:
        tinytorch.manual_seed(seed)
        x, act, stds = Tensor(x0), ReLU(), []
        for _ in range(depth):
            layer = Linear(width, width).double()
            layer.bias.data[...] = 0
            if kind == "normal":
                normal_(layer.weight, 0.0, std)
            x = act(layer(x))
            with np.errstate(all="ignore"):
                stds.append(float(np.std(np.asarray(x.data, np.float64))))
        spread[label] = stds
    return spread


def init_scale_figure(spread=None):
    """The spread of each layer's output (log scale) for each init scale."""
    from tito.feedback.plots import _figure

    spread = spread if spread is not None else init_spread()
    fig = _figure((12.0, 5.0))
    ax = fig.add_subplot()
    layers = np.arange(1, len(next(iter(spread.values()))) + 1)
    for (label, stds), colour in zip(spread.items(), ("#c62828", "#e69500", "#7570b3", "#2e7d32")):
        shown = np.where(np.asarray(stds) > 0, stds, np.nan)
        ax.semilogy(layers, shown, "o-", color=colour, label=f"{label}: {stds[-1]:.3g} after {len(stds)}")
    ax.axhline(np.std(np.maximum(np.random.default_rng(0).normal(size=100_000), 0)), color="grey", lw=0.8,
               ls=":", label="one ReLU of unit-variance input")
    ax.set_xlabel("layer (Linear(256, 256) + ReLU)")
    ax.set_ylabel("std of the layer's output")
    ax.set_xticks(layers)
    ax.set_title("Why the init scale matters: the signal through 10 layers")
    ax.legend(fontsize=9, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    return fig


def dropout_figure(Dropout=None, p=0.5, seed=0):
    """One 16x32 batch of ones through Dropout(p): train mode, eval mode, and the row means."""
    import tinytorch
    from tinytorch.core.tensor import Tensor
    from tito.feedback.plots import _figure

    Dropout = Dropout or _nn().Dropout
    tinytorch.manual_seed(seed)
    x = Tensor(np.ones((16, 32)))
    layer = Dropout(p)
    train = np.asarray(layer(x).data, float)
    layer.eval()
    evaluated = np.asarray(layer(x).data, float)
    fig = _figure((12.0, 4.2))
    axes = fig.subplots(1, 3, width_ratios=[1, 1, 1.1])
    top = max(2.0, float(train.max()))
    for ax, data, title in ((axes[0], train, f"train(): Dropout({p})(ones)"),
                            (axes[1], evaluated, "eval(): the input, unchanged")):
        image = ax.imshow(data, vmin=0, vmax=top, cmap="viridis")
        ax.set_title(title)
        ax.set_xticks([])
        ax.set_yticks([])
    fig.colorbar(image, ax=axes[:2], shrink=0.8, label="value")
    axes[2].plot(train.mean(axis=1), "o", label="train: mean of each row")
    axes[2].plot(evaluated.mean(axis=1), "s", label="eval: mean of each row")
    axes[2].axhline(1.0, color="grey", ls=":", label="the input's mean")
    axes[2].set_ylim(0, top)
    axes[2].set_xlabel("row of the batch")
    axes[2].set_title(f"survivors are scaled by 1/(1-p) = {1 / (1 - p):.3g}")
    axes[2].legend(fontsize=8)
    return fig
