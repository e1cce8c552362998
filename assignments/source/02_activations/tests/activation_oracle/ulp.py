"""Measuring errors: ULP distance, relative and absolute error.

The unit in the last place (ULP) of a value v in a float format is the gap
between the two representable numbers around v.  An error "in ULP" is
|got - true| / ULP(true): 0.5 is the best any rounding can do.

Conventions (shared by the tests, `tito check` and `tito plot`):
- nan against nan is 0; inf against the same inf is 0; any other mismatch
  involving inf or nan is inf (e.g. nan where a number was due);
- +0 and -0 count as equal (the sign of zero is tested separately);
- below the smallest normal number the ULP is that of the smallest normal,
  so subnormal results are compared in absolute terms.
"""

from __future__ import annotations

import numpy as np


def ulp_of(value, dtype) -> np.ndarray:
    """ULP in `dtype` at each |value| (float64 array in, float64 out)."""
    info = np.finfo(dtype)
    v = np.abs(np.asarray(value, dtype=np.float64))
    with np.errstate(invalid="ignore"):
        finite = np.where(np.isfinite(v), v, 0.0)
    _, exponent = np.frexp(finite)  # finite = m * 2**exponent, 0.5 <= m < 1
    exponent = np.maximum(exponent - 1, info.minexp)
    return np.ldexp(1.0, exponent - info.nmant)


def is_normal(hi, dtype) -> np.ndarray:
    """True where the true value is a finite normal number of `dtype`."""
    info = np.finfo(dtype)
    a = np.abs(np.asarray(hi, dtype=np.float64))
    with np.errstate(invalid="ignore"):
        return (a >= info.smallest_normal) & (a <= info.max)


def _special(got: np.ndarray, hi: np.ndarray):
    """(mask of elements involving inf/nan, their error: 0 or inf)."""
    special = ~np.isfinite(got) | ~np.isfinite(hi)
    same = (np.isnan(got) & np.isnan(hi)) | (got == hi)
    return special, np.where(same, 0.0, np.inf)


def _rounded_limits(hi: np.ndarray, dtype) -> np.ndarray:
    """hi, with values that round to ±inf in `dtype` replaced by that inf."""
    with np.errstate(over="ignore"):
        rounded = hi.astype(dtype)
    return np.where(np.isinf(rounded), rounded.astype(np.float64), hi)


def _difference(got, hi, lo) -> np.ndarray:
    got = np.asarray(got).astype(np.float64)
    hi = np.asarray(hi, dtype=np.float64)
    lo = np.asarray(lo, dtype=np.float64)
    with np.errstate(invalid="ignore", over="ignore"):
        return np.abs((got - hi) - lo)


def ulp_distance(got, hi, lo, dtype) -> np.ndarray:
    """Error of `got` in ULP of `dtype` against the true value hi + lo."""
    got64 = np.asarray(got).astype(np.float64)
    hi = np.broadcast_to(np.asarray(hi, dtype=np.float64), got64.shape)
    lo = np.broadcast_to(np.asarray(lo, dtype=np.float64), got64.shape)
    hi = _rounded_limits(hi, dtype)  # a true value beyond the range rounds to inf
    special, special_error = _special(got64, hi)
    with np.errstate(invalid="ignore", over="ignore"):
        error = _difference(got64, hi, lo) / ulp_of(hi, dtype)
    return np.where(special, special_error, error)


def relative_error(got, hi, lo, dtype) -> np.ndarray:
    """|got - true| / max(|true|, smallest normal of dtype); inf/nan as in ulp_distance."""
    got64 = np.asarray(got).astype(np.float64)
    hi = _rounded_limits(np.broadcast_to(np.asarray(hi, dtype=np.float64), got64.shape), dtype)
    special, special_error = _special(got64, hi)
    scale = np.maximum(np.abs(np.where(np.isfinite(hi), hi, 0.0)), np.finfo(dtype).smallest_normal)
    with np.errstate(invalid="ignore", over="ignore"):
        error = _difference(got64, hi, lo) / scale
    return np.where(special, special_error, error)


def absolute_error(got, hi, lo) -> np.ndarray:
    """|got - true|; inf/nan as in ulp_distance."""
    got64 = np.asarray(got).astype(np.float64)
    hi = np.broadcast_to(np.asarray(hi, dtype=np.float64), got64.shape)
    special, special_error = _special(got64, hi)
    return np.where(special, special_error, _difference(got64, hi, lo))
