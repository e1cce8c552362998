"""1969, XOR: what a single layer cannot learn, and what one hidden layer can.

Minsky and Papert's "Perceptrons" (1969) proved that a single layer draws one straight
line, and no straight line puts (0, 1) and (1, 0) on one side and (0, 0) and (1, 1) on
the other. Funding for neural networks dried up for a decade. First the crisis: a
single Linear(2, 1) trained on the four corners ends at the loss ln 2 = 0.693 (it can do
no better than "one half, everywhere") and never gets all four right. Then the answer:
one hidden layer of 8 tanh units bends the boundary and solves XOR, on every seed.
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from common import arguments, console, save, table, verdict  # noqa: E402

import tinytorch  # noqa: E402
import tinytorch.nn as nn  # noqa: E402
from tinytorch.core.tensor import Tensor  # noqa: E402
from tinytorch.core.training import accuracy  # noqa: E402
from tinytorch.datasets import make_xor  # noqa: E402
from tinytorch.optim import SGD, Adam  # noqa: E402

SEEDS = range(20)
STEPS = 100
X, Y = make_xor()
INPUTS, TARGETS = Tensor(X), Tensor(Y[:, None].astype(np.float32))


def train(model, optimizer, steps):
    """Full-batch training on the four corners; returns (final loss, final accuracy, first solving step)."""
    loss_fn = nn.BCEWithLogitsLoss()
    solved_at = None
    for step in range(1, steps + 1):
        optimizer.zero_grad()
        loss = loss_fn(model(INPUTS), TARGETS)
        loss.backward()
        optimizer.step()
        with tinytorch.no_grad():
            right = accuracy(model(INPUTS), TARGETS)
        if right == 1.0 and solved_at is None:
            solved_at = step
    with tinytorch.no_grad():
        output = model(INPUTS)
        final_loss = loss_fn(output, TARGETS).item()
    return final_loss, accuracy(output, TARGETS), solved_at


def single_layer(seed):
    tinytorch.manual_seed(seed)
    model = nn.Linear(2, 1)
    return model, train(model, SGD(model.parameters(), lr=1.0), 200)


def hidden_layer(seed):
    tinytorch.manual_seed(seed)
    model = nn.Sequential(nn.Linear(2, 8), nn.Tanh(), nn.Linear(8, 1))
    return model, train(model, Adam(model.parameters(), lr=0.05), STEPS)


def probability_of(model):
    def probability(points):
        with tinytorch.no_grad():
            logits = model(Tensor(points.astype(np.float32))).data[:, 0].astype(np.float64)
        return 1 / (1 + np.exp(-logits))
    return probability


def main():
    args = arguments(__doc__)
    console.print("[bold]1. one layer, Linear(2, 1), 200 steps of SGD (lr 1)[/]")
    flat_rows, flat = [], []
    for seed in SEEDS:
        start = time.perf_counter()
        model, (loss, right, solved) = single_layer(seed)
        flat.append((loss, right, solved))
        flat_rows.append([seed, f"{loss:.4f}", f"{100 * right:.0f}%", solved or "never",
                          f"{time.perf_counter() - start:.2f}"])
        if seed == 0:
            flat_model = model
    table("one layer on XOR", ["seed", "final loss", "accuracy", "solved at step", "seconds"], flat_rows)

    console.print(f"[bold]2. one hidden layer, 2-8-1 tanh, {STEPS} steps of Adam (lr 0.05)[/]")
    deep_rows, deep = [], []
    for seed in SEEDS:
        start = time.perf_counter()
        model, (loss, right, solved) = hidden_layer(seed)
        deep.append((loss, right, solved))
        deep_rows.append([seed, f"{loss:.4f}", f"{100 * right:.0f}%", solved or "never",
                          f"{time.perf_counter() - start:.2f}"])
        if seed == 0:
            deep_model = model
    table("2-8-1 tanh on XOR", ["seed", "final loss", "accuracy", "solved at step", "seconds"], deep_rows)

    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from tito.offers import feedback_module

    plot_decision_boundary = feedback_module("training").plot_decision_boundary

    fig, axes = plt.subplots(1, 2, figsize=(10, 4.4), constrained_layout=True)
    plot_decision_boundary(probability_of(flat_model), X, Y, ax=axes[0],
                           title=f"one layer: loss {flat[0][0]:.3f}, {100 * flat[0][1]:.0f}% right")
    plot_decision_boundary(probability_of(deep_model), X, Y, ax=axes[1],
                           title=f"2-8-1 tanh: loss {deep[0][0]:.3f}, solved at step {deep[0][2]}")
    fig.suptitle("XOR, seed 0: the line that cannot, the bend that can (colour: probability of class 1)")
    save(fig, args.out / "xor_boundaries.png")

    mean_flat = np.mean([r for _, r, _ in flat])
    solved = sum(1 for _, r, s in deep if s is not None and s <= STEPS and r == 1.0)
    verdict([
        (f"one layer: no seed gets all four corners right ({sum(r == 1.0 for _, r, _ in flat)} of 20 do)",
         all(r < 1.0 for _, r, _ in flat)),
        (f"one layer: mean accuracy <= 60% ({100 * mean_flat:.1f}%)", mean_flat <= 0.60),
        (f"one layer: loss >= 0.69 on every seed (lowest {min(loss for loss, _, _ in flat):.4f})",
         min(loss for loss, _, _ in flat) >= 0.69),
        (f"2-8-1 tanh: all four corners right within {STEPS} steps on 20 of 20 seeds ({solved} of 20)",
         solved == len(SEEDS)),
    ])


if __name__ == "__main__":
    main()
