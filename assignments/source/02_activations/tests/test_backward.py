"""Backward: every gradient against the exact derivative, central differences and the
conventions at the kinks.

backward(grad_output) must return grad_output times f'(x) for the input x of the last
forward. The checks use grad_output = 1 (so the result is f'(x) itself) and random
grad_output (so the chain rule is really applied).
"""
import numpy as np
import pytest
from activation_cases import (
    CLASS_OF,
    DTYPES,
    ELEMENTWISE_CASES,
    case_id,
    guarded,
    label,
    layer_class,
    run_backward,
    show,
    worst_message,
)
from activation_oracle import reference_grad, standard_inputs
from activation_oracle.specs import SPECS
from activation_oracle.tolerances import GRAD_RELATIVE

KINKS = {name for name, spec in SPECS.items() if spec.kinks}


def central_difference(name, x, params):
    """(f(x + h) - f(x - h)) / 2h in float64, h relative to x."""
    h = 1e-6 * np.maximum(1.0, np.abs(x))
    plus, _ = run_backward(name, x + h, np.ones_like(x), "central difference f(x + h)", **params)
    minus, _ = run_backward(name, x - h, np.ones_like(x), "central difference f(x - h)", **params)
    return (plus - minus) / (2 * h)


@pytest.mark.parametrize("case", ELEMENTWISE_CASES, ids=case_id)
def test_backward_matches_central_differences(case):
    name, params = case
    x = np.linspace(-8, 8, 401)
    if name in KINKS:
        x = x[np.abs(x) > 1e-3]  # the kink itself is a convention, tested below
    _, grad = run_backward(name, x, np.ones_like(x), "backward vs central differences", **params)
    numeric = central_difference(name, x, params)
    error = np.abs(grad - numeric) / np.maximum(np.abs(numeric), 1e-3)
    assert np.all(error <= 1e-6), worst_message(
        f"{label(name, params)} backward vs central differences (relative 1e-6, float64)",
        error, np.ones(x.shape, bool), x, grad, numeric, "relative error")


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@pytest.mark.parametrize("case", ELEMENTWISE_CASES, ids=case_id)
def test_backward_matches_exact_derivative(case, dtype):
    name, params = case
    x = standard_inputs(dtype)
    x = x[np.abs(x.astype(np.float64)) <= 1e6]  # where both forward formulas are exercised
    _, grad = run_backward(name, x, np.ones_like(x), "backward vs the exact derivative", **params)
    assert grad.shape == x.shape and grad.dtype == dtype, (
        f"{CLASS_OF[name]}.backward: gradient shape {grad.shape} dtype {grad.dtype} for {x.shape} {dtype}")
    hi, _ = reference_grad(name, x, **params)
    # relative error, with an absolute floor of 4 eps: derivatives from a saved output
    # (sigmoid, tanh) are exact only up to the rounding of that output
    eps = float(np.finfo(dtype).eps)
    error = np.abs(grad.astype(np.float64) - hi) / (np.abs(hi) + 4 * eps / GRAD_RELATIVE[dtype])
    finite = np.isfinite(x)
    assert np.all(error[finite] <= GRAD_RELATIVE[dtype]), worst_message(
        f"{label(name, params)} backward in {dtype} vs f'(x) (relative {GRAD_RELATIVE[dtype]:g})",
        error, finite, x, grad, hi, "x tolerance")


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@pytest.mark.parametrize("case", ELEMENTWISE_CASES, ids=case_id)
def test_backward_applies_the_chain_rule(case, dtype):
    name, params = case
    rng = np.random.default_rng(5)
    x = rng.normal(0, 4, 64).astype(dtype)
    g = rng.normal(0, 1, 64).astype(dtype)
    _, ones = run_backward(name, x, np.ones_like(x), "backward with grad_output = 1", **params)
    _, scaled = run_backward(name, x, g, "backward = grad_output * f'(x)", **params)
    want = ones.astype(np.float64) * g
    # g * f'(x) and f'(x) computed with g inside agree to rounding of f' (absolute, as
    # in the exact-derivative test: g - g t^2 is as right as g (1 - t^2))
    allowed = np.abs(want) + np.abs(g.astype(np.float64)) + np.finfo(dtype).tiny
    error = np.abs(scaled - want) / allowed
    assert np.all(error <= 4 * np.finfo(dtype).eps), worst_message(
        f"{CLASS_OF[name]}.backward(g) must be g * f'(x)", error, np.ones(x.shape, bool), x,
        scaled, want, "relative error")


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@pytest.mark.parametrize("case", ELEMENTWISE_CASES, ids=case_id)
def test_backward_finite_at_extremes(case, dtype):
    name, params = case
    x = np.array([-1e4, 1e4, -np.finfo(dtype).max, np.finfo(dtype).max, -np.inf, np.inf], dtype)
    _, grad = run_backward(name, x, np.ones_like(x), "backward at ±1e4, ±max and ±inf", **params)
    hi, _ = reference_grad(name, x, **params)
    assert np.all(np.isfinite(grad)), f"{label(name, params)} backward must be finite at {show(x)}: got {show(grad)}"
    assert np.allclose(grad, hi, rtol=1e-6, atol=0), (
        f"{label(name, params)} backward at {show(x)} must be {show(hi)} (the limits of f'), got {show(grad)}")


KINK_CONVENTIONS = [(name, params, slope)  # f'(0) and f'(-0), as PyTorch
                    for name, spec in SPECS.items() for params, slope in spec.kinks]


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@pytest.mark.parametrize("name,params,want", KINK_CONVENTIONS, ids=[case_id(k[:2]) for k in KINK_CONVENTIONS])
def test_kink_conventions(name, params, want, dtype):
    x = np.array([0.0, -0.0], dtype)
    _, grad = run_backward(name, x, np.ones_like(x), "the derivative at the kink x = 0", **params)
    assert np.all(grad == np.asarray(want, dtype)), (
        f"{label(name, params)}: f'(0) is {want} by PyTorch's convention, got {show(grad)}")


def rowwise_jacobian_check(name, x, g, dim):
    """backward(g) against d/dx (g . f(x)), by central differences in float64."""
    _, grad = run_backward(name, x, g, f"{name} backward vs central differences", dim=dim)
    numeric = np.empty_like(x)
    h = 1e-6
    for index in np.ndindex(x.shape):
        step = np.zeros_like(x)
        step[index] = h
        plus, _ = run_backward(name, x + step, g, "f(x + h)", dim=dim)
        minus, _ = run_backward(name, x - step, g, "f(x - h)", dim=dim)
        numeric[index] = np.sum(g * (plus - minus)) / (2 * h)
    error = np.abs(grad - numeric) / np.maximum(np.abs(numeric), 1e-3)
    assert np.all(error <= 1e-6), worst_message(
        f"{name} backward (dim={dim}) vs central differences: the full Jacobian, off-diagonal "
        "terms included", error, np.ones(x.shape, bool), x, grad, numeric, "relative error")


@pytest.mark.parametrize("dim", [-1, 0])
@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
def test_rowwise_backward_matches_central_differences(name, dim):
    rng = np.random.default_rng(7)
    x = rng.normal(0, 2, (3, 5))
    g = rng.normal(0, 1, (3, 5))
    rowwise_jacobian_check(name, x, g, dim)


@pytest.mark.parametrize("name", list(CLASS_OF))
def test_backward_before_forward_is_a_runtime_error(name):
    layer = layer_class(name)()
    with pytest.raises(RuntimeError):
        layer.backward(np.ones(3, np.float32))
    # ...and after a forward the same layer's backward works.
    x = np.array([-1.0, 0.5, 2.0], np.float32)
    y, g = run_backward(name, x, np.ones_like(x), "backward once forward has run")
    assert y.shape == g.shape == x.shape, f"{CLASS_OF[name]}: forward {y.shape}, backward {g.shape} for input {x.shape}"


@pytest.mark.parametrize("name", list(CLASS_OF))
def test_backward_uses_the_latest_forward(name):
    rng = np.random.default_rng(11)
    first, second = rng.normal(size=(2, 6)), rng.normal(size=(2, 6))
    _, want = run_backward(name, second, np.ones_like(second), "backward after one forward")
    from tinytorch.core.tensor import Tensor

    layer = layer_class(name)()
    layer(Tensor(first))
    layer(Tensor(second))
    got = layer.backward(Tensor(np.ones_like(second))).data
    assert np.array_equal(got, want), f"{CLASS_OF[name]}.backward must use the most recent forward's input"


@pytest.mark.parametrize("name", list(CLASS_OF))
def test_backward_does_not_mutate(name):
    from tinytorch.core.tensor import Tensor

    rng = np.random.default_rng(13)
    x = rng.normal(0, 3, (4, 5))
    g = rng.normal(size=(4, 5))
    x_copy, g_copy = x.copy(), g.copy()
    layer = layer_class(name)()
    xt, gt = Tensor(x), Tensor(g)
    def forward_and_backward():
        layer(xt)
        return layer.backward(gt)

    guarded(f"{CLASS_OF[name]} forward/backward", x, forward_and_backward,
            "no mutation of input or grad_output")
    assert np.array_equal(xt.data, x_copy) and np.array_equal(gt.data, g_copy), (
        f"{CLASS_OF[name]} must not change its input or grad_output")


@pytest.mark.parametrize("name", list(CLASS_OF))
def test_backward_rejects_a_wrong_shape(name):
    from tinytorch.core.tensor import Tensor

    layer = layer_class(name)()
    guarded(f"{CLASS_OF[name]} forward", np.ones((2, 3)), lambda: layer(Tensor(np.ones((2, 3)))),
            "backward with a grad_output of the wrong shape")
    with pytest.raises((ValueError, RuntimeError)):
        layer.backward(Tensor(np.ones((3, 2))))
