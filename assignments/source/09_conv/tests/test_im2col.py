"""conv_output_size, im2col and col2im on their own: against positions and patches taken one
by one, the transpose property, and loops only over the kernel's offsets."""
import sys

import numpy as np
from conv_cases import close, conv_cases, data, loop_im2col, output_size, windows
from hypothesis import given
from hypothesis import strategies as st

from tinytorch.core import conv
from tinytorch.core.conv import col2im, conv_output_size, im2col


@given(st.integers(1, 40), st.integers(1, 7), st.integers(1, 5), st.integers(0, 3), st.integers(1, 3))
def test_conv_output_size_counts_the_positions(size, kernel, stride, padding, dilation):
    want = output_size(size, kernel, stride, padding, dilation)
    if want < 1:
        return  # the kernel does not fit: conv2d refuses these (tested there)
    got = conv_output_size(size, kernel, stride, padding, dilation)
    assert got == want, (f"conv_output_size(size={size}, kernel_size={kernel}, stride={stride}, padding={padding}, "
                         f"dilation={dilation}) = {got}, but the kernel fits at {want} positions")
    assert isinstance(got, (int, np.integer)), f"conv_output_size returned a {type(got).__name__}, not an int"


def options(case):
    x_shape, w_shape, stride, padding, dilation, _ = case
    return x_shape, (w_shape[2:], stride, padding, dilation)


@given(conv_cases())
def test_im2col_holds_every_patch_in_its_documented_place(case):
    x_shape, args = options(case)
    x = data(x_shape, sum(x_shape))
    got = im2col(x, *args)
    want = loop_im2col(x, *args)
    assert got.shape == want.shape, (f"im2col of {x_shape} with kernel, stride, padding, dilation {args} has shape "
                                     f"{got.shape}; expected (C*kh*kw, oh*ow*N) = {want.shape}")
    close(f"im2col(x of {x_shape}, {args})", got, want, rtol=0)


def test_im2col_keeps_the_dtype_and_pads_with_zeros():
    x = np.ones((2, 3, 4, 4), np.float32)
    cols = im2col(x, (3, 3), (1, 1), (1, 1), (1, 1))
    assert cols.dtype == np.float32, f"im2col turned float32 into {cols.dtype}"
    corner = cols[:, 0].reshape(3, 3, 3)  # the top-left patch of image 0: its first row and column are padding
    assert np.all(corner[:, 0, :] == 0) and np.all(corner[:, :, 0] == 0) and np.all(corner[:, 1:, 1:] == 1), \
        "padding must be zeros around the two spatial axes only"


@given(conv_cases())
def test_col2im_is_the_transpose_of_im2col(case):
    x_shape, args = options(case)
    x = data(x_shape, 1)
    c = data(im2col(x, *args).shape, 2)
    back = col2im(c, x_shape, *args)
    assert back.shape == x_shape, f"col2im(..., shape={x_shape}) returned shape {back.shape}"
    left, right = np.sum(im2col(x, *args) * c), np.sum(x * back)
    assert abs(left - right) <= 1e-12 * max(1.0, np.sum(np.abs(c)) * np.max(np.abs(x))), (
        f"col2im is not the transpose of im2col for {x_shape}, {args}: sum(im2col(x) * c) = {left:.12g} but "
        f"sum(x * col2im(c)) = {right:.12g}")


@given(conv_cases())
def test_col2im_adds_the_patches_that_overlap(case):
    x_shape, args = options(case)
    ones = np.ones(im2col(np.zeros(x_shape), *args).shape)
    counts = np.zeros(x_shape)
    _, (oh, ow) = windows(np.zeros(x_shape), *args)
    H, W = x_shape[2:]
    (kh, kw), (sh, sw), (ph, pw), (dh, dw) = args
    for y in range(oh):
        for z in range(ow):
            for i in range(kh):
                for j in range(kw):
                    r, c = y * sh + i * dh - ph, z * sw + j * dw - pw
                    if 0 <= r < H and 0 <= c < W:
                        counts[:, :, r, c] += 1
    close(f"col2im(ones) for {x_shape}, {args}: how many patches hold each pixel", col2im(ones, x_shape, *args),
          counts, rtol=0)


def lines_run(call):
    """How many lines of tinytorch.core.conv's functions run during call(): a count that grows
    with the number of images or pixels betrays a Python loop over them."""
    count = 0
    namespace = vars(conv)
    previous = sys.gettrace()  # a tracer already watching (a coverage tool) still sees every call

    def trace(frame, event, arg):
        nonlocal count
        if event == "call" and previous is not None:
            previous(frame, event, arg)
        if frame.f_globals is not namespace:
            return None
        if event == "line":
            count += 1
        return trace

    sys.settrace(trace)
    try:
        call()
    finally:
        sys.settrace(previous)
    return count


def test_im2col_and_col2im_loop_over_the_kernel_offsets_only():
    def both(n, size):
        x = np.zeros((n, 2, size, size))
        return lambda: col2im(im2col(x, (3, 2), (1, 1), (1, 1), (1, 1)), x.shape, (3, 2), (1, 1), (1, 1), (1, 1))

    small, large = lines_run(both(1, 6)), lines_run(both(5, 12))
    assert small == large, (f"im2col and col2im ran {small} lines for one 6x6 image but {large} for five 12x12 "
                            "images: a Python loop over images or pixels (loop over the kernel offsets only)")
