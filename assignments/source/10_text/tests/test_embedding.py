"""nn.Embedding and F.embedding: values and gradients against a NumPy count and central
differences (no PyTorch needed), then against PyTorch in float64; init, padding, errors."""
import numpy as np
import pytest

import tinytorch
from tinytorch.core.autograd import gradcheck
from tinytorch.core.tensor import Tensor
from tinytorch.core.text import Embedding, embedding

RNG = np.random.default_rng(0)
IDS = np.array([[3, 1, 3, 3], [0, 5, 1, 0]])  # repeats: 3 three times, 1 and 0 twice; 2 and 4 unused


def expected_grad(ids, upstream, rows, padding_idx=None):
    """The weight's gradient, one (id, upstream row) pair at a time: repeats add up."""
    grad = np.zeros((rows, upstream.shape[-1]))
    for i, g in zip(ids.reshape(-1), upstream.reshape(-1, upstream.shape[-1])):
        if i != padding_idx:
            grad[i] += g
    return grad


def run(ids, weight, padding_idx=None, upstream=None):
    w = Tensor(weight.copy(), requires_grad=True)
    out = embedding(Tensor(ids), w, padding_idx)
    upstream = RNG.normal(size=out.shape) if upstream is None else upstream
    out.backward(Tensor(upstream))
    return out, w.grad, upstream


def test_values_are_the_rows_of_the_ids():
    weight = RNG.normal(size=(6, 4))
    out = embedding(Tensor(IDS), Tensor(weight))
    assert out.shape == (2, 4, 4) and out.dtype == np.float64
    np.testing.assert_array_equal(out.data, weight[IDS])
    assert embedding(Tensor(np.array(2)), Tensor(weight)).shape == (4,)
    assert embedding(Tensor(np.zeros((0, 3), np.int64)), Tensor(weight)).shape == (0, 3, 4)


def test_repeated_ids_add_their_gradients():
    weight = RNG.normal(size=(6, 4))
    _, grad, upstream = run(IDS, weight)
    assert grad is not None and grad.shape == (6, 4), "the weight got no gradient (or one of the wrong shape)"
    want = expected_grad(IDS, upstream, 6)
    np.testing.assert_allclose(grad.data, want, rtol=1e-14, atol=1e-15,
                               err_msg="id 3 is used three times: its row must get the sum of the three gradients")
    ones = run(IDS, weight, upstream=np.ones((2, 4, 4)))[1].data[:, 0]
    assert ones.tolist() == [2, 2, 0, 3, 0, 1], f"with upstream ones, row i gets (uses of i): {ones.tolist()}"


@pytest.mark.parametrize("padding_idx", [0, 3, -1])
def test_the_padding_row_gets_no_gradient(padding_idx):
    weight = RNG.normal(size=(6, 4))
    ids = np.array([[3, 5, 3], [0, 5, 1]])
    _, grad, upstream = run(ids, weight, padding_idx)
    want = expected_grad(ids, upstream, 6, padding_idx % 6)
    np.testing.assert_allclose(grad.data, want, rtol=1e-14, atol=1e-15,
                               err_msg=f"padding_idx={padding_idx}: that row gets nothing, the others their sums")
    out = embedding(Tensor(ids), Tensor(weight), padding_idx)
    np.testing.assert_array_equal(out.data, weight[ids], err_msg="padding changes gradients, not values")


def test_central_differences():
    weight = Tensor(RNG.normal(size=(5, 3)), requires_grad=True)
    ids = Tensor(np.array([[4, 0, 4], [2, 4, 1]]))
    assert gradcheck(lambda w: embedding(ids, w) * embedding(ids, w), (weight,))


def test_layer_init_is_standard_normal_with_a_zero_padding_row():
    tinytorch.manual_seed(0)
    layer = Embedding(2000, 50, padding_idx=7)
    w = layer.weight.data
    assert w.shape == (2000, 50) and w.dtype == np.float32 and layer.weight.requires_grad
    assert np.all(w[7] == 0), "the padding row starts at zero"
    rest = np.delete(w, 7, axis=0)
    assert abs(rest.mean()) < 0.01 and abs(rest.std() - 1) < 0.01, (
        f"N(0, 1): mean {rest.mean():.4f}, std {rest.std():.4f}"
    )
    assert abs(np.mean(np.abs(rest) < 1) - 0.6827) < 0.01, "a normal distribution: 68% within one std"
    tinytorch.manual_seed(0)
    again = Embedding(2000, 50, padding_idx=7)
    assert np.array_equal(again.weight.data, w) and not np.array_equal(Embedding(2000, 50).weight.data, w)


def test_layer_forward_backward_and_names():
    layer = Embedding(10, 3, padding_idx=0).double()
    assert list(layer.state_dict()) == ["weight"] and repr(layer) == "Embedding(10, 3, padding_idx=0)"
    assert repr(Embedding(65, 16)) == "Embedding(65, 16)" and Embedding(10, 3, padding_idx=-2).padding_idx == 8
    ids = Tensor(np.array([[1, 1, 0, 9]]))
    out = layer(ids)
    assert out.shape == (1, 4, 3) and out.dtype == np.float64
    out.sum().backward()
    assert layer.weight.grad.data[:, 0].tolist() == [0, 2, 0, 0, 0, 0, 0, 0, 0, 1]
    layer.weight.data[0] = 5.0
    assert np.all(layer(Tensor(np.array([0]))).data == 5.0), "the padding row is looked up like any other"


def test_from_pretrained_freezes_by_default():
    table = np.arange(12, dtype=np.float32).reshape(4, 3)
    frozen = Embedding.from_pretrained(Tensor(table))
    assert not frozen.weight.requires_grad and np.array_equal(frozen(Tensor(np.array([2]))).data, table[[2]])
    assert Embedding.from_pretrained(Tensor(table), freeze=False).weight.requires_grad


def test_errors_are_clear():
    weight = Tensor(np.ones((4, 2)))
    assert embedding(Tensor(np.array([3, 0])), weight).shape == (2, 2), "the ids in range work"
    with pytest.raises(TypeError, match="integer"):
        embedding(Tensor(np.array([0.0, 1.0])), weight)
    with pytest.raises(IndexError, match="4"):
        embedding(Tensor(np.array([0, 4])), weight)
    with pytest.raises(IndexError, match="-1"):
        embedding(Tensor(np.array([-1])), weight)
    with pytest.raises(ValueError, match="padding_idx"):
        Embedding(4, 2, padding_idx=4)
    with pytest.raises(NotImplementedError, match="max_norm"):
        Embedding(4, 2, max_norm=1.0)


# ---- against PyTorch, float64 ---------------------------------------------------------------

@pytest.mark.parametrize("padding_idx", [None, 2, -1])
def test_matches_pytorch(torch, padding_idx):
    weight = RNG.normal(size=(7, 5))
    ids = RNG.integers(0, 7, size=(3, 6))
    ids[0, :3] = 2  # repeats of the padding row too
    out, grad, upstream = run(ids, weight, padding_idx)
    w = torch.tensor(weight, requires_grad=True)
    theirs = torch.nn.functional.embedding(torch.from_numpy(ids), w, padding_idx=padding_idx)
    theirs.backward(torch.from_numpy(upstream))
    np.testing.assert_array_equal(out.data, theirs.detach().numpy())
    np.testing.assert_allclose(grad.data, w.grad.numpy(), rtol=1e-14, atol=1e-15)


def test_weights_move_both_ways(torch):
    tinytorch.manual_seed(3)
    ours = Embedding(12, 4, padding_idx=1).double()
    theirs = torch.nn.Embedding(12, 4, padding_idx=1).double()
    assert list(ours.state_dict()) == list(theirs.state_dict())
    theirs.load_state_dict({k: torch.from_numpy(v) for k, v in ours.state_dict().items()})
    ids = np.array([[0, 1, 11, 1]])
    np.testing.assert_array_equal(ours(Tensor(ids)).data, theirs(torch.from_numpy(ids)).detach().numpy())
    torch.manual_seed(0)
    fresh = torch.nn.Embedding(12, 4, padding_idx=1).double()
    ours.load_state_dict(fresh.state_dict())
    np.testing.assert_array_equal(ours.weight.data, fresh.weight.detach().numpy())
    assert np.all(ours.weight.data[1] == 0) and np.all(fresh.weight.detach().numpy()[1] == 0)
