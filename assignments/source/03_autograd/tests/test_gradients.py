"""Every differentiable op against two independent references: central finite differences
in float64 (gradcheck) and torch.autograd in float64; then float32, and broadcasting.

The ops are listed once, in autograd_ops.py beside this file.
"""
import numpy as np
import pytest
from autograd_ops import OPS, ours, theirs
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import mutually_broadcastable_shapes

import tinytorch.core.autograd as ag
from tinytorch.core.tensor import Tensor

OURS = ours(ag)


def leaves(op, dtype=np.float64):
    return [Tensor(a, requires_grad=True) for a in op.inputs(dtype)]


@pytest.mark.parametrize("op", OPS, ids=lambda op: op.name)
def test_gradient_matches_finite_differences(op):
    inputs = leaves(op)
    assert ag.gradcheck(lambda *xs: op.fn(OURS, *xs), inputs), op.name


@pytest.mark.parametrize("op", OPS, ids=lambda op: op.name)
def test_gradient_matches_pytorch(op, torch):
    arrays = op.inputs(np.float64)
    mine = [Tensor(a, requires_grad=True) for a in arrays]
    out = op.fn(OURS, *mine)
    upstream = np.random.default_rng(7).standard_normal(out.shape)
    out.backward(Tensor(upstream))
    reference = [torch.tensor(a, requires_grad=True) for a in arrays]
    their_out = op.fn(theirs(torch), *reference)
    their_out.backward(torch.tensor(upstream))
    np.testing.assert_allclose(out.data, their_out.detach().numpy(), rtol=1e-12, atol=1e-14,
                               err_msg=f"{op.name}: forward value")
    for i, (x, t) in enumerate(zip(mine, reference)):
        assert x.grad is not None, f"{op.name}: input {i} got no gradient"
        assert x.grad.shape == x.shape, f"{op.name}: input {i} of shape {x.shape} got a {x.grad.shape} gradient"
        np.testing.assert_allclose(x.grad.data, t.grad.numpy(), rtol=1e-10, atol=1e-12,
                                   err_msg=f"{op.name}: gradient of input {i}")


MATMULS = [op for op in OPS if op.group == "matmul"]


@pytest.mark.parametrize("needed", [0, 1], ids=["only a", "only b"])
@pytest.mark.parametrize("op", MATMULS, ids=lambda op: op.name)
def test_matmul_gradient_of_one_operand_alone(op, needed, torch):
    """As in a layer's x @ W.T, where only the weight requires a gradient."""
    arrays = op.inputs(np.float64)
    mine = [Tensor(a, requires_grad=i == needed) for i, a in enumerate(arrays)]
    out = op.fn(OURS, *mine)
    upstream = np.random.default_rng(8).standard_normal(out.shape)
    out.backward(Tensor(upstream))
    reference = [torch.tensor(a, requires_grad=i == needed) for i, a in enumerate(arrays)]
    op.fn(theirs(torch), *reference).backward(torch.tensor(upstream))
    other = mine[1 - needed]
    assert other.grad is None, f"{op.name}: input {1 - needed} requires no gradient but got one"
    assert mine[needed].grad is not None, f"{op.name}: input {needed} (the only one requiring a gradient) got none"
    np.testing.assert_allclose(mine[needed].grad.data, reference[needed].grad.numpy(), rtol=1e-10, atol=1e-12,
                               err_msg=f"{op.name}: gradient of input {needed} when only it requires one")


@pytest.mark.parametrize("op", OPS, ids=lambda op: op.name)
def test_float32_gradients_keep_dtype_and_agree_with_float64(op):
    outs = {}
    for dtype in (np.float32, np.float64):
        xs = leaves(op, dtype)
        out = op.fn(OURS, *xs)
        assert out.dtype == dtype, f"{op.name}: {np.dtype(dtype).name} inputs gave a {out.dtype} result"
        out.backward(Tensor(np.ones(out.shape, dtype=dtype)))
        outs[dtype] = [x.grad for x in xs]
    for i, (g32, g64) in enumerate(zip(outs[np.float32], outs[np.float64])):
        assert g32.dtype == np.float32, f"{op.name}: float32 input {i} got a {g32.dtype} gradient"
        scale = np.abs(g64.data).max() + 1
        np.testing.assert_allclose(g32.data, g64.data, rtol=1e-4, atol=1e-5 * scale,
                                   err_msg=f"{op.name}: float32 gradient of input {i}")


BINARY = {"+": lambda a, b: a + b, "-": lambda a, b: a - b, "*": lambda a, b: a * b,
          "/": lambda a, b: a / b}


@given(shapes=mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=3, max_side=3),
       symbol=st.sampled_from(sorted(BINARY)))
def test_broadcast_operands_get_gradients_of_their_own_shape(shapes, symbol):
    a_shape, b_shape = shapes.input_shapes
    rng = np.random.default_rng(0)
    a_np, b_np = rng.uniform(0.5, 2, a_shape), rng.uniform(0.5, 2, b_shape)
    a, b = Tensor(a_np, requires_grad=True), Tensor(b_np, requires_grad=True)
    out = BINARY[symbol](a, b)
    w = rng.standard_normal(out.shape)
    out.backward(Tensor(w))
    # Independent reference: local derivative at every result element, then each element
    # of an operand adds up the results it took part in (bincount over its broadcast index).
    A, B = np.broadcast_to(a_np, out.shape), np.broadcast_to(b_np, out.shape)
    local = {"+": (1, 1), "-": (1, -1), "*": (B, A), "/": (1 / B, -A / B ** 2)}[symbol]
    for name, x, shape, d in (("a", a, a_shape, local[0]), ("b", b, b_shape, local[1])):
        owner = np.broadcast_to(np.arange(int(np.prod(shape))).reshape(shape), out.shape)
        want = np.bincount(owner.ravel(), weights=(w * d).ravel(), minlength=int(np.prod(shape)))
        assert x.grad.shape == shape, (
            f"a {symbol} b with shapes {a_shape}, {b_shape}: {name}.grad has shape {x.grad.shape}"
        )
        np.testing.assert_allclose(x.grad.data, want.reshape(shape), rtol=1e-12, atol=1e-12,
                                   err_msg=f"a {symbol} b with shapes {a_shape}, {b_shape}: gradient of {name}")


@pytest.mark.parametrize("name", ["relu", "sigmoid", "tanh", "leaky_relu", "elu", "gelu", "silu",
                                  "softplus", "softmax", "log_softmax"])
def test_functional_activations_record_gradients(name):
    """F.relu(x) in a forward pass is differentiable, as torch.nn.functional's is."""
    import tinytorch.nn.functional as F

    x = Tensor(np.array([[-1.5, 0.25, 2.0]]), requires_grad=True)
    getattr(F, name)(x).sum().backward()
    assert x.grad is not None, f"F.{name}(x) recorded nothing: x.grad is None after backward()"
    expected = Tensor(x.data, requires_grad=True)
    getattr(ag, name)(expected).sum().backward()
    assert np.array_equal(x.grad.data, expected.grad.data), (
        f"F.{name}: gradient {x.grad.data} differs from autograd.{name}'s {expected.grad.data}")
