"""The graph and the backward pass: what PyTorch's autograd guarantees, one property a test.

Every test builds a graph with the learner's engine and checks values that an
independent calculation gives (the chain rule by hand), so each one fails until the
engine works. Ordered from the first thing a learner writes to the last.
"""
import numpy as np
import pytest

import tinytorch
import tinytorch.autograd
import tinytorch.core.autograd as ag
from tinytorch.core.tensor import Tensor


def leaf(values, dtype="float32"):
    return Tensor(np.asarray(values, dtype=dtype), requires_grad=True)


# ---- unbroadcast --------------------------------------------------------------------------

@pytest.mark.parametrize("shape", [(2, 4, 3), (4, 3), (3,), (1, 3), (4, 1), (2, 1, 3), (1, 1, 1), ()])
def test_unbroadcast_sums_every_stretched_axis(shape):
    grad = np.arange(24.0).reshape(2, 4, 3)
    # independent reference: add each element of grad into the operand element it came from
    owner = np.broadcast_to(np.arange(int(np.prod(shape))).reshape(shape), grad.shape)
    want = np.bincount(owner.ravel(), weights=grad.ravel(), minlength=int(np.prod(shape))).reshape(shape)
    got = ag.unbroadcast(grad, shape)
    assert np.shape(got) == shape, f"unbroadcast to {shape} gave shape {np.shape(got)}"
    np.testing.assert_allclose(got, want, err_msg=f"unbroadcast to {shape}")


# ---- recording ------------------------------------------------------------------------------

def test_results_record_their_node_and_leaves_do_not():
    x, w = leaf([1.0, 2.0]), Tensor([3.0, 4.0])
    y = x * w
    assert x.is_leaf and x.grad_fn is None and w.is_leaf and not w.requires_grad
    assert y.requires_grad and not y.is_leaf, "x * w with x requiring a gradient must be recorded"
    assert isinstance(y.grad_fn, ag.Node) and y.grad_fn.name() == "MulBackward0"
    assert len(y.grad_fn.inputs) == 2 and y.grad_fn.inputs[0] is x
    z = y.sum()
    assert z.requires_grad and z.grad_fn.name() == "SumBackward0", "results of results are recorded too"
    plain = w * w
    assert plain.is_leaf and not plain.requires_grad, "nothing requires a gradient: nothing is recorded"


# ---- the backward pass -----------------------------------------------------------------------

def test_chain_rule_on_a_scalar_expression():
    x = leaf(2.0)
    y = x * x + 3 * x  # dy/dx = 2x + 3
    y.backward()
    assert x.grad is not None, "backward() left x.grad at None"
    assert isinstance(x.grad, Tensor) and x.grad.dtype == np.float32 and x.grad.shape == ()
    assert x.grad.item() == 7.0


def test_diamond_adds_both_paths():
    x = leaf(2.0)
    y = 3 * x
    c = 2 * y + 5 * y  # dc/dy = 7, dy/dx = 3
    c.backward()
    assert x.grad.item() == 21.0, f"y = 3x, c = 2y + 5y: dc/dx is 21, got {x.grad.item()}"


def test_input_used_twice_in_one_op():
    x = leaf([1.0, -2.0, 3.0])
    (x * x).sum().backward()
    np.testing.assert_array_equal(x.grad.data, [2.0, -4.0, 6.0], err_msg="d(x*x)/dx = 2x")


def test_non_leaf_reused_by_two_branches():
    """A peer framework dropped the gradient of one branch when a non-leaf fed two."""
    x = leaf([1.0, 2.0])
    y = x * 3
    a, b = y * 2, y + 1
    (a + b).sum().backward()  # d/dy = 2 + 1, dy/dx = 3
    np.testing.assert_array_equal(x.grad.data, [9.0, 9.0])


def test_a_gradient_array_shared_by_two_inputs_is_not_modified():
    """add hands the same array to both inputs; adding into it in place corrupts the other."""
    a, b = leaf([1.0, 1.0]), leaf([1.0, 1.0])
    ((a + b) + a).sum().backward()
    np.testing.assert_array_equal(a.grad.data, [2.0, 2.0], err_msg="a is used twice")
    np.testing.assert_array_equal(b.grad.data, [1.0, 1.0], err_msg="b is used once")


def test_constants_get_no_gradient_and_results_keep_none():
    x, c = leaf([1.0, 2.0]), Tensor([5.0, 7.0])
    y = x * c
    z = (y * y).sum()
    z.backward()
    np.testing.assert_array_equal(x.grad.data, 2 * 25 * np.array([1.0, 2.0]) * [1.0, 49 / 25])
    assert c.grad is None, "a tensor without requires_grad must not receive a gradient"
    assert y.grad is None, "a non-leaf keeps no .grad (PyTorch), unless retain_grad() asked"


def test_retain_grad_keeps_a_non_leaf_gradient():
    x = leaf([1.0, 2.0])
    y = x * 3
    y.retain_grad()
    (y * y).sum().backward()
    np.testing.assert_array_equal(y.grad.data, [6.0, 12.0])
    np.testing.assert_array_equal(x.grad.data, [18.0, 36.0])


def test_gradients_accumulate_over_two_backward_calls():
    x = leaf([1.0, 2.0])
    (x * 2).sum().backward()
    (x * x).sum().backward()
    np.testing.assert_array_equal(x.grad.data, [2 + 2, 2 + 4], err_msg="the second backward adds to .grad")
    y = (x * 5).sum()
    y.backward(retain_graph=True)
    y.backward()
    np.testing.assert_array_equal(x.grad.data, [4 + 10, 6 + 10])


def test_second_backward_through_a_freed_graph_is_an_error():
    x = leaf([1.0, 2.0])
    y = (x * x).sum()
    y.backward()
    np.testing.assert_array_equal(x.grad.data, [2.0, 4.0])
    with pytest.raises(RuntimeError, match="second time"):
        y.backward()


def test_backward_of_a_vector_needs_a_gradient():
    x = leaf([1.0, 2.0, 3.0])
    y = x * 2
    with pytest.raises(RuntimeError, match="implicitly created only for scalar outputs"):
        y.backward()
    y.backward(Tensor([1.0, 0.5, 0.0]))
    np.testing.assert_array_equal(x.grad.data, [2.0, 1.0, 0.0])
    with pytest.raises(RuntimeError, match="[Mm]ismatch in shape"):
        (x * 2).backward(Tensor([1.0, 2.0]))


def test_backward_of_a_tensor_without_grad_is_an_error():
    x = leaf([1.0])
    (x * 2).sum().backward()
    assert x.grad.item() == 2.0
    with pytest.raises(RuntimeError, match="does not require grad"):
        x.detach().sum().backward()


def test_detach_stops_the_gradient_and_shares_data():
    x = leaf([1.0, 2.0])
    d = (x * 2).detach()
    assert d.is_leaf and not d.requires_grad and d.grad_fn is None
    y = (x * d).sum()  # d is a constant: dy/dx = d
    y.backward()
    np.testing.assert_array_equal(x.grad.data, [2.0, 4.0])
    assert x.detach().data is x.data or np.shares_memory(x.detach().data, x.data)


def test_requires_grad_in_place():
    x = Tensor([1.0, 2.0])
    assert x.requires_grad_() is x and x.requires_grad
    (x * x).sum().backward()
    np.testing.assert_array_equal(x.grad.data, [2.0, 4.0])
    with pytest.raises(RuntimeError, match="floating"):
        Tensor([1, 2]).requires_grad_()


def test_integer_operands_give_float_gradients():
    x = leaf([1.0, 2.0])
    (x * Tensor([3, 4]) + 1).sum().backward()
    assert x.grad.dtype == np.float32
    np.testing.assert_array_equal(x.grad.data, [3.0, 4.0])
    z = leaf([1.5], dtype="float64")
    (z * 2.5).sum().backward()
    assert z.grad.dtype == np.float64, "a number adapts to the tensor: float64 stays float64"


def test_repeated_indices_accumulate():
    x = leaf([1.0, 2.0, 3.0])
    x[[0, 0, 1]].sum().backward()
    np.testing.assert_array_equal(x.grad.data, [2.0, 1.0, 0.0], err_msg="x[0] is picked twice")


def test_iterating_over_rows_is_recorded():
    x = leaf([[1.0, 2.0], [3.0, 4.0]])
    first, second = x
    (first * 2 + second * 3).sum().backward()
    np.testing.assert_array_equal(x.grad.data, [[2.0, 2.0], [3.0, 3.0]])


def test_sum_over_axis_one_of_a_square_matrix():
    """A peer framework returned this gradient transposed, without an error."""
    x = leaf(np.arange(9.0).reshape(3, 3))
    w = Tensor([1.0, 10.0, 100.0])
    (x.sum(axis=1) * w).sum().backward()  # row i is summed into element i, weighted w[i]
    np.testing.assert_array_equal(x.grad.data, np.repeat(w.data[:, None], 3, axis=1))


def test_max_shares_the_gradient_between_ties():
    x = leaf([1.0, 3.0, 3.0, 2.0])
    x.max().backward()
    np.testing.assert_array_equal(x.grad.data, [0.0, 0.5, 0.5, 0.0], err_msg="as torch.amax")


def test_pow_zero_has_zero_gradient_at_zero():
    x = leaf([0.0, 2.0])
    with np.errstate(all="raise"):
        (x ** 0 + x ** 2).sum().backward()
    np.testing.assert_array_equal(x.grad.data, [0.0, 4.0])


def test_pow_exponent_gradient_at_a_zero_base_is_zero_as_pytorch():
    """d(a**b)/db = a**b log(a) is 0 * -inf at a = 0; PyTorch takes it as 0 for b >= 0."""
    b = leaf([2.0, 0.0, 3.0], "float64")
    with np.errstate(all="raise"):
        (Tensor(np.array([0.0, 0.0, 2.0])) ** b).sum().backward()
    np.testing.assert_allclose(b.grad.data, [0.0, 0.0, 8 * np.log(2.0)], rtol=1e-15)


def test_matmul_gives_a_gradient_to_whichever_operand_requires_one():
    """A layer's weight requires a gradient and its input batch does not (or the other way round)."""
    a, b = np.array([[1.0, 2.0], [3.0, 4.0]]), np.array([[5.0, 6.0], [7.0, 8.0]])
    weight = leaf(b)
    (Tensor(a) @ weight).sum().backward()  # d/dB sum(A B) = A^T 1: column sums of A in every column
    np.testing.assert_array_equal(weight.grad.data, [[4.0, 4.0], [6.0, 6.0]])
    batch = leaf(a)
    (batch @ Tensor(b)).sum().backward()  # d/dA sum(A B) = 1 B^T: row sums of B in every row
    np.testing.assert_array_equal(batch.grad.data, [[11.0, 15.0], [11.0, 15.0]])


def test_tanh_and_every_activation_are_differentiable():
    """A peer framework left tanh out of its differentiable operations."""
    x = leaf([0.5, -1.0])
    for name in ("relu", "sigmoid", "tanh", "leaky_relu", "elu", "gelu", "silu", "softplus",
                 "softmax", "log_softmax"):
        y = getattr(ag, name)(x)
        assert y.requires_grad and y.grad_fn is not None, f"{name}(x) was not recorded"
    t = ag.tanh(x)
    t.sum().backward()
    np.testing.assert_allclose(x.grad.data, 1 - np.tanh([0.5, -1.0]) ** 2, rtol=1e-6)


def test_activations_reuse_module_02_derivatives_exactly():
    """One derivative per function: autograd's gradient is module 02's *_backward, bit for bit."""
    from tinytorch.core import activations

    rng = np.random.default_rng(1)
    data = rng.standard_normal((3, 5)).astype(np.float32)
    g = rng.standard_normal((3, 5)).astype(np.float32)
    uses = {"relu": "x", "sigmoid": "out", "tanh": "out", "leaky_relu": "x", "elu": "x", "gelu": "x",
            "silu": "x", "softplus": "x", "softmax": "out", "log_softmax": "out"}
    for name, saved in uses.items():
        x = leaf(data)
        out = getattr(ag, name)(x)
        out.backward(Tensor(g))
        want = getattr(activations, f"{name}_backward")(g, x.data if saved == "x" else out.data)
        np.testing.assert_array_equal(x.grad.data, want, err_msg=f"{name}: not module 02's {name}_backward")


# ---- graphs of any size -------------------------------------------------------------------------

def _count_rule_calls(root, limit):
    """Wrap every node's rule to count its calls; fail fast past `limit` (a path-by-path walk)."""
    calls = [0]
    order, stack, seen = [], [root], set()
    while stack:  # every node, each once (independent of the engine's own order)
        t = stack.pop()
        if id(t) in seen or t.grad_fn is None:
            continue
        seen.add(id(t))
        order.append(t.grad_fn)
        stack.extend(t.grad_fn.inputs)
    for node in order:
        def counted(grad, rule=node.backward):
            calls[0] += 1
            assert calls[0] <= limit, f"more than {limit} rule calls: shared nodes are visited more than once"
            return rule(grad)
        node.backward = counted
    return calls, len(order)


def test_shared_nodes_are_visited_once():
    """A recursive backward in a peer framework visited shared nodes once per path."""
    x = leaf(1.0, dtype="float64")
    b = x
    for _ in range(12):
        b = b + b
    calls, nodes = _count_rule_calls(b, limit=100)
    b.backward()
    assert x.grad.item() == 2.0 ** 12
    assert calls[0] == nodes == 12, f"{calls[0]} rule calls for {nodes} nodes"


def test_thirty_doublings():
    x = leaf(1.0, dtype="float64")
    b = x
    for _ in range(30):
        b = b + b  # 2^30 paths from b to x, 31 tensors
    calls, _ = _count_rule_calls(b, limit=100)
    b.backward()
    assert x.grad.item() == 2.0 ** 30 and calls[0] == 30


def test_a_chain_of_ten_thousand_ops():
    x = leaf(0.5, dtype="float64")
    y = x
    for _ in range(10_000):
        y = y * 1.0001
    y.backward()  # no recursion: deeper than Python's recursion limit
    np.testing.assert_allclose(x.grad.item(), 1.0001 ** 10_000, rtol=1e-9)


# ---- no_grad ------------------------------------------------------------------------------------

def test_no_grad_context_records_nothing_and_recording_resumes():
    x = leaf([1.0, 2.0])
    with tinytorch.no_grad():
        y = x * 2
        assert not tinytorch.is_grad_enabled()
    assert not y.requires_grad and y.grad_fn is None, "computed under no_grad: nothing recorded"
    assert tinytorch.is_grad_enabled()
    (x * y).sum().backward()  # y is a constant here
    np.testing.assert_array_equal(x.grad.data, [2.0, 4.0])


def test_no_grad_decorator_and_enable_grad_inside():
    x = leaf([1.0, 2.0])

    @tinytorch.no_grad()
    def evaluate(t):
        return t * 3

    assert evaluate.__name__ == "evaluate"
    assert not evaluate(x).requires_grad
    with tinytorch.no_grad():
        with tinytorch.enable_grad():
            y = (x * x).sum()
        z = x * 2
    assert y.requires_grad and not z.requires_grad
    y.backward()
    np.testing.assert_array_equal(x.grad.data, [2.0, 4.0])


def test_no_grad_restores_the_mode_after_an_exception():
    x = leaf([1.0])
    with pytest.raises(ValueError):
        with tinytorch.no_grad():
            raise ValueError("inside")
    (x * 2).sum().backward()
    assert x.grad.item() == 2.0, "recording resumes after an exception inside no_grad"


# ---- gradcheck ----------------------------------------------------------------------------------

def test_gradcheck_passes_a_correct_op_and_names_a_wrong_one():
    @ag.differentiable
    def cube_wrong(x):
        out = x * x * x
        return out, lambda grad: (2 * grad * x.data ** 2,)  # should be 3 x^2

    x = leaf([0.5, -1.0, 2.0], dtype="float64")
    assert ag.gradcheck(lambda t: t * t * t, (x,))
    with pytest.raises(ag.GradcheckError, match=r"input 0.*\(0,\)"):
        ag.gradcheck(cube_wrong, (x,))
    assert ag.gradcheck(cube_wrong, (x,), raise_exception=False) is False
    assert tinytorch.autograd.gradcheck is ag.gradcheck


def test_abs_and_clamp_at_their_kinks_follow_pytorch():
    x = leaf([-0.5, 0.0, 0.8, 1.0])
    ag.clamp(x, -0.5, 0.8).sum().backward()
    np.testing.assert_array_equal(x.grad.data, [1.0, 1.0, 1.0, 0.0], err_msg="bounds included")
    y = leaf([-1.0, 0.0, 2.0])
    ag.abs(y).sum().backward()
    np.testing.assert_array_equal(y.grad.data, [-1.0, 0.0, 1.0], err_msg="abs'(0) = 0")
