"""Attention against PyTorch in float64: F.scaled_dot_product_attention with every mask
kind, nn.MultiheadAttention self and cross, both layouts, masks, weights; outputs and the
gradients of inputs and parameters; weights moved both ways."""
import numpy as np
import pytest
from attention_cases import close, sdpa_case
from hypothesis import given

import tinytorch
from tinytorch.core import attention as A
from tinytorch.core.tensor import Tensor


@given(sdpa_case())
def test_scaled_dot_product_attention(torch, case):
    q, k, v, kind, mask, is_causal, scale = case
    ours = [Tensor(x, requires_grad=True) for x in (q, k, v)]
    out = A.scaled_dot_product_attention(*ours, attn_mask=mask, is_causal=is_causal, scale=scale)
    upstream = np.random.default_rng(0).normal(size=out.shape)
    out.backward(Tensor(upstream))
    theirs = [torch.tensor(x, requires_grad=True) for x in (q, k, v)]
    want = torch.nn.functional.scaled_dot_product_attention(
        *theirs, attn_mask=None if mask is None else torch.from_numpy(mask), is_causal=is_causal, scale=scale)
    want.backward(torch.from_numpy(upstream))
    what = f"scaled_dot_product_attention({kind}, is_causal={is_causal}, scale={scale}), q {q.shape} k {k.shape}"
    close(f"{what}: output", out.data, want.detach().numpy())
    term = np.abs(upstream).max() * max(np.abs(x).max(initial=1.0) for x in (q, k, v)) ** 2  # one term of a gradient
    for name, mine, yours in zip("qkv", ours, theirs):
        close(f"{what}: gradient of {name}", mine.grad.data, yours.grad.numpy(), floor=term)


def test_fully_masked_rows(torch):
    rng = np.random.default_rng(1)
    q, k, v = rng.normal(size=(2, 3, 4)), rng.normal(size=(2, 5, 4)), rng.normal(size=(2, 5, 2))
    mask = rng.random((3, 5)) < 0.6
    mask[0] = False
    for options in ({"attn_mask": mask}, {"is_causal": True}):
        got = A.scaled_dot_product_attention(Tensor(q), Tensor(k), Tensor(v), **options).data
        torch_options = {key: (torch.from_numpy(val) if isinstance(val, np.ndarray) else val)
                         for key, val in options.items()}
        want = torch.nn.functional.scaled_dot_product_attention(*(torch.from_numpy(x) for x in (q, k, v)),
                                                                **torch_options).numpy()
        close(f"scaled_dot_product_attention({sorted(options)})", got, want)


def mha_pair(torch, E, H, bias=True, batch_first=False, seed=0):
    """A TinyTorch MultiheadAttention and PyTorch's with the same weights, float64, biases non-zero."""
    tinytorch.manual_seed(seed)
    ours = A.MultiheadAttention(E, H, bias=bias, batch_first=batch_first).double()
    if bias:
        rng = np.random.default_rng(seed)
        ours.in_proj_bias.data[...] = rng.normal(size=3 * E)
        ours.out_proj.bias.data[...] = rng.normal(size=E)
    theirs = torch.nn.MultiheadAttention(E, H, bias=bias, batch_first=batch_first).double()
    theirs.load_state_dict({k: torch.from_numpy(v) for k, v in ours.state_dict().items()})
    return ours, theirs


CASES = [
    ("self", {}),
    ("cross", {}),
    ("self", {"key_padding_mask": "bool"}),
    ("cross", {"key_padding_mask": "float"}),
    ("self", {"attn_mask": "causal", "is_causal": True}),
    ("self", {"attn_mask": "float", "key_padding_mask": "float"}),
    ("cross", {"attn_mask": "bool3d", "key_padding_mask": "bool"}),
    ("self", {"need_weights": False, "attn_mask": "causal"}),
    ("self", {"average_attn_weights": False, "key_padding_mask": "bool"}),
]


def make_masks(options, N, H, L, S, rng):
    masks = {}
    kind = options.get("key_padding_mask")
    if kind == "bool":
        pad = rng.random((N, S)) < 0.3
        pad[:, 0] = False  # every query keeps a key (PyTorch's layer gives nan otherwise)
        masks["key_padding_mask"] = pad
    elif kind == "float":
        masks["key_padding_mask"] = rng.normal(size=(N, S))
    kind = options.get("attn_mask")
    if kind == "causal":
        masks["attn_mask"] = np.triu(np.ones((L, S), bool), 1)
    elif kind == "float":
        masks["attn_mask"] = rng.normal(size=(L, S))
    elif kind == "bool3d":
        m = rng.random((N * H, L, S)) < 0.3
        m[..., 0] = False
        masks["attn_mask"] = m
    return masks


@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("which,options", CASES)
def test_multihead_attention(torch, which, options, bias, batch_first):
    E, H, N, L, S = 8, 2, 3, 4, 5 if which == "cross" else 4
    ours, theirs = mha_pair(torch, E, H, bias, batch_first)
    rng = np.random.default_rng(2)
    S = L if which == "self" else S
    shape = (lambda n: (N, n, E)) if batch_first else (lambda n: (n, N, E))
    query = rng.normal(size=shape(L))
    key = query if which == "self" else rng.normal(size=shape(S))
    value = query if which == "self" else rng.normal(size=shape(S))
    masks = make_masks(options, N, H, L, S, rng)
    flags = {k: v for k, v in options.items() if k in ("need_weights", "average_attn_weights", "is_causal")}
    inputs = [Tensor(x, requires_grad=True) for x in (query, key, value)]
    out, weights = ours(*inputs, **masks, **flags)
    upstream = rng.normal(size=out.shape)
    out.backward(Tensor(upstream))
    t_inputs = [torch.tensor(x, requires_grad=True) for x in (query, key, value)]
    want, want_weights = theirs(*t_inputs, **{k: torch.from_numpy(v) for k, v in masks.items()}, **flags)
    want.backward(torch.from_numpy(upstream))
    what = f"MultiheadAttention({which}, bias={bias}, batch_first={batch_first}, {options})"
    close(f"{what}: output", out.data, want.detach().numpy())
    if want_weights is None:
        assert weights is None, f"{what}: need_weights=False returns None as the weights"
    else:
        close(f"{what}: weights", weights.data, want_weights.detach().numpy())
    for name, mine, yours in zip(("query", "key", "value"), inputs, t_inputs):
        if which == "self" and name != "query":
            continue
        close(f"{what}: gradient of the {name}", mine.grad.data, yours.grad.numpy())
    torch_params = dict(theirs.named_parameters())
    for name, p in ours.named_parameters():
        close(f"{what}: gradient of {name}", p.grad.data, torch_params[name].grad.numpy())


def test_unbatched_input(torch):
    ours, theirs = mha_pair(torch, 6, 3)
    x = np.random.default_rng(3).normal(size=(5, 6))
    pad = np.array([False, False, True, False, True])
    out, w = ours(Tensor(x), Tensor(x), Tensor(x), key_padding_mask=pad)
    want, want_w = theirs(*(torch.from_numpy(x),) * 3, key_padding_mask=torch.from_numpy(pad))
    close("unbatched output", out.data, want.detach().numpy())
    close("unbatched weights", w.data, want_w.detach().numpy())


def test_weights_move_both_ways(torch):
    tinytorch.manual_seed(4)
    ours = A.MultiheadAttention(16, 4)
    theirs = torch.nn.MultiheadAttention(16, 4)
    mine, yours = ours.state_dict(), theirs.state_dict()
    assert list(mine) == list(yours), f"keys {list(mine)} vs PyTorch's {list(yours)}"
    assert {k: v.shape for k, v in mine.items()} == {k: tuple(v.shape) for k, v in yours.items()}
    ours.load_state_dict(theirs.state_dict())
    x = np.random.default_rng(5).normal(size=(7, 2, 16)).astype(np.float32)
    got = ours(*(Tensor(x),) * 3)[0].data
    want = theirs(*(torch.from_numpy(x),) * 3)[0].detach().numpy()
    assert got.dtype == np.float32 and np.allclose(got, want, rtol=1e-5, atol=1e-6)
