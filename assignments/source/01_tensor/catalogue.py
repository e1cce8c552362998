"""Module 01's catalogue: learner mistakes its tests must catch, correct variants they must pass.

Each entry is a whole function or method as a learner writes it (tito/catalogue.py says
how they run: `tito catalogue tensor`).
"""
from tito.catalogue import Mistake, Variant

AT_LEAST = 20

# The reference's `_binary` with one line changed, the way each mistake below writes it.
BINARY = """
class Tensor:
    @np.errstate(all="ignore")
    def _binary(self, other, op, reflected=False):
        if _is_number(other):
            dtype = {number}
        elif isinstance(other, (Tensor, np.ndarray, list, tuple)):
            other = Tensor(other).data
            dtype = promote_types(self.dtype, other.dtype)
        else:
            {unknown}
        {divide}
        a, b = {operands}
        {result}
"""


def binary(number="_with_number(self.dtype, other)", unknown="return NotImplemented",
           divide='if op is np.true_divide and dtype.kind != "f":\n            dtype = np.dtype(np.float32)',
           operands="self.data.astype(dtype, copy=False), np.asarray(other, dtype=dtype)",
           result="return Tensor(op(b, a) if reflected else op(a, b))"):
    return BINARY.format(number=number, unknown=unknown, divide=divide, operands=operands, result=result)


INIT = """
class Tensor:
    def __init__(self, data, dtype=None, requires_grad=False):
        _, inferred = _scan(data)
        target = inferred if dtype is None else _to_dtype(dtype)
        data = data.data if isinstance(data, Tensor) else data
        if isinstance(data, (np.ndarray, np.generic)):
            array = {array}
        else:
            array = {listed}
{check}        self.data, self.requires_grad, self.grad = array, bool(requires_grad), None
"""
GRAD_CHECK = """        if requires_grad and array.dtype.kind != "f":
            raise RuntimeError(f"only floating-point tensors can require gradients, not {array.dtype}")
"""


def init(array="_cast(np.asarray(data), target)", listed="np.array(data, dtype=target)", check=GRAD_CHECK):
    return INIT.format(array=array, listed=listed, check=check.replace("{", "{{").replace("}", "}}"))


SCAN = """
def _scan(data, where=""):
    if not isinstance(data, (list, tuple)):
        dtype = _leaf_dtype(data, where)
        return np.shape(data), dtype
    if where.count("[") >= _MAX_DEPTH:
        raise TypeError(f"Tensor() got lists nested more than {{_MAX_DEPTH}} deep")
    kinds = set(map(type, data))
    if kinds <= _PYTHON_RANK.keys() and (float in kinds or not data or -2**63 <= min(data) <= max(data) < 2**63):
        return (len(data),), _DEFAULT_DTYPE[max((_PYTHON_RANK[k] for k in kinds), default=2)]
    parts = [_scan(item, f"{{where}}[{{i}}]") for i, item in enumerate(data)]
    first_shape, dtype = parts[0]
    for i, (shape, item_dtype) in enumerate(parts):
{body}
    return (len(data),) + first_shape, dtype
"""
RAGGED = """        if shape != first_shape:
            raise TypeError(f"ragged nested list: data{where}[{i}] {_describe(shape)} but "
                            f"data{where}[0] {_describe(first_shape)}")"""


MISTAKES = [
    Mistake("promote_like_numpy", "promote_types is np.promote_types: int64 with float32 gives float64", """
def promote_types(a, b):
    return np.promote_types(a, b)
"""),
    Mistake("promote_lower_kind_wins", "the lower kind wins when the kinds differ", """
def promote_types(a, b):
    a, b = np.dtype(a), np.dtype(b)
    rank_a, rank_b = _KIND_RANK[a.kind], _KIND_RANK[b.kind]
    if rank_a != rank_b:
        return b if rank_a > rank_b else a
    return np.promote_types(a, b)
"""),
    Mistake("scan_first_dtype_only", "a nested list's dtype is its first element's: [1, 2.5] becomes int64",
            SCAN.format(body=RAGGED)),
    Mistake("scan_ragged_accepted", "row lengths never compared: a ragged list reaches numpy",
            SCAN.format(body="        dtype = promote_types(dtype, item_dtype)")),
    Mistake("init_astype_wraps", "arrays cast with astype: 300 in int8 silently becomes 44",
            init(array="np.asarray(data).astype(target)")),
    Mistake("init_dtype_ignored_for_arrays", "a numpy array keeps its dtype even when dtype= is given",
            init(array="np.asarray(data)")),
    Mistake("init_through_float32", "lists built as float32 first, then cast: 1.7 in float64 is 1.7000000476837158",
            init(listed="np.array(data, dtype=np.float32).astype(target)")),
    Mistake("init_grad_on_integers", "requires_grad accepted on an integer tensor", init(check="")),
    Mistake("item_of_many", "item() without the size check: numpy's ValueError instead of RuntimeError", """
class Tensor:
    def item(self):
        return self.data.item()
"""),
    Mistake("len_is_size", "len() is the number of elements", """
class Tensor:
    def __len__(self):
        if self.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self.size
"""),
    Mistake("repr_hides_grad", "repr never shows requires_grad=True", """
class Tensor:
    def __repr__(self):
        numbers = np.array2string(self.data, separator=", ", prefix="Tensor(")
        return f"Tensor({numbers}, dtype={self.dtype})"
"""),
    Mistake("number_keeps_tensor_dtype", "a number never changes the dtype: int tensor * 2.5 is truncated",
            binary(number="self.dtype")),
    Mistake("number_as_float64_array", "a Python number promoted as a numpy array (float64, int64)",
            binary(number="promote_types(self.dtype, np.asarray(other).dtype)")),
    Mistake("numpy_promotion", "no cast before op: numpy's promotion (int64 + float32 is float64)",
            binary(operands="self.data, np.asarray(other)")),
    Mistake("reflected_ignored", "2 - x computed as x - 2", binary(result="return Tensor(op(a, b))")),
    Mistake("integer_division_float64", "int / int left to numpy: float64 instead of float32", binary(divide="")),
    Mistake("unknown_operand_raises", "TypeError raised for an unknown operand instead of NotImplemented",
            binary(unknown='raise TypeError(f"unsupported operand {type(other).__name__}")')),
    Mistake("integer_mean_float64", "the mean of integers left to numpy: float64", """
class Tensor:
    @np.errstate(all="ignore")
    def _reduce(self, op, axis, keepdims, dim, keepdim):
        axis, keepdims = _reduction_axes(axis, keepdims, dim, keepdim)
        return Tensor(op(self.data, axis=axis, keepdims=keepdims))
"""),
    Mistake("integer_mean_truncated", "the mean of integers cast back to the integer dtype", """
class Tensor:
    @np.errstate(all="ignore")
    def _reduce(self, op, axis, keepdims, dim, keepdim):
        axis, keepdims = _reduction_axes(axis, keepdims, dim, keepdim)
        if op is np.mean and self.dtype.kind != "f":
            mean = np.mean(self.data, axis=axis, keepdims=keepdims, dtype=np.float64)
            return Tensor(np.asarray(mean).astype(self.dtype))
        return Tensor(op(self.data, axis=axis, keepdims=keepdims))
"""),
    Mistake("reshape_tuple_not_unpacked", "x.reshape((2, 3)) passes the tuple inside a tuple", """
class Tensor:
    def reshape(self, *shape):
        return Tensor(self.data.reshape(shape))
"""),
    Mistake("transpose_default_first_two", "transpose() swaps the first two axes instead of reversing all", """
class Tensor:
    def transpose(self, dim0=None, dim1=None):
        if dim0 is None and dim1 is None:
            return Tensor(np.swapaxes(self.data, 0, 1) if self.ndim > 1 else self.data)
        if dim0 is None or dim1 is None:
            raise TypeError("transpose() takes two axes to swap, or none to reverse all axes")
        return Tensor(np.swapaxes(self.data, dim0, dim1))
"""),
]

VARIANTS = [
    Variant("promote_with_max", "the higher kind picked with max(key=rank)", """
def promote_types(a, b):
    a, b = np.dtype(a), np.dtype(b)
    if _KIND_RANK[a.kind] == _KIND_RANK[b.kind]:
        return np.promote_types(a, b)
    return max(a, b, key=lambda d: _KIND_RANK[d.kind])
"""),
    Variant("binary_swap_for_reflected", "the operands swapped first when reflected, then one op call",
            binary(result="if reflected:\n            a, b = b, a\n        return Tensor(op(a, b))")),
    Variant("mean_via_astype", "integers converted to float64 before np.mean", """
class Tensor:
    @np.errstate(all="ignore")
    def _reduce(self, op, axis, keepdims, dim, keepdim):
        axis, keepdims = _reduction_axes(axis, keepdims, dim, keepdim)
        if op is np.mean and self.dtype.kind != "f":
            mean = np.mean(self.data.astype(np.float64), axis=axis, keepdims=keepdims)
            return Tensor(np.asarray(mean).astype(np.float32))
        return Tensor(op(self.data, axis=axis, keepdims=keepdims))
"""),
    Variant("transpose_by_axes", "transpose(d0, d1) by permuting a list of axes", """
class Tensor:
    def transpose(self, dim0=None, dim1=None):
        if dim0 is None and dim1 is None:
            return Tensor(np.transpose(self.data))
        if dim0 is None or dim1 is None:
            raise TypeError("transpose() takes two axes to swap, or none")
        axes = list(range(self.ndim))
        axes[dim0], axes[dim1] = axes[dim1], axes[dim0]
        return Tensor(self.data.transpose(axes))
"""),
    Variant("transpose_own_message", "one dim given: a TypeError in the learner's own words", """
class Tensor:
    def transpose(self, dim0=None, dim1=None):
        if dim0 is None and dim1 is None:
            return Tensor(self.data.T)
        if dim0 is None or dim1 is None:
            raise TypeError("give both dim0 and dim1, or neither")
        return Tensor(np.swapaxes(self.data, dim0, dim1))
"""),
    Variant("len_of_data", "len() as len(self.data) (numpy raises TypeError for 0-d too)", """
class Tensor:
    def __len__(self):
        return len(self.data)
"""),
    Variant("item_via_flat", "item() of the one element through .flat", """
class Tensor:
    def item(self):
        if self.size != 1:
            raise RuntimeError(f"item() needs one element, this tensor has {self.size}")
        return self.data.flat[0].item()
"""),
    Variant("list_with_asarray", "lists converted with np.asarray(data, dtype=target)",
            init(listed="np.asarray(data, dtype=target)")),
]
