"""The property predicates of the activations, written once for the tests and `tito check`.

Each takes computed values (and the inputs they came from) and returns a boolean mask of
the elements that break the property, within a slack given in ULP of the dtype: what two
results that each meet the accuracy contract may differ by.
"""
from __future__ import annotations

import numpy as np

from .ulp import ulp_of


def decreasing(y, dtype, slack_ulp: float) -> np.ndarray:
    """Where y[i + 1] < y[i] by more than the slack (y computed at sorted inputs); length n - 1."""
    y64 = np.asarray(y).astype(np.float64)
    drop = y64[:-1] - y64[1:]
    scale = np.maximum(np.abs(y64[:-1]), np.abs(y64[1:]))
    with np.errstate(invalid="ignore"):
        return drop > slack_ulp * ulp_of(scale, dtype)


def outside(y, bounds) -> np.ndarray:
    """Where a (non-nan) value lies outside the closed interval `bounds` = (low, high)."""
    y = np.asarray(y)
    low, high = bounds
    with np.errstate(invalid="ignore"):
        return ~np.isnan(y) & ((y < low) | (y > high))


def symmetry_broken(kind: str, x, f_x, f_minus_x, dtype, slack_ulp: float, slope: float = 1.0):
    """(mask, law): where f(-x) breaks the symmetry `kind` ("odd", "complement" or "linear").

    odd: f(-x) = -f(x); complement: f(-x) = 1 - f(x); linear: f(x) - f(-x) = slope * x.
    """
    yp, yn = np.asarray(f_x).astype(np.float64), np.asarray(f_minus_x).astype(np.float64)
    x64 = np.asarray(x).astype(np.float64)
    if kind == "odd":
        residual, scale, law = yp + yn, np.maximum(np.abs(yp), np.abs(yn)), "f(-x) = -f(x)"
    elif kind == "complement":
        residual, scale, law = yp + yn - 1.0, np.ones_like(yp), "f(-x) = 1 - f(x)"
    elif kind == "linear":
        residual = yp - yn - slope * x64
        scale = np.maximum.reduce([np.abs(yp), np.abs(yn), np.abs(slope * x64)])
        law = "f(x) - f(-x) = x" if slope == 1 else f"f(x) - f(-x) = {slope:g} x"
    else:
        raise ValueError(f"unknown symmetry {kind!r}")
    with np.errstate(invalid="ignore"):
        return ~(np.abs(residual) <= slack_ulp * ulp_of(scale, dtype)), law
