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
# # Module 03: Autograd
#
# ## Why automatic differentiation
#
# Training a network means nudging every weight against the gradient of the loss. In
# module 02 you wrote the derivative of ten activations by hand; a network chains
# hundreds of such operations, and writing the derivative of the whole chain by hand is
# slow and error-prone. **Autograd** does it for you: each operation remembers its
# inputs and how to send a gradient back to them, and `loss.backward()` applies the
# chain rule through the whole computation.
#
# ```python
# x = Tensor([2.0, -1.0], requires_grad=True)
# y = (x * x + 3 * x).sum()      # y = sum(x^2 + 3x)
# y.backward()                   # dy/dx = 2x + 3
# x.grad                         # Tensor([7., 1.], dtype=float32)
# ```
#
# This is what PyTorch does, with the same names: `requires_grad`, `.grad`, `.grad_fn`,
# `.is_leaf`, `backward()`, `detach()`, `torch.no_grad()`. Module 04 builds layers on
# it, module 05 losses, module 06 optimizers: none of them writes a derivative again.
#
# ## What you build
#
# 1. `unbroadcast`: the gradient of an operand that broadcasting stretched.
# 2. The graph bookkeeping: every operation on a tensor that requires a gradient
#    records a **node**; `backward()` walks the nodes from the output back to the
#    leaves and adds up the gradients.
# 3. The backward rule of every operation of module 01 (`+ - * / **`, `@`, unary `-`,
#    `sum`, `mean`, `max`, `min`, `reshape`, `transpose`, indexing), of `exp` and `log`,
#    and of the ten activations, reusing module 02's derivatives.
#
# Given to you: the topological order of the graph (without recursion), `no_grad`,
# and `gradcheck`, which compares your gradients with finite differences.
#
# ## How to work through this file
#
# Each step explains an idea, then gives you a function to complete. Replace each
# `raise NotImplementedError(...)` by your code and run the check under it. Then run
# `tito test autograd`, look at `tito check autograd` and `tito plot autograd`, and
# `tito sync --module autograd`.

# %%
#| default_exp core.autograd

# %%
#| export
import functools

import numpy as np

from tinytorch.core import activations as _activations
from tinytorch.core.tensor import (
    WRITES,
    GradientEngine,
    Tensor,
    _axis,
    _plain_index,
    _reduction_axes,
    _shape_arg,
    set_autograd_engine,
)

# %% [markdown]
# ## The chain rule on a graph
#
# Take `c = (a * b) + a`. Python evaluates it as a **graph**: `a` and `b` are leaves (you
# made them), `t = a * b` and `c = t + a` are results of operations.
#
# ```
#   a ──┬──> [*] ── t ──> [+] ── c
#   b ──┘                  ^
#   a ─────────────────────┘
# ```
#
# The **chain rule** says how a change in `a` reaches `c`: through every path, each
# path contributing the product of the local derivatives along it:
#
# $$\frac{\partial c}{\partial a} = \frac{\partial c}{\partial t}\frac{\partial t}{\partial a}
#   + \frac{\partial c}{\partial a}\Big|_{\text{direct}} = 1 \cdot b + 1 .$$
#
# Backpropagation computes this for every leaf at once by walking the graph backwards
# from `c`. Each node receives `grad`, the derivative of the output with respect to the
# node's result ($\partial c / \partial t$ for `t`), and passes on to each of its inputs
# `grad` times its **local** derivative. A node with several consumers (here `a`)
# **adds up** what they send. The only thing each operation needs to know is its local
# derivative: its **backward rule**.
#
# For tensors, `grad` has the shape of the result, and each rule returns one array per
# input, shaped like that input: the vector-Jacobian product.
#
# | operation | backward rule: what input `a` (and `b`) receive |
# |---|---|
# | `a + b` | `grad`, `grad` |
# | `a * b` | `grad * b`, `grad * a` |
# | `a / b` | `grad / b`, `-grad * a / b**2` |
# | `a @ b` | `grad @ b.T`, `a.T @ grad` |
# | `a.sum()` | `grad` copied to every element |
# | `exp(a)` | `grad * exp(a)` |
#
# ## Step 1: gradients of broadcast operands
#
# `x + b` with `x` of shape `(4, 3)` and `b` of shape `(3,)` adds `b` to every row: each
# element of `b` is used 4 times, so its gradient is the sum of the 4 gradients it
# took part in. In general the gradient arrives in the shape of the result; **summing
# over every axis that broadcasting stretched** brings it back to the operand's shape:
#
# - axes the operand did not have (leading ones): sum them away;
# - axes where the operand had size 1: sum them, keeping the axis (`keepdims=True`).
#
# `(4, 3)` to `(3,)`: sum axis 0. `(4, 3)` to `(4, 1)`: sum axis 1, keep it.
# `(2, 4, 3)` to `(1, 3)`: sum axis 0 away, then axis 1 (size 1 in `(1, 3)`) kept.

# %%
#| export
def unbroadcast(grad, shape):
    """Sum `grad` (the shape of a broadcast result) down to `shape`, the operand's shape.

    >>> unbroadcast(np.ones((4, 3)), (3,))
    array([4., 4., 4.])
    """
    # TODO: sum grad over the axes that broadcasting added or stretched.
    # APPROACH:
    #   1. Leading axes that `shape` does not have: sum them away.
    #   2. Axes where shape has size 1 but grad does not: sum them with keepdims=True.
    # HINTS: grad.ndim - len(shape) leading axes are extra. Shape (4, 1) is stretched along
    #        axis 1, not axis 0: compare axis by axis.
    ### BEGIN SOLUTION
    if np.shape(grad) == tuple(shape):  # the common case: nothing was broadcast
        return grad
    grad = np.sum(grad, axis=tuple(range(np.ndim(grad) - len(shape))))
    stretched = tuple(i for i, size in enumerate(shape) if size == 1 and grad.shape[i] != 1)
    return np.sum(grad, axis=stretched, keepdims=True) if stretched else grad
    ### END SOLUTION


# %% [markdown]
# ### Check step 1

# %%
g = np.arange(24.0).reshape(2, 4, 3)
for shape in [(2, 4, 3), (4, 3), (3,), (1, 3), (4, 1), (2, 1, 3), (1, 1, 1), ()]:
    got = unbroadcast(g, shape)
    assert np.shape(got) == shape, (shape, np.shape(got))
    # The reference: the gradient of sum(broadcast_to(b, g.shape) * g) with respect to b.
    assert np.isclose(np.sum(got), g.sum()), shape
np.testing.assert_array_equal(unbroadcast(g[0], (4, 1)), g[0].sum(axis=1, keepdims=True))
print("Step 1 passed: unbroadcast")

# %% [markdown]
# ## Step 2: recording the graph
#
# A **node** is one recorded operation: the tensors it used (`inputs`) and its
# backward rule, a function from `grad` to one gradient per input. It is what PyTorch
# calls `grad_fn`: a tensor made by an operation points to its node, a **leaf** (a
# tensor you created) has `grad_fn = None`.
#
# Module 01 declared where autograd plugs in: every operation it marked `@_tracked`
# asks the **engine** to run it when an input requires a gradient. The engine calls the
# operation's rule (steps 4 to 8), which computes the value and returns it with its
# backward function, and then `connect` records the node on the result. Inside a rule
# recording is switched off, so the rule's own `a * b` is plain module 01 arithmetic.
#
# Your part: `connect`, two lines. The result gets its node and, because it depends
# on something that requires a gradient, `requires_grad = True`: operations on it are
# recorded too.

# %%
#| export
class Node:
    """One recorded operation: `inputs` (tensors) and `backward(grad)` -> one gradient per input.

    Tensor.grad_fn is a Node for every tensor an operation made while recording.
    """

    def __init__(self, op, inputs, backward):
        self.op = op                # the operation's name, e.g. "mul"
        self.inputs = inputs        # tuple of the input tensors
        self.backward = backward    # grad (ndarray, shape of the result) -> tuple of ndarrays
        self.epoch = WRITES.epoch   # in-place changes so far (module 01's version counter)

    def name(self):
        """PyTorch's name for the node, e.g. 'MulBackward0'."""
        return f"{self.op.title().replace('_', '')}Backward0"

    def release(self):
        """Free the rule after a backward pass, as PyTorch does without retain_graph=True."""
        self.backward = _released

    def __repr__(self):
        return f"<{self.name()}>"


def _released(grad):
    raise RuntimeError("Trying to backward through the graph a second time: its intermediate "
                       "results were freed by the first backward(). Call backward(retain_graph=True) "
                       "the first time to keep them")


def connect(out, inputs, backward, op):
    """Record that `out` was computed from `inputs` by `op`, with the rule `backward`."""
    # TODO: give `out` its node and mark it as requiring a gradient.
    # HINTS: the node is Node(op, inputs, backward); it lives in out.grad_fn.
    ### BEGIN SOLUTION
    out.grad_fn = Node(op, inputs, backward)
    out.requires_grad = True
    ### END SOLUTION


# %% [markdown]
# ## Step 3: the backward pass
#
# `backward()` visits every node once, each **after** all the nodes that use its
# result: only then has its gradient arrived in full from every consumer. That order
# is a **topological order** of the graph, output first. It is given below: a
# depth-first search with an explicit stack, not recursion, because a chain of 10,000
# operations would exceed Python's recursion limit. Each tensor appears once, however
# many paths lead to it: `b = b + b` thirty times has 2^30 paths but 31 tensors, and
# visiting paths instead of tensors would take forever.
#
# Your part is the pass itself, in two functions:
#
# - `accumulate_grad(tensor, grad)`: a leaf's `.grad` **adds up** over backward calls
#   (PyTorch's rule; an optimizer calls `zero_grad()` between steps).
# - `run_backward(order, grads)`: for each tensor in order, take its finished
#   gradient; store it if the tensor is a leaf (or asked for it with `retain_grad()`);
#   otherwise call its node's rule and add each input's share to that input's entry,
#   reduced with `unbroadcast` to the input's shape.
#
# Gradients are keyed by `id(tensor)`: tensors compare elementwise with `==`, so they
# cannot be looked up by value.

# %%
#| export
def topological_order(root):
    """The tensors `root` depends on that require a gradient, each once, every tensor
    before its inputs (root first). Iterative: no recursion limit."""
    order, seen = [], {id(root)}
    stack = [(root, iter(root.grad_fn.inputs if root.grad_fn else ()))]
    while stack:
        tensor, inputs = stack[-1]
        for child in inputs:
            if child.requires_grad and id(child) not in seen:
                seen.add(id(child))
                stack.append((child, iter(child.grad_fn.inputs if child.grad_fn else ())))
                break
        else:  # every input is placed: the tensor comes after them
            stack.pop()
            order.append(tensor)
    order.reverse()
    return order


def accumulate_grad(tensor, grad):
    """Add `grad` (an ndarray of tensor's shape) into tensor.grad, a Tensor of tensor's dtype."""
    # TODO: the first gradient becomes tensor.grad; later ones add to it.
    # APPROACH: convert to the tensor's dtype; if tensor.grad is None store a new Tensor
    #           of a copy, else store the sum as a new Tensor.
    # HINTS: a copy, because `grad` may be an array the caller keeps using.
    ### BEGIN SOLUTION
    grad = np.array(grad, dtype=tensor.dtype)
    tensor.grad = Tensor(grad if tensor.grad is None else tensor.grad.data + grad)
    ### END SOLUTION


def run_backward(order, grads):
    """Send gradients through the graph. `order`: topological_order(root); `grads` maps
    id(tensor) -> its gradient so far (an ndarray), holding the root's to start."""
    for tensor in order:
        grad = grads.pop(id(tensor), None)
        if grad is None:  # nothing reached this tensor (e.g. a max that was not the maximum)
            continue
        # TODO: store the gradient of a leaf (or of a tensor that retains it); for every
        #       other tensor, run its node's rule and add each share into `grads`.
        # APPROACH:
        #   1. tensor.is_leaf or tensor.retains_grad: accumulate_grad. A leaf stops here.
        #   2. node = tensor.grad_fn; shares = node.backward(grad), one per node.inputs.
        #   3. For each input that requires a gradient (and a share that is not None):
        #      reduce the share with unbroadcast to the input's shape, then put it in
        #      grads[id(input)], or add it to what is there.
        # HINTS: the same input can appear twice (x * x): add, never overwrite. Add with
        #        `a + b`, not `+=`: a rule may hand the same array to two inputs.
        ### BEGIN SOLUTION
        if tensor.is_leaf or tensor.retains_grad:
            accumulate_grad(tensor, grad)
        if tensor.is_leaf:
            continue
        node = tensor.grad_fn
        for child, share in zip(node.inputs, node.backward(grad)):
            if share is None or not child.requires_grad:
                continue
            share = unbroadcast(share, child.shape)
            key = id(child)
            grads[key] = share if key not in grads else grads[key] + share
        ### END SOLUTION


# %% [markdown]
# The engine ties it together; it is plumbing, given to you. `apply` is what module
# 01's tracked operations call; `backward` checks its arguments as PyTorch does, finds
# the order, runs your pass and frees the graph. `no_grad()` switches recording off.

# %%
#| export
_BINARY = {}   # tracked Tensor method name -> (rule, reflected): "radd" -> (add, True)
_UNARY = {}    # tracked Tensor method name -> rule: "sum" -> sum
_VARIADIC = {}  # tracked Tensor method name -> rule of any number of tensors: "cat" -> cat


def _operands(values):
    """Tensors for a rule's inputs: numbers take the dtype of the first floating-point
    tensor (as in module 01: a number adapts to the tensor); None if one is unusable."""
    like = next((v.dtype for v in values if isinstance(v, Tensor) and v.dtype.kind == "f"), None)
    out = []
    for v in values:
        if isinstance(v, Tensor):
            out.append(v)
        elif isinstance(v, (bool, int, float, np.generic)) and like is not None:
            out.append(Tensor(v, dtype=like))
        elif isinstance(v, (bool, int, float, np.generic, np.ndarray, list, tuple)):
            out.append(Tensor(v))
        else:
            return None
    return tuple(out)


class Autograd(GradientEngine):
    """The engine module 03 installs into Tensor (module 01's extension point)."""

    recording = True

    def run(self, rule, inputs, args=(), kwargs=None):
        """Compute rule(*inputs, *args, **kwargs) and record it when a gradient is wanted."""
        record = self.recording and any(t.requires_grad for t in inputs)
        previous, self.recording = self.recording, False  # the rule's own ops compute values only
        try:
            out, backward = rule(*inputs, *args, **(kwargs or {}))
        finally:
            self.recording = previous
        if record:
            connect(out, inputs, _one_per_input(backward, len(inputs), rule.op_name), rule.op_name)
            for t in inputs:  # an in-place change of one of them now needs care (module 01)
                t._used_by_graph = True
        return out

    def apply(self, name, tensor, args, kwargs):
        if name in _BINARY:
            rule, reflected = _BINARY[name]
            pair = _operands((args[0], tensor) if reflected else (tensor, args[0]))
            return NotImplemented if pair is None else self.run(rule, pair, args[1:], kwargs)
        if name in _VARIADIC:
            return self.run(_VARIADIC[name], _operands((tensor, *args)), (), kwargs)
        return self.run(_UNARY[name], (tensor,), args, kwargs)

    def backward(self, tensor, gradient=None, retain_graph=None):
        if not tensor.requires_grad:
            raise RuntimeError("element 0 of tensors does not require grad and does not have a "
                               "grad_fn: make a leaf with requires_grad=True, and compute from it")
        if gradient is None:
            if tensor.size != 1:
                raise RuntimeError(f"grad can be implicitly created only for scalar outputs: this "
                                   f"tensor has shape {tensor.shape}; pass backward(gradient) of that "
                                   "shape, or reduce it first (e.g. .sum())")
            gradient = np.ones(tensor.shape, dtype=tensor.dtype)
        else:
            gradient = np.asarray(gradient.data if isinstance(gradient, Tensor) else gradient)
            if gradient.shape != tensor.shape:
                raise RuntimeError(f"Mismatch in shape: gradient has a shape of {gradient.shape} "
                                   f"and the tensor has a shape of {tensor.shape}")
            gradient = gradient.astype(tensor.dtype, copy=False)
        order = topological_order(tensor)
        for t in order:
            if t.grad_fn is not None and t.grad_fn.epoch != WRITES.epoch:
                _check_versions(t.grad_fn)
        run_backward(order, {id(tensor): gradient})
        if not retain_graph:
            for t in order:
                if t.grad_fn is not None:
                    t.grad_fn.release()


ENGINE = Autograd()
set_autograd_engine(ENGINE)


def _one_per_input(backward, count, op):
    """A rule's backward as the engine calls it: a tuple of one gradient (array or None) per
    input. A rule of one input may return its gradient alone, array or Tensor, as PyTorch's
    autograd.Function may; a wrong number of gradients is PyTorch's RuntimeError."""
    @functools.wraps(backward)  # __wrapped__: the version check reads the rule's own closure
    def shares(grad):
        result = backward(grad)
        if not isinstance(result, (tuple, list)):
            result = (result,)
        if len(result) != count:
            raise RuntimeError(f"the backward of {op} returned an incorrect number of gradients "
                               f"(expected {count}, one per input, got {len(result)})")
        return tuple(r.data if isinstance(r, Tensor) else r for r in result)
    return shares


def _saved_arrays(backward):
    """The arrays a backward rule reads: those of the tensors and arrays in its closure
    (and in a custom Function's ctx.saved_tensors)."""
    backward = getattr(backward, "__wrapped__", backward)  # the rule's own, not _one_per_input's
    for cell in getattr(backward, "__closure__", None) or ():
        try:
            value = cell.cell_contents
        except ValueError:  # a cell not filled yet
            continue
        values = value if isinstance(value, (tuple, list)) else getattr(value, "saved_tensors", (value,))
        for v in values:
            if isinstance(v, Tensor):
                yield v.data
            elif isinstance(v, np.ndarray):
                yield v


def _check_versions(node):
    """PyTorch's version check: a RuntimeError if something `node` reads changed in place after
    the node was recorded (its gradient would be computed from the wrong numbers)."""
    for array in _saved_arrays(node.backward):
        if WRITES.changed_since(array, node.epoch):
            raise RuntimeError(f"one of the variables needed for gradient computation has been modified by an "
                               f"inplace operation: a {array.dtype} tensor of shape {array.shape}, which "
                               f"{node.name()} reads, was changed after that operation was recorded. Do not "
                               "change it in place before backward(), or change a clone() of it instead")


def differentiable(rule=None, *, inputs: int = 1, method: str | None = None, reflected: str | None = None,
                   plain=None):
    """Make `rule(*tensors, *options) -> (out, backward)` a differentiable function.

    inputs: how many leading arguments are tensors (numbers become tensors); -1: all of them.
    method, reflected: the names of module 01's tracked Tensor methods it implements
    ("add" for a + b, "radd" for 2 + a).
    plain: a function of the same arguments that computes the value alone; it runs
    instead of the rule when no gradient is wanted (module 02's relu for relu, so
    `tinytorch.nn.functional.relu` works before this module is done). Use it for an
    operation of your own (backward gives one gradient per input; one input's may come
    alone, without the tuple, as in PyTorch's autograd.Function):

    >>> @differentiable
    ... def square(x):
    ...     out = x * x
    ...     return out, lambda grad: (2 * grad * x.data,)
    """
    def make(rule):
        rule.op_name = method or rule.__name__  # the node's name: x ** 2 makes a "pow" node
        if method and inputs == -1:
            _VARIADIC[method] = rule
        elif method and inputs == 2:
            _BINARY[method] = (rule, False)
            if reflected:
                _BINARY[reflected] = (rule, True)
        elif method:
            _UNARY[method] = rule

        @functools.wraps(rule)
        def function(*args, **kwargs):
            tensors = _operands(args if inputs == -1 else args[:inputs])
            if tensors is None:
                raise TypeError(f"{rule.__name__}() takes tensors or numbers as its first "
                                f"{inputs} argument(s), got {[type(a).__name__ for a in args[:inputs]]}")
            options = () if inputs == -1 else args[inputs:]
            if plain is not None and not (ENGINE.recording and any(t.requires_grad for t in tensors)):
                return plain(*tensors, *options, **kwargs)
            return ENGINE.run(rule, tensors, options, kwargs)
        return function
    return make(rule) if rule is not None else make


class set_grad_enabled:
    """Switch recording on or off: set_grad_enabled(False) at once, or as a context manager
    (restores the previous mode on exit) or a decorator."""

    def __init__(self, mode):
        self.mode = bool(mode)
        self.previous = ENGINE.recording
        ENGINE.recording = self.mode

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        ENGINE.recording = self.previous
        return False

    def __call__(self, function):
        mode = self.mode
        ENGINE.recording = self.previous  # used as a decorator: nothing changes until a call

        @functools.wraps(function)
        def run(*args, **kwargs):
            with set_grad_enabled(mode):
                return function(*args, **kwargs)
        return run


class no_grad(set_grad_enabled):
    """Compute without recording (evaluation, parameter updates); a context manager and a
    decorator, as torch.no_grad: `with no_grad(): ...` or `@no_grad()`."""

    def __init__(self):
        self.mode = False

    def __enter__(self):
        self.previous, ENGINE.recording = ENGINE.recording, False
        return self

    def __call__(self, function):
        @functools.wraps(function)
        def run(*args, **kwargs):
            with type(self)():
                return function(*args, **kwargs)
        return run


class enable_grad(no_grad):
    """Record again inside a no_grad block; a context manager and a decorator."""

    def __enter__(self):
        self.previous, ENGINE.recording = ENGINE.recording, True
        return self


class inference_mode(no_grad):
    """PyTorch's faster no_grad for inference; here the same as no_grad (mode=False records)."""

    def __init__(self, mode: bool = True):
        self.mode = not mode

    def __enter__(self):
        self.previous, ENGINE.recording = ENGINE.recording, self.mode and ENGINE.recording
        return self

    def __call__(self, function):
        mode = not self.mode

        @functools.wraps(function)
        def run(*args, **kwargs):
            with inference_mode(mode):
                return function(*args, **kwargs)
        return run


def is_grad_enabled() -> bool:
    """True while operations are recorded (outside no_grad)."""
    return ENGINE.recording


# %% [markdown]
# ## Step 4: arithmetic
#
# Each rule below has the micrograd shape: compute the result with module 01's
# operators, then define `backward(grad)` beside it, returning one gradient per input.
# `a` and `b` are Tensors (a number was made into one); `grad` and the returned
# gradients are NumPy arrays in the result's shape: the engine reduces them to each
# input's shape with your `unbroadcast`, so no rule needs to think about broadcasting.
# Use the inputs' `.data` (arrays) inside `backward`.
#
# As in module 01, the tests turn every NumPy warning (a division by zero, an overflow,
# the log of 0) into an error. Where a formula meets one on purpose (`0 ** -1`, `log(0)`),
# compute it inside `np.errstate(all="ignore")` and then choose the value that belongs
# there with `np.where`: fixing the array up afterwards is too late, NumPy has warned.

# %%
#| export
@differentiable(inputs=2, method="add", reflected="radd")
def add(a, b):
    """a + b, with broadcasting. d/da = 1, d/db = 1."""
    out = a + b

    def backward(grad):
        # TODO: return the gradients of a and b.
        ### BEGIN SOLUTION
        return grad, grad
        ### END SOLUTION
    return out, backward


@differentiable(inputs=2, method="sub", reflected="rsub")
def sub(a, b):
    """a - b. d/da = 1, d/db = -1."""
    out = a - b

    def backward(grad):
        # TODO: return the gradients of a and b.
        ### BEGIN SOLUTION
        return grad, -grad
        ### END SOLUTION
    return out, backward


@differentiable(inputs=2, method="mul", reflected="rmul")
def mul(a, b):
    """a * b elementwise. d/da = b, d/db = a."""
    out = a * b

    def backward(grad):
        # TODO: return the gradients of a and b.
        ### BEGIN SOLUTION
        return grad * b.data, grad * a.data
        ### END SOLUTION
    return out, backward


@differentiable(inputs=2, method="truediv", reflected="rtruediv")
def div(a, b):
    """a / b. d/da = 1/b, d/db = -a/b^2."""
    out = a / b

    def backward(grad):
        # TODO: return the gradients of a and b.
        # HINTS: -a/b^2 is also -out/b, one operation fewer.
        ### BEGIN SOLUTION
        with np.errstate(all="ignore"):
            return grad / b.data, -grad * out.data / b.data
        ### END SOLUTION
    return out, backward


@differentiable(method="neg")
def neg(a):
    """-a. d/da = -1."""
    out = -a

    def backward(grad):
        # TODO: return the gradient of a, as a one-element tuple.
        ### BEGIN SOLUTION
        return (-grad,)
        ### END SOLUTION
    return out, backward



@differentiable(inputs=2, method="pow", reflected="rpow")
def power(a, b):
    """a ** b. d/da = b a^(b-1); d/db = a^b log(a), needed only when b requires a gradient."""
    out = a ** b

    def backward(grad):
        # TODO: return the gradients of a and b (None for b unless b.requires_grad).
        # HINTS: x**0 is constant, so its gradient is 0 even at x = 0, where b a^(b-1)
        #        is 0 * inf = nan (and NumPy warns: see above).
        #        At a = 0, a^b log(a) is 0 * -inf = nan too; PyTorch takes it as 0 when b >= 0.
        #        log(a) is nan for a < 0: compute it only when b needs a gradient.
        ### BEGIN SOLUTION
        x, y = a.data, b.data
        with np.errstate(all="ignore"):
            da = grad * np.where(y == 0, 0, y * x ** (y - 1))
            db = grad * np.where((x == 0) & (y >= 0), 0, out.data * np.log(x)) if b.requires_grad else None
        return da, db
        ### END SOLUTION
    return out, backward


# %% [markdown]
# ### Check step 4
#
# `gradcheck` (given at the end of this file, as `torch.autograd.gradcheck`) compares
# your gradients with **central finite differences** in float64:
# $f'(x) \approx (f(x+\varepsilon) - f(x-\varepsilon)) / 2\varepsilon$. Shapes that
# broadcast test your `unbroadcast` too.

# %%
rng = np.random.default_rng(0)
A = Tensor(rng.uniform(0.5, 2.0, (3, 4)), requires_grad=True)   # float64
B = Tensor(rng.uniform(0.5, 2.0, (4,)), requires_grad=True)
x = Tensor([2.0, -1.0], requires_grad=True)
y = x * x + 3 * x                      # dy/dx = 2x + 3
y.backward(np.ones(2, np.float32))     # y is not a scalar: say what to multiply the Jacobian by
assert np.allclose(x.grad.data, [7.0, 1.0]) and x.grad.dtype == np.float32
assert y.grad_fn is not None and not y.is_leaf and x.is_leaf and x.grad_fn is None
print(y.grad_fn, x.grad)

# %% [markdown]
# ## Step 5: matrix products
#
# For `out = a @ b` with `a` of shape `(m, k)` and `b` of shape `(k, n)`, each
# `out[i, j] = sum_k a[i, k] b[k, j]`. Differentiating gives two more matrix products:
#
# $$\frac{\partial L}{\partial a} = \text{grad}\; b^T \quad (m, n)(n, k) = (m, k), \qquad
#   \frac{\partial L}{\partial b} = a^T\, \text{grad} \quad (k, m)(m, n) = (k, n).$$
#
# The shapes tell you the order: there is only one way to multiply them into `(m, k)`.
# For stacks of matrices (`(batch, m, k)`) "transpose" swaps the **last two** axes;
# `.T` would reverse all of them. The 1-d cases (a vector on either side) are given:
# they become `(1, k)` or `(k, 1)` matrices and are squeezed back.
#
# Each gradient costs a matrix product as large as the forward's, so compute only the
# ones that are needed: in a layer's `x @ W.T` the input batch `x` requires no gradient,
# and skipping it saves a third of the layer's backward (PyTorch skips it too). A
# gradient that is not computed is `None`, which the engine passes over.

# %%
#| export
@differentiable(inputs=2, method="matmul", reflected="rmatmul")
def matmul(a, b):
    """a @ b: matrix product, batched over leading axes, 1-d operands as in NumPy."""
    out = a @ b

    def backward(grad):
        x, y, g = a.data, b.data, np.asarray(grad)
        if y.ndim == 1:  # (k,) is a (k, 1) matrix, and the result lost its last axis
            y, g = y[:, None], g[..., None]
        if x.ndim == 1:  # (k,) is a (1, k) matrix, and the result lost its row axis
            x, g = x[None, :], g[..., None, :]
        # TODO: the gradients of x and y (matrices, or stacks of them); None for an
        #       operand that does not require a gradient.
        # HINTS: "transpose" swaps the last two axes only: np.swapaxes(m, -1, -2).
        #        Each gradient is a whole matrix product, as costly as the forward: skip
        #        the one nobody needs (a.requires_grad, b.requires_grad), as PyTorch does.
        #        In `x @ W.T` the input batch x needs none, only the weight.
        ### BEGIN SOLUTION
        da = g @ np.swapaxes(y, -1, -2) if a.requires_grad else None
        db = np.swapaxes(x, -1, -2) @ g if b.requires_grad else None
        ### END SOLUTION
        if a.ndim == 1 and da is not None:
            da = da[..., 0, :]
        if b.ndim == 1 and db is not None:
            db = db[..., 0]
        return da, db
    return out, backward


# %% [markdown]
# ## Step 6: reductions
#
# `x.sum(axis)` adds elements together, so each one receives the full `grad` of the sum
# it went into: `grad` is **copied back along the reduced axes**. Without `keepdims`
# those axes are gone from `grad`: put them back as size 1 (`np.expand_dims`) before
# broadcasting to `x.shape`, or a `(3, 3)` matrix summed over axis 1 would get its
# gradient along the wrong axis, transposed, with no error. `mean` divides by the
# number of elements reduced. `max` and `min` send `grad` to the elements that are the
# maximum (or minimum), shared equally between ties, as PyTorch's `amax` does.
#
# `_axes` (given) turns the arguments into a tuple of non-negative axes.

# %%
#| export
def _axes(x, axis=None, keepdims=False, dim=None, keepdim=None):
    """(axes as a tuple of non-negative ints, keepdims) from module 01's reduction arguments."""
    axis, keepdims = _reduction_axes(axis, keepdims, dim, keepdim)
    if axis is None:
        return tuple(range(x.ndim)), bool(keepdims)
    axes = (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
    return tuple(int(a) % x.ndim if x.ndim else 0 for a in axes), bool(keepdims)


def _expand(grad, axes, keepdims):
    """grad with the reduced axes back as size 1 (no-op when keepdims kept them)."""
    # TODO: put the reduced axes back into grad, unless keepdims kept them.
    # HINTS: np.expand_dims accepts a tuple of axes.
    ### BEGIN SOLUTION
    return np.asarray(grad) if keepdims else np.expand_dims(grad, axes)
    ### END SOLUTION


@differentiable(method="sum")
def reduce_sum(x, *args, **kwargs):
    """x.sum(axis, keepdims): every element gets the gradient of its sum."""
    axes, keepdims = _axes(x, *args, **kwargs)
    out = x.sum(axis=axes, keepdims=keepdims)

    def backward(grad):
        # TODO: grad copied back to every element of x.
        # HINTS: np.broadcast_to(..., x.shape) copies nothing.
        ### BEGIN SOLUTION
        return (np.broadcast_to(_expand(grad, axes, keepdims), x.shape),)
        ### END SOLUTION
    return out, backward


@differentiable(method="mean")
def reduce_mean(x, *args, **kwargs):
    """x.mean(axis, keepdims): the gradient of a sum, divided by the count."""
    axes, keepdims = _axes(x, *args, **kwargs)
    out = x.mean(axis=axes, keepdims=keepdims)
    count = int(np.prod([x.shape[a] for a in axes]))

    def backward(grad):
        # TODO: like sum, divided by the number of elements averaged.
        ### BEGIN SOLUTION
        return (np.broadcast_to(_expand(grad, axes, keepdims) / count, x.shape),)
        ### END SOLUTION
    return out, backward


def _extreme(x, out, axes, keepdims, grad):
    """The gradient of max or min: grad shared equally by the elements equal to the extreme."""
    # TODO: grad to the elements of x equal to the result, divided by how many tie.
    # APPROACH: expand out and grad (as in sum), mask = x == expanded out, count the mask
    #           along the axes (keepdims=True); mask * grad / count is x's gradient.
    #           Return it as a 1-tuple, (gradient,): a rule gives one gradient per input.
    ### BEGIN SOLUTION
    hit = x.data == _expand(out.data, axes, keepdims)
    count = hit.sum(axis=axes, keepdims=True)
    return (hit * (_expand(grad, axes, keepdims) / count),)
    ### END SOLUTION


@differentiable(method="amax")
def reduce_max(x, *args, **kwargs):
    """x.amax(axis, keepdims) (and x.max()): the gradient goes to the maximum (shared between ties)."""
    axes, keepdims = _axes(x, *args, **kwargs)
    out = x.amax(axis=axes, keepdims=keepdims)
    return out, lambda grad: _extreme(x, out, axes, keepdims, grad)


@differentiable(method="amin")
def reduce_min(x, *args, **kwargs):
    """x.amin(axis, keepdims) (and x.min()): the gradient goes to the minimum (shared between ties)."""
    axes, keepdims = _axes(x, *args, **kwargs)
    out = x.amin(axis=axes, keepdims=keepdims)
    return out, lambda grad: _extreme(x, out, axes, keepdims, grad)


# %% [markdown]
# ## Step 7: shapes and indexing
#
# `reshape` and `transpose` move elements without changing them, so the gradient moves
# back the same way: reshape it to the input's shape, transpose it back.
#
# Indexing picks elements; the gradient goes back to the places they came from, zero
# elsewhere. With repeated indices (`x[[0, 0, 1]]`) the same element is picked twice and
# must receive **both** gradients: `g[index] = grad` keeps only the last one, while
# `np.add.at(g, index, grad)` adds them all.

# %%
#| export
@differentiable(method="reshape")
def reshape(x, *shape):
    """x.reshape(shape)."""
    out = x.reshape(*shape)

    def backward(grad):
        # TODO: the gradient in x's shape.
        ### BEGIN SOLUTION
        return (np.reshape(grad, x.shape),)
        ### END SOLUTION
    return out, backward


@differentiable(method="transpose")
def transpose(x, dim0=None, dim1=None):
    """x.transpose(dim0, dim1) swaps two axes; x.transpose() (and x.T) reverses them all."""
    out = x.transpose(dim0, dim1)

    def backward(grad):
        # TODO: undo the transpose on grad.
        # HINTS: swapping twice, or reversing twice, gives the original order back.
        ### BEGIN SOLUTION
        if dim0 is None:
            return (np.transpose(grad),)
        return (np.swapaxes(grad, dim0, dim1),)
        ### END SOLUTION
    return out, backward


@differentiable(method="getitem")
def getitem(x, index):
    """x[index]: slices, integers, integer arrays and boolean masks, as NumPy."""
    out = x[index]

    def backward(grad):
        # TODO: zeros shaped like x, with grad added at the indexed places.
        # HINTS: repeated indices must add up; zeros of the gradient's dtype.
        ### BEGIN SOLUTION
        full = np.zeros(x.shape, dtype=np.result_type(grad))
        np.add.at(full, _plain_index(index), grad)
        return (full,)
        ### END SOLUTION
    return out, backward


# %% [markdown]
# ## Step 8: exp, log and the activations
#
# `exp` and `log` are new (PyTorch has `torch.exp`, `torch.log`); their derivatives are
# `exp(x)` (the result itself) and `1/x`.
#
# The ten activations already have their derivatives, written once in module 02:
# `relu_backward(grad, x)`, `tanh_backward(grad, out)`, ... Each differentiable version
# here computes with module 02's function and hands `backward` the array that
# derivative needs: some take the **input** `x`, others (sigmoid, tanh, softmax,
# log-softmax) the **output**, which is cheaper than recomputing it.
#
# These ten are also `tinytorch.nn.functional`'s (`F.relu(x)`, as in PyTorch).
# `plain=` names module 02's function: when nothing wants a gradient it runs instead of
# the rule, so `F.relu` works (and costs no graph) even before this module is done.

# %%
#| export
@differentiable(method="exp")
def exp(x):
    """e^x elementwise (inf on overflow, without a warning). d/dx = e^x."""
    out = x.exp()  # module 01's Tensor.exp computes the value

    def backward(grad):
        # TODO: the gradient of x.
        ### BEGIN SOLUTION
        with np.errstate(all="ignore"):
            return (grad * out.data,)
        ### END SOLUTION
    return out, backward


@differentiable(method="log")
def log(x):
    """Natural logarithm elementwise (-inf at 0, nan below, without warnings). d/dx = 1/x."""
    out = x.log()

    def backward(grad):
        # TODO: the gradient of x.
        ### BEGIN SOLUTION
        with np.errstate(all="ignore"):
            return (grad / x.data,)
        ### END SOLUTION
    return out, backward


@differentiable(method="relu", plain=_activations.relu)
def relu(x):
    """max(0, x), differentiable. Module 02: relu, relu_backward(grad, x)."""
    out = _activations.relu(x)
    # TODO: return out and its backward, using module 02's derivative.
    ### BEGIN SOLUTION
    return out, lambda grad: (_activations.relu_backward(grad, x.data),)
    ### END SOLUTION


@differentiable(method="sigmoid", plain=_activations.sigmoid)
def sigmoid(x):
    """1 / (1 + e^-x), differentiable. Module 02: sigmoid, sigmoid_backward(grad, out)."""
    out = _activations.sigmoid(x)
    # TODO: return out and its backward, using module 02's derivative.
    ### BEGIN SOLUTION
    return out, lambda grad: (_activations.sigmoid_backward(grad, out.data),)
    ### END SOLUTION


@differentiable(method="tanh", plain=_activations.tanh)
def tanh(x):
    """tanh(x), differentiable. Module 02: tanh, tanh_backward(grad, out)."""
    out = _activations.tanh(x)
    # TODO: return out and its backward, using module 02's derivative.
    ### BEGIN SOLUTION
    return out, lambda grad: (_activations.tanh_backward(grad, out.data),)
    ### END SOLUTION


@differentiable(method="softmax", plain=_activations.softmax)
def softmax(x, dim=-1):
    """e^x / sum(e^x) along dim, differentiable. Module 02: softmax_backward(grad, out, dim)."""
    out = _activations.softmax(x, dim=dim)
    # TODO: return out and its backward, using module 02's derivative.
    ### BEGIN SOLUTION
    return out, lambda grad: (_activations.softmax_backward(grad, out.data, dim=dim),)
    ### END SOLUTION


# The other six follow the same pattern, given to you.
@differentiable(plain=_activations.leaky_relu)
def leaky_relu(x, negative_slope=0.01):
    """max(0, x) + negative_slope * min(0, x), differentiable."""
    out = _activations.leaky_relu(x, negative_slope=negative_slope)
    return out, lambda grad: (_activations.leaky_relu_backward(grad, x.data, negative_slope=negative_slope),)


@differentiable(plain=_activations.elu)
def elu(x, alpha=1.0):
    """x for x > 0, alpha (e^x - 1) otherwise, differentiable."""
    out = _activations.elu(x, alpha=alpha)
    return out, lambda grad: (_activations.elu_backward(grad, x.data, alpha=alpha),)


@differentiable(plain=_activations.gelu)
def gelu(x, approximate="none"):
    """x * Phi(x) ('none') or its tanh approximation ('tanh'), differentiable."""
    out = _activations.gelu(x, approximate=approximate)
    return out, lambda grad: (_activations.gelu_backward(grad, x.data, approximate=approximate),)


@differentiable(plain=_activations.silu)
def silu(x):
    """x * sigmoid(x), differentiable."""
    out = _activations.silu(x)
    return out, lambda grad: (_activations.silu_backward(grad, x.data),)


@differentiable(plain=_activations.softplus)
def softplus(x, beta=1.0, threshold=20.0):
    """log(1 + e^(beta x)) / beta, differentiable."""
    out = _activations.softplus(x, beta=beta, threshold=threshold)
    return out, lambda grad: (_activations.softplus_backward(grad, x.data, beta=beta),)


@differentiable(method="log_softmax", plain=_activations.log_softmax)
def log_softmax(x, dim=-1):
    """x - log(sum(e^x)) along dim, differentiable."""
    out = _activations.log_softmax(x, dim=dim)
    return out, lambda grad: (_activations.log_softmax_backward(grad, out.data, dim=dim),)


# %% [markdown]
# Two more elementwise functions that losses and training need, given to you:
# `abs` (L1 loss) and `clamp` (keeping a log away from -inf, clipping values). Their
# gradients follow PyTorch: `abs'(0) = 0`, and `clamp` passes the gradient where
# `min <= x <= max`, bounds included.

# %%
#| export
@differentiable(method="abs")
def abs(x):
    """|x| elementwise. d/dx = sign(x), 0 at 0 (as torch.abs)."""
    out = x.abs()
    return out, lambda grad: (grad * np.sign(x.data),)


@differentiable(method="clamp")
def clamp(x, min=None, max=None):
    """x limited to [min, max] (either may be None). The gradient passes where min <= x <= max."""
    out = x.clamp(min, max)

    def backward(grad):
        inside = np.ones(x.shape, dtype=bool)
        if min is not None:
            inside &= x.data >= (min.data if isinstance(min, Tensor) else min)
        if max is not None:
            inside &= x.data <= (max.data if isinstance(max, Tensor) else max)
        return (grad * inside,)
    return out, backward


# %% [markdown]
# ## Everything else PyTorch differentiates (given)
#
# Module 01's step 4 gave Tensor the rest of PyTorch's operations. Each new one gets its
# rule here, in the shape you know: the value from module 01's method, the gradient
# beside it. Nothing to write; read a few to see that each is one idea:
#
# - **moving elements** (`permute`, `flip`, `expand`, `repeat`, `cat`, `gather`,
#   `masked_fill`, `where`, index assignment): the gradient goes back to where each
#   element came from; `expand` and `repeat` used an element several times, so its
#   gradient is the sum, and `gather` picks with repeats, so `np.add.at` adds them;
# - **elementwise functions**: `grad` times the derivative, from the table below (from
#   the input `x` or the output `y`, whichever is cheaper);
# - **reductions**: `prod` (each element's gradient is the product of the others),
#   `cumsum` (a reversed running sum), `norm` (the direction `x / |x|`, 0 at 0).
#
# `torch.max(x, dim)`, `sort`, `topk`, `std`, `var` and `logsumexp` need no rule of their
# own: they are `gather`, `mean`, `sum` and `exp` underneath.

# %%
#| export
def _unary_rule(name, derivative):
    """Register the rule of module 01's elementwise method `name`: grad * derivative(x, y)."""
    def rule(x):
        out = getattr(x, name)()

        def backward(grad):
            with np.errstate(all="ignore"):
                return (grad * derivative(x.data, out.data),)
        return out, backward
    rule.__name__ = rule.__qualname__ = name
    rule.__doc__ = f"x.{name}(), differentiable."
    return differentiable(rule, method=name)


def _zero(x, y):
    return np.zeros_like(y)


# d out / d x from the input x and the output y; 0 where the function is flat (floor, sign, ...)
exp2 = _unary_rule("exp2", lambda x, y: y * np.log(2.0))
expm1 = _unary_rule("expm1", lambda x, y: y + 1)
log2 = _unary_rule("log2", lambda x, y: 1 / (x * np.log(2.0)))
log10 = _unary_rule("log10", lambda x, y: 1 / (x * np.log(10.0)))
log1p = _unary_rule("log1p", lambda x, y: 1 / (1 + x))
sqrt = _unary_rule("sqrt", lambda x, y: 0.5 / y)
rsqrt = _unary_rule("rsqrt", lambda x, y: -0.5 * y * y * y)
square = _unary_rule("square", lambda x, y: 2 * x)
reciprocal = _unary_rule("reciprocal", lambda x, y: -y * y)
sin = _unary_rule("sin", lambda x, y: np.cos(x))
cos = _unary_rule("cos", lambda x, y: -np.sin(x))
tan = _unary_rule("tan", lambda x, y: 1 + y * y)
asin = _unary_rule("asin", lambda x, y: 1 / np.sqrt(1 - x * x))
acos = _unary_rule("acos", lambda x, y: -1 / np.sqrt(1 - x * x))
atan = _unary_rule("atan", lambda x, y: 1 / (1 + x * x))
sinh = _unary_rule("sinh", lambda x, y: np.cosh(x))
cosh = _unary_rule("cosh", lambda x, y: np.sinh(x))
erf = _unary_rule("erf", lambda x, y: 2 / np.sqrt(np.pi) * np.exp(-x * x))
frac = _unary_rule("frac", lambda x, y: np.ones_like(y))
sign = _unary_rule("sign", _zero)
floor = _unary_rule("floor", _zero)
ceil = _unary_rule("ceil", _zero)
trunc = _unary_rule("trunc", _zero)


@differentiable(method="round")
def round(x, decimals=0):
    """x.round(decimals): flat steps, gradient 0."""
    out = x.round(decimals)
    return out, lambda grad: (np.zeros_like(grad),)


@differentiable(method="clone")
def clone(x):
    """x.clone(): a copy; the gradient passes unchanged."""
    return x.clone(), lambda grad: (grad,)


@differentiable(method="cast")
def cast(x, dtype):
    """x in another floating-point dtype (x.double(), x.to(torch.float32)): the gradient is cast back."""
    out = x._float_cast(dtype)
    return out, lambda grad: (np.asarray(grad).astype(x.dtype),)


@differentiable(method="permute")
def permute(x, *dims):
    """x.permute(dims): the gradient's axes are put back with the inverse permutation."""
    out = x.permute(*dims)
    axes = [_axis(d, x.ndim) for d in _shape_arg(dims)]
    return out, lambda grad: (np.transpose(grad, np.argsort(axes)),)


@differentiable(method="flip")
def flip(x, *dims):
    """x.flip(dims): flip the gradient back along the same axes."""
    out = x.flip(*dims)
    axes = [_axis(d, x.ndim) for d in _shape_arg(dims)]
    return out, lambda grad: (np.flip(grad, axes),)


@differentiable(method="expand")
def expand(x, *sizes):
    """x.expand(sizes): each element was used many times; its gradient is the sum (unbroadcast)."""
    out = x.expand(*sizes)
    return out, lambda grad: (unbroadcast(grad, x.shape),)


@differentiable(method="repeat")
def repeat(x, *sizes):
    """x.repeat(sizes): the gradient of each copy, added up."""
    out = x.repeat(*sizes)

    reps = _shape_arg(sizes)
    shape = (1,) * (len(reps) - x.ndim) + x.shape  # x as np.tile sees it

    def backward(grad):
        pairs = [n for copies, size in zip(reps, shape) for n in (copies, size)]
        g = np.asarray(grad).reshape(pairs).sum(axis=tuple(range(0, len(pairs), 2)))
        return (g.reshape(x.shape),)
    return out, backward


@differentiable(inputs=-1, method="cat")
def cat(*tensors, dim=0):
    """cat(tensors, dim): each input gets its own slice of the gradient."""
    out = tensors[0]._cat(*tensors[1:], dim=dim)
    axis = _axis(dim, out.ndim)
    ends = np.cumsum([t.shape[axis] for t in tensors])[:-1]
    return out, lambda grad: tuple(np.split(grad, ends, axis=axis))


@differentiable(method="gather")
def gather(x, dim, index):
    """x.gather(dim, index): the gradient goes back to the picked places, repeats added."""
    out = x.gather(dim, index)

    def backward(grad):
        picked = np.zeros(x.shape, dtype=np.result_type(grad))
        axis = _axis(dim, x.ndim)
        places = list(np.indices(np.shape(grad), sparse=True))
        places[axis] = index.data if isinstance(index, Tensor) else np.asarray(index)
        np.add.at(picked, tuple(places), grad)
        return (picked,)
    return out, backward


@differentiable(method="masked_fill")
def masked_fill(x, mask, value):
    """x.masked_fill(mask, value): no gradient where the value was put."""
    out = x.masked_fill(mask, value)
    keep = ~np.asarray(mask.data if isinstance(mask, Tensor) else mask)
    return out, lambda grad: (grad * keep,)


@differentiable(inputs=2, method="where")
def where(a, b, condition):
    """where(condition, a, b): the gradient goes to a where the condition holds, to b elsewhere."""
    out = a._where(b, condition)
    chosen = np.asarray(condition.data if isinstance(condition, Tensor) else condition, dtype=bool)
    return out, lambda grad: (grad * chosen, grad * ~chosen)


@differentiable(inputs=2, method="index_put")
def index_put(x, value, index):
    """x[index] = value: x keeps the gradient elsewhere, value gets it from its places."""
    out = x._index_put(value, index)

    def backward(grad):
        kept = np.array(grad, copy=True)
        kept[index] = 0
        return kept, np.asarray(grad)[index]
    return out, backward


@differentiable(inputs=2, method="fill")
def fill(x, value):
    """x.fill_(value), x.copy_(src): x's old values are gone (gradient 0); src gets the gradient."""
    out = x._filled(value)
    return out, lambda grad: (np.zeros_like(grad), grad)


def _split_ties(grad, chosen, other):
    """maximum/minimum: grad to the chosen operand, half to each where they tie (PyTorch)."""
    share = np.where(chosen == other, 0.5, 1.0)
    return grad * share


@differentiable(inputs=2, method="maximum")
def maximum(a, b):
    """The elementwise larger: the gradient goes to the larger one (half each on ties)."""
    out = a.maximum(b)

    def backward(grad):
        x, y = np.broadcast_arrays(a.data, b.data)
        return _split_ties(grad, x, y) * (x >= y), _split_ties(grad, y, x) * (y >= x)
    return out, backward


@differentiable(inputs=2, method="minimum")
def minimum(a, b):
    """The elementwise smaller: the gradient goes to the smaller one (half each on ties)."""
    out = a.minimum(b)

    def backward(grad):
        x, y = np.broadcast_arrays(a.data, b.data)
        return _split_ties(grad, x, y) * (x <= y), _split_ties(grad, y, x) * (y <= x)
    return out, backward


@differentiable(method="prod")
def prod(x, dim=None, keepdim=False):
    """The product: d/dx_i is the product of all the other elements (exact with zeros too)."""
    out = x.prod(dim, keepdim)
    axis = None if dim is None else _axis(dim, x.ndim)

    def backward(grad):
        data = x.data.reshape(-1) if axis is None else np.moveaxis(x.data, axis, -1)
        ones = np.ones(data.shape[:-1] + (1,), data.dtype)
        before = np.cumprod(np.concatenate([ones, data[..., :-1]], axis=-1), axis=-1)
        after = np.flip(np.cumprod(np.concatenate([ones, np.flip(data, -1)[..., :-1]], axis=-1), axis=-1), -1)
        others = before * after  # product of everything before and everything after each element
        g = np.asarray(grad).reshape(-1) if axis is None else np.asarray(grad)
        if axis is not None and not keepdim:
            g = np.expand_dims(g, axis)
        if axis is None:
            return ((others * g).reshape(x.shape),)
        return (np.moveaxis(others, -1, axis) * g,)
    return out, backward


@differentiable(method="cumsum")
def cumsum(x, dim):
    """Running sums: element i is in every sum from i on, so its gradient is a reversed running sum."""
    out = x.cumsum(dim)
    axis = _axis(dim, x.ndim)
    return out, lambda grad: (np.flip(np.cumsum(np.flip(grad, axis), axis=axis), axis),)


@differentiable(method="norm")
def norm(x, p=2, dim=None, keepdim=False):
    """The p-norm: d|x|_p / dx = sign(x) |x|^(p-1) / |x|_p^(p-1); 0 where the norm is 0 (PyTorch)."""
    out = x.norm(p, dim, keepdim)

    def backward(grad):
        dims = dim if isinstance(dim, (tuple, list)) else (dim,)
        axes = None if dim is None else tuple(_axis(d, x.ndim) for d in dims)
        n, g = out.data, np.asarray(grad)
        if axes is not None and not keepdim:
            n, g = np.expand_dims(n, axes), np.expand_dims(g, axes)
        data = x.data
        with np.errstate(all="ignore"):
            if p == 1:
                d = np.sign(data)
            elif p == np.inf:
                d = np.sign(data) * (np.abs(data) == n)
                d = d / np.maximum((np.abs(data) == n).sum(axis=axes, keepdims=True), 1)
            else:
                q = 2 if p == "fro" else p
                d = np.sign(data) * np.abs(data) ** (q - 1) / n ** (q - 1)
            d = np.where(n == 0, 0, d)
        return (d * g,)
    return out, backward


# %% [markdown]
# ### Your own operation: `torch.autograd.Function`
#
# PyTorch lets a user define an operation with its own backward, as a class with two
# static methods; TinyTorch's is the same, built on this engine. `ctx` carries what
# forward saved (`ctx.save_for_backward(...)`, read back as `ctx.saved_tensors`), and
# backward returns one gradient (a Tensor, or None) per input of forward:
#
# ```python
# class Cube(torch.autograd.Function):
#     @staticmethod
#     def forward(ctx, x):
#         ctx.save_for_backward(x)
#         return x ** 3
#
#     @staticmethod
#     def backward(ctx, grad_output):
#         x, = ctx.saved_tensors
#         return grad_output * 3 * x ** 2
#
# y = Cube.apply(x)
# ```

# %%
#| export
class FunctionCtx:
    """What a Function's forward hands to its backward (PyTorch's ctx)."""

    def __init__(self, needs_input_grad):
        self.needs_input_grad = needs_input_grad
        self.saved_tensors = ()

    def save_for_backward(self, *tensors):
        """Keep these tensors (or None) for backward, read back as ctx.saved_tensors."""
        self.saved_tensors = tensors

    def mark_non_differentiable(self, *tensors):
        self.non_differentiable = tensors

    def set_materialize_grads(self, value):
        self.materialize_grads = value


class Function:
    """An operation with a forward and a backward of your own, as torch.autograd.Function.

    Subclass it with two static methods, forward(ctx, *args) and backward(ctx, *grad_outputs),
    and call Subclass.apply(*args). Both run with recording off; backward returns one
    gradient (Tensor or None) per argument of forward.
    """

    @staticmethod
    def forward(ctx, *args, **kwargs):
        raise NotImplementedError("a Function subclass must define forward(ctx, *args) as a staticmethod")

    @staticmethod
    def backward(ctx, *grad_outputs):
        raise NotImplementedError("a Function subclass must define backward(ctx, *grad_outputs) as a staticmethod")

    @classmethod
    def apply(cls, *args, **kwargs):
        ctx = FunctionCtx(tuple(isinstance(a, Tensor) and a.requires_grad for a in args))
        with no_grad():
            result = cls.forward(ctx, *args, **kwargs)
        inputs = [(i, a) for i, a in enumerate(args) if isinstance(a, Tensor)]
        if not (ENGINE.recording and any(ctx.needs_input_grad)):
            return result
        outputs = result if isinstance(result, tuple) else (result,)
        like = [(o.shape, o.dtype) if isinstance(o, Tensor) else None for o in outputs]
        for k, out in enumerate(outputs):
            if isinstance(out, Tensor) and out.dtype.kind == "f":
                connect(out, tuple(a for _, a in inputs), _function_backward(cls, ctx, inputs, like, k),
                        cls.__name__)
                for _, a in inputs:
                    a._used_by_graph = True
        return result


def _function_backward(cls, ctx, inputs, like, k):
    """The node rule of output k of a Function: its backward, with zero gradients for the other outputs."""
    def backward(grad):
        grads = [Tensor(grad) if j == k else (None if o is None else Tensor(np.zeros(*o)))
                 for j, o in enumerate(like)]
        with no_grad():
            result = cls.backward(ctx, *grads)
        result = result if isinstance(result, tuple) else (result,)
        if len(result) < max(i for i, _ in inputs) + 1:
            raise RuntimeError(f"function {cls.__name__}Backward returned an incorrect number of gradients "
                               f"(expected one per argument of forward, got {len(result)})")
        return tuple(None if result[i] is None else np.asarray(result[i].data if isinstance(result[i], Tensor)
                                                                 else result[i]) for i, _ in inputs)
    return backward


# %% [markdown]
# ### The given part at work
#
# A Function of your own, `max(dim)` sending its gradient to the chosen element, and the
# two rules of in-place changes: a parameter changes in place only under `no_grad()`, and
# a tensor that a recorded operation reads (here `exp`'s output) must not change before
# `backward()`.

# %%
class Cube(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x ** 3

    @staticmethod
    def backward(ctx, grad_output):
        x, = ctx.saved_tensors
        return grad_output * 3 * x ** 2


x = Tensor([1.0, 2.0], requires_grad=True)
Cube.apply(x).sum().backward()
assert x.grad.tolist() == [3.0, 12.0]
x.grad = None
values, indices = Tensor([[1.0, 5.0], [7.0, 2.0]], requires_grad=True).max(dim=1)
try:
    x.add_(1)
except RuntimeError as error:
    print("in place on a parameter outside no_grad:", error)
with no_grad():
    x -= 0.5
y = x.exp()
y += 1
try:
    y.sum().backward()
except RuntimeError as error:
    print("backward after exp's output changed:", error)
print(x, values, indices)


# %% [markdown]
# ## Step 9: checking gradients
#
# `gradcheck` is PyTorch's `torch.autograd.gradcheck`: it computes every partial
# derivative of `fn` twice, by your backward rules (one `backward` per output element)
# and by central differences in float64, and compares them with
# `|analytical - numerical| <= atol + rtol * |numerical|`. It returns True, or raises
# `GradcheckError` naming the output, the input and the element that disagree. Inputs
# of another floating-point dtype are checked as float64 copies. Given to you.

# %%
#| export
class GradcheckError(RuntimeError):
    """A gradient disagrees with its finite-difference estimate."""


def _outputs(result):
    return (result,) if isinstance(result, Tensor) else tuple(result)


def gradcheck(fn, inputs, *, eps: float = 1e-6, atol: float = 1e-5, rtol: float = 1e-3,
              raise_exception: bool = True) -> bool:
    """Compare the gradients of `fn(*inputs)` with central finite differences in float64.

    inputs: a Tensor or a tuple of them (and other values passed through); those with
    requires_grad are checked. Returns True; on a mismatch raises GradcheckError (or
    returns False with raise_exception=False).
    """
    inputs = (inputs,) if isinstance(inputs, Tensor) else tuple(inputs)
    xs = tuple(Tensor(np.array(v.data, dtype=np.float64, order="C"), requires_grad=True)
               if isinstance(v, Tensor) and v.requires_grad else v for v in inputs)
    checked = [i for i, v in enumerate(xs) if isinstance(v, Tensor) and v.requires_grad]
    with set_grad_enabled(True):
        outs = _outputs(fn(*xs))
    numerical = {i: _numerical_jacobians(fn, xs, i, eps) for i in checked}
    message = None
    for k, out in enumerate(outs):
        if out.dtype.kind != "f":
            continue  # integer and bool outputs have no gradient
        if not out.requires_grad:
            message = f"output {k} does not require grad: the operation that made it was not recorded"
            break
        analytical = {i: np.zeros((xs[i].size, out.size)) for i in checked}
        for j in range(out.size):  # one backward per output element: row j of the Jacobian
            for i in checked:
                xs[i].grad = None
            seed = np.zeros(out.shape, dtype=out.dtype)
            seed.flat[j] = 1
            out.backward(seed, retain_graph=True)
            for i in checked:
                if xs[i].grad is not None:
                    analytical[i][:, j] = xs[i].grad.data.reshape(-1)
        for i in checked:
            bad = ~np.isclose(analytical[i], numerical[i][k], rtol=rtol, atol=atol, equal_nan=True)
            if bad.any():
                e, j = (int(n) for n in np.argwhere(bad)[0])
                where = tuple(int(w) for w in np.unravel_index(e, xs[i].shape))
                message = (f"Jacobian mismatch for output {k} with respect to input {i}: "
                           f"d out[{j}] / d input[{where}] is {analytical[i][e, j]:.6g} by backward "
                           f"but {numerical[i][k][e, j]:.6g} by finite differences\n"
                           f"analytical:\n{analytical[i]}\nnumerical:\n{numerical[i][k]}")
                break
        if message:
            break
    for i in checked:
        xs[i].grad = None
    if message and raise_exception:
        raise GradcheckError(message)
    return message is None


def _numerical_jacobians(fn, xs, i, eps):
    """For each output of fn: (xs[i].size, output size) central differences in float64."""
    flat = xs[i].data.reshape(-1)  # a view (the copy is C-ordered): changing it changes the input
    columns = []
    with no_grad():
        for e in range(flat.size):
            original = flat[e]
            flat[e] = original + eps
            plus = [o.data.astype(np.float64).reshape(-1) for o in _outputs(fn(*xs))]
            flat[e] = original - eps
            minus = [o.data.astype(np.float64).reshape(-1) for o in _outputs(fn(*xs))]
            flat[e] = original
            columns.append([(p - m) / (2 * eps) for p, m in zip(plus, minus)])
    count = len(_outputs(fn(*xs))) if not columns else len(columns[0])
    return [np.array([c[k] for c in columns]).reshape(flat.size, -1) for k in range(count)]


# %%
assert gradcheck(lambda a, b: (a * b + a / b - b ** 2).sum(axis=0), (A, B))
assert gradcheck(lambda a, b: a @ b, (A, B))
assert gradcheck(lambda a: (a.T @ a).mean(), (A,))
assert gradcheck(lambda a: a.amax(axis=1) - a.amin(axis=0, keepdims=True).sum(), (A,))
assert gradcheck(lambda a: a.reshape(4, 3).transpose(0, 1)[[0, 0, 2], 1:], (A,))
assert gradcheck(lambda a: tanh(exp(-a)) + log(a) + softmax(a, dim=0), (A,))
print("Steps 4 to 8 pass gradcheck")

# %% [markdown]
# ## Seeing the graph
#
# `draw_graph` (in this module's feedback.py, also behind `tito plot autograd`) draws the
# graph your engine recorded: one box per tensor with its value and gradient, one red
# circle per node. `retain_grad()` keeps the gradients of the intermediate results so
# that they can be shown. Check a few by hand: `dL/df = a = 2`, and `a`, used twice,
# collects `f + b * dL/de`.

# %%
from types import SimpleNamespace

from tito.offers import feedback_module

feedback = feedback_module("autograd")  # this module's feedback.py: its figures
draw_graph, example_graph, plot_chain = feedback.draw_graph, feedback.example_graph, feedback.plot_chain

mine = SimpleNamespace(tanh=tanh, sigmoid=sigmoid, relu=relu)
root, labels = example_graph(mine, Tensor)
draw_graph(root, labels)

# %% [markdown]
# ## Gradients through deep chains
#
# The same engine shows why activations matter for depth. Below, 30 layers
# `h_k = act(W_k h_(k-1))` of 64 units with weights scaled to keep the forward signal
# steady; the loss is the sum of the last layer. Each point is the size of
# `d loss / d h_k`. Every sigmoid layer multiplies the gradient by at most 0.25 (the
# peak of its derivative): after 30 layers nothing is left to learn from. tanh (slope 1
# at 0) and relu (slope 1 where active, weights scaled by sqrt 2) keep it alive.

# %%
plot_chain(mine, Tensor)

# %% [markdown]
# ## Putting it together: gradient descent
#
# A network learns by repeating four lines: forward, loss, `backward()`, and a step
# against the gradient, taken under `no_grad()` (the update itself is not part of the
# model) before clearing `.grad` for the next round. Here a line `y = w x + b` is fitted
# to noisy points; modules 04 to 06 wrap the same loop in layers, losses and optimizers.

# %%
rng = np.random.default_rng(0)
xs = Tensor(rng.uniform(-1, 1, (64, 1)), dtype="float32")
ys = 3.0 * xs - 0.5 + Tensor(rng.normal(0, 0.05, (64, 1)), dtype="float32")
w = Tensor(np.zeros((1, 1)), dtype="float32", requires_grad=True)
b = Tensor(np.zeros(1), dtype="float32", requires_grad=True)
for _ in range(200):
    loss = ((xs @ w + b - ys) ** 2).mean()
    loss.backward()
    with no_grad():
        w.data -= 0.5 * w.grad.data
        b.data -= 0.5 * b.grad.data
    w.grad = b.grad = None
print(f"w = {w.item():.3f} (true 3), b = {b.item():.3f} (true -0.5), loss {loss.item():.4f}")
assert np.isclose(w.item(), 3, atol=0.05) and np.isclose(b.item(), -0.5, atol=0.05)

# %% [markdown]
# ## Speed (optional reading)
#
# `tito bench autograd` times two graphs against PyTorch, forward and backward,
# best of several runs:
#
# - **a chain of 1,000 scalar multiplications.** Each op costs Python work: making a
#   Tensor, calling the rule, recording a node, and in backward one rule call and a
#   few dictionary operations. PyTorch does the same in C++. Measured on a busy
#   2-core machine: 95-165 us per op against PyTorch's 40-65 us, 1.5 to 3.3 times.
# - **`tanh(a @ b).sum()` with 512x512 matrices.** Three matrix products (one forward,
#   two backward) dominate; NumPy and PyTorch both hand them to an optimised BLAS, so
#   the ratio is close to 1 (measured 0.85 to 1.4, both on one thread). On a busy
#   machine, NumPy's default of one BLAS thread per core can be several times slower
#   than one thread: the bench limits both frameworks to one. The rules add only what
#   they must: `sum`'s backward is a
#   `broadcast_to` view (no copy) and tanh's derivative reuses the forward's output.
#
# ## What's next
#
# ```bash
# tito test autograd
# tito check autograd
# tito sync --module autograd
# ```
#
# Module 04 builds `Linear` layers and `Module` on this engine: their parameters are
# tensors with `requires_grad=True`, and `loss.backward()` fills every weight's `.grad`.

# %% [markdown]
# ## How this module is graded
#
# `tito grade` runs this module's tests on your code. The tests that code computing
# nothing passes too (a shape of `.grad`, an error for a backward without a gradient)
# share 5% of the score; the tests that need the right values share the other 95%.
