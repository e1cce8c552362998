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
# # Module 02: Activations
#
# A layer computes `x @ W + b`: a linear map. Stack as many as you like and you still
# have one linear map. What lets a network bend is the small function applied to every
# element between the layers: the **activation**. This module builds the ten that
# PyTorch users meet most, forward and backward, in plain NumPy, correct over the whole
# floating-point range.
#
# | function | formula | typical use |
# |---|---|---|
# | `relu` | max(0, x) | hidden layers, the default |
# | `sigmoid` | 1 / (1 + e^-x) | probabilities of yes/no, gates |
# | `tanh` | (e^x - e^-x) / (e^x + e^-x) | zero-centred hidden units, RNNs |
# | `leaky_relu` | x if x > 0 else a x | ReLU that never goes fully silent |
# | `elu` | x if x > 0 else alpha (e^x - 1) | smooth ReLU with negative outputs |
# | `silu` | x sigmoid(x) | modern CNNs and LLMs ("swish") |
# | `gelu` | x Phi(x) | transformers |
# | `softplus` | log(1 + e^x) | a smooth, positive ReLU |
# | `softmax` | e^x_i / sum_j e^x_j | class probabilities |
# | `log_softmax` | x_i - log sum_j e^x_j | the input of the classification loss |
#
# ## How to work through this file
#
# ReLU, Sigmoid and Tanh come first and matter most; the other seven are shorter
# exercises on the same ideas. Each section explains a function, shows its pitfall live,
# then asks you to write it: read the `TODO` and `HINTS` comments, replace the
# `raise NotImplementedError(...)` with a few lines of NumPy, and run the check cell
# below it. The plot cells draw your function next to the exact one. Then:
#
# ```bash
# tito test activations     # one line per function (done / not started / broken), then details
# tito check activations    # report card: what is right, what is wrong, where
# tito sync                 # put your code into tinytorch/core/activations.py
# ```
#
# One word used throughout. An **ULP** (unit in the last place) is the gap between two
# neighbouring floats; "2 ULP" means the answer is two representable numbers away from
# the exact one, and 0.5 ULP is the best any rounding can do.

# %%
#| default_exp core.activations

# %%
#| export
import math

import numpy as np
from scipy.special import erfc

from tinytorch.core.tensor import Tensor

# %% [markdown]
# ## Why nonlinearity
#
# Two linear layers in a row, `y = W2 (W1 x + b1) + b2`, multiply out to
# `y = (W2 W1) x + (W2 b1 + b2)`: a single linear layer. The cell below checks it with
# random weights. Then it puts a ReLU between the two layers, and no single linear map
# reproduces the result any more: the best least-squares fit leaves a large error.

# %%
rng = np.random.default_rng(0)
W1, b1 = rng.normal(size=(16, 4)), rng.normal(size=16)
W2, b2 = rng.normal(size=(3, 16)), rng.normal(size=3)
X = rng.normal(size=(500, 4))                      # 500 inputs with 4 features

two_layers = (X @ W1.T + b1) @ W2.T + b2
W, b = W2 @ W1, W2 @ b1 + b2                       # the one equivalent layer
one_layer = X @ W.T + b
print("linear o linear vs one linear, max difference:", np.abs(two_layers - one_layer).max())
assert np.allclose(two_layers, one_layer)

with_relu = np.maximum(X @ W1.T + b1, 0) @ W2.T + b2
design = np.hstack([X, np.ones((len(X), 1))])      # best linear fit: least squares
coef, *_ = np.linalg.lstsq(design, with_relu, rcond=None)
residual = np.abs(design @ coef - with_relu).max()
print("with a ReLU between them, best linear fit still misses by", round(float(residual), 2))
assert residual > 1.0

# %% [markdown]
# ## The rules: Tensor in, Tensor out
#
# Every function in this module takes a `Tensor` and returns a new `Tensor` of the same
# shape. Three rules hold for all of them (PyTorch's rules):
#
# - **dtype**: float32 in gives float32 out, float64 gives float64; integers and bools
#   are computed in float32 (only `relu` and `leaky_relu` may keep integers). Other
#   floats (float16, longdouble) are a clear `TypeError`: NumPy and SciPy compute many
#   of these formulas wrongly or not at all in them.
# - **no mutation**: the input is never written to. Writing in place (`out=`, `+=`) is
#   fine into an array you made (`np.empty_like(x)`); not into what a NumPy function
#   returned, which for a single number (a 0-d tensor) is a NumPy number, not an array
#   (`out=` then fails with "return arrays must be of ArrayType").
# - **no warnings**: no input, not even `inf` or `nan`, may make NumPy warn. Where an
#   overflow to `inf` is the right intermediate (you will meet several), say so with
#   `np.errstate(over="ignore")` around that line, and nowhere else.
#
# The small helpers below are given. Each function you write starts with one of them,
# so your code sees a plain NumPy array of the right dtype.

# %%
#| exporti
def result_dtype(dtype) -> np.dtype:
    """The dtype an activation computes and returns: float32 or float64.

    float32 and float64 keep theirs; integers and bools become float32; any other dtype
    (float16, longdouble, complex, ...) is a TypeError.
    """
    dtype = np.dtype(dtype)
    if dtype in (np.float32, np.float64):
        return dtype
    if dtype.kind in "biu":
        return np.dtype(np.float32)
    raise TypeError(f"activations compute in float32 or float64, not {dtype}: "
                    "convert the tensor first, e.g. Tensor(x.data.astype('float32'))")


def as_array(x) -> np.ndarray:
    """The NumPy array inside a Tensor (anything else is made a Tensor first)."""
    return (x if isinstance(x, Tensor) else Tensor(x)).data


def float_array(x) -> np.ndarray:
    """The data of `x` as a float32 or float64 array (see result_dtype); never a copy when it already is."""
    data = as_array(x)
    return data.astype(result_dtype(data.dtype), copy=False)


def backward_inputs(grad, saved):
    """grad_output and the array the forward saved, as float arrays of one dtype.

    The dtype is the promotion of both (float32 and float64 give float64). A grad_output
    whose shape differs from the saved array's is a ValueError.
    """
    grad, saved = as_array(grad), as_array(saved)
    if grad.shape != saved.shape:
        raise ValueError(f"grad_output has shape {grad.shape}, but the forward input had shape {saved.shape}")
    dtype = np.result_type(result_dtype(grad.dtype), result_dtype(saved.dtype))
    return grad.astype(dtype, copy=False), saved.astype(dtype, copy=False)


def row_axis(dim: int, ndim: int):
    """The axis softmax works along: `dim` made non-negative; None for a single number.

    IndexError when the tensor has no such dimension (as PyTorch).
    """
    if not -max(ndim, 1) <= dim < max(ndim, 1):
        raise IndexError(f"dim {dim} is out of range for a tensor with {ndim} dimension(s)")
    return None if ndim == 0 else dim % ndim

# %% [markdown]
# ### The layer classes
#
# Each function also comes as a class, the way you will use it inside a network
# (`torch.nn.ReLU()`): calling the object runs `forward`, which remembers what
# `backward` needs; `backward(grad_output)` returns the gradient with respect to the
# forward's input (the chain rule: grad_output times the derivative). Activations have
# no weights, so `parameters()` is empty. The shared plumbing lives in one base class,
# and every class below is given: you write the functions they call.

# %%
#| export
class Activation:
    """Base of the activation layers: call = forward, no parameters, PyTorch-style repr."""

    def __call__(self, x: Tensor) -> Tensor:
        return self.forward(x)

    def parameters(self) -> list:
        """Trainable tensors of this layer: none for an activation."""
        return []

    def extra_repr(self) -> str:
        """The arguments shown inside the repr, e.g. 'negative_slope=0.01'."""
        return ""

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.extra_repr()})"

    def saved(self, name: str) -> np.ndarray:
        """An array remembered by forward; RuntimeError if forward has not run yet."""
        value = self.__dict__.get(name)
        if value is None:
            raise RuntimeError(f"{type(self).__name__}.backward() was called before forward(): "
                               "call the layer on an input first")
        return value

# %% [markdown]
# ## ReLU
#
# $$\mathrm{relu}(x) = \max(0, x), \qquad \mathrm{relu}'(x) = \begin{cases} 1 & x > 0 \\ 0 & x \le 0 \end{cases}$$
#
# | property | value |
# |---|---|
# | range | [0, inf) |
# | zero point | relu(0) = 0 |
# | symmetry | none; relu(x) - relu(-x) = x |
# | monotonic | yes (not strictly: flat for x < 0) |
# | derivative | 0 or 1; at the kink x = 0 we use 0, as PyTorch does |
#
# ReLU is the default hidden activation: it costs one comparison, and its gradient is
# exactly 1 wherever the unit is active, so it does not shrink through deep stacks.
# Units whose input stays negative get gradient 0 and stop learning ("dying ReLU"), which
# LeakyReLU and ELU below address.
#
# **Pitfalls, live.** Two natural one-liners are wrong at the edges of the float range:

# %%
x = np.array([-np.inf, -1.0, 2.0, np.nan], dtype=np.float32)
with np.errstate(invalid="ignore"):
    print("x * (x > 0):          ", x * (x > 0), " <- -inf * 0 is nan")
print("np.where(x > 0, x, 0):", np.where(x > 0, x, 0), " <- the nan became 0 and hides a bug")
print("np.maximum(x, 0):     ", np.maximum(x, 0))

# %% [markdown]
# `np.maximum` propagates `nan`, handles `inf` and keeps integer inputs integer.

# %%
#| export
def relu(x: Tensor) -> Tensor:
    """Rectified linear unit, elementwise.

    relu(x) = max(0, x)

    Args:
        x: Tensor of any shape; integer tensors stay integer.

    Shape: input (*), output (*): the same shape.

    Example:
        >>> relu(Tensor([-2.0, 0.0, 3.0]))
        Tensor([0., 0., 3.], dtype=float32)
    """
    data = as_array(x)
    if data.dtype.kind not in "iu":  # integers stay integers; the rest become float32/float64
        data = float_array(data)
    # TODO: return max(0, x) elementwise, as a new Tensor.
    # HINTS: a nan input must give nan, -inf must give 0, and an int64 input an int64 result.
    ### BEGIN SOLUTION
    return Tensor(np.maximum(data, 0))
    ### END SOLUTION


def relu_backward(grad, x) -> np.ndarray:
    """Gradient of relu: grad where x > 0, else 0 (relu'(0) = 0, as PyTorch).

    Args:
        grad: gradient with respect to relu's output (array or Tensor).
        x: relu's input.

    Returns: the gradient with respect to x, a NumPy array.
    """
    grad, x = backward_inputs(grad, x)
    # TODO: return grad where x > 0 and 0 elsewhere.
    # HINTS: the kink x = 0 takes 0. grad * (x > 0) looks right, but inf * 0 is nan.
    ### BEGIN SOLUTION
    return np.where(x > 0, grad, 0)
    ### END SOLUTION


class ReLU(Activation):
    """Applies relu(x) = max(0, x) elementwise. See `relu`.

    Shape: input (*), output (*): the same shape.

    Example:
        >>> ReLU()(Tensor([-1.0, 2.0]))
        Tensor([0., 2.], dtype=float32)
    """

    def forward(self, x: Tensor) -> Tensor:
        self.input = as_array(x)
        return relu(x)

    def backward(self, grad_output: Tensor) -> Tensor:
        return Tensor(relu_backward(grad_output, self.saved("input")))

# %% [markdown]
# Check your ReLU (values, dtype, the kink, integers, no mutation):

# %%
x = Tensor([-2.0, -0.0, 0.0, 1.5, np.inf, -np.inf, np.nan])
y = relu(x).data
assert y.dtype == np.float32
assert np.array_equal(y[:6], [0, 0, 0, 1.5, np.inf, 0]) and np.isnan(y[6]), y
assert relu(Tensor([-3, 4])).data.dtype == np.int64
layer = ReLU()
layer(x)
g = layer.backward(Tensor(np.ones(7, np.float32))).data
assert np.array_equal(g, [0, 0, 0, 1, 1, 0, 0]), g
assert repr(layer) == "ReLU()" and layer.parameters() == []
print("relu ok")

# %%
from tito.offers import feedback_module  # noqa: E402

feedback = feedback_module("activations")  # this module's feedback/ folder: figures, report card
plot_activation, plot_comparison = feedback.plot_activation, feedback.plot_comparison

plot_activation("relu", ReLU())

# %% [markdown]
# ## Sigmoid
#
# $$\sigma(x) = \frac{1}{1 + e^{-x}}, \qquad \sigma'(x) = \sigma(x)\,(1 - \sigma(x))$$
#
# | property | value |
# |---|---|
# | range | (0, 1); exactly 0 and 1 only at -inf and +inf |
# | zero point | sigmoid(0) = 0.5 |
# | symmetry | sigmoid(-x) = 1 - sigmoid(x) (point symmetry about (0, 0.5)) |
# | monotonic | strictly increasing |
# | derivative | at most 1/4 (at 0); vanishes for large abs(x) |
#
# Sigmoid squashes any number into a probability, which makes it the output of binary
# classifiers and the gate of LSTMs. Its derivative is at most 1/4, so a gradient passing
# through ten sigmoid layers shrinks by at least 4^10 (about a million): the vanishing
# gradient that made ReLU popular.
#
# The derivative needs only the output: sigma' = s (1 - s). So `backward` uses the saved
# output, not the input (no second exponential).
#
# ### Numerical stability: the sigmoid that overflows
#
# Type the formula as written and run it in float32 at x = -89:

# %%
import warnings  # noqa: E402

x = np.array([-89.0, -10.0, 0.0, 10.0], dtype=np.float32)
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    naive = 1 / (1 + np.exp(-x))
print("naive sigmoid:", naive)
print("warnings:", [str(w.message) for w in caught])
print("exp(89) =", math.exp(89.0), "but float32 ends at", np.finfo(np.float32).max)
assert caught and "overflow" in str(caught[0].message)

# %% [markdown]
# `exp(89)` is about 4.5e38, past float32's largest number (3.4e38), so NumPy returns
# `inf` and warns. The *value* is still right: `1 / (1 + inf) = 0`, and the true
# sigmoid(-89) = 2.2e-39 is below float32's smallest normal number (1.2e-38), so 0 is
# the correct limit of the formula. The warning is the problem: in a training loop it
# fires on every batch and hides real ones. Two cures are both correct:
#
# - keep the formula and say that this overflow is expected, with
#   `np.errstate(over="ignore")` around it: IEEE arithmetic does the right thing;
# - the two-branch form of the module guide: `1 / (1 + e^-x)` where x >= 0 and
#   `e^x / (1 + e^x)` where x < 0, so no exponential ever overflows.
#
# What *is* wrong: `0.5 * (1 + tanh(x / 2))`. Mathematically equal, but at x = -20 the
# bracket is 1 + (-1 + 4e-9), which float32 rounds to 0:

# %%
x = np.float32(-20.0)
exact = 1 / (1 + math.exp(20.0))
tanh_form = np.float32(0.5) * (np.float32(1) + np.tanh(x / np.float32(2)))
print(f"exact {exact:.6e}   0.5*(1+tanh(x/2)) in float32: {float(tanh_form):.6e}")
assert tanh_form == 0.0

# %%
#| export
def sigmoid(x: Tensor) -> Tensor:
    """Logistic sigmoid, elementwise.

    sigmoid(x) = 1 / (1 + exp(-x))

    Args:
        x: Tensor of any shape.

    Shape: input (*), output (*): the same shape.

    Example:
        >>> sigmoid(Tensor([0.0, 2.0]))
        Tensor([0.5     , 0.880797], dtype=float32)
    """
    x = float_array(x)
    # TODO: return 1 / (1 + exp(-x)) as a new Tensor, with no NumPy warning for any input.
    # HINTS: exp(-x) overflows for x < -88.7 in float32. Is the value then wrong, or only
    #   the warning? Either say the overflow is expected or use a form that never overflows.
    ### BEGIN SOLUTION
    with np.errstate(over="ignore"):  # exp(-x) = inf for x < -88.7: 1 / (1 + inf) = 0, the right limit
        return Tensor(1 / (1 + np.exp(-x)))
    ### END SOLUTION


def sigmoid_backward(grad, out) -> np.ndarray:
    """Gradient of sigmoid from its output s: grad * s * (1 - s).

    Args:
        grad: gradient with respect to sigmoid's output.
        out: sigmoid's output s (saved by forward).

    Returns: the gradient with respect to the input, a NumPy array.
    """
    grad, s = backward_inputs(grad, out)
    # TODO: return grad * sigmoid'(x), using only the saved output s.
    ### BEGIN SOLUTION
    return grad * s * (1 - s)
    ### END SOLUTION


class Sigmoid(Activation):
    """Applies sigmoid(x) = 1 / (1 + exp(-x)) elementwise. See `sigmoid`.

    Shape: input (*), output (*): the same shape.

    Example:
        >>> Sigmoid()(Tensor([0.0]))
        Tensor([0.5], dtype=float32)
    """

    def forward(self, x: Tensor) -> Tensor:
        y = sigmoid(x)
        self.output = y.data
        return y

    def backward(self, grad_output: Tensor) -> Tensor:
        return Tensor(sigmoid_backward(grad_output, self.saved("output")))

# %%
x = Tensor([-np.inf, -100.0, -89.0, 0.0, 2.0, 100.0, np.inf, np.nan])
with warnings.catch_warnings():
    warnings.simplefilter("error")  # any NumPy warning fails this check
    y = sigmoid(x).data
assert y.dtype == np.float32
assert y[0] == 0 and y[-2] == 1 and y[3] == 0.5 and np.isnan(y[-1]), y
assert abs(y[4] - 0.880797077977882) < 1e-7
assert np.all(y[:-1] >= 0) and np.all(y[:-1] <= 1)
layer = Sigmoid()
layer(Tensor([0.0]))
assert layer.backward(Tensor([1.0])).data[0] == 0.25
print("sigmoid ok")

# %%
plot_activation("sigmoid", Sigmoid())

# %% [markdown]
# ## Tanh
#
# $$\tanh(x) = \frac{e^x - e^{-x}}{e^x + e^{-x}} = 2\,\sigma(2x) - 1, \qquad \tanh'(x) = 1 - \tanh^2(x)$$
#
# | property | value |
# |---|---|
# | range | (-1, 1) |
# | zero point | tanh(0) = 0, and tanh'(0) = 1 |
# | symmetry | odd: tanh(-x) = -tanh(x) (zero-centred outputs) |
# | monotonic | strictly increasing |
# | derivative | at most 1 (at 0), four times sigmoid's |
#
# Tanh is a rescaled sigmoid: same S shape, centred on 0, with a steeper middle. Its
# zero-centred outputs make the next layer's updates better balanced than sigmoid's.
#
# Do not code the definition: once abs(x) > 88.7 in float32 it is `inf / inf = nan`:

# %%
x = np.array([1.0, 100.0], dtype=np.float32)
with np.errstate(all="ignore"):
    print("definition:", (np.exp(x) - np.exp(-x)) / (np.exp(x) + np.exp(-x)), "  np.tanh:", np.tanh(x))

# %%
#| export
def tanh(x: Tensor) -> Tensor:
    """Hyperbolic tangent, elementwise.

    tanh(x) = (exp(x) - exp(-x)) / (exp(x) + exp(-x))

    Args:
        x: Tensor of any shape.

    Shape: input (*), output (*): the same shape.

    Example:
        >>> tanh(Tensor([0.0, 1.0]))
        Tensor([0.       , 0.7615942], dtype=float32)
    """
    x = float_array(x)
    # TODO: return tanh(x) as a new Tensor.
    # HINTS: NumPy has an accurate tanh; the definition above overflows.
    ### BEGIN SOLUTION
    return Tensor(np.tanh(x))
    ### END SOLUTION


def tanh_backward(grad, out) -> np.ndarray:
    """Gradient of tanh from its output t: grad * (1 - t*t).

    Args:
        grad: gradient with respect to tanh's output.
        out: tanh's output t (saved by forward).

    Returns: the gradient with respect to the input, a NumPy array.
    """
    grad, t = backward_inputs(grad, out)
    # TODO: return grad * tanh'(x), using only the saved output t.
    ### BEGIN SOLUTION
    return grad * (1 - t * t)
    ### END SOLUTION


class Tanh(Activation):
    """Applies tanh(x) elementwise. See `tanh`.

    Shape: input (*), output (*): the same shape.

    Example:
        >>> Tanh()(Tensor([0.0]))
        Tensor([0.], dtype=float32)
    """

    def forward(self, x: Tensor) -> Tensor:
        y = tanh(x)
        self.output = y.data
        return y

    def backward(self, grad_output: Tensor) -> Tensor:
        return Tensor(tanh_backward(grad_output, self.saved("output")))

# %%
x = Tensor([-np.inf, -1000.0, -1.0, -0.0, 0.0, 1.0, 1000.0, np.inf])
y = tanh(x).data
assert np.array_equal(y, [-1, -1, -np.tanh(np.float32(1)), 0, 0, np.tanh(np.float32(1)), 1, 1]), y
layer = Tanh()
layer(Tensor([0.0]))
assert layer.backward(Tensor([1.0])).data[0] == 1.0
print("tanh ok")

# %%
plot_activation("tanh", Tanh())

# %% [markdown]
# ## LeakyReLU
#
# $$\mathrm{leaky\_relu}(x) = \begin{cases} x & x > 0 \\ a\,x & x \le 0 \end{cases}
# \qquad a = \texttt{negative\_slope} = 0.01$$
#
# | property | value |
# |---|---|
# | range | (-inf, inf) for a > 0 |
# | zero point | 0 |
# | monotonic | strictly increasing for a > 0 |
# | derivative | 1 for x > 0, a for x <= 0 (a at the kink, as PyTorch) |
#
# A small slope for negative inputs keeps a gradient flowing through units that a ReLU
# would switch off. **Pitfall.** For 0 <= a <= 1, `max(x, a x)` is a neat one-liner, but
# for a > 1 it picks the wrong branch:

# %%
x, a = np.float32(3.0), 2.0
print(f"leaky_relu(3) with slope 2 is 3; max(x, a x) gives {max(x, a * x)}")

# %%
#| export
def leaky_relu(x: Tensor, negative_slope: float = 0.01) -> Tensor:
    """Leaky rectified linear unit, elementwise.

    leaky_relu(x) = x if x > 0 else negative_slope * x

    Args:
        x: Tensor of any shape; integer tensors stay integer when negative_slope is a
            whole number.
        negative_slope: slope for x <= 0. Default: 0.01.

    Shape: input (*), output (*): the same shape.

    Example:
        >>> leaky_relu(Tensor([-2.0, 3.0]), negative_slope=0.1)
        Tensor([-0.2,  3. ], dtype=float32)
    """
    data = as_array(x)
    if data.dtype.kind in "iu" and float(negative_slope).is_integer():
        negative_slope = int(negative_slope)  # integers stay integers
    else:
        data, negative_slope = float_array(data), float(negative_slope)
    # TODO: return x where x > 0 and negative_slope * x elsewhere, as a new Tensor.
    # HINTS: it must hold for every slope, also a > 1 and a < 0. a * x may overflow to
    #   +-inf for huge x: that is its right value (no warning).
    ### BEGIN SOLUTION
    with np.errstate(over="ignore"):
        y = data * negative_slope
    if negative_slope <= 1:  # then a x <= x for x > 0 and a x >= x for x < 0
        return Tensor(np.maximum(data, y))
    return Tensor(np.minimum(data, y))  # a > 1: the other way round
    ### END SOLUTION


def leaky_relu_backward(grad, x, negative_slope: float = 0.01) -> np.ndarray:
    """Gradient of leaky_relu: grad where x > 0, negative_slope * grad where x <= 0.

    Args:
        grad: gradient with respect to the output.
        x: leaky_relu's input.
        negative_slope: the forward's slope.

    Returns: the gradient with respect to x, a NumPy array.
    """
    grad, x = backward_inputs(grad, x)
    # TODO: return grad * (1 if x > 0 else negative_slope).
    # HINTS: the kink x = 0 takes the slope (PyTorch's convention).
    ### BEGIN SOLUTION
    return np.where(x > 0, grad, grad * float(negative_slope))
    ### END SOLUTION


class LeakyReLU(Activation):
    """Applies leaky_relu elementwise. See `leaky_relu`.

    Args:
        negative_slope: slope for x <= 0. Default: 0.01.

    Shape: input (*), output (*): the same shape.

    Example:
        >>> LeakyReLU(0.1)(Tensor([-1.0, 1.0]))
        Tensor([-0.1,  1. ], dtype=float32)
    """

    def __init__(self, negative_slope: float = 0.01):
        self.negative_slope = negative_slope

    def extra_repr(self) -> str:
        return f"negative_slope={self.negative_slope}"

    def forward(self, x: Tensor) -> Tensor:
        self.input = as_array(x)
        return leaky_relu(x, self.negative_slope)

    def backward(self, grad_output: Tensor) -> Tensor:
        return Tensor(leaky_relu_backward(grad_output, self.saved("input"), self.negative_slope))

# %%
x = Tensor([-100.0, -1.0, 0.0, 2.0, -np.inf, np.inf])
y = leaky_relu(x).data
assert np.allclose(y, [-1.0, -0.01, 0.0, 2.0, -np.inf, np.inf]), y
assert np.array_equal(leaky_relu(Tensor([-3, 4]), negative_slope=2).data, [-6, 4])
assert leaky_relu(Tensor([3.0]), negative_slope=2).data[0] == 3, "a > 1: x for x > 0"
assert leaky_relu(Tensor([-3, 4])).data.dtype == np.float32
layer = LeakyReLU()
layer(Tensor([-1.0, 0.0, 1.0]))
assert np.array_equal(layer.backward(Tensor([1.0, 1.0, 1.0])).data, np.float32([0.01, 0.01, 1.0]))
assert repr(layer) == "LeakyReLU(negative_slope=0.01)"
print("leaky_relu ok")

# %%
plot_activation("leaky_relu", LeakyReLU())

# %% [markdown]
# ## ELU
#
# $$\mathrm{elu}(x) = \begin{cases} x & x > 0 \\ \alpha\,(e^x - 1) & x \le 0 \end{cases}, \qquad
# \mathrm{elu}'(x) = \begin{cases} 1 & x > 0 \\ \alpha\,e^x & x \le 0 \end{cases}$$
#
# | property | value |
# |---|---|
# | range | (-alpha, inf) |
# | zero point | 0; smooth at 0 when alpha = 1 |
# | monotonic | strictly increasing for alpha > 0 |
# | limit | elu(-inf) = -alpha |
#
# Negative outputs pull the mean activation towards 0 while the function saturates
# smoothly instead of cutting off.
#
# **Pitfall.** `exp(x) - 1` for small x subtracts two nearly equal numbers:

# %%
x = np.float32(1e-8)
print("exp(x) - 1 =", np.exp(x) - 1, "   np.expm1(x) =", np.expm1(x), "   (exact: 1e-08)")

# %% [markdown]
# `np.expm1(x)` computes e^x - 1 directly and keeps every digit. Note that
# `np.where(cond, a, b)` computes *both* `a` and `b` everywhere: the branch you do not
# keep must not warn either.

# %%
#| export
def elu(x: Tensor, alpha: float = 1.0) -> Tensor:
    """Exponential linear unit, elementwise.

    elu(x) = x if x > 0 else alpha * (exp(x) - 1)

    Args:
        x: Tensor of any shape.
        alpha: the value elu approaches as x -> -inf is -alpha. Default: 1.0.

    Shape: input (*), output (*): the same shape.

    Example:
        >>> elu(Tensor([-1.0, 2.0]))
        Tensor([-0.63212055,  2.        ], dtype=float32)
    """
    x = float_array(x)
    # TODO: return x where x > 0 and alpha * (e^x - 1) elsewhere, as a new Tensor.
    # HINTS: e^x - 1 cancels for x near 0: NumPy has a function for exactly this. The
    #   branch for x <= 0 is also evaluated at large positive x: keep it from overflowing.
    ### BEGIN SOLUTION
    y = np.expm1(np.minimum(x, 0))  # e^x - 1 where x <= 0, and 0 where x > 0
    y *= alpha
    y += np.maximum(x, 0)  # x where x > 0, and 0 where x <= 0
    return Tensor(y)
    ### END SOLUTION


def elu_backward(grad, x, alpha: float = 1.0) -> np.ndarray:
    """Gradient of elu from its input: grad if x > 0, else grad * alpha * exp(x).

    At x = 0 the derivative is alpha, as PyTorch. Computed from x, not from the
    output: out + alpha would cancel to 0 for very negative x.

    Args:
        grad: gradient with respect to elu's output.
        x: elu's input.
        alpha: the forward's alpha.

    Returns: the gradient with respect to x, a NumPy array.
    """
    grad, x = backward_inputs(grad, x)
    # TODO: return grad * (1 if x > 0 else alpha * e^x).
    # HINTS: the kink x = 0 takes alpha (PyTorch's convention); e^x overflows for large x.
    ### BEGIN SOLUTION
    d = np.exp(np.minimum(x, 0))  # e^x where x <= 0
    d *= alpha
    d *= grad
    return np.where(x > 0, grad, d)
    ### END SOLUTION


class ELU(Activation):
    """Applies elu elementwise. See `elu`.

    Args:
        alpha: elu(-inf) = -alpha. Default: 1.0.

    Shape: input (*), output (*): the same shape.

    Example:
        >>> ELU()(Tensor([-np.inf, 0.0]))
        Tensor([-1.,  0.], dtype=float32)
    """

    def __init__(self, alpha: float = 1.0):
        self.alpha = alpha

    def extra_repr(self) -> str:
        return f"alpha={self.alpha}"

    def forward(self, x: Tensor) -> Tensor:
        self.input = as_array(x)
        return elu(x, self.alpha)

    def backward(self, grad_output: Tensor) -> Tensor:
        return Tensor(elu_backward(grad_output, self.saved("input"), self.alpha))

# %%
y = elu(Tensor([-np.inf, -1.0, 1e-8, 3.0])).data
assert y[0] == -1 and abs(y[1] - (math.exp(-1) - 1)) < 1e-7 and y[3] == 3, y
assert y[2] == np.float32(1e-8), "elu(1e-8) = 1e-8: use expm1"
assert elu(Tensor([-np.inf]), alpha=2.0).data[0] == -2
layer = ELU(alpha=2.0)
layer(Tensor([-1.0, 0.0, 1.0]))
g = layer.backward(Tensor([1.0, 1.0, 1.0])).data
assert np.allclose(g, [2 * math.exp(-1), 2.0, 1.0]), g
assert repr(layer) == "ELU(alpha=2.0)"
print("elu ok")

# %%
plot_activation("elu", ELU())

# %% [markdown]
# ## SiLU (swish)
#
# $$\mathrm{silu}(x) = x\,\sigma(x) = \frac{x}{1 + e^{-x}}, \qquad
# \mathrm{silu}'(x) = \sigma(x)\,\bigl(1 + x\,(1 - \sigma(x))\bigr)$$
#
# | property | value |
# |---|---|
# | range | about [-0.278, inf) |
# | zero point | 0, and silu'(0) = 1/2 |
# | monotonic | no: minimum -0.278 at x = -1.278 |
# | limits | x for x -> inf, 0 for x -> -inf |
#
# SiLU weights each input by its own sigmoid: a ReLU with a smooth, slightly negative
# knee. It is the activation of EfficientNet and, inside SwiGLU, of most large
# language models.
#
# **Pitfall, live.** At x = -inf the formula is `-inf / inf`, and the limit 0 becomes nan:

# %%
x = np.array([-np.inf, -1e4, -1.0], dtype=np.float32)
with np.errstate(all="ignore"):
    print("x / (1 + exp(-x)):", x / (1 + np.exp(-x)), "  <- nan at -inf; -1e4 already gives -0")

# %%
#| export
def silu(x: Tensor) -> Tensor:
    """Sigmoid linear unit (swish), elementwise.

    silu(x) = x * sigmoid(x) = x / (1 + exp(-x))

    Args:
        x: Tensor of any shape.

    Shape: input (*), output (*): the same shape.

    Example:
        >>> silu(Tensor([-1.0, 1.0]))
        Tensor([-0.2689414,  0.7310586], dtype=float32)
    """
    x = float_array(x)
    # TODO: return x * sigmoid(x) as a new Tensor: 0 at -inf (its limit), no warnings.
    # HINTS: below about -1e4 the result is 0 in any float format, so -inf may be treated
    #   like any very negative number.
    ### BEGIN SOLUTION
    x = np.maximum(x, -1e4)  # -inf / inf would be nan; silu(-1e4) is -0 already
    with np.errstate(over="ignore"):
        return Tensor(x / (1 + np.exp(-x)))
    ### END SOLUTION


def silu_backward(grad, x) -> np.ndarray:
    """Gradient of silu from its input: grad * s * (1 + x * (1 - s)), s = sigmoid(x).

    Args:
        grad: gradient with respect to silu's output.
        x: silu's input.

    Returns: the gradient with respect to x, a NumPy array.
    """
    grad, x = backward_inputs(grad, x)
    # TODO: return grad * silu'(x) (formula above), finite at +-inf.
    # HINTS: at x = +-inf the formula meets inf * 0; beyond +-1e4 silu' is exactly 1 or 0.
    ### BEGIN SOLUTION
    x = np.clip(x, -1e4, 1e4)
    with np.errstate(over="ignore"):
        s = 1 / (1 + np.exp(-x))
    return grad * s * (1 + x * (1 - s))
    ### END SOLUTION


class SiLU(Activation):
    """Applies silu(x) = x * sigmoid(x) elementwise. See `silu`.

    Shape: input (*), output (*): the same shape.

    Example:
        >>> SiLU()(Tensor([0.0]))
        Tensor([0.], dtype=float32)
    """

    def forward(self, x: Tensor) -> Tensor:
        self.input = as_array(x)
        return silu(x)

    def backward(self, grad_output: Tensor) -> Tensor:
        return Tensor(silu_backward(grad_output, self.saved("input")))

# %%
y = silu(Tensor([-np.inf, -1.0, 0.0, 1.0, np.inf])).data
assert y[0] == 0 and y[-1] == np.inf and y[2] == 0, y
assert abs(y[1] + 0.2689414213699951) < 1e-7 and abs(y[3] - 0.7310585786300049) < 1e-7
layer = SiLU()
layer(Tensor([0.0]))
assert layer.backward(Tensor([1.0])).data[0] == 0.5
print("silu ok")

# %%
plot_activation("silu", SiLU())

# %% [markdown]
# ## GELU
#
# $$\mathrm{gelu}(x) = x\,\Phi(x), \qquad
# \Phi(x) = \tfrac12\bigl(1 + \mathrm{erf}(x/\sqrt2)\bigr) = \tfrac12\,\mathrm{erfc}(-x/\sqrt2)$$
#
# with Phi the standard normal distribution function, and the tanh approximation
# (`approximate='tanh'`, used by GPT-2 and BERT):
#
# $$\mathrm{gelu}(x) \approx \tfrac12 x \bigl(1 + \tanh u\bigr) = \frac{x}{1 + e^{-2u}}, \qquad
# u = \sqrt{2/\pi}\,(x + 0.044715\,x^3)$$
#
# | property | value |
# |---|---|
# | range | about [-0.17, inf) |
# | zero point | 0, and gelu'(0) = 1/2 |
# | monotonic | no: dips to its minimum -0.17 near x = -0.75 |
# | limits | x for x -> inf, 0 for x -> -inf |
# | derivative | Phi(x) + x phi(x), phi the normal density |
#
# GELU weights each input by the probability that a standard normal variable is below
# it: SiLU's shape with a Gaussian instead of a logistic weight. It is the activation
# of transformers. NumPy has no `erf`; SciPy's `scipy.special.erfc` is imported above.
#
# **Pitfall, live.** `1 + erf(x / sqrt 2)` cancels for negative x: below about -6 the
# bracket is 1 + (-1 + tiny), and float32 returns 0 where the answer is a normal number.
# `erfc(-x / sqrt 2)` computes the same bracket without the cancellation. The tanh
# form has the same trap in `1 + tanh(u)`; `x / (1 + e^(-2u))` is the same value and
# does not cancel:

# %%
from scipy.special import erf  # noqa: E402

x = np.float32(-7.0)
s2 = np.float32(math.sqrt(2))
print("0.5 x (1 + erf(x/sqrt2)):", np.float32(0.5) * x * (1 + erf(x / s2)))
print("0.5 x erfc(-x/sqrt2):    ", np.float32(0.5) * x * erfc(-x / s2))
u = np.float32(math.sqrt(2 / math.pi)) * (x + np.float32(0.044715) * x ** 3)
print("tanh form 0.5 x (1 + tanh u):", np.float32(0.5) * x * (1 + np.tanh(u)),
      "   x / (1 + e^-2u):", x / (1 + np.exp(-2 * u)))

# %% [markdown]
# Two more details: `x**3` overflows float32 for abs(x) > 7e12, and at x = -inf the
# product is `-inf * 0 = nan`. Beyond abs(x) = 1e4, GELU is exactly x or 0 in any float
# format, so clamping x to [-1e4, 1e4] where it enters erfc or u fixes both (keep the
# large positive x itself: gelu(1e30) = 1e30). The sigmoid shortcut
# `x * sigmoid(1.702 x)` is a third, coarser approximation: it is off by up to 0.02,
# neither of the two GELUs.

# %%
#| exporti
SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)
GELU_CUBIC = 0.044715
INV_SQRT_2 = 1.0 / math.sqrt(2.0)
INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)

# %%
#| export
def _check_approximate(approximate: str) -> None:
    if approximate not in ("none", "tanh"):
        raise ValueError(f"approximate must be 'none' or 'tanh', not {approximate!r}")


def gelu(x: Tensor, approximate: str = "none") -> Tensor:
    """Gaussian error linear unit, elementwise.

    gelu(x) = x * Phi(x), Phi the standard normal CDF  (approximate='none')
    gelu(x) = 0.5 * x * (1 + tanh(sqrt(2/pi) * (x + 0.044715 x^3)))  (approximate='tanh')

    Args:
        x: Tensor of any shape.
        approximate: 'none' (exact) or 'tanh'. Default: 'none'.

    Shape: input (*), output (*): the same shape.

    Example:
        >>> gelu(Tensor([-1.0, 1.0]))
        Tensor([-0.15865526,  0.8413447 ], dtype=float32)
    """
    _check_approximate(approximate)
    x = float_array(x)
    # TODO: return the exact GELU, or the tanh form when approximate == 'tanh'.
    # HINTS: which bracket cancels for x < -6, and which form of it does not? Clamp x where
    #   it enters erfc or u (beyond 1e4 GELU is x or 0); SQRT_2_OVER_PI, GELU_CUBIC and
    #   INV_SQRT_2 are defined above.
    ### BEGIN SOLUTION
    if approximate == "tanh":
        t = np.clip(x, -1e4, 1e4)  # t**3 stays finite
        u = SQRT_2_OVER_PI * (t + GELU_CUBIC * t * t * t)  # t * t * t: t ** 3 is a slow pow
        with np.errstate(over="ignore"):  # e^-2u = inf for very negative x: x / inf = -0
            return Tensor(np.maximum(x, -1e4) / (1 + np.exp(-2 * u)))
    x = np.maximum(x, -1e4)  # -inf * 0 would be nan; gelu(-1e4) is -0 already
    return Tensor(0.5 * x * erfc(-x * INV_SQRT_2))
    ### END SOLUTION


def gelu_backward(grad, x, approximate: str = "none") -> np.ndarray:
    """Gradient of gelu from its input.

    exact: gelu'(x) = Phi(x) + x * phi(x),  phi(x) = exp(-x^2/2) / sqrt(2 pi)
    tanh:  with s = sigmoid(2u): gelu'(x) = s + 2 x u'(x) s (1 - s),
           u'(x) = sqrt(2/pi) * (1 + 3 * 0.044715 x^2)

    Args:
        grad: gradient with respect to gelu's output.
        x: gelu's input.
        approximate: the forward's 'none' or 'tanh'.

    Returns: the gradient with respect to x, a NumPy array.
    """
    _check_approximate(approximate)
    grad, x = backward_inputs(grad, x)
    # TODO: return grad * gelu'(x) for the exact or the tanh form (formulas above).
    # HINTS: clamp x to [-1e4, 1e4] first, so that inf * 0 cannot appear; INV_SQRT_2PI is given.
    ### BEGIN SOLUTION
    x = np.clip(x, -1e4, 1e4)
    if approximate == "tanh":
        u = SQRT_2_OVER_PI * (x + GELU_CUBIC * x * x * x)
        du = SQRT_2_OVER_PI * (1 + 3 * GELU_CUBIC * x * x)
        with np.errstate(over="ignore"):
            s = 1 / (1 + np.exp(-2 * u))
        return grad * (s + 2 * x * du * s * (1 - s))
    d = 0.5 * erfc(-x * INV_SQRT_2)  # Phi(x)
    d += x * np.exp(-0.5 * x * x) * INV_SQRT_2PI  # + x phi(x)
    d *= grad
    return d
    ### END SOLUTION


class GELU(Activation):
    """Applies gelu elementwise. See `gelu`.

    Args:
        approximate: 'none' (exact, x * Phi(x)) or 'tanh'. Default: 'none'.

    Shape: input (*), output (*): the same shape.

    Example:
        >>> GELU(approximate="tanh")(Tensor([1.0]))
        Tensor([0.841192], dtype=float32)
    """

    def __init__(self, approximate: str = "none"):
        _check_approximate(approximate)
        self.approximate = approximate

    def extra_repr(self) -> str:
        return f"approximate={self.approximate!r}"

    def forward(self, x: Tensor) -> Tensor:
        self.input = as_array(x)
        return gelu(x, self.approximate)

    def backward(self, grad_output: Tensor) -> Tensor:
        return Tensor(gelu_backward(grad_output, self.saved("input"), self.approximate))

# %%
y = gelu(Tensor([-np.inf, -10.0, -1.0, 0.0, 1.0, np.inf])).data
assert y[0] == 0 and y[-1] == np.inf and y[3] == 0, y
assert abs(y[2] - (-0.15865525393145707)) < 1e-7 and abs(y[4] - 0.8413447460685429) < 1e-7
assert y[1] < 0 and abs(y[1] / -7.619853e-23 - 1) < 1e-4, "keep the tail: erfc, not 1 + erf"
yt = gelu(Tensor([-np.inf, 1.0, np.inf]), approximate="tanh").data
assert yt[0] == 0 and abs(yt[1] - 0.8411919906082768) < 1e-7 and yt[2] == np.inf, yt
layer = GELU()
layer(Tensor([0.0]))
assert layer.backward(Tensor([1.0])).data[0] == 0.5
assert repr(GELU(approximate="tanh")) == "GELU(approximate='tanh')"
print("gelu ok")

# %%
plot_activation("gelu", GELU())
plot_activation("gelu", GELU(approximate="tanh"))

# %% [markdown]
# ## Softplus
#
# $$\mathrm{softplus}(x) = \frac1\beta \log\bigl(1 + e^{\beta x}\bigr), \qquad \mathrm{softplus}'(x) = \sigma(\beta x)$$
#
# | property | value |
# |---|---|
# | range | (0, inf) for beta > 0 |
# | zero point | softplus(0) = log(2) / beta |
# | monotonic | strictly increasing |
# | limits | 0 at -inf, x at +inf; always above relu(x) (beta > 0) |
# | derivative | the sigmoid: softplus is sigmoid's antiderivative |
#
# A smooth ReLU whose output is always positive: used where a network predicts a scale
# or a variance.
#
# **Pitfall, live.** `log(1 + exp(x))` overflows for x > 88.7 (float32) and rounds
# `1 + tiny` to 1 for very negative x:

# %%
x = np.array([-100.0, 100.0], dtype=np.float32)
with np.errstate(over="ignore"):
    print("log(1 + exp(x)):", np.log(1 + np.exp(x)), "  (exact: 3.7e-44 and 100)")

# %% [markdown]
# Since log(1 + e^z) = z + log(1 + e^-z), the stable form is
#
# $$\log(1 + e^{z}) = \max(z, 0) + \mathrm{log1p}\bigl(e^{-|z|}\bigr), \qquad z = \beta x,$$
#
# then divide by beta: max(z, 0) / beta is x where z > 0 and 0 elsewhere (write it so:
# beta x may overflow where x itself does not). The exponential never overflows and
# `log1p` keeps the small values. PyTorch accepts any beta, also negative ones and 0 (the result is then
# `log(2) / 0 = inf`), so the formula must too.
#
# **About `threshold`.** PyTorch returns x itself where beta x > threshold (20). In
# float64 that is wrong: softplus(21) = 21 + 7.6e-10, which float64 resolves. TinyTorch
# keeps the argument for compatibility but never needs it: the stable form returns x
# exactly wherever x is the correctly rounded result, and the true value elsewhere.

# %%
#| export
def softplus(x: Tensor, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    """Softplus, a smooth ReLU, elementwise.

    softplus(x) = log(1 + exp(beta * x)) / beta

    Args:
        x: Tensor of any shape.
        beta: sharpness; larger beta is closer to relu. Any number, as PyTorch (0 gives
            inf). Default: 1.0.
        threshold: accepted for PyTorch compatibility and not used: the stable form
            below is already exact (to rounding) where PyTorch switches to x.
            Default: 20.0.

    Shape: input (*), output (*): the same shape.

    Example:
        >>> softplus(Tensor([0.0, 30.0]))
        Tensor([ 0.6931472, 30.       ], dtype=float32)
    """
    x, beta = float_array(x), float(beta)
    # TODO: return log(1 + exp(beta x)) / beta in the stable form above, as a new Tensor.
    # HINTS: no warning for any input or beta: beta x may overflow (softplus(3e38, beta=2)
    #   is 3e38, not inf), and beta = 0 divides log(2) by 0 (inf, as PyTorch).
    ### BEGIN SOLUTION
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
        z = beta * x  # may overflow to +-inf: then e^-|z| = 0, the right term
        y = np.log1p(np.exp(-np.abs(z)))
        y /= beta  # beta = 0: log(2) / 0 = inf, as PyTorch
    y += np.maximum(x, 0) if beta >= 0 else np.minimum(x, 0)  # max(z, 0) / beta, never overflowing
    return Tensor(y)
    ### END SOLUTION


def softplus_backward(grad, x, beta: float = 1.0) -> np.ndarray:
    """Gradient of softplus from its input: grad * sigmoid(beta * x).

    Args:
        grad: gradient with respect to softplus's output.
        x: softplus's input.
        beta: the forward's beta.

    Returns: the gradient with respect to x, a NumPy array.
    """
    grad, x = backward_inputs(grad, x)
    # TODO: return grad * sigmoid(beta * x).
    ### BEGIN SOLUTION
    with np.errstate(over="ignore", invalid="ignore"):
        return grad / (1 + np.exp(-float(beta) * x))
    ### END SOLUTION


class Softplus(Activation):
    """Applies softplus elementwise. See `softplus`.

    Args:
        beta: sharpness. Default: 1.0.
        threshold: kept for PyTorch compatibility (see `softplus`). Default: 20.0.

    Shape: input (*), output (*): the same shape.

    Example:
        >>> Softplus()(Tensor([0.0]))
        Tensor([0.6931472], dtype=float32)
    """

    def __init__(self, beta: float = 1.0, threshold: float = 20.0):
        self.beta = beta
        self.threshold = threshold

    def extra_repr(self) -> str:
        return f"beta={self.beta}, threshold={self.threshold}"

    def forward(self, x: Tensor) -> Tensor:
        self.input = as_array(x)
        return softplus(x, self.beta, self.threshold)

    def backward(self, grad_output: Tensor) -> Tensor:
        return Tensor(softplus_backward(grad_output, self.saved("input"), self.beta))

# %%
y = softplus(Tensor([-np.inf, -80.0, 0.0, 100.0, np.inf])).data
assert y[0] == 0 and y[-1] == np.inf and y[3] == 100, y
assert abs(y[1] / math.exp(-80) - 1) < 1e-6, "log1p keeps softplus(-80) = 1.8e-35"
assert abs(y[2] - math.log(2)) < 1e-7
y64 = softplus(Tensor(np.array([21.0]))).data
assert y64[0] == 21 + math.log1p(math.exp(-21)) and y64[0] != 21.0, "no threshold shortcut"
assert abs(softplus(Tensor([-1.0]), beta=-1.0).data[0] + math.log1p(math.e)) < 1e-6, "negative beta"
assert repr(Softplus()) == "Softplus(beta=1.0, threshold=20.0)"
print("softplus ok")

# %%
plot_activation("softplus", Softplus())

# %% [markdown]
# ## Softmax and LogSoftmax
#
# $$\mathrm{softmax}(x)_i = \frac{e^{x_i}}{\sum_j e^{x_j}}, \qquad
# \mathrm{log\_softmax}(x)_i = x_i - \log\sum_j e^{x_j}$$
#
# along one axis (`dim`, by default the last). Unlike the functions above, each output
# depends on the whole row.
#
# | property | value |
# |---|---|
# | range | (0, 1), each row sums to 1 |
# | shift invariance | softmax(x + c) = softmax(x) for any constant c |
# | order | keeps the order of the logits within a row |
# | derivative | d softmax_i / d x_j = s_i (delta_ij - s_j): every output depends on every input |
#
# **Pitfall, live.** `exp(1000)` is inf, and `inf / inf` is nan:

# %%
x = np.array([1000.0, 0.0], dtype=np.float32)
with np.errstate(all="ignore"):
    print("exp(x) / sum(exp(x)):", np.exp(x) / np.exp(x).sum())
    print("log(softmax([0, -200])) in float32:", np.log(np.exp([0, -200], dtype=np.float32)
                                                        / np.exp([0, -200], dtype=np.float32).sum()))

# %% [markdown]
# Shift invariance is the way out: subtract the row maximum m first. Then every
# exponent is <= 0, the largest term is exactly e^0 = 1, and the sum lies between 1 and
# the row length.
#
# **LogSoftmax.** `log(softmax(x))` fails when a probability underflows: in float32,
# softmax([0, -200]) is [1, 0] and log(0) = -inf, where the true answer is -200.
# Compute it in the log domain: x_i - m - log(sum_j e^(x_j - m)).
#
# **Backward.** With y = softmax(x) and upstream gradient g, the chain rule over the
# full Jacobian gives grad_x = y * (g - sum(g * y)), the sum along the axis. Dropping
# the sum (the off-diagonal terms) is a classic bug. For log_softmax:
# grad_x = g - exp(y) * sum(g).
#
# A row that contains nan or +inf, or only -inf, has no meaningful softmax; like
# PyTorch, the result is nan for that row (without a warning). A -inf logit alone just
# gets probability 0. The given `row_axis(dim, x.ndim)` turns `dim` into the axis to
# reduce over (None for a single number, which NumPy's reductions then treat as one row).

# %%
#| export
def softmax(x: Tensor, dim: int = -1) -> Tensor:
    """Softmax along `dim`: positive values that sum to 1.

    softmax(x)_i = exp(x_i) / sum_j exp(x_j)

    Args:
        x: Tensor of any shape.
        dim: the axis whose entries sum to 1. Default: -1 (the last).

    Shape: input (*), output (*): the same shape.

    Example:
        >>> softmax(Tensor([1.0, 2.0, 3.0]))
        Tensor([0.09003057, 0.24472847, 0.66524096], dtype=float32)
    """
    x = float_array(x)
    axis = row_axis(dim, x.ndim)
    if x.size == 0:
        return Tensor(x.copy())
    # TODO: softmax along `axis`, finite for logits of +-1000 and without warnings.
    # HINTS: reduce with keepdims=True so the result broadcasts against x. A row of
    #   only -inf gives -inf - (-inf) = nan: right (no value), but it must not warn.
    ### BEGIN SOLUTION
    with np.errstate(invalid="ignore", over="ignore"):  # nan rows; x - m may pass -max
        e = np.exp(x - x.max(axis=axis, keepdims=True))
        return Tensor(e / e.sum(axis=axis, keepdims=True))
    ### END SOLUTION


def softmax_backward(grad, out, dim: int = -1) -> np.ndarray:
    """Gradient of softmax from its output y: y * (grad - sum(grad * y, dim)).

    Args:
        grad: gradient with respect to softmax's output.
        out: softmax's output y (saved by forward).
        dim: the forward's dim.

    Returns: the gradient with respect to the input, a NumPy array.
    """
    grad, y = backward_inputs(grad, out)
    axis = row_axis(dim, y.ndim)
    # TODO: return y * (grad - sum(grad * y)), the sum along the axis.
    ### BEGIN SOLUTION
    return y * (grad - (grad * y).sum(axis=axis, keepdims=True))
    ### END SOLUTION


class Softmax(Activation):
    """Applies softmax along `dim`. See `softmax`.

    Args:
        dim: the axis whose entries sum to 1. Default: -1.

    Shape: input (*), output (*): the same shape.

    Note: to train a classifier, feed log_softmax (or raw logits) to the loss, not
    softmax: log(softmax) loses probabilities that underflow.

    Example:
        >>> Softmax(dim=-1)(Tensor([[0.0, 0.0]]))
        Tensor([[0.5, 0.5]], dtype=float32)
    """

    def __init__(self, dim: int = -1):
        self.dim = dim

    def extra_repr(self) -> str:
        return f"dim={self.dim}"

    def forward(self, x: Tensor) -> Tensor:
        y = softmax(x, self.dim)
        self.output = y.data
        return y

    def backward(self, grad_output: Tensor) -> Tensor:
        return Tensor(softmax_backward(grad_output, self.saved("output"), self.dim))


def log_softmax(x: Tensor, dim: int = -1) -> Tensor:
    """Logarithm of softmax along `dim`, computed in the log domain.

    log_softmax(x)_i = x_i - log(sum_j exp(x_j))

    Args:
        x: Tensor of any shape.
        dim: the axis to normalize over. Default: -1 (the last).

    Shape: input (*), output (*): the same shape.

    Example:
        >>> log_softmax(Tensor([0.0, -200.0, -1000.0]))
        Tensor([    0.,  -200., -1000.], dtype=float32)
    """
    x = float_array(x)
    axis = row_axis(dim, x.ndim)
    if x.size == 0:
        return Tensor(x.copy())
    # TODO: log_softmax along `axis` in the log domain (never log of softmax).
    # HINTS: the same shift as softmax; the same rows without a value.
    ### BEGIN SOLUTION
    with np.errstate(invalid="ignore", over="ignore"):
        shifted = x - x.max(axis=axis, keepdims=True)
        return Tensor(shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True)))
    ### END SOLUTION


def log_softmax_backward(grad, out, dim: int = -1) -> np.ndarray:
    """Gradient of log_softmax from its output y: grad - exp(y) * sum(grad, dim).

    Args:
        grad: gradient with respect to log_softmax's output.
        out: log_softmax's output y (saved by forward).
        dim: the forward's dim.

    Returns: the gradient with respect to the input, a NumPy array.
    """
    grad, y = backward_inputs(grad, out)
    axis = row_axis(dim, y.ndim)
    # TODO: return grad - exp(y) * sum(grad), the sum along the axis.
    ### BEGIN SOLUTION
    return grad - np.exp(y) * grad.sum(axis=axis, keepdims=True)
    ### END SOLUTION


class LogSoftmax(Activation):
    """Applies log_softmax along `dim`. See `log_softmax`.

    Args:
        dim: the axis to normalize over. Default: -1.

    Shape: input (*), output (*): the same shape.

    Example:
        >>> LogSoftmax()(Tensor([[0.0, 0.0]]))
        Tensor([[-0.6931472, -0.6931472]], dtype=float32)
    """

    def __init__(self, dim: int = -1):
        self.dim = dim

    def extra_repr(self) -> str:
        return f"dim={self.dim}"

    def forward(self, x: Tensor) -> Tensor:
        y = log_softmax(x, self.dim)
        self.output = y.data
        return y

    def backward(self, grad_output: Tensor) -> Tensor:
        return Tensor(log_softmax_backward(grad_output, self.saved("output"), self.dim))

# %%
p = softmax(Tensor([[1000.0, 0.0, -1000.0], [1.0, 2.0, 3.0]])).data
assert np.all(np.isfinite(p)) and np.allclose(p.sum(axis=1), 1), p
assert p[0, 0] == 1 and p[0, 2] == 0
assert np.allclose(softmax(Tensor([[1.0, 2.0], [3.0, 5.0]]), dim=0).data.sum(axis=0), 1)
lp = log_softmax(Tensor([0.0, -200.0, -1000.0])).data
assert np.array_equal(lp, np.float32([0, -200, -1000])), lp
layer = Softmax()
layer(Tensor([[0.0, 0.0]]))
g = layer.backward(Tensor([[1.0, 0.0]])).data
assert np.allclose(g, [[0.25, -0.25]]), g
assert repr(LogSoftmax(dim=1)) == "LogSoftmax(dim=1)"
print("softmax ok")

# %%
plot_activation("softmax", Softmax())
plot_activation("log_softmax", LogSoftmax())

# %% [markdown]
# ## All of them together
#
# Later modules put the same ten in the PyTorch-shaped namespaces, so code written against
# TinyTorch ports by changing the import: module 03 makes the functions differentiable in
# `tinytorch.nn.functional`, module 04 makes the classes Modules in `tinytorch.nn`:
#
# ```python
# import tinytorch.nn as nn                 # import torch.nn as nn
# import tinytorch.nn.functional as F       # import torch.nn.functional as F
# layer = nn.GELU(approximate="tanh")
# probs = F.softmax(logits, dim=-1)
# ```
#
# The figure below draws every function and its derivative (from your `backward`).

# %%
plot_comparison()

# %% [markdown]
# ### Your report card
#
# The same measurements as `tito check activations`, on the classes defined in this
# notebook: accuracy in ULP against a 192-bit reference, behaviour at ±1e4, ±inf, nan and
# subnormals, the defining properties, the backward against central differences, and the
# contract (shape, dtype, no mutation). Green passes, yellow warns, red fails, grey is
# not implemented yet.

# %%
plot_gradient_flow, report_card = feedback.plot_gradient_flow, feedback.report_card

report_card()

# %% [markdown]
# ### Why the derivative matters: gradients through deep stacks
#
# Backpropagation multiplies one derivative per layer. The sigmoid's derivative is at
# most 1/4, so through 20 sigmoid layers the gradient shrinks by many orders of
# magnitude (it *vanishes*); tanh's is at most 1, and ReLU's is exactly 1 where the unit
# is active. The figure measures it with your `backward` methods.

# %%
plot_gradient_flow()

# %% [markdown]
# ## Optional: what the formulas cost
#
# Nothing in this section is an exercise: the code is given, and you may stop here.
#
# An activation reads each element once and writes one result, so its floor is a memory
# copy (`np.copyto`). The cell times four sigmoids as multiples of that floor, measured
# in the same run, on 1e5 float32 numbers (0.4 MB, which fits in the CPU cache) and on
# 1e7 (40 MB, which does not):
#
# - **naive**: `1 / (1 + np.exp(-x))`, a new temporary array for every operation;
# - **masked**: the two-branch form with boolean masks from the module guide;
# - **in place**: the same formula written into one output array (`out=`);
# - **in blocks**: the naive formula run on pieces of `BLOCK` elements (below), so
#   every temporary stays in the cache.

# %%
import timeit  # noqa: E402


def naive_sigmoid(x):
    with np.errstate(over="ignore"):
        return 1 / (1 + np.exp(-x))


def masked_sigmoid(x):
    result = np.zeros_like(x)
    positive = x >= 0
    result[positive] = 1.0 / (1.0 + np.exp(-x[positive]))
    result[~positive] = np.exp(x[~positive]) / (1.0 + np.exp(x[~positive]))
    return result


def in_place_sigmoid(x):
    out = np.empty_like(x)
    with np.errstate(over="ignore"):
        np.negative(x, out=out)
        np.exp(out, out=out)
        out += 1
        np.divide(1, out, out=out)
    return out


def blocked_sigmoid(x, block=65_536):
    out = np.empty_like(x)
    for start in range(0, x.size, block):
        out[start:start + block] = naive_sigmoid(x[start:start + block])
    return out


def compare_sigmoids(n, repeat=5):
    x = np.random.default_rng(1).normal(0, 5, n).astype(np.float32)
    y = np.empty_like(x)
    candidates = {
        "copy floor (np.copyto)": lambda: np.copyto(y, x),
        "naive": lambda: naive_sigmoid(x),
        "masked (two branches)": lambda: masked_sigmoid(x),
        "in place, one array": lambda: in_place_sigmoid(x),
        "naive, in blocks": lambda: blocked_sigmoid(x),
    }
    number = max(1, 10**7 // n // 10)
    timings = {name: min(timeit.repeat(f, number=number, repeat=repeat)) / number
               for name, f in candidates.items()}
    floor = timings["copy floor (np.copyto)"]
    print(f"{n:,} float32 elements")
    for name, seconds in timings.items():
        print(f"  {name:26s} {seconds / n * 1e9:6.2f} ns/element  {seconds / floor:6.1f} x copy")
    return timings


small = compare_sigmoids(100_000)
large = compare_sigmoids(10_000_000, repeat=3)

# %% [markdown]
# In the cache the arithmetic dominates: `exp` alone costs several copies. Out of the
# cache every temporary array is another trip through main memory, in fresh pages the
# operating system hands over one by one: there the blocked form wins, because its
# temporaries are small and reused. The masked form builds masks, gathers the selected
# elements into new arrays and scatters the results back.
#
# The functions you wrote are the ones the package runs: nothing wraps or replaces
# them. A framework that needs the last factor of speed on huge arrays would compute
# them in blocks like the last candidate (PyTorch's kernels work on chunks in the same
# spirit); TinyTorch keeps your code as you wrote it. `tito bench activations` times
# every function, forward and backward, against the copy floor and against PyTorch on
# one thread, on your machine.

# %% [markdown]
# ## What's next
#
# - **Autograd** (module 03) calls the `*_backward` functions you wrote here for every
#   activation in a computation graph, so the derivative exists in one place.
# - **Layers** (module 04) put `Linear` and these activations together into networks:
#   `Sequential(Linear(784, 128), ReLU(), Linear(128, 10))`.
# - **Losses** (module 05) use `log_softmax` for cross-entropy, which is why it had to be
#   right when probabilities underflow.
#
# Run `tito test activations` for the full tests, `tito check activations` for the
# report card, and `tito sync` to put your activations into the package.

# %% [markdown]
# ## How this module is graded
#
# `tito grade` runs this module's tests on your code. The tests that code computing
# nothing passes too (a shape, a dtype, no warning at ±inf) share 5% of the score; the
# tests that need the right values share the other 95%.
