"""1998, LeNet: a convolutional network reads handwritten digits.

LeCun, Bottou, Bengio and Haffner (1998) trained a network of small shared kernels,
pooling and a few dense layers on the 60,000 MNIST digits and read the 10,000 test digits
with 0.95% error. Here the same kind of network (two convolutions with max pooling, then
400-120-84-10) trains on the MNIST shipped with TinyTorch, with every piece yours, three
times with three seeds; beside it the same recipe in PyTorch from the same first weights
and batches, and the best MLP of this recipe on the same data, to show the gap.
"""
from __future__ import annotations

import os
import sys
import time
from pathlib import Path

for _name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_name, "1")  # one core per run: the CPU time is the run's cost (before NumPy loads)

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from common import alive, arguments, console, save, table, verdict  # noqa: E402

import tinytorch  # noqa: E402
import tinytorch.nn as nn  # noqa: E402
from tinytorch.core.tensor import Tensor  # noqa: E402
from tinytorch.core.training import TrainingProgress, accuracy, confusion_matrix, evaluate  # noqa: E402
from tinytorch.datasets import load_mnist  # noqa: E402
from tinytorch.optim import Adam  # noqa: E402
from tinytorch.optim.lr_scheduler import CosineAnnealingLR  # noqa: E402
from tinytorch.utils.data import DataLoader, TensorDataset  # noqa: E402

SEEDS = (0, 1, 2)
EPOCHS, BATCH, LR = 8, 64, 2e-3
TARGET, MINUTES = 0.990, 5.0
# The shortened run of the test suite (--quick): one seed, one epoch on the first 6,000
# training digits (the cosine schedule over that epoch), tested on the first 2,000 test digits.
QUICK = {"seeds": (0,), "epochs": 1, "train": 6000, "test": 2000, "target": 0.80}
MEAN, STD = 0.1307, 0.3081  # MNIST's training pixels in [0, 1]


def standardise(images):
    return ((images.astype(np.float32) / 255 - MEAN) / STD)[:, None]


def lenet(module):
    """LeNet-5 as it is built today: ReLU and max pooling for the 1998 tanh and subsampling,
    and batch normalisation after each convolution (whose bias it makes redundant), in
    TinyTorch (module = tinytorch.nn) or PyTorch (torch.nn)."""
    return module.Sequential(
        module.Conv2d(1, 6, 5, padding=2, bias=False), module.BatchNorm2d(6), module.ReLU(),
        module.MaxPool2d(2),                                                       # 6 x 28 x 28 -> 14 x 14
        module.Conv2d(6, 16, 5, bias=False), module.BatchNorm2d(16), module.ReLU(),
        module.MaxPool2d(2),                                                       # 16 x 10 x 10 -> 5 x 5
        module.Flatten(), module.Linear(400, 120), module.ReLU(), module.Linear(120, 84), module.ReLU(),
        module.Linear(84, 10))


def mlp(module):
    """The MLP of the same recipe: 784-512-256-10, nine times LeNet's parameters."""
    return module.Sequential(module.Flatten(), module.Linear(784, 512), module.ReLU(), module.Linear(512, 256),
                             module.ReLU(), module.Linear(256, 10))


def train(model, data, seed, epochs, progress):
    """Adam with a cosine schedule over every step; returns (test result, CPU seconds, wall seconds)."""
    X, y, Xt, yt = data
    loader = DataLoader(TensorDataset(Tensor(X), Tensor(y)), batch_size=BATCH, shuffle=True,
                        generator=np.random.default_rng(seed + 100))
    optimizer = Adam(model.parameters(), lr=LR)
    scheduler = CosineAnnealingLR(optimizer, T_max=epochs * len(loader))
    loss_fn = nn.CrossEntropyLoss()
    start, wall = time.process_time(), time.perf_counter()
    with TrainingProgress(epochs, enabled=progress) as bar:
        for epoch in range(1, epochs + 1):
            model.train()
            callback = bar.epoch(epoch, len(loader))
            for step, (xb, yb) in enumerate(loader):
                optimizer.zero_grad()
                output = model(xb)
                loss = loss_fn(output, yb)
                loss.backward()
                optimizer.step()
                scheduler.step()
                if callback is not None:
                    callback(loss.item(), accuracy(output.data, yb.data))
                if step % 50 == 0:
                    alive()
    seconds, wall = time.process_time() - start, time.perf_counter() - wall
    tested = evaluate(model, DataLoader(TensorDataset(Tensor(Xt), Tensor(yt)), batch_size=1000), loss_fn)
    return tested, seconds, wall


def train_torch(torch, model, data, seed, epochs):
    """The same recipe in PyTorch, on one thread, with the same batches in the same order."""
    X, y, Xt, yt = data
    order = np.random.default_rng(seed + 100)  # the generator TinyTorch's DataLoader drew from
    optimizer = torch.optim.Adam(model.parameters(), lr=LR)
    steps = epochs * -(-len(y) // BATCH)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=steps)
    loss_fn = torch.nn.CrossEntropyLoss()
    tx, ty = torch.from_numpy(X), torch.from_numpy(y)
    start, wall = time.process_time(), time.perf_counter()
    for _ in range(epochs):
        model.train()
        permutation = order.permutation(len(y))
        for step in range(0, len(y), BATCH):
            batch = torch.from_numpy(permutation[step:step + BATCH])
            optimizer.zero_grad()
            loss_fn(model(tx[batch]), ty[batch]).backward()
            optimizer.step()
            scheduler.step()
            if step % (50 * BATCH) == 0:
                alive()
    seconds, wall = time.process_time() - start, time.perf_counter() - wall
    model.eval()
    with torch.no_grad():
        predicted = model(torch.from_numpy(Xt)).argmax(dim=1).numpy()
    return float(np.mean(predicted == yt)), seconds, wall


def load_torch():
    try:
        import torch
    except ImportError:
        return None
    torch.set_num_threads(1)
    return torch


def main():
    args = arguments(__doc__)
    seeds, epochs, target = SEEDS, EPOCHS, TARGET
    X, y = load_mnist()
    Xt, yt = load_mnist(train=False)
    if args.quick:
        console.print(f"[bold]shortened run[/] (--quick, what the test suite runs): seed 0, {QUICK['epochs']} epoch on "
                      f"the first {QUICK['train']:,} training digits, tested on the first {QUICK['test']:,}; its "
                      f"stated result is at least {100 * QUICK['target']:.0f}%")
        seeds, epochs, target = QUICK["seeds"], QUICK["epochs"], QUICK["target"]
        X, y, Xt, yt = X[:QUICK["train"]], y[:QUICK["train"]], Xt[:QUICK["test"]], yt[:QUICK["test"]]
    data = (standardise(X), y, standardise(Xt), yt)
    torch = load_torch()
    rows, results, kept = [], [], None
    for seed in seeds:
        tinytorch.manual_seed(seed)
        model = lenet(nn)
        first_weights = model.state_dict()
        console.print(f"seed {seed}: LeNet, {sum(p.size for p in model.parameters()):,} parameters, {epochs} "
                      f"epoch{'s' if epochs > 1 else ''}")
        tested, seconds, wall = train(model, data, seed, epochs, progress=seed == seeds[0])
        theirs = "PyTorch not installed"
        if torch is not None:
            torch_model = lenet(torch.nn)
            torch_model.load_state_dict({k: torch.from_numpy(v) for k, v in first_weights.items()})
            their_accuracy, their_seconds, _ = train_torch(torch, torch_model, data, seed, epochs)
            theirs = f"{100 * their_accuracy:.2f}% in {their_seconds / 60:.1f} min"
        results.append((tested["accuracy"], seconds))
        rows.append([seed, f"{100 * tested['accuracy']:.2f}%", f"{seconds / 60:.2f}", f"{wall / 60:.2f}", theirs])
        console.print(f"seed {seed}: test accuracy {100 * tested['accuracy']:.2f}% in {seconds / 60:.2f} min of CPU "
                      f"time; PyTorch, same first weights and batches: {theirs}")
        if kept is None:
            kept = model, tested
    tinytorch.manual_seed(seeds[0])
    dense = mlp(nn)
    dense_tested, dense_seconds, _ = train(dense, data, seeds[0], epochs, progress=False)
    dense_size = sum(p.size for p in dense.parameters())
    table(f"LeNet on MNIST: Adam {LR:g}, cosine over {epochs} epoch(s), batch {BATCH}, {len(y):,} training digits, "
          f"{len(yt):,} test digits",
          ["seed", "test accuracy", "CPU minutes", "wall minutes", "PyTorch (same recipe, one thread)"], rows)
    lowest = min(a for a, _ in results)
    console.print(f"MLP 784-512-256-10 ({dense_size:,} parameters), same recipe, seed {seeds[0]}: test accuracy "
                  f"{100 * dense_tested['accuracy']:.2f}% ({len(yt) - round(dense_tested['accuracy'] * len(yt))} "
                  f"digits wrong) in {dense_seconds / 60:.2f} min; LeNet seed {seeds[0]}: "
                  f"{len(yt) - round(results[0][0] * len(yt))} wrong")
    figures(args.out, *kept, Xt, data)
    verdict([
        (f"test accuracy >= {100 * target:.1f}% on each of {len(seeds)} seed(s) (lowest {100 * lowest:.2f}%)",
         lowest >= target),
        (f"at most {MINUTES:g} minutes of CPU time a run (slowest {max(s for _, s in results) / 60:.2f})",
         max(s for _, s in results) <= 60 * MINUTES),
    ])


def figures(out, model, tested, images, data):
    import matplotlib

    matplotlib.use("Agg")
    from tito.offers import feedback_module

    training = feedback_module("training")  # module 08's figures
    plot_confusion, plot_misclassified = training.plot_confusion, training.plot_misclassified

    feedback = feedback_module("conv")
    save(feedback.learned_filters_figure(model, "LeNet's first layer after training (seed 0)"),
         out / "lenet_filters.png")
    Xt, yt = data[2], data[3]
    save(feedback.feature_maps_figure(model, Xt[1:2], int(yt[1])), out / "lenet_feature_maps.png")
    matrix = confusion_matrix(tested["predictions"], tested["targets"], 10)
    save(plot_confusion(matrix, "LeNet, seed 0, MNIST test set"), out / "lenet_confusion.png")
    save(plot_misclassified(images, tested["predictions"], tested["targets"], side=28, limit=40),
         out / "lenet_misclassified.png")


if __name__ == "__main__":
    main()
