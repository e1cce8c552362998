"""Max, average and adaptive pooling without PyTorch: values, indices and gradients against
windows taken one by one (the gradient of a max goes to the first maximum of its window),
-inf padding, ceil_mode, the divisors, the layers and clear errors."""
import numpy as np
import pytest
from conv_cases import (
    close,
    data,
    loop_adaptive_avg_pool,
    loop_avg_pool,
    loop_max_pool,
    pool_cases,
)
from hypothesis import given
from hypothesis import strategies as st
from test_im2col import lines_run

from tinytorch.core.conv import (
    AdaptiveAvgPool2d,
    AvgPool2d,
    MaxPool2d,
    adaptive_avg_pool2d,
    avg_pool2d,
    max_pool2d,
)
from tinytorch.core.tensor import Tensor


def backward(out, seed):
    g = data(out.shape, seed)
    out.backward(Tensor(g))
    return g


@given(pool_cases(), st.booleans())
def test_max_pool_is_the_first_maximum_of_each_window(case, ties):
    shape, kernel, stride, padding, dilation, ceil_mode = case
    x = data(shape, sum(shape), ties=ties)
    X = Tensor(x, requires_grad=True)
    out, where = max_pool2d(X, kernel, stride, padding, dilation, ceil_mode, return_indices=True)
    want, want_where, want_backward = loop_max_pool(x, kernel, stride, padding, dilation, ceil_mode)
    what = f"max_pool2d(x of {shape}, kernel {kernel}, stride {stride}, padding {padding}, dilation {dilation}, " \
           f"ceil_mode={ceil_mode})"
    close(what, out.data, want, rtol=0)
    assert where.dtype == np.int64 and np.array_equal(where.data, want_where), \
        f"{what}, return_indices=True: the indices of the maxima differ from row * W + column of the first maximum"
    g = backward(out, 7)
    close(f"{what}: gradient (all of it to the first maximum of each window)", X.grad.data, want_backward(g))


def test_max_pool_sends_the_gradient_of_a_tie_to_its_first_element():
    x = Tensor(np.zeros((1, 1, 4, 4)), requires_grad=True)  # after a ReLU, whole windows are zeros
    max_pool2d(x, 2).sum().backward()
    want = np.zeros((4, 4))
    want[::2, ::2] = 1
    assert np.array_equal(x.grad.data[0, 0], want), (
        "four windows of equal zeros: PyTorch sends each window's gradient to its first element (top left), "
        f"once; got\n{x.grad.data[0, 0]}")


def test_max_pool_pads_with_minus_infinity_and_propagates_nan():
    x = -1 - np.arange(16.0).reshape(1, 1, 4, 4)  # every value negative: a zero padding would win
    out = max_pool2d(Tensor(x), 3, stride=2, padding=1)
    assert out.data.ravel().tolist() == [-1.0, -2.0, -5.0, -6.0], \
        f"padding must never be the maximum (it is -inf): got {out.data.ravel().tolist()}"
    x = np.zeros((1, 1, 2, 4))
    x[0, 0, 1, 1] = np.nan
    assert np.isnan(max_pool2d(Tensor(x), 2).data.ravel()[0]) and max_pool2d(Tensor(x), 2).data.ravel()[1] == 0, \
        "a window holding nan has the maximum nan (PyTorch's), the others not"


@given(pool_cases(dilation=False), st.booleans(), st.sampled_from([None, 3]))
def test_avg_pool_divides_each_window_by_its_divisor(case, count_include_pad, divisor_override):
    shape, kernel, stride, padding, _, ceil_mode = case
    x = data(shape, sum(shape))
    X = Tensor(x, requires_grad=True)
    out = avg_pool2d(X, kernel, stride, padding, ceil_mode, count_include_pad, divisor_override)
    want, want_backward = loop_avg_pool(x, kernel, stride, padding, ceil_mode, count_include_pad, divisor_override)
    what = (f"avg_pool2d(x of {shape}, kernel {kernel}, stride {stride}, padding {padding}, ceil_mode={ceil_mode}, "
            f"count_include_pad={count_include_pad}, divisor_override={divisor_override})")
    close(what, out.data, want)
    g = backward(out, 8)
    close(f"{what}: gradient", X.grad.data, want_backward(g))


def test_adaptive_avg_pool_is_avg_pool_when_the_sizes_divide():
    x = data((2, 3, 8, 6), 3)
    close(
        "adaptive_avg_pool2d(x of 8x6, (4, 2)) against avg_pool2d(x, (2, 3))",
        adaptive_avg_pool2d(Tensor(x), (4, 2)).data,
        avg_pool2d(Tensor(x), (2, 3)).data,
    )


@given(st.integers(1, 9), st.integers(1, 9), st.integers(1, 5), st.one_of(st.none(), st.integers(1, 5)))
def test_adaptive_avg_pool_averages_its_windows(H, W, oh, ow):
    test_adaptive_avg_pool_is_avg_pool_when_the_sizes_divide()  # the case that also needs your avg_pool
    x = data((2, 3, H, W), H * W)
    X = Tensor(x, requires_grad=True)
    out = adaptive_avg_pool2d(X, (oh, ow))
    close(f"adaptive_avg_pool2d(x of {x.shape}, ({oh}, {ow}))", out.data, loop_adaptive_avg_pool(x, (oh, ow or W)))
    g = backward(out, 9)
    rows = np.zeros((oh, H))  # the gradient: the same averaging, transposed
    for i in range(oh):
        rows[i, int(np.floor(i * H / oh)):int(np.ceil((i + 1) * H / oh))] = 1
    cols = np.zeros((ow or W, W))
    for j in range(ow or W):
        cols[j, int(np.floor(j * W / (ow or W))):int(np.ceil((j + 1) * W / (ow or W)))] = 1
    rows, cols = rows / rows.sum(1, keepdims=True), cols / cols.sum(1, keepdims=True)
    close("adaptive_avg_pool2d: gradient", X.grad.data, rows.T @ g @ cols)


def test_pooling_keeps_float32_and_takes_unbatched_images():
    x = Tensor(np.random.default_rng(0).normal(size=(3, 6, 6)).astype(np.float32))
    for out, shape in ((max_pool2d(x, 2), (3, 3, 3)), (avg_pool2d(x, 3, 2, 1), (3, 3, 3)),
                       (adaptive_avg_pool2d(x, 2), (3, 2, 2))):
        assert out.dtype == np.float32 and out.shape == shape, f"{out.dtype} {out.shape}, expected float32 {shape}"


def test_pooling_loops_over_the_window_offsets_only():
    def step(n, size):
        x = Tensor(np.zeros((n, 2, size, size)), requires_grad=True)
        return lambda: (max_pool2d(x, 2, padding=1).sum() + avg_pool2d(x, 3, 2, 1).sum()).backward()

    small, large = lines_run(step(1, 6)), lines_run(step(4, 14))
    assert small == large, (f"max_pool2d and avg_pool2d ran {small} lines for one 6x6 image but {large} for four "
                            "14x14 images: a Python loop over images or pixels")


def test_pooling_layers_hold_pytorchs_arguments():
    x = Tensor(data((2, 3, 8, 8), 0))
    assert MaxPool2d(2)(x).shape == (2, 3, 4, 4) and AvgPool2d(3, 2, 1)(x).shape == (2, 3, 4, 4)
    assert MaxPool2d(2).stride == 2 and AvgPool2d(3).stride == 3 and MaxPool2d(3, 1).stride == 1
    assert AdaptiveAvgPool2d((1, 1))(x).shape == (2, 3, 1, 1) and AdaptiveAvgPool2d((None, 2))(x).shape == (2, 3, 8, 2)
    values, where = MaxPool2d(2, return_indices=True)(x)
    assert values.shape == where.shape == (2, 3, 4, 4)
    assert list(MaxPool2d(2).parameters()) == [] and MaxPool2d(2).state_dict() == {}


@pytest.mark.parametrize("call, message", [
    (lambda: max_pool2d(Tensor(np.zeros((1, 1, 4, 4))), 2, padding=2), "half"),
    (lambda: avg_pool2d(Tensor(np.zeros((1, 1, 4, 4))), 3, padding=2), "half"),
    (lambda: max_pool2d(Tensor(np.zeros((1, 1, 2, 2))), 3), "larger"),
    (lambda: max_pool2d(Tensor(np.zeros((1, 1, 4, 4), np.int64)), 2), "floating point"),
    (lambda: max_pool2d(Tensor(np.zeros((4, 4))), 2), "3-d"),
    (lambda: avg_pool2d(Tensor(np.zeros((1, 1, 4, 4))), 2, divisor_override=0), "zero"),
    (lambda: max_pool2d(Tensor(np.zeros((1, 1, 4, 4))), (2, 2, 2)), "pair"),
    (lambda: adaptive_avg_pool2d(Tensor(np.zeros((1, 1, 4, 4))), 0), "positive"),
])
def test_pooling_says_what_is_wrong(call, message):
    x = Tensor(np.ones((1, 1, 4, 4)))
    assert max_pool2d(x, 2).shape == avg_pool2d(x, 2).shape == (1, 1, 2, 2)
    with pytest.raises((ValueError, TypeError), match=message):
        call()
