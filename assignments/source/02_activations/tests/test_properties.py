"""Properties: the mathematics each function must obey, checked with hypothesis.

Each test states one identity or shape fact (symmetry, monotonicity, range, the
relations between functions). Hypothesis searches for an input that breaks it and
reports the smallest one it finds.
"""
import numpy as np
import pytest
from activation_cases import DTYPES, call, show
from activation_oracle.properties import decreasing, outside, symmetry_broken
from activation_oracle.specs import SPECS
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

# Finite floats of each dtype, moderately sized arrays of them.
FINITE = {d: st.floats(-1e4, 1e4, allow_nan=False, width=np.finfo(d).bits) for d in DTYPES}


def arrays(dtype, elements=None, min_size=1, max_size=32):
    return hnp.arrays(dtype, st.integers(min_size, max_size), elements=FINITE[dtype] if elements is None else elements)


def eps(dtype):
    return float(np.finfo(dtype).eps)


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
def test_sigmoid_point_symmetry(dtype):
    @given(arrays(dtype))
    def check(x):
        s, s_neg = call("sigmoid", x, "sigmoid(-x) = 1 - sigmoid(x)"), call("sigmoid", -x, "sigmoid(-x)")
        broken, law = symmetry_broken("complement", x, s, s_neg, dtype, slack_ulp=4)
        assert not broken.any(), (
            f"sigmoid must obey {law}: at x = {x[broken][0]!r}, f(x) = {s[broken][0]!r}, f(-x) = {s_neg[broken][0]!r}")
    check()


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
def test_sigmoid_at_zero(dtype):
    assert call("sigmoid", np.zeros(1, dtype), "sigmoid(0) = 0.5")[0] == 0.5, "sigmoid(0) must be 0.5"


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
def test_tanh_is_odd(dtype):
    @given(arrays(dtype, st.floats(allow_nan=False, width=np.finfo(dtype).bits)))
    def check(x):
        t, t_neg = call("tanh", x, "tanh(-x) = -tanh(x)"), call("tanh", -x, "tanh(-x)")
        assert np.all(t_neg == -t), (
            f"tanh must be odd: tanh(-x) = {show(t_neg)}, -tanh(x) = {show(-t)} for x = {show(x)}"
        )

    check()


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
def test_tanh_is_a_rescaled_sigmoid(dtype):
    @given(arrays(dtype, st.floats(-50, 50, width=np.finfo(dtype).bits)))
    def check(x):
        t = call("tanh", x, "tanh(x) = 2 sigmoid(2x) - 1").astype(np.float64)
        s2 = call("sigmoid", 2 * x, "sigmoid(2x)").astype(np.float64)
        gap = np.abs(t - (2 * s2 - 1))
        assert np.all(gap <= 8 * eps(dtype)), (
            f"tanh(x) must equal 2 sigmoid(2x) - 1: off by {gap.max():.3g} at x = {x[np.argmax(gap)]!r}")
    check()


MONOTONIC = [name for name, spec in SPECS.items() if spec.increasing_from is not None]


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@pytest.mark.parametrize("name", MONOTONIC)
def test_monotonic(name, dtype):
    # gelu and silu only increase to the right of their minimum (x > -0.75 and x > -1.28)
    low = max(SPECS[name].increasing_from, -1e4)
    elements = st.floats(low, 1e4, allow_nan=False, width=np.finfo(dtype).bits)

    @given(arrays(dtype, elements, min_size=2))
    def check(x):
        x = np.sort(x)
        y = call(name, x, "monotonic (non-decreasing)").astype(np.float64)
        bad = decreasing(y, dtype, slack_ulp=2)
        assert not bad.any(), (
            f"{name} must not decrease: f({x[:-1][bad][0]!r}) = {y[:-1][bad][0]!r} > "
            f"f({x[1:][bad][0]!r}) = {y[1:][bad][0]!r}")
    check()


RANGES = {name: spec.bounds for name, spec in SPECS.items()  # inclusive bounds over all finite inputs
          if spec.bounds and not spec.rowwise}


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@pytest.mark.parametrize("name", list(RANGES))
def test_range(name, dtype):
    low, high = RANGES[name]

    @given(arrays(dtype, st.floats(allow_nan=False, width=np.finfo(dtype).bits)))
    def check(x):
        y = call(name, x, f"range [{low}, {high}]")
        bad = outside(y, (low, high))
        assert not bad.any(), f"{name} must lie in [{low}, {high}]: {name}({x[bad][0]!r}) = {y[bad][0]!r}"
    check()


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
def test_relu_identity(dtype):
    @given(arrays(dtype))
    def check(x):
        r, r_neg = call("relu", x, "relu(x) - relu(-x) = x"), call("relu", -x, "relu(-x)")
        assert np.array_equal(r - r_neg, x), f"relu(x) - relu(-x) must be x for x = {show(x)}"
    check()


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
def test_silu_is_x_times_sigmoid(dtype):
    @given(arrays(dtype, st.floats(-80, 80, width=np.finfo(dtype).bits)))
    def check(x):
        y = call("silu", x, "silu(x) = x sigmoid(x)").astype(np.float64)
        s = call("sigmoid", x, "sigmoid(x)").astype(np.float64)
        want = x.astype(np.float64) * s
        gap = np.abs(y - want) / np.maximum(np.abs(want), np.finfo(dtype).tiny)
        assert np.all(gap <= 16 * eps(dtype)), (
            f"silu(x) must equal x sigmoid(x): relative gap {gap.max():.3g} at x = {x[np.argmax(gap)]!r}")
    check()


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
def test_softplus_derivative_is_sigmoid_and_exceeds_relu(dtype):
    @given(arrays(dtype, st.floats(-30, 30, width=np.finfo(dtype).bits)))
    def check(x):
        y = call("softplus", x, "softplus(x) >= relu(x)")
        assert np.all(y >= np.maximum(x, 0)), f"softplus must lie above relu: got {show(y)} for {show(x)}"
        # softplus(x) - softplus(-x) = x
        y_neg = call("softplus", -x, "softplus(x) - softplus(-x) = x").astype(np.float64)
        gap = np.abs(y.astype(np.float64) - y_neg - x)
        assert np.all(gap <= 8 * eps(dtype) * np.maximum(1, np.abs(x))), (
            f"softplus(x) - softplus(-x) must be x: off by {gap.max():.3g} at x = {x[np.argmax(gap)]!r}")
    check()


def rows(dtype, scale, grid=None):
    shape = st.tuples(st.integers(1, 6), st.integers(1, 12))
    if grid:  # multiples of 1/grid: shifting them by an integer is exact
        elements = st.integers(-int(scale * grid), int(scale * grid)).map(lambda k: k / grid)
    else:
        elements = st.floats(-scale, scale, width=np.finfo(dtype).bits)
    return hnp.arrays(dtype, shape, elements=elements)


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
def test_softmax_rows_sum_to_one(dtype):
    @given(rows(dtype, 1e4))
    def check(x):
        p = call("softmax", x, "rows sum to 1")
        total = p.astype(np.float64).sum(axis=-1)
        assert np.all((p >= 0) & (p <= 1)), f"softmax values must lie in [0, 1]: {show(p)}"
        assert np.all(np.abs(total - 1) <= 4 * x.shape[-1] * eps(dtype)), (
            f"softmax rows must sum to 1: sums {show(total)} for {show(x)}")
    check()


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
def test_softmax_shift_invariance(dtype):
    @given(rows(dtype, 30, grid=8), st.integers(-100, 100))
    def check(x, c):
        shifted = x + dtype.type(c)  # exact: multiples of 1/8 below 2^16
        p = call("softmax", x, "softmax(x + c) = softmax(x)").astype(np.float64)
        q = call("softmax", shifted, "softmax(x + c)").astype(np.float64)
        gap = np.abs(p - q)
        assert np.all(gap <= 32 * eps(dtype) * np.maximum(p, np.finfo(dtype).tiny) + 1e-30), (
            f"softmax(x + {c}) must equal softmax(x): off by {gap.max():.3g} for x = {show(x)}")
    check()


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
def test_log_softmax_is_log_of_softmax(dtype):
    @given(rows(dtype, 20))
    def check(x):
        lp = call("log_softmax", x, "log_softmax = log(softmax)").astype(np.float64)
        p = call("softmax", x, "softmax").astype(np.float64)
        gap = np.abs(lp - np.log(p))
        assert np.all(gap <= 64 * eps(dtype) * np.maximum(1, np.abs(lp))), (
            f"log_softmax must equal log(softmax) where both are accurate: off by {gap.max():.3g} "
            f"for x = {show(x)}")
        assert np.all(lp <= 0), f"log_softmax must be <= 0: {show(lp)}"
    check()
