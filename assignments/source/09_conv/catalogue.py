"""Module 09's catalogue: learner mistakes its tests must catch (with PyTorch absent too) and
correct variants, written differently, that they must pass. Each entry rewrites whole
functions of tinytorch.core.conv as a learner would write them."""
from tito.catalogue import Mistake, Variant

AT_LEAST = 30  # the catalogue keeps at least this many mistakes

IM2COL_HEAD = '''
def im2col(x, kernel_size, stride=(1, 1), padding=(0, 0), dilation=(1, 1)):
    N, C, H, W = x.shape
    (kh, kw), (sh, sw), (ph, pw), (dh, dw) = kernel_size, stride, padding, dilation
    oh, ow = conv_output_size(H, kh, sh, ph, dh), conv_output_size(W, kw, sw, pw, dw)
'''

COL2IM_HEAD = '''
def col2im(cols, shape, kernel_size, stride=(1, 1), padding=(0, 0), dilation=(1, 1)):
    N, C, H, W = shape
    (kh, kw), (sh, sw), (ph, pw), (dh, dw) = kernel_size, stride, padding, dilation
    oh, ow = conv_output_size(H, kh, sh, ph, dh), conv_output_size(W, kw, sw, pw, dw)
    cols = cols.reshape(C, kh, kw, oh, ow, N)
'''

CONVOLUTION_HEAD = '''
@differentiable(inputs=3)
def convolution(input, weight, bias, stride, padding, dilation, groups):
    x, w, b = input.data, weight.data, bias.data
    N, _, H, W = x.shape
    O, _, kh, kw = w.shape
    G = groups
    oh, ow = conv_output_size(H, kh, stride[0], padding[0], dilation[0]), \\
        conv_output_size(W, kw, stride[1], padding[1], dilation[1])
    options = ((kh, kw), stride, padding, dilation)
'''

CONVOLUTION_TAIL = '''
    return Tensor(out.reshape(O, oh, ow, N).transpose(3, 0, 1, 2)), backward
'''

MAX_POOL_HEAD = '''
@differentiable
def max_pool(input, kernel_size, stride, dilation):
    x = input.data
    N, C, H, W = x.shape
    (kh, kw), (sh, sw), (dh, dw) = kernel_size, stride, dilation
    oh, ow = conv_output_size(H, kh, sh, 0, dh), conv_output_size(W, kw, sw, 0, dw)
    options = (kernel_size, stride, (0, 0), dilation)
    cols = im2col(x, *options).reshape(C, kh * kw, oh * ow * N)
'''

AVG_POOL_HEAD = '''
@differentiable
def avg_pool(input, kernel_size, stride, padding, divisor):
    x = input.data
    N, C, H, W = x.shape
    (kh, kw), (sh, sw), (ph, pw) = kernel_size, stride, padding
    oh, ow = conv_output_size(H, kh, sh, ph), conv_output_size(W, kw, sw, pw)
    options = (kernel_size, stride, padding, (1, 1))
    cols = im2col(x, *options).reshape(C, kh * kw, oh * ow * N)
'''

POOL_TAIL = '''
    return Tensor(out.reshape(C, oh, ow, N).transpose(3, 0, 1, 2)), backward
'''

NORM_HEAD = '''
@differentiable(inputs=3)
def batch_normalization(input, weight, bias, running_mean, running_var, use_batch_stats, momentum, eps):
    x, gamma, beta = input.data, weight.data, bias.data
    axes = (0,) + tuple(range(2, x.ndim))
    shape = (1, -1) + (1,) * (x.ndim - 2)
    n = x.size // x.shape[1]
'''

NORM_STATISTICS = '''
    if use_batch_stats:
        mean, var = x.mean(axis=axes), x.var(axis=axes)
        if running_mean is not None:
            running_mean[...] = (1 - momentum) * running_mean + momentum * mean
            running_var[...] = (1 - momentum) * running_var + momentum * var * n / (n - 1)
    else:
        mean, var = running_mean, running_var
'''

NORM_VALUE = '''
    inv_std = (1 / np.sqrt(var + eps)).astype(x.dtype).reshape(shape)
    xhat = (x - mean.astype(x.dtype).reshape(shape)) * inv_std
    out = xhat * gamma.reshape(shape) + beta.reshape(shape)
'''

NORM_BACKWARD = '''
    def backward(grad):
        gh = grad * gamma.reshape(shape)
        if use_batch_stats:
            gh = gh - gh.mean(axis=axes, keepdims=True) - xhat * (gh * xhat).mean(axis=axes, keepdims=True)
        return gh * inv_std, (grad * xhat).sum(axis=axes), grad.sum(axis=axes)
    return Tensor(out), backward
'''

CONVOLUTION_BACKWARD = '''
    def backward(grad):
        g = _columns(grad).reshape(G, O // G, -1)
        dw = (g @ cols.transpose(0, 2, 1)).reshape(w.shape)
        dx = col2im((wg.transpose(0, 2, 1) @ g).reshape(-1, g.shape[2]), x.shape, *options) \\
            if input.requires_grad else None
        return dx, dw, grad.sum(axis=(0, 2, 3))
'''

CONVOLUTION_FORWARD = '''
    cols = im2col(x, *options).reshape(G, -1, oh * ow * N)
    wg = w.reshape(G, O // G, -1)
    out = (wg @ cols).reshape(O, -1) + b[:, None]
'''

MISTAKES = [
    # ---- how many positions -----------------------------------------------------------------
    Mistake("output_size_off_by_one", "the +1 for the first position forgotten", '''
def conv_output_size(size, kernel_size, stride=1, padding=0, dilation=1):
    return (size + 2 * padding - dilation * (kernel_size - 1) - 1) // stride
'''),
    Mistake("output_size_rounds_up", "the division by the stride rounded up (a partial last position)", '''
def conv_output_size(size, kernel_size, stride=1, padding=0, dilation=1):
    return math.ceil((size + 2 * padding - dilation * (kernel_size - 1) - 1) / stride) + 1
'''),
    Mistake("output_size_stride_on_everything", "(size + 2p - k) // s + 1 with the -1 moved: off by one with stride",
            '''
def conv_output_size(size, kernel_size, stride=1, padding=0, dilation=1):
    return (size + 2 * padding - dilation * (kernel_size - 1)) // stride + 1
'''),
    Mistake("output_size_ignores_dilation", "the kernel's span without the dilation", '''
def conv_output_size(size, kernel_size, stride=1, padding=0, dilation=1):
    return (size + 2 * padding - kernel_size) // stride + 1
'''),
    Mistake("output_size_one_side_padding", "the padding counted once instead of on both sides", '''
def conv_output_size(size, kernel_size, stride=1, padding=0, dilation=1):
    return (size + padding - dilation * (kernel_size - 1) - 1) // stride + 1
'''),
    # ---- im2col -------------------------------------------------------------------------------
    Mistake("im2col_pads_wrong_axes", "np.pad widths on the channel and row axes instead of rows and columns",
            IM2COL_HEAD + '''
    padded = np.pad(x.transpose(1, 2, 3, 0), ((ph, ph), (pw, pw), (0, 0), (0, 0)))
    cols = np.empty((C, kh, kw, oh, ow, N), x.dtype)
    for i in range(kh):
        for j in range(kw):
            cols[:, i, j] = padded[:, i * dh:i * dh + sh * (oh - 1) + 1:sh, j * dw:j * dw + sw * (ow - 1) + 1:sw]
    return cols.reshape(C * kh * kw, oh * ow * N)
'''),
    Mistake("im2col_pads_every_axis", "np.pad with one width per side: the channels and images padded too",
            IM2COL_HEAD + '''
    padded = np.pad(x.transpose(1, 2, 3, 0), (ph, pw))
    cols = np.empty((C, kh, kw, oh, ow, N), x.dtype)
    for i in range(kh):
        for j in range(kw):
            window = padded[:C, i * dh:i * dh + sh * (oh - 1) + 1:sh, j * dw:j * dw + sw * (ow - 1) + 1:sw, :N]
            cols[:, i, j] = window
    return cols.reshape(C * kh * kw, oh * ow * N)
'''),
    Mistake("im2col_ignores_dilation", "the kernel's taps one pixel apart whatever the dilation", IM2COL_HEAD + '''
    padded = np.pad(x.transpose(1, 2, 3, 0), ((0, 0), (ph, ph), (pw, pw), (0, 0)))
    cols = np.empty((C, kh, kw, oh, ow, N), x.dtype)
    for i in range(kh):
        for j in range(kw):
            cols[:, i, j] = padded[:, i:i + sh * (oh - 1) + 1:sh, j:j + sw * (ow - 1) + 1:sw]
    return cols.reshape(C * kh * kw, oh * ow * N)
'''),
    Mistake("im2col_stride_on_the_taps", "the stride applied between the kernel's taps instead of its positions",
            IM2COL_HEAD + '''
    padded = np.pad(x.transpose(1, 2, 3, 0), ((0, 0), (ph, ph), (pw, pw), (0, 0)))
    cols = np.empty((C, kh, kw, oh, ow, N), x.dtype)
    for i in range(kh):
        for j in range(kw):
            cols[:, i, j] = padded[:, i * sh:i * sh + dh * (oh - 1) + 1:dh, j * sw:j * sw + dw * (ow - 1) + 1:dw]
    return cols.reshape(C * kh * kw, oh * ow * N)
'''),
    Mistake("im2col_images_first", "the columns in (image, row, column) order, not the documented images-last",
            IM2COL_HEAD + '''
    padded = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    cols = np.empty((C, kh, kw, N, oh, ow), x.dtype)
    for i in range(kh):
        for j in range(kw):
            window = padded[:, :, i * dh:i * dh + sh * (oh - 1) + 1:sh, j * dw:j * dw + sw * (ow - 1) + 1:sw]
            cols[:, i, j] = window.transpose(1, 0, 2, 3)
    return cols.reshape(C * kh * kw, N * oh * ow)
'''),
    Mistake("im2col_loops_over_images", "a Python loop over the images (right values, not vectorised)",
            IM2COL_HEAD + '''
    padded = np.pad(x.transpose(1, 2, 3, 0), ((0, 0), (ph, ph), (pw, pw), (0, 0)))
    cols = np.empty((C, kh, kw, oh, ow, N), x.dtype)
    for n in range(N):
        for i in range(kh):
            for j in range(kw):
                cols[:, i, j, :, :, n] = padded[:, i * dh:i * dh + sh * (oh - 1) + 1:sh,
                                                j * dw:j * dw + sw * (ow - 1) + 1:sw, n]
    return cols.reshape(C * kh * kw, oh * ow * N)
'''),
    Mistake("im2col_float64", "the matrix made with np.zeros without a dtype: float32 images become float64",
            IM2COL_HEAD + '''
    padded = np.pad(x.transpose(1, 2, 3, 0), ((0, 0), (ph, ph), (pw, pw), (0, 0)))
    cols = np.zeros((C, kh, kw, oh, ow, N))
    for i in range(kh):
        for j in range(kw):
            cols[:, i, j] = padded[:, i * dh:i * dh + sh * (oh - 1) + 1:sh, j * dw:j * dw + sw * (ow - 1) + 1:sw]
    return cols.reshape(C * kh * kw, oh * ow * N)
'''),
    # ---- col2im -------------------------------------------------------------------------------
    Mistake("col2im_overwrites", "= where += belongs: overlapping patches keep only the last gradient",
            COL2IM_HEAD + '''
    padded = np.zeros((C, H + 2 * ph, W + 2 * pw, N), cols.dtype)
    for i in range(kh):
        for j in range(kw):
            padded[:, i * dh:i * dh + sh * (oh - 1) + 1:sh, j * dw:j * dw + sw * (ow - 1) + 1:sw] = cols[:, i, j]
    return padded[:, ph:ph + H, pw:pw + W].transpose(3, 0, 1, 2)
'''),
    Mistake("col2im_crops_the_wrong_corner", "the padding cut from the end only", COL2IM_HEAD + '''
    padded = np.zeros((C, H + 2 * ph, W + 2 * pw, N), cols.dtype)
    for i in range(kh):
        for j in range(kw):
            padded[:, i * dh:i * dh + sh * (oh - 1) + 1:sh, j * dw:j * dw + sw * (ow - 1) + 1:sw] += cols[:, i, j]
    return padded[:, :H, :W].transpose(3, 0, 1, 2)
'''),
    # ---- the convolution ----------------------------------------------------------------------
    Mistake("convolution_flips_the_kernel", "a true convolution: the kernel flipped (PyTorch correlates)",
            CONVOLUTION_HEAD + '''
    cols = im2col(x, *options).reshape(G, -1, oh * ow * N)
    wg = w[:, :, ::-1, ::-1].reshape(G, O // G, -1)
    out = (wg @ cols).reshape(O, -1) + b[:, None]

    def backward(grad):
        g = _columns(grad).reshape(G, O // G, -1)
        dw = (g @ cols.transpose(0, 2, 1)).reshape(w.shape)[:, :, ::-1, ::-1]
        dx = col2im((wg.transpose(0, 2, 1) @ g).reshape(-1, g.shape[2]), x.shape, *options) \\
            if input.requires_grad else None
        return dx, dw, grad.sum(axis=(0, 2, 3))
''' + CONVOLUTION_TAIL),
    Mistake("convolution_weight_grad_unflipped", "forward right, weight gradient of a flipped kernel",
            CONVOLUTION_HEAD + CONVOLUTION_FORWARD + '''
    def backward(grad):
        g = _columns(grad).reshape(G, O // G, -1)
        dw = (g @ cols.transpose(0, 2, 1)).reshape(w.shape)[:, :, ::-1, ::-1]
        dx = col2im((wg.transpose(0, 2, 1) @ g).reshape(-1, g.shape[2]), x.shape, *options) \\
            if input.requires_grad else None
        return dx, dw, grad.sum(axis=(0, 2, 3))
''' + CONVOLUTION_TAIL),
    Mistake("convolution_groups_interleaved", "the groups taken as every G-th channel instead of blocks",
            CONVOLUTION_HEAD + '''
    cols = im2col(x, *options).reshape(-1, G, oh * ow * N).transpose(1, 0, 2)
    wg = w.reshape(G, O // G, -1)
    out = (wg @ cols).reshape(O, -1) + b[:, None]

    def backward(grad):
        g = _columns(grad).reshape(G, O // G, -1)
        dw = (g @ cols.transpose(0, 2, 1)).reshape(w.shape)
        dcols = (wg.transpose(0, 2, 1) @ g).transpose(1, 0, 2).reshape(-1, g.shape[2])
        dx = col2im(dcols, x.shape, *options) if input.requires_grad else None
        return dx, dw, grad.sum(axis=(0, 2, 3))
''' + CONVOLUTION_TAIL),
    Mistake("convolution_bias_grad_mean", "the bias gradient averaged instead of summed",
            CONVOLUTION_HEAD + CONVOLUTION_FORWARD + '''
    def backward(grad):
        g = _columns(grad).reshape(G, O // G, -1)
        dw = (g @ cols.transpose(0, 2, 1)).reshape(w.shape)
        dx = col2im((wg.transpose(0, 2, 1) @ g).reshape(-1, g.shape[2]), x.shape, *options) \\
            if input.requires_grad else None
        return dx, dw, grad.mean(axis=(0, 2, 3))
''' + CONVOLUTION_TAIL),
    Mistake("convolution_no_input_grad", "the input's gradient never computed (right for images, not for layers)",
            CONVOLUTION_HEAD + CONVOLUTION_FORWARD + '''
    def backward(grad):
        g = _columns(grad).reshape(G, O // G, -1)
        dw = (g @ cols.transpose(0, 2, 1)).reshape(w.shape)
        return None, dw, grad.sum(axis=(0, 2, 3))
''' + CONVOLUTION_TAIL),
    Mistake("convolution_grad_in_image_order", "the upstream gradient flattened as (O, N, oh, ow): the wrong order",
            CONVOLUTION_HEAD + CONVOLUTION_FORWARD + '''
    def backward(grad):
        g = grad.transpose(1, 0, 2, 3).reshape(G, O // G, -1)
        dw = (g @ cols.transpose(0, 2, 1)).reshape(w.shape)
        dx = col2im((wg.transpose(0, 2, 1) @ g).reshape(-1, g.shape[2]), x.shape, *options) \\
            if input.requires_grad else None
        return dx, dw, grad.sum(axis=(0, 2, 3))
''' + CONVOLUTION_TAIL),
    Mistake("convolution_loops_over_images", "one matrix product per image in a Python loop (right, not vectorised)",
            CONVOLUTION_HEAD + '''
    cols = im2col(x, *options).reshape(G, -1, oh * ow, N)
    wg = w.reshape(G, O // G, -1)
    out = np.stack([(wg @ cols[..., n]).reshape(O, -1) for n in range(N)], axis=-1).reshape(O, -1) + b[:, None]
    cols = cols.reshape(G, -1, oh * ow * N)
''' + CONVOLUTION_BACKWARD + CONVOLUTION_TAIL),
    # ---- pooling ------------------------------------------------------------------------------
    Mistake("max_pool_gradient_to_every_tie", "the gradient sent to every element equal to the maximum",
            MAX_POOL_HEAD + '''
    out = cols.max(axis=1, keepdims=True)

    def backward(grad):
        dcols = (cols == out) * _columns(grad).reshape(C, 1, -1)
        return (col2im(dcols.reshape(C * kh * kw, -1), x.shape, *options),)
''' + POOL_TAIL),
    Mistake("max_pool_gradient_to_last_tie", "the last maximum of a window instead of the first", MAX_POOL_HEAD + '''
    last = (kh * kw - 1 - cols[:, ::-1].argmax(axis=1))[:, None]
    out = np.take_along_axis(cols, last, axis=1)

    def backward(grad):
        dcols = np.zeros_like(cols)
        np.put_along_axis(dcols, last, _columns(grad).reshape(C, 1, -1), axis=1)
        return (col2im(dcols.reshape(C * kh * kw, -1), x.shape, *options),)
''' + POOL_TAIL),
    Mistake("max_pool_gradient_shared", "the gradient shared equally between tied maxima (what amax does)",
            MAX_POOL_HEAD + '''
    out = cols.max(axis=1, keepdims=True)

    def backward(grad):
        hits = cols == out
        dcols = hits * (_columns(grad).reshape(C, 1, -1) / hits.sum(axis=1, keepdims=True))
        return (col2im(dcols.reshape(C * kh * kw, -1), x.shape, *options),)
''' + POOL_TAIL),
    Mistake("avg_pool_gradient_undivided", "the backward sends the whole gradient to every element",
            AVG_POOL_HEAD + '''
    out = cols.sum(axis=1) / divisor

    def backward(grad):
        g = _columns(grad)
        return (col2im(np.broadcast_to(g[:, None], cols.shape).reshape(C * kh * kw, -1), x.shape, *options),)
''' + POOL_TAIL),
    Mistake("avg_pool_mean_of_the_window", "the mean of the window, ignoring the divisor it was given",
            AVG_POOL_HEAD + '''
    out = cols.mean(axis=1)

    def backward(grad):
        g = _columns(grad) / (kh * kw)
        return (col2im(np.broadcast_to(g[:, None], cols.shape).reshape(C * kh * kw, -1), x.shape, *options),)
''' + POOL_TAIL),
    # ---- batch normalisation ------------------------------------------------------------------
    Mistake("norm_unbiased_variance", "the batch normalised with the unbiased variance (ddof=1)", NORM_HEAD + '''
    if use_batch_stats:
        mean, var = x.mean(axis=axes), x.var(axis=axes, ddof=1)
        if running_mean is not None:
            running_mean[...] = (1 - momentum) * running_mean + momentum * mean
            running_var[...] = (1 - momentum) * running_var + momentum * var
    else:
        mean, var = running_mean, running_var
''' + NORM_VALUE + NORM_BACKWARD),
    Mistake("norm_running_var_biased", "the biased variance put into running_var", NORM_HEAD + '''
    if use_batch_stats:
        mean, var = x.mean(axis=axes), x.var(axis=axes)
        if running_mean is not None:
            running_mean[...] = (1 - momentum) * running_mean + momentum * mean
            running_var[...] = (1 - momentum) * running_var + momentum * var
    else:
        mean, var = running_mean, running_var
''' + NORM_VALUE + NORM_BACKWARD),
    Mistake("norm_momentum_reversed", "momentum applied the wrong way round: 0.9 of the new batch", NORM_HEAD + '''
    if use_batch_stats:
        mean, var = x.mean(axis=axes), x.var(axis=axes)
        if running_mean is not None:
            running_mean[...] = momentum * running_mean + (1 - momentum) * mean
            running_var[...] = momentum * running_var + (1 - momentum) * var * n / (n - 1)
    else:
        mean, var = running_mean, running_var
''' + NORM_VALUE + NORM_BACKWARD),
    Mistake("norm_batch_statistics_in_eval", "the batch's statistics in eval mode too", NORM_HEAD + '''
    mean, var = x.mean(axis=axes), x.var(axis=axes)
    if use_batch_stats and running_mean is not None:
        running_mean[...] = (1 - momentum) * running_mean + momentum * mean
        running_var[...] = (1 - momentum) * running_var + momentum * var * n / (n - 1)
''' + NORM_VALUE + NORM_BACKWARD),
    Mistake("norm_updates_in_eval", "the running statistics updated in eval mode too (with the batch's)",
            NORM_HEAD + '''
    batch_mean, batch_var = x.mean(axis=axes), x.var(axis=axes)
    if running_mean is not None:
        running_mean[...] = (1 - momentum) * running_mean + momentum * batch_mean
        running_var[...] = (1 - momentum) * running_var + momentum * batch_var * n / (n - 1)
    mean, var = (batch_mean, batch_var) if use_batch_stats else (running_mean, running_var)
''' + NORM_VALUE + NORM_BACKWARD),
    Mistake("norm_running_stats_rebound", "running_mean = ... rebinds the name: the module's arrays never move",
            NORM_HEAD + '''
    if use_batch_stats:
        mean, var = x.mean(axis=axes), x.var(axis=axes)
        if running_mean is not None:
            running_mean = (1 - momentum) * running_mean + momentum * mean
            running_var = (1 - momentum) * running_var + momentum * var * n / (n - 1)
    else:
        mean, var = running_mean, running_var
''' + NORM_VALUE + NORM_BACKWARD),
    Mistake("norm_variance_by_moments", "var = mean(x^2) - mean^2: cancels for pixels far from zero", NORM_HEAD + '''
    if use_batch_stats:
        mean = x.mean(axis=axes)
        var = (x * x).mean(axis=axes) - mean * mean
        if running_mean is not None:
            running_mean[...] = (1 - momentum) * running_mean + momentum * mean
            running_var[...] = (1 - momentum) * running_var + momentum * var * n / (n - 1)
    else:
        mean, var = running_mean, running_var
''' + NORM_VALUE + NORM_BACKWARD),
    Mistake("norm_backward_as_if_constant", "the batch's mean and variance treated as constants in the backward",
            NORM_HEAD + NORM_STATISTICS + NORM_VALUE + '''
    def backward(grad):
        gh = grad * gamma.reshape(shape)
        return gh * inv_std, (grad * xhat).sum(axis=axes), grad.sum(axis=axes)
    return Tensor(out), backward
'''),
    Mistake("norm_statistics_over_everything", "one mean and variance for the whole batch, channels mixed",
            NORM_HEAD + '''
    if use_batch_stats:
        mean, var = np.full(x.shape[1], x.mean(), x.dtype), np.full(x.shape[1], x.var(), x.dtype)
        if running_mean is not None:
            running_mean[...] = (1 - momentum) * running_mean + momentum * mean
            running_var[...] = (1 - momentum) * running_var + momentum * var * n / (n - 1)
    else:
        mean, var = running_mean, running_var
''' + NORM_VALUE + NORM_BACKWARD),
]

VARIANTS = [
    Variant("output_size_with_floor", "math.floor of a true division", '''
def conv_output_size(size, kernel_size, stride=1, padding=0, dilation=1):
    span = dilation * (kernel_size - 1) + 1
    return math.floor((size + 2 * padding - span) / stride) + 1
'''),
    Variant("im2col_sliding_window_view", "NumPy's sliding_window_view, then one copy into the layout",
            IM2COL_HEAD + '''
    padded = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    windows = np.lib.stride_tricks.sliding_window_view(padded, (dh * (kh - 1) + 1, dw * (kw - 1) + 1), axis=(2, 3))
    windows = windows[:, :, ::sh, ::sw, ::dh, ::dw][:, :, :oh, :ow]     # (N, C, oh, ow, kh, kw)
    return np.ascontiguousarray(windows.transpose(1, 4, 5, 2, 3, 0)).reshape(C * kh * kw, oh * ow * N)
'''),
    Variant("im2col_zeros_then_assign", "a zero array for the padding, filled with the image, then the slices",
            IM2COL_HEAD + '''
    padded = np.zeros((C, H + 2 * ph, W + 2 * pw, N), x.dtype)
    padded[:, ph:ph + H, pw:pw + W] = x.transpose(1, 2, 3, 0)
    cols = np.empty((C, kh, kw, oh, ow, N), x.dtype)
    for i in range(kh):
        rows = slice(i * dh, i * dh + sh * (oh - 1) + 1, sh)
        for j in range(kw):
            cols[:, i, j] = padded[:, rows, slice(j * dw, j * dw + sw * (ow - 1) + 1, sw)]
    return cols.reshape(-1, oh * ow * N)
'''),
    Variant("col2im_add_at", "np.add.at with the indices of every tap", COL2IM_HEAD + '''
    rows = (np.arange(kh) * dh)[:, None, None, None] + (np.arange(oh) * sh)[None, None, :, None]
    columns = (np.arange(kw) * dw)[None, :, None, None] + (np.arange(ow) * sw)[None, None, None, :]
    rows, columns = np.broadcast_to(rows, (kh, kw, oh, ow)), np.broadcast_to(columns, (kh, kw, oh, ow))
    padded = np.zeros((C, H + 2 * ph, W + 2 * pw, N), cols.dtype)
    np.add.at(padded, (slice(None), rows, columns), cols)
    return padded[:, ph:ph + H, pw:pw + W].transpose(3, 0, 1, 2)
'''),
    Variant("convolution_einsum", "np.einsum for the products of the forward and the backward",
            CONVOLUTION_HEAD + '''
    cols = im2col(x, *options).reshape(G, -1, oh * ow * N)
    wg = w.reshape(G, O // G, -1)
    out = np.einsum("gok,gkl->gol", wg, cols).reshape(O, -1) + b[:, None]

    def backward(grad):
        g = grad.transpose(1, 2, 3, 0).reshape(G, O // G, -1)
        dw = np.einsum("gol,gkl->gok", g, cols).reshape(w.shape)
        dx = None
        if input.requires_grad:
            dx = col2im(np.einsum("gok,gol->gkl", wg, g).reshape(-1, g.shape[2]), x.shape, *options)
        return dx, dw, g.sum(axis=2).reshape(O)
''' + CONVOLUTION_TAIL),
    Variant("max_pool_first_mask", "the first maximum found with a cumulative sum of the matches", MAX_POOL_HEAD + '''
    out = cols.max(axis=1, keepdims=True)
    hits = cols == out
    first = hits & (np.cumsum(hits, axis=1) == 1)

    def backward(grad):
        dcols = first * _columns(grad).reshape(C, 1, -1)
        return (col2im(dcols.reshape(C * kh * kw, -1), x.shape, *options),)
''' + POOL_TAIL),
    Variant("avg_pool_repeat", "the shares repeated with np.repeat instead of broadcast", AVG_POOL_HEAD + '''
    out = np.sum(cols, axis=1) / divisor

    def backward(grad):
        shares = np.repeat((_columns(grad) / divisor)[:, None], kh * kw, axis=1)
        return (col2im(shares.reshape(C * kh * kw, -1), x.shape, *options),)
''' + POOL_TAIL),
    Variant("norm_sums_and_in_place", "the statistics from sums, the running averages updated in place by parts",
            NORM_HEAD + '''
    if use_batch_stats:
        mean = x.sum(axis=axes) / n
        var = ((x - mean.reshape(shape)) ** 2).sum(axis=axes) / n
        if running_mean is not None:
            running_mean *= 1 - momentum
            running_mean += momentum * mean
            running_var *= 1 - momentum
            running_var += momentum * var * (n / (n - 1))
    else:
        mean, var = running_mean, running_var
''' + NORM_VALUE + NORM_BACKWARD),
    Variant("norm_backward_long_form", "the backward by the chain rule through the variance and the mean",
            NORM_HEAD + NORM_STATISTICS + NORM_VALUE + '''
    def backward(grad):
        gh = grad * gamma.reshape(shape)
        if not use_batch_stats:
            return gh * inv_std, (grad * xhat).sum(axis=axes), grad.sum(axis=axes)
        centred = x - mean.astype(x.dtype).reshape(shape)
        dvar = np.sum(gh * centred, axis=axes, keepdims=True) * -0.5 * inv_std ** 3
        dmean = -np.sum(gh * inv_std, axis=axes, keepdims=True) - 2 * dvar * np.mean(centred, axis=axes, keepdims=True)
        dx = gh * inv_std + dvar * 2 * centred / n + dmean / n
        return dx, (grad * xhat).sum(axis=axes), grad.sum(axis=axes)
    return Tensor(out), backward
'''),
]
