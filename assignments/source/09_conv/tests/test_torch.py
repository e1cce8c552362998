"""Every layer against PyTorch in float64: conv2d, pooling and batch norm (values and every
gradient over hypothesis-generated options), a LeNet whose weights move both ways, and reprs."""
import numpy as np
import pytest
from conv_cases import close, conv_cases, data, pool_cases
from hypothesis import given
from hypothesis import strategies as st

import tinytorch
from tinytorch import nn
from tinytorch.core import conv
from tinytorch.core.tensor import Tensor


def both(torch, array, grad=True):
    """The same float64 array as a TinyTorch and a PyTorch leaf."""
    return Tensor(array.copy(), requires_grad=grad), torch.from_numpy(array.copy()).requires_grad_(grad)


def compare(what, ours, theirs, leaves, seed):
    """Values, then the gradients of every pair of leaves after the same upstream gradient."""
    close(f"{what}: value", ours.data, theirs.detach().numpy())
    g = data(ours.shape, seed)
    ours.backward(Tensor(g))
    theirs.backward(theirs.new_tensor(g))
    for name, (mine, yours) in leaves.items():
        assert mine.grad is not None, f"{what}: backward left the {name}'s gradient empty"
        close(f"{what}: gradient of the {name}", mine.grad.data, yours.grad.numpy())


@given(conv_cases(), st.booleans())
def test_convolution_matches_pytorch(torch, case, bias):
    x_shape, w_shape, stride, padding, dilation, groups = case
    x, tx = both(torch, data(x_shape, 0))
    w, tw = both(torch, data(w_shape, 1))
    b, tb = both(torch, data(w_shape[0], 2)) if bias else (None, None)
    leaves = {"input": (x, tx), "weight": (w, tw), **({"bias": (b, tb)} if bias else {})}
    compare(f"conv2d{case}", conv.conv2d(x, w, b, stride, padding, dilation, groups),
            torch.nn.functional.conv2d(tx, tw, tb, stride, padding, dilation, groups), leaves, 3)


@pytest.mark.parametrize("kernel, dilation", [((3, 3), 1), ((2, 2), 1), ((4, 3), 2), ((1, 2), 3)])
def test_padding_same_matches_pytorch(torch, kernel, dilation):
    x, tx = both(torch, data((2, 2, 7, 6), 0))
    w, tw = both(torch, data((3, 2, *kernel), 1))
    compare(
        f"conv2d(padding='same', kernel {kernel}, dilation {dilation})",
        conv.conv2d(x, w, padding="same", dilation=dilation),
        torch.nn.functional.conv2d(tx, tw, padding="same", dilation=dilation),
        {"input": (x, tx), "weight": (w, tw)},
        2,
    )


@given(pool_cases(), st.booleans())
def test_max_pool_matches_pytorch(torch, case, ties):
    shape, kernel, stride, padding, dilation, ceil_mode = case
    x, tx = both(torch, data(shape, 4, ties=ties))
    ours, where = conv.max_pool2d(x, kernel, stride, padding, dilation, ceil_mode, return_indices=True)
    theirs, their_where = torch.nn.functional.max_pool2d(tx, kernel, stride, padding, dilation, ceil_mode,
                                                         return_indices=True)
    what = f"max_pool2d(x of {shape}, {kernel}, {stride}, {padding}, {dilation}, ceil_mode={ceil_mode})"
    assert np.array_equal(where.data, their_where.numpy()), f"{what}: indices differ from PyTorch's"
    compare(what, ours, theirs, {"input": (x, tx)}, 5)


@given(pool_cases(dilation=False), st.booleans(), st.sampled_from([None, 2]))
def test_avg_pool_matches_pytorch(torch, case, count_include_pad, divisor_override):
    shape, kernel, stride, padding, _, ceil_mode = case
    x, tx = both(torch, data(shape, 6))
    options = (kernel, stride, padding, ceil_mode, count_include_pad, divisor_override)
    compare(f"avg_pool2d(x of {shape}, {options})", conv.avg_pool2d(x, *options),
            torch.nn.functional.avg_pool2d(tx, *options), {"input": (x, tx)}, 7)


@pytest.mark.parametrize("size", [1, (2, 3), (5, 4), (3, None), 7])
def test_adaptive_avg_pool_matches_pytorch(torch, size):
    x, tx = both(torch, data((2, 3, 9, 8), 8))
    close("AdaptiveAvgPool2d((3, 4)) against AvgPool2d((3, 2))", nn.AdaptiveAvgPool2d((3, 4))(x).data,
          nn.AvgPool2d((3, 2))(x).data)
    assert repr(nn.AdaptiveAvgPool2d(size)) == repr(torch.nn.AdaptiveAvgPool2d(size))
    compare(f"adaptive_avg_pool2d(x, {size})", conv.adaptive_avg_pool2d(x, size),
            torch.nn.functional.adaptive_avg_pool2d(tx, size), {"input": (x, tx)}, 9)


@pytest.mark.parametrize("name, shape, momentum", [("BatchNorm2d", (4, 3, 5, 4), 0.1), ("BatchNorm1d", (8, 3), None),
                                                   ("BatchNorm1d", (4, 3, 6), 0.3)])
def test_batch_normalization_layers_match_pytorch_over_training_then_eval(torch, name, shape, momentum):
    ours, theirs = (
        getattr(nn, name)(3, momentum=momentum).double(),
        getattr(torch.nn, name)(3, momentum=momentum).double(),
    )
    with torch.no_grad():
        theirs.weight.copy_(torch.from_numpy(data(3, 0)))
        theirs.bias.copy_(torch.from_numpy(data(3, 1)))
    ours.load_state_dict(theirs.state_dict())
    for step in range(4):
        if step == 3:
            ours.eval(), theirs.eval()
        ours.zero_grad(), theirs.zero_grad()
        x, tx = both(torch, 2 * data(shape, 10 + step) + step)
        compare(
            f"{name}(momentum={momentum}), step {step + 1} ({'eval' if step == 3 else 'train'})",
            ours(x),
            theirs(tx),
            {"input": (x, tx), "weight": (ours.weight, theirs.weight), "bias": (ours.bias, theirs.bias)},
            20 + step,
        )
        for key, value in theirs.state_dict().items():
            close(f"{name}: {key} after step {step + 1}", ours.state_dict()[key], value.numpy())


def lenet(module):
    return module.Sequential(
        module.Conv2d(1, 6, 5, padding=2, bias=False), module.BatchNorm2d(6), module.ReLU(), module.MaxPool2d(2),
        module.Conv2d(6, 16, 5), module.ReLU(), module.AvgPool2d(2), module.Flatten(),
        module.Linear(400, 120), module.ReLU(), module.Linear(120, 10))


def test_lenet_weights_move_both_ways_and_train_alike(torch):
    tinytorch.manual_seed(0)
    ours = lenet(nn).double()
    theirs = lenet(torch.nn).double()
    mine, yours = ours.state_dict(), theirs.state_dict()
    assert list(mine) == list(yours), f"state_dict keys {list(mine)}, PyTorch's {list(yours)}"
    assert all(mine[k].shape == tuple(v.shape) for k, v in yours.items())
    theirs.load_state_dict({k: torch.from_numpy(v) for k, v in mine.items()})
    x = data((8, 1, 28, 28), 1)
    for mode in ("train", "eval"):
        ours.train(mode == "train"), theirs.train(mode == "train")
        ours.zero_grad(), theirs.zero_grad()
        out, their_out = ours(Tensor(x)), theirs(torch.from_numpy(x))
        close(f"LeNet ({mode}) with TinyTorch's weights in PyTorch: output", out.data, their_out.detach().numpy(),
              rtol=1e-12)
        g = data(out.shape, 2)
        out.backward(Tensor(g))
        their_out.backward(torch.from_numpy(g))
        for (key, p), q in zip(ours.named_parameters(), theirs.parameters()):
            close(f"LeNet ({mode}): {key}.grad", p.grad.data, q.grad.numpy())
    back = lenet(nn).double()
    back.load_state_dict(theirs.state_dict())
    for key, value in theirs.state_dict().items():
        assert np.array_equal(back.state_dict()[key], value.numpy()), f"{key} changed on the way PyTorch -> TinyTorch"


LAYERS = [
    lambda m: m.Conv2d(1, 6, 5, padding=2),
    lambda m: m.Conv2d(3, 8, (3, 2), stride=2, dilation=2, groups=1, bias=False),
    lambda m: m.Conv2d(4, 4, 3, padding="same", groups=4),
    lambda m: m.Conv2d(2, 4, 3, padding="valid"),
    lambda m: m.MaxPool2d(2),
    lambda m: m.MaxPool2d(3, 2, 1, ceil_mode=True),
    lambda m: m.AvgPool2d(3, 2, 1),
    lambda m: m.AvgPool2d((2, 3)),
    lambda m: m.BatchNorm2d(16),
    lambda m: m.BatchNorm1d(8, eps=1e-3, momentum=None, affine=False),
    lambda m: m.BatchNorm2d(4, bias=False, track_running_stats=False),
]


@pytest.mark.parametrize("make", LAYERS)
def test_layers_print_as_pytorchs_and_compute_as_theirs(torch, make):
    ours, theirs = make(nn).double(), make(torch.nn).double()
    assert repr(ours) == repr(theirs)
    theirs.load_state_dict({k: torch.from_numpy(v) for k, v in ours.state_dict().items()})
    channels = getattr(ours, "in_channels", getattr(ours, "num_features", 4))
    x = data((3, channels, 7, 8) if type(ours).__name__ != "BatchNorm1d" else (5, channels), 11)
    close(f"{ours!r}: output", ours(Tensor(x)).data, theirs(torch.from_numpy(x)).detach().numpy())


def test_conv2d_init_spreads_as_pytorchs(torch):
    tinytorch.manual_seed(0)
    torch.manual_seed(0)
    for args in ((6, 400, 5), (64, 64, 3), (8, 400, 3, 1, 0, 1, 4)):
        ours, theirs = nn.Conv2d(*args), torch.nn.Conv2d(*args)
        assert ours(Tensor(np.zeros((1, args[0], 5, 5), np.float32))).shape == theirs(
            torch.zeros(1, args[0], 5, 5)).shape
        for name in ("weight", "bias"):
            mine, yours = getattr(ours, name).data, getattr(theirs, name).detach().numpy()
            assert mine.shape == yours.shape and mine.dtype == yours.dtype
            assert (
                abs(mine.std() / yours.std() - 1) < 0.15 and abs(np.abs(mine).max() / np.abs(yours).max() - 1) < 0.05
            ), (
                f"Conv2d{args}.{name}: std {mine.std():.4g} and largest {np.abs(mine).max():.4g}, PyTorch's "
                f"{yours.std():.4g} and {np.abs(yours).max():.4g}"
            )
