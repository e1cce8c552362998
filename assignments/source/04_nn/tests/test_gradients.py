"""Gradients through the layers (autograd, module 03), against PyTorch in float64."""
import numpy as np
import pytest

import tinytorch
from tinytorch.core.autograd import no_grad
from tinytorch.core.nn import (
    ELU,
    GELU,
    Dropout,
    Flatten,
    LeakyReLU,
    Linear,
    LogSoftmax,
    ReLU,
    Sequential,
    Sigmoid,
    SiLU,
    Softmax,
    Softplus,
    Tanh,
)
from tinytorch.core.tensor import Tensor

RTOL = 1e-10


def close(what, got, want, rtol=RTOL):
    got, want = np.asarray(got), np.asarray(want)
    assert got.shape == want.shape, f"{what}: shape {got.shape}, PyTorch's {want.shape}"
    error = np.max(np.abs(got - want)) / max(np.max(np.abs(want)), 1e-300)
    assert error <= rtol, f"{what}: relative error {error:.3g} against PyTorch (allowed {rtol:g})"


def torch_copy(torch, model):
    """The same model in PyTorch, float64, with our weights."""
    nn = torch.nn
    layers = []
    for layer in model:
        if isinstance(layer, Linear):
            layers.append(nn.Linear(layer.in_features, layer.out_features, bias=layer.bias is not None))
        else:
            layers.append(getattr(nn, type(layer).__name__)())
    theirs = nn.Sequential(*layers).double()
    theirs.load_state_dict({k: torch.from_numpy(v) for k, v in model.state_dict().items()})
    return theirs


def test_linear_gradients_match_pytorch(torch):
    tinytorch.manual_seed(0)
    layer = Linear(7, 5).double()
    x = Tensor(np.random.default_rng(0).normal(size=(4, 7)), requires_grad=True)
    upstream = np.random.default_rng(1).normal(size=(4, 5))
    layer(x).backward(Tensor(upstream))
    theirs = torch_copy(torch, Sequential(layer))[0]
    tx = torch.from_numpy(x.data.copy()).requires_grad_()
    theirs(tx).backward(torch.from_numpy(upstream))
    close("Linear: weight.grad", layer.weight.grad.data, theirs.weight.grad.numpy())
    close("Linear: bias.grad", layer.bias.grad.data, theirs.bias.grad.numpy())
    close("Linear: input grad", x.grad.data, tx.grad.numpy())
    assert layer.weight.grad.shape == (5, 7) and layer.bias.grad.shape == (5,)


def test_mlp_gradients_match_pytorch(torch):
    tinytorch.manual_seed(1)
    model = Sequential(Flatten(), Linear(784, 256), ReLU(), Linear(256, 128), Tanh(), Linear(128, 10)).double()
    theirs = torch_copy(torch, model)
    x = np.random.default_rng(2).normal(size=(64, 1, 28, 28))
    upstream = np.random.default_rng(3).normal(size=(64, 10))
    model(Tensor(x)).backward(Tensor(upstream))
    theirs(torch.from_numpy(x)).backward(torch.from_numpy(upstream))
    for (name, p), q in zip(model.named_parameters(), theirs.parameters()):
        assert p.grad is not None, f"{name}.grad is None after backward()"
        close(f"MLP: {name}.grad", p.grad.data, q.grad.numpy())


def test_gradients_accumulate_until_zero_grad():
    layer = Linear(3, 2).double()
    x = Tensor(np.ones((1, 3)))
    layer(x).sum().backward()
    first = layer.weight.grad.data.copy()
    layer(x).sum().backward()
    np.testing.assert_allclose(layer.weight.grad.data, 2 * first, rtol=1e-15)
    layer.zero_grad()
    assert layer.weight.grad is None and layer.bias.grad is None
    with no_grad():
        out = layer(x)
    assert not out.requires_grad, "under no_grad a layer's output records nothing"


def test_zero_grad_without_none_zeroes_each_gradient_in_place():
    layer = Linear(3, 2).double()
    layer(Tensor(np.ones((1, 3)))).sum().backward()
    grad, array = layer.weight.grad, layer.weight.grad.data
    layer.zero_grad(set_to_none=False)
    assert layer.weight.grad is grad and grad.data is array, "set_to_none=False zeroes the same gradient, as PyTorch"
    assert not array.any() and not layer.bias.grad.data.any()


def test_dropout_sends_the_gradient_through_the_survivors_only():
    tinytorch.manual_seed(3)
    x = Tensor(np.full((40, 50), 2.0), requires_grad=True)
    y = Dropout(0.3)(x)
    y.backward(Tensor(np.ones((40, 50))))
    mask = y.data / 2.0
    assert set(np.unique(np.round(mask, 12))) <= {0.0, round(1 / 0.7, 12)}
    np.testing.assert_allclose(x.grad.data, mask, rtol=1e-15)


ACTIVATIONS = [(ReLU, {}, "relu"), (Sigmoid, {}, "sigmoid"), (Tanh, {}, "tanh"),
               (LeakyReLU, {"negative_slope": 0.2}, "leaky_relu"), (ELU, {"alpha": 0.5}, "elu"),
               (GELU, {"approximate": "tanh"}, "gelu"), (SiLU, {}, "silu"), (Softplus, {"beta": 2.0}, "softplus"),
               (Softmax, {"dim": 0}, "softmax"), (LogSoftmax, {"dim": 1}, "log_softmax")]


@pytest.mark.parametrize("cls, params, name", ACTIVATIONS, ids=lambda v: v if isinstance(v, str) else "")
def test_activation_modules_are_differentiable(torch, cls, params, name):
    model = Sequential(Linear(5, 5).double(), cls(**params))
    x = Tensor(np.random.default_rng(4).normal(size=(4, 5)), requires_grad=True)
    upstream = np.random.default_rng(5).normal(size=(4, 5))
    model(x).backward(Tensor(upstream))
    theirs = torch.nn.Linear(5, 5).double()
    theirs.load_state_dict({k: torch.from_numpy(v) for k, v in model[0].state_dict().items()})
    tx = torch.from_numpy(x.data.copy()).requires_grad_()
    getattr(torch.nn.functional, name)(theirs(tx), **params).backward(torch.from_numpy(upstream))
    close(f"{cls.__name__}: input grad through Linear and the activation", x.grad.data, tx.grad.numpy(), rtol=1e-9)
    close(f"{cls.__name__}: weight grad", model[0].weight.grad.data, theirs.weight.grad.numpy(), rtol=1e-9)
