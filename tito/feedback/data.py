"""Feedback on module 07 (data): the figures of the chapter, and the report card.

    plot_epochs(DataLoader)      # epochs as rows of indices: order, shuffle, seeds
    plot_digits(images, labels)  # a grid of the 8x8 digits

`tito plot data` and `tito check data` use the package's `tinytorch.core.data`.
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


def check(ctx):
    """tito check data: the DataLoader's and random_split's properties on small datasets."""
    from tito.card import Card, Row, attempt

    from tinytorch.core.data import DataLoader, TensorDataset, default_collate, random_split
    from tinytorch.core.tensor import Tensor

    def dataset(n):
        return TensorDataset(Tensor(np.arange(n, dtype=np.float32)[:, None]), Tensor(np.arange(n) % 3))

    def order(loader):
        return [np.asarray(x)[:, 0].astype(int).tolist() for x, _ in loader]

    def batches():
        got = [len(b) for b in order(DataLoader(dataset(10), batch_size=4))]
        assert got == [4, 4, 2], f"10 examples, batch_size=4: batch sizes {got}, expected [4, 4, 2]"
        dropped = [len(b) for b in order(DataLoader(dataset(10), batch_size=4, drop_last=True))]
        assert dropped == [4, 4], f"with drop_last: {dropped}, expected [4, 4]"
        assert len(DataLoader(dataset(10), batch_size=4)) == 3 and \
            len(DataLoader(dataset(10), batch_size=4, drop_last=True)) == 2, "len(loader) counts the batches"

    def permutations():
        loader = DataLoader(dataset(30), batch_size=30, shuffle=True, generator=np.random.default_rng(0))
        epochs = [order(loader)[0] for _ in range(4)]
        assert all(sorted(e) == list(range(30)) for e in epochs), "an epoch must visit each example exactly once"
        assert len({tuple(e) for e in epochs}) == 4, "every epoch needs a new order"

    def seeded():
        runs = [[order(DataLoader(dataset(20), batch_size=5, shuffle=True, generator=np.random.default_rng(7)))
                 for _ in range(1)] for _ in range(2)]
        assert runs[0] == runs[1], "the same generator seed must give the same batches"

    def labels():
        _, yb = next(iter(DataLoader(dataset(6), batch_size=3)))
        assert yb.dtype == np.int64, f"labels became {yb.dtype}; they must stay int64"
        assert default_collate([1, 2]).dtype == np.int64 and default_collate([0.5]).dtype == np.float64

    def split():
        pieces = random_split(dataset(10), [0.7, 0.3], generator=np.random.default_rng(0))
        assert [len(p) for p in pieces] == [7, 3], f"lengths {[len(p) for p in pieces]}"
        indices = sorted(i for p in pieces for i in p.indices)
        assert indices == list(range(10)), "the pieces must hold every example once"
        assert pieces[0].indices != list(range(7)), "random_split must shuffle"

    rows = [Row("DataLoader", [attempt("batch sizes, drop_last and len", batches, "[4, 4, 2]; [4, 4]"),
                               attempt("each shuffled epoch a new permutation", permutations),
                               attempt("seeded runs repeat exactly", seeded),
                               attempt("labels stay int64", labels)]),
            Row("random_split", [attempt("disjoint pieces of the right lengths, shuffled", split)])]
    return Card("data", rows, title="DataLoader and random_split", done="tito sync, then module 08 (training)")
