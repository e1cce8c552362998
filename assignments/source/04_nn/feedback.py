"""Feedback on module 04 (nn): the figures and the speed of the layers.

`tito plot nn` and `tito bench nn` find this file in the module's folder; the chapter's
plot cells call the same functions, through `tito.offers.feedback_module("nn")`:

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


# ---------------------------------------------------------------- tito plot nn

def figures(ctx, names):
    if "init_scale" in names:
        yield "init_scale", init_scale_figure(), ""
    if "dropout" in names:
        yield "dropout", dropout_figure(), ""


# ---------------------------------------------------------------- tito bench nn

BENCH_TARGET = 1.3  # at most this multiple of PyTorch's time on one thread


def _cases(nn, Tensor, torch, dtype):
    """[(name, our forward+backward, PyTorch's)] on a batch of 64."""
    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 784)).astype(dtype)
    upstream = {n: rng.normal(size=(64, n)).astype(dtype) for n in (256, 10)}
    ours_linear = nn.Linear(784, 256, dtype=dtype)
    ours_mlp = nn.Sequential(nn.Linear(784, 256, dtype=dtype), nn.ReLU(), nn.Linear(256, 128, dtype=dtype),
                             nn.ReLU(), nn.Linear(128, 10, dtype=dtype))

    def ours(model, out):
        grad = Tensor(upstream[out])

        def run():
            model.zero_grad()
            model(Tensor(x)).backward(grad)
        return run

    cases = [("Linear(784, 256)", ours(ours_linear, 256), None), ("MLP 784-256-128-10", ours(ours_mlp, 10), None)]
    if torch is None:
        return cases
    tdtype = getattr(torch, np.dtype(dtype).name)
    theirs_linear = torch.nn.Linear(784, 256).to(tdtype)
    theirs_mlp = torch.nn.Sequential(torch.nn.Linear(784, 256), torch.nn.ReLU(), torch.nn.Linear(256, 128),
                                     torch.nn.ReLU(), torch.nn.Linear(128, 10)).to(tdtype)
    tx = torch.from_numpy(x)

    def theirs(model, out):
        grad = torch.from_numpy(upstream[out])

        def run():
            model.zero_grad(set_to_none=True)
            model(tx).backward(grad)
        return run

    return [(cases[0][0], cases[0][1], theirs(theirs_linear, 256)), (cases[1][0], cases[1][1], theirs(theirs_mlp, 10))]


def measure(dtype="float32", repeats=5) -> list[dict]:
    """[{name, ours, torch (seconds or None), missing}] for each case, in this process."""
    from tinytorch.core.tensor import Tensor
    from tito.bench import load_torch, median_seconds

    torch, missing = load_torch()
    found = []
    for name, ours, theirs in _cases(_nn(), Tensor, torch, np.dtype(dtype)):
        times = median_seconds([ours] + ([theirs] if theirs else []), repeats)
        found.append({"name": name, "ours": times[0], "torch": times[1] if theirs else None, "missing": missing})
    return found


def bench(ctx):
    """Forward+backward of Linear(784, 256) and of a 784-256-128-10 MLP, batch 64, against PyTorch.

    Both run on one thread: PyTorch by set_num_threads(1), NumPy's BLAS by running the
    measurement in a child process with OPENBLAS_NUM_THREADS=1 (on a busy machine a
    multi-threaded BLAS can be 5-40 times slower than one thread).
    """
    import time

    from tito.bench import measure_in_child, ratio_check
    from tito.card import Card, Row

    start = time.perf_counter()
    ctx.step("Linear(784, 256) and the MLP, forward+backward")
    rows = [Row(case["name"], [ratio_check("forward+backward", case["ours"], case["torch"], BENCH_TARGET,
                                           case.get("missing", ""), unit="us")])
            for case in measure_in_child("nn", ctx)]
    return Card("nn", rows, title=f"TinyTorch nn speed: batch 64, {ctx.dtype}, both on one thread",
                seconds=time.perf_counter() - start, done="nothing: within the target")
