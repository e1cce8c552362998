"""Feedback on module 08 (training): the curves of a run, the confusion matrix, the misses.

    plot_history(history)                    # loss and accuracy per epoch, train and test
    plot_confusion(matrix)                   # counts[i, j]: true i predicted j
    plot_misclassified(images, predicted, true)
    plot_decision_boundary(predict, X, y)    # 2-D problems: the regions of each class

`tito plot training` trains the chapter's small digits network with the package's code
and draws its curves and confusion matrix.
"""
from __future__ import annotations

import numpy as np

FIGURES = {
    "curves": "loss and accuracy per epoch of a 64-32-10 digits network (train and test)",
    "confusion": "the confusion matrix of that network on the held-out digits",
}


def plot_history(history, title="training"):
    """Two panels: loss and accuracy per epoch (test curves dashed when present)."""
    import matplotlib.pyplot as plt

    epochs = [r["epoch"] for r in history]
    fig, (loss_ax, acc_ax) = plt.subplots(1, 2, figsize=(10, 3.6), constrained_layout=True)
    loss_ax.plot(epochs, [r["loss"] for r in history], "o-", ms=3, label="train")
    acc_ax.plot(epochs, [100 * r["accuracy"] for r in history], "o-", ms=3, label="train")
    if history and "test_loss" in history[0]:
        loss_ax.plot(epochs, [r["test_loss"] for r in history], "s--", ms=3, label="test")
        acc_ax.plot(epochs, [100 * r["test_accuracy"] for r in history], "s--", ms=3, label="test")
        final = history[-1]["test_accuracy"]
        acc_ax.set_title(f"accuracy (final test {100 * final:.1f}%)")
    else:
        acc_ax.set_title("accuracy")
    loss_ax.set_yscale("log")
    loss_ax.set_title("loss (log scale)")
    for ax, label in ((loss_ax, "loss"), (acc_ax, "accuracy (%)")):
        ax.set_xlabel("epoch")
        ax.set_ylabel(label)
        ax.grid(alpha=0.3)
        ax.legend()
    fig.suptitle(title)
    return fig


def plot_confusion(matrix, title="confusion matrix"):
    """The counts as a heat map, each cell labelled; rows: true class, columns: predicted."""
    import matplotlib.pyplot as plt

    matrix = np.asarray(matrix)
    k = len(matrix)
    fig, ax = plt.subplots(figsize=(0.45 * k + 2.5, 0.45 * k + 2), constrained_layout=True)
    image = ax.imshow(matrix, cmap="Blues")
    for i in range(k):
        for j in range(k):
            if matrix[i, j]:
                ax.text(j, i, str(matrix[i, j]), ha="center", va="center", fontsize=8,
                        color="white" if matrix[i, j] > matrix.max() / 2 else "black")
    ax.set_xticks(range(k))
    ax.set_yticks(range(k))
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    right = np.trace(matrix)
    ax.set_title(f"{title}: {right}/{matrix.sum()} right ({100 * right / max(1, matrix.sum()):.1f}%)", fontsize=10)
    fig.colorbar(image, ax=ax, shrink=0.8)
    return fig


def plot_misclassified(images, predicted, true, side=8, limit=30):
    """The misclassified examples (up to `limit`), each titled 'true -> predicted'."""
    import matplotlib.pyplot as plt

    wrong = np.flatnonzero(np.asarray(predicted) != np.asarray(true))[:limit]
    columns = 10
    rows = max(1, int(np.ceil(len(wrong) / columns)))
    fig, axes = plt.subplots(rows, columns, figsize=(columns * 0.95, rows * 1.15), constrained_layout=True)
    for ax in np.ravel(axes):
        ax.axis("off")
    for ax, i in zip(np.ravel(axes), wrong):
        ax.imshow(np.asarray(images[i]).reshape(side, side), cmap="gray_r")
        ax.set_title(f"{int(true[i])} -> {int(predicted[i])}", fontsize=8, color="crimson")
    fig.suptitle(f"{len(wrong)} misclassified (true -> predicted)" if len(wrong) else "no misclassified examples")
    return fig


def plot_decision_boundary(predict, X, y, title="decision boundary", ax=None, resolution=200):
    """The plane coloured by predict(points) (probability of class 1), with the data on top."""
    import matplotlib.pyplot as plt

    X, y = np.asarray(X, dtype=np.float64), np.asarray(y)
    pad = 0.25 * (X.max(axis=0) - X.min(axis=0)) + 0.1
    lo, hi = X.min(axis=0) - pad, X.max(axis=0) + pad
    xs, ys = np.meshgrid(np.linspace(lo[0], hi[0], resolution), np.linspace(lo[1], hi[1], resolution))
    grid = np.column_stack([xs.ravel(), ys.ravel()])
    values = np.asarray(predict(grid), dtype=np.float64).reshape(xs.shape)
    if ax is None:
        fig, ax = plt.subplots(figsize=(4.8, 4.2), constrained_layout=True)
    else:
        fig = ax.figure
    ax.contourf(xs, ys, values, levels=np.linspace(0, 1, 11), cmap="RdBu_r", alpha=0.55)
    ax.contour(xs, ys, values, levels=[0.5], colors="k", linewidths=1.5)
    for label, marker, colour in ((0, "o", "tab:blue"), (1, "^", "tab:red")):
        chosen = y == label
        ax.scatter(X[chosen, 0], X[chosen, 1], marker=marker, c=colour, edgecolors="k", s=40,
                   label=f"class {label}", zorder=3)
    ax.set_title(title, fontsize=10)
    ax.legend(fontsize=8, loc="upper right")
    return fig


def _chapter_run():
    """The chapter's 64-32-10 digits network, trained with the package's code (15 epochs)."""
    import tinytorch
    from tinytorch.core.data import DataLoader, TensorDataset, random_split
    from tinytorch.core.optim import Adam, CosineAnnealingLR
    from tinytorch.core.tensor import Tensor
    from tinytorch.core.training import confusion_matrix, evaluate, fit
    from tinytorch.datasets import load_digits
    from tinytorch.nn import Linear, ReLU, Sequential
    from tinytorch.nn.functional import cross_entropy

    tinytorch.manual_seed(0)
    X, y = load_digits()
    train, test = random_split(TensorDataset(Tensor(X / 16), Tensor(y)), [0.8, 0.2],
                               generator=np.random.default_rng(0))
    train_loader = DataLoader(train, batch_size=32, shuffle=True, generator=np.random.default_rng(1))
    test_loader = DataLoader(test, batch_size=256)
    model = Sequential(Linear(64, 32), ReLU(), Linear(32, 10))
    optimizer = Adam(model.parameters(), lr=3e-3)
    history = fit(model, train_loader, cross_entropy, optimizer, 15, test_loader=test_loader,
                  scheduler=CosineAnnealingLR(optimizer, T_max=15), progress=False)
    result = evaluate(model, test_loader, cross_entropy)
    return history, confusion_matrix(result["predictions"], result["targets"], 10)


def figures(ctx, names):
    history, matrix = _chapter_run()
    for name in names:
        if name == "curves":
            yield name, plot_history(history, "digits 64-32-10, Adam, cosine schedule"), ""
        elif name == "confusion":
            yield name, plot_confusion(matrix, "held-out digits"), ""


def _train_step(model, loss_fn, optimizer):
    """One step of training on a batch, the same for TinyTorch and PyTorch: both speak the same API."""
    def step(xb, yb):
        optimizer.zero_grad()
        loss_fn(model(xb), yb).backward()
        optimizer.step()

    return step


def _epoch_seconds(train_step, batches, repeats):
    """The best of `repeats` epochs (each a pass over `batches`), in seconds."""
    import time

    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        for xb, yb in batches:
            train_step(xb, yb)
        best = min(best, time.perf_counter() - start)
    return best


def _numpy_blas_threads(count):
    """Set the number of threads of NumPy's bundled OpenBLAS; the old count, or None when unknown.

    On a busy machine OpenBLAS's threads wait for each other: at 2 threads on 2 loaded cores
    a 128x784 @ 784x256 product measured 109 ms, at 1 thread 3.6 ms.
    """
    import ctypes
    import glob
    import os

    for path in glob.glob(os.path.join(os.path.dirname(np.__file__), os.pardir, "numpy.libs", "*openblas*")):
        lib = ctypes.CDLL(path)
        for prefix in ("scipy_openblas", "openblas"):
            setter, getter = (
                getattr(lib, f"{prefix}_set_num_threads64_", None),
                getattr(lib, f"{prefix}_get_num_threads64_", None),
            )
            if setter is not None and getter is not None:
                old = getter()
                setter(count)
                return old
    return None


def bench(ctx):
    """tito bench training: time per epoch of two MLPs, TinyTorch against PyTorch single-thread.

    The same network, optimizer (Adam), loss (cross-entropy), float32 and batches on both
    sides; the ratio is TinyTorch's time over PyTorch's (target: at most 1.5).
    """
    import importlib.util

    from tinytorch.datasets import load_digits
    from tito.card import Card

    X, y = load_digits()
    rng = np.random.default_rng(0)
    setups = [("digits 64-64-10, batch 64, 1797 examples", [64, 64, 10], (X / 16).astype(np.float32), y, 64),
              ("784-256-128-10 on random data, batch 128, 4096 examples", [784, 256, 128, 10],
               rng.standard_normal((4096, 784)).astype(np.float32), rng.integers(0, 10, 4096), 128)]
    have_torch = importlib.util.find_spec("torch") is not None
    if have_torch:
        import torch

        torch.set_num_threads(1)
    repeats = max(1, min(ctx.repeats, 3))
    threads = _numpy_blas_threads(1)  # one thread, as PyTorch: the same machine for both
    try:
        rows = _bench_rows(setups, have_torch, repeats)
    finally:
        if threads is not None:
            _numpy_blas_threads(threads)
    notes = [] if threads is not None else ["NumPy's BLAS threads could not be set to 1: TinyTorch may use several"]
    return Card("training", rows, title="time per epoch: TinyTorch against PyTorch (float32, Adam, one thread each)",
                notes=notes)


def _bench_rows(setups, have_torch, repeats):
    import tinytorch
    from tinytorch.core.optim import Adam
    from tinytorch.core.tensor import Tensor
    from tinytorch.nn import Linear, ReLU, Sequential
    from tinytorch.nn.functional import cross_entropy
    from tito.card import INFO, PASS, WARN, Check, Row

    if have_torch:
        import torch
    rows = []
    for title, sizes, data, labels, batch in setups:
        layers = []
        for a, b in zip(sizes[:-1], sizes[1:]):
            layers += [Linear(a, b), ReLU()]
        tinytorch.manual_seed(0)
        model = Sequential(*layers[:-1])
        optimizer = Adam(model.parameters(), lr=1e-3)
        batches = [(Tensor(data[i:i + batch]), Tensor(labels[i:i + batch])) for i in range(0, len(data), batch)]
        mine = _epoch_seconds(_train_step(model, cross_entropy, optimizer), batches, repeats)
        checks = [Check("TinyTorch", INFO, f"{1e3 * mine:.1f} ms per epoch")]
        if have_torch:
            modules = []
            for a, b in zip(sizes[:-1], sizes[1:]):
                modules += [torch.nn.Linear(a, b), torch.nn.ReLU()]
            net = torch.nn.Sequential(*modules[:-1])
            opt = torch.optim.Adam(net.parameters(), lr=1e-3)
            loss_fn = torch.nn.CrossEntropyLoss()
            torch_batches = [(torch.from_numpy(xb.data), torch.from_numpy(yb.data)) for xb, yb in batches]
            reference = _epoch_seconds(_train_step(net, loss_fn, opt), torch_batches, repeats)
            ratio = mine / reference
            checks += [Check("PyTorch, 1 thread", INFO, f"{1e3 * reference:.1f} ms per epoch"),
                       Check("ratio TinyTorch / PyTorch", PASS if ratio <= 1.5 else WARN,
                             f"{ratio:.2f}x (target at most 1.5x)")]
        else:
            checks.append(Check("PyTorch", INFO, "not installed: pip install torch==2.13.0 for the ratio"))
        rows.append(Row(title, checks))
    return rows
