"""Initialisation: PyTorch's distributions, tested as distributions (Kolmogorov-Smirnov).

Each init fills a weight of a shape with fan_in != fan_out (so a swapped fan shows);
the sample of its entries must be indistinguishable from PyTorch's own init of the
same shape (two-sample KS test) and from the exact distribution (one-sample KS test).
The seeds are fixed, so the p-values are the same every run; a wrong scale gives
p-values below 1e-100.
"""
import math

import numpy as np
import pytest
import scipy  # scipy.stats loads at its first use, once the learner's code has run

import tinytorch
from tinytorch.core import nn
from tinytorch.core.nn import Linear
from tinytorch.core.tensor import Tensor

P_MIN = 1e-4  # a correct init gives p-values of 0.01 and more with these seeds
SHAPE = (120, 300)  # (out, in): fan_in 300, fan_out 120


def ks_same(ours, theirs, what):
    result = scipy.stats.ks_2samp(np.ravel(ours), np.ravel(theirs))
    assert result.pvalue > P_MIN, (f"{what}: your values do not follow PyTorch's distribution "
                                   f"(KS statistic {result.statistic:.3f}, p = {result.pvalue:.2g}); "
                                   f"yours: std {np.std(ours):.4g}, max {np.max(np.abs(ours)):.4g}; PyTorch's: "
                                   f"std {np.std(theirs):.4g}, max {np.max(np.abs(theirs)):.4g}")


def ks_exact(values, cdf, what):
    result = scipy.stats.kstest(np.ravel(values), cdf)
    assert result.pvalue > P_MIN, f"{what}: not the expected distribution (p = {result.pvalue:.2g})"


def linear_samples():
    """The weights of three Linear(300, 40) and the biases of 150, from seed 0."""
    tinytorch.manual_seed(0)
    weights = np.concatenate([Linear(300, 40).weight.data.ravel() for _ in range(3)])
    return weights, np.concatenate([Linear(300, 40).bias.data for _ in range(150)])


def test_linear_default_init_is_uniform_within_one_over_sqrt_fan_in():
    weights, biases = linear_samples()
    bound = 1 / math.sqrt(300)
    uniform = scipy.stats.uniform(-bound, 2 * bound).cdf
    ks_exact(weights, uniform, "Linear(300, 40).weight vs U(-1/sqrt(300), 1/sqrt(300))")
    ks_exact(biases, uniform, "Linear(300, 40).bias vs U(-1/sqrt(300), 1/sqrt(300))")


def test_linear_default_init_is_pytorchs(torch):
    weights, biases = linear_samples()  # the learner's layers first: PyTorch loads only once they exist
    torch.manual_seed(0)
    theirs_w = np.concatenate([torch.nn.Linear(300, 40).weight.detach().numpy().ravel() for _ in range(3)])
    theirs_b = np.concatenate([torch.nn.Linear(300, 40).bias.detach().numpy() for _ in range(150)])
    ks_same(weights, theirs_w, "Linear(300, 40).weight")
    ks_same(biases, theirs_b, "Linear(300, 40).bias")


CASES = [
    ("xavier_uniform_", {}), ("xavier_uniform_", {"gain": 2.0}), ("xavier_normal_", {}),
    ("xavier_normal_", {"gain": 0.5}),
    ("kaiming_uniform_", {}), ("kaiming_uniform_", {"a": math.sqrt(5)}),
    ("kaiming_uniform_", {"mode": "fan_out", "nonlinearity": "relu"}),
    ("kaiming_normal_", {"nonlinearity": "relu"}), ("kaiming_normal_", {"mode": "fan_out", "nonlinearity": "tanh"}),
    ("kaiming_normal_", {"a": 0.2, "nonlinearity": "leaky_relu"}),
    ("kaiming_normal_", {"nonlinearity": "sigmoid"}),
]


def stated_distribution(name, params):
    """What each init documents, as PyTorch states it: the std is gain * sqrt(2 / (fan_in +
    fan_out)) for Xavier and gain / sqrt(fan) for Kaiming (gain 1 for linear, 5/3 for tanh,
    sqrt(2 / (1 + a^2)) for leaky_relu, a = 0 being relu's sqrt(2)); a uniform init spans
    +-sqrt(3) std."""
    fan_in, fan_out = SHAPE[1], SHAPE[0]
    if name.startswith("xavier"):
        std = params.get("gain", 1.0) * math.sqrt(2.0 / (fan_in + fan_out))
    else:
        a = params.get("a", 0.0)
        gain = {"relu": math.sqrt(2.0), "leaky_relu": math.sqrt(2.0 / (1 + a * a)), "tanh": 5 / 3,
                "sigmoid": 1.0}[params.get("nonlinearity", "leaky_relu")]
        std = gain / math.sqrt(fan_out if params.get("mode") == "fan_out" else fan_in)
    if name.endswith("uniform_"):
        return scipy.stats.uniform(-math.sqrt(3.0) * std, 2 * math.sqrt(3.0) * std)
    return scipy.stats.norm(0.0, std)


@pytest.mark.parametrize("name, params", CASES, ids=lambda v: str(v))
def test_init_follows_its_stated_distribution(name, params):
    tinytorch.manual_seed(1)
    weight = Tensor(np.zeros(SHAPE))
    getattr(nn, name)(weight, **params)
    ks_exact(weight.data, stated_distribution(name, params).cdf, f"{name}({params}) on a weight of shape {SHAPE}")


@pytest.mark.parametrize("name, params", CASES, ids=lambda v: str(v))
@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
def test_init_follows_pytorchs_distribution(torch, name, params, dtype):
    tinytorch.manual_seed(1)
    weight = Tensor(np.zeros(SHAPE, dtype))
    array = weight.data
    assert getattr(nn, name)(weight, **params) is weight, f"{name} must return the tensor it filled"
    torch.manual_seed(1)
    assert weight.data is array and weight.dtype == dtype, f"{name} must fill the tensor in place, keeping its dtype"
    theirs = getattr(torch.nn.init, name)(torch.zeros(SHAPE, dtype=torch.float64), **params).numpy()
    ks_same(weight.data, theirs, f"{name}({params}) on a weight of shape {SHAPE}")


def test_fans_and_gains_follow_pytorch(torch):
    shapes = [(3, 5), (7, 2, 3), (4, 6, 2, 2)]
    ours = [nn._calculate_fan_in_and_fan_out(Tensor(np.zeros(shape))) for shape in shapes]  # before PyTorch loads
    from torch.nn.init import _calculate_fan_in_and_fan_out as torch_fans

    for shape, fans in zip(shapes, ours):
        assert fans == torch_fans(torch.zeros(shape)), shape
    with pytest.raises(ValueError, match="fewer than 2 dimensions"):
        nn.xavier_uniform_(Tensor(np.zeros(5)))
    for name, param in [("linear", None), ("sigmoid", None), ("tanh", None), ("relu", None), ("selu", None),
                        ("leaky_relu", None), ("leaky_relu", 0.2), ("conv2d", None)]:
        assert nn.calculate_gain(name, param) == pytest.approx(torch.nn.init.calculate_gain(name, param), rel=1e-15)
        if name != "selu":
            a = param or 0  # kaiming's negative slope defaults to 0, calculate_gain's to 0.01
            want = torch.nn.init.calculate_gain(name, a) / math.sqrt(5)
            assert nn._kaiming_std(Tensor(np.zeros((2, 5))), a, "fan_in", name) == pytest.approx(want), name
    with pytest.raises(ValueError):
        nn.kaiming_uniform_(Tensor(np.zeros((2, 2))), mode="fan_both")


def test_simple_fills_write_in_place():
    tinytorch.manual_seed(2)
    t = Tensor(np.zeros((200, 300), np.float32))
    nn.uniform_(t, -2.0, 3.0)
    ks_exact(t.data, scipy.stats.uniform(-2, 5).cdf, "uniform_(t, -2, 3)")
    nn.normal_(t, 1.0, 0.5)
    ks_exact(t.data, scipy.stats.norm(1.0, 0.5).cdf, "normal_(t, 1, 0.5)")
    assert t.dtype == np.float32
    assert not nn.zeros_(t).data.any() and np.all(nn.ones_(t).data == 1) and np.all(nn.constant_(t, 0.25).data == 0.25)
    # kaiming_uniform_ with a = sqrt(5) is PyTorch's own Linear init
    linear_init = scipy.stats.uniform(-1 / math.sqrt(300), 2 / math.sqrt(300)).cdf
    ks_exact(nn.kaiming_uniform_(t, a=math.sqrt(5)).data, linear_init,
             "kaiming_uniform_(a=sqrt(5)), PyTorch's Linear init")
