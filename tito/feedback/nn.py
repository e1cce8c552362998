"""Feedback on module 04 (nn): the report card, the figures and the speed of the layers.

`tito check nn`, `tito plot nn` and `tito bench nn` reach this file through the
module's `feedback:` declaration; the chapter's plot cells call the same functions:

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


# ---------------------------------------------------------------- tito check nn

def _relative(got, want) -> float:
    got, want = np.asarray(got, np.float64), np.asarray(want, np.float64)
    return float(np.max(np.abs(got - want)) / max(float(np.max(np.abs(want))), 1e-300))


def _ks(values, cdf) -> float:
    from scipy import stats

    return float(stats.kstest(np.ravel(values), cdf).pvalue)


def check(ctx):
    """The report card of module 04: each piece against an independent NumPy reference."""
    import time

    from tito.card import Card, Check, Row, attempt

    import tinytorch
    from tinytorch.core.tensor import Tensor

    start = time.perf_counter()
    nn = _nn()
    rng = np.random.default_rng(0)
    rows = []

    def module_checks():
        def names():
            model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
            got = [name for name, _ in model.named_parameters()]
            want = ["0.weight", "0.bias", "2.weight", "2.bias"]
            return None if got == want else f"named_parameters gives {got}, PyTorch's names are {want}"

        def copies():
            model = nn.Sequential(nn.Linear(3, 2))
            state = model.state_dict()
            state["0.weight"][...] = 7.0
            if np.any(model[0].weight.data == 7.0):
                return "state_dict() returns the live arrays: changing it changed the model"
            target = nn.Sequential(nn.Linear(3, 2))
            array = target[0].weight.data
            target.load_state_dict({k: v.astype(np.float64) for k, v in model.state_dict().items()})
            if target[0].weight.data is not array or target[0].weight.dtype != np.float32:
                return "load_state_dict must copy into the existing arrays, keeping their dtype"
            return None

        def modes():
            model = nn.Sequential(nn.Linear(2, 2), nn.Sequential(nn.Dropout(), nn.ReLU()))
            model.eval()
            if any(m.training for m in model.modules()):
                return "eval() must reach every module below (Dropout inside a Sequential is still training)"
            return None

        return [attempt("parameter names", names, "0.weight, 0.bias, 2.weight, 2.bias as in PyTorch"),
                attempt("state_dict", copies, "copies out, copies in place, dtype kept"),
                attempt("train / eval", modes, "every module below follows")]

    def linear_checks():
        tinytorch.manual_seed(0)

        def shape_and_value():
            layer = nn.Linear(6, 4).double()
            if layer.weight.shape != (4, 6):
                return f"Linear(6, 4).weight has shape {layer.weight.shape}; PyTorch's is (out, in) = (4, 6)"
            x = rng.normal(size=(5, 6))
            error = _relative(layer(Tensor(x)).data, x @ layer.weight.data.T + layer.bias.data)
            return None if error < 1e-13 else f"forward is off by a relative {error:.2g} from x @ W^T + b"

        def gradients():
            layer = nn.Linear(6, 4).double()
            x = Tensor(rng.normal(size=(5, 6)), requires_grad=True)
            g = rng.normal(size=(5, 4))
            layer(x).backward(Tensor(g))
            W = layer.weight.data
            for name, got, want in (("weight", layer.weight.grad, g.T @ x.data), ("bias", layer.bias.grad, g.sum(0)),
                                    ("input", x.grad, g @ W)):
                if got is None:
                    return f"backward left the {name}'s gradient empty"
                error = _relative(got.data, want)
                if error > 1e-12:
                    return f"the {name}'s gradient is off by a relative {error:.2g}"
            return None

        def default_init():
            weights = np.concatenate([nn.Linear(300, 40).weight.data.ravel() for _ in range(3)])
            bound = 1 / math.sqrt(300)
            p = _ks(weights, lambda v: np.clip((v + bound) / (2 * bound), 0, 1))
            detail = f"U(-1/sqrt(in), 1/sqrt(in)): KS p = {p:.2g}, std {weights.std():.4g} (expected {bound / math.sqrt(3):.4g})"
            return Check("default init", "pass" if p > 1e-4 else "fail", detail)

        return [attempt("shape and forward", shape_and_value, "weight (out, in), x @ W^T + b"),
                attempt("gradients", gradients, "weight, bias and input against the analytic x^T g, sum g, g W"),
                attempt("default init", default_init)]

    def init_checks():
        from scipy import stats

        fan_out, fan_in = 120, 300
        cases = [
            ("xavier_uniform_", {}, stats.uniform(-math.sqrt(6 / (fan_in + fan_out)), 2 * math.sqrt(6 / (fan_in + fan_out)))),
            ("xavier_normal_", {}, stats.norm(0, math.sqrt(2 / (fan_in + fan_out)))),
            ("kaiming_uniform_", {"nonlinearity": "relu"},
             stats.uniform(-math.sqrt(6 / fan_in), 2 * math.sqrt(6 / fan_in))),
            ("kaiming_normal_", {"mode": "fan_out", "nonlinearity": "tanh"}, stats.norm(0, 5 / 3 / math.sqrt(fan_out))),
        ]
        checks = []
        for name, params, law in cases:
            def one(name=name, params=params, law=law):
                tinytorch.manual_seed(1)
                t = Tensor(np.zeros((fan_out, fan_in)))
                getattr(nn, name)(t, **params)
                p = _ks(t.data, law.cdf)
                detail = (f"on (120, 300) {params or ''}: KS p = {p:.2g}, std {t.data.std():.4g} "
                          f"(expected {law.std():.4g})")
                return Check(name, "pass" if p > 1e-4 else "fail", detail)
            checks.append(attempt(name, one))
        return checks

    def dropout_checks():
        def train_mode():
            tinytorch.manual_seed(2)
            y = nn.Dropout(0.2)(Tensor(np.ones(100_000))).data
            dropped = float(np.mean(y == 0))
            if abs(dropped - 0.2) > 0.01:
                return f"Dropout(0.2) dropped {dropped:.3f} of the elements"
            if not np.allclose(y[y != 0], 1 / 0.8):
                return f"survivors are {np.unique(y[y != 0])[:3]}, they must be scaled by 1/(1-p) = 1.25"
            return None

        def eval_mode():
            layer = nn.Dropout(0.5)
            layer.eval()
            x = Tensor(rng.normal(size=(50, 50)))
            return None if np.array_equal(layer(x).data, x.data) else "Dropout changes its input in eval mode"

        return [attempt("train", train_mode, "drops p, survivors scaled by 1/(1-p)"),
                attempt("eval", eval_mode, "the identity")]

    def sequential_checks():
        def forward():
            a, b = nn.Linear(3, 4), nn.Linear(4, 2)
            x = Tensor(rng.normal(size=(2, 3)).astype(np.float32))
            got = nn.Sequential(a, nn.Tanh(), b)(x).data
            return None if np.array_equal(got, b(nn.Tanh()(a(x))).data) else "Sequential must apply its layers in order"
        return [attempt("forward", forward, "the layers in order")]

    for name, make in (("Module", module_checks), ("Linear", linear_checks), ("init", init_checks),
                       ("Dropout", dropout_checks), ("Sequential", sequential_checks)):
        if ctx.only and name not in ctx.only:
            continue
        try:
            rows.append(Row(name, make()))
        except NotImplementedError as error:
            rows.append(Row(name, [Check("setup", "missing", str(error))]))
    return Card("nn", rows, seconds=time.perf_counter() - start,
                done="nothing: every layer agrees with the reference. Next: module 05, losses.")


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
    from tito.bench import load_torch, median_seconds

    from tinytorch.core.tensor import Tensor

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
    import json
    import os
    import sys
    import time

    from tito import children
    from tito.card import INFO, PASS, WARN, Card, Check, Row
    from tito.console import TitoError
    from tito.offers import stopped

    start = time.perf_counter()
    ctx.step("Linear(784, 256) and the MLP, forward+backward")
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")
    done = children.run([sys.executable, "-m", "tito.watchdog", "-m", "tito.feedback.nn", ctx.dtype,
                         str(ctx.repeats)], env=env, capture=True, timeout=ctx.timeout)
    if done.timed_out:
        raise stopped("tito bench", "nn", ctx.timeout, done.stuck_at)
    if done.returncode != 0:
        lines = done.stdout.strip().splitlines()
        raise TitoError(f"the nn benchmark failed: {lines[-1] if lines else 'no output'}",
                        hint="run `tito test nn` first")
    rows = []
    for case in json.loads(done.stdout.strip().splitlines()[-1]):
        mine, reference = case["ours"], case["torch"]
        if reference is None:
            rows.append(Row(case["name"], [Check("forward+backward", INFO, f"{mine * 1e6:.0f} us; {case['missing']}")]))
            continue
        ratio = mine / reference
        rows.append(Row(case["name"], [Check("forward+backward", PASS if ratio <= BENCH_TARGET else WARN,
                                             f"{mine * 1e6:.0f} us, PyTorch {reference * 1e6:.0f} us: "
                                             f"{ratio:.2f}x (target <= {BENCH_TARGET}x)")]))
    return Card("nn", rows, title=f"TinyTorch nn speed: batch 64, {ctx.dtype}, both on one thread",
                seconds=time.perf_counter() - start, done="nothing: within the target")


if __name__ == "__main__":  # the child process of bench(): one-thread BLAS set by its environment
    import json
    import sys

    print(json.dumps(measure(sys.argv[1], int(sys.argv[2]))))
