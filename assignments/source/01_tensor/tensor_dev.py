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


def promote_types(a, b):
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
# - **3c. Reductions**: `_reduce`, behind `sum`, `mean`, `max`, `min`.
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
# One difference from PyTorch: `x.max(dim=0)` in PyTorch returns values *and* indices;
# here `max` and `min` return only the values.
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

    def apply(self, name, tensor, args, kwargs):
        """Run the tracked method `name` of `tensor` and record it; called only while recording."""
        raise NotImplementedError(f"{type(self).__name__} does not record operations")

    def backward(self, tensor, gradient=None, retain_graph=None):
        raise RuntimeError("backward() needs autograd (module 03): `import tinytorch.autograd` "
                           "before computing, so that operations are recorded")


_engine = GradientEngine()


def set_autograd_engine(engine):
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
    """A method computing `self <op> other` (or `other <op> self` when reflected)."""
    def method(self, other):
        return self._binary(other, op, reflected)
    method.__doc__ = f"np.{op.__name__} of the two operands, with broadcasting; see Tensor._binary."
    return method


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

    # Tell numpy to hand `ndarray + Tensor` to Tensor.__radd__ instead of
    # converting the tensor itself.
    __array_ufunc__ = None

    # ---- 3a. creating tensors ------------------------------------------------

    def __init__(self, data, dtype=None, requires_grad=False):
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
    def shape(self):
        """Size of each axis, a tuple: (2, 3) for 2 rows of 3."""
        return self.data.shape

    @property
    def dtype(self):
        """The numpy dtype of the elements, e.g. dtype('float32')."""
        return self.data.dtype

    @property
    def ndim(self):
        """Number of axes: 0 for a scalar, 2 for a matrix."""
        return self.data.ndim

    @property
    def size(self):
        """Number of elements, the product of the shape (PyTorch: numel())."""
        return self.data.size

    def numpy(self):
        """The underlying numpy array (shared, not copied)."""
        return self.data

    def __array__(self, dtype=None, copy=None):
        """Let numpy read a Tensor: np.asarray(t), np.testing.assert_allclose(t, ...)."""
        if copy:
            return np.array(self.data, dtype=dtype, copy=True)
        return np.asarray(self.data, dtype=dtype)

    def item(self):
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

    def __len__(self):
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

    def __bool__(self):
        """Truth of a one-element tensor; ambiguous (RuntimeError) otherwise."""
        if self.size != 1:
            raise RuntimeError(f"the truth value of a tensor with {self.size} elements is ambiguous; "
                               "reduce it first, e.g. bool((a == b).min()) means 'all equal'")
        return bool(self.data.item())

    def __float__(self):
        return float(self.item())

    def __int__(self):
        return int(self.item())

    # ---- gradients: module 03 (autograd) gives these their meaning ---------------

    grad_fn = None        # the autograd node that computed this tensor; None for a leaf
    retains_grad = False  # a non-leaf keeps its .grad only after retain_grad()

    @property
    def is_leaf(self):
        """True unless autograd recorded this tensor as the result of an operation."""
        return self.grad_fn is None

    def backward(self, gradient=None, retain_graph=None):
        """Gradients of this tensor with respect to every leaf that requires them, into .grad.

        gradient: d(something)/d(self), shape of self; omitted, only a one-element tensor
        works (it means 1). The autograd engine (module 03) does the work.
        """
        _engine.backward(self, gradient, retain_graph)

    def detach(self):
        """The same data (shared, not copied) as a new leaf that requires no gradient."""
        return Tensor(self.data)

    def requires_grad_(self, requires_grad=True):
        """Set requires_grad in place (floating point only, leaves only); returns self."""
        if requires_grad and self.dtype.kind != "f":
            raise RuntimeError(f"only floating-point tensors can require gradients, not {self.dtype}")
        if not self.is_leaf and not requires_grad:
            raise RuntimeError("you can only change requires_grad of leaf tensors; "
                               "use detach() for a copy outside the graph")
        self.requires_grad = bool(requires_grad)
        return self

    def retain_grad(self):
        """Keep this non-leaf tensor's gradient in .grad during backward()."""
        if not self.requires_grad:
            raise RuntimeError("retain_grad() on a tensor that does not require gradients")
        if not self.is_leaf:
            self.retains_grad = True

    def __repr__(self):
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
    def _binary(self, other, op, reflected=False):
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
    __matmul__ = _tracked("matmul")(_operator(np.matmul))
    __rmatmul__ = _tracked("rmatmul")(_operator(np.matmul, reflected=True))
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
    def _reduce(self, op, axis, keepdims, dim, keepdim):
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
    def sum(self, axis=None, keepdims=False, *, dim=None, keepdim=None):
        """Sum of the elements over `axis` (an int, a tuple, or None for all)."""
        return self._reduce(np.sum, axis, keepdims, dim, keepdim)

    @_tracked("mean")
    def mean(self, axis=None, keepdims=False, *, dim=None, keepdim=None):
        """Mean over `axis`: sum / count. Integer and bool tensors give float32."""
        return self._reduce(np.mean, axis, keepdims, dim, keepdim)

    @_tracked("max")
    def max(self, axis=None, keepdims=False, *, dim=None, keepdim=None):
        """Largest element over `axis` (values only, no indices)."""
        return self._reduce(np.max, axis, keepdims, dim, keepdim)

    @_tracked("min")
    def min(self, axis=None, keepdims=False, *, dim=None, keepdim=None):
        """Smallest element over `axis` (values only, no indices)."""
        return self._reduce(np.min, axis, keepdims, dim, keepdim)

    # ---- 3d. shapes and indexing -------------------------------------------------

    @_tracked("reshape")
    def reshape(self, *shape):
        """Same elements, new shape: x.reshape(2, 3), x.reshape((2, 3)), x.reshape(-1)."""
        # TODO: accept reshape(2, 3) and reshape((2, 3)); return a new Tensor.
        # APPROACH: one tuple or list argument is the whole shape; then self.data.reshape.
        ### BEGIN SOLUTION
        if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
            shape = tuple(shape[0])
        return Tensor(self.data.reshape(shape))
        ### END SOLUTION

    @_tracked("transpose")
    def transpose(self, dim0=None, dim1=None):
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
    def T(self):
        """All axes reversed: the matrix transpose for 2-d tensors."""
        return self.transpose()

    @_tracked("getitem")
    def __getitem__(self, index):
        """x[0], x[:, 1], x[1:3, ::2], x[mask] ... as in numpy; Tensors may be indices."""
        # TODO: index self.data and wrap the result in a Tensor.
        # HINTS: x[1, 2] passes the tuple (1, 2) as `index`; x[mask] passes mask itself.
        #        numpy accepts a Tensor inside the index: it converts it with __array__.
        #        A single element comes back as a numpy scalar; Tensor() keeps its dtype.
        ### BEGIN SOLUTION
        return Tensor(self.data[index])
        ### END SOLUTION


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
        for method, reference in [("sum", np.sum), ("mean", np.mean), ("max", np.max), ("min", np.min)]:
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
