"""The test of the autograd tests: realistic learner mistakes must all be caught, and
correct variants of the same code must all pass.

Each mistake is a source patch of the package code exported from the reference dev file
(tinytorch/core/autograd.py), and the module's tests run against that package in a
subprocess: every mistake must make them fail. Correct variants (other right ways to
write a TODO) are applied all together, since each touches a different function, and
the tests must pass. The catalogue prints its catch rate; a mistake that slips through
fails this test and is named.
"""
from __future__ import annotations

from catalogue import Entry, catalogue_tests


def Patch(name: str, what: str, old: str, new: str) -> Entry:
    """A rewrite of the exported code: `old` (which must occur exactly once) becomes `new`."""
    return Entry(name, what, replace=(old, new))


MISTAKES = [
    Patch("unbroadcast_leading_only", "unbroadcast sums the extra leading axes but not the size-1 ones",
          "    return np.sum(grad, axis=stretched, keepdims=True) if stretched else grad\n",
          "    return grad\n"),
    Patch("unbroadcast_drops_axes", "unbroadcast sums size-1 axes without keepdims",
          "np.sum(grad, axis=stretched, keepdims=True)", "np.sum(grad, axis=stretched)"),
    Patch("no_unbroadcast", "the backward pass never reduces broadcast gradients",
          "            share = unbroadcast(share, child.shape)\n", ""),
    Patch("connect_forgets_requires_grad", "connect records the node but leaves requires_grad False",
          "    out.requires_grad = True\n", "    pass\n"),
    Patch("grad_overwritten", "a leaf's .grad is overwritten instead of accumulated",
          "tensor.grad = Tensor(grad if tensor.grad is None else tensor.grad.data + grad)",
          "tensor.grad = Tensor(grad)"),
    Patch("share_overwritten", "a second path's gradient replaces the first instead of adding",
          "grads[key] = share if key not in grads else grads[key] + share", "grads[key] = share"),
    Patch("share_added_in_place", "gradients added with += into an array a rule shared between inputs",
          "            grads[key] = share if key not in grads else grads[key] + share\n",
          "            if key in grads:\n                grads[key] += share\n"
          "            else:\n                grads[key] = share\n"),
    Patch("retain_grad_ignored", "only leaves store .grad: retain_grad() has no effect",
          "        if tensor.is_leaf or tensor.retains_grad:\n            accumulate_grad(tensor, grad)\n",
          "        if tensor.is_leaf:\n            accumulate_grad(tensor, grad)\n"),
    Patch("non_leaves_keep_grad", "every tensor of the graph stores its .grad, not only leaves",
          "        if tensor.is_leaf or tensor.retains_grad:\n            accumulate_grad(tensor, grad)\n",
          "        accumulate_grad(tensor, grad)\n"),
    Patch("path_by_path", "a recursive backward that visits shared nodes once per path",
          "        node = tensor.grad_fn\n        for child, share in zip(node.inputs, node.backward(grad)):\n",
          "        node = tensor.grad_fn\n"
          "        def visit(t, g):\n"
          "            if t.is_leaf or t.retains_grad:\n                accumulate_grad(t, g)\n"
          "            if t.is_leaf:\n                return\n"
          "            for c, s in zip(t.grad_fn.inputs, t.grad_fn.backward(g)):\n"
          "                if s is not None and c.requires_grad:\n                    visit(c, unbroadcast(s, c.shape))\n"
          "        for child, share in zip(node.inputs, node.backward(grad)):\n"
          "            if share is not None and child.requires_grad:\n"
          "                visit(child, unbroadcast(share, child.shape))\n"
          "        continue\n"
          "        for child, share in zip(node.inputs, node.backward(grad)):\n"),
    Patch("sub_no_negate", "a - b sends +grad to b", "        return grad, -grad\n", "        return grad, grad\n"),
    Patch("mul_swapped", "a * b sends grad * a to a", "return grad * b.data, grad * a.data",
          "return grad * a.data, grad * b.data"),
    Patch("div_no_square", "d(a/b)/db as -a/b instead of -a/b^2",
          "-grad * out.data / b.data", "-grad * a.data"),
    Patch("pow_keeps_exponent", "d(x^y)/dx as y x^y (the -1 forgotten)",
          "y * x ** (y - 1)", "y * x ** y"),
    Patch("matmul_no_transpose", "a @ b sends grad @ b to a (no transpose)",
          "        da = g @ np.swapaxes(y, -1, -2) if", "        da = g @ y if"),
    Patch("matmul_dot_T", "the matmul transposes with .T, wrong for stacks of matrices",
          "        da = g @ np.swapaxes(y, -1, -2) if a.requires_grad else None\n"
          "        db = np.swapaxes(x, -1, -2) @ g if b.requires_grad else None\n",
          "        da = g @ y.T if a.requires_grad else None\n        db = x.T @ g if b.requires_grad else None\n"),
    Patch("matmul_transposed_result", "b's gradient as grad.T @ a: the transpose of the right one",
          "        db = np.swapaxes(x, -1, -2) @ g if", "        db = np.swapaxes(g, -1, -2) @ x if"),
    Patch("matmul_needs_swapped", "each matmul gradient skipped by the other operand's requires_grad",
          "if a.requires_grad else None\n        db = np.swapaxes(x, -1, -2) @ g if b.requires_grad",
          "if b.requires_grad else None\n        db = np.swapaxes(x, -1, -2) @ g if a.requires_grad"),
    Patch("sum_ignores_axis", "sum's gradient broadcast without putting the reduced axes back",
          "        return (np.broadcast_to(_expand(grad, axes, keepdims), x.shape),)\n",
          "        return (np.broadcast_to(grad, x.shape),)\n"),
    Patch("mean_divides_by_size", "mean's gradient divided by every element, not those averaged",
          "    count = int(np.prod([x.shape[a] for a in axes]))\n", "    count = x.size\n"),
    Patch("max_ties_not_shared", "max sends the full gradient to every tied element",
          "    return (hit * (_expand(grad, axes, keepdims) / count),)\n",
          "    return (hit * _expand(grad, axes, keepdims),)\n"),
    Patch("getitem_assigns", "indexing backward assigns (g[index] = grad): repeated indices lost",
          "        np.add.at(full, _plain_index(index), grad)\n", "        full[_plain_index(index)] = grad\n"),
    Patch("transpose_reverses_all", "transpose(dim0, dim1) undone by reversing all axes",
          "        return (np.swapaxes(grad, dim0, dim1),)\n", "        return (np.transpose(grad),)\n"),
    Patch("exp_grad_from_input", "exp's gradient as grad * x", "            return (grad * out.data,)\n",
          "            return (grad * x.data,)\n"),
    Patch("log_grad_times_x", "log's gradient as grad * x", "            return (grad / x.data,)\n",
          "            return (grad * x.data,)\n"),
    Patch("tanh_from_input", "tanh's backward given the input instead of the output",
          "_activations.tanh_backward(grad, out.data)", "_activations.tanh_backward(grad, x.data)"),
    Patch("sigmoid_from_input", "sigmoid's backward given the input instead of the output",
          "_activations.sigmoid_backward(grad, out.data)", "_activations.sigmoid_backward(grad, x.data)"),
    Patch("softmax_backward_default_dim", "softmax's backward without dim (always the last axis)",
          "_activations.softmax_backward(grad, out.data, dim=dim)", "_activations.softmax_backward(grad, out.data)"),
    Patch("relu_no_chain_rule", "relu's backward returns relu'(x) without multiplying by grad",
          "_activations.relu_backward(grad, x.data)", "_activations.relu_backward(np.ones_like(grad), x.data)"),
    Patch("mean_like_sum", "mean's gradient not divided by the count",
          "        return (np.broadcast_to(_expand(grad, axes, keepdims) / count, x.shape),)\n",
          "        return (np.broadcast_to(_expand(grad, axes, keepdims), x.shape),)\n"),
]

VARIANTS = [
    Patch("unbroadcast_loop", "unbroadcast as a loop: sum axis 0 while too many axes, then each size-1 axis",
          "    grad = np.sum(grad, axis=tuple(range(np.ndim(grad) - len(shape))))\n"
          "    stretched = tuple(i for i, size in enumerate(shape) if size == 1 and grad.shape[i] != 1)\n"
          "    return np.sum(grad, axis=stretched, keepdims=True) if stretched else grad\n",
          "    grad = np.asarray(grad)\n    while grad.ndim > len(shape):\n        grad = grad.sum(axis=0)\n"
          "    for i, size in enumerate(shape):\n        if size == 1:\n            grad = grad.sum(axis=i, keepdims=True)\n"
          "    return grad\n"),
    Patch("accumulate_branches", "accumulate_grad with an if/else and astype",
          "    tensor.grad = Tensor(grad if tensor.grad is None else tensor.grad.data + grad)\n",
          "    if tensor.grad is None:\n        tensor.grad = Tensor(grad.copy())\n"
          "    else:\n        tensor.grad = Tensor((tensor.grad.data + grad).astype(tensor.dtype))\n"),
    Patch("grads_get", "gradients added with dict.get(key, 0)",
          "            grads[key] = share if key not in grads else grads[key] + share\n",
          "            grads[key] = grads.get(key, 0) + share\n"),
    Patch("leaf_test_by_grad_fn", "leaves recognised by grad_fn is None",
          "        if tensor.is_leaf:\n            continue\n", "        if tensor.grad_fn is None:\n            continue\n"),
    Patch("div_square", "d(a/b)/db as -grad * a / b**2", "-grad * out.data / b.data", "-grad * a.data / b.data ** 2"),
    Patch("matmul_methods", "matmul with np.matmul and .swapaxes, both gradients always computed",
          "        da = g @ np.swapaxes(y, -1, -2) if a.requires_grad else None\n"
          "        db = np.swapaxes(x, -1, -2) @ g if b.requires_grad else None\n",
          "        da = np.matmul(g, y.swapaxes(-1, -2))\n        db = np.matmul(x.swapaxes(-1, -2), g)\n"),
    Patch("expand_by_reshape", "the reduced axes put back with reshape",
          "    return np.asarray(grad) if keepdims else np.expand_dims(grad, axes)\n",
          "    if keepdims:\n        return np.asarray(grad)\n"
          "    shape = list(np.shape(grad))\n    for a in sorted(axes):\n        shape.insert(a, 1)\n"
          "    return np.reshape(grad, shape)\n"),
    Patch("sum_ones", "sum's gradient as ones times the expanded grad (allocating)",
          "        return (np.broadcast_to(_expand(grad, axes, keepdims), x.shape),)\n",
          "        return (np.ones(x.shape, dtype=np.result_type(grad)) * _expand(grad, axes, keepdims),)\n"),
    Patch("mean_multiply", "mean's gradient times 1/count",
          "        return (np.broadcast_to(_expand(grad, axes, keepdims) / count, x.shape),)\n",
          "        return (np.broadcast_to(_expand(grad, axes, keepdims) * (1.0 / count), x.shape),)\n"),
    Patch("extreme_where", "max/min gradient with np.where",
          "    return (hit * (_expand(grad, axes, keepdims) / count),)\n",
          "    return (np.where(hit, _expand(grad, axes, keepdims) / count, 0),)\n"),
    Patch("getitem_zeros_like", "indexing backward into zeros_like of the input",
          "        full = np.zeros(x.shape, dtype=np.result_type(grad))\n",
          "        full = np.zeros_like(x.data, dtype=np.result_type(grad))\n"),
    Patch("transpose_inverse_permutation", "transpose undone with an explicit axes permutation",
          "        return (np.swapaxes(grad, dim0, dim1),)\n",
          "        axes = list(range(np.ndim(grad)))\n        axes[dim0], axes[dim1] = axes[dim1], axes[dim0]\n"
          "        return (np.transpose(grad, axes),)\n"),
    Patch("exp_recomputed", "exp's gradient recomputing exp(x)", "            return (grad * out.data,)\n",
          "            return (grad * np.exp(x.data),)\n"),
    Patch("log_reciprocal", "log's gradient as grad * (1 / x)", "            return (grad / x.data,)\n",
          "            return (grad * (1 / x.data),)\n"),
    Patch("relu_from_output", "relu's backward given the output: out > 0 exactly where x > 0",
          "_activations.relu_backward(grad, x.data)", "_activations.relu_backward(grad, out.data)"),
    Patch("tanh_backward_function", "tanh's backward as a named inner function",
          "    return out, lambda grad: (_activations.tanh_backward(grad, out.data),)\n",
          "    def backward(grad):\n        return (_activations.tanh_backward(grad, out.data),)\n"
          "    return out, backward\n"),
]


# Each variant rewrites a different TODO, so all of them apply at once: one run.
globals().update(catalogue_tests("autograd", MISTAKES, VARIANTS, at_least=15, together=True,
                                 variants_at_least=10))
