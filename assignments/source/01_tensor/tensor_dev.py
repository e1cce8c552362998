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
# # Module 01: Tensor
#
# ## Why tensors
#
# Everything a neural network touches is a block of numbers with a shape:
#
# | data | shape |
# |---|---|
# | one temperature reading | `()` (a scalar, 0-d) |
# | an audio clip of 16,000 samples | `(16000,)` |
# | a grey 28x28 image | `(28, 28)` |
# | a batch of 32 colour images | `(32, 3, 224, 224)` |
# | the weights of a layer with 784 inputs and 128 outputs | `(784, 128)` |
#
# Such a block is a **tensor**. A network is a chain of operations on tensors: a layer
# computes `x @ W + b`, an activation applies a function to every element, a loss
# reduces a tensor to one number with `sum` or `mean`. Make the tensor right and every
# later module stands on solid ground.
#
# ## What you build
#
# A `Tensor` class that wraps a NumPy array and behaves like `torch.Tensor`:
#
# ```python
# x = Tensor([[1.0, 2.0], [3.0, 4.0]])   # from nested lists, numbers, arrays, tensors
# x.shape, x.dtype                       # ((2, 2), dtype('float32'))
# y = x * 2 + 1                          # elementwise maths with broadcasting
# z = x @ x.T                            # matrix product
# z.sum(axis=0), z.mean()                # reductions
# x.reshape(4), x[0, 1]                  # shapes and indexing
# ```
#
# NumPy already does the arithmetic. Your job is the part a framework adds: accepting
# only sensible input and saying clearly what is wrong otherwise, picking the right
# **dtype** for every result, and offering one consistent, PyTorch-shaped API. When you
# later switch to PyTorch, code written against your `Tensor` ports by changing the import.
#
# ## How to work through this file
#
# Each step explains an idea, then gives you a function or method to complete. Read the
# `TODO`, `APPROACH` and `HINTS` comments, write your code in place of the
# `raise NotImplementedError(...)`, then run the check cell under it. The checks compare
# your results with NumPy. When all steps pass, run `tito test tensor` for the full test
# suite, then `tito sync --module tensor` to put your `Tensor` into the `tinytorch` package
# (both work on your own edition, made once by `tito start`).

# %%
#| default_exp core.tensor

# %%
#| export
import numpy as np

# %% [markdown]
# ## Step 1: dtypes and the promotion rule
#
# Every tensor has one **dtype**: `bool`, an integer type (`int8` ... `int64`, `uint8`
# ...) or a floating-point type (`float16`, `float32`, `float64`). TinyTorch uses
# NumPy's dtypes (`np.dtype("float32")`) and PyTorch's rules for choosing them.
#
# **Defaults.** A bare Python number carries no size, so it gets PyTorch's default:
#
# | Python value | dtype |
# |---|---|
# | `True` | `bool` |
# | `3` | `int64` |
# | `2.5` | `float32` (NumPy would pick `float64`; deep learning runs on `float32`) |
#
# A NumPy array or NumPy scalar already has a dtype and keeps it.
#
# **Promotion.** When two dtypes meet (`int_tensor + float_tensor`, or a list
# `[1, 2.5]`), the result needs a dtype that can hold both. The kinds form a ladder,
# `bool < integer < floating point`, and the rule has two parts:
#
# 1. different kinds: the higher kind wins, with its own size.
#    `int64` and `float32` give `float32`.
# 2. same kind: the wider type wins. `int8` and `int32` give `int32`;
#    `float32` and `float64` give `float64`. (NumPy's `np.promote_types` does this part.)
#
# NumPy differs in part 1: for `int64` and `float32` it gives `float64`, to keep more
# of the integers' digits. PyTorch keeps `float32` so that integer labels never
# silently turn your model into `float64`. TinyTorch follows PyTorch.

# %%
#| export
# The ladder of kinds, keyed by numpy's one-letter dtype.kind (b=bool, u/i=integer,
# f=floating point). Only these kinds can live in a Tensor.
_KIND_RANK = {"b": 0, "u": 1, "i": 1, "f": 2}
# What a bare number of each kind becomes: PyTorch's defaults.
_DEFAULT_DTYPE = {0: np.dtype(np.bool_), 1: np.dtype(np.int64), 2: np.dtype(np.float32)}
# The rank of each kind of plain Python number.
_PYTHON_RANK = {bool: 0, int: 1, float: 2}


def promote_types(a, b) -> np.dtype:
    """The dtype that holds values of dtypes `a` and `b` (PyTorch's rule).

    Different kinds (bool < integer < floating point): the higher kind wins.
    Same kind: the wider type wins, as np.promote_types decides.

    >>> promote_types("int64", "float32")
    dtype('float32')
    >>> promote_types("int8", "int32")
    dtype('int32')
    """
    a, b = np.dtype(a), np.dtype(b)
    # TODO: return the promoted dtype of a and b.
    # APPROACH:
    #   1. Look up the rank of each kind in _KIND_RANK (a.kind is "b", "i", "u" or "f").
    #   2. Ranks differ: return the dtype with the higher rank, unchanged.
    #   3. Ranks equal: let np.promote_types(a, b) pick the wider one.
    # HINTS: np.dtype("int64").kind == "i"; np.promote_types("int8", "int32") is int32.
    ### BEGIN SOLUTION
    rank_a, rank_b = _KIND_RANK[a.kind], _KIND_RANK[b.kind]
    if rank_a != rank_b:
        return a if rank_a > rank_b else b
    return np.promote_types(a, b)
    ### END SOLUTION


# %% [markdown]
# ### Check step 1
# Same-kind pairs must agree with NumPy; mixed kinds must give the higher kind.

# %%
for pair in [("int8", "int32"), ("uint8", "int8"), ("float32", "float64"), ("bool", "bool"), ("float16", "float32")]:
    assert promote_types(*pair) == np.promote_types(*pair), pair
assert promote_types("int64", "float32") == np.float32
assert promote_types("float16", "int64") == np.float16
assert promote_types("bool", "int8") == np.int8
assert promote_types(np.float64, np.int32) == np.float64
print("Step 1 passed: promote_types")

# %% [markdown]
# ## Step 2: from Python data to a shape and a dtype
#
# `Tensor(data)` accepts a number, a (nested) list or tuple of numbers, a NumPy array or
# another `Tensor`. Before building the array we inspect the data, for two reasons:
#
# - **Clear errors.** `np.array([[1, 2], [3]])` fails with a message about an
#   "inhomogeneous shape", and `np.array("abc")` succeeds with a string array that
#   breaks much later. We want an error that names the problem and where it is:
#   `ragged nested list: data[1] has length 1 but data[0] has length 2`.
# - **The right dtype.** The list `[1, 2.5]` mixes an int and a float; by the rules of
#   step 1 it becomes `float32`.
#
# A nested list is a tree. Its shape is its length followed by the shape of its
# elements, and all elements must have the same shape:
#
# ```
# [[1, 2, 3], [4, 5, 6]]   ->  (2,) + shape of [1, 2, 3]  ->  (2,) + (3,) + ()  ->  (2, 3)
# ```
#
# This is a recursive function: a list asks each element for its shape and dtype, checks
# that the shapes agree, and promotes the dtypes. Leaves (numbers, arrays, tensors) are
# handled by `_leaf_dtype`, which is given to you below; read it to see the error
# messages it produces.

# %%
#| export
_EXPECTED = "expected a number (bool, int or float), a nested list of numbers, a numpy array or a Tensor"


def _leaf_dtype(x, where=""):
    """The dtype of one leaf of the data: a number, numpy array or scalar, or Tensor.

    Python numbers get PyTorch's defaults; numpy values and tensors keep their dtype.
    `where` is the leaf's position, like "[1][0]", used in error messages.
    """
    at = f" at data{where}" if where else ""
    if hasattr(x, "__array__") and not isinstance(x, np.generic):
        x = np.asarray(x)  # a Tensor, or anything else that converts itself to an array
    if isinstance(x, (np.ndarray, np.generic)):  # checked before float: np.float64 is a float
        if x.dtype.kind not in _KIND_RANK:
            what = "array" if isinstance(x, np.ndarray) else "scalar"
            raise TypeError(f"Tensor() got a numpy {what} of dtype {x.dtype}{at}; "
                            "a Tensor holds bool, integer or floating-point numbers")
        return x.dtype
    if isinstance(x, bool):  # checked before int: True is an int in Python
        return _DEFAULT_DTYPE[0]
    if isinstance(x, int):
        if not -2**63 <= x < 2**63:
            raise OverflowError(f"Tensor() got the integer {x}{at}, which does not fit in int64")
        return _DEFAULT_DTYPE[1]
    if isinstance(x, float):
        return _DEFAULT_DTYPE[2]
    if x is None:
        raise TypeError(f"Tensor() got None{at}; {_EXPECTED}")
    name = type(x).__name__
    shown = repr(x) if len(repr(x)) <= 40 else repr(x)[:37] + "..."
    article = "an" if name[0] in "aeiou" else "a"
    raise TypeError(f"Tensor() got {article} {name} ({shown}){at}; {_EXPECTED}")


_MAX_DEPTH = 64  # numpy's limit on the number of dimensions


def _describe(shape):
    """Words for a shape in an error message: 'is a number', 'has length 3', 'has shape (2, 3)'."""
    if shape == ():
        return "is a number"
    return f"has length {shape[0]}" if len(shape) == 1 else f"has shape {shape}"


def _scan(data, where=""):
    """Return (shape, dtype) that `data` will have as a tensor.

    Lists and tuples are walked recursively; every element must have the same shape.
    Raises TypeError for ragged lists and for values that are not numbers.

    >>> _scan([[1, 2, 3], [4, 5, 6]])
    ((2, 3), dtype('int64'))
    """
    if not isinstance(data, (list, tuple)):
        dtype = _leaf_dtype(data, where)  # first: it rejects what has no shape
        return np.shape(data), dtype
    if where.count("[") >= _MAX_DEPTH:  # before Python's recursion limit turns it into a RecursionError
        raise TypeError(f"Tensor() got lists nested more than {_MAX_DEPTH} deep; "
                        f"a tensor has at most {_MAX_DEPTH} dimensions")
    kinds = set(map(type, data))
    if kinds <= _PYTHON_RANK.keys() and (float in kinds or not data or -2**63 <= min(data) <= max(data) < 2**63):
        # The common case, a flat row of plain Python numbers (or an empty list, float32
        # as in PyTorch), checked at C speed: without this shortcut a list of a million
        # numbers takes 100 times longer than np.array.
        return (len(data),), _DEFAULT_DTYPE[max((_PYTHON_RANK[k] for k in kinds), default=2)]
    # TODO: return the shape and dtype of any other list or tuple.
    # APPROACH:
    #   1. Scan each element recursively: _scan(item, f"{where}[{i}]").
    #   2. Every element must have the shape of element 0. If element i differs, raise
    #      TypeError(f"ragged nested list: data{where}[{i}] {_describe(shape_i)} but "
    #                f"data{where}[0] {_describe(shape_0)}; row lengths differ ...").
    #   3. The shape is (len(data),) + shape_0; the dtype is all element dtypes
    #      combined with promote_types.
    # HINTS: tuples concatenate: (2,) + (3,) == (2, 3). The list is not empty here.
    ### BEGIN SOLUTION
    parts = [_scan(item, f"{where}[{i}]") for i, item in enumerate(data)]
    first_shape, dtype = parts[0]
    for i, (shape, item_dtype) in enumerate(parts):
        if shape != first_shape:
            raise TypeError(f"ragged nested list: data{where}[{i}] {_describe(shape)} but "
                            f"data{where}[0] {_describe(first_shape)}; row lengths differ, "
                            "and every row of a tensor must have the same length")
        dtype = promote_types(dtype, item_dtype)
    return (len(data),) + first_shape, dtype
    ### END SOLUTION


# %% [markdown]
# ### Check step 2
# Shapes must match NumPy's; dtypes follow the defaults table; bad data raises a
# `TypeError` that names the problem.

# %%
for sample in [3, 2.5, True, [1, 2, 3], [[1.0, 2.0], [3.0, 4.0]], [[[1], [2]]], (1, 2), np.zeros((2, 3))]:
    assert _scan(sample)[0] == np.shape(sample), sample
assert _scan([1, 2])[1] == np.int64
assert _scan([1, 2.5])[1] == np.float32  # NumPy would say float64
assert _scan([True, 2])[1] == np.int64
assert _scan([True, False])[1] == np.bool_
assert _scan([])[0] == (0,) and _scan([])[1] == np.float32
assert _scan([np.float64(1.5), 2.0])[1] == np.float64  # numpy values keep their dtype
assert _scan(np.arange(3, dtype=np.int16))[1] == np.int16
for bad, words in [("abc", "str ('abc')"), ([[1, 2], [3]], "data[1] has length 1 but data[0] has length 2"),
                   ([1, None], "None at data[1]"), ([[1], 2], "data[1] is a number")]:
    try:
        _scan(bad)
    except TypeError as error:
        assert words in str(error), (bad, str(error))
    else:
        raise AssertionError(f"_scan({bad!r}) should raise TypeError")
print("Step 2 passed: _scan")

# %% [markdown]
# ## Step 3: the Tensor class
#
# The class below is the whole `Tensor`. It is long, but each part is short; you
# complete it in four passes, each followed by its own check:
#
# - **3a. Creating tensors**: `__init__`, the attributes, `item`, `len`, `repr`.
# - **3b. Arithmetic**: `_binary`, the one method behind all operators.
# - **3c. Reductions**: `_reduce`, behind `sum`, `mean`, `amax`, `amin`.
# - **3d. Shapes and indexing**: `reshape`, `transpose`, `__getitem__`.
#
# ### 3a. Creating tensors
#
# The tensor stores its numbers in a NumPy array, `self.data`. Everything else is read
# from it: `shape`, `dtype`, `ndim`, `size`. Two more attributes prepare for the
# autograd module: `requires_grad` (does this tensor want a gradient?) and `grad`
# (where the gradient will go; `None` for now). As in PyTorch, only floating-point
# tensors can require gradients.
#
# Lists are copied into a new array, so changing the list later does not change the
# tensor. A NumPy array is used as it is, without a copy: TinyTorch operations never
# write into their inputs, they always return a new tensor.
#
# ### 3b. Arithmetic, broadcasting and the dtype of a result
#
# All of `+ - * / ** @` and the comparisons go through one method,
# `_binary(other, op)`, where `op` is the NumPy function (`np.add`, `np.matmul`,
# `np.less`, ...). The reflected forms (`2 - x` calls `x.__rsub__(2)`) pass
# `reflected=True`, which swaps the operands.
#
# **Broadcasting** comes from NumPy: shapes are lined up from the right, and a size-1
# (or missing) axis stretches to match. `(3, 1) + (4,)` gives `(3, 4)`; `(3,) + (4,)`
# is an error.
#
# **The result's dtype** follows PyTorch:
#
# - tensor with tensor: `promote_types` from step 1.
# - tensor with a number (Python or NumPy scalar): the number adapts to the tensor.
#   `float32_tensor * 2.0` stays `float32`, `int32_tensor + 1` stays `int32`. Only a
#   number of a *higher kind* changes the dtype, to that kind's default:
#   `int64_tensor * 0.5` is `float32`.
# - true division `/` of integers or bools gives `float32`: `7 / 2` is `3.5`.
#
# We compute by casting both operands to that dtype first, then calling `op`.
# Comparisons then return `bool` tensors by themselves.
#
# Division by zero gives `inf` or `nan`, as IEEE arithmetic and PyTorch do, without
# NumPy's warnings (the `@np.errstate(all="ignore")` decorator silences them).
#
# ### 3c. Reductions
#
# `x.sum(axis=0)` adds along axis 0, removing it: shape `(2, 3)` becomes `(3,)`.
# `keepdims=True` keeps it as size 1, `(1, 3)`, which broadcasts back against `x`:
# `x - x.mean(axis=0, keepdims=True)` centres every column. PyTorch calls these
# arguments `dim` and `keepdim`; TinyTorch accepts both spellings.
#
# PyTorch refuses `mean` of an integer tensor. TinyTorch returns the mean as `float32`,
# averaging in `float64` first: float64 holds every integer up to 2**53 exactly,
# float32 only up to 2**24.
#
# The values-only maximum and minimum are called `amax` and `amin` (PyTorch's names):
# PyTorch's `x.max(dim=0)` also says *where* each maximum is, and step 4 builds it on
# your `amax`.
#
# ### 3d. Shapes and indexing
#
# `reshape` keeps the elements in order and changes how they are grouped; one size may
# be `-1` ("whatever is left"). `transpose(0, 1)` swaps two axes; `transpose()` and
# `.T` reverse all of them. Indexing works like NumPy's, and a `Tensor` may be the index:
# `x[x > 0]` keeps the positive elements.
#
# ### Room for gradients (nothing to write)
#
# Module 03 (autograd) makes every operation remember how it was computed, so that
# `loss.backward()` can send gradients back through the graph. This module declares the
# one place where that plugs in, the **autograd engine**: every operation below that
# autograd can differentiate is marked `@_tracked("name")`. While no engine is
# installed (all of modules 01 and 02), or no input requires a gradient, the operation
# runs exactly as written here. Module 03 installs its engine with
# `set_autograd_engine(engine)`; from then on the engine runs the marked operations and
# records them. `backward()`, `grad_fn` and `is_leaf` below ask the engine too.
# Nothing else ever changes this class from outside.

# %%
#| export
import functools


class GradientEngine:
    """The extension point through which module 03 makes Tensor differentiable.

    This engine records nothing: operations compute values only, and backward() says
    where gradients come from. Module 03 installs a subclass with set_autograd_engine().
    """

    recording = False  # True while the engine records operations (module 03's grad mode)

    def apply(self, name: str, tensor: "Tensor", args: tuple, kwargs: dict) -> "Tensor":
        """Run the tracked method `name` of `tensor` and record it; called only while recording."""
        raise NotImplementedError(f"{type(self).__name__} does not record operations")

    def backward(self, tensor: "Tensor", gradient=None, retain_graph: bool | None = None) -> None:
        raise RuntimeError("backward() needs autograd (module 03): `import tinytorch.autograd` "
                           "before computing, so that operations are recorded")


_engine = GradientEngine()


def set_autograd_engine(engine: GradientEngine) -> GradientEngine:
    """Install `engine` (a GradientEngine) as Tensor's autograd; returns the previous one."""
    global _engine
    if not isinstance(engine, GradientEngine):
        raise TypeError(f"set_autograd_engine() takes a GradientEngine, not {type(engine).__name__}")
    previous, _engine = _engine, engine
    return previous


def _tracked(name):
    """Mark a Tensor method that autograd differentiates: the engine runs it when recording
    and a gradient is wanted, else it runs as written (one attribute test when it is not)."""
    def mark(method):
        @functools.wraps(method)
        def run(self, *args, **kwargs):
            if _engine.recording and (self.requires_grad or any(
                    isinstance(a, Tensor) and a.requires_grad for a in args)):
                return _engine.apply(name, self, args, kwargs)
            return method(self, *args, **kwargs)
        return run
    return mark


# %%
#| export
def _is_number(x):
    """True for Python and numpy scalars of a kind a Tensor can hold."""
    if isinstance(x, np.generic):
        return x.dtype.kind in _KIND_RANK
    return isinstance(x, (bool, int, float))


def _to_dtype(dtype):
    """np.dtype for a dtype= argument: np.float32, "float32", np.dtype("int64"), bool, ..."""
    try:
        dtype = np.dtype(dtype)
    except TypeError:
        raise TypeError(f"dtype={dtype!r} is not a data type; use for example "
                        "'float32', 'int64', 'bool' or np.float32") from None
    if dtype.kind not in _KIND_RANK:
        raise TypeError(f"dtype={dtype} is not supported; a Tensor holds bool, integer "
                        "or floating-point numbers")
    return dtype


def _cast(array, dtype):
    """`array` as `dtype`, refusing what np.array(list, dtype) refuses.

    astype wraps integers silently (300 as int8 is 44) and turns nan into garbage; the
    list form raises OverflowError and ValueError, and so do we.
    """
    if dtype.kind in "iu" and array.dtype != dtype and array.dtype.kind in "iuf" and array.size:
        if array.dtype.kind == "f" and np.isnan(array).any():
            raise ValueError(f"Tensor() cannot convert nan to {dtype}")
        if array.dtype.kind == "f" and np.isinf(array).any():
            raise OverflowError(f"Tensor() cannot convert infinity to {dtype}")
        info = np.iinfo(dtype)
        low, high = np.trunc(array.min()), np.trunc(array.max())  # floats round towards zero
        if low < info.min or high > info.max:
            bad = low if low < info.min else high
            raise OverflowError(f"Tensor() got the value {bad} which does not fit in {dtype} "
                                f"(range {info.min} to {info.max})")
    return array.astype(dtype, copy=False)


def _with_number(dtype, number):
    """The dtype of `tensor <op> number` for a tensor of `dtype` (PyTorch's rule).

    A number of the same or a lower kind leaves the tensor's dtype alone (an int8
    tensor + 1 stays int8, a float32 tensor * 2.5 stays float32); a number of a higher
    kind gives that kind's default (an int64 tensor * 2.5 is float32).
    """
    number_dtype = _DEFAULT_DTYPE[_KIND_RANK[_leaf_dtype(number).kind]]
    if _KIND_RANK[number_dtype.kind] <= _KIND_RANK[dtype.kind]:
        return dtype
    return number_dtype


def _reduction_axes(axis, keepdims, dim, keepdim):
    """(axis, keepdims) from numpy's names or their PyTorch aliases dim/keepdim."""
    if dim is not None:
        if axis is not None:
            raise TypeError("give the axis as axis= or dim= (its PyTorch name), not both")
        axis = dim
    if keepdim is not None:
        keepdims = keepdim
    return (tuple(axis) if isinstance(axis, list) else axis), keepdims


def _operator(op, reflected=False):
    """A method computing `self <op> other` (or `other <op> self` when reflected).

    A 0-d operand next to one with dimensions is first cast to the result's dtype
    (PyTorch's rule for 0-d operands, see step 4); then your _binary computes.
    """
    def method(self, other):
        if isinstance(other, Tensor) and (self.ndim == 0) != (other.ndim == 0):
            self, other = _zero_dim_operands(self, other)
        return self._binary(other, op, reflected)
    method.__doc__ = f"np.{op.__name__} of the two operands, with broadcasting; see Tensor._binary."
    return method


def _matrix_product(tensor, other, reflected):
    """tensor @ other (other @ tensor when reflected): two tensors must share a dtype, as in PyTorch."""
    if isinstance(other, Tensor) and other.dtype != tensor.dtype:
        first, second = (other, tensor) if reflected else (tensor, other)
        raise RuntimeError(f"expected m1 and m2 to have the same dtype, but got: {first.dtype} != {second.dtype} "
                           "(convert one, e.g. x.float() or x.to(w.dtype))")
    return tensor._binary(other, np.matmul, reflected)


def _elementwise(ufunc, keeps_integers=False):
    """A Tensor method applying the NumPy function `ufunc` to every element.

    Floating-point tensors keep their dtype; integers and bools are computed in float32
    (as PyTorch's torch.exp), unless `keeps_integers` (abs, sign, floor, ...). Out-of-range
    inputs give IEEE results (log(0) = -inf, sqrt(-1) = nan) without warnings, as PyTorch.
    """
    def method(self):
        data = self.data
        if data.dtype.kind != "f" and not (keeps_integers and data.dtype.kind in "iu"):
            data = data.astype(np.float32)
        with np.errstate(all="ignore"):
            return Tensor(ufunc(data))
    method.__doc__ = f"{getattr(ufunc, '__name__', 'the function')} of every element (a new tensor)."
    return method


class _SizeOrCount(int):
    """x.size: the number of elements (an int, NumPy's meaning), and PyTorch's method x.size(dim).

    x.size == 6, x.size() == (2, 3) and x.size(0) == 2 all hold for a (2, 3) tensor.
    """

    def __call__(self, dim=None):
        if dim is None:
            return self.shape
        return self.shape[_axis(dim, len(self.shape))]


def _axis(dim, ndim: int) -> int:
    """dim as a non-negative axis of an ndim-d tensor; IndexError (PyTorch's words) otherwise."""
    size = max(ndim, 1)
    if not isinstance(dim, (int, np.integer)) or isinstance(dim, bool):
        raise TypeError(f"a dimension must be an int, not {type(dim).__name__}")
    if not -size <= dim < size:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-size}, {size - 1}], but got {dim})")
    return int(dim) % size


def _result_dtype(tensor, other):
    """The dtype of `tensor <op> other` by PyTorch's rules (the same as your _binary's, plus 0-d).

    A number, or a 0-d tensor next to a tensor with dimensions, only changes the dtype when
    it is of a higher kind: float32 (3,) * float64 0-d stays float32, int64 (3,) * 0.5 is
    float32, int64 (3,) * float64 0-d is float64 (the 0-d operand's own dtype). A NumPy
    array promotes as in NumPy, as it does in PyTorch.
    """
    if _is_number(other):
        return _with_number(tensor.dtype, other)
    other_dtype = other.dtype if isinstance(other, (Tensor, np.ndarray)) else Tensor(other).dtype
    zero_dim = [tensor.ndim == 0, np.ndim(other) == 0]
    if isinstance(other, Tensor) and zero_dim[0] != zero_dim[1]:  # a NumPy array promotes as NumPy's would
        small, big = (tensor.dtype, other_dtype) if zero_dim[0] else (other_dtype, tensor.dtype)
        return small if _KIND_RANK[small.kind] > _KIND_RANK[big.kind] else big
    return promote_types(tensor.dtype, other_dtype)


def _zero_dim_operands(tensor, other):
    """(tensor, other) with a 0-d operand next to a dimensioned one cast to the result's dtype,
    so that _binary's promotion gives PyTorch's answer."""
    dtype = _result_dtype(tensor, other)
    if tensor.ndim == 0 and tensor.dtype != dtype:
        tensor = Tensor(tensor.data.astype(dtype))
    if other.ndim == 0 and other.dtype != dtype:
        other = Tensor(other.data.astype(dtype))
    return tensor, other


class Tensor:
    """An n-dimensional array of numbers, the data structure of TinyTorch.

    Tensor(data, dtype=None, requires_grad=False)

    data: a number, a nested list or tuple of numbers, a numpy array or a Tensor.
    dtype: optional override, e.g. "float32", np.int64. Without it Python floats
        become float32, ints int64 and bools bool (PyTorch's defaults); numpy arrays,
        numpy scalars and tensors keep their dtype; a list takes the promoted dtype of
        its elements.
    requires_grad: whether autograd should compute a gradient (floating point only).

    >>> Tensor([[1, 2], [3, 4]]) * 0.5
    Tensor([[0.5, 1. ],
            [1.5, 2. ]], dtype=float32)
    """

    # ---- 3a. creating tensors ------------------------------------------------

    def __init__(self, data, dtype=None, requires_grad: bool = False):
        # TODO: keep the values as a numpy array in self.data, in the right dtype, and set
        #       self.requires_grad and self.grad (None until a backward pass fills it).
        # HINTS:
        #   - _scan(data) checks the data (clear TypeErrors for strings, ragged lists...)
        #     and infers its dtype; a dtype= from the caller wins (_to_dtype reads it).
        #   - A Tensor: start from its array. A numpy array or scalar: _cast converts it
        #     without wrapping (astype turns 300 into 44 in int8).
        #   - Numbers and lists: build the array in the target dtype at once; through
        #     float32 first, 1.7 would become 1.7000000476837158 in a float64 tensor.
        #   - Only floating-point tensors can require gradients (PyTorch: RuntimeError).
        ### BEGIN SOLUTION
        _, inferred = _scan(data)
        target = inferred if dtype is None else _to_dtype(dtype)
        data = data.data if isinstance(data, Tensor) else data
        if isinstance(data, (np.ndarray, np.generic)):
            array = _cast(np.asarray(data), target)
        else:
            array = np.array(data, dtype=target)
        if requires_grad and array.dtype.kind != "f":
            raise RuntimeError(f"only floating-point tensors can require gradients, not {array.dtype}")
        self.data, self.requires_grad, self.grad = array, bool(requires_grad), None
        ### END SOLUTION

    @property
    def shape(self) -> tuple:
        """Size of each axis, a tuple: (2, 3) for 2 rows of 3."""
        return self.data.shape

    @property
    def dtype(self) -> np.dtype:
        """The numpy dtype of the elements, e.g. dtype('float32')."""
        return self.data.dtype

    @property
    def ndim(self) -> int:
        """Number of axes: 0 for a scalar, 2 for a matrix."""
        return self.data.ndim

    @property
    def size(self) -> int:
        """Number of elements, the product of the shape; also PyTorch's x.size() and x.size(dim)."""
        count = _SizeOrCount(self.data.size)
        count.shape = self.data.shape
        return count

    def numpy(self) -> np.ndarray:
        """The underlying numpy array (shared, not copied)."""
        return self.data

    def __array__(self, dtype=None, copy=None):
        """Let numpy read a Tensor: np.asarray(t), np.testing.assert_allclose(t, ...)."""
        if copy:
            return np.array(self.data, dtype=dtype, copy=True)
        return np.asarray(self.data, dtype=dtype)

    def item(self) -> bool | int | float:
        """The single element as a Python number; RuntimeError unless size == 1."""
        # TODO: return the only element as a Python bool/int/float.
        # APPROACH: if self.size != 1, raise RuntimeError naming the size and shape;
        #           otherwise self.data.item().
        ### BEGIN SOLUTION
        if self.size != 1:
            raise RuntimeError(f"item() needs a tensor with exactly one element, "
                               f"this one has {self.size} (shape {self.shape})")
        return self.data.item()
        ### END SOLUTION

    def __len__(self) -> int:
        """Length of the first axis; TypeError for a 0-d tensor (as PyTorch)."""
        # TODO: raise TypeError("len() of a 0-d tensor") when ndim == 0, else shape[0].
        ### BEGIN SOLUTION
        if self.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self.shape[0]
        ### END SOLUTION

    def __iter__(self):
        """Iterate over the first axis, yielding tensors (rows); TypeError for 0-d."""
        rows = iter(self.data)  # numpy raises "iteration over a 0-d array"
        if self.requires_grad:  # row by row through indexing, which autograd records
            return (self[i] for i in range(len(self)))
        return (Tensor(row) for row in rows)

    def __bool__(self) -> bool:
        """Truth of a one-element tensor; ambiguous (RuntimeError) otherwise."""
        if self.size != 1:
            raise RuntimeError(f"the truth value of a tensor with {self.size} elements is ambiguous; "
                               "reduce it first, e.g. bool((a == b).min()) means 'all equal'")
        return bool(self.data.item())

    def __float__(self) -> float:
        return float(self.item())

    def __int__(self) -> int:
        return int(self.item())

    # ---- gradients: module 03 (autograd) gives these their meaning ---------------

    grad_fn = None        # the autograd node that computed this tensor; None for a leaf
    retains_grad = False  # a non-leaf keeps its .grad only after retain_grad()

    @property
    def is_leaf(self) -> bool:
        """True unless autograd recorded this tensor as the result of an operation."""
        return self.grad_fn is None

    def backward(self, gradient=None, retain_graph: bool | None = None) -> None:
        """Gradients of this tensor with respect to every leaf that requires them, into .grad.

        gradient: d(something)/d(self), shape of self; omitted, only a one-element tensor
        works (it means 1). The autograd engine (module 03) does the work.
        """
        _engine.backward(self, gradient, retain_graph)

    def detach(self) -> "Tensor":
        """The same data (shared, not copied) as a new leaf that requires no gradient."""
        return Tensor(self.data)

    def requires_grad_(self, requires_grad: bool = True) -> "Tensor":
        """Set requires_grad in place (floating point only, leaves only); returns self."""
        if requires_grad and self.dtype.kind != "f":
            raise RuntimeError(f"only floating-point tensors can require gradients, not {self.dtype}")
        if not self.is_leaf and not requires_grad:
            raise RuntimeError("you can only change requires_grad of leaf tensors; "
                               "use detach() for a copy outside the graph")
        self.requires_grad = bool(requires_grad)
        return self

    def retain_grad(self) -> None:
        """Keep this non-leaf tensor's gradient in .grad during backward()."""
        if not self.requires_grad:
            raise RuntimeError("retain_grad() on a tensor that does not require gradients")
        if not self.is_leaf:
            self.retains_grad = True

    def __repr__(self) -> str:
        """Tensor([1., 2.], dtype=float32), with ', requires_grad=True' when set."""
        # TODO: build the text shown in the docstring.
        # APPROACH:
        #   1. np.array2string(self.data, separator=", ", prefix="Tensor(") formats the
        #      numbers; prefix= indents the later rows of a matrix under the first.
        #   2. Append f", dtype={self.dtype}" and, if requires_grad, ", requires_grad=True".
        ### BEGIN SOLUTION
        numbers = np.array2string(self.data, separator=", ", prefix="Tensor(")
        grad = ", requires_grad=True" if self.requires_grad else ""
        return f"Tensor({numbers}, dtype={self.dtype}{grad})"
        ### END SOLUTION

    # ---- 3b. arithmetic --------------------------------------------------------

    @np.errstate(all="ignore")  # IEEE results (1/0 = inf) without warnings, as PyTorch
    def _binary(self, other, op, reflected: bool = False) -> "Tensor":
        """op(self, other) elementwise with broadcasting, or op(other, self) if reflected.

        other: a Tensor, a number, a numpy array or a nested list.
        Result dtype: promote_types for two tensors; a number keeps the tensor's dtype
        unless it is of a higher kind (then that kind's default); true division of
        integers or bools gives float32.
        """
        # TODO: compute the result Tensor.
        # HINTS:
        #   - Numbers follow _with_number's rule; tensors, arrays and lists become a
        #     Tensor, and the two dtypes meet at promote_types.
        #   - Any other type: return NotImplemented, so Python can try the other operand
        #     and then raise its own TypeError.
        #   - Dividing integers (or bools) gives float32, as PyTorch.
        #   - Convert both operands to the result dtype before op: numpy's own promotion
        #     differs from PyTorch's (int64 + float32 would give float64).
        #   - `reflected` means the tensor is the right operand: 2 - x is op(2, x).
        ### BEGIN SOLUTION
        if _is_number(other):
            dtype = _with_number(self.dtype, other)
        elif isinstance(other, (Tensor, np.ndarray, list, tuple)):
            other = Tensor(other).data
            dtype = promote_types(self.dtype, other.dtype)
        else:
            return NotImplemented
        if op is np.true_divide and dtype.kind != "f":
            dtype = np.dtype(np.float32)
        a, b = self.data.astype(dtype, copy=False), np.asarray(other, dtype=dtype)
        return Tensor(op(b, a) if reflected else op(a, b))
        ### END SOLUTION

    __add__ = _tracked("add")(_operator(np.add))
    __radd__ = _tracked("radd")(_operator(np.add, reflected=True))
    __sub__ = _tracked("sub")(_operator(np.subtract))
    __rsub__ = _tracked("rsub")(_operator(np.subtract, reflected=True))
    __mul__ = _tracked("mul")(_operator(np.multiply))
    __rmul__ = _tracked("rmul")(_operator(np.multiply, reflected=True))
    __truediv__ = _tracked("truediv")(_operator(np.true_divide))
    __rtruediv__ = _tracked("rtruediv")(_operator(np.true_divide, reflected=True))
    __pow__ = _tracked("pow")(_operator(np.power))
    __rpow__ = _tracked("rpow")(_operator(np.power, reflected=True))

    @_tracked("matmul")
    def __matmul__(self, other):
        """The matrix product (np.matmul); two tensors must have the same dtype, as in PyTorch."""
        return _matrix_product(self, other, reflected=False)

    @_tracked("rmatmul")
    def __rmatmul__(self, other):
        return _matrix_product(self, other, reflected=True)

    # Comparisons return bool tensors. `2 < x` needs no reflected form: Python calls x > 2.
    __eq__ = _operator(np.equal)
    __ne__ = _operator(np.not_equal)
    __lt__ = _operator(np.less)
    __le__ = _operator(np.less_equal)
    __gt__ = _operator(np.greater)
    __ge__ = _operator(np.greater_equal)
    # Defining __eq__ removes the default hash; PyTorch tensors hash by identity, so do we.
    __hash__ = object.__hash__

    @_tracked("neg")
    def __neg__(self):
        """-x elementwise (a TypeError for bool tensors: use ~ or logical not)."""
        return Tensor(np.negative(self.data))

    # ---- 3c. reductions --------------------------------------------------------

    @np.errstate(all="ignore")
    def _reduce(self, op, axis, keepdims, dim, keepdim) -> "Tensor":
        """op(self.data) over `axis` (None: all elements); `dim`/`keepdim` are aliases."""
        # TODO: apply the numpy reduction `op` (np.sum, np.mean, np.max, np.min).
        # HINTS:
        #   - _reduction_axes turns the four arguments into numpy's (axis, keepdims).
        #   - The mean of integers or bools is float32 (PyTorch raises; we are kinder):
        #     accumulate in float64 first, or a large int sum loses digits.
        ### BEGIN SOLUTION
        axis, keepdims = _reduction_axes(axis, keepdims, dim, keepdim)
        if op is np.mean and self.dtype.kind != "f":
            mean = np.mean(self.data, axis=axis, keepdims=keepdims, dtype=np.float64)
            return Tensor(np.asarray(mean).astype(np.float32))
        return Tensor(op(self.data, axis=axis, keepdims=keepdims))
        ### END SOLUTION

    @_tracked("sum")
    def sum(self, axis=None, keepdims: bool = False, *, dim=None, keepdim: bool | None = None) -> "Tensor":
        """Sum of the elements over `axis` (an int, a tuple, or None for all)."""
        return self._reduce(np.sum, axis, keepdims, dim, keepdim)

    @_tracked("mean")
    def mean(self, axis=None, keepdims: bool = False, *, dim=None, keepdim: bool | None = None) -> "Tensor":
        """Mean over `axis`: sum / count. Integer and bool tensors give float32."""
        return self._reduce(np.mean, axis, keepdims, dim, keepdim)

    # max and min (the largest and smallest element) are amax and amin in step 4: PyTorch's
    # x.max(dim) also says where the maximum is.

    # ---- 3d. shapes and indexing -------------------------------------------------

    @_tracked("reshape")
    def reshape(self, *shape) -> "Tensor":
        """Same elements, new shape: x.reshape(2, 3), x.reshape((2, 3)), x.reshape(-1)."""
        # TODO: accept reshape(2, 3) and reshape((2, 3)); return a new Tensor.
        # APPROACH: one tuple or list argument is the whole shape; then self.data.reshape.
        ### BEGIN SOLUTION
        if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
            shape = tuple(shape[0])
        return Tensor(self.data.reshape(shape))
        ### END SOLUTION

    @_tracked("transpose")
    def transpose(self, dim0: int | None = None, dim1: int | None = None) -> "Tensor":
        """Swap axes dim0 and dim1; with neither given, reverse all axes (like .T)."""
        # TODO: no dims: reverse all axes (self.data.T). Both: np.swapaxes.
        #       Only one: raise TypeError.
        ### BEGIN SOLUTION
        if dim0 is None and dim1 is None:
            return Tensor(self.data.T)
        if dim0 is None or dim1 is None:
            raise TypeError("transpose() takes two axes to swap, or none to reverse all axes")
        return Tensor(np.swapaxes(self.data, dim0, dim1))
        ### END SOLUTION

    @property
    def T(self) -> "Tensor":
        """All axes reversed: the matrix transpose for 2-d tensors."""
        return self.transpose()

    @_tracked("getitem")
    def __getitem__(self, index) -> "Tensor":
        """x[0], x[:, 1], x[1:3, ::2], x[mask] ... as in numpy; Tensors may be indices."""
        # TODO: index self.data and wrap the result in a Tensor.
        # HINTS: x[1, 2] passes the tuple (1, 2) as `index`; x[mask] passes mask itself.
        #        numpy accepts a Tensor inside the index: it converts it with __array__.
        #        A single element comes back as a numpy scalar; Tensor() keeps its dtype.
        ### BEGIN SOLUTION
        return Tensor(self.data[index])
        ### END SOLUTION

    # ==== 3e. everything PyTorch has on top of your ops (given: read, nothing to write) ====
    # Each method below is one or two lines built from what you wrote in 3a-3d, or a
    # NumPy function with the same dtype rules; step 4 explains them. Module 03 gives
    # each new operation its gradient, so everything here is differentiable.

    # ---- NumPy meets a Tensor ------------------------------------------------------

    def __array_ufunc__(self, ufunc, method, *inputs, out=None, **kwargs):
        """`array -= tensor` writes into the array; `array + tensor` is the tensor's operator.

        Any other NumPy function on a Tensor is refused (TypeError): use the Tensor's own
        method (x.exp()), or NumPy on x.data.
        """
        if method != "__call__":
            return NotImplemented
        if out is not None:  # e.g. `p.data -= lr * p.grad`: plain arrays in, the array out
            if not all(isinstance(o, np.ndarray) for o in out):
                return NotImplemented
            arrays = [i.data if isinstance(i, Tensor) else i for i in inputs]
            return ufunc(*arrays, out=out, **kwargs)
        names = _UFUNC_OPERATORS.get(ufunc)
        if names is None or kwargs or len(inputs) != 2:
            return NotImplemented
        left, right = inputs
        if isinstance(left, Tensor):
            return getattr(left, names[0])(right)
        return getattr(right, names[1])(left)

    def __format__(self, spec: str) -> str:
        """f"{loss:.4f}" formats a one-element tensor as its number; f"{t}" is str(t)."""
        if not spec:
            return str(self)
        if self.size != 1:
            raise TypeError(f"unsupported format string {spec!r} for a tensor of {self.size} elements: "
                            "format one element at a time, or a Python list (t.tolist())")
        return format(self.item(), spec)

    def __index__(self) -> int:
        """A 0-d integer tensor as a Python index: names[label], range(n)."""
        if self.ndim != 0 or self.dtype.kind not in "iu":
            raise TypeError(f"only 0-d integer tensors can be used as an index, not a {self.dtype} "
                            f"tensor of shape {self.shape}")
        return int(self.data)

    def __contains__(self, element) -> bool:
        return bool((self == element).any())

    # ---- sizes, devices and types -------------------------------------------------------

    def numel(self) -> int:
        """The number of elements (the same as x.size)."""
        return int(self.data.size)

    nelement = numel

    def dim(self) -> int:
        """The number of axes (the same as x.ndim)."""
        return self.data.ndim

    ndimension = dim

    @property
    def device(self) -> "device":
        """Where the tensor lives: always device('cpu') in TinyTorch."""
        return _CPU

    is_cuda = False

    def cpu(self) -> "Tensor":
        return self

    def cuda(self, *args, **kwargs) -> "Tensor":
        raise _no_accelerator("cuda")

    def to(self, *args, **kwargs) -> "Tensor":
        """to(dtype), to(device), to(other_tensor), to(device, dtype): self when nothing changes."""
        return self._as(_target_dtype(args, kwargs, self.dtype))

    def contiguous(self) -> "Tensor":
        """Self: every TinyTorch tensor is usable as it is (NumPy copies when a reshape needs it)."""
        return self

    def is_contiguous(self) -> bool:
        return True

    def is_floating_point(self) -> bool:
        return self.dtype.kind == "f"

    def tolist(self) -> list | bool | int | float:
        """The values as (nested) Python lists of numbers; a number for a 0-d tensor."""
        return self.data.tolist()

    def element_size(self) -> int:
        return self.dtype.itemsize

    def new_tensor(self, data, dtype=None, requires_grad: bool = False) -> "Tensor":
        return tensor(data, dtype=dtype or self.dtype, requires_grad=requires_grad)

    def new_zeros(self, *size, dtype=None, requires_grad=False) -> "Tensor":
        return zeros(*size, dtype=dtype or self.dtype, requires_grad=requires_grad)

    def new_ones(self, *size, dtype=None, requires_grad=False) -> "Tensor":
        return ones(*size, dtype=dtype or self.dtype, requires_grad=requires_grad)

    def new_full(self, size: tuple, fill_value, dtype=None, requires_grad: bool = False) -> "Tensor":
        return full(size, fill_value, dtype=dtype or self.dtype, requires_grad=requires_grad)

    def new_empty(self, *size, dtype=None, requires_grad=False) -> "Tensor":
        return empty(*size, dtype=dtype or self.dtype, requires_grad=requires_grad)

    @_tracked("clone")
    def clone(self) -> "Tensor":
        """A copy with its own memory; gradients flow back to self."""
        return Tensor(self.data.copy())

    @_tracked("cast")
    def _float_cast(self, dtype) -> "Tensor":
        """self in another floating-point dtype (differentiable: the gradient is cast back)."""
        return Tensor(self.data.astype(dtype))

    def _as(self, dtype) -> "Tensor":
        """self converted to `dtype`: self itself when it already has it, as PyTorch."""
        dtype = _to_dtype(dtype)
        if dtype == self.dtype:
            return self
        if dtype.kind == "f" and self.dtype.kind == "f":
            return self._float_cast(dtype)
        with np.errstate(invalid="ignore"):  # nan to int is garbage in PyTorch too, without a word
            return Tensor(self.data.astype(dtype))

    # ---- shapes (reshape, transpose and indexing underneath) ---------------------------

    def view(self, *shape) -> "Tensor":
        """The same elements in a new shape (PyTorch's view; here the same as reshape)."""
        return self.reshape(*shape)

    def view_as(self, other: "Tensor") -> "Tensor":
        return self.reshape(other.shape)

    def reshape_as(self, other: "Tensor") -> "Tensor":
        return self.reshape(other.shape)

    def unsqueeze(self, dim: int) -> "Tensor":
        """A new axis of size 1 at `dim`: (3,) -> (1, 3) with dim=0, (3, 1) with dim=-1."""
        return self.reshape(_unsqueezed(self.shape, dim))

    def squeeze(self, dim: int | tuple | None = None) -> "Tensor":
        """Without the axes of size 1 (only `dim`, an int or a tuple, when given)."""
        return self.reshape(_squeezed(self.shape, dim))

    def flatten(self, start_dim: int = 0, end_dim: int = -1) -> "Tensor":
        """The axes start_dim..end_dim merged into one: (N, 1, 28, 28).flatten(1) is (N, 784)."""
        return self.reshape(_flattened(self.shape, start_dim, end_dim))

    def unflatten(self, dim: int, sizes: tuple) -> "Tensor":
        dim = _axis(dim, self.ndim)
        return self.reshape(self.shape[:dim] + tuple(sizes) + self.shape[dim + 1:])

    @_tracked("permute")
    def permute(self, *dims) -> "Tensor":
        """The axes in the order `dims`: (N, H, W, C).permute(0, 3, 1, 2) is (N, C, H, W)."""
        return Tensor(np.transpose(self.data, _permutation(dims, self.ndim)))

    def t(self) -> "Tensor":
        """The transpose of a matrix (a tensor of at most 2 dimensions)."""
        if self.ndim > 2:
            raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is {self.ndim}D")
        return self.transpose() if self.ndim == 2 else self

    def swapaxes(self, axis0: int, axis1: int) -> "Tensor":
        return self.transpose(axis0, axis1)

    swapdims = swapaxes

    @property
    def mT(self) -> "Tensor":
        """The last two axes swapped (a batch of matrices, each transposed)."""
        return self.transpose(-2, -1)

    @_tracked("expand")
    def expand(self, *sizes) -> "Tensor":
        """A read-only view repeating axes of size 1 (-1 keeps a size): (3, 1).expand(3, 4)."""
        return Tensor(np.broadcast_to(self.data, _expanded(self.shape, _shape_arg(sizes))))

    def expand_as(self, other: "Tensor") -> "Tensor":
        return self.expand(other.shape)

    @_tracked("repeat")
    def repeat(self, *sizes) -> "Tensor":
        """Copies of the tensor tiled `sizes` times along each axis (NumPy's tile)."""
        sizes = _shape_arg(sizes)
        if len(sizes) < self.ndim:
            raise RuntimeError("Number of dimensions of repeat dims can not be smaller than number of "
                               f"dimensions of tensor ({len(sizes)} < {self.ndim})")
        return Tensor(np.tile(self.data, sizes))

    @_tracked("flip")
    def flip(self, *dims) -> "Tensor":
        """The order of the elements reversed along `dims`."""
        return Tensor(np.flip(self.data, _permutation(dims, self.ndim, partial=True)))

    def split(self, split_size_or_sections: int | list, dim: int = 0) -> tuple:
        """Pieces along `dim`: of split_size each (the last may be smaller), or of the given sizes."""
        return tuple(self.narrow(dim, start, length) for start, length in
                     _split_sizes(self.shape, split_size_or_sections, dim))

    def chunk(self, chunks: int, dim: int = 0) -> tuple:
        """At most `chunks` pieces along `dim`, all of the same size except the last."""
        size = self.shape[_axis(dim, self.ndim)]
        return self.split(max(1, -(-size // chunks)), dim)

    def unbind(self, dim: int = 0) -> tuple:
        """The slices along `dim`, each without that axis."""
        dim = _axis(dim, self.ndim)
        return tuple(self[(slice(None),) * dim + (i,)] for i in range(self.shape[dim]))

    def narrow(self, dim: int, start: int, length: int) -> "Tensor":
        dim = _axis(dim, self.ndim)
        return self[(slice(None),) * dim + (slice(start, start + length),)]

    def select(self, dim: int, index: int) -> "Tensor":
        dim = _axis(dim, self.ndim)
        return self[(slice(None),) * dim + (index,)]

    def index_select(self, dim: int, index: "Tensor") -> "Tensor":
        dim = _axis(dim, self.ndim)
        return self[(slice(None),) * dim + (_index_array(index),)]

    @_tracked("gather")
    def gather(self, dim: int, index: "Tensor") -> "Tensor":
        """out[i][j] = self[i][index[i][j]] for dim=1 (likewise for any dim): picks along `dim`."""
        return Tensor(np.take_along_axis(self.data, _gather_index(self, dim, index), _axis(dim, self.ndim)))

    @_tracked("masked_fill")
    def masked_fill(self, mask: "Tensor", value) -> "Tensor":
        """A copy with `value` where `mask` (a bool tensor broadcasting to self) is True."""
        return Tensor(np.where(_mask_array(mask), _fill_value(value, self.dtype), self.data))

    def where(self, condition: "Tensor", other) -> "Tensor":
        """self where `condition` is True, else `other` (torch.where(condition, self, other))."""
        return where(condition, self, other)

    @_tracked("where")
    def _where(self, other, condition) -> "Tensor":
        a, b = _promoted_arrays(self, other)
        return Tensor(np.where(_mask_array(condition), a, b))

    def nonzero(self, *, as_tuple: bool = False) -> "Tensor | tuple":
        """The indices of the non-zero elements: an (n, ndim) int64 tensor, or one tensor per axis."""
        found = np.nonzero(self.data)
        if as_tuple:
            return tuple(Tensor(np.asarray(i, np.int64)) for i in found)
        return Tensor(np.stack(found, axis=-1).astype(np.int64).reshape(-1, self.ndim))

    # ---- reductions -------------------------------------------------------------------

    @_tracked("amax")
    def amax(self, axis=None, keepdims: bool = False, *, dim=None, keepdim: bool | None = None) -> "Tensor":
        """Largest element over `axis` (values only; ties share the gradient)."""
        return self._reduce(np.max, axis, keepdims, dim, keepdim)

    @_tracked("amin")
    def amin(self, axis=None, keepdims: bool = False, *, dim=None, keepdim: bool | None = None) -> "Tensor":
        """Smallest element over `axis` (values only; ties share the gradient)."""
        return self._reduce(np.min, axis, keepdims, dim, keepdim)

    def max(self, dim: "int | Tensor | None" = None, keepdim: bool = False, *, axis=None, keepdims=None):
        """The largest element; with a dim, the named tuple (values, indices) along it, as PyTorch.

        x.max() is a 0-d tensor; x.max(dim=1) is (values, indices) of each row's maximum (the
        first one when several tie). x.max(other_tensor) is the elementwise maximum.
        """
        if isinstance(dim, Tensor):
            return self.maximum(dim)
        return _extreme(self, dim, keepdim, axis, keepdims, np.argmax, "max")

    def min(self, dim: "int | Tensor | None" = None, keepdim: bool = False, *, axis=None, keepdims=None):
        """The smallest element; with a dim, the named tuple (values, indices), as max."""
        if isinstance(dim, Tensor):
            return self.minimum(dim)
        return _extreme(self, dim, keepdim, axis, keepdims, np.argmin, "min")

    def argmax(self, dim: int | None = None, keepdim: bool = False) -> "Tensor":
        """The int64 index of the largest element (the first among ties), over all or along dim."""
        return _arg_extreme(self, dim, keepdim, np.argmax)

    def argmin(self, dim: int | None = None, keepdim: bool = False) -> "Tensor":
        return _arg_extreme(self, dim, keepdim, np.argmin)

    def sort(self, dim: int = -1, descending: bool = False, stable: bool = False):
        """The named tuple (values, indices) of the elements sorted along `dim` (ties keep their order)."""
        indices = self.argsort(dim, descending)
        return _ValuesIndices(self.gather(dim, indices), indices, "sort")

    def argsort(self, dim: int = -1, descending: bool = False, stable: bool = False) -> "Tensor":
        return Tensor(_sort_order(self.data, _axis(dim, self.ndim), descending))

    def topk(self, k: int, dim: int = -1, largest: bool = True, sorted: bool = True):
        """The named tuple (values, indices) of the k largest (or smallest) elements along `dim`."""
        dim = _axis(dim, self.ndim)
        if not 0 <= k <= (self.shape[dim] if self.ndim else 1):
            raise RuntimeError(f"selected index k={k} out of range for a dimension of size "
                               f"{self.shape[dim] if self.ndim else 1}")
        indices = self.argsort(dim, descending=largest).narrow(dim, 0, k) if self.ndim else self.argsort()
        return _ValuesIndices(self.gather(dim, indices), indices, "topk")

    def var(self, dim=None, unbiased: bool | None = None, keepdim: bool = False, *,
               correction: int | None = None) -> "Tensor":
        """Variance over dim: sum((x - mean)^2) / (n - correction); correction=1 (unbiased) by default."""
        axes, count = _reduced(self.shape, dim)
        deviation = self - self.mean(dim=axes, keepdim=True)
        divisor = max(count - _correction(unbiased, correction), 0)
        return (deviation * deviation).sum(dim=axes, keepdim=keepdim) / divisor

    def std(self, dim=None, unbiased: bool | None = None, keepdim: bool = False, *,
               correction: int | None = None) -> "Tensor":
        """Standard deviation: sqrt of var (correction=1 by default, as PyTorch)."""
        return self.var(dim, unbiased, keepdim, correction=correction).sqrt()

    @_tracked("norm")
    def norm(self, p: float | str = 2, dim=None, keepdim: bool = False) -> "Tensor":
        """The p-norm over dim (all elements by default): (sum |x|^p)^(1/p); p='fro' is p=2."""
        return Tensor(_norm(self.data.astype(_float_dtype(self.dtype), copy=False), p, dim, keepdim))

    @_tracked("prod")
    def prod(self, dim: int | None = None, keepdim: bool = False) -> "Tensor":
        """The product of the elements over dim (all of them by default)."""
        axis = None if dim is None else _axis(dim, self.ndim)
        dtype = np.int64 if self.dtype.kind in "biu" else self.dtype
        return Tensor(np.prod(self.data, axis=axis, keepdims=keepdim, dtype=dtype))

    @_tracked("cumsum")
    def cumsum(self, dim: int) -> "Tensor":
        """Running sums along dim: [1, 2, 3] -> [1, 3, 6]."""
        dtype = np.int64 if self.dtype.kind in "biu" else self.dtype
        return Tensor(np.cumsum(self.data, axis=_axis(dim, self.ndim), dtype=dtype))

    def logsumexp(self, dim: int | tuple, keepdim: bool = False) -> "Tensor":
        """log(sum(exp(x))) along dim, without overflow: m + log(sum(exp(x - m))), m the maximum."""
        shift = self.amax(dim=dim, keepdim=True).detach()
        shift = shift.masked_fill(~shift.isfinite(), 0)
        out = (self - shift).exp().sum(dim=dim, keepdim=True).log() + shift
        return out if keepdim else out.squeeze(dim)

    def all(self, dim: int | None = None, keepdim: bool = False) -> "Tensor":
        """True where every element (over dim) is non-zero: a bool tensor."""
        return Tensor(np.all(self.data, axis=dim, keepdims=keepdim))

    def any(self, dim: int | None = None, keepdim: bool = False) -> "Tensor":
        """True where some element (over dim) is non-zero: a bool tensor."""
        return Tensor(np.any(self.data, axis=dim, keepdims=keepdim))

    def count_nonzero(self, dim: int | None = None) -> "Tensor":
        return Tensor(np.asarray(np.count_nonzero(self.data, axis=dim), np.int64))

    # ---- arithmetic and comparisons by name ------------------------------------------------

    def add(self, other, *, alpha=1) -> "Tensor":
        return self + (other if alpha == 1 else alpha * other)

    def sub(self, other, *, alpha=1) -> "Tensor":
        return self - (other if alpha == 1 else alpha * other)

    subtract = sub

    def mul(self, other) -> "Tensor":
        return self * other

    multiply = mul

    def div(self, other, *, rounding_mode: str | None = None) -> "Tensor":
        """self / other; rounding_mode 'trunc' or 'floor' rounds the quotient (no gradient then)."""
        if rounding_mode is None:
            return self / other
        if rounding_mode not in ("trunc", "floor"):
            raise ValueError("div expected rounding_mode to be one of None, 'trunc', or 'floor' "
                             f"but found {rounding_mode!r}")
        return _rounded_division(self, other, rounding_mode)

    divide = true_divide = div

    def pow(self, exponent) -> "Tensor":
        return self ** exponent

    def neg(self) -> "Tensor":
        return -self

    negative = neg

    def matmul(self, other: "Tensor") -> "Tensor":
        return self @ other

    def mm(self, other: "Tensor") -> "Tensor":
        """The product of two matrices (2-d only; matmul for the rest)."""
        _need_dims("mm", 2, self, other)
        return self @ other

    def bmm(self, other: "Tensor") -> "Tensor":
        """Batched matrix product: (b, n, m) @ (b, m, p) -> (b, n, p)."""
        _need_dims("bmm", 3, self, other)
        return self @ other

    def dot(self, other: "Tensor") -> "Tensor":
        """The dot product of two 1-d tensors."""
        _need_dims("dot", 1, self, other)
        return self @ other

    def mv(self, vec: "Tensor") -> "Tensor":
        return self @ vec

    def outer(self, other: "Tensor") -> "Tensor":
        return self.reshape(-1, 1) * other.reshape(1, -1)

    @_tracked("maximum")
    def maximum(self, other) -> "Tensor":
        """The elementwise larger of self and other (nan wins, as PyTorch)."""
        return Tensor(np.maximum(*_promoted_arrays(self, other)))

    @_tracked("minimum")
    def minimum(self, other) -> "Tensor":
        return Tensor(np.minimum(*_promoted_arrays(self, other)))

    def eq(self, other) -> "Tensor":
        return self == other

    def ne(self, other) -> "Tensor":
        return self != other

    def lt(self, other) -> "Tensor":
        return self < other

    def le(self, other) -> "Tensor":
        return self <= other

    def gt(self, other) -> "Tensor":
        return self > other

    def ge(self, other) -> "Tensor":
        return self >= other

    not_equal, less, less_equal, greater, greater_equal = ne, lt, le, gt, ge

    def equal(self, other: "Tensor") -> bool:
        """True when other has the same shape and the same values (torch.equal)."""
        return self.shape == np.shape(other) and bool(np.array_equal(self.data, np.asarray(other)))

    def isclose(self, other, rtol: float = 1e-05, atol: float = 1e-08, equal_nan: bool = False) -> "Tensor":
        return Tensor(np.isclose(self.data, np.asarray(other), rtol=rtol, atol=atol, equal_nan=equal_nan))

    def allclose(self, other, rtol: float = 1e-05, atol: float = 1e-08, equal_nan: bool = False) -> bool:
        return bool(np.allclose(self.data, np.asarray(other), rtol=rtol, atol=atol, equal_nan=equal_nan))

    def isnan(self) -> "Tensor":
        return Tensor(np.isnan(self.data))

    def isinf(self) -> "Tensor":
        return Tensor(np.isinf(self.data))

    def isfinite(self) -> "Tensor":
        return Tensor(np.isfinite(self.data))

    def logical_not(self) -> "Tensor":
        return Tensor(np.logical_not(self.data))

    def logical_and(self, other) -> "Tensor":
        return Tensor(np.logical_and(self.data, np.asarray(other)))

    def logical_or(self, other) -> "Tensor":
        return Tensor(np.logical_or(self.data, np.asarray(other)))

    def logical_xor(self, other) -> "Tensor":
        return Tensor(np.logical_xor(self.data, np.asarray(other)))

    # &, |, ^ and ~ on bool (or integer) tensors: masks combine as in PyTorch
    __and__ = _operator(np.bitwise_and)
    __rand__ = _operator(np.bitwise_and, reflected=True)
    __or__ = _operator(np.bitwise_or)
    __ror__ = _operator(np.bitwise_or, reflected=True)
    __xor__ = _operator(np.bitwise_xor)
    __rxor__ = _operator(np.bitwise_xor, reflected=True)
    # // and %: floor division and its remainder (no gradient, as their derivative is 0)
    __floordiv__ = _operator(np.floor_divide)
    __rfloordiv__ = _operator(np.floor_divide, reflected=True)
    __mod__ = _operator(np.remainder)
    __rmod__ = _operator(np.remainder, reflected=True)

    def __invert__(self) -> "Tensor":
        """~mask: logical not of a bool tensor (bitwise not of an integer one)."""
        if self.dtype.kind == "f":
            raise TypeError("~ (bitwise not) is only defined for bool and integer tensors")
        return Tensor(np.invert(self.data))

    def __pos__(self) -> "Tensor":
        return self

    def __abs__(self) -> "Tensor":
        return self.abs()

    # ---- elementwise maths (module 03 gives each its derivative) -----------------------------

    exp = _tracked("exp")(_elementwise(np.exp))
    exp2 = _tracked("exp2")(_elementwise(np.exp2))
    expm1 = _tracked("expm1")(_elementwise(np.expm1))
    log = _tracked("log")(_elementwise(np.log))
    log2 = _tracked("log2")(_elementwise(np.log2))
    log10 = _tracked("log10")(_elementwise(np.log10))
    log1p = _tracked("log1p")(_elementwise(np.log1p))
    sqrt = _tracked("sqrt")(_elementwise(np.sqrt))
    rsqrt = _tracked("rsqrt")(_elementwise(lambda x: 1 / np.sqrt(x)))
    square = _tracked("square")(_elementwise(np.square, keeps_integers=True))
    reciprocal = _tracked("reciprocal")(_elementwise(np.reciprocal))
    sin = _tracked("sin")(_elementwise(np.sin))
    cos = _tracked("cos")(_elementwise(np.cos))
    tan = _tracked("tan")(_elementwise(np.tan))
    asin = arcsin = _tracked("asin")(_elementwise(np.arcsin))
    acos = arccos = _tracked("acos")(_elementwise(np.arccos))
    atan = arctan = _tracked("atan")(_elementwise(np.arctan))
    sinh = _tracked("sinh")(_elementwise(np.sinh))
    cosh = _tracked("cosh")(_elementwise(np.cosh))
    erf = _tracked("erf")(_elementwise(lambda x: _special().erf(x)))
    abs = absolute = _tracked("abs")(_elementwise(np.abs, keeps_integers=True))
    sign = _tracked("sign")(_elementwise(np.sign, keeps_integers=True))
    floor = _tracked("floor")(_elementwise(np.floor, keeps_integers=True))
    ceil = _tracked("ceil")(_elementwise(np.ceil, keeps_integers=True))
    trunc = fix = _tracked("trunc")(_elementwise(np.trunc, keeps_integers=True))
    frac = _tracked("frac")(_elementwise(lambda x: x - np.trunc(x)))

    @_tracked("round")
    def round(self, decimals: int = 0) -> "Tensor":
        """Rounded to `decimals` places, halves to even (as PyTorch)."""
        return Tensor(np.round(self.data, decimals))

    @_tracked("clamp")
    def clamp(self, min=None, max=None) -> "Tensor":
        """Each element limited to [min, max] (either may be None): min(max(x, min), max)."""
        if min is None and max is None:
            raise RuntimeError("torch.clamp: At least one of 'min' or 'max' must not be None")
        low = -np.inf if min is None else (min.data if isinstance(min, Tensor) else min)
        high = np.inf if max is None else (max.data if isinstance(max, Tensor) else max)
        return Tensor(np.minimum(np.maximum(self.data, low), high).astype(_clamp_dtype(self.dtype, min, max)))

    clip = clamp

    # the activations of module 02, for tensors (module 03 differentiates them)
    @_tracked("relu")
    def relu(self) -> "Tensor":
        return _activations().relu(self)

    @_tracked("sigmoid")
    def sigmoid(self) -> "Tensor":
        return _activations().sigmoid(self)

    @_tracked("tanh")
    def tanh(self) -> "Tensor":
        return _activations().tanh(self)

    @_tracked("softmax")
    def softmax(self, dim: int) -> "Tensor":
        return _activations().softmax(self, dim=dim)

    @_tracked("log_softmax")
    def log_softmax(self, dim: int) -> "Tensor":
        return _activations().log_softmax(self, dim=dim)

    # ---- in place: the tensor itself changes (other names of it see the change) --------------
    # Each is the operation above, written back into this tensor's array (see _write_back).

    def __iadd__(self, other):
        return _in_place(self, "__add__", other)

    def __isub__(self, other):
        return _in_place(self, "__sub__", other)

    def __imul__(self, other):
        return _in_place(self, "__mul__", other)

    def __itruediv__(self, other):
        return _in_place(self, "__truediv__", other)

    def __ipow__(self, other):
        return _in_place(self, "__pow__", other)

    def add_(self, other, *, alpha=1) -> "Tensor":
        return _in_place(self, "add", other, alpha=alpha)

    def sub_(self, other, *, alpha=1) -> "Tensor":
        return _in_place(self, "sub", other, alpha=alpha)

    def mul_(self, other) -> "Tensor":
        return _in_place(self, "__mul__", other)

    def div_(self, other, *, rounding_mode=None) -> "Tensor":
        return _in_place(self, "div", other, rounding_mode=rounding_mode)

    def pow_(self, exponent) -> "Tensor":
        return _in_place(self, "__pow__", exponent)

    def clamp_(self, min=None, max=None) -> "Tensor":
        return _in_place(self, "clamp", min, max)

    clip_ = clamp_

    def masked_fill_(self, mask, value) -> "Tensor":
        return _in_place(self, "masked_fill", mask, value)

    def neg_(self) -> "Tensor":
        return _in_place(self, "__neg__")

    def abs_(self) -> "Tensor":
        return _in_place(self, "abs")

    def exp_(self) -> "Tensor":
        return _in_place(self, "exp")

    def log_(self) -> "Tensor":
        return _in_place(self, "log")

    def sqrt_(self) -> "Tensor":
        return _in_place(self, "sqrt")

    def relu_(self) -> "Tensor":
        return _in_place(self, "relu")

    def sigmoid_(self) -> "Tensor":
        return _in_place(self, "sigmoid")

    def tanh_(self) -> "Tensor":
        return _in_place(self, "tanh")

    def zero_(self) -> "Tensor":
        """Every element set to 0, in place."""
        return _overwrite(self, 0)

    def fill_(self, value) -> "Tensor":
        """Every element set to `value`, in place."""
        return _overwrite(self, value)

    def copy_(self, src) -> "Tensor":
        """The values of src (broadcast to self's shape, cast to self's dtype) written into self."""
        return _overwrite(self, src)

    def normal_(self, mean: float = 0.0, std: float = 1.0, *, generator=None) -> "Tensor":
        """Fill in place with draws from N(mean, std^2) (from tinytorch.default_generator)."""
        return _overwrite(self, (generator or default_generator).normal(mean, std, self.shape))

    def uniform_(self, a: float = 0.0, b: float = 1.0, *, generator=None) -> "Tensor":
        """Fill in place with draws from U(a, b)."""
        return _overwrite(self, (generator or default_generator).uniform(a, b, self.shape))

    def __setitem__(self, index, value):
        """x[mask] = 0, x[:, 1] = other, ...: index assignment, in place (values cast to self's dtype)."""
        _in_place(self, "_index_put", value, _plain_index(index))

    @_tracked("index_put")
    def _index_put(self, value, index) -> "Tensor":
        out = self.data.copy()
        out[index] = value.data if isinstance(value, Tensor) else value
        return Tensor(out)

    @_tracked("fill")
    def _filled(self, value) -> "Tensor":
        """A tensor of self's shape and dtype holding `value` (broadcast, cast as PyTorch's copy_)."""
        out = np.empty_like(self.data)
        np.copyto(out, value.data if isinstance(value, Tensor) else value, casting="unsafe")
        return Tensor(out)

    @_tracked("cat")
    def _cat(self, *others, dim=0) -> "Tensor":
        """self and others joined along the existing axis `dim` (dtypes promote as in +)."""
        if self.ndim == 0 or any(o.ndim == 0 for o in others):
            raise RuntimeError("zero-dimensional tensor cannot be concatenated")
        dtype = self.dtype
        for other in others:
            dtype = promote_types(dtype, other.dtype)
        arrays = [t.data.astype(dtype, copy=False) for t in (self, *others)]
        return Tensor(np.concatenate(arrays, axis=_axis(dim, self.ndim)))

    # ---- casts (last in the class: their names are Python's own types) ----------------------

    def type(self, dtype=None):
        """With a dtype, self converted to it; without, the type's name ('tinytorch.FloatTensor')."""
        if dtype is None:
            return f"tinytorch.{_TYPE_NAMES.get(self.dtype, str(self.dtype))}"
        return self._as(_TYPE_NAMES_BACK.get(dtype, dtype))

    def float(self) -> "Tensor":
        return self._as(np.float32)

    def double(self) -> "Tensor":
        return self._as(np.float64)

    def half(self) -> "Tensor":
        return self._as(np.float16)

    def long(self) -> "Tensor":
        return self._as(np.int64)

    def int(self) -> "Tensor":
        return self._as(np.int32)

    def short(self) -> "Tensor":
        return self._as(np.int16)

    def char(self) -> "Tensor":
        return self._as(np.int8)

    def byte(self) -> "Tensor":
        return self._as(np.uint8)

    def bool(self) -> "Tensor":
        return self._as(np.bool_)


# %% [markdown]
# ### Check 3a: creating tensors

# %%
x = Tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
assert isinstance(x.data, np.ndarray) and x.dtype == np.float32
assert x.shape == (2, 3) and x.ndim == 2 and x.size == 6 and len(x) == 2
assert x.grad is None and x.requires_grad is False
assert Tensor(7).dtype == np.int64 and Tensor(True).dtype == np.bool_ and Tensor(2.5).shape == ()
assert Tensor(np.arange(4, dtype=np.int16)).dtype == np.int16
assert Tensor(np.float64(1.5)).dtype == np.float64
assert Tensor([1, 2], dtype="float64").dtype == np.float64
assert Tensor(x).shape == (2, 3)
rows = [[1.0, 2.0]]
y = Tensor(rows)
rows[0][0] = 99.0
assert y.data[0, 0] == 1.0, "a Tensor must copy a list, not keep it"
assert Tensor([[7]]).item() == 7 and type(Tensor(2.5).item()) is float
assert repr(Tensor([1.0, 2.0])) == "Tensor([1., 2.], dtype=float32)"
assert repr(Tensor([1.0], requires_grad=True)) == "Tensor([1.], dtype=float32, requires_grad=True)"
for bad in ["abc", [[1, 2], [3]], object(), None]:
    try:
        Tensor(bad)
    except TypeError as error:
        print(f"Tensor({bad!r}) -> TypeError: {error}")
    else:
        raise AssertionError(f"Tensor({bad!r}) should raise TypeError")
print(x)
print("Check 3a passed: creating tensors")

# %% [markdown]
# ### Check 3b: arithmetic
# Every operator must give NumPy's values, with broadcasting, and PyTorch's dtypes.

# %%
a_np = np.array([[1.0, -2.0, 3.0]], dtype=np.float32)    # shape (1, 3)
b_np = np.array([[0.5], [2.0]], dtype=np.float32)        # shape (2, 1)
a, b = Tensor(a_np), Tensor(b_np)
for name, got, want in [("+", a + b, a_np + b_np), ("-", a - b, a_np - b_np), ("*", a * b, a_np * b_np),
                        ("/", a / b, a_np / b_np), ("**", b ** a, b_np ** a_np), ("@", b @ a, b_np @ a_np),
                        ("2 - a", 2 - a, 2 - a_np), ("1 / a", 1 / a, 1 / a_np), ("-a", -a, -a_np),
                        ("<", a < b, a_np < b_np), ("==", a == 3.0, a_np == 3.0)]:
    assert got.shape == want.shape and got.dtype == want.dtype, (name, got.shape, got.dtype)
    np.testing.assert_array_equal(got.data, want, err_msg=name)
assert (Tensor([1.0, 2.0]) * 2.0).dtype == np.float32       # a number adapts to the tensor
assert (Tensor([1, 2]) * 0.5).dtype == np.float32           # ... unless it is a higher kind
assert (Tensor([7, 8]) / 2).dtype == np.float32             # int / int is float32
assert (Tensor([1, 2]) + Tensor([0.5], dtype="float64")).dtype == np.float64
assert (Tensor([1, 2]) + Tensor([0.5])).dtype == np.float32  # NumPy would give float64
assert (Tensor(np.ones(2, np.int32)) + 1).dtype == np.int32
print("Check 3b passed: arithmetic")

# %% [markdown]
# ### Check 3c: reductions

# %%
m_np = np.arange(24, dtype=np.float32).reshape(2, 3, 4)
m = Tensor(m_np)
for axis in [None, 0, 1, -1, (0, 2)]:
    for keepdims in [False, True]:
        for method, reference in [("sum", np.sum), ("mean", np.mean), ("amax", np.max), ("amin", np.min)]:
            got = getattr(m, method)(axis=axis, keepdims=keepdims)
            want = reference(m_np, axis=axis, keepdims=keepdims)
            assert got.shape == np.shape(want) and got.dtype == np.float32, (method, axis, keepdims)
            np.testing.assert_allclose(got.data, want, rtol=1e-6)
assert m.sum(dim=1, keepdim=True).shape == (2, 1, 4)       # PyTorch's names
assert Tensor([1, 2]).mean().dtype == np.float32 and Tensor([1, 2]).mean().item() == 1.5
print("Check 3c passed: reductions")

# %% [markdown]
# ### Check 3d: shapes and indexing

# %%
assert m.reshape(6, 4).shape == (6, 4) and m.reshape((4, -1)).shape == (4, 6)
np.testing.assert_array_equal(m.reshape(-1).data, m_np.reshape(-1))
np.testing.assert_array_equal(m.transpose(0, 2).data, np.swapaxes(m_np, 0, 2))
np.testing.assert_array_equal(m.T.data, m_np.T)
np.testing.assert_array_equal(m[1, :, 2].data, m_np[1, :, 2])
assert m[0, 0, 0].shape == () and m[0, 0, 0].dtype == np.float32
v = Tensor([3.0, -1.0, 2.0, -5.0])
np.testing.assert_array_equal(v[v > 0].data, [3.0, 2.0])
np.testing.assert_array_equal(v[Tensor([3, 0])].data, [-5.0, 3.0])
print("Check 3d passed: shapes and indexing")

# %% [markdown]
# ## Step 4 (given): everything PyTorch has on top of your ops
#
# PyTorch's `Tensor` has a few hundred methods. Almost all of them are a line or two on
# top of the operations you just wrote, so TinyTorch gives them to you, written out here
# to read (nothing in this step is an exercise). With them, `import tinytorch as torch`
# runs PyTorch programs unchanged.
#
# | family | methods | built from |
# |---|---|---|
# | shapes | `view`, `unsqueeze`, `squeeze`, `flatten`, `t`, `split`, `chunk`, `narrow` | your `reshape`, `transpose`, indexing |
# | new shape operations | `permute`, `expand`, `repeat`, `flip`, `gather`, `masked_fill`, `where` | one NumPy call each |
# | reductions | `max(dim)`/`min(dim)` as `(values, indices)`, `argmax`, `sort`, `topk`, `var`, `std`, `norm`, `prod`, `cumsum`, `all`, `any` | `argmax` + `gather`, your `mean` and `sum` |
# | by name | `add`, `mul`, `matmul`, `eq`, `gt`, ..., `allclose`, `equal` | your operators |
# | elementwise maths | `exp`, `log`, `sqrt`, `sin`, `cos`, `abs`, `clamp`, `relu`, `sigmoid`, `softmax`, ... | NumPy's ufuncs; module 02's activations |
# | types and devices | `float()`, `long()`, `to(dtype)`, `type`, `device`, `cpu()`, `numel()`, `size(dim)`, `dim()`, `tolist()` | `astype` |
# | in place | `+=`, `add_`, `mul_`, `zero_`, `fill_`, `copy_`, `clamp_`, `normal_`, `uniform_`, `x[mask] = 0` | the operation, written back into the tensor's own array |
#
# Three of them deserve a closer look.
#
# **`max(dim)` returns values and indices.** `values, indices = x.max(dim=1)` is the
# largest element of each row and where it sits, as a named tuple; `x.max()` without a
# dim is one number. The values-only reduction over one or several axes is `amax` (your
# `_reduce` with `np.max`). The indices come from `np.argmax`, and the values are picked
# with `gather`, so that autograd sends each row's gradient to the element that was
# chosen.
#
# **In place means in place.** `y = x; y += 1` changes `x` too, as in PyTorch and NumPy:
# `+=` writes the result into the tensor's own array. That is what makes
# `with torch.no_grad(): p -= lr * p.grad` train a model. Autograd adds two rules,
# PyTorch's: an in-place change of a leaf that requires a gradient (a parameter) is an
# error outside `no_grad()`, since the gradient would describe a tensor that no longer
# exists; and a tensor that a recorded operation needs for its gradient (say the output
# of `exp`) must not change before `backward()`, or the gradient would be computed from
# the wrong numbers. Each array remembers when it was last changed in place (PyTorch calls
# this the version counter), and `backward()` refuses to use one that changed after it was
# recorded. Writing through `.data` (`p.data -= lr * p.grad`) bypasses both rules, as it
# does in PyTorch.
#
# **0-d tensors are like numbers.** In `x * torch.tensor(2.0, dtype=torch.float64)` with
# a float32 `x`, the float64 number does not make the result float64: in PyTorch a 0-d
# tensor only changes the result's dtype when it is of a higher kind (a float with an
# integer tensor), like a Python number. `_operator` applies that rule before your
# `_binary` runs, so `_binary` never sees the difference. (A NumPy array, even a 0-d one,
# promotes as NumPy does, in PyTorch too.)

# %%
#| export
import collections
import inspect
import weakref


class _Writes:
    """When each array was last changed in place: PyTorch's version counter, kept per array.

    Every in-place change counts one `epoch`. Module 03's nodes note the epoch at which they
    were recorded; backward() asks `changed_since(array, epoch)` about the tensors a node
    reads. Views of one array share its record (their root array is the same).
    """

    def __init__(self):
        self.epoch = 0
        self._last = {}  # id(root array) -> (weak reference to it, epoch of its last change)

    @staticmethod
    def _root(array):
        while isinstance(array.base, np.ndarray):
            array = array.base
        return array

    def record(self, array):
        root, self.epoch = self._root(array), self.epoch + 1
        key = id(root)
        self._last[key] = (weakref.ref(root, lambda _, key=key: self._last.pop(key, None)), self.epoch)

    def changed_since(self, array, epoch) -> bool:
        root = self._root(array)
        ref, last = self._last.get(id(root), (None, 0))
        return ref is not None and ref() is root and last > epoch


WRITES = _Writes()

_VIEW_OPS = {"getitem", "reshape", "transpose", "permute", "expand"}


def _requires_recording(tensor, args) -> bool:
    """True when an operation on `tensor` with `args` is recorded by autograd."""
    return _engine.recording and (tensor.requires_grad or
                                  any(isinstance(a, Tensor) and a.requires_grad for a in args))


def _check_in_place(tensor):
    """PyTorch's rules for changing, while recording, a tensor that takes part in autograd."""
    if tensor.requires_grad and tensor.is_leaf:
        raise RuntimeError("a leaf Variable that requires grad is being used in an in-place operation: "
                           "update parameters inside `with torch.no_grad():` (or through .data)")
    if tensor.__dict__.get("_used_by_graph"):
        raise RuntimeError("this tensor was already used by an operation that autograd recorded, and TinyTorch "
                           "records tensors, not their versions: changing it in place would change that "
                           "operation's gradient. Write `x = x + y` instead of `x += y`, or clone() it first")
    if getattr(tensor.grad_fn, "op", None) in _VIEW_OPS:
        raise RuntimeError(f"in-place change of a view of a tensor that requires grad (the result of "
                           f"{tensor.grad_fn.op}): TinyTorch does not track views; change a clone() instead")


def _in_place(tensor, method, *args, **kwargs):
    """Run the out-of-place `method` of `tensor` (a method name, or a function of the tensor)
    and write its result into `tensor` itself.

    While autograd records, the tensor then has the new operation as its grad_fn, whose
    input is a copy of the tensor as it was (PyTorch's rebase of the history).
    """
    compute = (lambda t: getattr(t, method)(*args, **kwargs)) if isinstance(method, str) else \
        (lambda t: method(t, *args, **kwargs))
    if _requires_recording(tensor, args):
        _check_in_place(tensor)
        before = Tensor(tensor.data.copy())
        before.grad_fn, before.requires_grad = tensor.grad_fn, tensor.requires_grad
        result = compute(before)
        if result is NotImplemented:
            return result
        _write_back(tensor, result)
        tensor.grad_fn, tensor.requires_grad = result.grad_fn, result.requires_grad
        return tensor
    result = compute(tensor)
    if result is NotImplemented:
        return result
    _write_back(tensor, result)
    return tensor


def _write_back(tensor, result):
    """result's values into tensor's own array: same shape, and a dtype of no higher kind."""
    if result.shape != tensor.shape:
        raise RuntimeError(f"output with shape {list(tensor.shape)} doesn't match the broadcast shape "
                           f"{list(result.shape)}")
    if _KIND_RANK[result.dtype.kind] > _KIND_RANK[tensor.dtype.kind]:
        raise RuntimeError(f"result type {result.dtype} can't be cast to the desired output type "
                           f"{tensor.dtype} (an in-place operation keeps the tensor's dtype)")
    np.copyto(tensor.data, result.data, casting="unsafe")
    WRITES.record(tensor.data)


def _overwrite(tensor, value):
    """tensor's elements replaced by value (a number, an array or a tensor), in place."""
    return _in_place(tensor, "_filled", value)


def _plain_index(index):
    """An index with every Tensor in it replaced by its array (what NumPy indexing takes)."""
    if isinstance(index, tuple):
        return tuple(i.data if isinstance(i, Tensor) else i for i in index)
    return index.data if isinstance(index, Tensor) else index


# NumPy's operator functions and the Tensor methods for (tensor op x, x op tensor)
_UFUNC_OPERATORS = {
    np.add: ("__add__", "__radd__"), np.subtract: ("__sub__", "__rsub__"),
    np.multiply: ("__mul__", "__rmul__"), np.true_divide: ("__truediv__", "__rtruediv__"),
    np.power: ("__pow__", "__rpow__"), np.matmul: ("__matmul__", "__rmatmul__"),
    np.floor_divide: ("__floordiv__", "__rfloordiv__"), np.remainder: ("__mod__", "__rmod__"),
    np.equal: ("__eq__", "__eq__"), np.not_equal: ("__ne__", "__ne__"),
    np.less: ("__lt__", "__gt__"), np.less_equal: ("__le__", "__ge__"),
    np.greater: ("__gt__", "__lt__"), np.greater_equal: ("__ge__", "__le__"),
    np.bitwise_and: ("__and__", "__rand__"), np.bitwise_or: ("__or__", "__ror__"),
    np.bitwise_xor: ("__xor__", "__rxor__"),
}


def _activations():
    """Module 02, imported when a tensor first calls one of its activations (x.relu())."""
    from tinytorch.core import activations

    return activations


def _special():
    import scipy.special

    return scipy.special


# ---- sizes, axes and shapes -----------------------------------------------------------------

def _shape_arg(sizes) -> tuple:
    """f(2, 3) and f((2, 3)) (and f([2, 3])) both mean the shape (2, 3)."""
    if len(sizes) == 1 and isinstance(sizes[0], (tuple, list)):
        sizes = sizes[0]
    return tuple(int(s) for s in sizes)


def _unsqueezed(shape, dim) -> tuple:
    dim = _axis(dim, len(shape) + 1)
    return shape[:dim] + (1,) + shape[dim:]


def _squeezed(shape, dim) -> tuple:
    if dim is None:
        return tuple(s for s in shape if s != 1)
    dims = {_axis(d, len(shape)) for d in (dim if isinstance(dim, (tuple, list)) else (dim,))}
    return tuple(s for i, s in enumerate(shape) if not (i in dims and s == 1))


def _flattened(shape, start_dim, end_dim) -> tuple:
    if not shape:
        return (1,)
    start, end = _axis(start_dim, len(shape)), _axis(end_dim, len(shape))
    if start > end:
        raise RuntimeError("flatten() has invalid args: start_dim cannot come after end_dim")
    return shape[:start] + (int(np.prod(shape[start:end + 1])),) + shape[end + 1:]


def _permutation(dims, ndim, partial=False) -> tuple:
    dims = _shape_arg(dims) if dims else ()
    axes = tuple(_axis(d, ndim) for d in dims)
    if len(set(axes)) != len(axes) or (not partial and len(axes) != ndim):
        raise RuntimeError(f"number of dims don't match in permute: the tensor has {ndim} dimensions, "
                           f"and each must appear once in {dims}")
    return axes


def _expanded(shape, sizes) -> tuple:
    if len(sizes) < len(shape):
        raise RuntimeError(f"expand: the number of sizes provided ({len(sizes)}) must be greater or equal "
                           f"to the number of dimensions in the tensor ({len(shape)})")
    padded = (1,) * (len(sizes) - len(shape)) + tuple(shape)
    return tuple(old if new == -1 else new for old, new in zip(padded, sizes))


def _split_sizes(shape, split, dim):
    """(start, length) of each piece of `split` along dim (an int size or a list of sizes)."""
    size = shape[_axis(dim, len(shape))]
    if isinstance(split, (int, np.integer)):
        if split <= 0:
            raise RuntimeError(f"split expects split_size be non-negative, but got split_size={split}")
        lengths = [min(split, size - start) for start in range(0, size, split)] or [0]
    else:
        lengths = [int(n) for n in split]
        if sum(lengths) != size:
            raise RuntimeError(f"split_with_sizes expects split_sizes to sum exactly to {size} "
                               f"(input tensor's size at dimension {dim}), but got split_sizes={lengths}")
    starts = np.cumsum([0] + lengths[:-1])
    return list(zip(starts.tolist(), lengths))


def _index_array(index):
    array = index.data if isinstance(index, Tensor) else np.asarray(index)
    if array.dtype.kind not in "iu":
        raise TypeError(f"an index tensor must hold integers (int64), not {array.dtype}")
    return array


def _gather_index(tensor, dim, index):
    array = _index_array(index)
    if array.ndim != tensor.ndim:
        raise RuntimeError(f"Index tensor must have the same number of dimensions as input tensor "
                           f"({array.ndim} != {tensor.ndim})")
    return array


def _mask_array(mask):
    array = mask.data if isinstance(mask, Tensor) else np.asarray(mask)
    if array.dtype != np.bool_:
        raise RuntimeError(f"expected a bool mask (e.g. x > 0), got a tensor of dtype {array.dtype}")
    return array


def _fill_value(value, dtype):
    """A masked_fill value: a number or a one-element tensor, in the tensor's dtype."""
    value = value.item() if isinstance(value, Tensor) else value
    return np.asarray(value).astype(dtype)


def _promoted_arrays(a, b):
    """The arrays of tensor `a` and of `b` in the dtype `a + b` has (PyTorch's promotion)."""
    dtype = _result_dtype(a, b)
    return a.data.astype(dtype, copy=False), np.asarray(b.data if isinstance(b, Tensor) else b, dtype)


def _need_dims(name, ndim, *tensors):
    for t in tensors:
        if t.ndim != ndim:
            raise RuntimeError(f"{name}: expected {ndim}-D tensors, got a tensor of shape {t.shape}")


def _float_dtype(dtype):
    return dtype if dtype.kind == "f" else np.dtype(np.float32)


def _clamp_dtype(dtype, low, high):
    for bound in (low, high):
        if bound is not None:
            dtype = _with_number(dtype, bound.item() if isinstance(bound, Tensor) else bound)
    return dtype


def _rounded_division(a, b, mode):
    q = a / b
    rounded = q.floor() if mode == "floor" else q.trunc()
    both_integer = a.dtype.kind in "iu" and np.asarray(b).dtype.kind in "iu"
    return rounded._as(promote_types(a.dtype, np.asarray(b).dtype)) if both_integer else rounded


# ---- reductions with indices ---------------------------------------------------------------

_RETURN_TYPES = {name: collections.namedtuple(name, ["values", "indices"]) for name in ("max", "min", "sort", "topk")}


def _ValuesIndices(values, indices, name):
    """PyTorch's named tuple of (values, indices): torch.return_types.max and friends."""
    return _RETURN_TYPES[name](values, indices)


def _extreme(tensor, dim, keepdim, axis, keepdims, arg, name):
    """max/min: the value over everything, or (values, indices) along one dim."""
    dim, keepdim = _reduction_axes(axis, keepdims if keepdims is not None else False, dim,
                                   keepdim if keepdims is None else None)
    if dim is None:
        return tensor.amax() if name == "max" else tensor.amin()
    if isinstance(dim, tuple):
        raise TypeError(f"{name}() takes one dim and returns (values, indices); a{name}(dim={dim}) "
                        "reduces several dims and returns the values")
    indices = _arg_extreme(tensor, dim, True, arg)
    values = tensor.gather(dim, indices) if tensor.ndim else tensor
    if not keepdim and tensor.ndim:
        values, indices = values.squeeze(dim), indices.squeeze(dim)
    return _ValuesIndices(values, indices, name)


def _arg_extreme(tensor, dim, keepdim, arg):
    if tensor.size == 0:
        raise IndexError(f"{arg.__name__}(): cannot be computed on an empty tensor")
    if dim is None:
        return Tensor(np.asarray(arg(tensor.data), np.int64))
    axis = _axis(dim, tensor.ndim)
    if tensor.ndim == 0:
        return Tensor(np.asarray(0, np.int64))
    return Tensor(arg(tensor.data, axis=axis, keepdims=keepdim).astype(np.int64))


def _sort_order(data, axis, descending):
    """Indices that sort `data` along axis, stable (equal values keep their order), nan last
    (first when descending), as PyTorch's sort."""
    if data.ndim == 0:
        return np.asarray(0, np.int64)
    if not descending:
        return np.argsort(data, axis=axis, kind="stable").astype(np.int64)
    flipped = np.flip(data, axis)
    order = np.flip(np.argsort(flipped, axis=axis, kind="stable"), axis)
    return (data.shape[axis] - 1 - order).astype(np.int64)


def _reduced(shape, dim):
    """(axes as PyTorch's dim argument, number of elements they hold)."""
    axes = tuple(range(len(shape))) if dim is None else dim
    picked = [_axis(d, len(shape)) for d in (axes if isinstance(axes, (tuple, list)) else (axes,))]
    return axes, int(np.prod([shape[a] for a in picked])) if shape else 1


def _correction(unbiased, correction):
    if correction is not None:
        return correction
    return 1 if unbiased is None or unbiased else 0


def _norm(x, p, dim, keepdim):
    axis = None if dim is None else tuple(_axis(d, x.ndim) for d in (dim if isinstance(dim, (tuple, list)) else (dim,)))
    magnitude = np.abs(x)
    with np.errstate(all="ignore"):
        if p in ("fro", 2):
            return np.sqrt(np.sum(magnitude * magnitude, axis=axis, keepdims=keepdim))
        if p == np.inf:
            return np.max(magnitude, axis=axis, keepdims=keepdim)
        if p == 1:
            return np.sum(magnitude, axis=axis, keepdims=keepdim)
        return np.sum(magnitude ** p, axis=axis, keepdims=keepdim) ** (1.0 / p)


# %% [markdown]
# ### PyTorch's top level: creating tensors, random numbers, devices and dtypes
#
# `import tinytorch as torch` gives these the names PyTorch uses: `torch.tensor`,
# `torch.zeros`, `torch.randn`, `torch.float32`, `torch.device("cpu")`, and the functions
# that are methods too (`torch.exp(x)` is `x.exp()`). Random draws come from
# `default_generator`, a NumPy generator that `manual_seed` resets: the same seed gives
# the same numbers in TinyTorch, but not PyTorch's numbers (its generator is another).
#
# The dtypes are NumPy's (`torch.float32 == np.dtype("float32")`), so `x.dtype ==
# torch.float32` holds. TinyTorch runs on the CPU only: `torch.cuda.is_available()` is
# False, and asking for another device is an error that says so.

# %%
#| export
# PyTorch's dtype names (its `float`, `int` and `bool` are `float32`, `int32` and `bool_` here,
# so that Python's own float, int and bool keep their meaning in this file)
float16 = half = np.dtype(np.float16)
float32 = np.dtype(np.float32)
float64 = double = np.dtype(np.float64)
uint8 = np.dtype(np.uint8)
int8 = np.dtype(np.int8)
int16 = short = np.dtype(np.int16)
int32 = np.dtype(np.int32)
int64 = long = np.dtype(np.int64)
bool_ = np.dtype(np.bool_)

_TYPE_NAMES = {float16: "HalfTensor", float32: "FloatTensor", float64: "DoubleTensor", uint8: "ByteTensor",
               int8: "CharTensor", int16: "ShortTensor", int32: "IntTensor", int64: "LongTensor", bool_: "BoolTensor"}
_TYPE_NAMES_BACK = {f"{prefix}.{name}": dtype for dtype, name in _TYPE_NAMES.items()
                    for prefix in ("torch", "tinytorch")}


def get_default_dtype():
    """The dtype of tensors made from Python floats: float32."""
    return float32


def is_tensor(obj) -> bool:
    return isinstance(obj, Tensor)


def is_floating_point(input: Tensor) -> bool:
    return input.dtype.kind == "f"


class device:
    """Where tensors live: device('cpu'), the only one TinyTorch has.

    device('cuda') (or 'mps', ...) is a RuntimeError saying so, at once, rather than at
    the first tensor moved there.
    """

    def __init__(self, type="cpu", index=None):
        if isinstance(type, device):
            type, index = type.type, type.index
        name = str(type)
        kind, _, number = name.partition(":")
        if kind != "cpu":
            raise _no_accelerator(name)
        self.type = "cpu"
        self.index = int(number) if number else index

    def __eq__(self, other):
        return isinstance(other, device) and other.type == self.type

    def __hash__(self):
        return hash(self.type)

    def __str__(self):
        return self.type

    def __repr__(self):
        return f"device(type='{self.type}')"


def _no_accelerator(name):
    return RuntimeError(f"TinyTorch runs on the CPU only, so device {name!r} is not available "
                        "(tinytorch.cuda.is_available() is False): use 'cpu', or the usual "
                        "`device = 'cuda' if torch.cuda.is_available() else 'cpu'`")


_CPU = device("cpu")


def accelerator_available() -> bool:
    """torch.cuda.is_available() (and torch.accelerator's, torch.backends.mps's): False."""
    return False


def accelerator_count() -> int:
    return 0


def current_accelerator():
    """torch.accelerator.current_accelerator(): None, as on a machine without one."""
    return None


def seed_accelerator(seed):
    """torch.cuda.manual_seed(_all): nothing to seed without an accelerator."""


def _check_device(where):
    if where is not None and not isinstance(where, (Generator, np.dtype)):
        device(where)


def _target_dtype(args, kwargs, current):
    """The dtype of Tensor.to(...)'s arguments: a dtype, a device (checked), a tensor, or both."""
    dtype = kwargs.pop("dtype", None)
    _check_device(kwargs.pop("device", None))
    kwargs.pop("non_blocking", None)
    kwargs.pop("copy", None)
    if kwargs:
        raise TypeError(f"to() got unexpected keyword arguments {sorted(kwargs)}")
    for arg in args:
        if isinstance(arg, Tensor):
            dtype = arg.dtype
        elif isinstance(arg, (str, device)) and not _is_dtype_name(arg):
            device(arg)
        elif arg is not None and not isinstance(arg, bool):
            dtype = arg
    return current if dtype is None else dtype


def _is_dtype_name(arg):
    try:
        np.dtype(arg)
        return not isinstance(arg, device)
    except TypeError:
        return False


# ---- random numbers ------------------------------------------------------------------------

class Generator(np.random.Generator):
    """A source of random numbers, as torch.Generator: Generator().manual_seed(42).

    It is a NumPy Generator (PCG64), so everything that takes one (DataLoader's generator=,
    random_split, np's own methods) takes it; manual_seed, seed and initial_seed are PyTorch's.
    """

    def __init__(self, device="cpu"):
        _check_device(device)
        seed = int(np.random.SeedSequence().entropy % 2**63)
        super().__init__(np.random.PCG64(seed))
        self._initial_seed = seed

    def manual_seed(self, seed) -> "Generator":
        """Reset to the stream of `seed` (an int); returns self, as PyTorch."""
        if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
            raise TypeError(f"manual_seed expects an integer seed, got {type(seed).__name__}")
        self.bit_generator.state = np.random.PCG64(int(seed)).state
        self._initial_seed = int(seed)
        return self

    def seed(self) -> int:
        """Reset to a fresh random seed and return it."""
        seed = int(np.random.SeedSequence().entropy % 2**63)
        self.manual_seed(seed)
        return seed

    def initial_seed(self) -> int:
        return self._initial_seed

    def get_state(self) -> dict:
        return self.bit_generator.state

    def set_state(self, state: dict) -> "Generator":
        self.bit_generator.state = state
        return self

    @property
    def device(self):
        return _CPU


# Every random draw in TinyTorch (rand, weight init, Dropout, shuffling) comes from this one
# generator unless a generator= is given; manual_seed resets it in place, so code holding
# it sees the new seed.
default_generator = Generator()


def manual_seed(seed) -> Generator:
    """Seed TinyTorch's random numbers (as torch.manual_seed); returns the default generator.

    The same seed gives the same draws in TinyTorch; PyTorch's generator is a different one.
    """
    return default_generator.manual_seed(seed)


def seed() -> int:
    return default_generator.seed()


def initial_seed() -> int:
    return default_generator.initial_seed()


def _made(array, dtype=None, requires_grad=False, device=None):
    """A new tensor of `array` (already in the right shape), dtype= and device= checked."""
    _check_device(device)
    return Tensor(array, dtype=dtype, requires_grad=requires_grad)


def rand(*size, generator=None, dtype=None, device=None, requires_grad=False) -> Tensor:
    """Uniform draws from [0, 1): rand(2, 3) or rand((2, 3)); float32 unless dtype= says otherwise."""
    draws = (generator or default_generator).random(_shape_arg(size))
    return _made(draws, dtype or float32, requires_grad, device)


def randn(*size, generator=None, dtype=None, device=None, requires_grad=False) -> Tensor:
    """Standard normal draws N(0, 1): randn(2, 3) or randn((2, 3)); float32 by default."""
    draws = (generator or default_generator).standard_normal(_shape_arg(size))
    return _made(draws, dtype or float32, requires_grad, device)


def randint(low=0, high=None, size=None, *, generator=None, dtype=None, device=None,
            requires_grad=False) -> Tensor:
    """Integers drawn uniformly from [low, high): randint(10, (3,)) or randint(2, 10, (3,)); int64."""
    if size is None:  # randint(high, size)
        low, high, size = 0, low, high
    if size is None:
        raise TypeError("randint() needs a size, e.g. randint(10, (3,))")
    draws = (generator or default_generator).integers(low, high, _shape_arg((size,)))
    return _made(draws, dtype or int64, requires_grad, device)


def randperm(n: int, *, generator=None, dtype=None, device=None, requires_grad=False) -> Tensor:
    """A random permutation of 0..n-1 (int64)."""
    return _made((generator or default_generator).permutation(n), dtype or int64, requires_grad, device)


def normal(mean=0.0, std=1.0, size=None, *, generator=None, dtype=None, device=None,
           requires_grad=False) -> Tensor:
    """Draws from N(mean, std^2): tensors of means and stds (broadcast), or numbers and a size."""
    mean_array, std_array = np.asarray(mean), np.asarray(std)
    shape = _shape_arg((size,)) if size is not None else np.broadcast_shapes(mean_array.shape, std_array.shape)
    draws = (generator or default_generator).normal(mean_array, std_array, shape)
    kinds = [m.dtype for m in (mean, std) if isinstance(m, Tensor)]
    return _made(draws, dtype or (kinds[0] if kinds else float32), requires_grad, device)


def multinomial(input: Tensor, num_samples: int, replacement: bool = False, *, generator=None) -> Tensor:
    """Indices drawn with probabilities proportional to the rows of `input` (int64).

    input: (C,) or (N, C) non-negative weights; num_samples per row; without replacement
    each index is drawn at most once per row.
    """
    weights = np.asarray(input, dtype=np.float64)
    rows = weights.reshape(-1, weights.shape[-1]) if weights.ndim else weights.reshape(1, 1)
    if (rows < 0).any() or not np.isfinite(rows).all() or (rows.sum(axis=1) <= 0).any():
        raise RuntimeError("multinomial: probability tensor contains either inf, nan or element < 0, "
                           "or a row that sums to 0")
    if not replacement and num_samples > rows.shape[1]:
        raise RuntimeError(f"multinomial: cannot sample n_sample={num_samples} > prob_dist.size(-1)="
                           f"{rows.shape[1]} samples without replacement")
    rng = generator or default_generator
    picked = [rng.choice(rows.shape[1], size=num_samples, replace=replacement, p=row / row.sum()) for row in rows]
    out = np.asarray(picked, dtype=np.int64)
    return Tensor(out if weights.ndim > 1 else out.reshape(num_samples))


def bernoulli(input: Tensor, *, generator=None) -> Tensor:
    """1 with probability input (elementwise), else 0, in input's dtype."""
    p = np.asarray(input)
    return Tensor(((generator or default_generator).random(p.shape) < p).astype(p.dtype))


# ---- creating tensors ------------------------------------------------------------------------

def tensor(data, dtype=None, device=None, requires_grad=False) -> Tensor:
    """A new tensor holding a copy of `data` (numbers, nested lists, an array or a tensor).

    Python floats become float32, ints int64, bools bool; an array keeps its dtype.
    """
    _check_device(device)
    if isinstance(data, (Tensor, np.ndarray)):
        data = np.array(data, copy=True)
    return Tensor(data, dtype=dtype, requires_grad=requires_grad)


def as_tensor(data, dtype=None, device=None) -> Tensor:
    """`data` as a tensor, sharing memory with a NumPy array or tensor when the dtype allows."""
    _check_device(device)
    if isinstance(data, Tensor) and (dtype is None or _to_dtype(dtype) == data.dtype):
        return data
    return Tensor(data, dtype=dtype)


def from_numpy(array: np.ndarray) -> Tensor:
    """A tensor sharing the array's memory: changing one changes the other."""
    if not isinstance(array, np.ndarray):
        raise TypeError(f"expected np.ndarray (got {type(array).__name__})")
    return Tensor(array)


def _new_full(size, value, dtype, requires_grad, device):
    shape = _shape_arg(size)
    dtype = _to_dtype(dtype) if dtype is not None else Tensor(value).dtype
    return _made(np.full(shape, value, dtype), None, requires_grad, device)


def zeros(*size, dtype=None, device=None, requires_grad=False) -> Tensor:
    """A tensor of zeros: zeros(2, 3) or zeros((2, 3)); float32 unless dtype= says otherwise."""
    return _new_full(size, 0.0, dtype or float32, requires_grad, device)


def ones(*size, dtype=None, device=None, requires_grad=False) -> Tensor:
    """A tensor of ones: ones(2, 3) or ones((2, 3)); float32 by default."""
    return _new_full(size, 1.0, dtype or float32, requires_grad, device)


def empty(*size, dtype=None, device=None, requires_grad=False) -> Tensor:
    """A tensor whose values are not set (here: zeros, so that no garbage is ever read)."""
    return _new_full(size, 0.0, dtype or float32, requires_grad, device)


def full(size, fill_value, *, dtype=None, device=None, requires_grad=False) -> Tensor:
    """A tensor of `fill_value`; its dtype follows the value (3.5: float32, 3: int64, True: bool)."""
    return _new_full((size,), fill_value, dtype, requires_grad, device)


def _like(input, dtype):
    return input.dtype if dtype is None else dtype


def zeros_like(input: Tensor, *, dtype=None, device=None, requires_grad=False) -> Tensor:
    return _new_full((input.shape,), 0, _like(input, dtype), requires_grad, device)


def ones_like(input: Tensor, *, dtype=None, device=None, requires_grad=False) -> Tensor:
    return _new_full((input.shape,), 1, _like(input, dtype), requires_grad, device)


def empty_like(input: Tensor, *, dtype=None, device=None, requires_grad=False) -> Tensor:
    return _new_full((input.shape,), 0, _like(input, dtype), requires_grad, device)


def full_like(input: Tensor, fill_value, *, dtype=None, device=None, requires_grad=False) -> Tensor:
    return _new_full((input.shape,), fill_value, _like(input, dtype), requires_grad, device)


def rand_like(input: Tensor, *, dtype=None, device=None, requires_grad=False) -> Tensor:
    return rand(input.shape, dtype=_like(input, dtype), device=device, requires_grad=requires_grad)


def randn_like(input: Tensor, *, dtype=None, device=None, requires_grad=False) -> Tensor:
    return randn(input.shape, dtype=_like(input, dtype), device=device, requires_grad=requires_grad)


def randint_like(input: Tensor, low=0, high=None, *, dtype=None, device=None) -> Tensor:
    return randint(low, high, input.shape, dtype=_like(input, dtype), device=device)


def arange(start=0, end=None, step=1, *, dtype=None, device=None, requires_grad=False) -> Tensor:
    """start, start + step, ... below end: arange(5), arange(1, 4), arange(0, 1, 0.25).

    int64 when every argument is an integer, float32 otherwise (as PyTorch).
    """
    if end is None:
        start, end = 0, start
    numbers = [v.item() if isinstance(v, Tensor) else v for v in (start, end, step)]
    if step == 0:
        raise RuntimeError("arange: step must be nonzero")
    count = max(0, int(np.ceil((numbers[1] - numbers[0]) / numbers[2])))
    integral = all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in numbers)
    values = numbers[0] + numbers[2] * np.arange(count, dtype=np.int64 if integral else np.float64)
    return _made(values, dtype or (int64 if integral else float32), requires_grad, device)


def linspace(start, end, steps: int, *, dtype=None, device=None, requires_grad=False) -> Tensor:
    """`steps` evenly spaced values from start to end, both included (float32 by default)."""
    return _made(np.linspace(start, end, steps), dtype or float32, requires_grad, device)


def logspace(start, end, steps: int, base: float = 10.0, *, dtype=None, device=None) -> Tensor:
    return _made(np.logspace(start, end, steps, base=base), dtype or float32, False, device)


def eye(n: int, m=None, *, dtype=None, device=None, requires_grad=False) -> Tensor:
    """The n x m identity matrix (m = n by default)."""
    return _made(np.eye(n, m), dtype or float32, requires_grad, device)


# ---- joining, choosing ---------------------------------------------------------------------

def cat(tensors, dim: int = 0) -> Tensor:
    """The tensors joined along an existing axis `dim` (their other sizes must agree)."""
    tensors = [t if isinstance(t, Tensor) else Tensor(t) for t in tensors]
    if not tensors:
        raise RuntimeError("cat() expected a non-empty list of Tensors")
    return tensors[0]._cat(*tensors[1:], dim=dim)


concat = concatenate = cat


def stack(tensors, dim: int = 0) -> Tensor:
    """The tensors (all of one shape) joined along a new axis `dim`."""
    tensors = [t if isinstance(t, Tensor) else Tensor(t) for t in tensors]
    if not tensors:
        raise RuntimeError("stack expects a non-empty TensorList")
    shapes = {t.shape for t in tensors}
    if len(shapes) > 1:
        raise RuntimeError(f"stack expects each tensor to be equal size, but got {sorted(shapes)}")
    return cat([t.unsqueeze(dim) for t in tensors], dim=dim)


def hstack(tensors) -> Tensor:
    return cat(tensors, dim=0 if all(np.ndim(t) == 1 for t in tensors) else 1)


def vstack(tensors) -> Tensor:
    return cat([t.reshape(1, -1) if np.ndim(t) == 1 else t for t in tensors], dim=0)


def where(condition, input=None, other=None):
    """input where condition is True, else other (numbers are allowed for either);
    where(condition) alone gives the indices of the True elements, one tensor per axis."""
    if input is None and other is None:
        return Tensor(condition).nonzero(as_tuple=True)
    if not isinstance(input, Tensor):
        if isinstance(other, Tensor):  # where(mask, 0.0, x): the number adapts to x
            like = Tensor(np.asarray(input, _result_dtype(other, input)))
            return like._where(other, condition)
        input = Tensor(input)
    return input._where(other, condition)


def numel(input: Tensor) -> int:
    return input.numel()


def equal(input: Tensor, other: Tensor) -> bool:
    """True when both have the same shape and the same values."""
    return input.equal(other)


def allclose(input: Tensor, other: Tensor, rtol: float = 1e-05, atol: float = 1e-08, equal_nan: bool = False) -> bool:
    """True when |input - other| <= atol + rtol |other| everywhere (numbers or tensors)."""
    return bool(np.allclose(np.asarray(input), np.asarray(other), rtol=rtol, atol=atol, equal_nan=equal_nan))


def _into(out, result):
    """PyTorch's out= argument: the result written into `out` (resized when its shape differs)."""
    if isinstance(result, tuple):
        return type(result)(*(_into(o, r) for o, r in zip(out, result)))
    if out.shape == result.shape:
        return out.copy_(result)
    _write_back(Tensor(np.empty(result.shape, out.dtype)), result)  # the dtype check, on a scratch array
    out.data = result.data.astype(out.dtype)
    return out


def _function(name):
    """torch.<name>(input, ...), the same as input.<name>(...): one implementation, the method's."""
    method = getattr(Tensor, name)

    def function(input, *args, out=None, **kwargs):
        result = getattr(input if isinstance(input, Tensor) else Tensor(input), name)(*args, **kwargs)
        return result if out is None else _into(out, result)
    function.__name__ = function.__qualname__ = name
    function.__doc__ = f"torch.{name}(input, ...) is input.{name}(...). " + (method.__doc__ or "")
    try:
        signature = inspect.signature(method)
        first, *rest = signature.parameters.values()
        function.__signature__ = signature.replace(parameters=[first.replace(name="input"), *rest])
    except (TypeError, ValueError):
        pass
    return function


# torch.exp(x) is x.exp(), and so on
exp = _function("exp")
exp2 = _function("exp2")
expm1 = _function("expm1")
log = _function("log")
log2 = _function("log2")
log10 = _function("log10")
log1p = _function("log1p")
sqrt = _function("sqrt")
rsqrt = _function("rsqrt")
square = _function("square")
reciprocal = _function("reciprocal")
sin = _function("sin")
cos = _function("cos")
tan = _function("tan")
asin = _function("asin")
acos = _function("acos")
atan = _function("atan")
sinh = _function("sinh")
cosh = _function("cosh")
tanh = _function("tanh")
erf = _function("erf")
sigmoid = _function("sigmoid")
relu = _function("relu")
sign = _function("sign")
floor = _function("floor")
ceil = _function("ceil")
trunc = _function("trunc")
frac = _function("frac")
clamp = _function("clamp")
clip = _function("clip")
neg = _function("neg")
negative = _function("negative")
add = _function("add")
sub = _function("sub")
subtract = _function("subtract")
mul = _function("mul")
multiply = _function("multiply")
div = _function("div")
divide = _function("divide")
true_divide = _function("true_divide")
matmul = _function("matmul")
mm = _function("mm")
bmm = _function("bmm")
dot = _function("dot")
mv = _function("mv")
outer = _function("outer")
maximum = _function("maximum")
minimum = _function("minimum")
eq = _function("eq")
ne = _function("ne")
lt = _function("lt")
le = _function("le")
gt = _function("gt")
ge = _function("ge")
isclose = _function("isclose")
isnan = _function("isnan")
isinf = _function("isinf")
isfinite = _function("isfinite")
logical_not = _function("logical_not")
logical_and = _function("logical_and")
logical_or = _function("logical_or")
logical_xor = _function("logical_xor")
amax = _function("amax")
amin = _function("amin")
argmax = _function("argmax")
argmin = _function("argmin")
sort = _function("sort")
argsort = _function("argsort")
topk = _function("topk")
mean = _function("mean")
std = _function("std")
var = _function("var")
norm = _function("norm")
prod = _function("prod")
cumsum = _function("cumsum")
logsumexp = _function("logsumexp")
count_nonzero = _function("count_nonzero")
reshape = _function("reshape")
flatten = _function("flatten")
unflatten = _function("unflatten")
squeeze = _function("squeeze")
unsqueeze = _function("unsqueeze")
transpose = _function("transpose")
permute = _function("permute")
t = _function("t")
swapaxes = _function("swapaxes")
flip = _function("flip")
split = _function("split")
chunk = _function("chunk")
unbind = _function("unbind")
narrow = _function("narrow")
select = _function("select")
index_select = _function("index_select")
gather = _function("gather")
masked_fill = _function("masked_fill")
nonzero = _function("nonzero")
clone = _function("clone")
softmax = _function("softmax")
log_softmax = _function("log_softmax")
detach = _function("detach")

# Python's own built-in names stay Python's in this file: tinytorch.sum, tinytorch.max, ... are
# these (the namespace gives them PyTorch's names)
tensor_sum = _function("sum")
tensor_max = _function("max")
tensor_min = _function("min")
tensor_abs = _function("abs")
tensor_all = _function("all")
tensor_any = _function("any")
tensor_round = _function("round")
tensor_pow = _function("pow")


# %% [markdown]
# ### Step 4 in use
#
# Nothing to write: a few of PyTorch's idioms, running on your `Tensor`.

# %%
x = tensor([[1.0, 5.0, 3.0], [4.0, 2.0, 6.0]])
values, indices = x.max(dim=1)                    # the largest of each row, and where it is
assert values.tolist() == [5.0, 6.0] and indices.tolist() == [1, 2] and indices.dtype == int64
assert x.size() == (2, 3) and x.size(1) == 3 and x.numel() == 6 and x.dim() == 2
assert x.view(-1).shape == (6,) and x.unsqueeze(0).shape == (1, 2, 3) and x.t().shape == (3, 2)
assert cat([x, x], dim=1).shape == (2, 6) and stack([x, x]).shape == (2, 2, 3)
assert (x > 2).float().dtype == float32 and x.long().dtype == int64 and x.to(float64).dtype == float64
assert f"{x.sum():.2f}" == "21.00"
y = x          # another name for the same tensor
y += 1         # in place: x changes too
assert x[0, 0].item() == 2.0
x[x > 5] = 0.0
assert x.tolist() == [[2.0, 0.0, 4.0], [5.0, 3.0, 0.0]]
half = (x * tensor(0.5, dtype=float64)).dtype   # a 0-d float64 operand does not promote float32
assert half == float32
manual_seed(0)
first = randn(3)
manual_seed(0)
assert equal(first, randn(3))
print("Step 4 works:", values, indices, sep="\n")


# %% [markdown]
# ## Putting it together
#
# A linear layer is `y = x @ W + b`: a batch of 4 inputs with 3 features, a weight
# matrix of shape `(3, 2)` and a bias of shape `(2,)` that broadcasts over the batch.
# Then a mean squared error against targets reduces everything to one number.

# %%
rng = np.random.default_rng(0)
x = Tensor(rng.standard_normal((4, 3)), dtype="float32")
W = Tensor(rng.standard_normal((3, 2)), dtype="float32")
b = Tensor([0.1, -0.1])
target = Tensor([[0.0, 1.0]] * 4)
y = x @ W + b
loss = ((y - target) ** 2).mean()
assert y.shape == (4, 2) and loss.shape == () and loss.dtype == np.float32
want = ((x.data @ W.data + b.data - target.data) ** 2).mean()
assert np.isclose(loss.item(), want, rtol=1e-6)
print(y)
print(loss)

# %% [markdown]
# ## What's next
#
# You have a tensor with PyTorch's interface. Run the full tests and export it:
#
# ```bash
# tito test tensor
# tito sync --module tensor
# ```
#
# Module 02 (activations) imports it with `from tinytorch.core.tensor import Tensor`
# and applies ReLU, Sigmoid and friends to every element.

# %% [markdown]
# ## How this module is graded
#
# `tito grade` runs this module's tests on your code. The tests that code computing
# nothing passes too (a shape, a dtype, an error for a ragged list) share 5% of the
# score; the tests that need the right values share the other 95%.
