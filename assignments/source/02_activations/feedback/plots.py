"""The figures: one 4-panel figure per activation, the comparison, the gradient flow.

They draw what `measure` measured (the same numbers as the report card)
and never use pyplot: each is a plain matplotlib Figure (headless, no global state),
shown once in Jupyter and saved as PNG by `tito plot`.
"""
from __future__ import annotations

import math
import textwrap

import activation_oracle as numerics
import numpy as np

from tito.feedback.plots import FeedbackFigure, _figure

from .functions import ACTIVATIONS, Activation
from .measure import FAIL, INFO, MISSING, PASS, WARN, Result, fmt, fmt_err
from .report import LABEL as STATUS_WORD
from .report import MARK

STATUS_COLOUR = {PASS: "#2e7d32", WARN: "#e69500", FAIL: "#c62828", MISSING: "#757575", INFO: "#1f5f8b"}
EXACT = {"color": "#9ecae1", "lw": 6, "alpha": 0.9, "solid_capstyle": "round"}
YOURS = {"color": "#08306b", "lw": 1.6, "ls": (0, (5, 3))}
PIECE_COLOURS = ("#d95f02", "#1b9e77", "#7570b3")
CLASS_COLOURS = ("#08519c", "#d94801", "#238b45")
ACTIVATION_SIZE = (12.0, 8.5)  # inches at DPI: 1200 x 850 px
COMPARISON_SIZE = (15.0, 6.5)  # 1500 x 650 px
GRADIENT_FLOW_SIZE = (13.0, 5.6)  # 1300 x 560 px


def _say(ax, text: str, colour: str = STATUS_COLOUR[MISSING], width: int = 48) -> None:
    """A message in the middle of a panel (e.g. 'not implemented yet')."""
    ax.text(0.5, 0.5, "\n".join(textwrap.wrap(text, width)), transform=ax.transAxes, ha="center",
            va="center", fontsize=10, color=colour,
            bbox={"boxstyle": "round,pad=0.5", "facecolor": "white", "edgecolor": colour})


def _finite_limits(*arrays, pad: float = 0.08) -> tuple[float, float]:
    values = np.concatenate([np.ravel(a)[np.isfinite(np.ravel(a))] for a in arrays if a is not None])
    lo, hi = float(values.min()), float(values.max())
    span = hi - lo or 1.0
    return lo - pad * span, hi + pad * span


# ----------------------------------------------------------------------------
# One activation: four panels
# ----------------------------------------------------------------------------

def activation_figure(a: Activation, result: Result) -> FeedbackFigure:
    """(1) yours vs exact, (2) definition, (3) properties, (4) error analysis."""
    fig = _figure(ACTIVATION_SIZE)
    grid = fig.add_gridspec(2, 2)
    bottom_left = grid[1, 0].subgridspec(1, 2, width_ratios=[1.55, 1], wspace=0.02)
    axes = (fig.add_subplot(grid[0, 0]), fig.add_subplot(grid[0, 1]),
            fig.add_subplot(bottom_left[0]), fig.add_subplot(bottom_left[1]), fig.add_subplot(grid[1, 1]))
    status = result.status
    fig.suptitle(f"{a.title}: {STATUS_WORD[status]} (score {result.score}/100, {result.dtype})",
                 fontsize=15, fontweight="bold", color=STATUS_COLOUR[status])
    curves = result.curves
    if a.rowwise:
        _rows_vs_exact(axes[0], a, curves)
        _rows_definition(axes[1], a)
    else:
        _yours_vs_exact(axes[0], a, curves)
        _definition(axes[1], a, curves)
    _derivative(axes[2], a, curves)
    _checklist(axes[3], result)
    _error_analysis(axes[4], a, result)
    return fig


def _yours_vs_exact(ax, a: Activation, c: dict) -> None:
    ax.set_title("Your implementation vs the exact function", fontsize=12)
    if "x" not in c:
        _say(ax, c.get("problem", "no curve"))
        return
    x = c["x"]
    ax.plot(x, c["exact"], **EXACT, label="exact (192-bit reference)")
    y = c.get("y")
    if y is None:
        _say(ax, c.get("y_problem", "not implemented yet"))
    else:
        ax.plot(x, y, **YOURS, label=f"yours: {c.get('label', a.cls)}")
        wrong = c.get("wrong")
        if wrong is not None and wrong.any():
            ax.plot(x[wrong], y[wrong], "x", color=STATUS_COLOUR[FAIL], ms=6,
                    label=f"off by more than the limit ({int(wrong.sum())} points)")
    ax.set_ylim(*_finite_limits(c["exact"], y if y is not None else None))
    ax.set_xlim(x[0], x[-1])
    ax.set_xlabel("x")
    ax.set_ylabel(f"{a.function}(x)")
    ax.grid(alpha=0.3)
    ax.legend(loc="upper left", fontsize=9, framealpha=0.9)


def _rows_vs_exact(ax, a: Activation, c: dict) -> None:
    ax.set_title("Your implementation vs the exact function", fontsize=12)
    if "x" not in c:
        _say(ax, c.get("problem", "no curve"))
        return
    t = c["x"]
    y = c.get("y")
    names = ("t", "1", "-1")
    out = "p" if a.function == "softmax" else "log p"
    for k in range(3):
        ax.plot(t, c["exact"][:, k], **{**EXACT, "color": CLASS_COLOURS[k], "alpha": 0.3},
                label=f"exact {out}$_{k}$ (logit {names[k]})")
    if y is None:
        _say(ax, c.get("y_problem", "not implemented yet"))
    else:
        for k in range(3):
            ax.plot(t, y[:, k], **{**YOURS, "color": CLASS_COLOURS[k]}, label=f"yours {out}$_{k}$")
        wrong = c.get("wrong")
        if wrong is not None and wrong.any():
            rows, cols = np.nonzero(wrong)
            ax.plot(t[rows], y[rows, cols], "x", color=STATUS_COLOUR[FAIL], ms=6,
                    label=f"off by more than the limit ({rows.size})")
    ax.set_xlim(t[0], t[-1])
    lo, hi = _finite_limits(c["exact"], y)
    if a.function == "log_softmax":  # room above the curves for the legend
        hi += 0.45 * (hi - lo)
    ax.set_ylim(lo, hi)
    ax.set_xlabel("t  (logits [t, 1, -1])")
    ax.set_ylabel(f"{a.function}([t, 1, -1])")
    ax.grid(alpha=0.3)
    ax.legend(loc="center left" if a.function == "softmax" else "upper center", fontsize=8.5,
              ncol=2, framealpha=0.9)


def _definition(ax, a: Activation, c: dict) -> None:
    ax.set_title("Definition", fontsize=12)
    x, exact = c["x"], c["exact"]
    lo, hi = _finite_limits(exact)
    for i, piece in enumerate(a.pieces):
        mask = (x > piece.lo) & (x <= piece.hi)
        if a.pieces[0].lo == piece.lo:
            mask |= x == piece.lo
        where = "" if len(a.pieces) == 1 else (r"  for $x \leq 0$" if piece.hi == 0 else r"  for $x > 0$")
        ax.plot(x[mask], exact[mask], color=PIECE_COLOURS[i], lw=2.6, label=f"$f(x) = {piece.formula}$" + where)
    if a.bounds is not None:
        for bound in a.bounds:
            if np.isfinite(bound) and lo <= bound <= hi + 0.5 * (hi - lo):
                ax.axhline(bound, color="0.45", ls=":", lw=1.2)
                ax.annotate(f"y = {bound:g}", (x[-1], bound), xytext=(-4, 3), textcoords="offset points",
                            ha="right", va="bottom", fontsize=9, color="0.35")
    ax.axhline(0, color="0.8", lw=0.8, zorder=0)
    ax.axvline(0, color="0.8", lw=0.8, zorder=0)
    ax.set_xlim(x[0], x[-1])
    ax.set_ylim(lo, hi + 0.55 * (hi - lo))  # headroom for the formula
    ax.text(0.5, 0.96, f"${a.formula}$", transform=ax.transAxes, ha="center", va="top", fontsize=15,
            bbox={"boxstyle": "round,pad=0.4", "facecolor": "white", "edgecolor": "0.8"})
    ax.text(0.5, 0.76, f"range {a.range_text}", transform=ax.transAxes, ha="center", va="top",
            fontsize=10, color="0.3", bbox={"boxstyle": "round,pad=0.2", "facecolor": "white", "edgecolor": "none"})
    ax.set_xlabel("x\n" + "\n".join(textwrap.wrap(a.note, 66)), fontsize=10)
    ax.grid(alpha=0.3)
    if len(a.pieces) > 1:
        ax.legend(loc="center left", bbox_to_anchor=(0.0, 0.5), fontsize=10, framealpha=0.95)


def _rows_definition(ax, a: Activation) -> None:
    ax.set_title("Definition", fontsize=12)
    logits = np.array([[2.0, 1.0, 0.1, -1.0]])
    values = numerics.reference_values(a.reference, logits)[0][0]
    idx = np.arange(logits.shape[1])
    ax.bar(idx - 0.2, logits[0], width=0.38, color="0.7", label="logits x")
    label = "softmax(x)" if a.function == "softmax" else "log_softmax(x)"
    ax.bar(idx + 0.2, values, width=0.38, color=CLASS_COLOURS[0], label=label)
    for i, v in enumerate(values):
        ax.annotate(f"{v:.3f}", (i + 0.2, v), xytext=(0, 3 if v >= 0 else -3), textcoords="offset points",
                    ha="center", va="bottom" if v >= 0 else "top", fontsize=9)
    for i, v in enumerate(logits[0]):
        ax.annotate(f"{v:g}", (i - 0.2, v), xytext=(0, 3 if v >= 0 else -3), textcoords="offset points",
                    ha="center", va="bottom" if v >= 0 else "top", fontsize=9, color="0.35")
    lo = min(0.0, float(np.min(values)), float(np.min(logits)))
    hi = max(float(np.max(logits)), float(np.max(values)))
    span = hi - lo
    ax.set_ylim(lo - 0.15 * span, hi + 0.75 * span)
    ax.axhline(0, color="0.5", lw=0.8)
    ax.set_xticks(idx, [f"class {i}" for i in idx])
    ax.text(0.5, 0.96, f"${a.formula}$", transform=ax.transAxes, ha="center", va="top", fontsize=15,
            bbox={"boxstyle": "round,pad=0.4", "facecolor": "white", "edgecolor": "0.8"})
    ax.text(0.5, 0.78, f"range {a.range_text}" + (", each row sums to 1" if a.function == "softmax" else ""),
            transform=ax.transAxes, ha="center", va="top", fontsize=10, color="0.3")
    ax.set_xlabel("one row of logits\n" + "\n".join(textwrap.wrap(a.note, 66)), fontsize=10)
    ax.legend(loc="center right", bbox_to_anchor=(1.0, 0.55), fontsize=10, framealpha=0.9)
    ax.grid(alpha=0.3, axis="y")


def _derivative(ax, a: Activation, c: dict) -> None:
    ax.set_title("Properties: f'(x) from your backward" if not a.rowwise else
                 "Properties: your gradient", fontsize=12)
    if "x" not in c:
        _say(ax, c.get("problem", "no curve"), width=30)
        return
    x = c["x"]
    what = "d out$_0$ / dt" if a.rowwise else "f'(x)"
    ax.plot(x, c["exact_grad"], **{**EXACT, "color": "#fdae6b"}, label=f"exact {what}")
    grad = c.get("grad")
    if grad is None:
        _say(ax, c.get("grad_problem", "backward not implemented yet"), width=30)
    else:
        ax.plot(x, grad, **{**YOURS, "color": "#7f2704"}, label=f"your backward: {what}")
    if not a.rowwise:
        ax.plot(x, c["exact"], color="0.55", lw=1.0, label="f(x)")
        f0 = float(np.interp(0.0, x, c["exact"]))
        ax.plot([0], [f0], "o", color="black", ms=5, zorder=5)
        ax.annotate(f"f(0) = {f0:.4g}", (0, f0), xytext=(8, -12), textcoords="offset points", fontsize=9)
        lo, hi = _finite_limits(c["exact_grad"], grad)
        lo, hi = min(lo, -0.15), max(hi, 1.1)
        ax.set_ylim(lo, hi + 0.3 * (hi - lo))  # the legend sits above the curves
    else:
        lo, hi = _finite_limits(c["exact_grad"], grad, pad=0.1)
        ax.set_ylim(lo, hi + 0.3 * (hi - lo))
    ax.set_xlim(x[0], x[-1])
    ax.axhline(0, color="0.8", lw=0.8, zorder=0)
    ax.set_xlabel("t" if a.rowwise else "x")
    ax.grid(alpha=0.3)
    ax.legend(loc="upper left", fontsize=8.5, framealpha=0.9)


def _checklist(ax, result: Result) -> None:
    """The property and gradient checks, one coloured line each."""
    ax.axis("off")
    ax.set_title("Checks", fontsize=12)
    shown = [c for c in result.checks
             if c.group != "contract" or c.status != PASS]  # contract lines only when something is off
    if not shown:
        _say(ax, "not measured")
        return
    step = min(0.085, 0.95 / len(shown))
    for i, check in enumerate(shown):
        label = check.name if check.value in ("", "ok", "yes", "none") else f"{check.name}: {check.value}"
        if len(label) > 36:
            label = label[:35] + "…"
        ax.text(0.02, 0.97 - i * step, f"{MARK[check.status]} {label}", transform=ax.transAxes,
                va="top", ha="left", fontsize=9.5, color=STATUS_COLOUR[check.status])


def _error_analysis(ax, a: Activation, result: Result) -> None:
    """Error of every standard input against |x| (row-wise: against the exact result)."""
    check = result.check("accuracy")
    e = result.curves.get("error")
    status = check.status if check else MISSING
    value = check.value if check and status in (PASS, FAIL) else STATUS_WORD[status].lower()
    ax.set_title(f"Error analysis: {value}  ({STATUS_WORD[status]})", fontsize=12,
                 color=STATUS_COLOUR[status], fontweight="bold")
    if e is None:
        _say(ax, check.reason if check else "not measured", STATUS_COLOUR[status])
        ax.axis("off")
        return
    unit = e["unit"]
    tiny = float(np.finfo(result.dtype).smallest_subnormal)
    x_signed = np.ravel(e["x"]).astype(np.float64)
    if a.rowwise:  # each entry against the size of its exact result
        x_axis = np.abs(np.ravel(e["exact"]))
        xlabel = ("exact probability p" if a.function == "softmax" else "|exact log p|") + " (log scale)"
    else:
        x_axis = np.abs(x_signed)
        xlabel = "|x| (log scale)"
    error = np.ravel(e["error"]).astype(np.float64)
    ratio = np.ravel(e["ratio"])
    applies = np.ravel(e["applies"])
    floor = 1e-3 if unit == "ULP" else 1e-12
    largest = float(np.max(np.where(np.isfinite(error), error, 0)))
    # An infinite error (nan or inf where a number belongs, or the reverse) has no height:
    # it is drawn on a line of its own well above every finite error, and says so.
    ceiling = max(largest, e["bound"]) * 1e3
    shown = np.where(np.isfinite(error), np.maximum(error, floor), ceiling)
    placed = np.isfinite(x_axis) & (x_axis >= tiny)
    endless = placed & ~np.isfinite(error)
    over = placed & (ratio > 1) & ~endless
    ok = placed & ~over & ~endless
    if a.rowwise:
        ax.scatter(x_axis[ok], shown[ok], s=5, alpha=0.45, color="#3182bd", label="entries of the standard rows",
                   rasterized=True)
    else:
        for sign, colour, label in ((1, "#3182bd", "x > 0"), (-1, "#e6550d", "x < 0")):
            mask = ok & applies & (np.sign(x_signed) == sign)
            ax.scatter(x_axis[mask], shown[mask], s=5, alpha=0.4, color=colour, label=label, rasterized=True)
        other = ok & ~applies
        if other.any():
            ax.scatter(x_axis[other], shown[other], s=5, alpha=0.35, color="0.6", rasterized=True,
                       label="tiny result or |x| past the domain\n(judged by relative error)")
    if over.any():
        ax.scatter(x_axis[over], shown[over], s=16, color=STATUS_COLOUR[FAIL], marker="x", zorder=4,
                   label=f"over the limit ({int(over.sum())})")
    if endless.any():
        ax.axhline(ceiling, color=STATUS_COLOUR[FAIL], ls=":", lw=0.8)
        ax.scatter(x_axis[endless], shown[endless], s=16, color=STATUS_COLOUR[FAIL], marker="^", zorder=4,
                   label=f"infinite error: nan/inf vs a number ({int(endless.sum())})")

    limit_label = f"limit {e['bound']:g} ULP" if unit == "ULP" else f"limit {e['bound']:g}"
    ax.axhline(e["bound"], color=STATUS_COLOUR[FAIL], ls="--", lw=1.3, label=limit_label)
    if e.get("domain"):
        ax.axvline(e["domain"], color="0.4", ls=":", lw=1.2, label=f"|x| = {e['domain']:g}")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_ylim(floor / 3, ceiling * 1e4)  # room above the points for the legend
    if endless.any():  # the line of infinite errors is labelled ∞, not a number of ULP
        decades = np.arange(math.ceil(math.log10(floor / 3)), math.floor(math.log10(ceiling)) - 1)
        ticks = [10.0 ** k for k in decades[:: max(1, len(decades) // 6)]]
        ax.set_yticks(ticks + [ceiling], [f"$10^{{{round(math.log10(t))}}}$" for t in ticks] + ["∞"])
        ax.minorticks_off()
    left = tiny / 10
    right = float(np.max(x_axis[placed])) * 10 if placed.any() else 10.0
    ax.set_xlim(left, right)
    ax.set_xlabel(xlabel)
    ax.set_ylabel({"ULP": "error in ULP", "rel": "relative error"}.get(unit, "error / max(1, |exact|)")
                  + " (log scale)")
    ax.grid(alpha=0.3, which="major")
    worst = e["worst"]
    flat = int(np.ravel_multi_index(worst, np.shape(e["error"]))) if isinstance(worst, tuple) else int(worst)
    if largest == 0 and not over.any() and not endless.any():
        ax.text(0.5, 0.3, "exact at every input (0 error)", transform=ax.transAxes, ha="center",
                fontsize=11, color=STATUS_COLOUR[PASS], fontweight="bold")
    elif placed[flat]:  # a ring around the worst point, named in the legend (never over the data)
        colour = STATUS_COLOUR[FAIL] if ratio[flat] > 1 else "black"
        where = f"x = {fmt(x_signed[flat], result.dtype)}"
        if a.rowwise:
            symbol = "p" if a.function == "softmax" else "log p"
            where = f"{symbol} = {np.ravel(e['exact'])[flat]:.4g}"
        amount = fmt_err(float(error[flat])) + (" ULP" if unit == "ULP" else "")
        ax.plot(x_axis[flat], shown[flat], "o", ms=13, mfc="none", mec=colour, mew=2, zorder=5,
                label=f"worst: {amount} at {where}")
    elif check is not None:  # the worst input is ±0, ±inf or nan: no place on a log axis
        ax.text(0.02, 0.04, "\n".join(textwrap.wrap(f"worst: {check.reason}", 70)), transform=ax.transAxes,
                fontsize=9, color=STATUS_COLOUR[status], va="bottom")
    ax.legend(loc="upper right", fontsize=8.5, framealpha=0.95, ncol=2)


# ----------------------------------------------------------------------------
# All activations side by side
# ----------------------------------------------------------------------------

def comparison_figure(results: list[Result]) -> FeedbackFigure:
    """Every elementwise activation and its derivative (from backward) on [-4, 4]."""
    fig = _figure(COMPARISON_SIZE)
    left, right = fig.subplots(1, 2)
    fig.suptitle("All activations and their derivatives (your implementations)", fontsize=15,
                 fontweight="bold")
    colours = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#8c564b",
               "#e377c2", "#17becf")
    missing = []
    n = 0
    for result in results:
        a = ACTIVATIONS.get(result.name)
        if a is None or a.rowwise:
            continue
        c = result.curves
        colour = colours[n % len(colours)]
        style = "--" if a.name == "gelu_tanh" else "-"
        n += 1
        if "x" not in c or c.get("y") is None:
            missing.append(a.name)
            continue
        x = c["x"]
        keep = (x >= -4) & (x <= 4)
        width = 3.4 - 0.18 * n  # earlier curves wider, so the ones drawn on top leave them visible
        left.plot(x[keep], c["y"][keep], color=colour, ls=style, lw=width, label=a.name)
        if c.get("grad") is not None:
            right.plot(x[keep], c["grad"][keep], color=colour, ls=style, lw=width, label=a.name)
        else:
            missing.append(f"{a.name} backward")
    for ax, title, ylim in ((left, "f(x)", (-1.3, 4.2)), (right, "f'(x) from backward", (-0.25, 1.3))):
        ax.set_title(title, fontsize=12)
        ax.set_xlim(-4, 4)
        ax.set_ylim(*ylim)
        ax.axhline(0, color="0.6", lw=0.8, zorder=0)
        ax.axvline(0, color="0.6", lw=0.8, zorder=0)
        ax.set_xlabel("x")
        ax.grid(alpha=0.3)
        ax.legend(loc="upper left", fontsize=10, ncol=2, framealpha=0.9)
    note = "softmax and log_softmax work on whole rows: see their own figures."
    if missing:
        note = f"not implemented yet: {', '.join(missing)}.  " + note
    right.set_xlabel(f"x\n{note}", fontsize=10)
    return fig


# ----------------------------------------------------------------------------
# Gradient flow through deep stacks
# ----------------------------------------------------------------------------

FLOW_ACTIVATIONS = ("sigmoid", "tanh", "relu")
FLOW_WIDTH, FLOW_BATCH, FLOW_DEPTH, FLOW_SEEDS = 64, 32, 20, 3


def _stack_gradients(impl, depth: int, seed: int, he: bool) -> np.ndarray:
    """Gradient norm at the input of each layer of `depth` Linear+activation layers,
    relative to the gradient at the output (index 0 = the first layer)."""
    rng = np.random.default_rng(seed)
    std = np.sqrt((2.0 if he else 1.0) / FLOW_WIDTH)
    weights = [rng.normal(0.0, std, (FLOW_WIDTH, FLOW_WIDTH)).astype(np.float32) for _ in range(depth)]
    h = rng.normal(0.0, 1.0, (FLOW_BATCH, FLOW_WIDTH)).astype(np.float32)
    pre = []
    for w in weights:
        z = h @ w
        pre.append(z)
        h = impl.forward(z)[0]
    g = rng.normal(0.0, 1.0, h.shape).astype(np.float32)
    start = float(np.linalg.norm(g))
    norms = []
    for w, z in zip(reversed(weights), reversed(pre)):
        g = impl.backward(z, g)[0] @ w.T
        norms.append(float(np.linalg.norm(g)) / start)
    return np.array(norms[::-1])


def gradient_flow(source) -> dict:
    """For sigmoid, tanh, relu: the gradient reaching the first layer of 1..20-layer stacks,
    and the gradient at every layer of the 20-layer stack (mean over seeds)."""
    from .probe import Problem
    from .runner import DEFAULT_TIMEOUT, load

    data: dict = {}
    for name in FLOW_ACTIVATIONS:
        a = ACTIVATIONS[name]
        try:
            impl = load(a, source, DEFAULT_TIMEOUT)
            he = name == "relu"
            depths = np.arange(1, FLOW_DEPTH + 1)
            first = [np.mean([_stack_gradients(impl, d, s, he)[0] for s in range(FLOW_SEEDS)]) for d in depths]
            layers = np.mean([_stack_gradients(impl, FLOW_DEPTH, s, he) for s in range(FLOW_SEEDS)], axis=0)
            data[name] = {"depths": depths, "first": np.array(first), "layers": layers}
        except Problem as problem:
            data[name] = {"problem": problem.reason}
    return data


def gradient_flow_figure(data: dict) -> FeedbackFigure:
    fig = _figure(GRADIENT_FLOW_SIZE)
    left, right = fig.subplots(1, 2)
    fig.suptitle("Gradient flow: how much gradient survives a stack of Linear + activation layers",
                 fontsize=14, fontweight="bold")
    colours = {"sigmoid": "#d62728", "tanh": "#ff7f0e", "relu": "#2ca02c"}
    missing = []
    for name, d in data.items():
        if "problem" in d:
            missing.append(name)
            continue
        init = "He init" if name == "relu" else "Xavier init"
        left.plot(d["depths"], d["first"], "o-", color=colours[name], lw=2, ms=4, label=f"{name} ({init})")
        right.plot(np.arange(1, d["layers"].size + 1), d["layers"], "o-", color=colours[name], lw=2, ms=4,
                   label=name)
    depths = np.arange(1, FLOW_DEPTH + 1)
    left.plot(depths, 0.25 ** depths, ":", color=colours["sigmoid"], lw=1.5,
              label="$0.25^L$: sigmoid' is at most 1/4")
    left.set_title("gradient reaching the first layer, by depth", fontsize=12)
    left.set_xlabel("number of layers L")
    left.set_ylabel("|dL/dx| / |dL/dy|  (log scale)")
    right.set_title(f"gradient at each layer of a {FLOW_DEPTH}-layer stack", fontsize=12)
    right.set_xlabel("layer (1 = first, next to the input)")
    right.set_ylabel("|gradient| / |gradient at the output|  (log scale)")
    for ax in (left, right):
        ax.set_yscale("log")
        ax.set_xticks(range(0, FLOW_DEPTH + 1, 2))
        ax.set_xlim(0.5, FLOW_DEPTH + 0.5)
        ax.axhline(1.0, color="0.5", lw=0.8)
        ax.grid(alpha=0.3, which="major")
    left.legend(loc="lower left", fontsize=10, framealpha=0.9)
    right.legend(loc="center left", fontsize=10, framealpha=0.9)
    note = (f"{FLOW_WIDTH} units per layer, batch {FLOW_BATCH}, weights N(0, 1/{FLOW_WIDTH}) "
            f"(Xavier) or N(0, 2/{FLOW_WIDTH}) (He); mean of {FLOW_SEEDS} seeds; your forward and backward")
    if missing:
        note += f"\nnot implemented yet: {', '.join(missing)}"
    fig.supxlabel(note, fontsize=9.5, color="0.3")
    return fig
