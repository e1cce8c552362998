"""Feedback on module 09 (conv): the figures and the speed of the layers.

`tito plot conv` and `tito bench conv` reach this file through the module's folder; the
chapter's plot cells and the LeNet milestone call the same functions:

    filters_figure(ns)         hand-made kernels on an MNIST digit, through ns.conv2d
    conv_vs_dense_figure(ns)   parameters, and a shifted digit through Conv2d and a dense layer
    learned_filters_figure(model)   the first layer's kernels of a trained LeNet
    feature_maps_figure(model)      an MNIST digit through LeNet's two convolution layers
    lenet()                    the LeNet-5-style network of the milestone, from tinytorch.nn

`ns` is anything with the attributes Tensor, conv2d, Conv2d (the chapter passes its own
globals, so the figures show the learner's code); None takes them from the package.
"""
from __future__ import annotations

import math
import types

import numpy as np

FIGURES = {
    "what_a_filter_sees": "four hand-made 3x3 kernels (two edges, a diagonal, a blur) on an MNIST digit",
    "conv_vs_dense": "the parameters of Conv2d and of a dense layer with the same output, and a digit shifted "
                     "by 0-4 pixels through each",
    "learned_filters": "the six 5x5 kernels of LeNet's first layer after a short training on MNIST",
    "feature_maps": "an MNIST digit through the two convolution layers of that LeNet, every channel",
}

MEAN, STD = 0.1307, 0.3081  # of MNIST's training pixels scaled to [0, 1]: the usual standardisation
DIGIT = 1  # a test digit (a 2) shown in the figures


def _package(ns=None):
    """Tensor, conv2d, Conv2d from `ns`, else from the package (tinytorch.core.conv)."""
    if ns is not None and all(hasattr(ns, name) for name in ("Tensor", "conv2d", "Conv2d")):
        return ns
    from tinytorch.core import conv
    from tinytorch.core.tensor import Tensor

    return types.SimpleNamespace(Tensor=Tensor, conv2d=conv.conv2d, Conv2d=conv.Conv2d)


def standardise(images):
    """uint8 MNIST images (N, 28, 28) -> float32 (N, 1, 28, 28), standardised."""
    return ((np.asarray(images, np.float32) / 255 - MEAN) / STD)[:, None]


def digit(index=DIGIT, standardised=True):
    """One test digit (1, 1, 28, 28), standardised (or in [0, 1], background 0), and its label."""
    from tinytorch.datasets import load_mnist

    images, labels = load_mnist(train=False)
    image = images[index:index + 1]
    return (standardise(image) if standardised else image[:, None].astype(np.float32) / 255), int(labels[index])


def _figure(size):
    from tito.feedback.plots import _figure as make

    return make(size)


def _show(ax, image, title, symmetric=True, cmap=None):
    image = np.asarray(image, np.float64)
    top = float(np.max(np.abs(image))) or 1.0
    if symmetric:
        ax.imshow(image, cmap=cmap or "RdBu_r", vmin=-top, vmax=top)
    else:
        ax.imshow(image, cmap=cmap or "gray_r")
    ax.set_title(title, fontsize=9)
    ax.set_xticks([])
    ax.set_yticks([])


HAND_KERNELS = {
    "vertical edge": np.array([[1.0, 0.0, -1.0], [2.0, 0.0, -2.0], [1.0, 0.0, -1.0]]),
    "horizontal edge": np.array([[1.0, 2.0, 1.0], [0.0, 0.0, 0.0], [-1.0, -2.0, -1.0]]),
    "diagonal": np.array([[0.0, 1.0, 2.0], [-1.0, 0.0, 1.0], [-2.0, -1.0, 0.0]]),
    "blur": np.full((3, 3), 1 / 9),
}


def filters_figure(ns=None):
    """A digit, four hand-made kernels and what each sees in it (ns.conv2d, padding 1)."""
    ns = _package(ns)
    image, label = digit(standardised=False)  # background 0, as the zero padding
    weight = np.stack(list(HAND_KERNELS.values()))[:, None].astype(np.float32)
    maps = ns.conv2d(ns.Tensor(image), ns.Tensor(weight), padding=1).data[0]
    fig = _figure((12.0, 5.4))
    grid = fig.add_gridspec(2, 1 + len(HAND_KERNELS), width_ratios=[1.3] + [1] * len(HAND_KERNELS))
    _show(fig.add_subplot(grid[:, 0]), image[0, 0], f"an MNIST test digit ({label})", symmetric=False)
    for k, (name, kernel) in enumerate(HAND_KERNELS.items()):
        top = fig.add_subplot(grid[0, k + 1])
        _show(top, kernel, f"kernel: {name}")
        for (i, j), value in np.ndenumerate(kernel):
            dark = abs(value) > 0.6 * np.abs(kernel).max()
            top.text(j, i, f"{value:.2g}", ha="center", va="center", fontsize=8, color="white" if dark else "black")
        _show(fig.add_subplot(grid[1, k + 1]), maps[k], "what it sees (red +, blue -)")
    fig.suptitle("A kernel responds where the patch under it looks like it: conv2d(digit, kernels, padding=1)")
    return fig


def conv_vs_dense_figure(ns=None, shifts=(0, 1, 2, 3, 4), seed=0):
    """Parameters, and how the output of Conv2d and of a dense layer follow a shifted digit."""
    import tinytorch

    ns = _package(ns)
    image, _ = digit(standardised=False)
    tinytorch.manual_seed(seed)
    conv = ns.Conv2d(1, 6, 5, padding=2)
    rng = np.random.default_rng(seed)
    bound = 1 / math.sqrt(784)  # a dense layer 784 -> 6*28*28 with Linear's init, as plain arrays
    dense_w = rng.uniform(-bound, bound, (6 * 28 * 28, 784)).astype(np.float32)

    def by_conv(x):
        return conv(ns.Tensor(x)).data[0]

    def by_dense(x):
        return (dense_w @ x.reshape(784)).reshape(6, 28, 28)

    def shifted(x, k):  # k pixels to the right, the first column repeated on the left
        out = np.repeat(x[..., :1], x.shape[-1], axis=-1)
        out[..., k:] = x[..., :x.shape[-1] - k]
        return out

    errors = {"Conv2d(1, 6, 5, padding=2)": [], "dense: Linear(784, 4704)": []}
    for layer, store in zip((by_conv, by_dense), errors.values()):
        base = layer(image)
        for k in shifts:
            moved = layer(shifted(image, k))
            expected = base if k == 0 else shifted(base, k)
            inner = (slice(None), slice(None), slice(k + 2, 26))  # away from the borders
            store.append(float(np.linalg.norm((moved - expected)[inner]) / np.linalg.norm(base[inner])))
    fig = _figure((13.0, 4.4))
    axes = fig.subplots(1, 4, width_ratios=[1.1, 0.8, 0.8, 1.2])
    counts = {"Conv2d(1, 6, 5)": 6 * 25 + 6, "Linear(784, 4704)": 784 * 4704 + 4704}
    bars = axes[0].bar(list(counts), list(counts.values()), color=["#2e7d32", "#c62828"])
    axes[0].set_yscale("log")
    axes[0].bar_label(bars, labels=[f"{v:,}" for v in counts.values()])
    axes[0].set_title("parameters for six 28x28 maps")
    k = shifts[-1]
    _show(axes[1], by_conv(shifted(image, k))[0], f"conv, digit moved {k} px right")
    _show(axes[2], shifted(by_conv(image), k)[0], f"conv of the digit, moved {k} px")
    for (name, values), colour in zip(errors.items(), ("#2e7d32", "#c62828")):
        axes[3].plot(shifts, values, "o-", color=colour, label=name)
    axes[3].set_xlabel("shift of the digit (pixels)")
    axes[3].set_ylabel("|f(shifted) - shifted f| / |f|")
    axes[3].set_title("does the output move with the digit?")
    axes[3].legend(fontsize=8)
    axes[3].grid(alpha=0.3)
    fig.suptitle("Why convolution beats a dense layer on images: far fewer weights, and a shift moves the output "
                 "instead of scrambling it")
    return fig


# ---------------------------------------------------------------- a trained LeNet

def lenet(nn=None):
    """LeNet-5 as most courses teach it: conv 6@5x5 (padding 2), ReLU, max-pool 2, conv 16@5x5,
    ReLU, max-pool 2, then 400-120-84-10 with ReLU (the milestone adds batch norm)."""
    if nn is None:
        from tinytorch import nn
    return nn.Sequential(
        nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(400, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, 10))


_TRAINED = {}


def trained_lenet(ctx=None, seed=0, images=6000, epochs=2):
    """A LeNet trained for a moment (Adam, `images` MNIST digits, `epochs` passes): enough for
    its first-layer kernels to become strokes and edges. Trained once per process, in a
    one-thread child process (_child)."""
    if seed in _TRAINED:
        return _TRAINED[seed]
    import tempfile
    from pathlib import Path

    import tinytorch

    if ctx is not None:
        ctx.step("training a LeNet for the figures")
    with tempfile.TemporaryDirectory(prefix="tinytorch-lenet-") as folder:
        path = Path(folder) / "lenet.npz"
        _child(
            ["train", str(seed), str(images), str(epochs), str(path)],
            "tito plot",
            "training the LeNet of the figures",
            ctx.timeout if ctx is not None else None,
        )
        model = lenet()
        model.load_state_dict(tinytorch.load(path))
    _TRAINED[seed] = model.eval()
    return _TRAINED[seed]


def _train(seed, images, epochs, path):
    """The child process of trained_lenet: train, save the state_dict to `path`."""
    import tinytorch
    from tinytorch import nn
    from tinytorch.core.tensor import Tensor
    from tinytorch.datasets import load_mnist
    from tinytorch.optim import Adam
    from tito import watchdog

    X, y = load_mnist()
    X, y = standardise(X[:images]), y[:images]
    tinytorch.manual_seed(seed)
    model = lenet()
    optimizer = Adam(model.parameters(), lr=3e-3)
    loss_fn = nn.CrossEntropyLoss()
    order = np.random.default_rng(seed)
    for _ in range(epochs):
        for batch in np.array_split(order.permutation(images), images // 64):
            watchdog.progress()
            optimizer.zero_grad()
            loss_fn(model(Tensor(X[batch])), Tensor(y[batch])).backward()
            optimizer.step()
    tinytorch.save(model.state_dict(), path)


def _convolutions(model):
    return [layer for layer in model if type(layer).__name__ == "Conv2d"]


def learned_filters_figure(model, title="LeNet's first layer after training"):
    """The kernels of the model's first Conv2d (one input channel), red positive, blue negative."""
    weight = np.asarray(_convolutions(model)[0].weight.data, np.float64)
    fig = _figure((12.0, 2.9))
    axes = fig.subplots(1, len(weight))
    for k, ax in enumerate(np.ravel(axes)):
        _show(ax, weight[k, 0], f"kernel {k}")
    fig.suptitle(f"{title}: {len(weight)} kernels of 5x5 (red +, blue -)")
    return fig


def feature_maps_figure(model, image=None, label=None):
    """A digit through a Sequential LeNet in eval mode: every channel after its first two ReLUs
    (the two convolution layers' feature maps, before pooling)."""
    from tinytorch.core.autograd import no_grad
    from tinytorch.core.tensor import Tensor

    if image is None:
        image, label = digit()
    maps, x = [], Tensor(image)
    was_training = model.training
    model.eval()
    with no_grad():
        for layer in model:
            x = layer(x)
            if type(layer).__name__ == "ReLU" and len(maps) < 2:
                maps.append(x.data[0])
    model.train(was_training)
    first, second = maps  # (6, 28, 28) and (16, 10, 10) for LeNet
    fig = _figure((13.0, 5.6))
    grid = fig.add_gridspec(3, 9, width_ratios=[1.6] + [1] * 8)
    _show(fig.add_subplot(grid[:, 0]), image[0, 0], f"input ({label})" if label is not None else "input",
          symmetric=False)
    for k in range(len(first)):
        _show(fig.add_subplot(grid[0, k + 1]), first[k], f"conv1 #{k}", symmetric=False, cmap="magma")
    for k in range(len(second)):
        _show(fig.add_subplot(grid[1 + k // 8, 1 + k % 8]), second[k], f"conv2 #{k}", symmetric=False, cmap="magma")
    fig.suptitle("Feature maps: the first layer finds strokes and edges at 28x28, the second combines them at 10x10")
    return fig


def figures(ctx, names):
    for name in names:
        ctx.step(f"figure {name}")
        if name == "what_a_filter_sees":
            yield name, filters_figure(), ""
        elif name == "conv_vs_dense":
            yield name, conv_vs_dense_figure(), ""
        elif name == "learned_filters":
            yield name, learned_filters_figure(trained_lenet(ctx), "after 2 epochs on 6,000 digits"), ""
        elif name == "feature_maps":
            yield name, feature_maps_figure(trained_lenet(ctx)), ""


# ---------------------------------------------------------------- tito bench conv

BENCH_TARGET = 2.5  # at most this multiple of PyTorch's time on one thread


def _in(module, dtype):
    return module.double() if dtype == np.float64 else module


def _cases(torch, dtype):
    """[(name, ours, PyTorch's or None)]: forward+backward of each layer, and a LeNet step."""
    import tinytorch
    from tinytorch import nn
    from tinytorch.core.tensor import Tensor
    from tinytorch.optim import SGD

    rng = np.random.default_rng(0)
    layers = [
        ("Conv2d(1, 6, 5, padding=2), 64x1x28x28", (64, 1, 28, 28), lambda m: m.Conv2d(1, 6, 5, padding=2), False),
        ("Conv2d(6, 16, 5), 64x6x14x14", (64, 6, 14, 14), lambda m: m.Conv2d(6, 16, 5), True),
        ("Conv2d(64, 64, 3, padding=1), 16x64x32x32", (16, 64, 32, 32), lambda m: m.Conv2d(64, 64, 3, padding=1), True),
        ("MaxPool2d(2), 64x6x28x28", (64, 6, 28, 28), lambda m: m.MaxPool2d(2), True),
        ("AvgPool2d(2), 64x6x28x28", (64, 6, 28, 28), lambda m: m.AvgPool2d(2), True),
        ("BatchNorm2d(16), 64x16x10x10", (64, 16, 10, 10), lambda m: m.BatchNorm2d(16), True),
    ]
    cases = []
    for name, shape, make, input_grad in layers:
        x = rng.normal(size=shape).astype(dtype)
        tinytorch.manual_seed(0)
        ours_layer = _in(make(nn), dtype)
        grad = Tensor(np.ones(ours_layer(Tensor(x)).shape, dtype))

        def ours(layer=ours_layer, x=x, grad=grad, input_grad=input_grad):
            layer.zero_grad()
            layer(Tensor(x, requires_grad=input_grad)).backward(grad)

        theirs = None
        if torch is not None:
            torch_layer = make(torch.nn).to(getattr(torch, np.dtype(dtype).name))
            tx = torch.from_numpy(x).requires_grad_(input_grad)
            tgrad = torch.from_numpy(grad.data)

            def theirs(layer=torch_layer, tx=tx, tgrad=tgrad):
                layer.zero_grad(set_to_none=True)
                tx.grad = None
                layer(tx).backward(tgrad)
        cases.append((name, ours, theirs))

    images = rng.normal(size=(64, 1, 28, 28)).astype(dtype)
    labels = rng.integers(0, 10, 64)
    tinytorch.manual_seed(0)
    model = _in(lenet(nn), dtype)
    optimizer, loss_fn = SGD(model.parameters(), lr=0.01, momentum=0.9), nn.CrossEntropyLoss()

    def ours_step():
        optimizer.zero_grad()
        loss_fn(model(Tensor(images)), Tensor(labels)).backward()
        optimizer.step()

    theirs_step = None
    if torch is not None:
        torch_model = lenet(torch.nn).to(getattr(torch, np.dtype(dtype).name))
        torch_optimizer = torch.optim.SGD(torch_model.parameters(), lr=0.01, momentum=0.9)
        tx, ty, torch_loss = torch.from_numpy(images), torch.from_numpy(labels), torch.nn.CrossEntropyLoss()

        def theirs_step():
            torch_optimizer.zero_grad()
            torch_loss(torch_model(tx), ty).backward()
            torch_optimizer.step()
    cases.append(("LeNet training step, batch 64 (SGD)", ours_step, theirs_step))
    return cases


def _child(arguments, command, what, timeout):
    """This file run with `arguments` in a child process whose NumPy computes on one thread
    (on a busy machine a BLAS on every core was 4.5 times slower on a LeNet step); a clear
    error when it stops or fails."""
    import os
    import sys

    from tito import children
    from tito.console import TitoError
    from tito.offers import stopped

    done = children.run([sys.executable, "-m", "tito.watchdog", __file__, *arguments],
                        env=dict(os.environ, **children.ONE_THREAD), capture=True, timeout=timeout)
    if done.timed_out:
        raise stopped(command, "conv", timeout, done.stuck_at)
    if done.returncode != 0:
        lines = done.stdout.strip().splitlines()
        raise TitoError(f"{what} failed: {lines[-1] if lines else 'no output'}", hint="run `tito test conv` first")
    return done


def measure(dtype="float32", repeats=5) -> list[dict]:
    """[{name, ours, torch (seconds or None), missing}] for each case, in this process."""
    from tito.bench import load_torch, median_seconds

    torch, missing = load_torch()
    found = []
    for name, ours, theirs in _cases(torch, np.dtype(dtype)):
        times = median_seconds([ours] + ([theirs] if theirs else []), repeats)
        found.append({"name": name, "ours": times[0], "torch": times[1] if theirs else None, "missing": missing})
    return found


def bench(ctx):
    """Forward+backward of LeNet's layers, a wide convolution, pooling and batch norm, and one
    LeNet training step, against PyTorch; both on one thread (PyTorch by set_num_threads(1),
    NumPy's BLAS in a one-thread child process)."""
    import json
    import time

    from tito.bench import ratio_check
    from tito.card import Card, Row

    start = time.perf_counter()
    ctx.step("Conv2d, pooling, BatchNorm2d and a LeNet step, forward+backward")
    done = _child(["bench", ctx.dtype, str(ctx.repeats)], "tito bench", "the conv benchmark", ctx.timeout)
    rows = [Row(case["name"], [ratio_check("forward+backward", case["ours"], case["torch"], BENCH_TARGET,
                                           case.get("missing", ""), digits=2)])
            for case in json.loads(done.stdout.strip().splitlines()[-1])]
    return Card("conv", rows, title=f"TinyTorch conv speed: {ctx.dtype}, both on one thread",
                seconds=time.perf_counter() - start, done="nothing: within the target")


if __name__ == "__main__":  # the child processes of bench() and trained_lenet(): one-thread BLAS
    import json
    import sys

    if sys.argv[1] == "bench":
        print(json.dumps(measure(sys.argv[2], int(sys.argv[3]))))
    else:
        _train(*map(int, sys.argv[2:5]), sys.argv[5])
