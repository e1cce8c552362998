"""Standard input sets: where activations go wrong, in every float format.

Deterministic (fixed seed), so a cached reference is reused across runs.
`size="test"` keeps the module tests fast (about 2,500 points per dtype);
`size="full"` is for `tito check` and `tito plot` (about 20,000).
"""

from __future__ import annotations

import numpy as np

SEED = 20240602
_SIZES = {"test": (801, 800, 240), "full": (8001, 8000, 2000)}  # dense, log-uniform, per edge


def _overflow_edges(dtype) -> list[tuple[float, float]]:
    """Intervals around the points where exp over- or underflows in `dtype`."""
    info = np.finfo(dtype)
    big = float(np.log(info.max))  # exp overflows above: 88.7 (f32), 709.8 (f64)
    tiny = float(np.log(info.smallest_normal)) - info.nmant * float(np.log(2))  # last subnormal
    return [(-big - 8, -big + 4), (big - 4, big + 4), (tiny - 2, tiny + 2), (-13.5, -8.0)]


def standard_inputs(dtype, size: str = "test") -> np.ndarray:
    """1-D array of inputs in `dtype` covering its whole range (see module doc)."""
    if size not in _SIZES:
        raise ValueError(f"size must be one of {sorted(_SIZES)}")
    dtype = np.dtype(dtype)
    info = np.finfo(dtype)
    n_dense, n_log, n_edge = _SIZES[size]
    rng = np.random.default_rng(SEED)
    sub = info.smallest_subnormal
    specials = [0.0, -0.0, sub, -sub, sub * 3, -sub * 3, info.smallest_normal / 3,
                -info.smallest_normal / 3, info.smallest_normal, -info.smallest_normal,
                info.eps, -info.eps, 0.5, -0.5, 1.0, -1.0, 2.0, -2.0, 1e4, -1e4,
                info.max, -info.max, np.inf, -np.inf, np.nan]
    dense = np.linspace(-20.0, 20.0, n_dense)
    # log-uniform magnitudes from the smallest subnormal to the largest float
    low, high = np.log10(float(sub)), np.log10(float(info.max))
    magnitudes = 10.0 ** rng.uniform(low, high, n_log)
    signs = rng.choice([-1.0, 1.0], n_log)
    edges = [rng.uniform(a, b, n_edge) for a, b in _overflow_edges(dtype)]
    with np.errstate(over="ignore"):
        values = np.concatenate([np.array(specials, dtype=np.float64), dense,
                                 signs * np.minimum(magnitudes, float(info.max)), *edges])
        return values.astype(dtype)


def softmax_inputs(dtype, size: str = "test", columns: int = 7) -> np.ndarray:
    """2-D array of logit rows (softmax along the last axis).

    Rows at several scales (0.1 to 1e4), rows with a dominant entry and with
    probabilities that underflow, logits of ±1000, -inf entries (probability
    0), a row of equal logits, and rows of huge magnitude.  Rows where the
    result has no value (nan, +inf, all -inf) are not included: their
    conventions are tested on their own.
    """
    if size not in ("test", "full"):
        raise ValueError("size must be 'test' or 'full'")
    dtype = np.dtype(dtype)
    info = np.finfo(dtype)
    rng = np.random.default_rng(SEED + 1)
    per_scale = 24 if size == "test" else 240
    rows = []
    for scale in (0.1, 1.0, 10.0, 100.0, 1000.0, 1e4):
        rows.append(rng.normal(0.0, scale, (per_scale, columns)))
    rows.append(rng.normal(0.0, 1.0, (per_scale, columns)) + rng.choice([-1e3, 1e3], (per_scale, 1)))
    fixed = np.zeros((8, columns))
    fixed[0] = -1000.0
    fixed[0, :2] = [0.0, -200.0]  # log_softmax: [0, -200, -1000, ...] exactly
    fixed[1] = 1000.0
    fixed[1, 0] = -1000.0
    fixed[2, 0] = 1000.0
    fixed[3, 1:] = -np.inf
    fixed[4, ::2] = -np.inf
    fixed[5] = np.linspace(-80.0, 0.0, columns)  # probabilities down to exp(-80)
    fixed[6] = np.linspace(0.0, 120.0, columns)  # f32: smallest ones underflow
    fixed[7] = float(info.max) / 4 * np.linspace(-1.0, 1.0, columns)
    with np.errstate(over="ignore"):
        return np.concatenate(rows + [fixed]).astype(dtype)
