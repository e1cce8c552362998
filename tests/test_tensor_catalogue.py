"""The test of the tensor tests: learner mistakes in module 01 are all caught, correct
variants written differently all pass (see tests/catalogue.py for how they are run)."""
from __future__ import annotations

from catalogue import Entry, catalogue_tests

MISTAKES = [
    Entry("promote_like_numpy", "promote_types is np.promote_types: int64 with float32 gives float64",
          replace=("    rank_a, rank_b = _KIND_RANK[a.kind], _KIND_RANK[b.kind]\n"
                   "    if rank_a != rank_b:\n        return a if rank_a > rank_b else b\n", "")),
    Entry("promote_lower_kind_wins", "the lower kind wins when the kinds differ",
          replace=("        return a if rank_a > rank_b else b", "        return b if rank_a > rank_b else a")),
    Entry("scan_first_dtype_only", "a nested list's dtype is its first element's: [1, 2.5] becomes int64",
          replace=("        dtype = promote_types(dtype, item_dtype)", "        pass")),
    Entry("scan_ragged_accepted", "row lengths never compared: a ragged list reaches numpy",
          replace=("        if shape != first_shape:", "        if False:")),
    Entry("init_astype_wraps", "arrays cast with astype: 300 in int8 silently becomes 44",
          replace=("            array = _cast(np.asarray(data), target)",
                   "            array = np.asarray(data).astype(target)")),
    Entry("init_dtype_ignored_for_arrays", "a numpy array keeps its dtype even when dtype= is given",
          replace=("            array = _cast(np.asarray(data), target)", "            array = np.asarray(data)")),
    Entry("init_through_float32", "lists built as float32 first, then cast: 1.7 in float64 is 1.7000000476837158",
          replace=("            array = np.array(data, dtype=target)",
                   "            array = np.array(data, dtype=np.float32).astype(target)")),
    Entry("init_grad_on_integers", "requires_grad accepted on an integer tensor",
          replace=("        if requires_grad and array.dtype.kind != \"f\":", "        if False:")),
    Entry("item_of_many", "item() without the size check: numpy's ValueError instead of RuntimeError",
          replace=("        if self.size != 1:\n            raise RuntimeError(f\"item() needs", "        if False:\n            raise RuntimeError(f\"item() needs")),
    Entry("len_is_size", "len() is the number of elements",
          replace=("        return self.shape[0]\n", "        return self.size\n")),
    Entry("repr_hides_grad", "repr never shows requires_grad=True",
          replace=("        grad = \", requires_grad=True\" if self.requires_grad else \"\"", "        grad = \"\"")),
    Entry("number_keeps_tensor_dtype", "a number never changes the dtype: int tensor * 2.5 is truncated",
          replace=("            dtype = _with_number(self.dtype, other)", "            dtype = self.dtype")),
    Entry("number_as_float64_array", "a Python number promoted as a numpy array (float64, int64)",
          replace=("            dtype = _with_number(self.dtype, other)",
                   "            dtype = promote_types(self.dtype, np.asarray(other).dtype)")),
    Entry("numpy_promotion", "no cast before op: numpy's promotion (int64 + float32 is float64)",
          replace=("        a, b = self.data.astype(dtype, copy=False), np.asarray(other, dtype=dtype)",
                   "        a, b = self.data, np.asarray(other)")),
    Entry("reflected_ignored", "2 - x computed as x - 2",
          replace=("        return Tensor(op(b, a) if reflected else op(a, b))", "        return Tensor(op(a, b))")),
    Entry("integer_division_float64", "int / int left to numpy: float64 instead of float32",
          replace=("        if op is np.true_divide and dtype.kind != \"f\":", "        if False:")),
    Entry("unknown_operand_raises", "TypeError raised for an unknown operand instead of NotImplemented",
          replace=("        else:\n            return NotImplemented\n        if op is np.true_divide",
                   "        else:\n            raise TypeError(f\"unsupported operand {type(other).__name__}\")\n"
                   "        if op is np.true_divide")),
    Entry("integer_mean_float64", "the mean of integers left to numpy: float64",
          replace=("        if op is np.mean and self.dtype.kind != \"f\":", "        if False:")),
    Entry("integer_mean_truncated", "the mean of integers cast back to the integer dtype",
          replace=("            return Tensor(np.asarray(mean).astype(np.float32))",
                   "            return Tensor(np.asarray(mean).astype(self.dtype))")),
    Entry("reshape_tuple_not_unpacked", "x.reshape((2, 3)) passes the tuple inside a tuple",
          replace=("        if len(shape) == 1 and isinstance(shape[0], (tuple, list)):", "        if False:")),
    Entry("transpose_default_first_two", "transpose() swaps the first two axes instead of reversing all",
          replace=("            return Tensor(self.data.T)", "            return Tensor(np.swapaxes(self.data, 0, 1) if self.ndim > 1 else self.data)")),
]

VARIANTS = [
    Entry("promote_with_max", "the higher kind picked with max(key=rank)", append="""
def promote_types(a, b):
    a, b = np.dtype(a), np.dtype(b)
    if _KIND_RANK[a.kind] == _KIND_RANK[b.kind]:
        return np.promote_types(a, b)
    return max(a, b, key=lambda d: _KIND_RANK[d.kind])
"""),
    Entry("binary_swap_for_reflected", "the operands swapped first when reflected, then one op call",
          replace=("        return Tensor(op(b, a) if reflected else op(a, b))",
                   "        if reflected:\n            a, b = b, a\n        return Tensor(op(a, b))")),
    Entry("mean_via_astype", "integers converted to float64 before np.mean", 
          replace=("            mean = np.mean(self.data, axis=axis, keepdims=keepdims, dtype=np.float64)",
                   "            mean = np.mean(self.data.astype(np.float64), axis=axis, keepdims=keepdims)")),
    Entry("transpose_by_axes", "transpose(d0, d1) by permuting a list of axes", append="""
def transpose(self, dim0=None, dim1=None):
    if dim0 is None and dim1 is None:
        return Tensor(np.transpose(self.data))
    if dim0 is None or dim1 is None:
        raise TypeError("transpose() takes two axes to swap, or none")
    axes = list(range(self.ndim))
    axes[dim0], axes[dim1] = axes[dim1], axes[dim0]
    return Tensor(self.data.transpose(axes))
Tensor.transpose = _tracked("transpose")(transpose)
"""),
    Entry("len_of_data", "len() as len(self.data) (numpy raises TypeError for 0-d too)",
          replace=("        if self.ndim == 0:\n            raise TypeError(\"len() of a 0-d tensor\")\n        return self.shape[0]\n",
                   "        return len(self.data)\n")),
    Entry("item_via_flat", "item() of the one element through .flat", 
          replace=("        return self.data.item()", "        return self.data.flat[0].item()")),
    Entry("list_with_asarray", "lists converted with np.asarray(data, dtype=target)",
          replace=("            array = np.array(data, dtype=target)", "            array = np.asarray(data, dtype=target)")),
]


globals().update(catalogue_tests("tensor", MISTAKES, VARIANTS, at_least=12))
