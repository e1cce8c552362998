# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Module 09: Conv, networks that look at images
#
# An MLP reads a 28x28 digit as 784 unrelated numbers. Shift the digit by two pixels and,
# for the first `Linear` layer, it is a different input altogether: every weight that
# learned "ink here" now looks at the wrong place. A **convolution** slides one small set
# of weights, a *kernel*, over every position of the image, so whatever it learns to see
# (an edge, a curve, a stroke end) it sees everywhere. This module builds the layers of the
# network LeCun and his colleagues published in 1998, LeNet, with PyTorch's names:
#
# | piece | what it is |
# |---|---|
# | `Conv2d(in_channels, out_channels, kernel_size, stride, padding, dilation, groups)` | the sliding kernels; weight shaped (out, in/groups, kh, kw) |
# | `MaxPool2d(kernel_size)`, `AvgPool2d` | the largest (or mean) value of each window: smaller maps, a little shift-tolerance |
# | `AdaptiveAvgPool2d(output_size)` | average pooling to a fixed output size, whatever the input's |
# | `BatchNorm1d`, `BatchNorm2d` | each channel normalised by the batch's statistics, with running averages for eval |
# | `F.conv2d`, `F.max_pool2d`, `F.avg_pool2d`, `F.batch_norm` | the same operations as functions |
#
# You write the core of each, in a few lines of NumPy and with no Python loop over images
# or pixels: **im2col** (every patch of an image as one column of a matrix), the
# **convolution as one matrix product**, its backward (**col2im**, which adds and never
# overwrites), **max and average pooling** with their gradients, and **batch
# normalisation**. Autograd (module 03) does the rest, and the tests compare every value
# and gradient with PyTorch in float64.
#
# ```bash
# tito test conv      # the full tests, against PyTorch and against central differences
# tito plot conv      # learned filters, feature maps of a digit, convolution against a dense layer
# tito bench conv     # Conv2d, pooling and a LeNet training step against PyTorch on one thread
# tito sync           # put your code into tinytorch/core/conv.py (tinytorch.nn)
# ```
#
# Then `tito milestone lenet` trains LeNet on the 60,000 MNIST digits shipped with
# TinyTorch (`tinytorch.datasets.load_mnist()`), with your code.

# %%
#| default_exp core.conv

# %%
#| export
import math

import numpy as np

import tinytorch
from tinytorch.core.autograd import differentiable
from tinytorch.core.nn import (
    Module,
    Parameter,
    _calculate_fan_in_and_fan_out,
    kaiming_uniform_,
    uniform_,
)
from tinytorch.core.tensor import Tensor

# %% [markdown]
# ## What a convolution computes
#
# A `Conv2d` takes a batch of images `x`, shaped **(N, C, H, W)**: N images, C channels
# (1 for grey, 3 for colour, or the feature maps of an earlier layer), H rows, W columns.
# Its weight holds O kernels, each spanning all C channels: shape **(O, C, kh, kw)**. Output
# channel `o` at position `(y, x)` is
#
# `out[n, o, y, x] = bias[o] + sum over c, i, j of weight[o, c, i, j] * x[n, c, y*s + i*d, x*s + j*d]`
#
# with stride `s` (how far the kernel moves between positions) and dilation `d` (the gap
# between the kernel's taps), after `padding` rows and columns of zeros are added around
# the image. Note the `+ i`: the kernel is laid on the image as it is, not flipped. In
# mathematics that is a *cross-correlation*; deep learning calls it convolution anyway,
# and PyTorch computes exactly this. (A flipped kernel would learn the same things, but
# PyTorch's weights would then give other outputs here.)
#
# ### How many positions
#
# Along one axis of `size` pixels, padded by `padding` on both sides, a kernel of
# `kernel_size` taps spread by `dilation` covers `dilation * (kernel_size - 1) + 1`
# pixels. It fits at the first position and then every `stride` pixels while it stays
# inside:
#
# `out = floor((size + 2 padding - dilation (kernel_size - 1) - 1) / stride) + 1`
#
# LeNet's first layer: 28 pixels, padding 2, a 5-tap kernel, stride 1 gives 28; a
# 2x2 pooling with stride 2 then gives 14.

# %%
#| export
def conv_output_size(size, kernel_size, stride=1, padding=0, dilation=1):
    """How many positions a kernel takes along one axis (PyTorch's formula).

    >>> conv_output_size(28, 5, padding=2), conv_output_size(28, 2, stride=2)
    (28, 14)
    """
    # TODO: return the number of positions (an int).
    # HINTS: floor division (//) does the floor; the +1 counts the first position. With a
    #        stride of 2, an odd remainder is a position that does not fit: it is dropped.
    ### BEGIN SOLUTION
    return (size + 2 * padding - dilation * (kernel_size - 1) - 1) // stride + 1
    ### END SOLUTION


# %%
assert conv_output_size(28, 5, padding=2) == 28 and conv_output_size(28, 2, stride=2) == 14
assert conv_output_size(7, 3, stride=2) == 3 and conv_output_size(8, 3, stride=2) == 3
assert conv_output_size(10, 3, dilation=2) == 6
print("conv_output_size: ok")

# %% [markdown]
# ## im2col: every patch becomes a column
#
# The formula above is six nested loops (images, output channels, rows, columns, and the
# kernel's channels, rows and columns). In Python that is hopeless: LeNet's two layers on
# one batch of 64 digits are about 23 million multiply-adds. The trick that every fast
# implementation uses is to *copy* the image into a matrix first, then do all the
# arithmetic in one matrix product, which NumPy hands to an optimised BLAS.
#
# **im2col** ("image to columns") writes each patch the kernel will see as one column:
#
# - a row for every (channel c, kernel row i, kernel column j), `C * kh * kw` rows in that
#   order, the same order as the numbers of one kernel `weight[o]` flattened;
# - a column for every (output row y, output column x, image n), `oh * ow * N` columns.
#   The image index varies fastest: column `(y * ow + x) * N + n`.
#
# Then output channel `o` is row `o` of `weight.reshape(O, C*kh*kw) @ cols`: one matrix
# product computes every output of every image.
#
# You do not need a loop over patches to build it. For a fixed kernel offset `(i, j)`,
# the values that tap sees at all positions form a regularly strided slice of the padded
# image: rows `i*d, i*d + s, i*d + 2s, ...` (oh of them), and the same for columns. One
# slice assignment per kernel offset fills `N * C * oh * ow` entries at once, so the only
# Python loop is over the `kh * kw` offsets (25 for a 5x5 kernel).
#
# **Why the image index goes last.** The order of the columns is ours to choose, as long
# as the forward and backward agree. Moving the image axis to the end before slicing
# (`x.transpose(1, 2, 3, 0)`, shape (C, H, W, N)) makes each slice copy long runs of
# neighbouring numbers (all N images of one pixel sit side by side): LeNet's second layer,
# forward and backward, ran 1.7 times faster than with the images first. Outputs come back
# in that order too, and the next layer's im2col reads them without reordering. (This is
# the layout cuda-convnet used.)
#
# **Padding** is zeros added on both sides of the two *spatial* axes only, never on the
# batch or channel axes.

# %%
#| export
def im2col(x, kernel_size, stride=(1, 1), padding=(0, 0), dilation=(1, 1)):
    """The patches of x as the columns of a matrix.

    x: array (N, C, H, W); kernel_size, stride, padding, dilation: pairs (rows, columns).
    Returns an array (C * kh * kw, oh * ow * N): row (c * kh + i) * kw + j holds tap
    (c, i, j) of every patch; column (y * ow + x) * N + n is the patch of output position
    (y, x) of image n. The padding is zeros.

    >>> im2col(np.arange(9.0).reshape(1, 1, 3, 3), (2, 2))
    array([[0., 1., 3., 4.],
           [1., 2., 4., 5.],
           [3., 4., 6., 7.],
           [4., 5., 7., 8.]])
    """
    N, C, H, W = x.shape
    (kh, kw), (sh, sw), (ph, pw), (dh, dw) = kernel_size, stride, padding, dilation
    oh, ow = conv_output_size(H, kh, sh, ph, dh), conv_output_size(W, kw, sw, pw, dw)
    # TODO: fill a (C, kh, kw, oh, ow, N) array, one slice assignment per kernel offset (i, j).
    # APPROACH:
    #   1. padded = x with its axes in the order (C, H, W, N) (transpose), then zeros added on
    #      both sides of the H and W axes (np.pad with a width per axis).
    #   2. cols = np.empty((C, kh, kw, oh, ow, N), x.dtype).
    #   3. for each (i, j): cols[:, i, j] = the rows i*dh, i*dh + sh, ... (oh of them) and the
    #      columns j*dw, j*dw + sw, ... (ow of them) of padded: one strided slice start:stop:step.
    #   4. return cols reshaped to (C * kh * kw, oh * ow * N).
    # HINTS: pad the two spatial axes only (a width of (0, 0) for C and N). A slice's stop is
    #        exclusive: the last row taken is i*dh + sh*(oh - 1).
    ### BEGIN SOLUTION
    padded = np.pad(x.transpose(1, 2, 3, 0), ((0, 0), (ph, ph), (pw, pw), (0, 0)))
    cols = np.empty((C, kh, kw, oh, ow, N), x.dtype)
    for i in range(kh):
        for j in range(kw):
            cols[:, i, j] = padded[:, i * dh:i * dh + sh * (oh - 1) + 1:sh, j * dw:j * dw + sw * (ow - 1) + 1:sw]
    return cols.reshape(C * kh * kw, oh * ow * N)
    ### END SOLUTION


# %% [markdown]
# ### Check: the patches of a 3x3 image
#
# A 2x2 kernel fits at four positions of a 3x3 image. Each column below is one patch,
# read row by row: the first is `0 1 / 3 4`, the top-left corner.

# %%
image = np.arange(9.0).reshape(1, 1, 3, 3)
print(image[0, 0], "\n")
print(im2col(image, (2, 2)))
assert im2col(image, (2, 2))[:, 0].tolist() == [0, 1, 3, 4] and im2col(image, (2, 2)).shape == (4, 4)
assert im2col(image, (2, 2), padding=(1, 1)).shape == (4, 16)
assert im2col(image, (3, 3), padding=(1, 1))[:, 4].tolist() == list(range(9))  # the middle patch is the image
two = np.stack([image[0], 10 * image[0]])  # two images: their columns alternate
assert im2col(two, (2, 2))[:, :2].tolist() == [[0, 0], [1, 10], [3, 30], [4, 40]]

# %% [markdown]
# ## col2im: the way back adds up
#
# The backward of a copy sends each gradient back to where the value came from. `col2im`
# takes a matrix shaped like im2col's output, holding the gradient of every patch entry,
# and returns the gradient of the image, shaped (N, C, H, W). The pitfall: patches
# **overlap**. With a 5x5 kernel and stride 1, a pixel in the middle of the image sits in
# 25 patches, and its gradient is the **sum** of the 25 gradients. Writing `=` where `+=`
# belongs keeps only the last one, and the result looks plausible while being wrong.
#
# In the language of linear algebra, `col2im` is the transpose of `im2col`: for any image
# `x` and matrix `c`, `sum(im2col(x) * c) == sum(x * col2im(c))`. The tests check exactly
# that, on random shapes, strides, paddings and dilations.
#
# Padding pixels get gradients too (they were used), but they are not part of the input:
# accumulate into a padded array, then cut the padding off.

# %%
#| export
def col2im(cols, shape, kernel_size, stride=(1, 1), padding=(0, 0), dilation=(1, 1)):
    """The transpose of im2col: each column's entries added back where im2col took them.

    cols: array (C * kh * kw, oh * ow * N) in im2col's layout; shape: the image's
    (N, C, H, W). Returns an array of that shape (values that fell on the padding are
    dropped). Overlapping patches add up.
    """
    N, C, H, W = shape
    (kh, kw), (sh, sw), (ph, pw), (dh, dw) = kernel_size, stride, padding, dilation
    oh, ow = conv_output_size(H, kh, sh, ph, dh), conv_output_size(W, kw, sw, pw, dw)
    # TODO: add every kernel offset's slab of cols back into a padded (C, H + 2ph, W + 2pw, N) array.
    # APPROACH:
    #   1. view cols as (C, kh, kw, oh, ow, N) (reshape).
    #   2. padded = zeros of shape (C, H + 2 ph, W + 2 pw, N), in cols's dtype.
    #   3. for each (i, j): add cols[:, i, j] into the same strided slice of padded that
    #      im2col read from.
    #   4. return the unpadded part, with its axes back in the order (N, C, H, W).
    # HINTS: `+=`, never `=`: overlapping patches share pixels. A slice assignment with `+=`
    #        on a strided slice touches each pixel once per offset, so nothing is lost.
    ### BEGIN SOLUTION
    cols = cols.reshape(C, kh, kw, oh, ow, N)
    padded = np.zeros((C, H + 2 * ph, W + 2 * pw, N), cols.dtype)
    for i in range(kh):
        for j in range(kw):
            padded[:, i * dh:i * dh + sh * (oh - 1) + 1:sh, j * dw:j * dw + sw * (ow - 1) + 1:sw] += cols[:, i, j]
    return padded[:, ph:ph + H, pw:pw + W].transpose(3, 0, 1, 2)
    ### END SOLUTION


# %% [markdown]
# ### Check: a pixel in k patches gets k gradients
#
# All-ones gradients for every patch entry: col2im returns, for each pixel, the number of
# patches it belongs to. The corners of a 4x4 image are in one 3x3 patch, the middle
# pixels in four.

# %%
counts = col2im(np.ones((9, 4)), (1, 1, 4, 4), (3, 3))
print(counts[0, 0])
assert counts[0, 0].tolist() == [[1, 2, 2, 1], [2, 4, 4, 2], [2, 4, 4, 2], [1, 2, 2, 1]]
rng = np.random.default_rng(0)
x, c = rng.normal(size=(2, 3, 6, 5)), rng.normal(size=(3 * 3 * 2, 3 * 2 * 2))
args = ((3, 2), (2, 2), (1, 0), (1, 1))
assert np.isclose(np.sum(im2col(x, *args) * c), np.sum(x * col2im(c, x.shape, *args)))  # the transpose

# %% [markdown]
# ## The convolution as one matrix product
#
# With the patches as columns, the whole layer is
#
# `out = weight.reshape(O, C*kh*kw) @ cols + bias[:, None]`, shape (O, oh*ow*N),
#
# then reshaped to (O, oh, ow, N) and its axes put back in PyTorch's order (N, O, oh, ow).
# The backward of a matrix product `out = w @ cols` is two more matrix products (module
# 03): with `g` the gradient of `out` in the same (O, oh*ow*N) layout,
#
# - `d weight = g @ cols.T`, reshaped to the weight's (O, C, kh, kw);
# - `d cols = w.T @ g`, and `d x = col2im(d cols)`: back to the image, adding overlaps;
# - `d bias = g.sum` over everything but the channel.
#
# **Groups.** With `groups=G`, the C input channels and the O output channels are cut
# into G equal groups, and output group `g` sees only input group `g`: G independent
# convolutions side by side (G = C = O is a *depthwise* convolution, one kernel per
# channel). The weight is then (O, C/G, kh, kw). Since im2col's rows run channel by
# channel, its rows of group `g` are one contiguous block: `cols.reshape(G, C/G*kh*kw, L)`.
# With the weight as `(G, O/G, C/G*kh*kw)`, NumPy's `@` multiplies the G pairs of
# matrices in one call (a *batched* matrix product), so groups cost nothing extra in
# code: G = 1 is the ordinary convolution.
#
# Below, `convolution` is one differentiable operation (module 03's `differentiable`):
# it computes the value and returns its backward right beside it. Its arguments are
# already checked and in pairs; `F.conv2d`, after it, is the function users call.

# %%
#| export
def _columns(array):
    """(N, C, H, W) -> (C, H*W*N): im2col's column order, images last (no copy when the
    array came out of this module's own layers, whose memory is already in that order)."""
    return array.transpose(1, 2, 3, 0).reshape(array.shape[1], -1)


@differentiable(inputs=3)
def convolution(input, weight, bias, stride, padding, dilation, groups):
    """Conv2d's forward and backward, on checked arguments (see conv2d).

    input (N, C, H, W), weight (O, C/groups, kh, kw), bias (O,) (zeros when there is
    none); stride, padding, dilation: pairs. Returns (N, O, oh, ow).
    """
    x, w, b = input.data, weight.data, bias.data
    N, _, H, W = x.shape
    O, _, kh, kw = w.shape
    G = groups
    oh, ow = conv_output_size(H, kh, stride[0], padding[0], dilation[0]), \
        conv_output_size(W, kw, stride[1], padding[1], dilation[1])
    options = ((kh, kw), stride, padding, dilation)
    # TODO: the value (O, oh*ow*N) as one (batched) matrix product, and the backward.
    # APPROACH:
    #   1. cols = im2col(x, *options), viewed as (G, C/G*kh*kw, L); wg = w viewed as (G, O/G, C/G*kh*kw).
    #   2. out = (wg @ cols) viewed as (O, L), plus the bias as a column (b[:, None]).
    #   3. backward(grad): g = _columns(grad) viewed as (G, O/G, L) (grad is (N, O, oh, ow));
    #      weight's: g @ cols^T (swap the last two axes), reshaped to w.shape;
    #      input's: col2im(wg^T @ g, reshaped to (C*kh*kw, L), x.shape, *options);
    #      bias's: grad summed over every axis but 1. Return the three.
    # HINTS: the weight is laid on the image as it is (PyTorch correlates): no flipping.
    #        input.requires_grad is False for a batch of images: skip (return None for) its
    #        gradient then, it is the costliest of the three.
    ### BEGIN SOLUTION
    cols = im2col(x, *options).reshape(G, -1, oh * ow * N)
    wg = w.reshape(G, O // G, -1)
    out = (wg @ cols).reshape(O, -1) + b[:, None]

    def backward(grad):
        g = _columns(grad).reshape(G, O // G, -1)
        dw = (g @ cols.transpose(0, 2, 1)).reshape(w.shape)
        dx = col2im((wg.transpose(0, 2, 1) @ g).reshape(-1, g.shape[2]), x.shape, *options) \
            if input.requires_grad else None
        return dx, dw, grad.sum(axis=(0, 2, 3))
    ### END SOLUTION
    return Tensor(out.reshape(O, oh, ow, N).transpose(3, 0, 1, 2)), backward


# %% [markdown]
# ### Check: against the six loops, on a tiny case
#
# The definition written out as loops (fine for 2 images of 5x5) and your one matrix
# product must agree, with stride 2, padding 1 and two groups.

# %%
def convolution_by_loops(x, w, b, stride, padding, groups):
    N, _, H, W = x.shape
    O, Cg, kh, kw = w.shape
    xp = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    oh, ow = conv_output_size(H, kh, stride, padding), conv_output_size(W, kw, stride, padding)
    out = np.zeros((N, O, oh, ow))
    for n in range(N):
        for o in range(O):
            group = o // (O // groups)
            for y in range(oh):
                for x_ in range(ow):
                    patch = xp[n, group * Cg:(group + 1) * Cg, y * stride:y * stride + kh, x_ * stride:x_ * stride + kw]
                    out[n, o, y, x_] = b[o] + np.sum(w[o] * patch)
    return out


rng = np.random.default_rng(1)
x, w, b = rng.normal(size=(2, 4, 5, 5)), rng.normal(size=(6, 2, 3, 3)), rng.normal(size=6)
ours = convolution(Tensor(x), Tensor(w), Tensor(b), (2, 2), (1, 1), (1, 1), 2).data
print("largest difference from the loops:", np.abs(ours - convolution_by_loops(x, w, b, 2, 1, 2)).max())
assert ours.shape == (2, 6, 3, 3) and np.allclose(ours, convolution_by_loops(x, w, b, 2, 1, 2), rtol=1e-12, atol=1e-12)

# %% [markdown]
# ## F.conv2d and Conv2d
#
# `conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1)` is
# PyTorch's function: it accepts an int or a pair for each option, `padding='valid'` (no
# padding) and `padding='same'` (the output as large as the input, stride 1 only; an even
# kernel gets the extra row and column at the bottom and right, as in PyTorch), and an
# unbatched (C, H, W) image. It checks what PyTorch checks and says what is wrong:
# channels that do not match the weight, a kernel larger than the padded image, dtypes
# that differ.
#
# `Conv2d` holds the weight and bias as Parameters, with PyTorch's names, shapes and
# **default init**: a Kaiming-uniform draw with `a = sqrt(5)`, which works out to
# U(-1/sqrt(fan_in), 1/sqrt(fan_in)) with `fan_in = C/groups * kh * kw`, for the weight
# and for the bias alike (the same rule as `Linear`, where fan_in was the number of
# inputs). So `Conv2d(1, 6, 5)` draws from U(-0.2, 0.2).

# %%
#| export
def _pair(value, name):
    """(a, b) from an int or a pair of ints; ValueError naming the option otherwise."""
    pair = (value, value) if isinstance(value, (int, np.integer)) else tuple(value) \
        if isinstance(value, (tuple, list)) else None
    if pair is None or len(pair) != 2 or not all(isinstance(v, (int, np.integer)) for v in pair):
        raise ValueError(f"{name} must be an int or a pair of ints, got {value!r}")
    return tuple(int(v) for v in pair)


def _as_batch(input, function):
    """(the 4-d input, whether it was an unbatched 3-d image)."""
    if not isinstance(input, Tensor):
        raise TypeError(f"{function}: input must be a Tensor, got {type(input).__name__}")
    if input.ndim == 3:
        return input.reshape(1, *input.shape), True
    if input.ndim != 4:
        raise ValueError(f"{function}: expected a 3-d (C, H, W) or 4-d (N, C, H, W) input, got shape {input.shape}")
    return input, False


def _same_dtype(function, input, *others):
    if input.dtype.kind != "f":
        raise TypeError(f"{function}: input has dtype {input.dtype}; it must be floating point")
    for name, other in others:
        if other is not None and other.dtype != input.dtype:
            raise TypeError(f"{function}: input is {input.dtype} but {name} is {other.dtype}; they must be the "
                            f"same (convert one: .float() or .double() on the layer, or the input's dtype)")


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """2-d convolution (cross-correlation, as PyTorch) of input with weight, plus bias.

    input (N, C, H, W) or (C, H, W); weight (O, C/groups, kh, kw); bias (O,) or None.
    stride, dilation: int or pair; padding: int, pair, 'valid' or 'same'; groups divides
    C and O. Returns (N, O, oh, ow), oh = conv_output_size(H, kh, stride, padding, dilation).
    """
    x, unbatched = _as_batch(input, "conv2d")
    _same_dtype("conv2d", x, ("weight", weight), ("bias", bias))
    if weight.ndim != 4:
        raise ValueError(f"conv2d: weight must be 4-d (out_channels, in_channels/groups, kh, kw), got {weight.shape}")
    O, Cg, kh, kw = weight.shape
    stride, dilation = _pair(stride, "stride"), _pair(dilation, "dilation")
    if groups < 1 or O % groups:
        raise ValueError(f"conv2d: groups={groups} must be positive and divide the {O} output channels")
    if x.shape[1] != Cg * groups:
        raise ValueError(f"conv2d: given groups={groups} and a weight of shape {weight.shape}, the input must have "
                         f"{Cg * groups} channels, but its shape {input.shape} has {x.shape[1]}")
    if min(stride) < 1 or min(dilation) < 1:
        raise ValueError(f"conv2d: stride {stride} and dilation {dilation} must be positive")
    extra = None
    if isinstance(padding, str):
        if padding not in ("valid", "same"):
            raise ValueError(f"conv2d: padding must be an int, a pair, 'valid' or 'same', got {padding!r}")
        if padding == "same" and stride != (1, 1):
            raise ValueError("conv2d: padding='same' is not supported for strided convolutions")
        totals = (dilation[0] * (kh - 1), dilation[1] * (kw - 1)) if padding == "same" else (0, 0)
        padding = (totals[0] // 2, totals[1] // 2)
        extra = (totals[0] % 2, totals[1] % 2)  # an even kernel: one more row and column at the end
        if any(extra):
            x = _pad_end(x, extra)
    padding = _pair(padding, "padding")
    if min(padding) < 0:
        raise ValueError(f"conv2d: padding {padding} must not be negative")
    H, W = x.shape[2:]
    if H + 2 * padding[0] < dilation[0] * (kh - 1) + 1 or W + 2 * padding[1] < dilation[1] * (kw - 1) + 1:
        raise ValueError(f"conv2d: the kernel ({kh}x{kw}, dilation {dilation}) is larger than the padded input "
                         f"({H + 2 * padding[0]}x{W + 2 * padding[1]})")
    if bias is None:
        bias = Tensor(np.zeros(O, weight.dtype))
    elif bias.shape != (O,):
        raise ValueError(f"conv2d: bias must have shape ({O},), one per output channel, got {bias.shape}")
    out = convolution(x, weight, bias, stride, padding, dilation, groups)
    return out.reshape(*out.shape[1:]) if unbatched else out


@differentiable
def _pad_end(input, extra):
    """Zeros appended after the last row and column (padding='same' with an even kernel)."""
    x = input.data
    out = np.pad(x, ((0, 0), (0, 0), (0, extra[0]), (0, extra[1])))
    H, W = x.shape[2:]
    return Tensor(out), lambda grad: (grad[:, :, :H, :W],)


class Conv2d(Module):
    """2-d convolution layer: Conv2d(in_channels, out_channels, kernel_size, stride=1,
    padding=0, dilation=1, groups=1, bias=True, padding_mode='zeros', dtype=None).

    weight: Parameter (out_channels, in_channels/groups, kh, kw); bias: (out_channels,) or
    None; both from U(-1/sqrt(fan_in), 1/sqrt(fan_in)), fan_in = in_channels/groups*kh*kw
    (PyTorch's default). Shape: (N, C_in, H, W) -> (N, C_out, oh, ow).

    >>> Conv2d(1, 6, 5, padding=2)(Tensor(np.zeros((8, 1, 28, 28), np.float32))).shape
    (8, 6, 28, 28)
    """

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1, groups=1,
                 bias=True, padding_mode="zeros", device=None, dtype=None):
        super().__init__()
        if groups < 1 or in_channels % groups or out_channels % groups:
            raise ValueError(f"in_channels ({in_channels}) and out_channels ({out_channels}) must be divisible "
                             f"by groups ({groups})")
        if padding_mode != "zeros":
            raise NotImplementedError(f"padding_mode={padding_mode!r}: TinyTorch pads with zeros only "
                                      "(padding_mode='zeros', the default)")
        if isinstance(padding, str):
            if padding not in ("valid", "same"):
                raise ValueError(f"Invalid padding string {padding!r}, should be one of ('valid', 'same')")
            if padding == "same" and _pair(stride, "stride") != (1, 1):
                raise ValueError("padding='same' is not supported for strided convolutions")
        else:
            padding = _pair(padding, "padding")
        self.in_channels, self.out_channels, self.groups = in_channels, out_channels, groups
        self.kernel_size, self.stride = _pair(kernel_size, "kernel_size"), _pair(stride, "stride")
        self.padding, self.dilation, self.padding_mode = padding, _pair(dilation, "dilation"), padding_mode
        dtype = np.dtype(dtype or np.float32)
        self.weight = Parameter(np.empty((out_channels, in_channels // groups, *self.kernel_size), dtype))
        self.bias = Parameter(np.empty(out_channels, dtype)) if bias else None
        self.reset_parameters()

    def reset_parameters(self):
        """PyTorch's default init: kaiming_uniform_(a=sqrt(5)) for the weight, U(+-1/sqrt(fan_in)) for the bias."""
        kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in, _ = _calculate_fan_in_and_fan_out(self.weight)
            bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0.0
            uniform_(self.bias, -bound, bound)

    def forward(self, input):
        return conv2d(input, self.weight, self.bias, self.stride, self.padding, self.dilation, self.groups)

    def extra_repr(self):
        text = f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, stride={self.stride}"
        if self.padding != (0, 0):
            text += f", padding={self.padding}"
        if self.dilation != (1, 1):
            text += f", dilation={self.dilation}"
        if self.groups != 1:
            text += f", groups={self.groups}"
        if self.bias is None:
            text += ", bias=False"
        return text


# %% [markdown]
# ### Check: LeNet's first layer, its init and its names

# %%
tinytorch.manual_seed(0)
conv = Conv2d(1, 6, 5, padding=2)
print(conv)
assert conv.weight.shape == (6, 1, 5, 5) and conv.bias.shape == (6,) and conv.weight.dtype == np.float32
assert np.abs(conv.weight.data).max() <= 0.2 and np.abs(conv.weight.data).max() > 0.19
assert list(conv.state_dict()) == ["weight", "bias"]
digits = Tensor(np.zeros((8, 1, 28, 28), np.float32))
assert conv(digits).shape == (8, 6, 28, 28) and conv(digits).dtype == np.float32
assert Conv2d(3, 8, 3, padding="same")(Tensor(np.zeros((2, 3, 9, 9), np.float32))).shape == (2, 8, 9, 9)

# %% [markdown]
# ## What a filter sees
#
# A kernel is a small picture of what it responds to: it multiplies the patch under it
# pixel by pixel and adds, so the output is large where the patch looks like the kernel.
# Below, four hand-made 3x3 kernels on a digit from MNIST: a vertical edge (light on the
# left, dark on the right), a horizontal edge, a diagonal, and a blur. Red is a large
# positive response, blue a negative one. After training, LeNet's first layer learns
# kernels much like these by itself (`tito plot conv` shows them; the milestone too).

# %%
import types

from tito.offers import feedback_module

figures = feedback_module("conv")  # this module's feedback.py: its figures
figures.filters_figure(types.SimpleNamespace(**globals()));

# %% [markdown]
# ## Why convolution beats a dense layer on images
#
# Two facts, measured in the figure below:
#
# - **Parameters.** To map a 28x28 image to six 28x28 feature maps, a `Linear(784, 4704)`
#   needs 3.7 million weights; `Conv2d(1, 6, 5, padding=2)` needs 156 (6 kernels of 25
#   weights and 6 biases). It can afford to, because a feature looks the same wherever
#   it is.
# - **Translation.** Move the digit two pixels to the right and the convolution's output
#   moves two pixels to the right, unchanged: the layer is *equivariant* to shifts (up to
#   the border). A dense layer's output for the shifted digit has nothing to do with its
#   output for the original: every weight sees another pixel now. Pooling then makes the
#   network's answer tolerant to small shifts.

# %%
figures.conv_vs_dense_figure(types.SimpleNamespace(**globals()));

# %% [markdown]
# ## Pooling: max and average
#
# A pooling layer shrinks each feature map, channel by channel: `MaxPool2d(2)` keeps the
# largest value of every 2x2 window (stride = kernel size by default), halving the height
# and width. It keeps "is the feature somewhere here?" and forgets exactly where, which
# makes the network a little tolerant to shifts and cheaper in the layers after it.
# `AvgPool2d` keeps the mean instead.
#
# The windows are patches again, so `im2col` does the work: pooling each channel on its
# own, the columns of im2col viewed as (C, kh*kw, L) hold, for every channel, every
# window's kh*kw values along axis 1. A reduction over that axis is the pooling.
#
# **The gradient of max** goes to the element that was the maximum, and only there: the
# others did not affect the output. When several elements tie for the maximum (very common
# after a ReLU: a window of zeros), PyTorch sends the whole gradient to the **first**
# of them, in reading order, and so must you: `argmax` returns the first maximum. Sending
# it to every tied element would multiply the gradient by the number of ties.
#
# **Padding for max pooling** is `-inf`, not 0 (a zero would beat the negative values of a
# window); `max_pool2d` pads before calling your code, so here the padding is 0.
#
# **The gradient of the mean** is the output's gradient divided by the window's size,
# sent to every element of the window; col2im adds up the windows that overlap.

# %%
#| export
@differentiable
def max_pool(input, kernel_size, stride, dilation):
    """Max pooling of each channel on checked arguments (see max_pool2d): the input is
    already padded with -inf. Returns (N, C, oh, ow); the gradient goes to the first
    maximum of each window."""
    x = input.data
    N, C, H, W = x.shape
    (kh, kw), (sh, sw), (dh, dw) = kernel_size, stride, dilation
    oh, ow = conv_output_size(H, kh, sh, 0, dh), conv_output_size(W, kw, sw, 0, dw)
    options = (kernel_size, stride, (0, 0), dilation)
    cols = im2col(x, *options).reshape(C, kh * kw, oh * ow * N)  # axis 1: the values of each window
    # TODO: out (C, L): each window's maximum; backward: the gradient to the first maximum only.
    # APPROACH:
    #   1. first = the index of the maximum along axis 1 (keep that axis: shape (C, 1, L)).
    #   2. out = the values of cols at those indices (np.take_along_axis).
    #   3. backward(grad): g = _columns(grad) viewed as (C, 1, L); dcols = zeros like cols with g
    #      put at `first` (np.put_along_axis); return (col2im(dcols as (C*kh*kw, L), x.shape, *options),).
    # HINTS: argmax returns the FIRST maximum, PyTorch's choice for ties; a mask of every
    #        element equal to the maximum would send the gradient to all the tied ones.
    ### BEGIN SOLUTION
    first = cols.argmax(axis=1)[:, None]
    out = np.take_along_axis(cols, first, axis=1)

    def backward(grad):
        dcols = np.zeros_like(cols)
        np.put_along_axis(dcols, first, _columns(grad).reshape(C, 1, -1), axis=1)
        return (col2im(dcols.reshape(C * kh * kw, -1), x.shape, *options),)
    ### END SOLUTION
    return Tensor(out.reshape(C, oh, ow, N).transpose(3, 0, 1, 2)), backward


@differentiable
def avg_pool(input, kernel_size, stride, padding, divisor):
    """Average pooling of each channel on checked arguments (see avg_pool2d): each window's
    sum divided by `divisor` (a number, or an array of one divisor per column of im2col)."""
    x = input.data
    N, C, H, W = x.shape
    (kh, kw), (sh, sw), (ph, pw) = kernel_size, stride, padding
    oh, ow = conv_output_size(H, kh, sh, ph), conv_output_size(W, kw, sw, pw)
    options = (kernel_size, stride, padding, (1, 1))
    cols = im2col(x, *options).reshape(C, kh * kw, oh * ow * N)
    # TODO: out (C, L): each window's sum over divisor; backward: grad / divisor to every element.
    # APPROACH: forward: sum over axis 1, divide. backward(grad): g = _columns(grad) / divisor;
    #           dcols = g broadcast to cols's shape (np.broadcast_to of g[:, None]);
    #           return (col2im(dcols as (C*kh*kw, L), x.shape, *options),).
    # HINTS: every element of a window gets the same share; col2im adds the shares of
    #        overlapping windows.
    ### BEGIN SOLUTION
    out = cols.sum(axis=1) / divisor

    def backward(grad):
        g = _columns(grad) / divisor
        return (col2im(np.broadcast_to(g[:, None], cols.shape).reshape(C * kh * kw, -1), x.shape, *options),)
    ### END SOLUTION
    return Tensor(out.reshape(C, oh, ow, N).transpose(3, 0, 1, 2)), backward


# %% [markdown]
# ### Check: ties after a ReLU, and the gradient of the mean

# %%
x = Tensor(np.array([[[[0.0, 0.0, 1.0, 3.0], [0.0, 0.0, 3.0, 2.0]]]]), requires_grad=True)
out = max_pool(x, (2, 2), (2, 2), (1, 1))
out.backward(Tensor(np.ones(out.shape)))
print("windows:\n", x.data[0, 0], "\nmax:", out.data.ravel(), "\ngradient:\n", x.grad.data[0, 0])
assert out.data.ravel().tolist() == [0.0, 3.0] and x.grad.data[0, 0].tolist() == [[1, 0, 0, 1], [0, 0, 0, 0]]
x.grad = None
mean = avg_pool(x, (2, 2), (2, 2), (0, 0), 4)
mean.backward(Tensor(np.ones(mean.shape)))
assert mean.data.ravel().tolist() == [0.0, 2.25] and np.all(x.grad.data == 0.25)

# %% [markdown]
# ## F.max_pool2d, F.avg_pool2d, the pooling layers
#
# The functions and classes users call, with PyTorch's arguments. `stride` defaults to
# `kernel_size`; `padding` is at most half the kernel; `ceil_mode=True` rounds the output
# size up (a last, partial window, which must start inside the input or its left padding);
# `max_pool2d(..., return_indices=True)` also returns where each maximum was, as PyTorch:
# the flat index `row * W + column` in its (unpadded) input plane. `avg_pool2d` counts the
# zero padding in the divisor (`count_include_pad=True`), or only the real pixels
# (`False`), or divides by `divisor_override`.
#
# `AdaptiveAvgPool2d(output_size)` pools any input to a fixed size: output row `i` of
# `oh` averages the input rows from `floor(i H / oh)` to `ceil((i + 1) H / oh)`, windows
# that may differ in size and overlap. That is a linear map along each axis: a matrix
# `A` of shape (oh, H) whose row `i` holds 1/(its window's length) over the window, and
# `out = A_h @ x @ A_w^T`. Two matrix products of module 01's Tensor, so autograd gives
# its gradient for free.

# %%
#| export
def _pool_arguments(function, input, kernel_size, stride, padding, dilation, ceil_mode):
    """Checked pairs (kernel, stride, padding, dilation) and the extra bottom/right padding
    that ceil_mode needs."""
    kernel, dilation = _pair(kernel_size, "kernel_size"), _pair(dilation, "dilation")
    stride = kernel if stride is None or (isinstance(stride, (tuple, list)) and not stride) else _pair(stride, "stride")
    padding = _pair(padding, "padding")
    if min(kernel) < 1 or min(stride) < 1 or min(dilation) < 1:
        raise ValueError(f"{function}: kernel_size {kernel}, stride {stride} and dilation {dilation} must be positive")
    if any(p < 0 or p > k // 2 for p, k in zip(padding, kernel)):
        raise ValueError(f"{function}: pad should be at most half of effective kernel size, but got "
                         f"padding={padding} and kernel_size={kernel}")
    if input.dtype.kind != "f":
        raise TypeError(f"{function}: input has dtype {input.dtype}; it must be floating point")
    extra = []
    for size, k, s, p, d in zip(input.shape[2:], kernel, stride, padding, dilation):
        span = d * (k - 1) + 1
        if size + 2 * p < span:
            raise ValueError(f"{function}: the window ({kernel}, dilation {dilation}) is larger than the padded "
                             f"input ({input.shape[2:]} with padding {padding})")
        count = conv_output_size(size, k, s, p, d)
        if ceil_mode and (size + 2 * p - span) % s:
            count += 1
            if (count - 1) * s >= size + p:  # the last window would start on the right padding
                count -= 1
        extra.append(max(0, (count - 1) * s + span - (size + 2 * p)))
    return kernel, stride, padding, dilation, tuple(extra)


def _unbatch(out, unbatched):
    return out.reshape(*out.shape[1:]) if unbatched else out


@differentiable
def _pad_with(input, before, after, value):
    """input with `before` rows/columns of `value` above/left and `after` below/right."""
    x = input.data
    out = np.pad(x, ((0, 0), (0, 0), (before[0], after[0]), (before[1], after[1])), constant_values=value)
    H, W = x.shape[2:]
    return Tensor(out), lambda grad: (grad[:, :, before[0]:before[0] + H, before[1]:before[1] + W],)


def max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    """The maximum of each window, channel by channel (PyTorch's max_pool2d).

    input (N, C, H, W) or (C, H, W); kernel_size, stride (default: kernel_size), padding
    (at most half the kernel, -inf), dilation: int or pair. return_indices=True also
    returns, as int64, each maximum's flat index row * W + column in its input plane.
    """
    x, unbatched = _as_batch(input, "max_pool2d")
    kernel, stride, padding, dilation, extra = _pool_arguments("max_pool2d", x, kernel_size, stride, padding,
                                                               dilation, ceil_mode)
    padded = x
    if any(padding) or any(extra):
        after = (padding[0] + extra[0], padding[1] + extra[1])
        padded = _pad_with(x, padding, after, -np.inf)
    out = max_pool(padded, kernel, stride, dilation)
    if not return_indices:
        return _unbatch(out, unbatched)
    return _unbatch(out, unbatched), _unbatch(_max_indices(x, padded, kernel, stride, padding, dilation), unbatched)


def _max_indices(x, padded, kernel, stride, padding, dilation):
    """Where each maximum of max_pool2d was: row * W + column in the unpadded input plane."""
    N, C, _, W = x.shape
    Hp, Wp = padded.shape[2:]
    kh, kw = kernel
    rows, columns = np.meshgrid(np.arange(Hp) - padding[0], np.arange(Wp) - padding[1], indexing="ij")
    spots = im2col((rows * W + columns)[None, None], kernel, stride, (0, 0), dilation)  # (kh*kw, oh*ow)
    windows = im2col(padded.data, kernel, stride, (0, 0), dilation).reshape(C, kh * kw, -1, N)
    first = windows.argmax(axis=1)  # (C, oh*ow, N): the tap of each window's first maximum
    flat = spots[first, np.arange(spots.shape[1])[None, :, None]]
    oh, ow = conv_output_size(Hp, kh, stride[0], 0, dilation[0]), conv_output_size(Wp, kw, stride[1], 0, dilation[1])
    return Tensor(np.ascontiguousarray(flat.reshape(C, oh, ow, N).transpose(3, 0, 1, 2)).astype(np.int64))


def _window_counts(shape, kernel, stride, padding, extra, count_include_pad):
    """How many pixels each pooling window covers (one count per column of im2col, images
    last): the input's and its zero padding's (count_include_pad), or the input's only;
    never the extra rows and columns of ceil_mode."""
    N, _, H, W = shape
    (ph, pw), (eh, ew) = padding, extra
    plane = np.zeros((1, 1, H + 2 * ph + eh, W + 2 * pw + ew))
    if count_include_pad:
        plane[:, :, :H + 2 * ph, :W + 2 * pw] = 1
    else:
        plane[:, :, ph:ph + H, pw:pw + W] = 1
    return np.repeat(im2col(plane, kernel, stride, (0, 0), (1, 1)).sum(axis=0), N)


def avg_pool2d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
               divisor_override=None):
    """The mean of each window, channel by channel (PyTorch's avg_pool2d).

    The divisor is the window's size, zero padding included (count_include_pad=True), or
    only the input's pixels (False), or divisor_override.
    """
    x, unbatched = _as_batch(input, "avg_pool2d")
    kernel, stride, padding, _, extra = _pool_arguments("avg_pool2d", x, kernel_size, stride, padding, 1, ceil_mode)
    if divisor_override is not None:
        if divisor_override == 0:
            raise ValueError("avg_pool2d: divisor_override must not be zero")
        divisor = float(divisor_override)
    elif count_include_pad and not any(extra):
        divisor = float(kernel[0] * kernel[1])
    else:
        divisor = _window_counts(x.shape, kernel, stride, padding, extra, count_include_pad).astype(x.dtype)
    if any(extra):  # zeros after the input: with im2col's zero padding, the same values as padding then extra
        x = _pad_with(x, (0, 0), extra, 0.0)
    return _unbatch(avg_pool(x, kernel, stride, padding, divisor), unbatched)


def _adaptive_matrix(size, out_size, dtype):
    """(out_size, size): row i averages the inputs floor(i size / out) .. ceil((i+1) size / out) - 1."""
    matrix = np.zeros((out_size, size), dtype)
    for i in range(out_size):  # one row per output position: a loop over the output size, not the pixels
        start, end = (i * size) // out_size, -((-(i + 1) * size) // out_size)
        matrix[i, start:end] = 1.0 / (end - start)
    return matrix


def adaptive_avg_pool2d(input, output_size):
    """Average pooling to output_size (an int, a pair, or None in a pair to keep that axis)."""
    x, unbatched = _as_batch(input, "adaptive_avg_pool2d")
    if x.dtype.kind != "f":
        raise TypeError(f"adaptive_avg_pool2d: input has dtype {x.dtype}; it must be floating point")
    sizes = (output_size, output_size) if not isinstance(output_size, (tuple, list)) else tuple(output_size)
    if len(sizes) != 2:
        raise ValueError(f"adaptive_avg_pool2d: output_size must be an int or a pair, got {output_size!r}")
    oh, ow = (x.shape[2 + k] if s is None else int(s) for k, s in enumerate(sizes))
    if oh < 1 or ow < 1:
        raise ValueError(f"adaptive_avg_pool2d: output_size must be positive, got {output_size!r}")
    rows, cols = _adaptive_matrix(x.shape[2], oh, x.dtype), _adaptive_matrix(x.shape[3], ow, x.dtype)
    return _unbatch(Tensor(rows) @ x @ Tensor(cols.T.copy()), unbatched)


class MaxPool2d(Module):
    """MaxPool2d(kernel_size, stride=None, padding=0, dilation=1, return_indices=False,
    ceil_mode=False): the maximum of each window (see max_pool2d)."""

    def __init__(self, kernel_size, stride=None, padding=0, dilation=1, return_indices=False, ceil_mode=False):
        super().__init__()
        self.kernel_size, self.stride = kernel_size, stride if stride is not None else kernel_size
        self.padding, self.dilation = padding, dilation
        self.return_indices, self.ceil_mode = return_indices, ceil_mode

    def forward(self, input):
        return max_pool2d(input, self.kernel_size, self.stride, self.padding, self.dilation, self.ceil_mode,
                          self.return_indices)

    def extra_repr(self):
        return (f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}, "
                f"dilation={self.dilation}, ceil_mode={self.ceil_mode}")


class AvgPool2d(Module):
    """AvgPool2d(kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
    divisor_override=None): the mean of each window (see avg_pool2d)."""

    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
                 divisor_override=None):
        super().__init__()
        self.kernel_size, self.stride = kernel_size, stride if stride is not None else kernel_size
        self.padding, self.ceil_mode = padding, ceil_mode
        self.count_include_pad, self.divisor_override = count_include_pad, divisor_override

    def forward(self, input):
        return avg_pool2d(input, self.kernel_size, self.stride, self.padding, self.ceil_mode,
                          self.count_include_pad, self.divisor_override)

    def extra_repr(self):
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class AdaptiveAvgPool2d(Module):
    """AdaptiveAvgPool2d(output_size): average pooling to a fixed output size."""

    def __init__(self, output_size):
        super().__init__()
        self.output_size = output_size

    def forward(self, input):
        return adaptive_avg_pool2d(input, self.output_size)

    def extra_repr(self):
        return f"output_size={self.output_size}"


# %% [markdown]
# ### Check: PyTorch's pooling layers, and pooling to a fixed size

# %%
x = Tensor(np.random.default_rng(2).normal(size=(2, 3, 9, 9)))
print(MaxPool2d(2), AvgPool2d(3, stride=2, padding=1), AdaptiveAvgPool2d((2, 3)), sep="\n")
assert MaxPool2d(2)(x).shape == (2, 3, 4, 4) and MaxPool2d(2, ceil_mode=True)(x).shape == (2, 3, 5, 5)
assert AvgPool2d(3, stride=2, padding=1)(x).shape == (2, 3, 5, 5)
whole = AdaptiveAvgPool2d(1)(x)
assert whole.shape == (2, 3, 1, 1) and np.allclose(whole.data[..., 0, 0], x.data.mean(axis=(2, 3)))
values, where = max_pool2d(x, 3, return_indices=True)
assert np.array_equal(values.data, np.take_along_axis(x.data.reshape(2, 3, -1), where.data.reshape(2, 3, -1),
                                                      axis=2).reshape(values.shape))

# %% [markdown]
# ## Batch normalisation
#
# Deep networks train faster when every layer's inputs keep a steady scale. Batch
# normalisation (Ioffe and Szegedy, 2015) enforces it: for each channel `c`, over the
# batch (and, for images, over every pixel too), it subtracts the mean and divides by the
# standard deviation, then lets the network choose the scale and shift it wants with two
# learned parameters, `weight` (gamma, starting at 1) and `bias` (beta, at 0):
#
# `y = (x - mean_c) / sqrt(var_c + eps) * gamma_c + beta_c`
#
# `BatchNorm1d` normalises (N, C) or (N, C, L) inputs, `BatchNorm2d` (N, C, H, W): the
# statistics are over every axis but the channel axis 1, that is over `n = N * H * W`
# values per channel.
#
# **Two variances.** In training mode the batch is normalised with its **biased**
# variance, `mean((x - mean)^2)` (divided by n). PyTorch also keeps running averages for
# evaluation, and into `running_var` it puts the **unbiased** estimate, the same sum
# divided by `n - 1`: the batch's own statistics describe the batch; the running ones
# estimate the whole data's.
#
# **The running averages** move a fraction `momentum` (default 0.1) towards each new
# batch: `running = (1 - momentum) * running + momentum * batch`. (This is the opposite
# of the optimizers' momentum, where the large factor multiplies the old value.) They
# start at mean 0 and variance 1.
#
# **Eval mode** (`model.eval()`) normalises with the running statistics instead, and
# changes nothing: a prediction must not depend on the other images in the batch.
#
# **The backward.** In eval mode the layer is an affine map per channel:
# `dx = g * gamma / sqrt(var + eps)`. In training mode the mean and variance depend on
# every `x` too, and the chain rule through them condenses to one line: with
# `xhat = (x - mean) / sqrt(var + eps)` and `gh = g * gamma`,
#
# `dx = (gh - mean(gh) - xhat * mean(gh * xhat)) / sqrt(var + eps)`
#
# with the means over the same n values per channel. `d gamma = sum(g * xhat)` and
# `d beta = sum(g)`, summed over the same axes.
#
# **Numbers.** Compute the variance as the mean of squared deviations from the mean
# (`np.var` does), not as `mean(x^2) - mean^2`: for pixels around 1000 with a spread of 1
# in float32, the second form subtracts two numbers near a million that differ in their
# last digits, and can even come out negative (and `sqrt` of a negative number is nan).
#
# **No NumPy warnings.** The tests of every module fail on a NumPy `RuntimeWarning`
# (division by zero, overflow, an invalid value), because each one is a number gone wrong.
# Here they come from the division: a channel whose values are all equal has variance 0,
# so `eps` belongs inside the root, `1 / sqrt(var + eps)`, never `1 / sqrt(var)` (or
# `... + eps` after it); and the unbiased `n / (n - 1)` needs `n > 1`, which the given
# `batch_norm` checks before it calls you (PyTorch refuses one value per channel too).

# %%
#| export
@differentiable(inputs=3)
def batch_normalization(input, weight, bias, running_mean, running_var, use_batch_stats, momentum, eps):
    """Batch normalisation over every axis but axis 1, on checked arguments (see batch_norm).

    running_mean, running_var: arrays (C,) or None, updated in place when use_batch_stats
    (and not None); momentum: the fraction of the new batch in them.
    """
    x, gamma, beta = input.data, weight.data, bias.data
    axes = (0,) + tuple(range(2, x.ndim))           # every axis but the channels'
    shape = (1, -1) + (1,) * (x.ndim - 2)          # a (C,) array broadcast against x
    n = x.size // x.shape[1]                        # values per channel
    # TODO: mean and var (C,) of this call: the batch's, updating the running ones, or the running ones.
    # APPROACH: use_batch_stats: mean and the biased var over `axes`; then, when running_mean is
    #           not None, update both running arrays in place (`running_mean[...] = ...`):
    #           running = (1 - momentum) * running + momentum * batch, the variance's with the
    #           unbiased var * n / (n - 1). Otherwise mean, var = the running ones.
    # HINTS: normalise with the BIASED variance (np.var's default); only running_var gets the
    #        unbiased one. In place: the module holds these very arrays.
    ### BEGIN SOLUTION
    if use_batch_stats:
        mean, var = x.mean(axis=axes), x.var(axis=axes)
        if running_mean is not None:
            running_mean[...] = (1 - momentum) * running_mean + momentum * mean
            running_var[...] = (1 - momentum) * running_var + momentum * var * n / (n - 1)
    else:
        mean, var = running_mean, running_var
    ### END SOLUTION
    inv_std = (1 / np.sqrt(var + eps)).astype(x.dtype).reshape(shape)
    xhat = (x - mean.astype(x.dtype).reshape(shape)) * inv_std
    out = xhat * gamma.reshape(shape) + beta.reshape(shape)

    def backward(grad):
        # TODO: the gradients of input, weight and bias.
        # APPROACH: gh = grad * gamma (as `shape`). Batch statistics: dx = (gh - mean of gh -
        #           xhat * mean of gh * xhat) * inv_std, the means over `axes` (keepdims=True);
        #           running statistics: dx = gh * inv_std. Weight's: sum over `axes` of
        #           grad * xhat; bias's: sum over `axes` of grad.
        # HINTS: the means are over the n values of a channel, never over the channels.
        ### BEGIN SOLUTION
        gh = grad * gamma.reshape(shape)
        if use_batch_stats:
            gh = gh - gh.mean(axis=axes, keepdims=True) - xhat * (gh * xhat).mean(axis=axes, keepdims=True)
        return gh * inv_std, (grad * xhat).sum(axis=axes), grad.sum(axis=axes)
        ### END SOLUTION
    return Tensor(out), backward


def batch_norm(input, running_mean, running_var, weight=None, bias=None, training=False, momentum=0.1, eps=1e-5):
    """Batch normalisation (PyTorch's F.batch_norm).

    input (N, C, *); running_mean, running_var: Tensors (C,) or None (updated in place in
    training mode); weight, bias: (C,) or None (1 and 0). training=True normalises with
    the batch's statistics, False with the running ones.
    """
    if not isinstance(input, Tensor):
        raise TypeError(f"batch_norm: input must be a Tensor, got {type(input).__name__}")
    if input.ndim < 2:
        raise ValueError(f"batch_norm: input must have a batch and a channel axis (N, C, *), got shape {input.shape}")
    if input.dtype.kind != "f":
        raise TypeError(f"batch_norm: input has dtype {input.dtype}; it must be floating point")
    C = input.shape[1]
    for name, value in (("running_mean", running_mean), ("running_var", running_var), ("weight", weight),
                        ("bias", bias)):
        if value is not None and tuple(value.shape) != (C,):
            raise ValueError(f"batch_norm: {name} must have shape ({C},), one value per channel, got {value.shape}")
    if not training and (running_mean is None or running_var is None):
        raise ValueError("batch_norm: running_mean and running_var must be given when training=False")
    if training and input.size // max(C, 1) <= 1:
        raise ValueError(f"batch_norm: expected more than 1 value per channel when training, got input of shape "
                         f"{input.shape}")
    weight = weight if weight is not None else Tensor(np.ones(C, input.dtype))
    bias = bias if bias is not None else Tensor(np.zeros(C, input.dtype))
    _same_dtype("batch_norm", input, ("weight", weight), ("bias", bias))
    means = None if running_mean is None else running_mean.data
    variances = None if running_var is None else running_var.data
    return batch_normalization(input, weight, bias, means, variances, bool(training), momentum, eps)


class _BatchNorm(Module):
    """The batch norm layers: weight and bias Parameters (affine), running statistics as
    buffers (track_running_stats), PyTorch's forward rules."""

    dims = ()

    def __init__(self, num_features, eps=1e-5, momentum=0.1, affine=True, track_running_stats=True, device=None,
                 dtype=None, *, bias=True):
        super().__init__()
        self.num_features, self.eps, self.momentum = num_features, eps, momentum
        self.affine, self.track_running_stats = affine, track_running_stats
        dtype = np.dtype(dtype or np.float32)
        self.weight = Parameter(np.ones(num_features, dtype)) if affine else None
        self.bias = Parameter(np.zeros(num_features, dtype)) if affine and bias else None
        if track_running_stats:
            self.register_buffer("running_mean", Tensor(np.zeros(num_features, dtype)))
            self.register_buffer("running_var", Tensor(np.ones(num_features, dtype)))
            self.register_buffer("num_batches_tracked", Tensor(np.array(0, np.int64)))
        else:
            self.running_mean = self.running_var = self.num_batches_tracked = None

    def reset_running_stats(self):
        if self.track_running_stats:
            self.running_mean.data[...] = 0
            self.running_var.data[...] = 1
            self.num_batches_tracked.data[...] = 0

    def reset_parameters(self):
        self.reset_running_stats()
        if self.weight is not None:
            self.weight.data[...] = 1
        if self.bias is not None:
            self.bias.data[...] = 0

    def forward(self, input):
        if not isinstance(input, Tensor) or input.ndim not in self.dims:
            got = f"{input.ndim}D" if isinstance(input, Tensor) else type(input).__name__
            raise ValueError(f"expected {' or '.join(f'{d}D' for d in self.dims)} input (got {got} input)")
        factor = 0.0 if self.momentum is None else self.momentum
        if self.training and self.track_running_stats:
            self.num_batches_tracked.data[...] += 1
            if self.momentum is None:  # a cumulative average of every batch so far
                factor = 1.0 / float(self.num_batches_tracked.data)
        batch_stats = self.training or self.running_mean is None
        tracked = not self.training or self.track_running_stats
        return batch_norm(input, self.running_mean if tracked else None, self.running_var if tracked else None,
                          self.weight, self.bias, batch_stats, factor, self.eps)

    def extra_repr(self):
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, affine={self.affine}, "
                f"bias={self.bias is not None}, track_running_stats={self.track_running_stats}")


class BatchNorm1d(_BatchNorm):
    """BatchNorm1d(num_features, eps=1e-5, momentum=0.1, affine=True, track_running_stats=True, *, bias=True):
    batch normalisation of (N, C) or (N, C, L) inputs, per channel C."""

    dims = (2, 3)


class BatchNorm2d(_BatchNorm):
    """BatchNorm2d(num_features, eps=1e-5, momentum=0.1, affine=True, track_running_stats=True, *, bias=True):
    batch normalisation of (N, C, H, W) inputs, per channel C."""

    dims = (4,)


# %% [markdown]
# ### Check: a training step, then eval
#
# Pixels around 1000 with a spread of 3: in training mode each channel comes out with mean
# 0 and standard deviation 1 (up to eps), and the running statistics move a tenth of the
# way from (0, 1) towards the batch's. In eval mode the running statistics are used, so
# the same batch is *not* normalised yet.

# %%
rng = np.random.default_rng(3)
images = Tensor((1000 + 3 * rng.normal(size=(16, 4, 5, 5))).astype(np.float32))
norm = BatchNorm2d(4)
print(norm)
y = norm(images).data
print("train: mean", y.mean(axis=(0, 2, 3)).round(4), "std", y.std(axis=(0, 2, 3)).round(4))
print("running_mean", norm.running_mean.data.round(2), "running_var", norm.running_var.data.round(2))
assert np.allclose(y.mean(axis=(0, 2, 3)), 0, atol=1e-3) and np.allclose(y.std(axis=(0, 2, 3)), 1, atol=1e-3)
assert np.allclose(norm.running_mean.data, 100, atol=1) and int(norm.num_batches_tracked.data) == 1
norm.eval()
print("eval: mean", norm(images).data.mean(axis=(0, 2, 3)).round(1))
assert list(norm.state_dict()) == ["weight", "bias", "running_mean", "running_var", "num_batches_tracked"]

# %% [markdown]
# ## LeNet, with your layers
#
# Everything the 1998 network needs is here now. The milestone trains this model on the
# 60,000 MNIST digits (`tito milestone lenet`):

# %%
from tinytorch import nn

tinytorch.manual_seed(0)
lenet = nn.Sequential(
    Conv2d(1, 6, 5, padding=2), nn.ReLU(), MaxPool2d(2),       # (N, 6, 14, 14)
    Conv2d(6, 16, 5), nn.ReLU(), MaxPool2d(2),                 # (N, 16, 5, 5)
    nn.Flatten(), nn.Linear(400, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, 10))
print(lenet)
print(sum(p.size for p in lenet.parameters()), "parameters")
scores = lenet(Tensor(np.zeros((3, 1, 28, 28), np.float32)))
assert scores.shape == (3, 10)

# %% [markdown]
# ## What's next
#
# - **`tito milestone lenet`**: LeNet on MNIST, at least 99% of the test digits right,
#   next to the same recipe in PyTorch and next to the best MLP on the same data.
# - **Module 10** turns text into numbers, for the networks that read sequences.
#
# Run `tito test conv` for the full tests, `tito plot conv` for the figures, `tito bench
# conv` for the speed, and `tito sync` to put your layers into the package.

# %% [markdown]
# ## How this module is graded
#
# `tito grade` runs this module's tests on your code. The tests that code computing
# nothing passes too (an output's shape, float32 kept, an error naming a wrong argument)
# share 5% of the score; the tests that need the right values share the other 95%.
