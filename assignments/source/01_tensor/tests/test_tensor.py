"""Tests for tinytorch.core.tensor.

References: NumPy for values, shapes and broadcasting; PyTorch for the dtype rules
(defaults, promotion, numbers in operations), which TinyTorch follows.
"""
import operator
import warnings

import hypothesis.extra.numpy as hnp
import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from tinytorch.core.tensor import Tensor, promote_types

ALL_DTYPES = ["bool", "uint8", "int8", "int16", "int32", "int64", "float16", "float32", "float64"]


def torch_dtype_name(dtype):
    """'float32' for torch.float32."""
    return str(dtype).removeprefix("torch.")


def array_strategy(dtype, shape, low, high):
    """Arrays of `dtype` and `shape` with elements in [low, high]."""
    dtype = np.dtype(dtype)
    if dtype.kind == "f":
        elements = st.floats(low, high, width=8 * dtype.itemsize)
    else:
        elements = st.integers(int(low), int(high))
    return hnp.arrays(dtype, shape, elements=elements)


# ---------------------------------------------------------------- creating tensors

@pytest.mark.parametrize("data", [
    2.5, 3, True, -0.0, [1, 2], [1.0, 2.0], [1, 2.5], [True, 2], [True, 2.5], [True, False],
    [], [[], []], [[1, 2], [3, 4]], (1, 2), [[[1.5]], [[2]]],
    [np.float64(1.5), 2.0], [np.int32(1), 2], [np.int32(1)], [np.int32(1), 2.5],
    [np.float16(1.0), np.float16(2.0)], [np.uint8(1), np.int8(-1)],
], ids=repr)
def test_python_data_gets_torch_dtype_shape_and_values(data, torch):
    got = Tensor(data)
    expected = torch.tensor(data)
    assert isinstance(got.data, np.ndarray)
    assert str(got.dtype) == torch_dtype_name(expected.dtype), f"Tensor({data!r}).dtype"
    assert got.shape == tuple(expected.shape), f"Tensor({data!r}).shape"
    np.testing.assert_array_equal(got.data, expected.numpy(), strict=True)


@pytest.mark.parametrize("dtype", ALL_DTYPES)
def test_numpy_array_keeps_its_dtype_and_values(dtype):
    array = np.arange(-3, 3).reshape(2, 3).astype(dtype)
    got = Tensor(array)
    assert got.dtype == array.dtype and got.shape == (2, 3)
    np.testing.assert_array_equal(got.data, array, strict=True)


@pytest.mark.parametrize("scalar", [np.float64(1.5), np.float16(-2.0), np.int32(7), np.uint8(200), np.bool_(True)],
                         ids=repr)
def test_numpy_scalar_keeps_its_dtype(scalar):
    got = Tensor(scalar)
    assert got.dtype == scalar.dtype and got.shape == () and got.item() == scalar.item()


def test_tensor_from_tensor_keeps_values_and_dtype():
    source = Tensor([[1, 2], [3, 4]], dtype="int16")
    got = Tensor(source)
    assert got.dtype == np.int16 and got.shape == (2, 2)
    np.testing.assert_array_equal(got.data, [[1, 2], [3, 4]])


def test_list_of_tensors_stacks_them():
    got = Tensor([Tensor([1.0, 2.0]), Tensor([3.0, 4.0])])
    assert got.shape == (2, 2) and got.dtype == np.float32
    np.testing.assert_array_equal(got.data, [[1.0, 2.0], [3.0, 4.0]])


@pytest.mark.parametrize("dtype, expected", [
    ("float64", np.float64), (np.int32, np.int32), (np.dtype("int8"), np.int8), ("bool", np.bool_),
    (float, np.float64), ("float16", np.float16),
], ids=str)
def test_dtype_argument_overrides(dtype, expected):
    got = Tensor([0, 1.7, -2.2], dtype=dtype)
    assert got.dtype == expected
    np.testing.assert_array_equal(got.data, np.array([0, 1.7, -2.2]).astype(expected))
    array = np.array([1.25, 2.5], dtype=np.float64)
    assert Tensor(array, dtype=dtype).dtype == expected


@pytest.mark.parametrize("dtype", ["floaty", "str", object, "complex64", "datetime64[s]"], ids=str)
def test_bad_dtype_argument_raises_type_error(dtype):
    with pytest.raises(TypeError, match="dtype"):
        Tensor([1.0], dtype=dtype)


def test_list_is_copied():
    rows = [[1.0, 2.0], [3.0, 4.0]]
    tensor = Tensor(rows)
    rows[0][0] = 100.0
    assert tensor.data[0, 0] == 1.0


@pytest.mark.parametrize("data, words", [
    ("abc", ["str", "'abc'", "expected a number"]),
    ([[1, 2], [3]], ["ragged nested list", "data[1] has length 1", "data[0] has length 2", "row lengths differ"]),
    ([[[1, 2], [3, 4]], [[5, 6], [7]]], ["ragged", "data[1][1] has length 1", "data[1][0] has length 2"]),
    ([[1], 2], ["ragged", "data[1] is a number", "data[0] has length 1"]),
    ([[1, 2], [[3, 4], [5, 6]]], ["ragged", "data[1] has shape (2, 2)"]),
    (object(), ["object", "expected a number"]),
    (None, ["None"]),
    ([1.0, None], ["None at data[1]"]),
    ([1, "x"], ["str", "'x'", "at data[1]"]),
    ({1: 2}, ["dict"]),
    (1 + 2j, ["complex"]),
    (np.array(["a", "b"]), ["numpy array", "<U1"]),
    (np.array([1, None], dtype=object), ["numpy array", "dtype object"]),
], ids=repr)
def test_bad_data_raises_type_error_naming_the_problem(data, words):
    with pytest.raises(TypeError) as error:
        Tensor(data)
    for word in words:
        assert word in str(error.value), f"Tensor({data!r}): {str(error.value)!r} should mention {word!r}"


def test_integer_too_large_for_int64_raises_overflow_error():
    with pytest.raises(OverflowError, match="int64"):
        Tensor([1, 2**70])


def test_attributes():
    tensor = Tensor(np.zeros((2, 3, 4), dtype=np.float32))
    assert tensor.shape == (2, 3, 4) and isinstance(tensor.shape, tuple)
    assert tensor.ndim == 3 and tensor.size == 24
    assert tensor.dtype == np.dtype("float32") and isinstance(tensor.dtype, np.dtype)
    assert tensor.grad is None and tensor.requires_grad is False
    scalar = Tensor(5.0)
    assert scalar.shape == () and scalar.ndim == 0 and scalar.size == 1


def test_requires_grad_only_for_floating_point():
    assert Tensor([1.0, 2.0], requires_grad=True).requires_grad is True
    assert Tensor([1, 2], dtype="float64", requires_grad=True).requires_grad is True
    for data in ([1, 2], [True]):
        with pytest.raises(RuntimeError, match="floating-point"):
            Tensor(data, requires_grad=True)


def test_numpy_returns_the_values():
    tensor = Tensor([[1, 2], [3, 4]])
    result = tensor.numpy()
    assert isinstance(result, np.ndarray)
    np.testing.assert_array_equal(result, np.array([[1, 2], [3, 4]], dtype=np.int64), strict=True)
    np.testing.assert_array_equal(np.asarray(tensor), result)
    copied = np.array(tensor)  # np.array copies: changing the copy leaves the tensor alone
    copied[0, 0] = 100
    assert tensor.data[0, 0] == 1


@pytest.mark.parametrize("data, expected", [(2.5, 2.5), ([[7]], 7), ([True], True), (np.float64(0.1), 0.1)], ids=repr)
def test_item_returns_python_number(data, expected):
    value = Tensor(data).item()
    assert value == expected and type(value) is type(expected)


@pytest.mark.parametrize("data", [[1.0, 2.0], [], [[1, 2], [3, 4]]], ids=repr)
def test_item_of_not_one_element_raises(data):
    with pytest.raises(RuntimeError, match="one element"):
        Tensor(data).item()


def test_len_and_iteration():
    tensor = Tensor([[1, 2, 3], [4, 5, 6]])
    assert len(tensor) == 2 and len(Tensor([])) == 0
    rows = list(tensor)
    assert len(rows) == 2 and all(isinstance(row, Tensor) for row in rows)
    np.testing.assert_array_equal(rows[1].data, [4, 5, 6])
    with pytest.raises(TypeError):  # any wording: numpy's "unsized object" is as clear
        len(Tensor(3.0))
    with pytest.raises(TypeError, match="0-d"):
        iter(Tensor(3.0))


def test_conversion_to_python_bool_float_int():
    assert bool(Tensor([1.0])) is True and bool(Tensor(0)) is False
    assert float(Tensor([[2.5]])) == 2.5 and int(Tensor(7)) == 7
    with pytest.raises(RuntimeError, match="ambiguous"):
        bool(Tensor([1.0, 2.0]) == Tensor([1.0, 2.0]))


@pytest.mark.parametrize("data, requires_grad, text", [
    ([1.0, 2.0], False, "Tensor([1., 2.], dtype=float32)"),
    (3, False, "Tensor(3, dtype=int64)"),
    (2.5, False, "Tensor(2.5, dtype=float32)"),
    ([[1, 2], [3, 4]], False, "Tensor([[1, 2],\n        [3, 4]], dtype=int64)"),
    ([True, False], False, "Tensor([ True, False], dtype=bool)"),
    ([], False, "Tensor([], dtype=float32)"),
    ([0.5], True, "Tensor([0.5], dtype=float32, requires_grad=True)"),
], ids=repr)
def test_repr(data, requires_grad, text):
    assert repr(Tensor(data, requires_grad=requires_grad)) == text


# ---------------------------------------------------------------- dtype promotion

@pytest.mark.parametrize("first", ALL_DTYPES)
def test_promotion_of_two_tensors_matches_torch(first, torch):
    for second in ALL_DTYPES:
        ours = str(promote_types(first, second))  # before PyTorch: an unwritten function stops here
        expected = torch.promote_types(getattr(torch, first), getattr(torch, second))
        assert ours == torch_dtype_name(expected), (first, second)
        got = Tensor(np.ones(2, dtype=first)) * Tensor(np.ones(2, dtype=second))
        assert str(got.dtype) == torch_dtype_name(expected), f"{first} * {second}"


# The rule of the chapter, worked by hand (and what PyTorch answers): mixed kinds give the
# higher kind, whatever its width; the same kind gives the wider type.
PROMOTIONS = [("int64", "float32", "float32"), ("float16", "int64", "float16"), ("bool", "int8", "int8"),
              ("uint8", "bool", "uint8"), ("bool", "float64", "float64"), ("int32", "float16", "float16"),
              ("uint8", "int8", "int16"), ("float32", "float64", "float64")]


@pytest.mark.parametrize("first, second, expected", PROMOTIONS)
def test_promotion_follows_the_stated_rule(first, second, expected):
    assert promote_types(first, second) == expected, f"promote_types({first!r}, {second!r})"
    assert promote_types(second, first) == expected, f"promote_types({second!r}, {first!r})"
    got = Tensor(np.ones(2, dtype=first)) + Tensor(np.ones(2, dtype=second))
    assert got.dtype == expected, f"{first} tensor + {second} tensor"


# A number of a higher kind than the tensor gives that kind's default (float32, int64);
# of the same or a lower kind, the tensor's dtype stays (worked by hand, as PyTorch).
NUMBER_OPERANDS = [("int64", 2.5, "float32"), ("int8", 2.5, "float32"), ("bool", 1, "int64"),
                   ("bool", 2.5, "float32"), ("int8", 1, "int8"), ("float16", 2.0, "float16"),
                   ("float64", 1, "float64"), ("int32", True, "int32")]


@pytest.mark.parametrize("dtype, number, expected", NUMBER_OPERANDS, ids=repr)
def test_number_operand_dtype_follows_the_stated_rule(dtype, number, expected):
    tensor = Tensor(np.ones(3, dtype=dtype))
    assert (tensor * number).dtype == expected, f"{dtype} tensor * {number!r}"
    assert (number * tensor).dtype == expected, f"{number!r} * {dtype} tensor"
    np.testing.assert_array_equal((tensor * number).data, np.full(3, 1 * number, dtype=expected))


@pytest.mark.parametrize("dtype", ["float16", "float32", "float64", "int8", "int32", "int64", "bool"])
@pytest.mark.parametrize("number", [2, 2.0, True, np.float64(2.0), np.int32(2), np.int64(2)], ids=repr)
@pytest.mark.parametrize("op", [operator.add, operator.mul, operator.truediv, operator.lt], ids=lambda f: f.__name__)
def test_number_operand_dtype_matches_torch(dtype, number, op, torch):
    got = op(Tensor(np.ones(3, dtype=dtype)), number)
    expected = op(torch.ones(3, dtype=getattr(torch, dtype)), number)
    assert str(got.dtype) == torch_dtype_name(expected.dtype), f"{dtype} tensor {op.__name__} {number!r}"
    reflected = op(number, Tensor(np.ones(3, dtype=dtype)))
    assert str(reflected.dtype) == torch_dtype_name(op(number, torch.ones(3, dtype=getattr(torch, dtype))).dtype)


def test_division_of_integers_is_float32_true_division():
    got = Tensor([7, -7, 1, 0]) / Tensor([2, 2, 3, 0])
    assert got.dtype == np.float32
    with np.errstate(all="ignore"):
        expected = np.array([7, -7, 1, 0], dtype=np.float32) / np.array([2, 2, 3, 0], dtype=np.float32)
    np.testing.assert_array_equal(got.data, expected)
    assert (Tensor([1, 2]) / 2).dtype == np.float32 and (2 / Tensor([True])).dtype == np.float32


def test_division_by_zero_gives_ieee_results_without_warnings():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = Tensor([1.0, -1.0, 0.0]) / 0
        overflow = Tensor([3e38]) * 10.0
        overflow_sum = Tensor([3e38, 3e38]).sum()
    np.testing.assert_array_equal(got.data, np.array([np.inf, -np.inf, np.nan], dtype=np.float32))
    assert overflow.data[0] == np.inf and overflow_sum.item() == np.inf


# ---------------------------------------------------------------- arithmetic

# name, operator, range of the left operand's elements, range of the right's
BINARY = [
    ("+", operator.add, (-1e3, 1e3), (-1e3, 1e3)),
    ("-", operator.sub, (-1e3, 1e3), (-1e3, 1e3)),
    ("*", operator.mul, (-1e3, 1e3), (-1e3, 1e3)),
    ("/", operator.truediv, (-1e3, 1e3), (-1e3, 1e3)),
    ("**", operator.pow, (0, 10), (0, 4)),
    ("==", operator.eq, (-3, 3), (-3, 3)),
    ("!=", operator.ne, (-3, 3), (-3, 3)),
    ("<", operator.lt, (-3, 3), (-3, 3)),
    ("<=", operator.le, (-3, 3), (-3, 3)),
    (">", operator.gt, (-3, 3), (-3, 3)),
    (">=", operator.ge, (-3, 3), (-3, 3)),
]


@settings(max_examples=150, deadline=None)
@given(data=st.data(), case=st.sampled_from(BINARY), dtype=st.sampled_from(["float32", "float64", "int64", "int32"]))
def test_binary_operators_broadcast_like_numpy(data, case, dtype):
    name, op, left_range, right_range = case
    shapes = data.draw(hnp.mutually_broadcastable_shapes(num_shapes=2, max_dims=3, max_side=4), label="shapes")
    left = data.draw(array_strategy(dtype, shapes.input_shapes[0], *left_range), label="left")
    right = data.draw(array_strategy(dtype, shapes.input_shapes[1], *right_range), label="right")
    compute = "float32" if name == "/" and dtype.startswith("int") else dtype
    with np.errstate(all="ignore"):
        expected = op(left.astype(compute), right.astype(compute))
    left_before, right_before = left.copy(), right.copy()
    got = op(Tensor(left), Tensor(right))
    assert isinstance(got, Tensor)
    assert got.shape == shapes.result_shape, f"{shapes.input_shapes} {name}"
    assert got.dtype == expected.dtype, f"{dtype} {name} {dtype}"
    np.testing.assert_array_equal(got.data, expected, err_msg=f"{dtype} {name}")
    np.testing.assert_array_equal(left, left_before, err_msg="the left operand was modified")
    np.testing.assert_array_equal(right, right_before, err_msg="the right operand was modified")


@settings(max_examples=150, deadline=None)
@given(data=st.data(), case=st.sampled_from(BINARY), dtype=st.sampled_from(["float32", "float64", "int64", "int32"]),
       number=st.one_of(st.integers(1, 4), st.floats(0.5, 4.0), st.booleans()), reflected=st.booleans())
def test_operators_with_python_numbers_match_numpy_in_torch_dtype(data, case, dtype, number, reflected, torch):
    name, op, left_range, _ = case
    assume(not (name == "-" and isinstance(number, bool)))  # torch refuses subtraction with bools
    low = 0 if name == "**" else left_range[0]
    high = 4 if name == "**" else left_range[1]
    array = data.draw(array_strategy(dtype, hnp.array_shapes(min_dims=0, max_dims=3, max_side=4), low, high))
    reference = torch.from_numpy(array)
    reference = op(number, reference) if reflected else op(reference, number)
    if reference.dtype == torch.bool:  # a comparison: the dtype both sides were compared in
        reference = torch.result_type(torch.from_numpy(array.reshape(-1)), number)
    else:
        reference = reference.dtype
    compute = torch_dtype_name(reference)
    a, n = array.astype(compute), np.asarray(number, dtype=compute)
    with np.errstate(all="ignore"):
        expected = op(n, a) if reflected else op(a, n)
    got = op(number, Tensor(array)) if reflected else op(Tensor(array), number)
    assert got.dtype == expected.dtype, f"{dtype} tensor {name} {number!r} (reflected={reflected})"
    assert got.shape == array.shape
    np.testing.assert_array_equal(got.data, expected, err_msg=f"{dtype} {name} {number!r}")


@settings(max_examples=60, deadline=None)
@given(shapes=hnp.mutually_broadcastable_shapes(num_shapes=2, max_dims=4, max_side=3))
def test_broadcast_shape_matches_torch(shapes, torch):
    left, right = (np.ones(shape, dtype=np.float32) for shape in shapes.input_shapes)
    expected = torch.from_numpy(left) + torch.from_numpy(right)
    assert (Tensor(left) + Tensor(right)).shape == tuple(expected.shape)


def test_incompatible_shapes_raise():
    with pytest.raises(ValueError):
        Tensor([1.0, 2.0, 3.0]) + Tensor([1.0, 2.0])


def test_numpy_array_and_list_operands():
    tensor = Tensor([1.0, 2.0])
    for got in (np.array([10.0, 20.0]) + tensor, tensor + np.array([10.0, 20.0]), [10.0, 20.0] + tensor):
        assert isinstance(got, Tensor), type(got)
        np.testing.assert_array_equal(got.data, [11.0, 22.0])
    assert (np.array([10.0, 20.0]) + tensor).dtype == np.float64  # the array's float64 is promoted
    assert (np.array([3.0, 1.0]) < tensor).dtype == np.bool_


def test_unsupported_operand_raises_type_error():
    with pytest.raises(TypeError):
        Tensor([1.0]) + "abc"
    with pytest.raises(TypeError):
        Tensor([1.0]) * {1: 2}
    assert (Tensor([1.0]) == "abc") is False


def test_reflected_operators_swap_operands():
    tensor = Tensor([1.0, 2.0, 4.0])
    np.testing.assert_array_equal((10 - tensor).data, [9.0, 8.0, 6.0])
    np.testing.assert_array_equal((8 / tensor).data, [8.0, 4.0, 2.0])
    np.testing.assert_array_equal((2 ** tensor).data, [2.0, 4.0, 16.0])
    np.testing.assert_array_equal((2 < tensor).data, [False, False, True])
    np.testing.assert_array_equal((np.array([[1.0, 0.0, 0.0]]) @ tensor).data, [1.0])


def test_negation():
    got = -Tensor([[1, -2], [0, 3]])
    assert got.dtype == np.int64
    np.testing.assert_array_equal(got.data, [[-1, 2], [0, -3]])
    assert (-Tensor(1.5)).item() == -1.5
    with pytest.raises(TypeError):
        -Tensor([True])


def test_tensors_hash_by_identity_like_torch():
    a, b = Tensor([1.0]), Tensor([1.0])
    assert hash(a) == object.__hash__(a)
    assert len({a, b}) == 2 and {a: "a", b: "b"}[a] == "a"


@pytest.mark.parametrize("left, right", [
    ((3,), (3,)), ((2, 3), (3, 4)), ((5, 2, 3), (3, 4)), ((3,), (3, 4)), ((2, 3), (3,)),
    ((2, 1, 2, 3), (4, 3, 5)), ((1, 1), (1, 1)), ((0, 3), (3, 2)),
], ids=str)
@pytest.mark.parametrize("dtype", ["float32", "float64", "int64"])
def test_matmul_matches_numpy(left, right, dtype):
    rng = np.random.default_rng(0)
    a = rng.integers(-5, 5, size=left).astype(dtype)
    b = rng.integers(-5, 5, size=right).astype(dtype)
    got = Tensor(a) @ Tensor(b)
    expected = a @ b
    assert got.shape == np.shape(expected) and got.dtype == np.dtype(dtype)
    np.testing.assert_array_equal(got.data, expected)


def test_matmul_shape_mismatch_and_scalars_raise():
    with pytest.raises(ValueError):
        Tensor(np.ones((2, 3))) @ Tensor(np.ones((2, 3)))
    with pytest.raises(ValueError):
        Tensor(2.0) @ Tensor([1.0])


def test_operations_never_write_into_inputs():
    left = np.arange(6, dtype=np.float32).reshape(2, 3)
    right = np.array([1.0, 2.0, 3.0], dtype=np.float32)
    left.flags.writeable = False  # any write into these arrays would raise
    right.flags.writeable = False
    a, b = Tensor(left), Tensor(right)
    results = [a + b, a - b, a * b, a / b, a ** 2, -a, a @ b, a < b, 1 - a, a.sum(0), a.mean(),
               a.max(1), a.min(), a.reshape(3, 2), a.T, a.transpose(0, 1), a[0], a[a > 1]]
    assert all(isinstance(result, Tensor) for result in results)
    np.testing.assert_array_equal(left, np.arange(6, dtype=np.float32).reshape(2, 3))
    np.testing.assert_array_equal(right, [1.0, 2.0, 3.0])


# ---------------------------------------------------------------- reductions

def axis_strategy(ndim):
    """None, one axis (possibly negative) or a tuple of distinct axes of an ndim-d array."""
    if ndim == 0:
        return st.none()
    one = st.integers(-ndim, ndim - 1)
    several = st.lists(st.integers(0, ndim - 1), min_size=1, max_size=ndim, unique=True).map(tuple)
    return st.one_of(st.none(), one, several)


@settings(max_examples=150, deadline=None)
@given(data=st.data(), dtype=st.sampled_from(["float32", "float64", "int64", "int32", "bool"]),
       method=st.sampled_from(["sum", "mean", "max", "min"]), keepdims=st.booleans())
def test_reductions_match_numpy(data, dtype, method, keepdims):
    shape = data.draw(hnp.array_shapes(min_dims=0, max_dims=3, min_side=1, max_side=4), label="shape")
    array = data.draw(array_strategy(dtype, shape, -100, 100) if dtype != "bool" else hnp.arrays(dtype, shape))
    axis = data.draw(axis_strategy(len(shape)), label="axis")
    got = getattr(Tensor(array), method)(axis=axis, keepdims=keepdims)
    if method == "mean" and dtype in ("int64", "int32", "bool"):
        expected = np.mean(array, axis=axis, keepdims=keepdims, dtype=np.float64).astype(np.float32)
    else:
        expected = getattr(np, method)(array, axis=axis, keepdims=keepdims)
    expected = np.asarray(expected)
    assert got.shape == expected.shape, f"{method}(axis={axis}, keepdims={keepdims}) of {shape}"
    assert got.dtype == expected.dtype, f"{method} of {dtype}"
    np.testing.assert_allclose(got.data, expected, rtol=2e-7 if dtype != "float32" else 1e-6)


def test_mean_of_integers_is_float32():
    got = Tensor([[1, 2], [3, 5]]).mean(axis=0)
    assert got.dtype == np.float32
    np.testing.assert_array_equal(got.data, np.array([2.0, 3.5], dtype=np.float32))
    assert Tensor([True, False, False, False]).mean().item() == 0.25


@pytest.mark.parametrize("method", ["sum", "mean", "max", "min"])
@pytest.mark.parametrize("dim", [0, 1, -1, (0, 2), [0, 1]], ids=str)
def test_dim_and_keepdim_aliases_match_torch(method, dim, torch):
    array = np.arange(24, dtype=np.float32).reshape(2, 3, 4) - 7
    expected = torch.from_numpy(array)
    if method in ("max", "min"):  # torch's amax/amin are its values-only max/min over several dims
        expected = getattr(torch, "a" + method)(expected, dim=dim, keepdim=True)
    else:
        expected = getattr(expected, method)(dim=dim, keepdim=True)
    got = getattr(Tensor(array), method)(dim=dim, keepdim=True)
    assert got.shape == tuple(expected.shape)
    np.testing.assert_allclose(got.data, expected.numpy(), rtol=1e-6)
    by_axis = getattr(Tensor(array), method)(axis=dim, keepdims=True)
    np.testing.assert_array_equal(got.data, by_axis.data)


def test_sum_of_bool_counts_as_int64_like_torch(torch):
    mask = [True, False, True, True]
    got = Tensor(mask).sum()
    assert got.item() == 3 and str(got.dtype) == torch_dtype_name(torch.tensor(mask).sum().dtype)


def test_axis_and_dim_together_raise():
    with pytest.raises(TypeError, match="not both"):
        Tensor([[1.0]]).sum(axis=0, dim=0)


def test_reduction_defaults_reduce_everything():
    tensor = Tensor([[1.0, 2.0], [3.0, 4.0]])
    assert tensor.sum().shape == () and tensor.sum().item() == 10.0
    assert tensor.mean().item() == 2.5 and tensor.max().item() == 4.0 and tensor.min().item() == 1.0
    assert tensor.sum(keepdims=True).shape == (1, 1)


# ---------------------------------------------------------------- shapes and indexing

def test_reshape_forms():
    array = np.arange(12, dtype=np.int64)
    tensor = Tensor(array)
    for shape, args in [((3, 4), (3, 4)), ((3, 4), ((3, 4),)), ((2, 6), ([2, 6],)), ((2, 2, 3), (2, -1, 3)),
                        ((12,), (-1,))]:
        got = tensor.reshape(*args)
        assert got.shape == shape and got.dtype == np.int64, args
        np.testing.assert_array_equal(got.data, array.reshape(shape))
    with pytest.raises(ValueError):
        tensor.reshape(5, 2)


@pytest.mark.parametrize("dims", [(0, 1), (1, 0), (0, 2), (-1, 0), (1, 1)], ids=str)
def test_transpose_swaps_two_axes(dims):
    array = np.arange(24).reshape(2, 3, 4)
    got = Tensor(array).transpose(*dims)
    np.testing.assert_array_equal(got.data, np.swapaxes(array, *dims), strict=True)


def test_transpose_without_dims_and_T_reverse_all_axes():
    matrix = np.arange(6.0).reshape(2, 3)
    cube = np.arange(24.0).reshape(2, 3, 4)
    np.testing.assert_array_equal(Tensor(matrix).T.data, matrix.T, strict=True)
    np.testing.assert_array_equal(Tensor(cube).transpose().data, cube.transpose(), strict=True)
    np.testing.assert_array_equal(Tensor(cube).T.data, cube.T, strict=True)
    for one in ({"dim0": 0}, {"dim1": 1}):  # the chapter asks for a TypeError; its words are yours
        with pytest.raises(TypeError):
            Tensor(cube).transpose(**one)


@pytest.mark.parametrize("index", [
    0, -1, slice(1, None), (1, 2), (slice(None), 1), (Ellipsis, 0), (0, slice(None, None, -1)), (1, 2, 3),
], ids=repr)
def test_indexing_matches_numpy(index):
    array = np.arange(60, dtype=np.float32).reshape(3, 4, 5)
    got = Tensor(array)[index]
    assert isinstance(got, Tensor) and got.dtype == np.float32
    np.testing.assert_array_equal(got.data, array[index], strict=False)
    assert got.shape == np.shape(array[index])


def test_indexing_with_tensors():
    array = np.array([[3.0, -1.0], [2.0, -5.0]], dtype=np.float32)
    tensor = Tensor(array)
    np.testing.assert_array_equal(tensor[tensor > 0].data, array[array > 0])
    np.testing.assert_array_equal(tensor[Tensor([1, 0, 1])].data, array[[1, 0, 1]])
    np.testing.assert_array_equal(tensor[Tensor([1, 0]), 1].data, array[[1, 0], 1])
    with pytest.raises(IndexError):
        tensor[5]


# ---- casts, nesting and the autograd extension point ------------------------------------------

@pytest.mark.parametrize("data, dtype, error", [
    (np.array([300]), "int8", OverflowError), (np.array([-1]), "uint8", OverflowError),
    (np.array([300.0]), "int8", OverflowError), (np.int64(2**40), "int32", OverflowError),
    (np.array([np.nan]), "int64", ValueError), (np.array([np.inf]), "int16", OverflowError),
])
def test_integer_casts_that_do_not_fit_raise_as_the_list_form(data, dtype, error):
    with pytest.raises(error):
        np.array(np.asarray(data).tolist(), dtype=dtype)  # the list form's behaviour, for reference
    with pytest.raises(error, match=str(np.dtype(dtype))):
        Tensor(data, dtype=dtype)


def test_integer_casts_that_fit_keep_their_values():
    np.testing.assert_array_equal(Tensor(np.array([127, -128]), dtype="int8").data, [127, -128])
    np.testing.assert_array_equal(Tensor(np.array([1.9, -1.9]), dtype="int8").data, [1, -1])  # as the list form
    assert Tensor(np.array([255]), dtype="uint8").data[0] == 255


def test_deep_nesting_is_a_clear_type_error():
    deep = 1.0
    for _ in range(1000):
        deep = [deep]
    with pytest.raises(TypeError, match="nested more than 64"):
        Tensor(deep)
    ok = 1.0
    for _ in range(32):
        ok = [ok]
    assert Tensor(ok).ndim == 32


def test_without_an_autograd_engine_ops_compute_values_and_backward_explains():
    from tinytorch.core import tensor as tensor_module

    x = Tensor([1.0, 2.0], requires_grad=True)
    previous = tensor_module.set_autograd_engine(tensor_module.GradientEngine())
    try:
        y = (x * 2 + 1).sum()
        assert y.item() == 8.0 and y.grad_fn is None and y.is_leaf
        with pytest.raises(RuntimeError, match=r"import tinytorch\.autograd"):
            y.backward()
    finally:
        tensor_module.set_autograd_engine(previous)
    with pytest.raises(TypeError, match="GradientEngine"):
        tensor_module.set_autograd_engine(object())


def test_detach_and_requires_grad_():
    x = Tensor([1.0, 2.0])
    assert x.requires_grad_() is x and x.requires_grad and x.is_leaf
    d = x.detach()
    assert not d.requires_grad and np.shares_memory(d.data, x.data)
    with pytest.raises(RuntimeError, match="floating-point"):
        Tensor([1, 2]).requires_grad_()
