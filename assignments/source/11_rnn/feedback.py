"""Figures and speed of module 11 (rnn).

The chapter's plot cells and `tito plot rnn` call the same functions:

    gradient_norms()       # |dL/dh_t| for every step back, for a few recurrent cells
    vanishing_figure()     # that, plotted: vanishing in a plain RNN, surviving in an open LSTM, exploding

`tito bench rnn` times an LSTM layer, forward and backward, against PyTorch on one thread.
"""
from __future__ import annotations

import numpy as np

FIGURES = {
    "vanishing": "the gradient reaching each step back through 80 steps: a plain RNN and an LSTM at PyTorch's "
                 "init, an LSTM whose forget gates are open, and a plain RNN with larger weights (exploding)",
}

STEPS, BATCH, INPUTS, HIDDEN = 80, 16, 32, 64
# (label, cell, forget-gate bias added, factor on weight_hh)
CASES = {
    "vanishing": [("RNN (tanh), PyTorch's init", "rnn", 0.0, 1.0),
                  ("LSTM, PyTorch's init: forget gate about 1/2", "lstm", 0.0, 1.0),
                  ("LSTM, forget-gate bias +1 (about 0.73)", "lstm", 1.0, 1.0),
                  ("LSTM, forget-gate bias +3 (about 0.95)", "lstm", 3.0, 1.0)],
    "exploding": [("RNN (tanh), weight_hh x 3", "rnn", 0.0, 3.0),
                  ("RNN (tanh), weight_hh x 6", "rnn", 0.0, 6.0)],
}


def _rnn():
    from tinytorch.core import rnn

    return rnn


def gradient_norms(RNNCell=None, LSTMCell=None, seed=0, step=lambda what: None):
    """{label: array of |dL/dh_t|, t = T, T-1, ..., 1} with L = <v, h_T> for a random v.

    Every cell reads the same random inputs, float64; each h_t keeps its gradient
    (retain_grad), so one backward gives all of them.
    """
    import tinytorch
    from tinytorch.core.tensor import Tensor

    RNNCell, LSTMCell = RNNCell or _rnn().RNNCell, LSTMCell or _rnn().LSTMCell
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(STEPS, BATCH, INPUTS))
    direction = rng.normal(size=(BATCH, HIDDEN))
    found = {}
    for label, kind, forget_bias, factor in CASES["vanishing"] + CASES["exploding"]:
        step(f"{STEPS} steps back through: {label}")
        tinytorch.manual_seed(seed)
        cell = (LSTMCell if kind == "lstm" else RNNCell)(INPUTS, HIDDEN).double()
        if kind == "lstm":
            cell.bias_ih.data[HIDDEN:2 * HIDDEN] += forget_bias  # the forget gate's block: i, f, g, o
        cell.weight_hh.data *= factor
        h = Tensor(np.zeros((BATCH, HIDDEN)))
        state = (h, Tensor(np.zeros((BATCH, HIDDEN))))
        states = []
        for t in range(STEPS):
            if kind == "lstm":
                state = cell(Tensor(x[t]), state)
                h = state[0]
            else:
                h = cell(Tensor(x[t]), h)
            h.retain_grad()
            states.append(h)
        (h * Tensor(direction)).sum().backward()
        found[label] = np.array([np.linalg.norm(s.grad.data) for s in reversed(states)])
    return found


def vanishing_figure(RNNCell=None, LSTMCell=None, norms=None):
    from tito.feedback.plots import _figure

    norms = norms or gradient_norms(RNNCell, LSTMCell)
    fig = _figure((11.5, 4.6))
    left, right = fig.subplots(1, 2)
    back = np.arange(STEPS)
    for label, *_ in CASES["vanishing"]:
        left.semilogy(back, np.maximum(norms[label] / norms[label][0], 1e-30), label=label)
    left.set_ylim(1e-16, 10)
    left.set_title("vanishing: what reaches a step k steps back")
    left.set_xlabel("steps back from the last one (k)")
    left.set_ylabel("|dL/dh_(T-k)|, relative to k = 0")
    left.grid(alpha=0.3)
    left.legend(fontsize=8, loc="lower left")
    for label, *_ in CASES["exploding"]:
        right.semilogy(back, norms[label] / norms[label][0], label=label)
    right.axhline(1.0, color="grey", ls=":", label="clip_grad_norm_: the whole gradient scaled\nback to max_norm, "
                                                   "its direction kept")
    right.set_title("exploding: larger recurrent weights")
    right.set_xlabel("steps back from the last one (k)")
    right.grid(alpha=0.3)
    right.legend(fontsize=8, loc="upper left")
    fig.suptitle(f"Backpropagation through {STEPS} steps of a cell with {HIDDEN} units (float64, one random loss)")
    return fig


def figures(ctx, names):
    if "vanishing" in names:
        yield "vanishing", vanishing_figure(norms=gradient_norms(step=ctx.step)), ""


# ---------------------------------------------------------------- tito bench rnn

BENCH_TARGET = 2.0  # an LSTM layer, forward + backward: at most this multiple of PyTorch's time on one thread
SHAPE = {"batch": 32, "steps": 64, "inputs": 256, "hidden": 256}


def measure(dtype="float32", repeats=5):
    """{"ours": seconds, "torch": seconds or None, "missing": why not} for one forward+backward of
    nn.LSTM(256, 256) on (64, 32, 256), the best of `repeats`, in this process."""
    import time

    from tinytorch.core.rnn import LSTM
    from tinytorch.core.tensor import Tensor
    from tito.bench import load_torch

    torch, missing = load_torch()
    rng = np.random.default_rng(0)
    b, t, i, h = (SHAPE[k] for k in ("batch", "steps", "inputs", "hidden"))
    x = rng.normal(size=(t, b, i)).astype(dtype)
    upstream = rng.normal(size=(t, b, h)).astype(dtype)
    ours = LSTM(i, h, dtype=dtype)

    def run_ours():
        ours.zero_grad()
        out, _ = ours(Tensor(x, requires_grad=True))
        out.backward(Tensor(upstream))

    runs = [run_ours]
    if torch is not None:
        theirs = torch.nn.LSTM(i, h).to(getattr(torch, dtype))
        theirs.load_state_dict({k: torch.from_numpy(v) for k, v in ours.state_dict().items()})
        tx, tg = torch.from_numpy(x).requires_grad_(), torch.from_numpy(upstream)

        def run_theirs():
            theirs.zero_grad()
            out, _ = theirs(tx)
            out.backward(tg)
        runs.append(run_theirs)
    best = []
    for run in runs:
        run()  # warm up
        times = []
        for _ in range(repeats):
            start = time.perf_counter()
            run()
            times.append(time.perf_counter() - start)
        best.append(min(times))
    return {"ours": best[0], "torch": best[1] if torch is not None else None, "missing": missing}


def bench(ctx):
    """nn.LSTM(256, 256), forward and backward on a batch of 32 sequences of 64 steps, against
    PyTorch: both on one thread (PyTorch by set_num_threads(1), NumPy by the child's environment)."""
    import time

    from tito.bench import measure_in_child, ratio_check
    from tito.card import Card, Row

    start = time.perf_counter()
    ctx.step("nn.LSTM(256, 256) on (64, 32, 256), forward+backward")
    result = measure_in_child("rnn", ctx)
    name = "LSTM layer, batch {batch}, {steps} steps, {inputs} -> {hidden}".format(**SHAPE)
    row = Row(name, [ratio_check("forward+backward", result["ours"], result["torch"], BENCH_TARGET,
                                 result.get("missing", ""))])
    card = Card("rnn", [row], title=f"TinyTorch rnn speed: {ctx.dtype}, both on one thread, best of {ctx.repeats}",
                seconds=time.perf_counter() - start, done="nothing: within the target")
    card.results = result
    return card
