"""The transformer against PyTorch in float64: F.layer_norm, nn.TransformerEncoderLayer in
both norm orders and both activations (outputs, gradients of the input and of every
parameter), weights moved both ways, and the GPT against the same model in PyTorch."""
import importlib.util
from pathlib import Path

import numpy as np
import pytest
from test_transformer import close

import tinytorch
from tinytorch.core import transformer as T
from tinytorch.core.tensor import Tensor


@pytest.mark.parametrize("shape,n", [((4, 7), 1), ((2, 3, 8), 1), ((2, 3, 4), 2), ((3, 5), 1)])
def test_layer_norm(torch, shape, n):
    rng = np.random.default_rng(0)
    x = rng.normal(size=shape) * rng.choice([1e-3, 1.0, 100.0])
    normalized = shape[len(shape) - n:]
    w, b = rng.normal(size=normalized), rng.normal(size=normalized)
    ours = [Tensor(a, requires_grad=True) for a in (x, w, b)]
    out = T.layer_norm(ours[0], normalized, ours[1], ours[2])
    upstream = rng.normal(size=shape)
    out.backward(Tensor(upstream))
    theirs = [torch.tensor(a, requires_grad=True) for a in (x, w, b)]
    want = torch.nn.functional.layer_norm(theirs[0], normalized, theirs[1], theirs[2])
    want.backward(torch.from_numpy(upstream))
    close(f"layer_norm over {normalized} of {shape}", out.data, want.detach().numpy())
    for name, mine, yours in zip(("input", "weight", "bias"), ours, theirs):
        close(f"layer_norm: gradient of the {name}", mine.grad.data, yours.grad.numpy(), rtol=1e-9)


def pair(torch, norm_first, activation, batch_first, seed=0):
    tinytorch.manual_seed(seed)
    ours = T.TransformerEncoderLayer(8, 2, dim_feedforward=16, dropout=0.0, activation=activation,
                                     batch_first=batch_first, norm_first=norm_first).double()
    rng = np.random.default_rng(seed)
    for _, p in ours.named_parameters():  # biases and norms away from 0 and 1
        p.data[...] = p.data + 0.2 * rng.normal(size=p.shape)
    theirs = torch.nn.TransformerEncoderLayer(8, 2, dim_feedforward=16, dropout=0.0, activation=activation,
                                              batch_first=batch_first, norm_first=norm_first).double()
    theirs.load_state_dict({k: torch.from_numpy(v) for k, v in ours.state_dict().items()})
    return ours, theirs


@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("activation", ["relu", "gelu"])
@pytest.mark.parametrize("norm_first", [False, True])
@pytest.mark.parametrize("masks", ["none", "causal+padding"])
def test_transformer_encoder_layer(torch, norm_first, activation, batch_first, masks):
    ours, theirs = pair(torch, norm_first, activation, batch_first)
    rng = np.random.default_rng(1)
    N, L = 3, 5
    x = rng.normal(size=(N, L, 8) if batch_first else (L, N, 8))
    options = {}
    if masks != "none":
        padding = rng.random((N, L)) < 0.3
        padding[:, 0] = False
        options = {"src_mask": np.triu(np.ones((L, L), bool), 1), "src_key_padding_mask": padding,
                   "is_causal": True}
    xt = Tensor(x, requires_grad=True)
    out = ours(xt, **options)
    upstream = rng.normal(size=out.shape)
    out.backward(Tensor(upstream))
    tx = torch.tensor(x, requires_grad=True)
    want = theirs(tx, **{k: torch.from_numpy(v) if isinstance(v, np.ndarray) else v for k, v in options.items()})
    want.backward(torch.from_numpy(upstream))
    what = f"TransformerEncoderLayer(norm_first={norm_first}, {activation}, batch_first={batch_first}, {masks})"
    close(f"{what}: output", out.data, want.detach().numpy())
    close(f"{what}: gradient of the input", xt.grad.data, tx.grad.numpy(), rtol=1e-9)
    torch_params = dict(theirs.named_parameters())
    for name, p in ours.named_parameters():
        close(f"{what}: gradient of {name}", p.grad.data, torch_params[name].grad.numpy(), rtol=1e-9)


def test_encoder_layer_weights_move_both_ways(torch):
    tinytorch.manual_seed(2)
    ours = T.TransformerEncoderLayer(16, 4)
    theirs = torch.nn.TransformerEncoderLayer(16, 4)
    mine, yours = ours.state_dict(), theirs.state_dict()
    assert list(mine) == list(yours), f"keys {list(mine)} vs PyTorch's {list(yours)}"
    assert {k: v.shape for k, v in mine.items()} == {k: tuple(v.shape) for k, v in yours.items()}
    ours.load_state_dict(theirs.state_dict())
    ours.eval()
    theirs.eval()
    x = np.random.default_rng(3).normal(size=(6, 2, 16)).astype(np.float32)
    got = ours(Tensor(x)).data
    want = theirs(torch.from_numpy(x)).detach().numpy()
    assert got.dtype == np.float32 and np.allclose(got, want, rtol=1e-4, atol=1e-5)


def recipe():
    """The GPT in PyTorch that the milestone and `tito bench transformer` use (milestones/06_gpt/recipe.py)."""
    path = Path(__file__).resolve().parents[4] / "milestones" / "06_gpt" / "recipe.py"
    spec = importlib.util.spec_from_file_location("gpt_recipe", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_gpt_against_the_same_model_in_pytorch(torch):
    tinytorch.manual_seed(4)
    ours = T.GPT(vocab_size=13, block_size=10, n_layer=2, n_head=2, n_embd=8).double()
    rng = np.random.default_rng(4)
    for _, p in ours.named_parameters():
        p.data[...] = p.data + 0.1 * rng.normal(size=p.shape)
    theirs = recipe().torch_gpt(torch, 13, 10, n_layer=2, n_head=2, n_embd=8).double()
    theirs.load_state_dict({k: torch.from_numpy(v) for k, v in ours.state_dict().items()})
    idx = rng.integers(0, 13, (3, 10))
    target = rng.integers(0, 13, 30)
    logits = ours(Tensor(idx))
    from tinytorch.core.losses import cross_entropy

    cross_entropy(logits.reshape(30, 13), Tensor(target)).backward()
    want = theirs(torch.from_numpy(idx))
    torch.nn.functional.cross_entropy(want.reshape(30, 13), torch.from_numpy(target)).backward()
    close("GPT logits", logits.data, want.detach().numpy())
    torch_params = dict(theirs.named_parameters())
    for name, p in ours.named_parameters():
        close(f"GPT: gradient of {name}", p.grad.data, torch_params[name].grad.numpy(), rtol=1e-8)
