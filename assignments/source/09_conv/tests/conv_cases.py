"""What the conv tests share: the cases (hypothesis strategies), references written with
plain loops, central differences, and a tolerance check."""
import math

import numpy as np
from hypothesis import strategies as st

RTOL = 1e-10  # float64, against the loop references, PyTorch and central differences
FD_RTOL, FD_ATOL = 1e-6, 1e-7  # central differences with eps = 1e-6 on values of order 1


def close(what, got, want, rtol=RTOL, atol=0.0):
    """|got - want| <= rtol max|want| + atol, same shape: relative to the array's scale."""
    got, want = np.asarray(got, np.float64), np.asarray(want, np.float64)
    assert got.shape == want.shape, f"{what}: shape {got.shape}, expected {want.shape}"
    if not got.size:
        return
    assert np.array_equal(np.isnan(got), np.isnan(want)), f"{what}: nan where there should be none (or missing)"
    scale = max(float(np.max(np.abs(np.nan_to_num(want)))), 1e-300)
    error = np.abs(np.nan_to_num(got) - np.nan_to_num(want))
    worst = np.unravel_index(int(np.argmax(error)), error.shape)
    assert error[worst] <= rtol * scale + atol, (
        f"{what}: off by {error[worst]:.3g} at index {tuple(int(i) for i in worst)} (got {got[worst]:.10g}, "
        f"expected {want[worst]:.10g}; allowed {rtol * scale + atol:.3g})")


def output_size(size, kernel, stride=1, padding=0, dilation=1):
    """Positions of a kernel, counted one by one: every start whose last tap is inside."""
    span = dilation * (kernel - 1) + 1
    return sum(1 for start in range(0, size + 2 * padding, stride) if start + span <= size + 2 * padding)


def windows(x, kernel, stride, padding, dilation, fill=0.0):
    """{(y, x): array (N, C, kh, kw)} of every window of the padded x, taken one by one."""
    N, C, H, W = x.shape
    (kh, kw), (sh, sw), (ph, pw), (dh, dw) = kernel, stride, padding, dilation
    padded = np.full((N, C, H + 2 * ph, W + 2 * pw), fill, x.dtype)
    padded[:, :, ph:ph + H, pw:pw + W] = x
    oh, ow = output_size(H, kh, sh, ph, dh), output_size(W, kw, sw, pw, dw)
    return {(y, z): padded[:, :, y * sh:y * sh + dh * (kh - 1) + 1:dh, z * sw:z * sw + dw * (kw - 1) + 1:dw]
            for y in range(oh) for z in range(ow)}, (oh, ow)


def loop_conv(x, w, b, stride=(1, 1), padding=(0, 0), dilation=(1, 1), groups=1):
    """The convolution by its definition: one output position at a time, kernel not flipped."""
    C_out, Cg, kh, kw = w.shape
    found, (oh, ow) = windows(x, (kh, kw), stride, padding, dilation)
    out = np.zeros((x.shape[0], C_out, oh, ow))
    per_group = C_out // groups
    for (y, z), patch in found.items():
        for o in range(C_out):
            g = o // per_group
            out[:, o, y, z] = np.sum(patch[:, g * Cg:(g + 1) * Cg] * w[o], axis=(1, 2, 3)) + (0 if b is None else b[o])
    return out


def loop_im2col(x, kernel, stride, padding, dilation):
    """im2col's documented layout, entry by entry: row (c, i, j), column (y * ow + x) * N + n."""
    N, C = x.shape[:2]
    kh, kw = kernel
    found, (oh, ow) = windows(x, kernel, stride, padding, dilation)
    cols = np.zeros((C * kh * kw, oh * ow * N), x.dtype)
    for (y, z), patch in found.items():
        for n in range(N):
            cols[:, (y * ow + z) * N + n] = patch[n].reshape(-1)
    return cols


def central_differences(f, x, eps=1e-6):
    """d sum(f(x)) / d x, element by element: (f(x + eps) - f(x - eps)) / 2 eps (float64)."""
    grad = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        up, down = x.copy(), x.copy()
        up[i] += eps
        down[i] -= eps
        grad[i] = (np.sum(f(up)) - np.sum(f(down))) / (2 * eps)
    return grad


@st.composite
def conv_cases(draw, max_size=7):
    """Small convolutions over every option: (x shape, weight shape, stride, padding, dilation, groups)."""
    groups = draw(st.sampled_from([1, 1, 2, 3]))
    C, C_out = groups * draw(st.integers(1, 2)), groups * draw(st.integers(1, 2))
    kernel = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    stride = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    padding = (draw(st.integers(0, 2)), draw(st.integers(0, 2)))
    dilation = (draw(st.integers(1, 2)), draw(st.integers(1, 2)))
    spans = [d * (k - 1) + 1 - 2 * p for k, p, d in zip(kernel, padding, dilation)]
    H, W = (draw(st.integers(max(1, s), max(1, s) + max_size - 3)) for s in spans)
    N = draw(st.integers(1, 3))
    return (N, C, H, W), (C_out, C // groups, *kernel), stride, padding, dilation, groups


@st.composite
def pool_cases(draw, dilation=True):
    """Small poolings: (x shape, kernel, stride, padding, dilation, ceil_mode)."""
    kernel = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    stride = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    padding = tuple(draw(st.integers(0, k // 2)) for k in kernel)
    dilations = (draw(st.integers(1, 2)), draw(st.integers(1, 2))) if dilation else (1, 1)
    spans = [d * (k - 1) + 1 for k, d in zip(kernel, dilations)]
    H, W = (draw(st.integers(s, s + 5)) for s in spans)
    return (draw(st.integers(1, 2)), draw(st.integers(1, 3)), H, W), kernel, stride, padding, dilations, \
        draw(st.booleans())


def data(shape, seed, ties=False):
    """Values of order 1; with ties, rounded to a few levels so that windows share their maximum."""
    values = np.random.default_rng(seed).normal(size=shape)
    return np.round(values) / 2 if ties else values


def loop_conv_backward(x, w, g, stride=(1, 1), padding=(0, 0), dilation=(1, 1), groups=1):
    """The gradients of sum(g * conv(x, w)) by the definition, one position at a time:
    (d x, d w, d b)."""
    C_out, Cg, kh, kw = w.shape
    N, C, H, W = x.shape
    (sh, sw), (ph, pw), (dh, dw) = stride, padding, dilation
    found, _ = windows(x, (kh, kw), stride, padding, dilation)
    dx = np.zeros((N, C, H + 2 * ph, W + 2 * pw))
    dwt = np.zeros(w.shape)
    per_group = C_out // groups
    for (y, z), patch in found.items():
        rows = slice(y * sh, y * sh + dh * (kh - 1) + 1, dh)
        cols = slice(z * sw, z * sw + dw * (kw - 1) + 1, dw)
        for o in range(C_out):
            group = slice((o // per_group) * Cg, (o // per_group + 1) * Cg)
            weight = g[:, o, y, z][:, None, None, None]
            dx[:, group, rows, cols] += weight * w[o]
            dwt[o] += np.sum(weight * patch[:, group], axis=0)
    return dx[:, :, ph:ph + H, pw:pw + W], dwt, g.sum(axis=(0, 2, 3))


def pool_output_size(size, kernel, stride, padding, dilation=1, ceil_mode=False):
    """PyTorch's rule: rounded down (or up with ceil_mode, unless the last window would start
    on the right padding)."""
    room = size + 2 * padding - dilation * (kernel - 1) - 1
    count = (-(-room // stride) if ceil_mode else room // stride) + 1
    if ceil_mode and (count - 1) * stride >= size + padding:
        count -= 1
    return count


def loop_max_pool(x, kernel, stride, padding, dilation, ceil_mode):
    """(out, flat index of each maximum, its backward) by the definition: for every window, the
    first largest of its taps inside the input, in reading order."""
    N, C, H, W = x.shape
    oh, ow = (pool_output_size(s, k, st, p, d, ceil_mode) for s, k, st, p, d in
              zip((H, W), kernel, stride, padding, dilation))
    out, where = np.zeros((N, C, oh, ow)), np.zeros((N, C, oh, ow), np.int64)
    for n, c, y, z in np.ndindex(N, C, oh, ow):
        best = None
        for i in range(kernel[0]):
            for j in range(kernel[1]):
                r, q = y * stride[0] - padding[0] + i * dilation[0], z * stride[1] - padding[1] + j * dilation[1]
                if 0 <= r < H and 0 <= q < W and (best is None or x[n, c, r, q] > best):
                    best, where[n, c, y, z] = x[n, c, r, q], r * W + q
        out[n, c, y, z] = best

    def backward(g):
        dx = np.zeros(x.shape)
        for n, c, y, z in np.ndindex(g.shape):
            dx[n, c].flat[where[n, c, y, z]] += g[n, c, y, z]
        return dx
    return out, where, backward


def loop_avg_pool(x, kernel, stride, padding, ceil_mode, count_include_pad, divisor_override):
    """(out, its backward) by PyTorch's definition: each window's sum over its divisor, the
    window counted up to the padded input's edge (count_include_pad) or the input's."""
    N, C, H, W = x.shape
    oh, ow = (pool_output_size(s, k, st, p, 1, ceil_mode) for s, k, st, p in zip((H, W), kernel, stride, padding))
    spans, divisors = {}, {}
    for y, z in np.ndindex(oh, ow):
        bounds = []
        for start, k, size, p in ((y * stride[0] - padding[0], kernel[0], H, padding[0]),
                                  (z * stride[1] - padding[1], kernel[1], W, padding[1])):
            end = min(start + k, size + p)
            bounds.append((start, end, max(start, 0), min(end, size)))
        (r0, r1, a0, a1), (q0, q1, b0, b1) = bounds
        spans[y, z] = (slice(a0, a1), slice(b0, b1))
        divisors[y, z] = divisor_override or ((r1 - r0) * (q1 - q0) if count_include_pad else (a1 - a0) * (b1 - b0))
    out = np.zeros((N, C, oh, ow))
    for (y, z), (rows, cols) in spans.items():
        out[:, :, y, z] = x[:, :, rows, cols].sum(axis=(2, 3)) / divisors[y, z]

    def backward(g):
        dx = np.zeros(x.shape)
        for (y, z), (rows, cols) in spans.items():
            dx[:, :, rows, cols] += (g[:, :, y, z] / divisors[y, z])[:, :, None, None]
        return dx
    return out, backward


def loop_adaptive_avg_pool(x, size):
    """Output (i, j) averages rows floor(i H / oh) .. ceil((i + 1) H / oh) - 1, and so the columns."""
    N, C, H, W = x.shape
    oh, ow = size
    out = np.zeros((N, C, oh, ow))
    for i, j in np.ndindex(oh, ow):
        rows = slice(math.floor(i * H / oh), math.ceil((i + 1) * H / oh))
        cols = slice(math.floor(j * W / ow), math.ceil((j + 1) * W / ow))
        out[:, :, i, j] = x[:, :, rows, cols].mean(axis=(2, 3))
    return out
