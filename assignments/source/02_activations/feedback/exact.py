"""The exact values one activation is judged against (computed once, cached), and the
one rule that judges an output against them (activation_oracle.tolerances)."""
from __future__ import annotations

import math
from dataclasses import dataclass

import activation_oracle as numerics
import numpy as np

from .functions import Activation


def reference_params(a: Activation) -> dict:
    return dict(a.params)


def extreme_mask(x: np.ndarray, dtype) -> np.ndarray:
    """Inputs the stability checks own: non-finite, |x| >= 1e4, subnormal."""
    tiny = np.finfo(dtype).smallest_normal
    with np.errstate(invalid="ignore"):
        ax = np.abs(x.astype(np.float64))
        return ~np.isfinite(ax) | (ax >= 1e4) | ((ax > 0) & (ax < tiny))


def extra_rows(dtype, columns: int) -> np.ndarray:
    """Row-wise stability cases beyond the standard set: nan, all -inf, subnormals."""
    sub = float(np.finfo(dtype).smallest_subnormal)
    rows = np.zeros((3, columns))
    rows[0, 0] = np.nan
    rows[0, 1:] = np.linspace(-1.0, 1.0, columns - 1)
    rows[1] = -np.inf
    rows[2] = sub * np.arange(columns)
    return rows.astype(dtype)


@dataclass
class Reference:
    """Inputs and exact results for one activation in one dtype."""

    activation: Activation
    dtype: np.dtype
    tolerance: numerics.Tolerance
    x: np.ndarray  # standard inputs (1-D, or 2-D rows for softmax)
    hi: np.ndarray
    lo: np.ndarray
    extreme: np.ndarray  # elementwise: per element; row-wise: per row
    grad_hi: np.ndarray | None = None  # exact f'(x) (elementwise)
    extra_x: np.ndarray | None = None  # row-wise stability rows
    extra_hi: np.ndarray | None = None
    extra_lo: np.ndarray | None = None

    def values(self, x) -> tuple[np.ndarray, np.ndarray]:
        return numerics.reference_values(self.activation.reference, x, **reference_params(self.activation))

    def grad(self, x) -> np.ndarray:
        return numerics.reference_grad(self.activation.reference, x, **reference_params(self.activation))[0]


def reference(a: Activation, dtype) -> Reference:
    """Load (or compute, the first time: a few seconds) everything `a` is judged against."""
    dtype = np.dtype(dtype)
    params = reference_params(a)
    tol = numerics.tolerance(a.reference, dtype, **params)
    if a.rowwise:
        x = numerics.softmax_inputs(dtype, "full")
        hi, lo = numerics.reference_values(a.reference, x, **params)
        with np.errstate(invalid="ignore"):
            extreme = (~np.isfinite(x) | (np.abs(x) >= 1000)).any(axis=1)
        extra = extra_rows(dtype, x.shape[1])
        ehi, elo = numerics.reference_values(a.reference, extra, **params)
        ref = Reference(a, dtype, tol, x, hi, lo, extreme, None, extra, ehi, elo)
        numerics.reference_values("softmax", x)  # the probabilities behind the exact gradients
    else:
        x = numerics.standard_inputs(dtype, "full")
        hi, lo = numerics.reference_values(a.reference, x, **params)
        grad_hi = numerics.reference_grad(a.reference, x, **params)[0]
        ref = Reference(a, dtype, tol, x, hi, lo, extreme_mask(x, dtype), grad_hi)
    for grid in plot_grids(a, dtype).values():
        ref.values(grid)
        if not a.rowwise:
            ref.grad(grid)
    return ref


def plot_grids(a: Activation, dtype) -> dict[str, np.ndarray]:
    lo, hi = a.plot_range
    t = np.linspace(lo, hi, 801)
    if a.rowwise:  # three classes: logits [t, 1, -1]
        rows = np.stack([t, np.ones_like(t), -np.ones_like(t)], axis=1)
        return {"rows": rows.astype(dtype)}
    return {"grid": t.astype(dtype), "symmetric": np.linspace(-3.0, 3.0, 601).astype(dtype)}


# ----------------------------------------------------------------------------
# Judging outputs against the contract
# ----------------------------------------------------------------------------

@dataclass
class Judgement:
    """Errors of an output, in the unit of its tolerance, and where they break it."""

    error: np.ndarray  # in the tolerance's unit (ULP / relative / scaled absolute)
    ratio: np.ndarray  # error / the limit that applies at that element (> 1: broken)
    unit: str  # "ULP", "rel", "abs"
    limit_text: str

    @property
    def ok(self) -> bool:
        return not bool(np.any(self.ratio > 1))

    @property
    def worst(self) -> int:
        return int(np.argmax(self.ratio)) if self.ratio.size else 0


def judge(tol: numerics.Tolerance, got, x, hi, lo, dtype) -> Judgement:
    """Measure `got` against hi + lo with the rule of `tol` (see activation_oracle.tolerances)."""
    error, ratio, unit = tol.measure(got, x, hi, lo, dtype)
    return Judgement(error, ratio, unit, tol.describe())


NOT_A_NUMBER = "nan or inf where a number belongs"


def not_a_number(got, exact) -> bool:
    """True when the learner's value is nan or ±inf where the exact value is a finite number.

    Such a result is the first cause to fix: it also breaks the checks that use the
    value (dtype, symmetry, central differences, ...), and a NumPy warning often comes with it.
    """
    try:
        got, exact = float(got), float(exact)
    except (TypeError, ValueError):
        return False
    return math.isfinite(exact) and not math.isfinite(got)


def max_abs_error(got, hi, lo) -> float:
    got = np.asarray(got, dtype=np.float64)
    both = np.isfinite(got) & np.isfinite(hi)
    if not both.any():
        return 0.0
    return float(np.max(np.abs((got[both] - hi[both]) - lo[both])))



def reference_vjp(function: str, x: np.ndarray, g: np.ndarray, dim: int = -1) -> np.ndarray:
    """Exact input gradient of softmax / log_softmax for grad_output g (float64).

    With p = softmax(x) from the high-precision reference:
    softmax:     dL/dx = p * (g - sum(g * p))
    log_softmax: dL/dx = g - p * sum(g)
    """
    p = numerics.reference_values("softmax", x, dim=dim)[0]
    g = g.astype(np.float64)
    if function == "softmax":
        return p * (g - np.sum(g * p, axis=dim, keepdims=True))
    return g - p * np.sum(g, axis=dim, keepdims=True)
