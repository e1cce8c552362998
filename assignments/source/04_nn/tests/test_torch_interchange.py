"""Weights move both ways: a TinyTorch MLP and the same torch.nn.Sequential, float64, 1e-12."""
import numpy as np

import tinytorch
from tinytorch.core.nn import Dropout, Flatten, Linear, ReLU, Sequential, Tanh
from tinytorch.core.tensor import Tensor

TOL = 1e-12


def ours():
    return Sequential(Flatten(), Linear(784, 256), ReLU(), Linear(256, 128), Tanh(), Dropout(0.2), Linear(128, 10))


def theirs(torch):
    nn = torch.nn
    return nn.Sequential(nn.Flatten(), nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 128), nn.Tanh(),
                         nn.Dropout(0.2), nn.Linear(128, 10))


def relative_error(got, want):
    return float(np.max(np.abs(got - want)) / np.max(np.abs(want)))


def test_same_keys_and_shapes_as_pytorch(torch):
    mine, yours = ours().state_dict(), theirs(torch).state_dict()
    assert list(mine) == list(yours), f"keys: {list(mine)} vs PyTorch's {list(yours)}"
    assert {k: v.shape for k, v in mine.items()} == {k: tuple(v.shape) for k, v in yours.items()}


def test_tinytorch_weights_load_into_pytorch_and_give_the_same_outputs(torch):
    tinytorch.manual_seed(0)
    model = ours().double().eval()
    torch_model = theirs(torch).double().eval()
    torch_model.load_state_dict({k: torch.from_numpy(v) for k, v in model.state_dict().items()})
    x = np.random.default_rng(0).normal(size=(16, 1, 28, 28))
    got = model(Tensor(x)).data
    want = torch_model(torch.from_numpy(x)).detach().numpy()
    assert got.dtype == np.float64 and relative_error(got, want) < TOL, relative_error(got, want)


def test_pytorch_weights_load_into_tinytorch_and_give_the_same_outputs(torch):
    torch.manual_seed(0)
    torch_model = theirs(torch).double().eval()
    model = ours().double().eval()
    result = model.load_state_dict(torch_model.state_dict())
    assert list(result.missing_keys) == [] and list(result.unexpected_keys) == []
    x = np.random.default_rng(1).normal(size=(16, 1, 28, 28))
    got = model(Tensor(x)).data
    want = torch_model(torch.from_numpy(x)).detach().numpy()
    assert relative_error(got, want) < TOL, relative_error(got, want)
    back = theirs(torch).double().eval()
    back.load_state_dict({k: torch.from_numpy(v) for k, v in model.state_dict().items()})
    for (name, a), b in zip(torch_model.state_dict().items(), back.state_dict().values()):
        assert torch.equal(a, b), f"{name} changed on the way TinyTorch -> PyTorch"
