"""Feedback on module 06 (optim): every optimizer on two 2-D loss surfaces.

    plot_trajectories({"SGD": SGD, "Adam": Adam, "AdamW": AdamW})

The gradients are exact (written by hand) and put into `p.grad`; only the optimizer's
`step` moves the point. `tito plot optim` draws the package's optimizers.
"""
from __future__ import annotations

import numpy as np

FIGURES = {"trajectories": "SGD, momentum, Nesterov, Adam and AdamW on a narrow valley and on Rosenbrock's banana"}

# (title, f, grad, start, minimum, steps, x range, y range)
SURFACES = [
    ("valley  x^2/100 + y^2", lambda x, y: x ** 2 / 100 + y ** 2,
     lambda p: np.array([p[0] / 50, 2 * p[1]]), (-9.0, 2.0), (0.0, 0.0), 60, (-10, 2), (-2.5, 2.5)),
    ("Rosenbrock  (1-x)^2 + 100(y-x^2)^2", lambda x, y: (1 - x) ** 2 + 100 * (y - x ** 2) ** 2,
     lambda p: np.array([-2 * (1 - p[0]) - 400 * p[0] * (p[1] - p[0] ** 2), 200 * (p[1] - p[0] ** 2)]),
     (-1.5, 2.0), (1.0, 1.0), 1000, (-2, 2), (-1, 3)),
]

# (label, class name, keyword arguments per surface)
RUNS = [
    ("SGD", "SGD", [dict(lr=0.9), dict(lr=1e-3)]),
    ("SGD momentum 0.9", "SGD", [dict(lr=0.1, momentum=0.9), dict(lr=2e-4, momentum=0.9)]),
    (
        "SGD Nesterov 0.9",
        "SGD",
        [dict(lr=0.1, momentum=0.9, nesterov=True), dict(lr=2e-4, momentum=0.9, nesterov=True)],
    ),
    ("Adam", "Adam", [dict(lr=0.3), dict(lr=0.1)]),
    ("AdamW wd 0.1", "AdamW", [dict(lr=0.3, weight_decay=0.1), dict(lr=0.1, weight_decay=0.1)]),
]


def trajectory(cls, kwargs, grad, start, steps):
    """The points an optimizer visits from `start`, gradients from `grad` (float64)."""
    from tinytorch.core.tensor import Tensor

    p = Tensor(np.array(start, dtype=np.float64), requires_grad=True)
    opt = cls([p], **kwargs)
    path = [p.data.copy()]
    for _ in range(steps):
        p.grad = Tensor(grad(p.data))
        opt.step()
        path.append(p.data.copy())
        if not np.all(np.isfinite(p.data)) or np.abs(p.data).max() > 1e6:
            break
    return np.array(path)


def plot_trajectories(classes=None):
    """Two panels: each optimizer's path on the valley and on Rosenbrock, with its final loss."""
    import matplotlib.pyplot as plt

    if classes is None:
        from tinytorch.core import optim
        classes = {"SGD": optim.SGD, "Adam": optim.Adam, "AdamW": optim.AdamW}
    fig, axes = plt.subplots(1, 2, figsize=(13, 5.2), constrained_layout=True)
    colours = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for s, (ax, (title, f, grad, start, minimum, steps, xr, yr)) in enumerate(zip(axes, SURFACES)):
        xs, ys = np.meshgrid(np.linspace(*xr, 300), np.linspace(*yr, 300))
        ax.contour(xs, ys, np.log1p(f(xs, ys)), levels=25, cmap="Greys", linewidths=0.6)
        for colour, (label, name, kwargs) in zip(colours, RUNS):
            if name not in classes:
                continue
            try:
                path = trajectory(classes[name], kwargs[s], grad, start, steps)
            except NotImplementedError:
                ax.plot([], [], color=colour, label=f"{label}: not implemented yet")
                continue
            end = path[-1]
            loss = f(*end) if np.all(np.isfinite(end)) else np.inf
            args = ", ".join(f"{k}={v}" for k, v in kwargs[s].items())
            ax.plot(path[:, 0], path[:, 1], ".-", color=colour, ms=2.5, lw=1,
                    label=f"{label} ({args}): loss {loss:.2g}")
        ax.plot(*start, "ko", ms=6)
        ax.plot(*minimum, "r*", ms=12)
        ax.set_xlim(*xr)
        ax.set_ylim(*yr)
        ax.set_title(f"{title}: {steps} steps, start (black dot), minimum (red star)", fontsize=9)
        ax.legend(fontsize=7.5, loc="lower right")
    fig.suptitle("Optimizers on two loss surfaces (contours of log(1 + f))")
    return fig


def figures(ctx, names):
    for name in names:
        if name == "trajectories":
            yield name, plot_trajectories(), ""


