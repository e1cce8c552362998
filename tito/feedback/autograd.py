"""Feedback on module 03 (autograd): the report card, the figures and the benchmarks.

Declared in assignments/source/03_autograd/module.yaml (`feedback: tito.feedback.autograd`):

    check(ctx)      tito check autograd: every op of tito.feedback.autograd_ops against
                    finite differences (gradcheck) and PyTorch, then the engine's rules
                    (broadcasting, accumulation, shared nodes, deep chains, no_grad)
    figures(ctx)    tito plot autograd: the graph of a small expression with the value
                    and gradient of every node, and gradient magnitudes through a deep chain
    bench(ctx)      tito bench autograd: per-op overhead on a 1,000-op scalar chain and a
                    512x512 matmul-tanh-sum, forward + backward, against PyTorch

The notebook calls `draw_graph(tensor)` and `plot_chain(autograd)` directly. `import
tinytorch` gives the learner's current code while a command runs; nothing here is
imported before that.
"""
from __future__ import annotations

import time

import numpy as np

from tito.feedback.autograd_ops import OPS, ours, theirs

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


# ---- tito check autograd ---------------------------------------------------------------------

def _op_checks(ctx, op, ag, Tensor, torch):
    from tito.card import INFO, Check, attempt

    def finite_differences():
        xs = [Tensor(a, requires_grad=True) for a in op.inputs(np.float64)]
        try:
            ag.gradcheck(lambda *t: op.fn(ours(ag), *t), xs)
        except ag.GradcheckError as error:
            return str(error).splitlines()[0]

    def against_torch():
        arrays = op.inputs(np.float64)
        mine = [Tensor(a, requires_grad=True) for a in arrays]
        out = op.fn(ours(ag), *mine)
        upstream = np.random.default_rng(7).standard_normal(out.shape)
        out.backward(Tensor(upstream))
        refs = [torch.tensor(a, requires_grad=True) for a in arrays]
        op.fn(theirs(torch), *refs).backward(torch.tensor(upstream))
        for i, (x, t) in enumerate(zip(mine, refs)):
            want = t.grad.numpy()
            if x.grad is None:
                return f"input {i} got no gradient"
            if x.grad.shape != want.shape:
                return f"input {i} of shape {want.shape} got a gradient of shape {x.grad.shape}"
            error = np.abs(x.grad.data - want)
            bad = error > 1e-10 + 1e-8 * np.abs(want)
            if bad.any():
                at = tuple(int(k) for k in np.argwhere(bad)[0]) if bad.ndim else ()
                return (f"input {i} at index {at}: {x.grad.data[at]:.6g}, PyTorch "
                        f"{want[at]:.6g} (inputs from tito.feedback.autograd_ops, seed 0)")

    def dtype_kept():
        dtype = np.dtype(ctx.dtype)
        xs = [Tensor(a, requires_grad=True) for a in op.inputs(dtype)]
        out = op.fn(ours(ag), *xs)
        out.backward(Tensor(np.ones(out.shape, dtype=dtype)))
        for i, x in enumerate(xs):
            if x.grad is None or x.grad.dtype != dtype:
                got = None if x.grad is None else x.grad.dtype
                return f"{dtype} input {i} got a {got} gradient"

    checks = [attempt("finite differences", lambda: _limited(ctx, finite_differences),
                      "gradcheck in float64 holds")]
    if torch is None:
        checks.append(Check("PyTorch", INFO, "not installed: pip install -e '.[torch]' to compare"))
    else:
        checks.append(attempt("PyTorch", lambda: _limited(ctx, against_torch), "matches torch.autograd"))
    checks.append(attempt(f"{ctx.dtype} gradient", lambda: _limited(ctx, dtype_kept), "keeps the dtype"))
    return checks


def _engine_rows(ctx, ag, Tensor):
    """The rules of the graph, each a row: what a user of the engine relies on."""
    from tito.card import Row, attempt

    def leaf(v, dtype="float64"):
        return Tensor(np.asarray(v, dtype=dtype), requires_grad=True)

    def broadcasting():
        for sa, sb in (((3, 4), (4,)), ((3, 1), (1, 4)), ((2, 3, 4), (3, 1)), ((), (2, 2))):
            a, b = leaf(np.ones(sa)), leaf(np.ones(sb))
            (a * b).sum().backward()
            if a.grad is None or a.grad.shape != sa or b.grad is None or b.grad.shape != sb:
                got = (None if a.grad is None else a.grad.shape, None if b.grad is None else b.grad.shape)
                return f"a * b with shapes {sa}, {sb}: gradients shaped {got}, not their own shapes"
            if not np.allclose(b.grad.data, np.prod(np.broadcast_shapes(sa, sb)) / max(1, b.size)):
                return f"a * b with shapes {sa}, {sb}: b.grad is {b.grad.data.ravel()[:3]}..., not the sum"

    def accumulation():
        x = leaf([1.0, 2.0])
        (x * 2).sum().backward()
        (x * x).sum().backward()
        if x.grad is None or not np.allclose(x.grad.data, [4.0, 6.0]):
            return f"two backward calls gave {None if x.grad is None else x.grad.data}, want [4, 6] (2 + 2x)"

    def diamond():
        x = leaf(2.0)
        y = 3 * x
        (2 * y + 5 * y).backward()
        if x.grad is None or x.grad.item() != 21:
            return f"y = 3x, c = 2y + 5y: dc/dx = {None if x.grad is None else x.grad.item()}, want 21"
        a, b = leaf([1.0]), leaf([1.0])
        ((a + b) + a).sum().backward()
        if a.grad.item() != 2 or b.grad.item() != 1:
            return f"(a + b) + a: grads {a.grad.item()}, {b.grad.item()}, want 2, 1 (a shared array changed?)"

    def doubling():
        x = leaf(1.0)
        b = x
        for _ in range(30):
            b = b + b
        b.backward()
        if x.grad is None or x.grad.item() != 2.0 ** 30:
            return f"30 doublings: {None if x.grad is None else x.grad.item()}, want 2^30"

    def deep():
        x = leaf(0.5)
        y = x
        for _ in range(10_000):
            y = y * 1.0001
        y.backward()
        if x.grad is None or not np.isclose(x.grad.item(), 1.0001 ** 10_000):
            return "a chain of 10,000 multiplications gave the wrong gradient"

    def no_grad():
        import tinytorch

        x = leaf([1.0, 2.0])
        with tinytorch.no_grad():
            y = x * 2
        if y.requires_grad or y.grad_fn is not None:
            return "x * 2 under no_grad() was recorded"
        z = (x * y).sum()
        if not z.requires_grad:
            return "after no_grad() ends, operations are not recorded again"
        z.backward()
        if not np.allclose(x.grad.data, [2.0, 4.0]):
            return f"d(x * y)/dx with y computed under no_grad: {x.grad.data}, want y = [2, 4]"

    def errors():
        x = leaf([1.0, 2.0])
        try:
            (x * 2).backward()
        except RuntimeError as error:
            if "scalar" not in str(error):
                return f"backward() of a vector: {error}"
        else:
            return "backward() of a vector without a gradient did not raise (PyTorch: RuntimeError)"

    rules = [("broadcasting", broadcasting, "gradients summed to each operand's shape"),
             ("accumulation", accumulation, ".grad adds up over backward calls"),
             ("shared nodes", diamond, "every path adds: the diamond gives 21"),
             ("2^30 paths", doubling, "each node visited once"),
             ("deep chain", deep, "10,000 ops, no recursion limit"),
             ("no_grad", no_grad, "nothing recorded inside, recording resumes after"),
             ("errors", errors, "a vector without a gradient is PyTorch's RuntimeError")]
    return [Row(name, [attempt(name, lambda fn=fn: _limited(ctx, fn), passed)]) for name, fn, passed in rules]


def check(ctx):
    from tito.card import Card, Row

    import tinytorch.core.autograd as ag
    from tinytorch.core.tensor import Tensor

    known = {op.name for op in OPS} | {op.group for op in OPS} | {"engine"}
    unknown = [name for name in ctx.only or () if name not in known]
    if unknown:
        from tito.console import TitoError

        raise TitoError(f"no row named {', '.join(map(repr, unknown))}",
                        hint="choose an op (e.g. 'a @ b'), a group (" +
                             ", ".join(dict.fromkeys(op.group for op in OPS)) + ") or 'engine'")
    torch = _torch()
    start = time.perf_counter()
    rows = []
    for op in OPS:
        if ctx.only and op.name not in ctx.only and op.group not in ctx.only:
            continue
        ctx.step(f"checking {op.name}")
        rows.append(Row(op.name, _op_checks(ctx, op, ag, Tensor, torch)))
    if not ctx.only or "engine" in ctx.only:
        rows += _engine_rows(ctx, ag, Tensor)
    card = Card("autograd", rows, title="TinyTorch autograd report card",
                done="nothing: every gradient is right. Next: module 04 builds layers on it.")
    card.seconds = time.perf_counter() - start
    if torch is None:
        card.notes.append("PyTorch is not installed: gradients were compared with finite differences only")
    return card


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
    from tito.card import FAIL, MISSING, attempt

    import tinytorch.core.autograd as ag
    from tinytorch.core.tensor import Tensor

    draw = {"graph": lambda: draw_graph(*example_graph(ag, Tensor)),
            "chain": lambda: plot_chain(ag, Tensor)}
    for name in names:
        made = []
        result = attempt(name, lambda: made.append(_limited(ctx, draw[name])))
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
            f"from tito.feedback.autograd import measure; print(json.dumps(measure({repeats})))")
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
