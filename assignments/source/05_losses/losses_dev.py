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
# # Module 05: Losses, how wrong is the model?
#
# Training needs one number that says how far the model's output is from the truth,
# and its gradient with respect to that output. This module builds the six losses a
# PyTorch user meets first, with PyTorch's names, arguments and numbers:
#
# | loss | for | formula per element |
# |---|---|---|
# | `MSELoss` | regression | (x - y)^2 |
# | `L1Loss` | regression, robust to outliers | abs(x - y) |
# | `NLLLoss` | classes, from log-probabilities | -w_y log p_y |
# | `CrossEntropyLoss` | classes, from raw scores (logits) | -w_y log softmax(z)_y |
# | `BCELoss` | yes/no, from probabilities | -w (y log p + (1-y) log(1-p)) |
# | `BCEWithLogitsLoss` | yes/no, from logits | the same, computed from z without ever forming p |
#
# Each loss is one operation with its value and, right beside it, its gradient
# (`backward`): autograd (module 03) calls that backward, so `loss.backward()` fills
# `.grad` of everything the model computed. The tests compare value and gradient with
# PyTorch in float64 to a relative 1e-10.
#
# ```bash
# tito test losses     # the full tests
# tito check losses    # report card: each loss, value and gradient against the reference
# tito plot losses     # each loss and its gradient against its input
# tito sync            # put your code into tinytorch/core/losses.py (tinytorch.nn)
# ```

# %%
#| default_exp core.losses

# %%
#| export
from collections import namedtuple

import numpy as np

from tinytorch.core import activations as _activations
from tinytorch.core.autograd import differentiable
from tinytorch.core.nn import Module
from tinytorch.core.tensor import Tensor

# %% [markdown]
# ## Shapes that must agree, and the three reductions
#
# A loss compares `input` and `target` element by element. When their shapes differ,
# NumPy would broadcast: a prediction of shape (N, 1) against a target of shape (N,)
# becomes an (N, N) table of every prediction against every target, and the "loss" is
# a meaningless number that still goes down a little. PyTorch only warns; here it is a
# `ValueError` naming both shapes.
#
# The per-element losses are then reduced (`reduction=`): `'mean'` (the default),
# `'sum'`, or `'none'` (keep them all). Backward runs the other way: the gradient of a
# mean reaches each of the `n` elements divided by `n`; of a sum, unchanged.

# %%
#| export
REDUCTIONS = ("mean", "sum", "none")


def _floats(function, input, target, same_dtype=False):
    """The arrays of input and target, float, same shape; ValueError naming both otherwise.

    Two floating-point dtypes meet at the wider (float32 with float64 computes in float64,
    as PyTorch); with same_dtype (binary_cross_entropy) they must be equal, as PyTorch requires.
    """
    if input.shape != target.shape:
        raise ValueError(f"{function}: input has shape {input.shape} but target has shape {target.shape}; "
                         "they must be the same (broadcasting one against the other is almost always a bug: "
                         "reshape one of them, e.g. target.reshape(-1, 1))")
    if input.dtype.kind != "f":
        raise TypeError(f"{function}: input has dtype {input.dtype}; a loss needs floating-point input")
    dtype = input.dtype
    if target.dtype.kind == "f" and target.dtype != dtype:
        if same_dtype:
            raise TypeError(f"{function}: target has dtype {target.dtype} but input has {input.dtype}: PyTorch "
                            "requires one dtype here (convert one, e.g. target.to(input.dtype))")
        dtype = np.promote_types(dtype, target.dtype)
    return input.data.astype(dtype, copy=False), target.data.astype(dtype, copy=False)


def _check_reduction(reduction):
    if reduction not in REDUCTIONS:
        raise ValueError(f"{reduction!r} is not a valid value for reduction: use 'mean', 'sum' or 'none'")


def _reduce(losses, reduction):
    """The per-element losses reduced: 'mean', 'sum' or 'none' (all of them, same shape)."""
    _check_reduction(reduction)
    # TODO: return the reduced array.
    # HINTS: 'none' returns the array itself. The mean of no losses at all (an empty input)
    #        is 0 / 0 = nan, as in PyTorch. NumPy warns about that 0 / 0 (np.mean too:
    #        "Mean of empty slice"), and the tests turn every NumPy warning into an error:
    #        divide the sum by the count inside np.errstate(invalid="ignore").
    ### BEGIN SOLUTION
    if reduction == "none":
        return losses
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.asarray(losses.sum() / losses.size if reduction == "mean" else losses.sum(), losses.dtype)
    ### END SOLUTION


def _spread(grad, reduction, shape):
    """The gradient reaching each element from the gradient of the reduced loss."""
    if reduction == "none":
        return grad
    count = max(int(np.prod(shape)), 1)
    return np.broadcast_to(grad / count if reduction == "mean" else grad, shape)


# %% [markdown]
# ## MSELoss and L1Loss
#
# With `d = x - y`: MSE is `d^2` per element, its derivative `2 d`; L1 is `abs(d)`, its
# derivative `sign(d)` (0 at d = 0, PyTorch's choice). The target gets the negative of
# the input's gradient: both functions depend only on `x - y`.
#
# `backward(grad)` receives the gradient of whatever the loss returned (a number for
# 'mean' and 'sum', one per element for 'none'); `_spread` turns it into one per
# element. It returns one gradient per input: (for input, for target).

# %%
#| export
@differentiable(inputs=2)
def mse_loss(input: Tensor, target: Tensor, reduction: str = "mean") -> Tensor:
    """Mean squared error: mean((input - target)^2). Shapes must be equal.

    >>> mse_loss(Tensor([1.0, 2.0]), Tensor([1.0, 4.0])).item()
    2.0
    """
    x, y = _floats("mse_loss", input, target)
    _check_reduction(reduction)
    # TODO: the value, and the backward that turns grad into (grad of input, grad of target).
    # APPROACH: d = x - y; value = _reduce(d * d, reduction).
    #           backward: g = _spread(grad, reduction, d.shape); the input gets 2 d g,
    #           the target its negative.
    ### BEGIN SOLUTION
    d = x - y
    value = _reduce(d * d, reduction)

    def backward(grad):
        g = 2 * d * _spread(grad, reduction, d.shape)
        return g, -g
    ### END SOLUTION
    return Tensor(value), backward


@differentiable(inputs=2)
def l1_loss(input: Tensor, target: Tensor, reduction: str = "mean") -> Tensor:
    """Mean absolute error: mean(abs(input - target)). Shapes must be equal."""
    x, y = _floats("l1_loss", input, target)
    _check_reduction(reduction)
    # TODO: as mse_loss, with abs(d) and its derivative sign(d).
    ### BEGIN SOLUTION
    d = x - y
    value = _reduce(np.abs(d), reduction)

    def backward(grad):
        g = np.sign(d) * _spread(grad, reduction, d.shape)
        return g, -g
    ### END SOLUTION
    return Tensor(value), backward


# %% [markdown]
# ### Check: the (N, 1) against (N,) mistake is refused

# %%
prediction, truth = Tensor(np.array([[1.0], [2.0], [3.0]])), Tensor(np.array([1.0, 2.0, 3.0]))
print("broadcast by NumPy, the 'loss' of a perfect prediction:", np.mean((prediction.data - truth.data) ** 2))
try:
    mse_loss(prediction, truth)
except ValueError as error:
    print("mse_loss:", error)
assert mse_loss(Tensor([1.0, 2.0]), Tensor([1.0, 4.0])).item() == 2.0
assert l1_loss(Tensor([1.0, 2.0]), Tensor([1.0, 4.0]), reduction="sum").item() == 2.0

# %% [markdown]
# ## Classes: NLLLoss, and why cross-entropy starts from logits
#
# A classifier outputs one score per class, the **logits** `z`. Softmax turns them into
# probabilities, `p_c = e^z_c / sum_k e^z_k`, and the loss of a sample whose true class
# is `y` is `-log p_y`: zero when the model is sure and right, large when it is sure and
# wrong.
#
# The obvious code, `log(softmax(z))`, breaks on ordinary numbers. The cell below runs
# it on the logits (1000, 0, -1000), which a confident network produces routinely:

# %%
z = np.array([1000.0, 0.0, -1000.0])
with np.errstate(all="warn"):
    import warnings  # noqa: E402

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        naive = np.log(np.exp(z) / np.exp(z).sum())
print("log(softmax(z)), naive:  ", naive, " NumPy said:", sorted({str(w.message) for w in caught}))
shifted = np.exp(z - z.max()) / np.exp(z - z.max()).sum()
with np.errstate(divide="ignore"):
    print("log(softmax(z)), shifted:", np.log(shifted))
print("log_softmax(z):          ", _activations.log_softmax(Tensor(z)).data)

# %% [markdown]
# `exp(1000)` overflows to inf and inf/inf is nan. Subtracting the maximum first fixes
# the overflow, but the probability of the last class, `e^-2000`, still underflows to 0
# and its log is `-inf`: a loss of infinity for a sample that belongs to that class.
# `log_softmax` (module 02) computes `z - max - log(sum e^(z - max))` directly and gets
# -2000, exactly. So the loss takes **logits**, never probabilities: `CrossEntropyLoss`
# is `log_softmax` followed by `NLLLoss`, the negative log-likelihood of log-probabilities.
#
# **NLLLoss** picks, from each row of log-probabilities, the entry of the true class and
# negates it, times the class weight `w_y` (`weight=`, default all ones). A sample whose
# target is `ignore_index` (default -100, for padding) counts nothing. The mean is
# **weighted**: `sum_i w_(y_i) l_i / sum_i w_(y_i)` over the samples not ignored, so
# that weights change the balance between classes, not the loss's scale.
#
# **The shapes** (PyTorch's): input (N, C) and target (N,); one sample, (C,) and (); or
# (N, C, d1, ..., dk) with target (N, d1, ..., dk) for a class per pixel. The helper
# `_class_rows` (given) checks the target and turns every case into rows: an (M, C)
# array, a target of length M, and each row's weight (see its docstring). Targets are integer class
# indices; a float target (except cross-entropy's class probabilities, below) or an index
# out of range is a clear error.

# %%
#| export
ClassRows = namedtuple("ClassRows", "rows target probs row_weight class_weight kept to_input to_target")


def _class_rows(function, input, target, weight, ignore_index, probabilities=False):
    """The class-loss view of input and target, checked as PyTorch checks them.

    input (C,), (N, C) or (N, C, d1, ...); target integer, shaped like input without the
    class axis; every class index in [0, C) or ignore_index. With probabilities=True
    (cross_entropy) a float target of the input's own shape gives class probabilities
    instead. Returns ClassRows:
    rows (M, C) of scores; target (M,) class indices (0 where ignored), None for class
    probabilities; probs (M, C) the target distribution of each row, only with
    probabilities=True: the given probabilities, or one-hot rows of the class indices
    (zero rows where ignored); row_weight (M,) = weight of the row's class (0 where
    ignored; 1 for class probabilities, whose mean is over the rows); class_weight (C,);
    kept (M,) 1.0 or 0.0 (ignored); to_input(array (M, C)) and to_target(array (M,)) to
    give results the original shapes.
    """
    if input.dtype.kind != "f":
        raise TypeError(f"{function}: input has dtype {input.dtype}; it must hold floating-point scores")
    if input.ndim == 0:
        raise ValueError(f"{function}: input must have a class axis, got a 0-d tensor")
    soft = probabilities and target.dtype.kind == "f" and target.shape == input.shape
    if target.dtype.kind not in "iu" and not soft:
        also = (f"; class probabilities are floats of the input's own shape {input.shape}"
                if probabilities and target.dtype.kind == "f" else "")
        raise TypeError(f"{function}: target has dtype {target.dtype} and shape {target.shape}, but it must hold "
                        f"class indices (integers, e.g. int64): the class of each sample, not a float{also}")
    if not soft and target.dtype not in (np.int64, np.uint8):
        raise TypeError(f"{function}: target has dtype {target.dtype}; class indices must be int64 (torch.long), "
                        "as PyTorch requires: convert them with target.long()")
    if soft and ignore_index != -100:
        raise ValueError(f"{function}: ignore_index is not supported for class-probability (float) targets")
    one = input.ndim == 1
    x = input.data[None] if one else input.data
    t = target.data[None] if one else target.data
    expected = (x.shape[0],) + x.shape[2:]
    if not soft and t.shape != expected:
        want = expected[1:] if one else expected
        raise ValueError(f"{function}: input has shape {input.shape} but target has shape {target.shape}; "
                         f"for this input the target must have shape {want} (one class index per sample)")
    count = x.shape[1]
    if weight is None:
        class_weight = np.ones(count, x.dtype)
    else:
        class_weight = np.asarray(weight.data if isinstance(weight, Tensor) else weight, x.dtype)
        if class_weight.shape != (count,):
            raise ValueError(f"{function}: weight has shape {class_weight.shape} but there are {count} "
                             f"classes; it must have shape ({count},)")
    moved = np.moveaxis(x, 1, -1)  # the class axis last: every sample is a row
    rows = moved.reshape(-1, count)
    if soft:
        probs = np.moveaxis(t, 1, -1).reshape(-1, count).astype(x.dtype)
        classes, kept = None, np.ones(len(rows), x.dtype)
        row_weight = kept
    else:
        ignored = t == ignore_index
        bad = ~ignored & ((t < 0) | (t >= count))
        if bad.any():
            where = tuple(int(i) for i in np.argwhere(bad)[0])
            raise IndexError(f"{function}: target {int(t[where])} is out of bounds: there are {count} classes, "
                             f"so a class index is in 0..{count - 1} (target at position {where})")
        kept = (~ignored.reshape(-1)).astype(x.dtype)
        classes = np.where(kept > 0, t.reshape(-1), 0)
        row_weight = np.where(kept > 0, class_weight[classes], 0).astype(x.dtype)
        probs = np.eye(count, dtype=x.dtype)[classes] * kept[:, None] if probabilities else None

    def to_input(values):
        out = np.moveaxis(values.reshape(moved.shape), -1, 1)
        return out[0] if one else out

    def to_target(values):
        out = values.reshape(expected)
        return out[0] if one else out

    return ClassRows(rows, classes, probs, row_weight, class_weight, kept, to_input, to_target)


def _class_scale(grad, reduction, c):
    """The gradient reaching each row (c: the ClassRows) from the gradient of the reduced loss.

    Ignored rows get 0. A mean over rows that all weigh 0 divides by 0: nan, as in PyTorch.
    """
    if reduction == "none":
        return np.asarray(grad).reshape(-1) * c.kept
    total = c.row_weight.sum() if reduction == "mean" else 1
    scale = np.asarray(grad) / total if total != 0 else np.full(np.shape(grad), np.nan)
    return np.where(c.kept > 0, scale, 0).astype(c.rows.dtype)


def _weighted_reduce(row_losses, row_weight, reduction):
    """Reduce per-row class losses: 'mean' is weighted, sum(losses) / sum(row weights)."""
    _check_reduction(reduction)
    # TODO: 'none': the row losses; 'sum': their sum; 'mean': their sum over the weights' sum.
    # HINTS: divide by the sum of row_weight, not by the number of rows: ignored rows weigh 0,
    #        and class weights would otherwise change the scale of the loss.
    #        When every row weighs 0 (all ignored), the mean is 0 / 0 = nan, as in PyTorch;
    #        NumPy warns about it, and a warning fails the tests: divide inside
    #        np.errstate(invalid="ignore", divide="ignore").
    ### BEGIN SOLUTION
    if reduction == "none":
        return row_losses
    total = row_losses.sum()
    if reduction == "sum":
        return total
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.asarray(total / row_weight.sum(), row_losses.dtype)
    ### END SOLUTION


@differentiable(inputs=2)
def nll_loss(input: Tensor, target: Tensor, weight: Tensor | None = None, ignore_index: int = -100,
             reduction: str = "mean") -> Tensor:
    """Negative log-likelihood of log-probabilities: -weight[y] input[y] per sample.

    input (N, C) log-probabilities (e.g. from log_softmax), target (N,) class indices.
    """
    c = _class_rows("nll_loss", input, target, weight, ignore_index)
    _check_reduction(reduction)
    # TODO: the value, and the backward giving the gradient of input (None for the target).
    # APPROACH:
    #   1. picked = c.rows[np.arange(M), c.target]: the entry of the true class in each row.
    #   2. row losses = -c.row_weight * picked; value = _weighted_reduce(..., c.row_weight, reduction).
    #   3. backward: s = _class_scale(grad, reduction, c); the gradient is zero
    #      everywhere except at each row's true class, where it is -c.row_weight * s.
    #      Return (c.to_input(that (M, C) array), None).
    # HINTS: row_weight is already 0 for ignored rows (their class index was set to 0).
    ### BEGIN SOLUTION
    index = np.arange(len(c.rows))
    value = _weighted_reduce(-c.row_weight * c.rows[index, c.target], c.row_weight, reduction)

    def backward(grad):
        g = np.zeros_like(c.rows)
        g[index, c.target] = -c.row_weight * _class_scale(grad, reduction, c)
        return c.to_input(g), None
    ### END SOLUTION
    return Tensor(c.to_target(value) if reduction == "none" else value), backward


# %% [markdown]
# ## CrossEntropyLoss: log_softmax, then NLL, with label smoothing
#
# `cross_entropy(z, y) = nll_loss(log_softmax(z, dim=1), y)`, plus one option:
# **label smoothing** `eps` mixes the one-hot target with the uniform distribution:
# the target of each class is `(1 - eps) [c == y] + eps / C`, so the model is never
# pushed to infinite confidence. With class weights, PyTorch weighs the uniform part
# by each class's weight too: a row's loss is
#
# `l_i = -sum_c A_ic log p_ic`, with `A_ic = (1 - eps) w_(y_i) [c == y_i] + (eps / C) w_c`
#
# (0 for an ignored row), and the mean divides by `sum_i w_(y_i)` as in NLLLoss.
#
# **The gradient** has a famous form. Since `log p_ic = z_ic - log sum_k e^z_ik`,
#
# `d l_i / d z_ik = p_ik sum_c A_ic - A_ik`:
#
# for one-hot targets without weights, `softmax(z) - onehot(y)`. One pass, no division by
# a probability that might be 0, and nothing overflows for logits of ±1e4.
#
# **Class probabilities.** As in PyTorch, the target may instead be a float tensor of the
# input's own shape: a distribution over the classes for each sample (soft labels, a
# teacher model's output). The same formula covers both: write the target as a
# distribution `q_i` (one-hot for a class index), and then
#
# `A_ic = ((1 - eps) q_ic + eps / C) w_c`.
#
# Two differences, both PyTorch's: the mean is over the samples (`sum_i l_i / N`, the
# weights do not divide), and `ignore_index` does not apply. The target gets a gradient
# too, `d l_i / d q_ic = -(1 - eps) w_c log p_ic`. `_class_rows` gives the rows of `q`
# (`c.probs`) in both cases, and each row's weight for the mean (1 for probabilities).

# %%
#| export
@differentiable(inputs=2)
def cross_entropy(input: Tensor, target: Tensor, weight: Tensor | None = None, ignore_index: int = -100,
                  reduction: str = "mean", label_smoothing: float = 0.0) -> Tensor:
    """Cross-entropy from logits: nll_loss(log_softmax(input, dim=1), target), label smoothing optional.

    input (N, C) logits (or (C,), or (N, C, d1, ...)); target (N,) integer class indices,
    or class probabilities: floats of the input's shape (N, C).
    """
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"label_smoothing must be between 0.0 and 1.0, got {label_smoothing}")
    c = _class_rows("cross_entropy", input, target, weight, ignore_index, probabilities=True)
    _check_reduction(reduction)
    logp = _activations.log_softmax(Tensor(c.rows), dim=1).data  # stable: module 02
    # TODO: the value and the backward (gradients of input and target).
    # APPROACH:
    #   1. A = ((1 - eps) * c.probs + (eps / C) * c.kept[:, None]) * c.class_weight: each
    #      row's smoothed target distribution, weighted by class (0 for an ignored row).
    #   2. row losses = -(A * logp) summed over the classes; value = _weighted_reduce(...).
    #   3. backward: s = _class_scale(grad, reduction, c), one per row;
    #      gradient = (p * A.sum(axis=1, keepdims=True) - A) * s[:, None], p = exp(logp).
    #      The target's: None for class indices (c.target is not None); for probabilities,
    #      d l / d y = -(1 - eps) * c.class_weight * logp * s[:, None].
    #      Return (c.to_input(gradient), c.to_input(target's) or None).
    # HINTS: the classes are axis 1 of the rows; summing over axis 0 mixes the samples.
    ### BEGIN SOLUTION
    count = c.rows.shape[1]
    A = ((1 - label_smoothing) * c.probs + (label_smoothing / count) * c.kept[:, None]) * c.class_weight
    value = _weighted_reduce(-(A * logp).sum(axis=1), c.row_weight, reduction)

    def backward(grad):
        s = _class_scale(grad, reduction, c)[:, None]
        g = (np.exp(logp) * A.sum(axis=1, keepdims=True) - A) * s
        soft = None if c.target is not None else c.to_input(-(1 - label_smoothing) * c.class_weight * logp * s)
        return c.to_input(g), soft
    ### END SOLUTION
    return Tensor(c.to_target(value) if reduction == "none" else value), backward


# %% [markdown]
# ### Check: logits of ±1e4, and the gradient's famous form

# %%
logits = Tensor(np.array([[1e4, 0.0, -1e4], [0.0, 0.0, 0.0]]))
labels = Tensor(np.array([2, 0]))
loss = cross_entropy(logits, labels, reduction="none")
print("cross_entropy per sample:", loss.data, " (2e4 and log 3 =", np.log(3), ")")
assert np.allclose(loss.data, [2e4, np.log(3)], rtol=1e-15)
logits.requires_grad = True
cross_entropy(logits, labels).backward()
print("gradient of the mean:\n", logits.grad.data)
onehot = np.eye(3)[labels.data]
assert np.allclose(logits.grad.data, (_activations.softmax(logits).data - onehot) / 2)
soft = Tensor(np.array([[0.0, 0.2, 0.8], [1 / 3, 1 / 3, 1 / 3]]))  # class probabilities instead
print("with class probabilities:", cross_entropy(logits, soft, reduction="none").data)
assert np.isclose(cross_entropy(logits, Tensor(onehot)).item(), cross_entropy(logits, labels).item(), rtol=1e-15)

# %% [markdown]
# ## Binary cross-entropy: BCELoss and BCEWithLogitsLoss
#
# For yes/no targets (any y in [0, 1]) and a probability p:
# `l = -w (y log p + (1 - y) log(1 - p))`. At p = 0 or 1 a log is `-inf`; PyTorch clamps
# **each log at -100**, so the loss is at most 100 per element instead of inf or nan
# (and `0 * -inf` would be nan: with the clamp, `0 * -100` is 0). The gradient is
# `w (p - y) / (p (1 - p))`, with the denominator kept at least `EPSILON`, PyTorch's 1e-12 (as a float32).
#
# From **logits** z, with p = sigmoid(z), the same loss simplifies: `log p = -softplus(-z)`
# and `log(1 - p) = -softplus(z)`, so
#
# `l = w ((1 - y) z + (1 + (q - 1) y) softplus(-z))`, `softplus(-z) = max(-z, 0) + log1p(exp(-abs(z)))`
#
# with `pos_weight` q (default 1), the extra weight of the positive class. Nothing
# overflows: z = 100 with y = 0 gives 100 exactly, and z = 40 gives 40, where
# `BCELoss(sigmoid(z))` gives 100 for both: sigmoid(40) rounds to 1 in float64, so
# log(1 - p) is log(0), clamped (the check below shows it). Its gradient is
# `w (sigmoid(z) (1 + (q - 1) y) - q y)`: `sigmoid(z) - y` for q = 1.

# %%
#| export
EPSILON = float(np.float32(1e-12))  # PyTorch's floor for p (1 - p) in BCE's gradient: 1e-12 as a float32


def _broadcast_weight(function, weight, shape, dtype, what="weight"):
    """weight as an array broadcast to `shape` (ones when None); ValueError if it cannot be."""
    if weight is None:
        return np.ones((), dtype)
    w = np.asarray(weight.data if isinstance(weight, Tensor) else weight, dtype)
    try:
        np.broadcast_shapes(w.shape, shape)
    except ValueError:
        raise ValueError(f"{function}: {what} has shape {w.shape}, which does not broadcast to the "
                         f"input's shape {shape}") from None
    return w


@differentiable(inputs=2)
def binary_cross_entropy(input: Tensor, target: Tensor, weight: Tensor | None = None,
                         reduction: str = "mean") -> Tensor:
    """-w (y log p + (1-y) log(1-p)) per element, each log clamped at -100 (PyTorch's).

    input: probabilities in [0, 1]; target: the same shape, values in [0, 1].
    """
    p, y = _floats("binary_cross_entropy", input, target, same_dtype=True)
    _check_reduction(reduction)
    if p.size and not (p.min() >= 0 and p.max() <= 1):
        raise ValueError("binary_cross_entropy: every input must be a probability between 0 and 1 "
                         f"(found {p.min() if p.min() < 0 else p.max()}); for logits use "
                         "binary_cross_entropy_with_logits")
    w = _broadcast_weight("binary_cross_entropy", weight, p.shape, p.dtype)
    # TODO: the value and the backward (gradient of input, and of target).
    # APPROACH:
    #   1. log_p = log(p) and log_q = log(1 - p) (both -inf at the ends).
    #   2. losses = -w (y max(log_p, -100) + (1 - y) max(log_q, -100)): each log clamped;
    #      value = _reduce(losses, reduction).
    #   3. backward: g = _spread(grad, reduction, p.shape); the input gets
    #      w (p - y) / max(p (1 - p), EPSILON) g, the target w (log_q - log_p) g
    #      (PyTorch does not clamp there: at p = 0 it is inf).
    # HINTS: log(0) warns "divide by zero" and inf * 0 "invalid value": compute under
    #        np.errstate(divide="ignore", invalid="ignore"). log1p(-p) is log(1 - p), exactly.
    ### BEGIN SOLUTION
    with np.errstate(divide="ignore"):
        log_p, log_q = np.log(p), np.log1p(-p)
    value = _reduce(-w * (y * np.maximum(log_p, -100) + (1 - y) * np.maximum(log_q, -100)), reduction)

    def backward(grad):
        g = _spread(grad, reduction, p.shape)
        with np.errstate(invalid="ignore"):
            return w * (p - y) / np.maximum(p * (1 - p), EPSILON) * g, w * (log_q - log_p) * g
    ### END SOLUTION
    return Tensor(value), backward


@differentiable(inputs=2)
def binary_cross_entropy_with_logits(input: Tensor, target: Tensor, weight: Tensor | None = None,
                                     reduction: str = "mean", pos_weight: Tensor | None = None) -> Tensor:
    """Binary cross-entropy of sigmoid(input), computed stably from the logits.

    pos_weight: the weight of the positive class (broadcast along the last axis).
    """
    z, y = _floats("binary_cross_entropy_with_logits", input, target)
    _check_reduction(reduction)
    w = _broadcast_weight("binary_cross_entropy_with_logits", weight, z.shape, z.dtype)
    q = _broadcast_weight("binary_cross_entropy_with_logits", pos_weight, z.shape, z.dtype, "pos_weight")
    # TODO: the value and the backward (gradient of input, and of target).
    # APPROACH:
    #   1. sp = softplus(-z) in the stable form max(-z, 0) + log1p(exp(-abs(z))).
    #   2. losses = w ((1 - y) z + (1 + (q - 1) y) sp); value = _reduce(losses, reduction).
    #   3. backward: g = _spread(grad, reduction, z.shape); s = sigmoid(z) (module 02's
    #      _activations.sigmoid works on a Tensor); the input gets
    #      w (s (1 + (q - 1) y) - q y) g, the target w ((q - 1) sp - z) g.
    # HINTS: never log(sigmoid(z)): sigmoid(40) is 1 in float64 and its log is 0.
    ### BEGIN SOLUTION
    sp = np.maximum(-z, 0) + np.log1p(np.exp(-np.abs(z)))
    value = _reduce(w * ((1 - y) * z + (1 + (q - 1) * y) * sp), reduction)

    def backward(grad):
        g = _spread(grad, reduction, z.shape)
        s = _activations.sigmoid(Tensor(z)).data
        return w * (s * (1 + (q - 1) * y) - q * y) * g, w * ((q - 1) * sp - z) * g
    ### END SOLUTION
    return Tensor(value), backward


# %% [markdown]
# ### Check: the clamp and the stable form

# %%
p, y = Tensor(np.array([0.0, 1.0, 0.5])), Tensor(np.array([1.0, 1.0, 0.0]))
print("BCE with p = 0 for y = 1:", binary_cross_entropy(p, y, reduction="none").data, "(clamped at 100)")
assert np.array_equal(binary_cross_entropy(p, y, reduction="none").data, [100.0, 0.0, np.log(2)])
z, y = Tensor(np.array([100.0, -100.0, 40.0])), Tensor(np.array([0.0, 1.0, 0.0]))
big = binary_cross_entropy_with_logits(z, y, reduction="none").data
print("BCE with logits, z = (100, -100, 40) against y = (0, 1, 0):", big)
print("BCE of sigmoid(z), the same:                           ",
      binary_cross_entropy(_activations.sigmoid(z), y, reduction="none").data)
assert big[0] == 100.0 and big[1] == 100.0 and big[2] == 40.0

# %% [markdown]
# ## The loss classes
#
# `MSELoss()`, `CrossEntropyLoss(weight=..., label_smoothing=0.1)`, ...: each is a Module
# holding its options whose forward calls the function above, as in PyTorch.

# %%
#| export
class _Loss(Module):
    def __init__(self, reduction="mean"):
        super().__init__()
        _check_reduction(reduction)
        self.reduction = reduction


class MSELoss(_Loss):
    """Mean squared error, mse_loss as a Module: MSELoss(reduction='mean')(input, target)."""

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return mse_loss(input, target, reduction=self.reduction)


class L1Loss(_Loss):
    """Mean absolute error, l1_loss as a Module."""

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return l1_loss(input, target, reduction=self.reduction)


class NLLLoss(_Loss):
    """nll_loss as a Module: NLLLoss(weight=None, ignore_index=-100, reduction='mean')."""

    def __init__(self, weight=None, ignore_index=-100, reduction="mean"):
        super().__init__(reduction)
        self.weight, self.ignore_index = weight, ignore_index

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return nll_loss(input, target, weight=self.weight, ignore_index=self.ignore_index, reduction=self.reduction)


class CrossEntropyLoss(_Loss):
    """cross_entropy as a Module: CrossEntropyLoss(weight=None, ignore_index=-100,
    reduction='mean', label_smoothing=0.0), from logits."""

    def __init__(self, weight=None, ignore_index=-100, reduction="mean", label_smoothing=0.0):
        super().__init__(reduction)
        self.weight, self.ignore_index, self.label_smoothing = weight, ignore_index, label_smoothing

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return cross_entropy(input, target, weight=self.weight, ignore_index=self.ignore_index,
                             reduction=self.reduction, label_smoothing=self.label_smoothing)


class BCELoss(_Loss):
    """binary_cross_entropy as a Module: BCELoss(weight=None, reduction='mean')."""

    def __init__(self, weight=None, reduction="mean"):
        super().__init__(reduction)
        self.weight = weight

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return binary_cross_entropy(input, target, weight=self.weight, reduction=self.reduction)


class BCEWithLogitsLoss(_Loss):
    """binary_cross_entropy_with_logits as a Module: BCEWithLogitsLoss(weight=None,
    reduction='mean', pos_weight=None)."""

    def __init__(self, weight=None, reduction="mean", pos_weight=None):
        super().__init__(reduction)
        self.weight, self.pos_weight = weight, pos_weight

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return binary_cross_entropy_with_logits(input, target, weight=self.weight, reduction=self.reduction,
                                                pos_weight=self.pos_weight)


# %% [markdown]
# ### A classifier's loss, end to end

# %%
import tinytorch  # noqa: E402
from tinytorch.core.nn import Linear, ReLU, Sequential  # noqa: E402

tinytorch.manual_seed(0)
model = Sequential(Linear(4, 16), ReLU(), Linear(16, 3))
x = Tensor(np.random.default_rng(0).normal(size=(8, 4)).astype(np.float32))
y = Tensor(np.random.default_rng(1).integers(0, 3, 8))
loss = CrossEntropyLoss()(model(x), y)
loss.backward()
print(CrossEntropyLoss(), "=", loss.item(), "; about log 3 =", np.log(3), "for a fresh model")
assert all(p.grad is not None and p.grad.shape == p.shape for p in model.parameters())

# %% [markdown]
# ### Each loss and its gradient
#
# Your six functions along one input (the others fixed): the loss, the gradient your
# backward returns, and, as dots, the slope of the loss measured from its values. Where
# the dashed line leaves the dots, the backward is wrong.

# %%
import types  # noqa: E402

from tito.offers import feedback_module  # noqa: E402

loss_figure = feedback_module("losses").loss_figure  # this module's feedback.py

figure, _ = loss_figure(types.SimpleNamespace(**globals()))
figure

# %% [markdown]
# ## What's next
#
# - **Optimizers** (module 06) use these gradients to move `model.parameters()`.
# - **Training** (module 08) puts model, loss and optimizer into the loop.
#
# Run `tito test losses` for the full tests, `tito check losses` for the report card,
# and `tito sync` to put your losses into the package.

# %% [markdown]
# ## How this module is graded
#
# `tito grade` runs this module's tests on your code. The tests that code computing
# nothing passes too (a shape, an error for targets of the wrong shape) share 5% of the
# score; the tests that need the right values share the other 95%.
