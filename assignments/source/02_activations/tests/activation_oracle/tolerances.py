"""The accuracy contract of the activations, as one table.

For each function and dtype, a `Tolerance`:
- kind "ulp": error in ULP (see `ulp.py`) at most `bound` wherever the true
  result is a normal float and |x| <= `domain` (None: everywhere);
- kind "relative": relative error at most `bound` (softmax probabilities;
  relative to max(|true|, smallest normal), so underflowing probabilities are
  judged in absolute terms);
- kind "absolute": |error| <= `bound` * max(1, |true|, |x|) (log_softmax: x - m - log(sum)
  and x - (m + log(sum)) differ by the rounding of the logits themselves).
Outside the ULP domain, or where the true result is subnormal, every
elementwise function must still be within `outside` relative error (again
floored at the smallest normal): no garbage, no wrong limits, no nan.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .ulp import absolute_error, is_normal, relative_error, ulp_distance


@dataclass(frozen=True)
class Tolerance:
    kind: str  # "ulp" | "relative" | "absolute"
    bound: float
    domain: float | None = None  # |x| <= domain for the bound to apply
    outside: float = 1.0  # relative error allowed elsewhere (see module doc)

    def describe(self) -> str:
        where = f" for |x| <= {self.domain:g}" if self.domain is not None else ""
        if self.kind == "ulp":
            return f"<= {self.bound:g} ULP{where}"
        if self.kind == "relative":
            return f"relative error <= {self.bound:g}"
        return f"error <= {self.bound:g} * max(1, |result|, |x|)"

    def measure(self, got, x, hi, lo, dtype) -> tuple[np.ndarray, np.ndarray, str]:
        """(error, ratio, unit) of `got` against the true values hi + lo at inputs `x`.

        error is in this tolerance's unit ("ULP", "rel" or "abs"); ratio is the error over
        the limit that applies at each element (the ULP bound inside the domain where the
        result is normal, `outside` relative error elsewhere): ratio <= 1 passes, nan
        counts as a failure. The module tests, `tito check` and `tito plot` all judge
        through this one rule.
        """
        got = np.asarray(got)
        x = np.broadcast_to(np.asarray(x), got.shape)
        if self.kind == "ulp":
            error = ulp_distance(got, hi, lo, dtype)
            inside = is_normal(hi, dtype)
            if self.domain is not None:
                with np.errstate(invalid="ignore"):
                    inside &= np.abs(x.astype(np.float64)) <= self.domain
            relative = relative_error(got, hi, lo, dtype)
            ratio = np.where(inside, error / self.bound, relative / self.outside)
            # Below the normal range nobody can notice: an absolute error under the
            # smallest normal, times |x| for the x * (something that underflowed) forms
            # (silu, gelu), passes wherever the result is.
            ratio = np.where(absolute_error(got, hi, lo) <= underflow_floor(x, dtype), 0.0, ratio)
            unit = "ULP"
        elif self.kind == "relative":
            error = relative_error(got, hi, lo, dtype)
            ratio, unit = error / self.bound, "rel"
        else:  # log_softmax: the logits' own rounding (eps |x|) is as large as any formula's error
            with np.errstate(invalid="ignore"):
                logits = np.abs(np.where(np.isfinite(x), x.astype(np.float64), 0.0))
            scale = np.maximum(np.maximum(1.0, logits), np.abs(np.where(np.isfinite(hi), hi, 0.0)))
            error = absolute_error(got, hi, lo) / scale
            ratio, unit = error / self.bound, "abs"
        return error, np.where(np.isnan(ratio), np.inf, ratio), unit


def underflow_floor(x, dtype) -> np.ndarray:
    """The absolute error no user of an elementwise result can notice at input x.

    The smallest normal number of `dtype`, times |x| clipped to [1, 1024]: x * f(x) where
    f(x) underflowed (silu = x sigmoid(x), gelu = x Phi(x)) is off by |x| times the
    underflow. Errors this small are never failures (`tito check` may note them).
    """
    with np.errstate(invalid="ignore"):
        scale = np.clip(np.abs(np.asarray(x, dtype=np.float64)), 1.0, 1024.0)
    return np.where(np.isnan(scale), 1.0, scale) * float(np.finfo(dtype).smallest_normal)


_F32, _F64 = np.dtype(np.float32), np.dtype(np.float64)


def _both(tol: Tolerance) -> dict:
    return {_F32: tol, _F64: tol}


# Keys: function name, or (name, parameter value) when a parameter changes the contract.
TOLERANCES: dict = {
    "relu": _both(Tolerance("ulp", 4)),
    "leaky_relu": _both(Tolerance("ulp", 4)),
    "sigmoid": _both(Tolerance("ulp", 4)),
    "tanh": _both(Tolerance("ulp", 4)),
    "elu": _both(Tolerance("ulp", 4)),
    "silu": _both(Tolerance("ulp", 4)),
    "softplus": _both(Tolerance("ulp", 4)),
    # Exact GELU is ill-conditioned in the negative tail (d log gelu / d log x is about x^2):
    # the textbook 0.5 x erfc(-x / sqrt 2) loses 74 ULP in float32 and 146 in float64
    # near x = -9.5 (x * ndtr(x): 1.4 and 135), measured on standard_inputs(size="full").
    ("gelu", "none"): {_F32: Tolerance("ulp", 128, domain=10.0, outside=1e-4),
                       _F64: Tolerance("ulp", 256, domain=10.0, outside=1e-10)},
    ("gelu", "tanh"): {_F32: Tolerance("ulp", 16, domain=3.0, outside=1e-4),
                       _F64: Tolerance("ulp", 16, domain=3.0, outside=1e-10)},
    "softmax": {_F32: Tolerance("relative", 1e-5), _F64: Tolerance("relative", 1e-12)},
    "log_softmax": {_F32: Tolerance("absolute", 1e-5), _F64: Tolerance("absolute", 1e-12)},
}

# Backward: relative error of the gradient (against the exact derivative, a
# central difference or PyTorch), floored like the forward relative errors.
GRAD_RELATIVE = {_F32: 1e-5, _F64: 1e-6}


def tolerance(name: str, dtype, **params) -> Tolerance:
    """The tolerance of `name` in `dtype` (float32 or float64)."""
    dtype = np.dtype(dtype)
    key = (name, params.get("approximate", "none")) if name == "gelu" else name
    if key not in TOLERANCES:
        raise ValueError(f"no tolerance for {name!r}")
    table = TOLERANCES[key]
    if dtype not in table:
        raise ValueError(f"no tolerance for {name!r} in {dtype}; float32 and float64 are defined")
    return table[dtype]
