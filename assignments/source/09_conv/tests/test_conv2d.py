"""F.conv2d and Conv2d without PyTorch: values and gradients against the definition written
as loops and against central differences, the options, dtypes, clear errors and the init."""
import math

import numpy as np
import pytest
from conv_cases import (
    central_differences,
    close,
    conv_cases,
    data,
    loop_conv,
    loop_conv_backward,
)
from hypothesis import given
from test_im2col import lines_run

import tinytorch
from tinytorch.core.conv import Conv2d, conv2d
from tinytorch.core.tensor import Tensor


def run(case, bias=True, input_grad=True, seed=0):
    """conv2d of float64 data with backward of an upstream gradient: (x, w, b, g, out, Tensors)."""
    x_shape, w_shape, stride, padding, dilation, groups = case
    x, w = data(x_shape, seed), data(w_shape, seed + 1)
    b = data(w_shape[0], seed + 2) if bias else None
    X, Wt = Tensor(x, requires_grad=input_grad), Tensor(w, requires_grad=True)
    B = Tensor(b, requires_grad=True) if bias else None
    out = conv2d(X, Wt, B, stride, padding, dilation, groups)
    g = data(out.shape, seed + 3)
    out.backward(Tensor(g))
    return x, w, b, g, out, (X, Wt, B)


@given(conv_cases())
def test_convolution_forward_is_the_definition(case):
    x, w, b, _, out, _ = run(case)
    _, _, stride, padding, dilation, groups = case
    close(f"conv2d{case}", out.data, loop_conv(x, w, b, stride, padding, dilation, groups))


@given(conv_cases())
def test_convolution_backward_is_the_definitions(case):
    x, w, _, g, _, (X, Wt, B) = run(case)
    _, _, stride, padding, dilation, groups = case
    dx, dw, db = loop_conv_backward(x, w, g, stride, padding, dilation, groups)
    for name, tensor, want in (("input", X, dx), ("weight", Wt, dw), ("bias", B, db)):
        assert tensor.grad is not None, f"conv2d{case}: backward left the {name}'s gradient empty"
        close(f"conv2d{case}: gradient of the {name}", tensor.grad.data, want)


@pytest.mark.parametrize("case", [((2, 2, 5, 4), (3, 2, 3, 2), (2, 1), (1, 0), (1, 2), 1),
                                  ((1, 4, 4, 5), (4, 2, 2, 3), (1, 2), (1, 1), (2, 1), 2)])
def test_convolution_backward_matches_central_differences(case):
    x, w, b, g, _, (X, Wt, B) = run(case)
    _, _, stride, padding, dilation, groups = case

    def loss(**changed):
        values = {"x": x, "w": w, "b": b, **changed}
        return g * loop_conv(values["x"], values["w"], values["b"], stride, padding, dilation, groups)

    close("d/d input", X.grad.data, central_differences(lambda v: loss(x=v), x), rtol=1e-6, atol=1e-7)
    close("d/d weight", Wt.grad.data, central_differences(lambda v: loss(w=v), w), rtol=1e-6, atol=1e-7)
    close("d/d bias", B.grad.data, central_differences(lambda v: loss(b=v), b), rtol=1e-6, atol=1e-7)


def test_convolution_without_bias_and_without_an_input_gradient():
    case = ((2, 3, 6, 5), (4, 3, 3, 3), (1, 1), (1, 1), (1, 1), 1)
    x, w, _, g, out, (X, Wt, _) = run(case, bias=False, input_grad=False)
    close("conv2d without bias", out.data, loop_conv(x, w, None, (1, 1), (1, 1)))
    assert X.grad is None, "an input that does not require grad gets no gradient"
    close("weight gradient when the input needs none", Wt.grad.data, loop_conv_backward(x, w, g, (1, 1), (1, 1))[1])


def test_convolution_keeps_float32_and_takes_unbatched_images():
    x = np.random.default_rng(0).normal(size=(3, 7, 7)).astype(np.float32)
    w = np.random.default_rng(1).normal(size=(2, 3, 3, 3)).astype(np.float32)
    out = conv2d(Tensor(x), Tensor(w), stride=2)
    assert out.dtype == np.float32 and out.shape == (2, 3, 3), f"{out.dtype} {out.shape}"
    close("unbatched conv2d", out.data, loop_conv(x[None].astype(np.float64), w.astype(np.float64), None, (2, 2))[0],
          rtol=1e-5)


@pytest.mark.parametrize("kernel, dilation", [((3, 3), 1), ((2, 4), 1), ((3, 2), 2)])
def test_padding_same_keeps_the_size_and_valid_pads_nothing(kernel, dilation):
    x, w = data((2, 2, 7, 6), 0), data((3, 2, *kernel), 1)
    out = conv2d(Tensor(x), Tensor(w), padding="same", dilation=dilation)
    assert out.shape == (2, 3, 7, 6), f"padding='same' gave {out.shape} for an input of 7x6"
    totals = [dilation * (k - 1) for k in kernel]  # the extra row/column of an even total goes at the end
    padded = np.pad(x, ((0, 0), (0, 0), (totals[0] // 2, totals[0] - totals[0] // 2),
                        (totals[1] // 2, totals[1] - totals[1] // 2)))
    close(f"padding='same' with kernel {kernel}", out.data, loop_conv(padded, w, None, dilation=(dilation, dilation)))
    valid = conv2d(Tensor(x), Tensor(w), padding="valid", dilation=dilation)
    close("padding='valid'", valid.data, loop_conv(x, w, None, dilation=(dilation, dilation)))


def test_convolution_loops_over_the_kernel_offsets_only():
    def step(n, size):
        x, w = Tensor(np.zeros((n, 2, size, size)), requires_grad=True), Tensor(np.zeros((3, 2, 3, 3)),
                                                                                  requires_grad=True)
        return lambda: conv2d(x, w, padding=1).sum().backward()

    small, large = lines_run(step(1, 5)), lines_run(step(4, 11))
    assert small == large, (f"conv2d forward and backward ran {small} lines for one 5x5 image but {large} for four "
                            "11x11 images: a Python loop over images or pixels")


@pytest.mark.parametrize("call, message", [
    (lambda: conv2d(Tensor(np.zeros((1, 3, 5, 5))), Tensor(np.zeros((2, 2, 3, 3)))), "channels"),
    (lambda: conv2d(Tensor(np.zeros((1, 2, 2, 2))), Tensor(np.zeros((2, 2, 3, 3)))), "larger than the padded input"),
    (lambda: conv2d(Tensor(np.zeros((1, 2, 5, 5), np.float32)), Tensor(np.zeros((2, 2, 3, 3)))), "float64"),
    (lambda: conv2d(Tensor(np.zeros((1, 2, 5, 5), np.int64)), Tensor(np.zeros((2, 2, 3, 3)))), "floating point"),
    (lambda: conv2d(Tensor(np.zeros((1, 4, 5, 5))), Tensor(np.zeros((3, 2, 3, 3))), groups=2), "groups"),
    (lambda: conv2d(Tensor(np.zeros((5, 5))), Tensor(np.zeros((2, 1, 3, 3)))), "4-d"),
    (lambda: conv2d(Tensor(np.zeros((1, 1, 5, 5))), Tensor(np.zeros((1, 1, 3, 3))), padding="half"), "padding"),
    (lambda: conv2d(Tensor(np.zeros((1, 1, 5, 5))), Tensor(np.zeros((1, 1, 3, 3))), stride=2, padding="same"),
     "strided"),
    (lambda: Conv2d(4, 6, 3, groups=4), "divisible by groups"),
    (lambda: Conv2d(1, 6, 3, padding_mode="reflect"), "zeros"),
])
def test_conv2d_says_what_is_wrong(call, message):
    assert conv2d(Tensor(np.ones((1, 2, 5, 5))), Tensor(np.ones((2, 2, 3, 3)))).shape == (1, 2, 3, 3)
    with pytest.raises((ValueError, TypeError, NotImplementedError), match=message):
        call()


def uniform_ks(values, bound):
    """sqrt(n) times the Kolmogorov-Smirnov distance of values from U(-bound, bound): above 1.95
    for a p-value below 0.001."""
    values = np.sort(np.ravel(values))
    cdf = np.clip((values + bound) / (2 * bound), 0, 1)
    steps = np.arange(1, len(values) + 1) / len(values)
    return math.sqrt(len(values)) * max(np.max(steps - cdf), np.max(cdf - (steps - 1 / len(values))))


def test_conv2d_layer_has_pytorchs_shapes_and_default_init():
    tinytorch.manual_seed(0)
    layer = Conv2d(6, 16, 5)
    assert layer(Tensor(np.zeros((2, 6, 9, 9), np.float32))).shape == (2, 16, 5, 5)
    assert layer.weight.shape == (16, 6, 5, 5) and layer.bias.shape == (16,) and layer.weight.dtype == np.float32
    assert list(layer.state_dict()) == ["weight", "bias"] and layer.weight.requires_grad
    grouped = Conv2d(8, 4, (3, 2), groups=2, bias=False)
    assert grouped.weight.shape == (4, 4, 3, 2) and grouped.bias is None
    for weights, fan_in in ((np.concatenate([Conv2d(6, 16, 5).weight.data.ravel() for _ in range(3)]), 150),
                            (np.concatenate([Conv2d(8, 40, (3, 2), groups=2).weight.data.ravel()
                                             for _ in range(5)]), 24),
                            (np.concatenate([Conv2d(6, 300, 5).bias.data for _ in range(10)]), 150)):
        bound = 1 / math.sqrt(fan_in)
        assert np.abs(weights).max() <= bound, f"a weight beyond 1/sqrt(fan_in) = {bound:.4g} (fan_in {fan_in})"
        distance = uniform_ks(weights, bound)
        assert distance < 1.95, (f"the draws are not U(-1/sqrt(fan_in), 1/sqrt(fan_in)) with fan_in = in/groups * kh "
                                 f"* kw = {fan_in}: sqrt(n) KS = {distance:.3g} (p < 0.001), std {weights.std():.4g} "
                                 f"(expected {bound / math.sqrt(3):.4g})")
    tinytorch.manual_seed(5)
    first = Conv2d(3, 4, 3).weight.data.copy()
    tinytorch.manual_seed(5)
    assert np.array_equal(first, Conv2d(3, 4, 3).weight.data), "tinytorch.manual_seed must repeat the init"


def test_conv2d_layer_trains_and_casts():
    layer = Conv2d(2, 3, 3, stride=2, padding=1, dilation=1).double()
    x = Tensor(data((2, 2, 6, 6), 0), requires_grad=True)
    out = layer(x)
    assert out.shape == (2, 3, 3, 3) and out.dtype == np.float64
    out.sum().backward()
    assert layer.weight.grad.shape == (3, 2, 3, 3) and layer.bias.grad.shape == (3,)
    close("Conv2d bias gradient of a sum", layer.bias.grad.data, np.full(3, 2 * 9.0))
