"""Feedback on module 03 (autograd): the figures and the benchmarks (its report card is
`tito check autograd`, built from the module's tests).

    figures(ctx)    tito plot autograd: the graph of a small expression with the value
                    and gradient of every node, and gradient magnitudes through a deep chain
    bench(ctx)      tito bench autograd: per-op overhead on a 1,000-op scalar chain and a
                    512x512 matmul-tanh-sum, forward + backward, against PyTorch

The notebook reaches `draw_graph(tensor)` and `plot_chain(autograd)` through
`tito.offers.feedback_module("autograd")`. `import
tinytorch` gives the learner's current code while a command runs; nothing here is
imported before that.
"""
from __future__ import annotations

import time

import numpy as np

FIGURES = {
    "graph": "the computational graph of a small expression: value and gradient on every node",
    "chain": "gradient magnitudes through deep chains of tanh, sigmoid and relu layers",
}


def _torch():
    """PyTorch when installed (single thread: the fair comparison), else None."""
    from tito.bench import load_torch

    return load_torch()[0]


def _limited(ctx, fn):
    """fn() under the call's time limit (tito.watchdog)."""
    from tito.watchdog import TimeLimit, time_limit

    try:
        with time_limit(ctx.timeout):
            return fn()
    except TimeLimit:
        raise AssertionError(f"took longer than {ctx.timeout:g} s (an endless loop? a node "
                             "visited once per path?)") from None


# ---- tito plot autograd ------------------------------------------------------------------------

def _graph_nodes(root):
    """Every tensor of root's graph (leaves included), each once, with its inputs."""
    order, stack, seen = [], [root], set()
    while stack:
        t = stack.pop()
        if id(t) in seen:
            continue
        seen.add(id(t))
        order.append(t)
        stack.extend(t.grad_fn.inputs if t.grad_fn is not None else ())
    return order


def draw_graph(root, names=None, ax=None):
    """The computational graph of `root` (after backward with retain_grad on the non-leaves):
    one box per tensor with its value and gradient, one per operation, arrows forward.

    names: {id(tensor): "x"} labels for tensors. Returns the matplotlib Figure.
    """
    from matplotlib.figure import Figure
    from matplotlib.patches import FancyBboxPatch

    names = names or {}
    tensors = _graph_nodes(root)
    depth = {}  # column of the drawing: the longest path from a leaf (relaxed, no recursion)
    for _ in range(len(tensors)):
        changed = False
        for t in reversed(tensors):
            inputs = t.grad_fn.inputs if t.grad_fn is not None else ()
            d = 0 if not inputs else 1 + max(depth.get(id(i), 0) for i in inputs)
            if depth.get(id(t)) != d:
                depth[id(t)], changed = d, True
        if not changed:
            break
    placed_leaf = set()
    for t in tensors:  # a leaf sits just before its first consumer
        for i in (t.grad_fn.inputs if t.grad_fn is not None else ()):
            if i.grad_fn is None:
                depth[id(i)] = min(depth[id(i)], depth[id(t)] - 1) if id(i) in placed_leaf else depth[id(t)] - 1
                placed_leaf.add(id(i))
    columns = {}
    for t in tensors:
        columns.setdefault(depth[id(t)], []).append(t)
    width = max(columns) + 1
    if ax is None:
        fig = Figure(figsize=(2.3 * width + 1, 1.0 + 1.1 * max(len(c) for c in columns.values())),
                     layout="constrained")
        ax = fig.add_subplot()
    else:
        fig = ax.figure
    place = {}
    for d, column in columns.items():
        for k, t in enumerate(column):
            place[id(t)] = (2.0 * d, -(k - (len(column) - 1) / 2) * 1.4)

    def text_of(t):
        value = np.array2string(np.asarray(t.data), precision=3, separator=", ", threshold=4)
        grad = "None" if t.grad is None else np.array2string(np.asarray(t.grad.data), precision=3,
                                                              separator=", ", threshold=4)
        label = names.get(id(t), "" if t.grad_fn is not None else "leaf" if t.requires_grad else "constant")
        return f"{label}\ndata {value}\ngrad {grad}"

    for t in tensors:
        x, y = place[id(t)]
        leaf = t.grad_fn is None
        colour = "#cfe8cf" if leaf and t.requires_grad else "#eeeeee" if leaf else "#d6e4f5"
        ax.add_patch(FancyBboxPatch((x - 0.75, y - 0.4), 1.5, 0.8, boxstyle="round,pad=0.04",
                                    facecolor=colour, edgecolor="#555555"))
        ax.text(x, y, text_of(t), ha="center", va="center", fontsize=8.5, family="monospace")
        if not leaf:
            node = t.grad_fn
            ox = x - 1.0
            ax.text(ox, y, node.op, ha="center", va="center", fontsize=8, color="white",
                    bbox=dict(boxstyle="circle,pad=0.3", facecolor="#c0504d", edgecolor="none"))
            for inp in node.inputs:
                ix, iy = place[id(inp)]
                far = x - ix > 2.5  # from a column further back: curve over the boxes between
                ax.annotate("", xy=(ox - 0.18, y), xytext=(ix + 0.78, iy),
                            arrowprops=dict(arrowstyle="->", color="#777777", lw=1,
                                            connectionstyle="arc3,rad=-0.3" if far else "arc3"))
            ax.annotate("", xy=(x - 0.78, y), xytext=(ox + 0.18, y),
                        arrowprops=dict(arrowstyle="->", color="#777777", lw=1))
    xs = [p[0] for p in place.values()]
    ys = [p[1] for p in place.values()]
    ax.set_xlim(min(xs) - 1.4, max(xs) + 1.0)
    ax.set_ylim(min(ys) - 0.8, max(ys) + 0.8)
    ax.set_axis_off()
    ax.set_title("Forward, values flow right. Backward: each grad is d(output) / d(that tensor); "
                 "green: leaves that require a gradient", fontsize=9)
    return fig


def example_graph(ag, Tensor):
    """A small expression, backward run, every node keeping its gradient: (root, names)."""
    a = Tensor(2.0, requires_grad=True)
    b = Tensor(-3.0, requires_grad=True)
    c = Tensor(7.0, requires_grad=True)
    e = a * b
    d = e + c
    f = ag.tanh(d)
    loss = f * a  # a is used twice: its gradient adds both paths
    for t in (e, d, f, loss):
        t.retain_grad()
    loss.backward()
    names = {id(a): "a", id(b): "b", id(c): "c", id(e): "e = a * b", id(d): "d = e + c",
             id(f): "f = tanh(d)", id(loss): "L = f * a"}
    return loss, names


def plot_chain(ag, Tensor, depth=30, ax=None):
    """|d loss / d h_k| for every layer k of deep chains h_k = act(w h_(k-1)), one line per
    activation: where gradients vanish (sigmoid, tanh) and where they survive (relu)."""
    from matplotlib.figure import Figure

    if ax is None:
        fig = Figure(figsize=(7.5, 4.2))
        ax = fig.add_subplot()
    else:
        fig = ax.figure
    rng = np.random.default_rng(0)
    start = rng.standard_normal(64)
    for name, gain in (("sigmoid", 1.0), ("tanh", 1.0), ("relu", np.sqrt(2.0))):
        h = Tensor(start, requires_grad=True)
        layers = []
        x = h
        for _ in range(depth):
            w = Tensor(rng.standard_normal((64, 64)) * gain / 8.0)
            x = getattr(ag, name)(w @ x)
            x.retain_grad()
            layers.append(x)
        x.sum().backward()
        sizes = [np.linalg.norm(h.grad.data)] + [np.linalg.norm(t.grad.data) for t in layers]
        ax.semilogy(range(depth + 1), sizes, marker="o", ms=3, label=name)
    ax.set_xlabel("layer k (0 = input)")
    ax.set_ylabel("gradient norm ||d loss / d h_k||")
    ax.set_title(f"Gradients through {depth} layers of 64 units (loss = sum of the last layer)")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend()
    return fig


def _problem_figure(name, text):
    """A figure that says why `name` could not be drawn (a stub, a crash)."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(7, 2.2))
    ax = fig.add_subplot()
    ax.set_axis_off()
    ax.text(0.5, 0.5, f"{name}: cannot draw yet\n{text}", ha="center", va="center", wrap=True,
            fontsize=10)
    return fig


def figures(ctx, names):
    import tinytorch.core.autograd as ag
    from tinytorch.core.tensor import Tensor
    from tito.card import FAIL, MISSING, attempt

    draw = {"graph": lambda: draw_graph(*example_graph(ag, Tensor)),
            "chain": lambda: plot_chain(ag, Tensor)}
    for name in names:
        made = []
        result = attempt(name, lambda made=made, draw_it=draw[name]: made.append(_limited(ctx, draw_it)))
        if result.status in (FAIL, MISSING):
            yield name, _problem_figure(name, result.detail), result.status
        else:
            yield name, made[0], ""


# ---- tito bench autograd -----------------------------------------------------------------------

def _best(fn, repeats):
    fn()
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


CASES = (  # name, ops per run, unit, scale, target ratio to PyTorch
    ("1,000-op scalar chain", 1000, "us/op", 1e6, 5.0),
    ("512x512 matmul-tanh-sum", 1, "ms", 1e3, 1.5),
)


def measure(repeats: int) -> dict:
    """Seconds per op, best of `repeats`, for each case: {name: {"tinytorch": s, "torch": s}}.

    Runs in one thread: bench() calls it in a subprocess with the BLAS limited to one
    thread, the same as PyTorch's, so the ratio compares like with like.
    """
    import tinytorch.core.autograd as ag
    from tinytorch.core.tensor import Tensor

    torch = _torch()
    rng = np.random.default_rng(0)
    A = rng.standard_normal((512, 512)).astype(np.float32)
    B = rng.standard_normal((512, 512)).astype(np.float32)

    def chain(make, x0):
        x = make(x0)
        y = x
        for _ in range(1000):
            y = y * 1.0001
        y.backward()

    def big(make, tanh):
        a, b = make(A), make(B)
        tanh(a @ b).sum().backward()

    ours_make = lambda v: Tensor(v, requires_grad=True)  # noqa: E731
    runs = {"1,000-op scalar chain": (lambda: chain(ours_make, np.float32(0.5)),
                                      torch and (lambda: chain(lambda v: torch.tensor(v, requires_grad=True), 0.5))),
            "512x512 matmul-tanh-sum": (lambda: big(ours_make, ag.tanh),
                                        torch and (lambda: big(lambda v: torch.tensor(v, requires_grad=True),
                                                               torch.tanh)))}
    results = {}
    for name, ops, *_ in CASES:
        mine, theirs_fn = runs[name]
        results[name] = {"tinytorch": _best(mine, repeats) / ops}
        if theirs_fn:
            results[name]["torch"] = _best(theirs_fn, repeats) / ops
    return results


_SINGLE_THREAD = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


def bench(ctx):
    """Forward + backward against PyTorch in one run, one thread each: best of `repeats`."""
    import json
    import os
    import sys

    from tito import children
    from tito.card import FAIL, INFO, PASS, Card, Check, Row
    from tito.offers import stopped

    repeats = max(1, ctx.repeats)
    start = time.perf_counter()
    ctx.step("timing forward + backward (one thread)")
    code = ("import sys, json; sys.path.pop(0); import tito.watchdog; tito.watchdog.arm(); "
            f"from tito.offers import feedback_module; "
            f"print(json.dumps(feedback_module('autograd').measure({repeats})))")
    done = children.run([sys.executable, "-c", code], env={**os.environ, **_SINGLE_THREAD}, capture=True,
                        timeout=ctx.timeout)
    if done.timed_out:
        raise stopped("tito bench", "autograd", ctx.timeout, done.stuck_at)
    if done.returncode != 0:
        lines = (done.stdout.strip() or "no output").splitlines()
        card = Card("autograd", [Row("timing", [Check("run", FAIL, lines[-1])])])
        return card
    results = json.loads(done.stdout.strip().splitlines()[-1])
    rows = []
    for name, _, unit, scale, target in CASES:
        entry = results[name]
        mine = f"{entry['tinytorch'] * scale:.2f} {unit} forward + backward"
        checks = [Check("TinyTorch", INFO, mine)]
        if "torch" in entry:
            entry["ratio"], entry["target"] = entry["tinytorch"] / entry["torch"], target
            checks = [Check("TinyTorch", INFO, f"{mine} = {entry['ratio']:.2f}x PyTorch's "
                                               f"{entry['torch'] * scale:.2f} {unit}"),
                      Check("ratio", PASS if entry["ratio"] <= target else FAIL,
                            f"{entry['ratio']:.2f}x PyTorch (target <= {target:g}x)")]
        rows.append(Row(name, checks))
    card = Card("autograd", rows, title=f"TinyTorch autograd speed (one thread, best of {repeats}, "
                "forward + backward)", done="both within their targets")
    card.results = results
    card.seconds = time.perf_counter() - start
    if not any("torch" in e for e in results.values()):
        card.notes.append("PyTorch is not installed: no ratios (pip install -e '.[torch]')")
    return card
