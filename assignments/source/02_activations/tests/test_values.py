"""Values: every activation against the 192-bit reference, over the whole float range.

The standard inputs hold ±0, subnormals, the smallest normal, a dense grid on
[-20, 20], log-uniform magnitudes up to the largest float, the points where exp
over- and underflows, ±1e4, ±max, ±inf and nan. Tolerances are the module's
contract (activation_oracle.tolerances): for example at most 4 ULP for sigmoid wherever
the true result is a normal float.
"""
import numpy as np
import pytest
from activation_cases import (
    DTYPES,
    ELEMENTWISE_CASES,
    call,
    call_recording,
    case_id,
    label,
    show,
    worst_message,
)
from activation_oracle import (
    absolute_error,
    reference_values,
    relative_error,
    softmax_inputs,
    standard_inputs,
    tolerance,
)


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@pytest.mark.parametrize("case", ELEMENTWISE_CASES, ids=case_id)
def test_elementwise_accuracy(case, dtype):
    name, params = case
    what = f"{label(name, params)} in {dtype}"
    x = standard_inputs(dtype)
    got, caught = call_recording(name, x, "accuracy against the exact values", **params)
    assert got.shape == x.shape, f"{what}: output shape {got.shape}, input shape {x.shape}"
    hi, lo = reference_values(name, x, **params)
    tol = tolerance(name, dtype, **params)
    error, ratio, unit = tol.measure(got, x, hi, lo, dtype)
    # Where the true result is a normal float the ULP bound applies; elsewhere (subnormal
    # results, outside the domain, inf, nan) a relative error of tol.outside: no garbage.
    # The values come first: a nan where a number belongs is the cause a warning points to.
    broken = ratio > 1
    assert not broken.any(), worst_message(
        f"{what}: accuracy ({tol.describe()} where the result is a normal float, "
        f"relative error <= {tol.outside:g} elsewhere)", error, broken, x, got, hi, unit)
    assert got.dtype == dtype, f"{what}: returned {got.dtype} for {dtype} input"
    assert not caught, f"{what} must not warn, but NumPy said: {sorted(set(caught))}"


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
def test_rowwise_accuracy(name, dtype):
    what = f"{name} in {dtype}"
    rows = softmax_inputs(dtype)
    got, caught = call_recording(name, rows, "accuracy against the exact values")
    assert not caught, f"{what} must not warn, but NumPy said: {sorted(set(caught))}"
    assert got.shape == rows.shape and got.dtype == dtype, (
        f"{what}: got shape {got.shape} and dtype {got.dtype} for {rows.shape} {dtype} input")
    hi, lo = reference_values(name, rows)
    tol = tolerance(name, dtype)
    error, ratio, unit = tol.measure(got, rows, hi, lo, dtype)
    if not np.all(ratio <= 1):
        r = int(np.unravel_index(int(np.argmax(ratio)), ratio.shape)[0])
        pytest.fail(worst_message(f"{what}: {tol.describe()}", error, ratio > 1, rows, got, hi, unit)
                    + f"\n  in the row {show(rows[r])}")


def test_log_softmax_keeps_underflowing_probabilities():
    x = np.array([0.0, -200.0, -1000.0], np.float32)
    got = call("log_softmax", x, "log-domain accuracy when probabilities underflow")
    assert np.array_equal(got, x), (
        f"log_softmax({show(x)}) must be exactly {show(x)}: got {show(got)} "
        "(compute in the log domain, not log(softmax))")


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
def test_softmax_large_logits(dtype):
    x = np.array([[1000.0, 0.0, -1000.0], [-1000.0, -1000.0, -1000.0], [1000.0, 1000.0, 999.0]], dtype)
    got, caught = call_recording("softmax", x, "finite for logits of ±1000")
    assert not caught, f"softmax({show(x)}) must not warn: {caught}"
    assert np.all(np.isfinite(got)), f"softmax of ±1000 logits must be finite: got {show(got)}"
    hi, lo = reference_values("softmax", x)
    error = relative_error(got, hi, lo, dtype)
    assert np.all(error <= tolerance("softmax", dtype).bound), f"softmax({show(x)}) = {show(got)}"


@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
def test_rows_without_a_value_are_nan_without_warning(name):
    x = np.array([[-np.inf, -np.inf, -np.inf], [np.nan, 0.0, 1.0], [np.inf, 0.0, 1.0],
                  [0.0, -np.inf, 1.0]], np.float32)
    got, caught = call_recording(name, x, "rows of -inf, nan or +inf")
    assert not caught, f"{name}({show(x)}) must not warn: {caught}"
    assert np.all(np.isnan(got[:3])), (
        f"{name}: a row of only -inf, or with nan or +inf, has no value (nan, as PyTorch); got {show(got[:3])}")
    assert np.all(np.isfinite(got[3, [0, 2]])) and got[3, 1] == (0.0 if name == "softmax" else -np.inf), (
        f"{name}: a -inf logit gets probability 0 (log: -inf); row [0, -inf, 1] gave {show(got[3])}")


@pytest.mark.parametrize("dim", [0, 1, 2, -1, -2])
@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
def test_rowwise_dim(name, dim):
    x = np.random.default_rng(3).normal(0, 3, (3, 4, 5))
    got = call(name, x, f"working along dim={dim}", dim=dim)
    hi, lo = reference_values(name, x, dim=dim)
    error = absolute_error(got, hi, lo)
    assert got.shape == x.shape and np.all(error <= 1e-12), worst_message(
        f"{name}(x, dim={dim}) on shape {x.shape}", error, np.ones(x.shape, bool), x, got, hi, "abs error")


LIMITS = {  # f(-inf), f(+inf) for the default parameters, and some others
    ("relu", ()): (0.0, np.inf),
    ("leaky_relu", ()): (-np.inf, np.inf),
    ("leaky_relu", (("negative_slope", -0.5),)): (np.inf, np.inf),
    ("elu", ()): (-1.0, np.inf),
    ("elu", (("alpha", 2.0),)): (-2.0, np.inf),
    ("sigmoid", ()): (0.0, 1.0),
    ("tanh", ()): (-1.0, 1.0),
    ("gelu", ()): (0.0, np.inf),
    ("gelu", (("approximate", "tanh"),)): (0.0, np.inf),
    ("silu", ()): (0.0, np.inf),
    ("softplus", ()): (0.0, np.inf),
    ("softplus", (("beta", 2.0),)): (0.0, np.inf),
    ("softplus", (("beta", -1.0),)): (-np.inf, 0.0),
}


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@pytest.mark.parametrize("key", list(LIMITS), ids=lambda k: case_id((k[0], dict(k[1]))))
def test_limits_at_infinity(key, dtype):
    name, params = key[0], dict(key[1])
    x = np.array([-np.inf, np.inf], dtype)
    got, caught = call_recording(name, x, "limits at ±inf", **params)
    want = np.array(LIMITS[key], dtype)
    assert np.array_equal(got, want), (
        f"{label(name, params)}: the limits at -inf and +inf are {show(want)}, got {show(got)}")
    assert not caught, f"{label(name, params)}({show(x)}) must not warn: {caught}"


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@pytest.mark.parametrize("case", ELEMENTWISE_CASES + [("softmax", {}), ("log_softmax", {})], ids=case_id)
def test_nan_propagates(case, dtype):
    name, params = case
    x = np.array([1.0, np.nan, -1.0, np.nan], dtype)
    got = call(name, x, "nan propagation", **params)
    if name in ("softmax", "log_softmax"):
        assert np.all(np.isnan(got)), f"{name}: a nan in the row makes the whole row nan, got {show(got)}"
    else:
        assert np.all(np.isnan(got[[1, 3]])) and not np.any(np.isnan(got[[0, 2]])), (
            f"{label(name, params)}: nan must give nan (and numbers must not), got {show(got)} "
            f"for {show(x)}")


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@pytest.mark.parametrize("case", ELEMENTWISE_CASES, ids=case_id)
def test_no_warning_at_extremes(case, dtype):
    name, params = case
    info = np.finfo(dtype)
    x = np.array([info.max, -info.max, np.inf, -np.inf, np.nan, 1e4, -1e4, 100.0, -100.0, 800.0,
                  -800.0, info.smallest_subnormal, -info.smallest_subnormal, 0.0, -0.0], dtype)
    _, caught = call_recording(name, x, "no NumPy warnings at extreme inputs", **params)
    assert not caught, (
        f"{label(name, params)} must not make NumPy warn for any input; on {show(x)} it said "
        f"{sorted(set(caught))}")


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
def test_softplus_with_beta_zero_is_inf_as_pytorch(dtype):
    x = np.array([-30.0, -1.0, 0.0, 2.0, 1e4], dtype)
    got, caught = call_recording("softplus", x, "beta = 0 (log(2) / 0)", beta=0.0)
    assert not caught, f"softplus(beta=0) must not warn: {caught}"
    assert np.all(got == np.inf) and got.dtype == dtype, (
        f"softplus(x, beta=0) is log(2) / 0 = inf for every finite x (as PyTorch), got {show(got)}")
