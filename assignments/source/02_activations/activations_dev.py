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
# PyTorch users meet most, forward and backward, correct over the whole floating-point
# range and about as fast as NumPy allows.
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
# Each section explains a function, lists its properties, then asks you to write it.
# Read the `TODO`, `APPROACH` and `HINTS` comments, replace the
# `raise NotImplementedError(...)`, and run the check cell below it. The plot cells
# draw your function next to the exact one. Then:
#
# ```bash
# tito test --module activations    # the full tests: accuracy in ULP, properties, PyTorch
# tito check activations            # report card: what is right, what is wrong, where
# tito sync                         # put your code into tinytorch/core/activations.py
# ```
#
# Two words used throughout. An **ULP** (unit in the last place) is the gap between
# two neighbouring floats; "2 ULP" means the answer is two representable numbers away
# from the exact one, and 0.5 ULP is the best any rounding can do. The **copy floor**
# is the time `np.copyto` takes to read an array and write another: an elementwise
# function cannot be faster than that.

# %%
#| default_exp core.activations

# %%
#| export
import functools
import math

import numpy as np
from scipy.special import erfcx, ndtr

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
# ## The toolkit: Tensor in, Tensor out, block by block
#
# Every function in this module takes a `Tensor` and returns a new `Tensor` of the same
# shape. Three rules hold for all of them (PyTorch's rules):
#
# - **dtype**: float32 in gives float32 out, float64 gives float64; integers and bools
#   are computed in float32 (only `relu` and `leaky_relu` may keep integers).
# - **no mutation**: the input is never written to.
# - **no warnings**: no input, not even `inf` or `nan`, may make NumPy warn.
#
# **Speed.** An activation reads each element once and writes one result: a streaming
# job whose floor is the copy. Two habits keep it near that floor:
#
# 1. *Write into the output.* `np.exp(a, out=a)` computes in place; a few such passes
#    over one output array cost about one copy each. Boolean masks (`x[x > 0]`,
#    `np.where`) cost 13 to 67 times the copy on the project's standard machine: avoid
#    them in elementwise code.
# 2. *Work in blocks.* A formula of four passes over a 1e6-element array reads and
#    writes 4 MB four times from main memory. Cut into blocks of 32k elements, each
#    block stays in the CPU cache for all four passes.
#
# The helper `elementwise` does the block loop once for every function in this module:
# you write a *kernel*, a small function that fills one output block from one input
# block with in-place NumPy calls, and `elementwise` runs it over the whole array. A kernel of
# a single pass (`relu`, `tanh`) gains nothing from blocks and pays about a microsecond
# per block: `block=None` runs it once over the whole array.

# %%
#| export
BLOCK = 32_768  # elements per block: a few passes over 32k floats stay in the CPU cache


def result_dtype(dtype) -> np.dtype:
    """The dtype an activation returns: floats keep theirs, the rest become float32."""
    dtype = np.dtype(dtype)
    return dtype if dtype.kind == "f" else np.dtype(np.float32)


def as_array(x) -> np.ndarray:
    """The NumPy array inside a Tensor (anything else is made a Tensor first)."""
    return (x if isinstance(x, Tensor) else Tensor(x)).data


def elementwise(kernel, *inputs, dtype=None, compute=None, scratch=0, block=BLOCK) -> np.ndarray:
    """Run `kernel` over same-shaped arrays block by block; return the new output array.

    kernel(*input_blocks, out_block, *scratch_blocks) fills out_block in place and must
    not write to its inputs. Blocks are 1-D, at most `block` elements, already converted
    to the compute dtype.

    Args:
        inputs: arrays of one shape (the first one sets the shape).
        dtype: dtype of the result; default result_dtype(inputs[0].dtype).
        compute: dtype the kernel works in; default the result dtype. float64 where
            float32 lacks the range or precision a formula needs.
        scratch: how many reusable block-sized scratch arrays the kernel gets.
        block: elements of the result dtype per block (at most BLOCK when the kernel
            uses `constant`); fewer in a wider compute dtype. None runs the kernel
            once over the whole array: a one-pass kernel gains nothing from blocks and
            saves their overhead.

    Example:
        >>> elementwise(lambda x, out: np.multiply(x, 2, out=out), np.arange(3.0))
        array([0., 2., 4.])
    """
    dtype = result_dtype(inputs[0].dtype) if dtype is None else np.dtype(dtype)
    compute = dtype if compute is None else np.result_type(dtype, compute)
    out = np.empty(np.shape(inputs[0]), dtype)
    flat_out = out.reshape(-1)
    flat_in = [np.ravel(a) for a in inputs]  # a view when the input is contiguous
    size = flat_out.size
    # in a wider compute dtype, fewer elements per block: the same bytes stay in the cache
    step = max(size, 1) if block is None else block * dtype.itemsize // compute.itemsize
    # in a float64 compute dtype, the first work block stands in for the output block
    work = [np.empty(min(size, step), compute) for _ in range(scratch + (compute != dtype))]
    if 0 < size <= step and compute == dtype:  # one block (every small tensor): no loop, no slices
        kernel(*[a if a.dtype == dtype else a.astype(dtype) for a in flat_in], flat_out, *work)
        return out
    for start in range(0, size, step):  # an empty input never calls the kernel
        stop = min(start + step, size)
        blocks = [a[start:stop] if a.dtype == compute else a[start:stop].astype(compute)
                  for a in flat_in]
        parts = [w[: stop - start] for w in work]
        if compute == dtype:
            kernel(*blocks, flat_out[start:stop], *parts)
        else:
            kernel(*blocks, *parts)
            flat_out[start:stop] = parts[0]  # round the float64 result to the output dtype once
    return out


@functools.lru_cache(maxsize=None)
def _constant_block(value: float, dtype: np.dtype) -> np.ndarray:
    block = np.full(BLOCK, value, dtype)
    block.flags.writeable = False
    return block


def constant(value: float, like: np.ndarray) -> np.ndarray:
    """An array of `value` shaped like the block `like` (read-only, made once per dtype).

    np.maximum(x, 0) runs about 5x slower than np.maximum(x, zeros): NumPy vectorises
    maximum and minimum between two arrays, not against a scalar.
    """
    return _constant_block(float(value), like.dtype)[: like.size]


def check_same_shape(grad: np.ndarray, saved: np.ndarray) -> None:
    """A backward's grad_output must have the shape of the forward's input."""
    if grad.shape != saved.shape:
        raise ValueError(f"grad_output has shape {grad.shape}, but the forward input had shape {saved.shape}")


def grad_dtype(grad: np.ndarray, saved: np.ndarray) -> np.dtype:
    """dtype of an input gradient: the promotion of grad_output's and the input's float dtypes."""
    return np.result_type(result_dtype(grad.dtype), result_dtype(saved.dtype))

# %% [markdown]
# ### The layer classes
#
# Each function also comes as a class, the way you will use it inside a network
# (`torch.nn.ReLU()`): calling the object runs `forward`, which remembers what
# `backward` needs; `backward(grad_output)` returns the gradient with respect to the
# forward's input (the chain rule: grad_output times the derivative). Activations have
# no weights, so `parameters()` is empty. The shared plumbing lives in one base class.

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
# **Pitfalls.** `x * (x > 0)` gives `nan` at `-inf` (`-inf * 0`); `np.where(x > 0, x, 0)`
# turns `nan` into 0 and hides it. `np.maximum(0, x)` is right: it propagates `nan`,
# handles `inf`, keeps integer inputs integer, and keeps the sign of zero
# (`-0.0` for `x = -0.0`, like PyTorch), but `maximum` against a scalar is one of
# NumPy's slow loops. `x.clip(0, np.inf)` computes the same through NumPy's fast path for
# `clip` with both bounds: on 1e6 float32 numbers 0.07 ns per element (the copy takes
# 0.062) against 0.30 for `np.maximum(x, 0)`, measured on the project's standard machine.

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
    # TODO: return max(0, x) elementwise as a new Tensor.
    # APPROACH:
    #   1. data = as_array(x); integer inputs keep their dtype, the rest use result_dtype.
    #   2. Write a kernel(x, out) that fills `out` with x.clip(0, top, out=out), where
    #      top = np.inf for floats and None (no upper bound) for integers.
    #   3. return Tensor(elementwise(kernel, data, dtype=..., block=None)).
    # HINTS: data.dtype.kind in "iu" means a signed or unsigned integer. clip with both
    #   bounds is NumPy's fast path (np.maximum(x, 0) against a scalar is about 4x slower);
    #   block=None: a kernel of one pass gains nothing from blocks.
    ### BEGIN SOLUTION
    data = as_array(x)
    dtype = data.dtype if data.dtype.kind in "iu" else result_dtype(data.dtype)
    top = np.inf if dtype.kind == "f" else None

    def kernel(x, out):
        x.clip(0, top, out=out)  # keeps -0.0 (relu(-0.0) = -0.0, as PyTorch) and nan

    return Tensor(elementwise(kernel, data, dtype=dtype, block=None))  # one pass: no blocks
    ### END SOLUTION


def relu_backward(grad, x) -> np.ndarray:
    """Gradient of relu: grad where x > 0, else 0 (relu'(0) = 0, as PyTorch).

    Args:
        grad: gradient with respect to relu's output (array or Tensor).
        x: relu's input.

    Returns: the gradient with respect to x, a NumPy array.
    """
    # TODO: return grad * (x > 0), without a boolean temporary the size of x.
    # APPROACH: a kernel(grad, x, out): np.greater(x, 0, out=out) writes 1.0/0.0 into
    #   the float output, then multiply by grad in place.
    # HINTS: elementwise(kernel, grad, x, dtype=grad_dtype(grad, x)).
    ### BEGIN SOLUTION
    grad, x = as_array(grad), as_array(x)
    check_same_shape(grad, x)

    def kernel(grad, x, out):
        np.greater(x, 0, out=out)  # 1.0 where x > 0; at x = 0 the gradient is 0
        out *= grad

    return elementwise(kernel, grad, x, dtype=grad_dtype(grad, x))
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
assert np.signbit(y[1]), "relu(-0.0) is -0.0 (as PyTorch)"
assert relu(Tensor([-3, 4])).data.dtype == np.int64
layer = ReLU()
layer(x)
g = layer.backward(Tensor(np.ones(7, np.float32))).data
assert np.array_equal(g, [0, 0, 0, 1, 1, 0, 0]), g
assert repr(layer) == "ReLU()" and layer.parameters() == []
print("relu ok")

# %%
from tito.feedback import plot_activation, plot_comparison  # noqa: E402

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
# fires on every batch and hides real ones.
#
# Textbooks fix it with two branches: `1/(1 + e^-x)` for x >= 0 and `e^x/(1 + e^x)` for
# x < 0, selected with boolean masks (the version in the module guide). That never
# overflows, but it builds masks, gathers, and scatters: the performance section below
# measures it at many times the copy floor. We keep the one-branch formula, compute it
# in place (negate, exp, add 1, reciprocal), and tell NumPy that this overflow is
# expected with `np.errstate(over="ignore")`. The overflow to `inf` is IEEE arithmetic
# doing the right thing, and the comment says so. It is as accurate as the two-branch
# form: at most 2.7 ULP in float32 and 1.9 ULP in float64 over 20,000 test inputs,
# measured against a 192-bit reference.
#
# What *is* wrong: `0.5 * (1 + tanh(x / 2))`. Mathematically equal, but at x = -20 the
# bracket is 1 + (-1 + 4e-9), which float32 rounds to 0. The check below compares the
# two forms with the exact value.

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
    # TODO: return 1 / (1 + exp(-x)) as a new Tensor, with no NumPy warning for any input.
    # APPROACH:
    #   1. A kernel(x, out) with four in-place passes into out:
    #      np.negative(x, out=out); np.exp(out, out=out); out += 1; np.divide(1, out, out=out)
    #   2. Run it with elementwise(kernel, as_array(x)) inside np.errstate(over="ignore").
    # HINTS: for x < -88.7 (float32) exp(-x) overflows to inf and 1/(1+inf) = 0, the
    #   correct limit; the errstate only silences that expected overflow.
    ### BEGIN SOLUTION
    def kernel(x, out):
        np.negative(x, out=out)
        np.exp(out, out=out)  # inf for x < -88.7 (float32) / -709.8 (float64) ...
        out += 1
        np.divide(1, out, out=out)  # ... and 1 / inf = 0: the true result is below the normal range

    with np.errstate(over="ignore"):  # that overflow to inf is the exact IEEE limit
        return Tensor(elementwise(kernel, as_array(x)))
    ### END SOLUTION


def sigmoid_backward(grad, out) -> np.ndarray:
    """Gradient of sigmoid from its output s: grad * s * (1 - s).

    Args:
        grad: gradient with respect to sigmoid's output.
        out: sigmoid's output s (saved by forward).

    Returns: the gradient with respect to the input, a NumPy array.
    """
    # TODO: return grad * s * (1 - s) using the saved output s.
    # APPROACH: kernel(grad, s, out): np.subtract(1, s, out=out); out *= s; out *= grad.
    ### BEGIN SOLUTION
    grad, out = as_array(grad), as_array(out)
    check_same_shape(grad, out)

    def kernel(grad, s, res):
        np.subtract(1, s, out=res)
        res *= s
        res *= grad

    return elementwise(kernel, grad, out, dtype=grad_dtype(grad, out))
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
# Do not code the definition: `(e^x - e^-x)/(e^x + e^-x)` is `inf/inf = nan` once
# abs(x) > 88.7 in float32, and loses every digit near 0. `np.tanh` is accurate (about
# 1.3 ULP) and fast: on 1e6 float32 numbers it costs about 2 copies, a tenth of
# PyTorch's time on one thread (measured on the project's standard machine).

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
    # TODO: return tanh(x) as a new Tensor.
    # APPROACH: a kernel(x, out) calling np.tanh(x, out=out); run it with
    #   elementwise(kernel, as_array(x), block=None).
    # HINTS: block=None: a kernel of one pass gains nothing from blocks.
    ### BEGIN SOLUTION
    def kernel(x, out):
        np.tanh(x, out=out)

    return Tensor(elementwise(kernel, as_array(x), block=None))  # one pass: no blocks
    ### END SOLUTION


def tanh_backward(grad, out) -> np.ndarray:
    """Gradient of tanh from its output t: grad * (1 - t*t).

    Args:
        grad: gradient with respect to tanh's output.
        out: tanh's output t (saved by forward).

    Returns: the gradient with respect to the input, a NumPy array.
    """
    # TODO: return grad * (1 - t**2) using the saved output t.
    # APPROACH: kernel(grad, t, res): np.multiply(t, t, out=res); np.subtract(1, res, out=res);
    #   res *= grad.
    ### BEGIN SOLUTION
    grad, out = as_array(grad), as_array(out)
    check_same_shape(grad, out)

    def kernel(grad, t, res):
        np.multiply(t, t, out=res)
        np.subtract(1, res, out=res)
        res *= grad

    return elementwise(kernel, grad, out, dtype=grad_dtype(grad, out))
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
assert np.signbit(y[3]) and not np.signbit(y[4]), "tanh is odd: tanh(-0.0) = -0.0"
layer = Tanh()
layer(Tensor([0.0]))
assert layer.backward(Tensor([1.0])).data[0] == 1.0
print("tanh ok")

# %%
plot_activation("tanh", Tanh())

# %% [markdown]
# ## LeakyReLU
#
# $$\mathrm{leaky\_relu}(x) = \begin{cases} x & x > 0 \\ a\,x & x \le 0 \end{cases} \qquad a = \texttt{negative\_slope} = 0.01$$
#
# | property | value |
# |---|---|
# | range | (-inf, inf) for a > 0 |
# | zero point | 0 |
# | monotonic | strictly increasing for a > 0 |
# | derivative | 1 for x > 0, a for x <= 0 (a at the kink, as PyTorch) |
#
# A small slope for negative inputs keeps a gradient flowing through units that a ReLU
# would switch off. For 0 <= a <= 1 the two branches meet in one call,
# `max(x, a x)`: for x > 0 the first is larger, for x < 0 the second. For a > 1 the
# larger one is the wrong one, so it becomes `min(x, a x)`. No mask needed.

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
    # TODO: return x where x > 0, negative_slope * x elsewhere.
    # APPROACH:
    #   1. dtype: integers stay integer if float(negative_slope).is_integer(), else result_dtype.
    #   2. kernel(x, out): np.multiply(x, a, out=out), then np.maximum(x, out, out=out)
    #      (np.minimum when a > 1).
    # HINTS: with the slope as a Python number, NumPy multiplies in the array's dtype.
    ### BEGIN SOLUTION
    data = as_array(x)
    a = float(negative_slope)
    keep_int = data.dtype.kind in "iu" and a.is_integer()
    dtype = data.dtype if keep_int else result_dtype(data.dtype)
    if keep_int:
        a = int(a)
    pick = np.maximum if a <= 1 else np.minimum  # the branch that is x for x > 0

    def kernel(x, out):
        np.multiply(x, a, out=out)
        pick(x, out, out=out)

    with np.errstate(over="ignore"):  # a x beyond the float range is +-inf, its IEEE value
        return Tensor(elementwise(kernel, data, dtype=dtype))
    ### END SOLUTION


def leaky_relu_backward(grad, x, negative_slope: float = 0.01) -> np.ndarray:
    """Gradient of leaky_relu: grad where x > 0, negative_slope * grad where x <= 0.

    Args:
        grad: gradient with respect to the output.
        x: leaky_relu's input.
        negative_slope: the forward's slope.

    Returns: the gradient with respect to x, a NumPy array.
    """
    # TODO: return grad * (1 if x > 0 else a), exactly 1 and exactly a.
    # APPROACH: kernel(grad, x, res, above): np.greater(x, 0, out=above) (1.0 or 0.0);
    #   res = (1 - above) * a + above; res *= grad.
    ### BEGIN SOLUTION
    grad, x = as_array(grad), as_array(x)
    check_same_shape(grad, x)
    a = float(negative_slope)

    def kernel(grad, x, res, above):
        np.greater(x, 0, out=above)  # 1.0 where x > 0; the kink x = 0 takes the slope
        np.subtract(1, above, out=res)
        res *= a
        res += above  # exactly 1 or exactly a
        res *= grad

    return elementwise(kernel, grad, x, dtype=grad_dtype(grad, x), scratch=1)
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
# $$\mathrm{elu}(x) = \begin{cases} x & x > 0 \\ \alpha\,(e^x - 1) & x \le 0 \end{cases}, \qquad \mathrm{elu}'(x) = \begin{cases} 1 & x > 0 \\ \alpha\,e^x & x \le 0 \end{cases}$$
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
# **Pitfall.** `exp(x) - 1` for small x subtracts two nearly equal numbers: at
# x = 1e-8 in float32, `exp(x)` rounds to 1 and the result is 0 instead of 1e-8.
# `np.expm1(x)` computes e^x - 1 directly and keeps every digit. Without masks:
# `elu(x) = max(0, x) + alpha * expm1(min(0, x))`: one of the two terms is always zero.

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
    # TODO: return max(0, x) + alpha * expm1(min(0, x)) as a new Tensor.
    # APPROACH: kernel(x, out, positive) with one scratch block, zero = constant(0, x):
    #   np.minimum(zero, x, out=out); np.expm1(out, out=out); out *= alpha;
    #   np.maximum(zero, x, out=positive); out += positive.
    # HINTS: zero first in minimum/maximum keeps elu(-0.0) = -0.0. With the default
    #   alpha = 1 the multiplication changes nothing: skip that pass.
    ### BEGIN SOLUTION
    def kernel(x, out, positive):
        zero = constant(0, x)
        np.minimum(zero, x, out=out)
        np.expm1(out, out=out)  # expm1, not exp(x) - 1: no cancellation near 0
        if alpha != 1:  # a pass over the block saved for the default
            out *= alpha
        np.maximum(zero, x, out=positive)
        out += positive

    return Tensor(elementwise(kernel, as_array(x), scratch=1))
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
    # TODO: return grad * (1 if x > 0 else alpha * exp(x)).
    # APPROACH: kernel(grad, x, res, mask): res = alpha * exp(min(x, 0));
    #   np.less_equal(x, 0, out=mask); res *= mask; np.greater(x, 0, out=mask); res += mask;
    #   res *= grad.
    ### BEGIN SOLUTION
    grad, x = as_array(grad), as_array(x)
    check_same_shape(grad, x)

    def kernel(grad, x, res, mask):
        np.minimum(x, constant(0, x), out=res)
        np.exp(res, out=res)
        res *= alpha  # alpha * e^x for x <= 0
        np.less_equal(x, 0, out=mask)
        res *= mask
        np.greater(x, 0, out=mask)
        res += mask  # 1 for x > 0
        res *= grad

    return elementwise(kernel, grad, x, dtype=grad_dtype(grad, x), scratch=1)
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
assert np.signbit(elu(Tensor([-0.0])).data[0])
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
# $$\mathrm{silu}(x) = x\,\sigma(x) = \frac{x}{1 + e^{-x}}, \qquad \mathrm{silu}'(x) = \sigma(x)\,\bigl(1 + x\,(1 - \sigma(x))\bigr)$$
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
# **Two traps.** At x = -inf, `x / (1 + exp(-x))` is `-inf / inf = nan`; clamping x
# below at -1e4 gives `-1e4 / inf = -0`, the right limit. Subtler: for x between -91.9
# and -88.7, `exp(-x)` overflows float32 although x e^x (down to -1.2e-38) is still a
# normal float32, so the formula returns 0 where a number is due. Float64 has the same
# gap between -715.0 and -709.8. In that far tail 1 + e^-x equals e^-x to 35 digits
# or more, so silu(x) = x e^x = (x e^(x+700)) e^-700, computed in float64: every
# intermediate is a normal number, and x + 700 is exact for float32 inputs and for
# float64 inputs below -700 (the tail starts there for float64, at -80 for float32).
# Such inputs are rare, so the kernel checks each block's minimum and only then
# patches the few elements (a mask on those blocks only).
#
# The tanh GELU in the next section is the same quotient, x / (1 + e^-v) with
# v = 2u instead of x, so the formula and its tail patch live in one helper,
# `times_sigmoid(x, v, out)`, and `silu` is `times_sigmoid(x, x, out)`.

# %%
#| export
EXP_MINUS_700 = math.exp(-700.0)  # normal in float64 (the smallest normal is about e^-708)


def times_sigmoid(x: np.ndarray, v: np.ndarray, out: np.ndarray) -> None:
    """out = x * sigmoid(v) = x / (1 + exp(-v)) for blocks of one dtype; out may be v.

    The form of silu (v = x) and of the tanh GELU (v = 2u). Where exp(-v) overflows
    (v < -88.7 in float32, -709.8 in float64) but x e^v is still a normal number, those
    few elements are recomputed in float64 as (x e^(v + 700)) e^-700. Call it under
    np.errstate(over="ignore").
    """
    # TODO: fill out with x / (1 + exp(-v)), then patch the far tail.
    # APPROACH:
    #   1. start = -700.0 for float64 blocks, -80.0 for float32 (just above the overflow).
    #   2. If not v.min() >= start (a nan also lands here): tail = np.flatnonzero(v < start)
    #      and its values x[tail] * np.exp(z + 700.0) * EXP_MINUS_700 with
    #      z = v[tail].astype(np.float64). Compute them first: out may be v.
    #   3. np.negative(v, out=out); np.exp(out, out=out); out += 1; np.divide(x, out, out=out).
    #   4. out[tail] = the tail values.
    # HINTS: in the tail exp(-v) is inf and x / inf = -0: step 4 replaces those zeros.
    ### BEGIN SOLUTION
    start = -700.0 if out.dtype == np.float64 else -80.0  # just above where exp(-v) overflows
    tail = None
    if not v.min() >= start:  # rare: a block with some v in the tail (or a nan)
        tail = np.flatnonzero(v < start)  # there 1 + e^-v equals e^-v to 35 digits or more
        z = v[tail].astype(np.float64)
        tail_value = x[tail] * np.exp(z + 700.0) * EXP_MINUS_700  # x e^v; z + 700 is exact here
    np.negative(v, out=out)
    np.exp(out, out=out)  # inf in the tail: x / inf = -0, replaced below
    out += 1
    np.divide(x, out, out=out)
    if tail is not None:
        out[tail] = tail_value
    ### END SOLUTION


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
    # TODO: return x / (1 + exp(-x)) with the limit -0 at -inf and no warnings.
    # APPROACH: kernel(x, out, t): np.maximum(x, constant(-1e4, x), out=t);
    #   times_sigmoid(t, t, out). Run with elementwise(kernel, as_array(x), scratch=1)
    #   under np.errstate(over="ignore").
    # HINTS: the clamp turns -inf / inf = nan into -1e4 / inf = -0, the right limit.
    ### BEGIN SOLUTION
    def kernel(x, out, t):
        np.maximum(x, constant(-1e4, x), out=t)  # -inf / inf would be nan; silu(-1e4) is -0 already
        times_sigmoid(t, t, out)

    with np.errstate(over="ignore"):
        return Tensor(elementwise(kernel, as_array(x), scratch=1))
    ### END SOLUTION


def silu_backward(grad, x) -> np.ndarray:
    """Gradient of silu from its input: grad * s * (1 + x * (1 - s)), s = sigmoid(x).

    Args:
        grad: gradient with respect to silu's output.
        x: silu's input.

    Returns: the gradient with respect to x, a NumPy array.
    """
    # TODO: return grad * s * (1 + x * (1 - s)) with s = sigmoid(x), finite at +-inf.
    # APPROACH: kernel(grad, x, res, t): t = clip(x, -1e4, 1e4); res = sigmoid(t) in place;
    #   then the bracket in a second buffer, multiply, multiply by grad.
    ### BEGIN SOLUTION
    grad, x = as_array(grad), as_array(x)
    check_same_shape(grad, x)

    def kernel(grad, x, res, t, bracket):
        np.clip(x, -1e4, 1e4, out=t)  # beyond, the derivative is exactly 0 or 1: no inf * 0
        np.negative(t, out=res)
        np.exp(res, out=res)
        res += 1
        np.divide(1, res, out=res)  # s = sigmoid(x)
        np.subtract(1, res, out=bracket)
        bracket *= t
        bracket += 1
        res *= bracket
        res *= grad

    with np.errstate(over="ignore"):
        return elementwise(kernel, grad, x, dtype=grad_dtype(grad, x), scratch=2)
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
y = silu(Tensor([-np.inf, -90.0, -1.0, 0.0, 1.0, np.inf])).data
assert y[0] == 0 and np.signbit(y[0]) and y[-1] == np.inf and y[3] == 0, y
assert abs(y[2] + 0.2689414213699951) < 1e-7 and abs(y[4] - 0.7310585786300049) < 1e-7
assert y[1] != 0 and abs(y[1] / (-90.0 * math.exp(-90.0)) - 1) < 1e-6, "silu(-90) is a normal float32"
layer = SiLU()
layer(Tensor([0.0]))
assert layer.backward(Tensor([1.0])).data[0] == 0.5
print("silu ok")

# %%
plot_activation("silu", SiLU())

# %% [markdown]
# ## GELU
#
# $$\mathrm{gelu}(x) = x\,\Phi(x), \qquad \Phi(x) = \tfrac12\bigl(1 + \mathrm{erf}(x/\sqrt2)\bigr)$$
#
# with Phi the standard normal distribution function, and the tanh approximation
# (`approximate='tanh'`, used by GPT-2 and BERT):
#
# $$\mathrm{gelu}(x) \approx \tfrac12 x \bigl(1 + \tanh u\bigr) = \frac{x}{1 + e^{-2u}}, \qquad u = \sqrt{2/\pi}\,(x + 0.044715\,x^3)$$
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
# of transformers.
#
# **Pitfalls.** `0.5 * x * (1 + erf(x / sqrt(2)))` cancels for negative x: below about
# -6 the bracket is 1 + (-1 + tiny) and float32 returns 0. Two identities avoid every
# cancellation. First, gelu(x) = max(x, 0) - |x| Phi(-|x|): Phi is only ever needed at
# negative arguments, where it is small. Second, Phi(-a) = erfc(a/sqrt2)/2 =
# erfcx(a/sqrt2) e^(-a^2/2) / 2, where `scipy.special.erfcx` (the scaled erfc) varies
# slowly, so the rounding of a/sqrt2 does not matter. (`x * scipy.special.ndtr(x)` is
# simpler and exact enough in float32, but in float64 it loses up to 135 ULP near
# x = -9.5, as the tests measure.)
#
# For the tanh form, write `x / (1 + exp(-2u))` (the same value) instead of
# `0.5 x (1 + tanh u)`, which cancels the same way: that is x sigmoid(2u), SiLU's
# `times_sigmoid(x, 2u, out)`, tail patch included. The sigmoid shortcut
# `x * sigmoid(1.702 x)` is a third, coarser approximation: it is off by up to 0.02,
# neither of the two GELUs.
#
# Two details: x^3 overflows float32 for abs(x) > 7e12, and `inf * 0` is `nan`.
# Clamping abs(x) to 1e4 where it enters Phi or u fixes both: beyond 1e4 GELU is exactly
# x or 0 in any float format. The tanh form computes float32 inputs in float64
# (`compute=np.float64`), which keeps it within 0.5 ULP.
#
# **A faster exact GELU in float32.** scipy's `erfcx` and `ndtr` work one element at a
# time: the erfcx route measured 21 ns per element on 1e6 float32 numbers on the
# project's standard machine, over 200 times the copy. NumPy has no `erf`. So for float32
# results the module computes Phi(-a) the way a maths library computes erfc: a
# rational variable u = c / (a + c), which maps [0, inf) into (0, 1], times a Gaussian
# factor,
#
# $$\Phi(-a) = u\,e^{-a^2/2 + P(u)},$$
#
# where P is a polynomial of degree 8 fitted to log Phi(-a) + a^2/2 - log u over
# 0 <= a <= 15 to a relative error of 5.6e-8. `python benchmarks/fit_gelu.py` computes
# c and P from mpmath values and prints the constants below. Two more details keep it
# within the contract. -a^2/2 needs more bits than a float32 holds (with the exponent
# rounded to float32 the GELU is off by up to 35 ULP); with h = a rounded to sixteenths,
# h^2/2 is exact and the small rest (a - h)(a + h)/2 is accurate, so the code multiplies
# two exponentials. Beyond a = 15, a Phi(-a) is below float32's smallest subnormal, so
# a is clamped there. Measured on 2.2 million points: at most 8.9 ULP for abs(x) <= 10
# (the contract allows 16; the erfcx route gives 0.5), and about 3 ns per element
# instead of 21, 7 times faster. The backward takes Phi from the same function.
# Float64 keeps `erfcx`: its contract asks for about 1e-14, which a polynomial of
# affordable degree does not reach.

# %%
#| export
SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)
GELU_CUBIC = 0.044715
INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)
INV_SQRT_2 = 1.0 / math.sqrt(2.0)

# Phi(-a) = u exp(-a^2/2 + P(u)), u = c / (a + c), for 0 <= a <= 15 (float32 only).
# c and P come from `python benchmarks/fit_gelu.py` (a near-minimax fit against mpmath):
# relative error 5.6e-8. P is stored times log2(e), highest degree first, for exp2.
GELU_C = 3.625
GELU_POLY = (-0.32908676680785415, 1.5357290425999703, -2.6536481129113154, 2.0465860823301045,
             -1.003746231054439, 0.589393370355187, 0.5496020670246401, 1.4491881840154104,
             -3.1840177155044382)
HALF_LOG2_E = 0.5 / math.log(2.0)
ROUND_TO_SIXTEENTHS = 2.0 ** 19  # in float32, a + 2^19 - 2^19 rounds a (< 16) to a multiple of 1/16


def normal_tail_float32(a, out, u, h, s, d) -> None:
    """out = Phi(-a) = P(Z > a), Z standard normal, for float32 blocks with 0 <= a <= 15.

    Phi(-a) = u exp(-a^2/2 + P(u)) with u = c / (a + c) and P the fitted polynomial
    (GELU_C, GELU_POLY). -a^2/2 needs more bits than a float32 holds: with h = a rounded
    to sixteenths, h^2/2 is exact and -a^2/2 = -h^2/2 - (a - h)(a + h)/2, so the
    Gaussian factor takes two exponentials. `a` is not changed; u, h, s, d are scratch.
    """
    np.add(a, GELU_C, out=u)
    np.divide(GELU_C, u, out=u)  # u = c / (a + c) in (0, 1]: the coefficients stay near 1
    np.multiply(u, GELU_POLY[0], out=out)
    for coefficient in GELU_POLY[1:-1]:  # Horner's rule: P(u) log2(e)
        out += coefficient
        out *= u
    out += GELU_POLY[-1]
    np.add(a, ROUND_TO_SIXTEENTHS, out=h)
    h -= ROUND_TO_SIXTEENTHS  # h = a rounded to a multiple of 1/16
    np.add(a, h, out=s)
    np.subtract(a, h, out=d)  # exact
    d *= s
    d *= HALF_LOG2_E  # (a - h)(a + h) / 2, times log2(e): small and accurate
    out -= d
    np.exp2(out, out=out)  # a small exponent, and exp2 costs less than exp
    np.multiply(h, h, out=h)
    h *= -0.5  # -h^2/2, exact
    np.exp(h, out=h)
    out *= h
    out *= u


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
        Tensor([-0.15865527,  0.8413447 ], dtype=float32)
    """
    # TODO: return the exact GELU, or the tanh form when approximate == 'tanh'.
    # APPROACH:
    #   exact, float32 results: gelu(x) = max(x, 0) - a * Phi(-a) with a = min(abs(x), 15)
    #     and Phi(-a) from normal_tail_float32 (given above). kernel
    #     exact_float32(x, out, a, u, h, s, d): np.abs(x, out=a); np.minimum(a, constant(15, a), out=a);
    #     normal_tail_float32(a, out, u, h, s, d); out *= a; np.maximum(constant(0, x), x, out=s);
    #     np.subtract(s, out, out=out). Run it with elementwise(exact_float32, data, scratch=5).
    #   exact, float64: the same with a clamped at 1e4 and
    #     Phi(-a) = 0.5 * erfcx(a / sqrt(2)) * exp(-a*a / 2). exact(x, out, a, gauss):
    #     np.abs(x, out=a); np.minimum(a, constant(1e4, a), out=a); out = erfcx(a / sqrt2) (in place);
    #     out *= exp(-a*a/2) (built in gauss); out *= 0.5 * a;
    #     then out = max(0, x) - out (np.maximum(constant(0, x), x, ...)).
    #     Run it with elementwise(exact, data, compute=np.float64, scratch=2).
    #   tanh: tanh_form(x, out, t): t = clip(x, -1e4, 1e4); out = 2u = 2*sqrt(2/pi)*(t + 0.044715 t^3)
    #     (in place); then t = max(x, -1e4) and times_sigmoid(t, out, out).
    #     Run it with elementwise(tanh_form, data, compute=np.float64, scratch=1).
    #   All inside np.errstate(over="ignore").
    # HINTS: scipy.special.erfcx is imported as erfcx; the float64 route is right for
    #   float32 too, only about 7x slower. Clamp +x at 1e4 only inside u: gelu(1e30) must
    #   stay 1e30. x * scipy.special.ndtr(x) is simpler and fine in float32, but loses up
    #   to 135 ULP in float64 near x = -9.5 (the bound is 128).
    ### BEGIN SOLUTION
    _check_approximate(approximate)
    data = as_array(x)

    def exact_float32(x, out, a, u, h, s, d):
        np.abs(x, out=a)
        np.minimum(a, constant(15, a), out=a)  # beyond 15, a Phi(-a) underflows float32; nan stays nan
        normal_tail_float32(a, out, u, h, s, d)
        out *= a
        np.maximum(constant(0, x), x, out=s)  # zeros first: gelu(-0.0) = -0.0
        np.subtract(s, out, out=out)  # x Phi(x) = max(x, 0) - |x| Phi(-|x|)

    def exact(x, out, a, gauss):  # float64: scipy's erfcx has the digits a polynomial would not
        np.abs(x, out=a)
        np.minimum(a, constant(1e4, a), out=a)  # beyond, Phi(-a) is 0 in any format; inf * 0 would be nan
        np.multiply(a, INV_SQRT_2, out=out)
        erfcx(out, out=out)  # erfcx(z) = e^(z^2) erfc(z): smooth, so rounding z costs nothing
        np.multiply(a, a, out=gauss)
        gauss *= -0.5
        np.exp(gauss, out=gauss)
        out *= gauss  # Phi(-a) = erfc(a / sqrt2) / 2 without the cancelling 1 + erf
        out *= 0.5
        out *= a
        np.maximum(constant(0, x), x, out=gauss)
        np.subtract(gauss, out, out=out)  # x Phi(x) = max(x, 0) - |x| Phi(-|x|)

    def tanh_form(x, out, t):
        np.clip(x, -1e4, 1e4, out=t)  # x^3 stays finite; beyond 1e4 gelu is x or -0
        np.multiply(t, t, out=out)
        out *= GELU_CUBIC
        out += 1
        out *= t
        out *= 2 * SQRT_2_OVER_PI  # 2u
        np.maximum(x, constant(-1e4, x), out=t)  # the numerator keeps large x, not -inf (-inf / inf = nan)
        times_sigmoid(t, out, out)  # x / (1 + e^-2u): the same as 0.5 x (1 + tanh u), no cancellation

    with np.errstate(over="ignore"):
        if approximate == "tanh":  # float64 for float32 inputs too: 0.5 ULP
            return Tensor(elementwise(tanh_form, data, compute=np.float64, scratch=1))
        if result_dtype(data.dtype) == np.float32:
            return Tensor(elementwise(exact_float32, data, scratch=5))
        return Tensor(elementwise(exact, data, compute=np.float64, scratch=2))
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
    # TODO: return grad * gelu'(x) for the exact or the tanh form (formulas above).
    # APPROACH: clamp t = clip(x, -1e4, 1e4) so inf * 0 cannot appear; build the
    #   derivative in res with two scratch blocks; multiply by grad. For float32 results
    #   of the exact form, take Phi from the forward's normal_tail_float32 (a = min(abs(x), 15)):
    #   Phi(x) = Phi(-a) for x < 0 and 1 - Phi(-a) otherwise; x clipped to [-15, 15] in x phi(x).
    ### BEGIN SOLUTION
    _check_approximate(approximate)
    grad, x = as_array(grad), as_array(x)
    check_same_shape(grad, x)
    dtype = grad_dtype(grad, x)

    def exact_float32(grad, x, res, a, u, h, s, d):
        np.abs(x, out=a)
        np.minimum(a, constant(15, a), out=a)
        normal_tail_float32(a, res, u, h, s, d)  # Phi(-a), the forward's formula
        np.greater_equal(x, 0, out=s)  # 1.0 where x >= 0
        np.multiply(s, -2, out=d)
        d += 1  # -1 where x >= 0, +1 elsewhere
        res *= d
        res += s  # Phi(x): Phi(-a) for x < 0, 1 - Phi(-a) for x >= 0
        np.multiply(a, a, out=d)
        d *= -0.5
        np.exp(d, out=d)  # a^2/2 rounded to float32: relative error 2e-6 at a = 10, enough for a gradient
        d *= INV_SQRT_2PI  # phi(x)
        np.clip(x, -15, 15, out=s)  # beyond, phi is 0 in float32: no inf * 0
        d *= s
        res += d
        res *= grad

    def exact(grad, x, res, t, phi):  # float64: scipy's ndtr
        np.clip(x, -1e4, 1e4, out=t)  # the derivative is 0 or 1 beyond: no inf * 0
        np.multiply(t, t, out=phi)
        phi *= -0.5
        np.exp(phi, out=phi)
        phi *= INV_SQRT_2PI
        phi *= t  # x phi(x)
        ndtr(t, out=res)
        res += phi
        res *= grad

    def tanh_form(grad, x, res, t, d):
        np.clip(x, -1e4, 1e4, out=t)
        np.multiply(t, t, out=d)
        d *= GELU_CUBIC
        d += 1
        d *= t
        d *= -2 * SQRT_2_OVER_PI  # -2u
        np.exp(d, out=d)
        d += 1
        np.divide(1, d, out=res)  # s = sigmoid(2u)
        np.subtract(1, res, out=d)
        d *= res
        d *= t  # x s (1 - s)
        np.multiply(t, t, out=t)
        t *= 3 * GELU_CUBIC
        t += 1
        t *= 2 * SQRT_2_OVER_PI  # 2 u'(x)
        d *= t
        res += d
        res *= grad

    with np.errstate(over="ignore"):
        if approximate == "tanh":
            return elementwise(tanh_form, grad, x, dtype=dtype, scratch=2)
        if dtype == np.float32:
            return elementwise(exact_float32, grad, x, dtype=dtype, scratch=5)
        return elementwise(exact, grad, x, dtype=dtype, scratch=2)
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
assert y[1] < 0 and abs(y[1] - (-7.619853e-23)) < 1e-28, "keep the tail: use ndtr, not 1 + erf"
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
# | range | (0, inf) |
# | zero point | softplus(0) = log(2) / beta |
# | monotonic | strictly increasing |
# | limits | 0 at -inf, x at +inf; always above relu(x) |
# | derivative | the sigmoid: softplus is sigmoid's antiderivative |
#
# A smooth ReLU whose output is always positive: used where a network predicts a scale
# or a variance.
#
# **Stable form.** `log(1 + exp(x))` overflows for x > 88.7 (float32) and rounds
# `1 + tiny` to 1 for very negative x. Since log(1 + e^x) = x + log(1 + e^-x):
#
# $$\mathrm{softplus}(x) = \max(x, 0) + \mathrm{log1p}\bigl(e^{-|x|}\bigr)$$
#
# The exponential never overflows and `log1p` keeps the small values. With beta, the
# same identity reads max(x, 0) + log1p(e^(-|beta x|)) / beta.
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
        beta: sharpness; larger beta is closer to relu. Default: 1.0.
        threshold: accepted for PyTorch compatibility and not used: the stable form
            below is already exact (to rounding) where PyTorch switches to x.
            Default: 20.0.

    Shape: input (*), output (*): the same shape.

    Example:
        >>> softplus(Tensor([0.0, 30.0]))
        Tensor([ 0.6931472, 30.       ], dtype=float32)
    """
    # TODO: return max(x, 0) + log1p(exp(-abs(beta * x))) / beta as a new Tensor.
    # APPROACH: kernel(x, out, positive): out = -abs(beta * x); exp; log1p; out /= beta
    #   (all in place); np.maximum(x, constant(0, x), out=positive); out += positive.
    #   Run it under np.errstate(over="ignore").
    # HINTS: max(beta x, 0) / beta is max(x, 0): add that directly, it is exact. With the
    #   default beta = 1, skip the multiplication and the division (two passes).
    ### BEGIN SOLUTION
    def kernel(x, out, positive):
        if beta == 1:  # the default: two passes saved
            np.abs(x, out=out)
        else:
            np.multiply(x, beta, out=out)  # may overflow to inf: e^-inf = 0 is then the right term
            np.abs(out, out=out)
        np.negative(out, out=out)
        np.exp(out, out=out)  # e^-|bx| <= 1: never overflows
        np.log1p(out, out=out)
        if beta != 1:
            out /= beta
        np.maximum(x, constant(0, x), out=positive)
        out += positive

    with np.errstate(over="ignore"):
        return Tensor(elementwise(kernel, as_array(x), scratch=1))
    ### END SOLUTION


def softplus_backward(grad, x, beta: float = 1.0) -> np.ndarray:
    """Gradient of softplus from its input: grad * sigmoid(beta * x).

    Args:
        grad: gradient with respect to softplus's output.
        x: softplus's input.
        beta: the forward's beta.

    Returns: the gradient with respect to x, a NumPy array.
    """
    # TODO: return grad * sigmoid(beta * x) (the sigmoid kernel again, then times grad).
    ### BEGIN SOLUTION
    grad, x = as_array(grad), as_array(x)
    check_same_shape(grad, x)

    def kernel(grad, x, res):
        np.multiply(x, -beta, out=res)
        np.exp(res, out=res)  # inf -> sigmoid 0, the right limit
        res += 1
        np.divide(1, res, out=res)
        res *= grad

    with np.errstate(over="ignore"):
        return elementwise(kernel, grad, x, dtype=grad_dtype(grad, x))
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
assert repr(Softplus()) == "Softplus(beta=1.0, threshold=20.0)"
print("softplus ok")

# %%
plot_activation("softplus", Softplus())

# %% [markdown]
# ## Softmax and LogSoftmax
#
# $$\mathrm{softmax}(x)_i = \frac{e^{x_i}}{\sum_j e^{x_j}}, \qquad \mathrm{log\_softmax}(x)_i = x_i - \log\sum_j e^{x_j}$$
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
# **Stability.** `exp(1000)` is inf, and `inf / inf` is nan. Shift invariance is the
# way out: subtract the row maximum m first. Then every exponent is <= 0, the largest
# term is exactly e^0 = 1, and the sum lies between 1 and the row length.
#
# **LogSoftmax.** `log(softmax(x))` fails when a probability underflows: in float32,
# softmax([0, -200]) is [1, 0] and log(0) = -inf, where the true answer is -200.
# Compute it in the log domain: x_i - m - log(sum_j e^(x_j - m)). One more refinement
# makes it accurate near 0 too: the sum is 1 + (the other terms), so
# log(sum) = log1p(sum of the terms other than the maximum's).
#
# **Backward.** With y = softmax(x) and upstream gradient g, the chain rule over the
# full Jacobian gives grad_x = y * (g - sum(g * y)), the sum along the axis. Dropping
# the sum (the off-diagonal terms) is a classic bug. For log_softmax:
# grad_x = g - exp(y) * sum(g).
#
# A row that contains nan or +inf, or only -inf, has no meaningful softmax; like
# PyTorch, the result is nan for that row (without a warning). A -inf logit alone just
# gets probability 0.
#
# The helper `rowwise` moves `dim` to the last axis and hands the kernel blocks of whole
# rows, so each row's passes stay in cache as in `elementwise`.

# %%
#| export
def _normalize_dim(dim: int, ndim: int) -> int:
    if not -max(ndim, 1) <= dim < max(ndim, 1):
        raise IndexError(f"dim {dim} is out of range for a tensor with {ndim} dimension(s)")
    return dim % max(ndim, 1)


def rowwise(kernel, *inputs, dim: int = -1, dtype=None, scratch=0) -> np.ndarray:
    """Run `kernel` over blocks of whole rows along `dim`; return the new output array.

    kernel(*input_rows, out_rows, *scratch_rows) gets 2-D blocks (rows, row_length)
    with the reduced axis last, and fills out_rows in place.

    Args:
        inputs: arrays of one shape.
        dim: the axis the function works along (negative counts from the end).
        dtype: dtype of the result; default result_dtype(inputs[0].dtype).
        scratch: how many scratch blocks of the same shape the kernel gets.
    """
    first = inputs[0]
    dtype = result_dtype(first.dtype) if dtype is None else np.dtype(dtype)
    if first.ndim == 0:  # a single number is a row of length 1
        flat = rowwise(kernel, *(a.reshape(1) for a in inputs), dim=0, dtype=dtype, scratch=scratch)
        return flat.reshape(())
    axis = _normalize_dim(dim, first.ndim)
    if first.size == 0:
        return np.empty(first.shape, dtype)
    last = first.ndim - 1
    # Bring the row axis last (np.moveaxis costs microseconds: skip it when it is already)
    moved = inputs if axis == last else [np.moveaxis(a, axis, -1) for a in inputs]
    length = moved[0].shape[-1]
    rows = [np.ascontiguousarray(m).reshape(-1, length) for m in moved]
    out = np.empty(rows[0].shape, dtype)
    step = max(1, BLOCK // length)
    work = [np.empty((min(step, len(out)), length), dtype) for _ in range(scratch)]
    for start in range(0, len(out), step):
        stop = min(start + step, len(out))
        blocks = [r[start:stop].astype(dtype, copy=False) for r in rows]
        kernel(*blocks, out[start:stop], *(w[: stop - start] for w in work))
    out = out.reshape(moved[0].shape)
    return out if axis == last else np.moveaxis(out, -1, axis)


def softmax(x: Tensor, dim: int = -1) -> Tensor:
    """Softmax along `dim`: positive values that sum to 1.

    softmax(x)_i = exp(x_i) / sum_j exp(x_j)

    Args:
        x: Tensor of any shape.
        dim: the axis whose entries sum to 1. Default: -1 (the last).

    Shape: input (*), output (*): the same shape.

    Example:
        >>> softmax(Tensor([1.0, 2.0, 3.0]))
        Tensor([0.09003057, 0.24472845, 0.66524094], dtype=float32)
    """
    # TODO: softmax along dim, finite for logits of +-1000 and without warnings.
    # APPROACH: kernel(x, out) on rows (x is 2-D, rows along axis 1):
    #   m = x.max(axis=1, keepdims=True); np.subtract(x, m, out=out); np.exp(out, out=out);
    #   total = out.sum(axis=1, keepdims=True); np.divide(1, total, out=total);
    #   out *= total. Run with rowwise(kernel, data, dim=dim).
    # HINTS: rows of only -inf give -inf - (-inf) = nan: silence that with
    #   np.errstate(invalid="ignore", over="ignore") (over: x - m can pass -max).
    #   One division per row and a multiplication per element is cheaper than a
    #   division per element.
    ### BEGIN SOLUTION
    def kernel(x, out):
        m = x.max(axis=1, keepdims=True)
        np.subtract(x, m, out=out)  # every exponent <= 0: no overflow, the max term is 1
        np.exp(out, out=out)
        total = out.sum(axis=1, keepdims=True)
        np.divide(1, total, out=total)  # one division per row ...
        out *= total  # ... then a multiplication, cheaper than a division, per element

    # nan for rows without a value (all -inf, +inf); -max - max overflows to -inf: prob 0
    with np.errstate(invalid="ignore", over="ignore"):
        return Tensor(rowwise(kernel, as_array(x), dim=dim))
    ### END SOLUTION


def softmax_backward(grad, out, dim: int = -1) -> np.ndarray:
    """Gradient of softmax from its output y: y * (grad - sum(grad * y, dim)).

    Args:
        grad: gradient with respect to softmax's output.
        out: softmax's output y (saved by forward).
        dim: the forward's dim.

    Returns: the gradient with respect to the input, a NumPy array.
    """
    # TODO: return y * (grad - (grad * y).sum(axis=dim, keepdims=True)).
    # APPROACH: kernel(grad, y, res) on rows: np.multiply(grad, y, out=res);
    #   s = res.sum(axis=1, keepdims=True); np.subtract(grad, s, out=res); res *= y.
    ### BEGIN SOLUTION
    grad, out = as_array(grad), as_array(out)
    check_same_shape(grad, out)

    def kernel(grad, y, res):
        np.multiply(grad, y, out=res)
        total = res.sum(axis=1, keepdims=True)  # the off-diagonal part of the Jacobian
        np.subtract(grad, total, out=res)
        res *= y

    return rowwise(kernel, grad, out, dim=dim, dtype=grad_dtype(grad, out))
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
    # TODO: x - m - log1p(sum of exp(x_j - m) over the entries other than the max).
    # APPROACH: kernel(x, out, e) on rows:
    #   i = x.argmax(axis=1)[:, None]; m = np.take_along_axis(x, i, axis=1);
    #   np.subtract(x, m, out=out); np.exp(out, out=e); np.put_along_axis(e, i, 0, axis=1);
    #   out -= np.log1p(e.sum(axis=1, keepdims=True)); out += m - m (nan rows stay nan).
    # HINTS: rowwise(kernel, data, dim=dim, scratch=1) inside
    #   np.errstate(invalid="ignore", over="ignore").
    ### BEGIN SOLUTION
    def kernel(x, out, e):
        top = x.argmax(axis=1)[:, None]  # a nan counts as the max: its row becomes nan
        m = np.take_along_axis(x, top, axis=1)
        np.subtract(x, m, out=out)
        np.exp(out, out=e)
        np.put_along_axis(e, top, 0, axis=1)  # leave out the max's term, e^0 = 1 ...
        out -= np.log1p(e.sum(axis=1, keepdims=True))  # ... log(1 + rest) = log1p(rest): exact near 0
        out += m - m  # 0, or nan where the max is +-inf: such a row has no value (as in softmax)

    with np.errstate(invalid="ignore", over="ignore"):
        return Tensor(rowwise(kernel, as_array(x), dim=dim, scratch=1))
    ### END SOLUTION


def log_softmax_backward(grad, out, dim: int = -1) -> np.ndarray:
    """Gradient of log_softmax from its output y: grad - exp(y) * sum(grad, dim).

    Args:
        grad: gradient with respect to log_softmax's output.
        out: log_softmax's output y (saved by forward).
        dim: the forward's dim.

    Returns: the gradient with respect to the input, a NumPy array.
    """
    # TODO: return grad - exp(y) * grad.sum(axis=dim, keepdims=True).
    ### BEGIN SOLUTION
    grad, out = as_array(grad), as_array(out)
    check_same_shape(grad, out)

    def kernel(grad, y, res):
        np.exp(y, out=res)  # softmax
        res *= grad.sum(axis=1, keepdims=True)
        np.subtract(grad, res, out=res)

    return rowwise(kernel, grad, out, dim=dim, dtype=grad_dtype(grad, out))
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
# The same ten functions sit in the PyTorch-shaped namespaces, so code written against
# TinyTorch ports by changing the import:
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
from tito.feedback import plot_gradient_flow, report_card  # noqa: E402

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
# ## Performance: what the formulas cost
#
# The cell measures four sigmoids as multiples of the copy floor measured in the same
# run, on 1e5 float32 numbers (0.4 MB, which fits in the CPU cache) and on 1e7 (40 MB,
# which does not):
#
# - **naive**: `1 / (1 + np.exp(-x))`, a new temporary array for every operation;
# - **masked**: the two-branch form with boolean masks from the module guide;
# - **in place**: the same one-branch formula written into one output array;
# - **final**: this module's `sigmoid` (in place, in blocks, through the Tensor API).
#
# The numbers depend on your machine; `tito bench activations` runs the same kind of
# comparison for every function, forward and backward, and against PyTorch when it
# is installed.

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


def compare_sigmoids(n, repeat=5):
    x = np.random.default_rng(1).normal(0, 5, n).astype(np.float32)
    y = np.empty_like(x)
    tensor_x = Tensor(x)
    candidates = {
        "copy floor (np.copyto)": lambda: np.copyto(y, x),
        "naive": lambda: naive_sigmoid(x),
        "masked (two branches)": lambda: masked_sigmoid(x),
        "in place, one array": lambda: in_place_sigmoid(x),
        "final: sigmoid(Tensor)": lambda: sigmoid(tensor_x),
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
# What sets these costs. In the cache (1e5 elements) the arithmetic dominates: `exp`
# alone costs several copies, and naive and in-place forms run about the same. Out of
# the cache (1e7) every temporary array is another trip through main memory, and fresh
# memory the operating system hands over page by page: the naive form falls well
# behind. The masked form is slowest everywhere: it builds masks, gathers the selected
# elements into new arrays and scatters the results back. Writing in place into one
# output, block by block, pays one read and one write per element plus the arithmetic.
#
# **Where this module stands.** Measured on the project's standard machine (2 cores,
# 32 MiB of L3 cache, other jobs running; the fastest of several interleaved runs):
# on 1e6 float32 numbers, `relu` costs 1.2 copies, `tanh` 2.1, `sigmoid` 8.4,
# `softplus` 10.7, the tanh GELU 27 and the exact GELU 31 (210 with scipy's `erfcx`).
# On 1e7, every function but the two GELUs takes less time than PyTorch on one thread;
# the tanh GELU (computed in float64 for its 0.5 ULP) takes 1.15 times and the exact
# GELU 1.6 times PyTorch's time.
# Why not closer to the copy at 1e6: those arrays fit in the L3 cache, where the copy
# takes 0.06 ns per element and one pass of `np.exp` over a block 0.32 ns, five copies.
# NumPy runs one pass per operation, so a formula with an exponential cannot get within
# five copies; PyTorch computes each function in a single pass.
#
# ## What's next
#
# - **Layers** (module 03) put `Linear` and these activations together into networks:
#   `Sequential(Linear(784, 128), ReLU(), Linear(128, 10))`.
# - **Losses** use `log_softmax` for cross-entropy, which is why it had to be right when
#   probabilities underflow.
# - **Autograd** (module 05) calls the `*_backward` functions you wrote here for every
#   activation in a computation graph, so the derivative exists in one place.
#
# Run `tito test --module activations` for the full tests, `tito check activations` for
# the report card, and `tito sync` to put your activations into the package.
