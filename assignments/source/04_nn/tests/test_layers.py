"""Linear, Flatten, Identity, Dropout and the activation Modules: values, shapes, modes."""
import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import tinytorch
from tinytorch.core import activations
from tinytorch.core.nn import (
    ELU,
    GELU,
    Dropout,
    Flatten,
    Identity,
    LeakyReLU,
    Linear,
    LogSoftmax,
    Module,
    ReLU,
    Sequential,
    Sigmoid,
    SiLU,
    Softmax,
    Softplus,
    Tanh,
)
from tinytorch.core.tensor import Tensor


@given(st.integers(1, 9), st.integers(1, 9), st.sampled_from([(), (1,), (5,), (2, 3)]), st.booleans())
def test_linear_computes_x_times_weight_transposed_plus_bias(fan_in, fan_out, batch, bias):
    layer = Linear(fan_in, fan_out, bias=bias).double()
    assert layer.weight.shape == (fan_out, fan_in), \
        f"Linear({fan_in}, {fan_out}).weight has shape {layer.weight.shape}; PyTorch's is (out, in)"
    x = np.random.default_rng(fan_in * 10 + fan_out).normal(size=batch + (fan_in,))
    got = layer(Tensor(x))
    want = x @ layer.weight.data.T + (layer.bias.data if bias else 0)
    assert isinstance(got, Tensor) and got.shape == batch + (fan_out,)
    np.testing.assert_allclose(got.data, want, rtol=1e-14, atol=1e-15)


def test_linear_keeps_float32_and_accepts_dtype():
    layer = Linear(5, 3)
    assert layer.weight.dtype == np.float32 and layer.bias.dtype == np.float32
    assert layer(Tensor(np.ones((2, 5), np.float32))).dtype == np.float32
    assert Linear(5, 3, dtype=np.float64).weight.dtype == np.float64
    assert layer.weight.requires_grad and layer.bias.requires_grad


def test_manual_seed_repeats_the_weights():
    tinytorch.manual_seed(123)
    a = Linear(20, 10)
    tinytorch.manual_seed(123)
    b = Linear(20, 10)
    c = Linear(20, 10)
    assert np.array_equal(a.weight.data, b.weight.data) and np.array_equal(a.bias.data, b.bias.data)
    assert not np.array_equal(b.weight.data, c.weight.data), "two layers drew the same weights"
    assert not np.array_equal(a.weight.data[0], a.weight.data[1])


def test_flatten_and_identity_match_pytorch_shapes(torch):
    x = np.arange(2 * 3 * 4 * 5, dtype=np.float32).reshape(2, 3, 4, 5)
    for args in [(), (0,), (1, 2), (2, -1), (0, -2)]:
        got = Sequential(Flatten(*args), Identity(7, key="ignored"))(Tensor(x))
        want = torch.nn.Flatten(*args)(torch.from_numpy(x)).numpy()
        assert got.shape == want.shape and np.array_equal(got.data, want), f"Flatten{args}: {got.shape} vs {want.shape}"


@pytest.mark.parametrize("p", [0.1, 0.5, 0.8])
def test_dropout_drops_p_and_scales_the_survivors(p):
    tinytorch.manual_seed(1)
    n = 200_000
    x = Tensor(np.full(n, 3.0, np.float32))
    y = Dropout(p)(x).data
    dropped = np.mean(y == 0)
    assert abs(dropped - p) < 5 * math.sqrt(p * (1 - p) / n), f"Dropout({p}) dropped {dropped:.4f} of the elements"
    survivors = y[y != 0]
    np.testing.assert_allclose(survivors, 3.0 / (1 - p), rtol=1e-6,
                               err_msg=f"Dropout({p}) must scale survivors by 1/(1-p) = {1 / (1 - p):.4g}")
    assert y.dtype == np.float32 and y.shape == (n,) and np.all(x.data == 3.0), "input changed or dtype lost"


def test_dropout_masks_differ_between_calls_and_repeat_with_the_seed():
    x = Tensor(np.ones((50, 40)))
    drop = Dropout(0.5)
    tinytorch.manual_seed(5)
    first, second = drop(x).data, drop(x).data
    assert not np.array_equal(first, second), "every call must draw a new mask"
    tinytorch.manual_seed(5)
    assert np.array_equal(drop(x).data, first), "manual_seed must repeat the masks"


def test_dropout_is_the_identity_in_eval_and_at_the_edges():
    x = Tensor(np.random.default_rng(0).normal(size=(30, 30)))
    drop = Dropout(0.5)
    assert not np.array_equal(drop(x).data, x.data)
    drop.eval()
    assert np.array_equal(drop(x).data, x.data), "Dropout must do nothing in eval mode"
    drop.train()
    assert np.array_equal(Dropout(0.0)(x).data, x.data)
    assert not np.asarray(Dropout(1.0)(x).data).any(), "Dropout(1.0) drops everything"
    for bad in (-0.1, 1.5):
        with pytest.raises(ValueError, match="between 0 and 1"):
            Dropout(bad)
    assert repr(Dropout(0.3)) == "Dropout(p=0.3, inplace=False)"


ACTIVATIONS = [(ReLU, {}), (Sigmoid, {}), (Tanh, {}), (LeakyReLU, {"negative_slope": 0.2}), (ELU, {"alpha": 0.5}),
               (GELU, {"approximate": "tanh"}), (SiLU, {}), (Softplus, {"beta": 2.0}), (Softmax, {"dim": 0}),
               (LogSoftmax, {"dim": 1})]


@pytest.mark.parametrize("cls, params", ACTIVATIONS, ids=lambda v: getattr(v, "__name__", ""))
def test_activations_are_modules_with_module_02s_maths(cls, params):
    base = getattr(activations, cls.__name__)
    layer = cls(**params)
    assert isinstance(layer, Module)
    assert list(layer.parameters()) == [] and list(layer.named_parameters()) == [] and layer.state_dict() == {}
    assert list(layer.children()) == [] and list(layer.modules()) == [layer]
    assert layer.training and layer.eval() is layer and not layer.training and layer.train().training
    layer.zero_grad()
    assert repr(layer) == repr(base(**params)) == repr(cls(*params.values()))
    for name, value in params.items():
        assert getattr(layer, name) == value
    x = Tensor(np.random.default_rng(3).normal(size=(4, 5)), requires_grad=True)
    out = layer(x)
    np.testing.assert_array_equal(out.data, base(**params)(x.detach()).data)
    grad = Tensor(np.random.default_rng(4).normal(size=(4, 5)))
    out.backward(grad)
    reference = base(**params)
    reference(x.detach())
    np.testing.assert_array_equal(x.grad.data, reference.backward(grad).data)
    model = Sequential(Linear(5, 5), layer)
    assert model.eval() is model and not layer.training
    assert f"(1): {layer!r}" in repr(model) and list(model.children())[1] is layer


def test_the_pytorch_style_namespaces_hold_the_modules():
    import tinytorch.nn as nn
    import tinytorch.nn.init as init
    from tinytorch.core import nn as core

    layer = nn.Linear(4, 3)
    assert init.kaiming_normal_(layer.weight) is layer.weight
    for name in ["Module", "Parameter", "Linear", "Sequential", "Flatten", "Identity", "Dropout"]:
        assert getattr(nn, name) is getattr(core, name), f"tinytorch.nn.{name} is not tinytorch.core.nn.{name}"
    assert callable(tinytorch.manual_seed) and tinytorch.manual_seed(0) is tinytorch.default_generator
    # The activation names of tinytorch.nn are this module's Modules: one object from
    # construction to the model, as in PyTorch.
    act = nn.LeakyReLU(0.3)
    model = nn.Sequential(layer, act)
    assert model[1] is act and model.eval() is model and not act.training
    for cls, _ in ACTIVATIONS:
        assert getattr(nn, cls.__name__) is cls, f"tinytorch.nn.{cls.__name__} is not tinytorch.core.nn.{cls.__name__}"
        assert isinstance(getattr(nn, cls.__name__)(), nn.Module)
    x = Tensor(np.linspace(-2, 2, 8).reshape(2, 4).astype(np.float32))
    np.testing.assert_array_equal(model(x).data, activations.LeakyReLU(0.3)(layer(x)).data)


def test_module_02_instances_are_not_modules():
    model = Sequential(Linear(2, 2))
    model.act = activations.ReLU()  # a plain attribute, as PyTorch keeps what is not a Module
    assert list(model._modules) == ["0"] and [n for n, _ in model.named_modules()] == ["", "0"]
    for make in (
        lambda: Sequential(Linear(2, 2), activations.Tanh()),
        lambda: model.add_module("a", activations.Tanh()),
    ):
        with pytest.raises(TypeError, match=r"Tanh is not a Module subclass.*tinytorch\.nn\.Tanh"):
            make()

