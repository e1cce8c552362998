"""Feedback on module 07 (data): the figures of the chapter (`tito.offers.feedback_module("data")`).

    plot_epochs(DataLoader)      # epochs as rows of indices: order, shuffle, seeds
    plot_digits(images, labels)  # a grid of the 8x8 digits

`tito plot data` uses the package's `tinytorch.core.data`.
"""
from __future__ import annotations

import numpy as np

FIGURES = {
    "epochs": "the order of 6 epochs without shuffle, with shuffle, and a repeat from the same seed",
    "digits": "the first 40 of the shipped 8x8 digits, with their labels",
}


def _epoch_rows(loader, epochs):
    rows = []
    for _ in range(epochs):
        rows.append(np.concatenate([np.asarray(batch[0]).ravel() for batch in loader]))
    return np.array(rows)


def plot_epochs(DataLoader, n=40, epochs=6, batch_size=8):
    """Three panels of `epochs` rows: the index visited at each position of each epoch."""
    import matplotlib.pyplot as plt

    from tinytorch.core.data import TensorDataset
    from tinytorch.core.tensor import Tensor

    dataset = TensorDataset(Tensor(np.arange(n)))
    panels = [
        ("shuffle=False", DataLoader(dataset, batch_size=batch_size)),
        ("shuffle=True, seed 0", DataLoader(dataset, batch_size=batch_size, shuffle=True,
                                            generator=np.random.default_rng(0))),
        ("shuffle=True, seed 0 again", DataLoader(dataset, batch_size=batch_size, shuffle=True,
                                                  generator=np.random.default_rng(0))),
    ]
    fig, axes = plt.subplots(1, 3, figsize=(13, 3.2), constrained_layout=True)
    for ax, (title, loader) in zip(axes, panels):
        rows = _epoch_rows(loader, epochs)
        image = ax.imshow(rows, aspect="auto", cmap="viridis", vmin=0, vmax=n - 1, interpolation="nearest")
        permutations = all(sorted(r.tolist()) == list(range(n)) for r in rows)
        distinct = len({tuple(r) for r in rows})
        ax.set_title(f"{title}\n{distinct} distinct order{'s' if distinct > 1 else ''}, "
                     f"{'each a permutation' if permutations else 'NOT permutations'}", fontsize=9)
        ax.set_xlabel("position in the epoch")
        ax.set_ylabel("epoch")
        ax.set_yticks(range(epochs), [str(e + 1) for e in range(epochs)])
        for edge in range(batch_size, n, batch_size):
            ax.axvline(edge - 0.5, color="white", lw=0.8)
    fig.colorbar(image, ax=axes, label="example index", shrink=0.9)
    fig.suptitle(f"DataLoader over {n} examples, batch_size={batch_size} (white lines: batch edges)")
    return fig


def plot_digits(images, labels, count=40, per_row=10):
    """A grid of the first `count` digits, each titled with its label."""
    import matplotlib.pyplot as plt

    rows = int(np.ceil(count / per_row))
    fig, axes = plt.subplots(rows, per_row, figsize=(per_row * 0.9, rows * 1.05), constrained_layout=True)
    for i, ax in enumerate(np.ravel(axes)):
        ax.axis("off")
        if i < count:
            ax.imshow(np.asarray(images[i]).reshape(8, 8), cmap="gray_r", vmin=0, vmax=16)
            ax.set_title(str(int(labels[i])), fontsize=9)
    fig.suptitle("load_digits(): 8x8 images, pixel values 0..16")
    return fig


def figures(ctx, names):
    """tito plot data: the package's DataLoader, and the shipped digits."""
    from tinytorch.core.data import DataLoader
    from tinytorch.datasets import load_digits

    for name in names:
        if name == "epochs":
            yield name, plot_epochs(DataLoader), ""
        elif name == "digits":
            X, y = load_digits()
            yield name, plot_digits(X, y), ""


