"""Module 03's catalogue: learner mistakes its tests must catch, correct variants they must pass.

Each entry is a whole function as a learner writes it (tito/catalogue.py says how they
run: `tito catalogue autograd`).
"""
from tito.catalogue import Mistake, Variant

AT_LEAST = 25

# run_backward as the reference writes it, with holes for the lines the entries change
RUN_BACKWARD = """
def run_backward(order, grads):
    for tensor in order:
        grad = grads.pop(id(tensor), None)
        if grad is None:
            continue
        if {store}:
            accumulate_grad(tensor, grad)
        if {leaf}:
            continue
        node = tensor.grad_fn
        for child, share in zip(node.inputs, node.backward(grad)):
            if share is None or not child.requires_grad:
                continue
{reduce}            key = id(child)
{add}
"""
UNBROADCAST = "            share = unbroadcast(share, child.shape)\n"
ADD = "            grads[key] = share if key not in grads else grads[key] + share"


def run_backward(store="tensor.is_leaf or tensor.retains_grad", leaf="tensor.is_leaf", reduce=UNBROADCAST,
                 add=ADD):
    return RUN_BACKWARD.format(store=store, leaf=leaf, reduce=reduce, add=add)


# matmul's rule, with the two lines that compute the gradients as holes
MATMUL = """
@differentiable(inputs=2, method="matmul", reflected="rmatmul")
def matmul(a, b):
    out = a @ b

    def backward(grad):
        x, y, g = a.data, b.data, np.asarray(grad)
        if y.ndim == 1:
            y, g = y[:, None], g[..., None]
        if x.ndim == 1:
            x, g = x[None, :], g[..., None, :]
        da = {da}
        db = {db}
        if a.ndim == 1 and da is not None:
            da = da[..., 0, :]
        if b.ndim == 1 and db is not None:
            db = db[..., 0]
        return da, db
    return out, backward
"""


def matmul(da="g @ np.swapaxes(y, -1, -2) if a.requires_grad else None",
           db="np.swapaxes(x, -1, -2) @ g if b.requires_grad else None"):
    return MATMUL.format(da=da, db=db)


# power's rule, with the two gradients as holes
POWER = """
@differentiable(inputs=2, method="pow", reflected="rpow")
def power(a, b):
    out = a ** b

    def backward(grad):
        x, y = a.data, b.data
        with np.errstate(all="ignore"):
            da = grad * {da}
            db = grad * {db} if b.requires_grad else None
        return da, db
    return out, backward
"""


def power(da="np.where(y == 0, 0, y * x ** (y - 1))", db="np.where((x == 0) & (y >= 0), 0, out.data * np.log(x))"):
    return POWER.format(da=da, db=db)


# the reductions' rules, with the gradient as a hole
SUM = """
@differentiable(method="sum")
def reduce_sum(x, *args, **kwargs):
    axes, keepdims = _axes(x, *args, **kwargs)
    out = x.sum(axis=axes, keepdims=keepdims)

    def backward(grad):
        return ({grad},)
    return out, backward
"""
MEAN = """
@differentiable(method="mean")
def reduce_mean(x, *args, **kwargs):
    axes, keepdims = _axes(x, *args, **kwargs)
    out = x.mean(axis=axes, keepdims=keepdims)
    count = {count}

    def backward(grad):
        return ({grad},)
    return out, backward
"""
COUNT = "int(np.prod([x.shape[a] for a in axes]))"
MEAN_GRAD = "np.broadcast_to(_expand(grad, axes, keepdims) / count, x.shape)"
UNBROADCAST_HEAD = """
def unbroadcast(grad, shape):
    if np.shape(grad) == tuple(shape):
        return grad
    grad = np.sum(grad, axis=tuple(range(np.ndim(grad) - len(shape))))
    stretched = tuple(i for i, size in enumerate(shape) if size == 1 and grad.shape[i] != 1)
"""

MISTAKES = [
    Mistake("unbroadcast_leading_only", "unbroadcast sums the extra leading axes but not the size-1 ones", """
def unbroadcast(grad, shape):
    if np.shape(grad) == tuple(shape):
        return grad
    return np.sum(grad, axis=tuple(range(np.ndim(grad) - len(shape))))
"""),
    Mistake("unbroadcast_drops_axes", "unbroadcast sums size-1 axes without keepdims",
            UNBROADCAST_HEAD + "    return np.sum(grad, axis=stretched) if stretched else grad\n"),
    Mistake("no_unbroadcast", "the backward pass never reduces broadcast gradients", run_backward(reduce="")),
    Mistake("connect_forgets_requires_grad", "connect records the node but leaves requires_grad False", """
def connect(out, inputs, backward, op):
    out.grad_fn = Node(op, inputs, backward)
"""),
    Mistake("grad_overwritten", "a leaf's .grad is overwritten instead of accumulated", """
def accumulate_grad(tensor, grad):
    tensor.grad = Tensor(np.array(grad, dtype=tensor.dtype))
"""),
    Mistake("share_overwritten", "a second path's gradient replaces the first instead of adding",
            run_backward(add="            grads[key] = share")),
    Mistake("share_added_in_place", "gradients added with += into an array a rule shared between inputs",
            run_backward(add="            if key in grads:\n                grads[key] += share\n"
                             "            else:\n                grads[key] = share")),
    Mistake("retain_grad_ignored", "only leaves store .grad: retain_grad() has no effect",
            run_backward(store="tensor.is_leaf")),
    Mistake("non_leaves_keep_grad", "every tensor of the graph stores its .grad, not only leaves",
            run_backward(store="True")),
    Mistake("path_by_path", "a recursive backward that visits shared nodes once per path", """
def run_backward(order, grads):
    def visit(tensor, grad):
        if tensor.is_leaf or tensor.retains_grad:
            accumulate_grad(tensor, grad)
        if tensor.is_leaf:
            return
        for child, share in zip(tensor.grad_fn.inputs, tensor.grad_fn.backward(grad)):
            if share is not None and child.requires_grad:
                visit(child, unbroadcast(share, child.shape))
    root = order[0]
    visit(root, grads.pop(id(root)))
"""),
    Mistake("sub_no_negate", "a - b sends +grad to b", """
@differentiable(inputs=2, method="sub", reflected="rsub")
def sub(a, b):
    out = a - b

    def backward(grad):
        return grad, grad
    return out, backward
"""),
    Mistake("mul_swapped", "a * b sends grad * a to a", """
@differentiable(inputs=2, method="mul", reflected="rmul")
def mul(a, b):
    out = a * b

    def backward(grad):
        return grad * a.data, grad * b.data
    return out, backward
"""),
    Mistake("div_no_square", "d(a/b)/db as -a/b instead of -a/b^2", """
@differentiable(inputs=2, method="truediv", reflected="rtruediv")
def div(a, b):
    out = a / b

    def backward(grad):
        with np.errstate(all="ignore"):
            return grad / b.data, -grad * a.data
    return out, backward
"""),
    Mistake("pow_keeps_exponent", "d(x^y)/dx as y x^y (the -1 forgotten)",
            power(da="np.where(y == 0, 0, y * x ** y)")),
    Mistake("pow_exponent_nan_at_zero", "d(a^b)/db as a^b log(a) everywhere: 0 * -inf = nan at a = 0",
            power(db="out.data * np.log(x)")),
    Mistake("pow_warns_at_zero", "the 0 * inf of x**0 at x = 0 fixed after NumPy has warned", """
@differentiable(inputs=2, method="pow", reflected="rpow")
def power(a, b):
    out = a ** b

    def backward(grad):
        x, y = a.data, b.data
        da = grad * np.where(y == 0, 0, y * x ** (y - 1))
        with np.errstate(all="ignore"):
            db = grad * np.where((x == 0) & (y >= 0), 0, out.data * np.log(x)) if b.requires_grad else None
        return da, db
    return out, backward
"""),
    Mistake("matmul_no_transpose", "a @ b sends grad @ b to a (no transpose)",
            matmul(da="g @ y if a.requires_grad else None")),
    Mistake("matmul_dot_T", "the matmul transposes with .T, wrong for stacks of matrices",
            matmul(da="g @ y.T if a.requires_grad else None", db="x.T @ g if b.requires_grad else None")),
    Mistake("matmul_transposed_result", "b's gradient as grad.T @ a: the transpose of the right one",
            matmul(db="np.swapaxes(g, -1, -2) @ x if b.requires_grad else None")),
    Mistake("matmul_needs_swapped", "each matmul gradient skipped by the other operand's requires_grad",
            matmul(da="g @ np.swapaxes(y, -1, -2) if b.requires_grad else None",
                   db="np.swapaxes(x, -1, -2) @ g if a.requires_grad else None")),
    Mistake("sum_ignores_axis", "sum's gradient broadcast without putting the reduced axes back",
            SUM.format(grad="np.broadcast_to(grad, x.shape)")),
    Mistake("mean_divides_by_size", "mean's gradient divided by every element, not those averaged",
            MEAN.format(count="x.size", grad=MEAN_GRAD)),
    Mistake("mean_like_sum", "mean's gradient not divided by the count",
            MEAN.format(count=COUNT, grad="np.broadcast_to(_expand(grad, axes, keepdims), x.shape)")),
    Mistake("max_ties_not_shared", "max sends the full gradient to every tied element", """
def _extreme(x, out, axes, keepdims, grad):
    hit = x.data == _expand(out.data, axes, keepdims)
    return (hit * _expand(grad, axes, keepdims),)
"""),
    Mistake("getitem_assigns", "indexing backward assigns (g[index] = grad): repeated indices lost", """
@differentiable(method="getitem")
def getitem(x, index):
    out = x[index]

    def backward(grad):
        full = np.zeros(x.shape, dtype=np.result_type(grad))
        full[_plain_index(index)] = grad
        return (full,)
    return out, backward
"""),
    Mistake("transpose_reverses_all", "transpose(dim0, dim1) undone by reversing all axes", """
@differentiable(method="transpose")
def transpose(x, dim0=None, dim1=None):
    out = x.transpose(dim0, dim1)
    return out, lambda grad: (np.transpose(grad),)
"""),
    Mistake("exp_grad_from_input", "exp's gradient as grad * x", """
@differentiable
def exp(x):
    out = x.exp()

    def backward(grad):
        with np.errstate(all="ignore"):
            return (grad * x.data,)
    return out, backward
"""),
    Mistake("log_grad_times_x", "log's gradient as grad * x", """
@differentiable
def log(x):
    out = x.log()

    def backward(grad):
        with np.errstate(all="ignore"):
            return (grad * x.data,)
    return out, backward
"""),
    Mistake("tanh_from_input", "tanh's backward given the input instead of the output", """
@differentiable
def tanh(x):
    out = _activations.tanh(x)
    return out, lambda grad: (_activations.tanh_backward(grad, x.data),)
"""),
    Mistake("sigmoid_from_input", "sigmoid's backward given the input instead of the output", """
@differentiable
def sigmoid(x):
    out = _activations.sigmoid(x)
    return out, lambda grad: (_activations.sigmoid_backward(grad, x.data),)
"""),
    Mistake("softmax_backward_default_dim", "softmax's backward without dim (always the last axis)", """
@differentiable
def softmax(x, dim=-1):
    out = _activations.softmax(x, dim=dim)
    return out, lambda grad: (_activations.softmax_backward(grad, out.data),)
"""),
    Mistake("relu_no_chain_rule", "relu's backward returns relu'(x) without multiplying by grad", """
@differentiable
def relu(x):
    out = _activations.relu(x)
    return out, lambda grad: (_activations.relu_backward(np.ones_like(grad), x.data),)
"""),
]

VARIANTS = [
    Variant("extreme_alone", "max's gradient returned alone, not in a 1-tuple (one input: PyTorch's "
            "autograd.Function accepts a lone gradient too)", """
def _extreme(x, out, axes, keepdims, grad):
    hit = x.data == _expand(out.data, axes, keepdims)
    count = hit.sum(axis=axes, keepdims=True)
    return hit * _expand(grad, axes, keepdims) / count
"""),
    Variant("unbroadcast_loop", "unbroadcast as a loop: sum axis 0 while too many axes, then each size-1 axis", """
def unbroadcast(grad, shape):
    grad = np.asarray(grad)
    while grad.ndim > len(shape):
        grad = grad.sum(axis=0)
    for i, size in enumerate(shape):
        if size == 1:
            grad = grad.sum(axis=i, keepdims=True)
    return grad
"""),
    Variant("accumulate_branches", "accumulate_grad with an if/else and astype", """
def accumulate_grad(tensor, grad):
    grad = np.array(grad, dtype=tensor.dtype)
    if tensor.grad is None:
        tensor.grad = Tensor(grad.copy())
    else:
        tensor.grad = Tensor((tensor.grad.data + grad).astype(tensor.dtype))
"""),
    Variant("grads_get", "gradients added with dict.get(key, 0)",
            run_backward(add="            grads[key] = grads.get(key, 0) + share")),
    Variant("leaf_test_by_grad_fn", "leaves recognised by grad_fn is None",
            run_backward(leaf="tensor.grad_fn is None")),
    Variant("div_square", "d(a/b)/db as -grad * a / b**2", """
@differentiable(inputs=2, method="truediv", reflected="rtruediv")
def div(a, b):
    out = a / b

    def backward(grad):
        with np.errstate(all="ignore"):
            return grad / b.data, -grad * a.data / b.data ** 2
    return out, backward
"""),
    Variant("matmul_methods", "matmul with np.matmul and .swapaxes, both gradients always computed",
            matmul(da="np.matmul(g, y.swapaxes(-1, -2))", db="np.matmul(x.swapaxes(-1, -2), g)")),
    Variant("expand_by_reshape", "the reduced axes put back with reshape", """
def _expand(grad, axes, keepdims):
    if keepdims:
        return np.asarray(grad)
    shape = list(np.shape(grad))
    for a in sorted(axes):
        shape.insert(a, 1)
    return np.reshape(grad, shape)
"""),
    Variant("sum_ones", "sum's gradient as ones times the expanded grad (allocating)",
            SUM.format(grad="np.ones(x.shape, dtype=np.result_type(grad)) * _expand(grad, axes, keepdims)")),
    Variant("mean_multiply", "mean's gradient times 1/count",
            MEAN.format(count=COUNT, grad="np.broadcast_to(_expand(grad, axes, keepdims) * (1.0 / count), x.shape)")),
    Variant("extreme_where", "max/min gradient with np.where", """
def _extreme(x, out, axes, keepdims, grad):
    hit = x.data == _expand(out.data, axes, keepdims)
    count = hit.sum(axis=axes, keepdims=True)
    return (np.where(hit, _expand(grad, axes, keepdims) / count, 0),)
"""),
    Variant("getitem_zeros_like", "indexing backward into zeros_like of the input", """
@differentiable(method="getitem")
def getitem(x, index):
    out = x[index]

    def backward(grad):
        full = np.zeros_like(x.data, dtype=np.result_type(grad))
        np.add.at(full, _plain_index(index), grad)
        return (full,)
    return out, backward
"""),
    Variant("transpose_inverse_permutation", "transpose undone with an explicit axes permutation", """
@differentiable(method="transpose")
def transpose(x, dim0=None, dim1=None):
    out = x.transpose(dim0, dim1)

    def backward(grad):
        if dim0 is None:
            return (np.transpose(grad),)
        axes = list(range(np.ndim(grad)))
        axes[dim0], axes[dim1] = axes[dim1], axes[dim0]
        return (np.transpose(grad, axes),)
    return out, backward
"""),
    Variant("exp_recomputed", "exp's gradient recomputing exp(x)", """
@differentiable(method="exp")
def exp(x):
    out = x.exp()

    def backward(grad):
        with np.errstate(all="ignore"):
            return (grad * np.exp(x.data),)
    return out, backward
"""),
    Variant("log_reciprocal", "log's gradient as grad * (1 / x)", """
@differentiable(method="log")
def log(x):
    out = x.log()

    def backward(grad):
        with np.errstate(all="ignore"):
            return (grad * (1 / x.data),)
    return out, backward
"""),
    Variant("relu_from_output", "relu's backward given the output: out > 0 exactly where x > 0", """
@differentiable
def relu(x):
    out = _activations.relu(x)
    return out, lambda grad: (_activations.relu_backward(grad, out.data),)
"""),
    Variant("tanh_backward_function", "tanh's backward as a named inner function", """
@differentiable
def tanh(x):
    out = _activations.tanh(x)

    def backward(grad):
        return (_activations.tanh_backward(grad, out.data),)
    return out, backward
"""),
]
