"""The API contract: dtypes, shapes, no mutation, classes, and the PyTorch-style namespaces."""
import functools
import inspect

import numpy as np
import pytest
from activation_cases import ALL_FUNCTIONS, CLASS_OF, DTYPES, call, function, guarded, layer_class, show

from tinytorch.core.tensor import Tensor


@pytest.mark.parametrize("dtype", DTYPES + [np.dtype(np.int64), np.dtype(np.int32), np.dtype(bool)], ids=str)
@pytest.mark.parametrize("name", ALL_FUNCTIONS)
def test_dtype_rules(name, dtype):
    x = np.array([[-2, 0, 1], [3, -1, 2]]).astype(dtype)
    got = call(name, x, "dtype of the result")
    if dtype.kind == "f":
        want = dtype
    elif name == "relu" and dtype.kind in "iu":
        want = dtype
    else:
        want = np.dtype(np.float32)
    assert got.dtype == want, f"{name} on {dtype} input must return {want}, got {got.dtype}"


def test_leaky_relu_keeps_integers_when_the_slope_allows():
    x = np.array([-3, 0, 4], np.int64)
    got = call("leaky_relu", x, "integer input with a whole-number slope", negative_slope=2)
    assert got.dtype == np.int64 and np.array_equal(got, [-6, 0, 4]), f"got {show(got)}"
    got = call("leaky_relu", x, "integer input with a fractional slope", negative_slope=0.5)
    assert got.dtype == np.float32 and np.array_equal(got, [-1.5, 0, 4]), f"got {show(got)}"


SHAPES = [(), (0,), (1,), (7,), (2, 0, 3), (3, 4), (2, 3, 4), (70_001,)]


@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("name", ALL_FUNCTIONS)
def test_shape_is_kept(name, shape):
    call(name, np.ones((2, 3), np.float32), "a 2 x 3 input before the others")
    x = np.random.default_rng(1).normal(0, 3, shape).astype(np.float32)
    got = call(name, x, f"shape {shape} in, the same shape out")
    assert got.shape == x.shape, f"{name}: input shape {x.shape} gave output shape {got.shape}"
    if x.size and name not in ("softmax", "log_softmax"):
        one_by_one = np.array([call(name, v, "elementwise: each element on its own")
                               for v in x.reshape(-1)[:5]])
        assert np.array_equal(got.reshape(-1)[:5], one_by_one.reshape(-1), equal_nan=True), (
            f"{name} must act on each element independently")


def test_softmax_of_a_single_number():
    assert call("softmax", np.float32(3.0), "0-d input") == 1.0
    assert call("log_softmax", np.float32(3.0), "0-d input") == 0.0


@pytest.mark.parametrize("name", ALL_FUNCTIONS)
def test_input_is_not_mutated(name):
    x = np.array([[-1e4, -3.0, -0.0, np.nan], [0.5, 2.0, np.inf, -np.inf]], np.float32)
    before = x.copy()
    tensor = Tensor(x)
    call_result = guarded(name, x, lambda: function(name)(tensor), "no mutation of the input")
    assert np.array_equal(tensor.data, before, equal_nan=True) and np.array_equal(
        np.signbit(tensor.data), np.signbit(before)), f"{name} changed its input: {show(tensor.data)}"
    assert call_result.data is not tensor.data, f"{name} must return a new array, not its input"


def test_functions_take_pytorch_keywords():
    from activation_oracle.specs import SPECS

    for name, defaults in ((n, s.defaults) for n, s in SPECS.items() if s.defaults):
        signature = inspect.signature(function(name))
        for keyword, default in defaults.items():
            assert keyword in signature.parameters, f"{name} needs the keyword argument {keyword!r}"
            assert signature.parameters[keyword].default == default, (
                f"{name}: {keyword} defaults to {default!r} in PyTorch")
        # Spelling the defaults out must change nothing.
        x = np.array([[-2.0, -0.5, 0.0, 0.5, 2.0]], np.float32)
        implicit = call(name, x, "the default arguments")
        explicit = call(name, x, f"keyword arguments {defaults}", **defaults)
        assert np.array_equal(implicit, explicit, equal_nan=True), (
            f"{name}({show(x)}, **{defaults}) gave {show(explicit)}, but with the defaults left out {show(implicit)}")


REPRS = {
    "relu": ({}, "ReLU()"), "sigmoid": ({}, "Sigmoid()"), "tanh": ({}, "Tanh()"),
    "leaky_relu": ({}, "LeakyReLU(negative_slope=0.01)"), "elu": ({}, "ELU(alpha=1.0)"),
    "gelu": ({}, "GELU(approximate='none')"), "silu": ({}, "SiLU()"),
    "softplus": ({}, "Softplus(beta=1.0, threshold=20.0)"), "softmax": ({}, "Softmax(dim=-1)"),
    "log_softmax": ({}, "LogSoftmax(dim=-1)"),
}


@pytest.mark.parametrize("name", ALL_FUNCTIONS)
def test_layer_repr_parameters_and_call(name):
    params, text = REPRS[name]
    layer = layer_class(name)(**params)
    assert repr(layer) == text, f"repr of {CLASS_OF[name]} must be {text!r}, got {repr(layer)!r}"
    assert layer.parameters() == [], f"{CLASS_OF[name]}.parameters() must be [] (no weights)"
    x = np.random.default_rng(2).normal(size=(2, 3)).astype(np.float32)
    via_call = guarded(CLASS_OF[name], x, lambda: layer(Tensor(x)), "calling the layer")
    assert isinstance(via_call, Tensor), f"{CLASS_OF[name]}(x) must return a Tensor"
    assert np.array_equal(via_call.data, call(name, x, "the layer equals the function"), equal_nan=True)


def test_layer_arguments_are_used():
    from tinytorch.core.activations import ELU, GELU, LeakyReLU, LogSoftmax, Softmax, Softplus

    assert repr(LeakyReLU(0.2)) == "LeakyReLU(negative_slope=0.2)"
    assert repr(GELU(approximate="tanh")) == "GELU(approximate='tanh')"
    assert repr(Softplus(beta=2.0, threshold=10.0)) == "Softplus(beta=2.0, threshold=10.0)"
    x = Tensor(np.array([[-1.0, 0.5], [2.0, -3.0]], np.float32))
    checks = [
        (LeakyReLU(0.2), call("leaky_relu", x.data, "LeakyReLU(0.2)", negative_slope=0.2)),
        (ELU(alpha=2.0), call("elu", x.data, "ELU(alpha=2.0)", alpha=2.0)),
        (GELU(approximate="tanh"), call("gelu", x.data, "GELU(tanh)", approximate="tanh")),
        (Softplus(beta=2.0), call("softplus", x.data, "Softplus(beta=2)", beta=2.0)),
        (Softmax(dim=0), call("softmax", x.data, "Softmax(dim=0)", dim=0)),
        (LogSoftmax(dim=0), call("log_softmax", x.data, "LogSoftmax(dim=0)", dim=0)),
    ]
    for layer, want in checks:
        got = guarded(repr(layer), x.data, functools.partial(layer, x), "the layer's arguments").data
        assert np.array_equal(got, want), f"{layer!r} must pass its arguments on: {show(got)} vs {show(want)}"


def test_bad_arguments_are_clear_errors():
    call("gelu", np.array([1.0], np.float32), "gelu before its bad arguments")
    call("softmax", np.array([[1.0, 2.0]], np.float32), "softmax before its bad arguments")
    with pytest.raises(ValueError, match="approximate"):
        function("gelu")(Tensor([1.0]), approximate="fast")
    with pytest.raises(IndexError):
        function("softmax")(Tensor([[1.0, 2.0]]), dim=2)


@pytest.mark.parametrize("dtype", ["float16", "longdouble"])
@pytest.mark.parametrize("name", ALL_FUNCTIONS)
def test_other_float_dtypes_are_a_clear_type_error(name, dtype):
    call(name, np.array([-1.0, 0.5], np.float32), "float32 before the other dtypes")
    x = Tensor(np.array([-12.0, 0.5, 3.0]).astype(dtype))
    with pytest.raises(TypeError, match="float32"):
        function(name)(x)
    with pytest.raises(TypeError, match="float32"):
        function(name + "_backward")(x.data, x.data)
