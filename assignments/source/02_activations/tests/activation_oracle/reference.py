"""Exact values of the activations, from mpmath at 192 bits.

Each result is returned as two float64 arrays ``(hi, lo)``: ``hi`` is the true
value rounded to float64 and ``lo`` the rounded remainder, so ``hi + lo`` holds
about 106 bits, enough to measure the error of a float64 result in fractions of
an ULP.  Values beyond float64's range come back as ``hi = ±inf`` or ``0``.

Evaluations are slow (about 20 µs per element), so every result is cached in
memory and on disk under `cache_dir()`; a test session computes each set once.
"""

from __future__ import annotations

import hashlib
import math
import os
import tempfile
from pathlib import Path

import mpmath
import numpy as np

from tito.testing import shared

from . import specs

PRECISION = 192  # bits of the mpmath working precision
_VERSION = "2"  # bump when a formula below changes: invalidates the disk cache

# --------------------------------------------------------------------------
# The definitions: one exact formula per function, written for mpmath.
# Each takes an mpf x (finite) and the parameters; the limits at ±inf are
# listed separately, nan always maps to nan.
# --------------------------------------------------------------------------

def _sigmoid(x):
    return 1 / (1 + mpmath.exp(-x))


def _gelu_exact(x):
    # x * Phi(x).  Beyond |x| = 40, x*Phi(x) is x or underflows float64, and
    # mpmath's erfc cannot take the huge arguments of the float range.
    if x < -40:
        return mpmath.mpf(0)
    if x > 40:
        return x
    return x * mpmath.erfc(-x / mpmath.sqrt(2)) / 2


def _gelu_tanh_u(x):
    return mpmath.sqrt(2 / mpmath.pi) * (x + mpmath.mpf("0.044715") * x**3)


def _gelu_tanh(x):
    # 0.5*x*(1 + tanh(u)) = x * sigmoid(2u): same value, no cancellation.
    return x * _sigmoid(2 * _gelu_tanh_u(x))


def _softplus(x, beta):
    # beta = 0: log(2) / 0 = inf, PyTorch's value (the limit as beta -> 0+)
    beta = mpmath.mpf(beta)
    return mpmath.inf if beta == 0 else mpmath.log1p(mpmath.exp(beta * x)) / beta


def _softplus_limit(beta, sign):
    """softplus at sign * inf: inf or -inf where beta x -> +inf, 0 where -> -inf; nan for beta = 0."""
    if beta == 0:
        return math.nan  # 0 * inf, as PyTorch
    return sign * math.inf if beta * sign > 0 else 0.0


def _softplus_grad(x, beta):
    return mpmath.mpf(0.5) if beta == 0 else _sigmoid(mpmath.mpf(beta) * x)


def _sigmoid_limit(beta, sign):
    if beta == 0:
        return math.nan
    return 1.0 if beta * sign > 0 else 0.0


def _gelu(x, approximate):
    return _gelu_tanh(x) if approximate == "tanh" else _gelu_exact(x)


_ELEMENTWISE_DEFS = {
    # name: (f(x, **params), limit(+inf), limit(-inf)); the defaults are the spec's
    "relu": (lambda x: x if x > 0 else mpmath.mpf(0),
             lambda: math.inf, lambda: 0.0),
    "leaky_relu": (lambda x, negative_slope: x if x > 0 else x * mpmath.mpf(negative_slope),
                   lambda negative_slope: math.inf,
                   lambda negative_slope: -math.inf * np.sign(negative_slope) if negative_slope else 0.0),
    "elu": (lambda x, alpha: x if x > 0 else mpmath.mpf(alpha) * mpmath.expm1(x),
            lambda alpha: math.inf, lambda alpha: -float(alpha)),
    "sigmoid": (_sigmoid, lambda: 1.0, lambda: 0.0),
    "tanh": (mpmath.tanh, lambda: 1.0, lambda: -1.0),
    "gelu": (_gelu, lambda approximate: math.inf, lambda approximate: 0.0),
    "silu": (lambda x: x * _sigmoid(x), lambda: math.inf, lambda: 0.0),
    # The true softplus: `threshold` is PyTorch's shortcut, not part of the maths.
    "softplus": (lambda x, beta, threshold: _softplus(x, beta),
                 lambda beta, threshold: _softplus_limit(beta, +1),
                 lambda beta, threshold: _softplus_limit(beta, -1)),
}


def _gelu_grad(x, approximate):
    if approximate == "tanh":
        u = _gelu_tanh_u(x)
        du = mpmath.sqrt(2 / mpmath.pi) * (1 + 3 * mpmath.mpf("0.044715") * x**2)
        s = _sigmoid(2 * u)
        return s + x * 2 * du * s * _sigmoid(-2 * u)
    if x < -40:
        return mpmath.mpf(0)
    if x > 40:
        return mpmath.mpf(1)
    phi = mpmath.exp(-x * x / 2) / mpmath.sqrt(2 * mpmath.pi)
    return mpmath.erfc(-x / mpmath.sqrt(2)) / 2 + x * phi


_GRAD_DEFS = {
    # name: (f'(x, **params), limit(+inf), limit(-inf)); kinks as PyTorch.
    "relu": (lambda x: mpmath.mpf(1 if x > 0 else 0), lambda: 1.0, lambda: 0.0),
    "leaky_relu": (lambda x, negative_slope: mpmath.mpf(1 if x > 0 else negative_slope),
                   lambda negative_slope: 1.0, lambda negative_slope: float(negative_slope)),
    "elu": (lambda x, alpha: mpmath.mpf(1) if x > 0 else mpmath.mpf(alpha) * mpmath.exp(x),
            lambda alpha: 1.0, lambda alpha: 0.0),
    "sigmoid": (lambda x: _sigmoid(x) * _sigmoid(-x), lambda: 0.0, lambda: 0.0),
    "tanh": (lambda x: mpmath.sech(x) ** 2, lambda: 0.0, lambda: 0.0),
    "gelu": (_gelu_grad, lambda approximate: 1.0, lambda approximate: 0.0),
    "silu": (lambda x: _sigmoid(x) * (1 + x * _sigmoid(-x)), lambda: 1.0, lambda: 0.0),
    "softplus": (lambda x, beta, threshold: _softplus_grad(x, beta),
                 lambda beta, threshold: _sigmoid_limit(beta, +1),
                 lambda beta, threshold: _sigmoid_limit(beta, -1)),
}

ELEMENTWISE, ROWWISE, FUNCTIONS, PARAMETER_SETS = (
    specs.ELEMENTWISE,
    specs.ROWWISE,
    specs.FUNCTIONS,
    specs.PARAMETER_SETS,
)
assert set(ELEMENTWISE) == set(_ELEMENTWISE_DEFS), "a spec without an exact formula, or the reverse"


def _params(name: str, params: dict) -> dict:
    """Fill in defaults and reject unknown parameters."""
    if name not in specs.SPECS:
        raise ValueError(f"unknown function {name!r}; known: {', '.join(FUNCTIONS)}")
    defaults = specs.SPECS[name].defaults
    unknown = set(params) - set(defaults)
    if unknown:
        raise TypeError(f"{name}() got unexpected parameter(s) {sorted(unknown)}")
    merged = {**defaults, **params}
    if name == "gelu" and merged["approximate"] not in ("none", "tanh"):
        raise ValueError("gelu: approximate must be 'none' or 'tanh'")
    return merged


# --------------------------------------------------------------------------
# Conversion and caching
# --------------------------------------------------------------------------

def _split(v) -> tuple[float, float]:
    """An mpf as float64 (hi, lo) with hi + lo ~ v."""
    hi = float(v)
    if math.isinf(hi) or math.isnan(hi):
        return hi, 0.0
    return hi, float(v - hi)


def cache_dir() -> Path | None:
    """Where reference values are kept between runs (None: memory only).

    `TINYTORCH_CACHE_DIR` overrides; set it to an empty string to disable.
    """
    env = os.environ.get("TINYTORCH_CACHE_DIR")
    if env is not None:
        return Path(env) if env else None
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "tinytorch" / "numerics"


def _load(path: Path) -> tuple[np.ndarray, np.ndarray] | None:
    """The (hi, lo) cached in `path`, or None when the file is missing or damaged."""
    try:
        with np.load(path) as data:
            return data["hi"], data["lo"]
    except (OSError, ValueError, KeyError):
        return None


def _cached(kind: str, name: str, x: np.ndarray, params: dict, compute):
    key_src = repr((_VERSION, PRECISION, kind, name, sorted(params.items()),
                    x.dtype.str, x.shape)).encode() + np.ascontiguousarray(x).tobytes()
    key = hashlib.sha256(key_src).hexdigest()[:32]

    def from_disk_or_compute():
        directory = cache_dir()
        path = directory / f"{key}.npz" if directory else None
        loaded = _load(path) if path is not None and path.exists() else None
        if loaded is not None:  # a damaged cache file is computed again below
            return loaded
        hi, lo = compute()
        if path is not None:
            try:
                directory.mkdir(parents=True, exist_ok=True)
                fd, tmp = tempfile.mkstemp(dir=directory, suffix=".npz")
                with os.fdopen(fd, "wb") as f:
                    np.savez(f, hi=hi, lo=lo)
                os.replace(tmp, path)  # atomic: parallel test runs never see half a file
            except OSError:
                pass
        return hi, lo

    return shared(key, from_disk_or_compute)


def _as_float_array(x) -> np.ndarray:
    x = np.asarray(x)
    if not np.issubdtype(x.dtype, np.floating):
        x = x.astype(np.float64)
    return x


def _elementwise(table: dict, name: str, x: np.ndarray, params: dict):
    f, at_pos_inf, at_neg_inf = table[name][:3]
    flat = x.astype(np.float64).ravel()
    hi = np.empty(flat.shape)
    lo = np.zeros(flat.shape)
    cache: dict[float, tuple[float, float]] = {}
    with mpmath.workprec(PRECISION):
        for i, v in enumerate(flat.tolist()):
            if math.isnan(v):
                hi[i] = math.nan
            elif math.isinf(v):
                hi[i] = (at_pos_inf if v > 0 else at_neg_inf)(**params)
            else:
                if v not in cache:
                    cache[v] = _split(f(mpmath.mpf(v), **params))
                hi[i], lo[i] = cache[v]
    return hi.reshape(x.shape), lo.reshape(x.shape)


def _softmax_row(row: list[float], log: bool) -> list[tuple[float, float]]:
    n = len(row)
    nan_row = [(math.nan, 0.0)] * n
    # A nan anywhere, a +inf (inf - inf) or a row of only -inf has no value.
    if any(math.isnan(v) for v in row) or any(v == math.inf for v in row):
        return nan_row
    finite = [v for v in row if v != -math.inf]
    if not finite:
        return nan_row
    m = mpmath.mpf(max(finite))
    shifted = [None if v == -math.inf else mpmath.mpf(v) - m for v in row]
    total = mpmath.fsum(mpmath.exp(s) for s in shifted if s is not None)
    if log:
        log_total = mpmath.log(total)
        return [(-math.inf, 0.0) if s is None else _split(s - log_total) for s in shifted]
    return [(0.0, 0.0) if s is None else _split(mpmath.exp(s) / total) for s in shifted]


def _rowwise(name: str, x: np.ndarray, dim: int):
    if x.ndim == 0:
        hi, lo = _rowwise(name, x.reshape(1), 0)
        return hi.reshape(()), lo.reshape(())
    moved = np.moveaxis(x.astype(np.float64), dim, -1)
    rows = moved.reshape(-1, moved.shape[-1]) if moved.size else moved.reshape(0, moved.shape[-1])
    hi = np.empty(rows.shape)
    lo = np.empty(rows.shape)
    with mpmath.workprec(PRECISION):
        for r, row in enumerate(rows.tolist()):
            for c, (h, low) in enumerate(_softmax_row(row, log=(name == "log_softmax"))):
                hi[r, c], lo[r, c] = h, low
    hi = np.moveaxis(hi.reshape(moved.shape), -1, dim)
    lo = np.moveaxis(lo.reshape(moved.shape), -1, dim)
    return np.ascontiguousarray(hi), np.ascontiguousarray(lo)


# --------------------------------------------------------------------------
# Public API
# --------------------------------------------------------------------------

def reference_values(name: str, x, **params) -> tuple[np.ndarray, np.ndarray]:
    """Exact f(x) as float64 ``(hi, lo)``, same shape as x.

    Example: ``hi, lo = reference_values("gelu", x, approximate="tanh")``;
    ``reference_values("softmax", logits, dim=1)`` works along an axis.
    """
    params = _params(name, params)
    x = _as_float_array(x)
    if name in ROWWISE:
        dim = params["dim"]
        return _cached("value", name, x, params, lambda: _rowwise(name, x, dim))
    return _cached("value", name, x, params,
                   lambda: _elementwise(_ELEMENTWISE_DEFS, name, x, params))


def reference_grad(name: str, x, **params) -> tuple[np.ndarray, np.ndarray]:
    """Exact derivative f'(x) of an elementwise activation as ``(hi, lo)``.

    At the kinks it follows PyTorch: relu'(0) = 0, leaky_relu'(0) = slope,
    elu'(0) = alpha.
    """
    if name not in _GRAD_DEFS:
        raise ValueError(f"no elementwise derivative for {name!r}; known: {', '.join(_GRAD_DEFS)}")
    params = _params(name, params)
    x = _as_float_array(x)
    return _cached("grad", name, x, params, lambda: _elementwise(_GRAD_DEFS, name, x, params))


def ulp_error(got, name: str, x, dtype=None, **params) -> np.ndarray:
    """Error of `got` = f(x) in ULP of `dtype` (default: got's dtype)."""
    from .ulp import ulp_distance

    got = np.asarray(got)
    hi, lo = reference_values(name, x, **params)
    return ulp_distance(got, hi, lo, dtype or got.dtype)
