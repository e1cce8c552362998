"""Attention on its own: against a loop written from the definition, central differences,
the causal mask, heads, dropout, masks that hide everything, dtypes and clear errors."""
import math

import numpy as np
import pytest
from attention_cases import (
    allowed_and_bias,
    close,
    loop_attention,
    loop_multihead,
    sdpa_case,
)
from hypothesis import given, settings

import tinytorch
from tinytorch.core import attention as A
from tinytorch.core.autograd import gradcheck
from tinytorch.core.tensor import Tensor


def sdpa(q, k, v, **options):
    return A.scaled_dot_product_attention(Tensor(q), Tensor(k), Tensor(v), **options).data


@given(sdpa_case())
def test_scaled_dot_product_attention_matches_the_loop(case):
    q, k, v, kind, mask, is_causal, scale = case
    lead, (L, E), S = q.shape[:-2], q.shape[-2:], k.shape[-2]
    got = sdpa(q, k, v, attn_mask=mask, is_causal=is_causal, scale=scale)
    allowed, bias = allowed_and_bias(kind, mask, lead, L, S)
    want, _ = loop_attention(q.reshape(-1, L, E), k.reshape(-1, S, E), v.reshape(-1, S, v.shape[-1]), allowed, bias,
                             scale)
    close(f"scaled_dot_product_attention({kind}, is_causal={is_causal}, scale={scale}), q {q.shape}", got,
          want.reshape(got.shape))


def test_causal_mask_is_the_lower_triangle_with_the_diagonal():
    for L, S in [(1, 1), (4, 4), (2, 5), (5, 2)]:
        want = np.array([[j <= i for j in range(S)] for i in range(L)])
        got = A.causal_mask(L, S)
        assert got.dtype == bool and np.array_equal(got, want), f"causal_mask({L}, {S}):\n{got}\nexpected\n{want}"
    assert np.array_equal(A.causal_mask(3), A.causal_mask(3, 3)), "causal_mask(3) is causal_mask(3, 3)"


def test_causal_attention_never_looks_ahead():
    """Changing the keys and values of positions after i leaves output i unchanged."""
    rng = np.random.default_rng(1)
    q, k, v = (rng.normal(size=(2, 6, 4)) for _ in range(3))
    before = sdpa(q, k, v, is_causal=True)
    k2, v2 = k.copy(), v.copy()
    k2[:, 3:] += 5 * rng.normal(size=(2, 3, 4))
    v2[:, 3:] += 5 * rng.normal(size=(2, 3, 4))
    after = sdpa(q, k2, v2, is_causal=True)
    close("positions 0..2 with later keys and values changed", after[:, :3], before[:, :3])
    assert np.abs(after[:, 3:] - before[:, 3:]).max() > 0.1, "positions 3..5 must see their own key"
    first = sdpa(q, k, v, is_causal=True)[:, 0]
    close("position 0 sees only itself: its output is its own value", first, v[:, 0])


def test_scale_defaults_to_one_over_the_square_root_of_the_features():
    rng = np.random.default_rng(2)
    q, k, v = rng.normal(size=(3, 16)), rng.normal(size=(5, 16)), rng.normal(size=(5, 2))
    close("default scale = 1/sqrt(16)", sdpa(q, k, v), sdpa(q, k, v, scale=0.25))
    close("scale=0.5 is the default on 2q", sdpa(q, k, v, scale=0.5), sdpa(2 * q, k, v))
    want, _ = loop_attention(q[None], k[None], v[None], scale=1 / 4)
    close("against the loop", sdpa(q, k, v), want[0])


def test_weights_are_a_softmax_over_the_keys():
    rng = np.random.default_rng(3)
    q, k, v = rng.normal(size=(2, 3, 4)), rng.normal(size=(2, 5, 4)), rng.normal(size=(2, 5, 3))
    out, weights = A.attention(Tensor(q), Tensor(k), Tensor(v), scale=0.5)
    assert weights.shape == (2, 3, 5) and out.shape == (2, 3, 3)
    close("each query's weights sum to 1", weights.data.sum(axis=-1), np.ones((2, 3)))
    want_out, want_w = loop_attention(q, k, v, scale=0.5)
    close("weights", weights.data, want_w)
    close("output", out.data, want_out)
    bias = np.where(rng.random((3, 5)) < 0.3, -np.inf, rng.normal(size=(3, 5)))
    bias[:, 0] = 0.0
    out, weights = A.attention(Tensor(q), Tensor(k), Tensor(v), scale=0.5, bias=Tensor(bias))
    want_out, want_w = loop_attention(q, k, v, bias=np.broadcast_to(bias, (2, 3, 5)), scale=0.5)
    close("weights with a float bias (added after scaling)", weights.data, want_w)
    close("output with a float bias", out.data, want_out)


def test_large_scores_do_not_overflow():
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        q = np.array([[300.0, 0.0], [0.0, -300.0]])
        got = sdpa(q, q, np.eye(2), scale=1.0)
    close("scores of 9e4: one-hot weights", got, np.eye(2))
    f32 = A.scaled_dot_product_attention(Tensor(q.astype(np.float32)), Tensor(q.astype(np.float32)),
                                         Tensor(np.eye(2, dtype=np.float32)), scale=1.0)
    assert f32.dtype == np.float32 and np.array_equal(f32.data, np.eye(2))


def test_a_query_that_may_see_nothing_gets_zeros_and_no_gradient():
    rng = np.random.default_rng(4)
    q, k, v = (Tensor(rng.normal(size=(3, 4)), requires_grad=True) for _ in range(3))
    mask = np.ones((3, 3), bool)
    mask[1] = False
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        out = A.scaled_dot_product_attention(q, k, v, attn_mask=mask)
        out.sum().backward()
    assert np.array_equal(out.data[1], np.zeros(4)) and np.all(np.isfinite(out.data))
    assert np.array_equal(q.grad.data[1], np.zeros(4)) and np.all(np.isfinite(k.grad.data))
    bias = np.zeros((3, 3))
    bias[2] = -np.inf
    assert np.array_equal(sdpa(q.data, k.data, v.data, attn_mask=bias)[2], np.zeros(4))


@settings(max_examples=15)
@given(sdpa_case(max_side=3))
def test_gradients_match_central_differences(case):
    q, k, v, kind, mask, is_causal, scale = case
    if kind == "float":
        mask = np.where(np.isinf(mask), -1e3, mask)  # finite, so a difference quotient is defined
    inputs = tuple(Tensor(x, requires_grad=True) for x in (q, k, v))
    assert gradcheck(lambda a, b, c: A.scaled_dot_product_attention(a, b, c, attn_mask=mask, is_causal=is_causal,
                                                                     scale=scale), inputs, atol=1e-7, rtol=1e-5)


def test_split_and_merge_heads():
    x = np.arange(2 * 3 * 12, dtype=np.float64).reshape(2, 3, 12)
    heads = A.split_heads(Tensor(x), 4)
    assert heads.shape == (2, 4, 3, 3), (
        f"split_heads(x of shape (2, 3, 12), 4) has shape {heads.shape}, not (2, 4, 3, 3)"
    )
    for h in range(4):
        assert np.array_equal(heads.data[:, h], x[:, :, 3 * h:3 * h + 3]), f"head {h} must hold features " \
            f"{3 * h}..{3 * h + 2} of every position"
    assert np.array_equal(A.merge_heads(heads).data, x), "merge_heads(split_heads(x, 4)) of x (2, 3, 12) is not x"
    single = A.split_heads(Tensor(x[0]), 3)
    assert single.shape == (3, 3, 4) and np.array_equal(single.data[2], x[0, :, 8:]), \
        "split_heads(x of shape (3, 12), 3), unbatched: shape (3, 3, 4), head 2 the features 8..11"
    assert np.array_equal(A.merge_heads(single).data, x[0]), "merge_heads(split_heads(x, 3)) of x (3, 12) is not x"
    merged = A.merge_heads(Tensor(np.arange(24.0).reshape(1, 2, 3, 4)))  # (N, H, L, D)
    assert merged.shape == (1, 3, 8) and np.array_equal(merged.data[0, 1], [4, 5, 6, 7, 16, 17, 18, 19]), \
        "merge_heads of (N, H, L, D) = (1, 2, 3, 4) holding 0..23: position 1 is head 0's [4, 5, 6, 7] then " \
        f"head 1's [16, 17, 18, 19], got {merged.data[0, 1].tolist() if merged.shape == (1, 3, 8) else merged.shape}"
    assert gradcheck(lambda a: A.merge_heads(A.split_heads(a, 2) * 2.0), (Tensor(x[:1, :2, :4], requires_grad=True),))


def params_of(module):
    return {name: value.astype(np.float64) for name, value in module.state_dict().items()}


@pytest.mark.parametrize("bias", [True, False])
def test_multihead_attention_matches_the_loop(bias):
    tinytorch.manual_seed(0)
    mha = A.MultiheadAttention(8, 2, bias=bias, batch_first=True).double()
    if bias:  # PyTorch's init zeroes the biases: give them values to test
        rng = np.random.default_rng(0)
        mha.in_proj_bias.data[...] = rng.normal(size=24)
        mha.out_proj.bias.data[...] = rng.normal(size=8)
    rng = np.random.default_rng(5)
    query, key = rng.normal(size=(2, 3, 8)), rng.normal(size=(2, 4, 8))
    padding = np.array([[False, False, True, False], [False, True, True, False]])
    future = ~A.causal_mask(3, 4)
    for args, kwargs in [((query, query, query), {}), ((query, key, key), {"key_padding_mask": padding}),
                         ((query, query, query), {"attn_mask": ~A.causal_mask(3), "is_causal": True}),
                         ((query, key, key), {"key_padding_mask": padding, "attn_mask": future})]:
        out, weights = mha(*(Tensor(a) for a in args), average_attn_weights=False, **kwargs)
        want, want_w = loop_multihead(*args, params_of(mha), 2, kwargs.get("key_padding_mask"),
                                      kwargs.get("attn_mask"))
        what = f"MultiheadAttention(bias={bias}) on {[a.shape for a in args]} with {sorted(kwargs)}"
        close(f"{what}: output", out.data, want)
        close(f"{what}: per-head weights", weights.data, want_w)
        _, mean = mha(*(Tensor(a) for a in args), **kwargs)
        close(f"{what}: weights averaged over heads", mean.data, want_w.mean(axis=1))


def test_multihead_attention_layouts_and_need_weights():
    tinytorch.manual_seed(1)
    first = A.MultiheadAttention(6, 3, batch_first=True).double()
    second = A.MultiheadAttention(6, 3).double()
    second.load_state_dict(first.state_dict())
    x = np.random.default_rng(6).normal(size=(2, 5, 6))
    out, w = first(Tensor(x), Tensor(x), Tensor(x))
    out_t, w_t = second(*(Tensor(x.transpose(1, 0, 2)),) * 3)
    close("batch_first=False takes and gives (L, N, E)", out_t.data, out.data.transpose(1, 0, 2))
    close("weights are (N, L, S) either way", w_t.data, w.data)
    one, w_one = first(*(Tensor(x[1]),) * 3)
    close("one sequence (L, E)", one.data, out.data[1])
    close("its weights (L, S)", w_one.data, w.data[1])
    _, per_head = first(*(Tensor(x[1]),) * 3, average_attn_weights=False)
    assert per_head.shape == (3, 5, 5)
    out2, none = first(Tensor(x), Tensor(x), Tensor(x), need_weights=False)
    assert none is None
    close("need_weights=False: the same output", out2.data, out.data)


def test_multihead_attention_init_and_parameters():
    tinytorch.manual_seed(2)
    mha = A.MultiheadAttention(64, 8)
    x = Tensor(np.random.default_rng(2).normal(size=(3, 2, 64)).astype(np.float32))
    out, weights = mha(x, x, x)
    assert out.shape == (3, 2, 64) and weights.shape == (2, 3, 3)
    close("the weights of a fresh layer sum to 1 over the keys", weights.data.sum(axis=-1), np.ones((2, 3)), rtol=1e-6)
    assert list(mha.state_dict()) == ["in_proj_weight", "in_proj_bias", "out_proj.weight", "out_proj.bias"]
    assert mha.in_proj_weight.shape == (192, 64) and mha.in_proj_weight.dtype == np.float32
    bound = math.sqrt(6 / (64 + 192))  # Xavier uniform: fan_in 64, fan_out 192
    w = mha.in_proj_weight.data
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.98 * bound
    assert abs(w.std() - bound / math.sqrt(3)) < 0.05 * bound
    assert not mha.in_proj_bias.data.any() and not mha.out_proj.bias.data.any()
    out_bound = 1 / math.sqrt(64)
    assert np.abs(mha.out_proj.weight.data).max() <= out_bound
    assert np.abs(mha.out_proj.weight.data).max() > 0.95 * out_bound
    plain = A.MultiheadAttention(8, 2, bias=False)
    assert list(plain.state_dict()) == ["in_proj_weight", "out_proj.weight"]


def test_multihead_attention_gradients_match_central_differences():
    tinytorch.manual_seed(3)
    mha = A.MultiheadAttention(4, 2, batch_first=True).double()
    rng = np.random.default_rng(7)
    mha.in_proj_bias.data[...] = rng.normal(size=12)
    q, kv = rng.normal(size=(1, 2, 4)), rng.normal(size=(1, 3, 4))
    padding = np.array([[False, True, False]])

    params = [Tensor(mha.in_proj_weight.data.copy(), requires_grad=True),
              Tensor(mha.in_proj_bias.data.copy(), requires_grad=True),
              Tensor(mha.out_proj.weight.data.copy(), requires_grad=True)]

    def through(query, key, weight, bias, out_weight):
        """The layer's forward with the parameters given as inputs (so gradcheck varies them)."""
        E = 4
        qp = A._linear(query, A._slice(weight, 0, E), A._slice(bias, 0, E))
        kp = A._linear(key, A._slice(weight, E, 2 * E), A._slice(bias, E, 2 * E))
        vp = A._linear(key, A._slice(weight, 2 * E, 3 * E), A._slice(bias, 2 * E, 3 * E))
        heads, _ = A.attention(A.split_heads(qp, 2), A.split_heads(kp, 2), A.split_heads(vp, 2),
                               1 / math.sqrt(2), Tensor(np.where(padding, -np.inf, 0.0).reshape(1, 1, 1, 3)))
        return A.merge_heads(heads) @ out_weight.T

    out, _ = mha(Tensor(q), Tensor(kv), Tensor(kv), key_padding_mask=padding)
    mha.out_proj.bias.data[...] = 0.0
    close("the layer equals its pieces", through(Tensor(q), Tensor(kv), *params).data, out.data)
    assert gradcheck(through, (Tensor(q, requires_grad=True), Tensor(kv, requires_grad=True), *params))
    xq = Tensor(q, requires_grad=True)
    mha(xq, Tensor(kv), Tensor(kv), key_padding_mask=padding)[0].sum().backward()
    for p in mha.parameters():
        assert p.grad is not None and p.grad.shape == p.shape


def test_dropout_on_the_weights():
    rng = np.random.default_rng(8)
    q, k = rng.normal(size=(200, 6, 4)), rng.normal(size=(200, 6, 4))
    # value = one-hot position and a column of ones: the output row is the weights, then their sum
    v = np.concatenate([np.eye(6), np.ones((6, 1))], axis=1)[None].repeat(200, axis=0)
    plain = sdpa(q, k, v, is_causal=True)[..., :6]
    tinytorch.manual_seed(0)
    full = sdpa(q, k, v, is_causal=True, dropout_p=0.25)
    dropped = full[..., :6]
    close("the weights are dropped before they multiply the values", full[..., 6], dropped.sum(axis=-1))
    kept = dropped != 0
    assert abs(1 - kept[plain > 0].mean() - 0.25) < 0.02, \
        f"dropout_p=0.25 drops about 0.25 of the weights (within 0.02), it dropped {1 - kept[plain > 0].mean():.3f}"
    close("survivors scaled by 1/(1-p)", dropped[kept], plain[kept] / 0.75)
    tinytorch.manual_seed(0)
    close("the mask comes from tinytorch.default_generator", sdpa(q, k, v, is_causal=True, dropout_p=0.25), full)
    mha = A.MultiheadAttention(4, 2, dropout=0.5, batch_first=True).double()
    x = Tensor(rng.normal(size=(3, 5, 4)))
    a, b = mha(x, x, x)[0].data, mha(x, x, x)[0].data
    assert not np.allclose(a, b), "training mode: dropout active"
    mha.eval()
    assert np.array_equal(mha(x, x, x)[0].data, mha(x, x, x)[0].data), "eval mode: no dropout"


def test_dtypes_and_inputs_unchanged():
    rng = np.random.default_rng(9)
    q, k, v = (rng.normal(size=(2, 3, 4)).astype(np.float32) for _ in range(3))
    copies = [a.copy() for a in (q, k, v)]
    out = A.scaled_dot_product_attention(Tensor(q), Tensor(k), Tensor(v), attn_mask=np.zeros((3, 3)))
    assert out.dtype == np.float32, out.dtype
    assert all(np.array_equal(a, c) for a, c in zip((q, k, v), copies)), "an input was changed"
    mha = A.MultiheadAttention(4, 2)
    y, w = mha(Tensor(q), Tensor(k), Tensor(v))
    assert y.dtype == np.float32 and w.dtype == np.float32


def test_clear_errors():
    x = Tensor(np.zeros((2, 3, 4)))
    close(
        "equal scores: the mean of the values", A.scaled_dot_product_attention(x, x, x + 1.0).data, np.ones((2, 3, 4))
    )
    with pytest.raises(TypeError, match="same dtype"):
        A.scaled_dot_product_attention(x, Tensor(np.zeros((2, 3, 4), np.float32)), x)
    with pytest.raises(ValueError, match="features"):
        A.scaled_dot_product_attention(x, Tensor(np.zeros((2, 3, 5))), x)
    with pytest.raises(ValueError, match="broadcast"):
        A.scaled_dot_product_attention(x, x, x, attn_mask=np.ones((4, 4), bool))
    with pytest.raises(TypeError, match="boolean"):
        A.scaled_dot_product_attention(x, x, x, attn_mask=np.ones((3, 3), np.int64))
    with pytest.raises(RuntimeError, match="is_causal"):
        A.scaled_dot_product_attention(x, x, x, attn_mask=np.ones((3, 3), bool), is_causal=True)
    with pytest.raises(ValueError, match="divisible"):
        A.MultiheadAttention(10, 3)
    mha = A.MultiheadAttention(4, 2).double()
    with pytest.raises(RuntimeError, match="is_causal"):
        mha(x, x, x, is_causal=True)
    with pytest.raises(RuntimeError, match="attn_mask"):
        mha(x, x, x, attn_mask=np.zeros((3, 3), bool))
    with pytest.raises(RuntimeError, match="key_padding_mask"):
        mha(x, x, x, key_padding_mask=np.zeros((2, 2), bool))
    with pytest.raises(NotImplementedError, match="kdim"):
        A.MultiheadAttention(4, 2, kdim=3)


def test_pytorch_style_namespaces_hold_the_attention():
    import tinytorch.nn.functional as F
    from tinytorch import nn

    assert nn.MultiheadAttention is A.MultiheadAttention
    assert F.scaled_dot_product_attention is A.scaled_dot_product_attention
    rng = np.random.default_rng(10)
    q, k, v = rng.normal(size=(1, 2, 3)), rng.normal(size=(1, 4, 3)), rng.normal(size=(1, 4, 2))
    want, _ = loop_attention(q, k, v)
    close("F.scaled_dot_product_attention", F.scaled_dot_product_attention(Tensor(q), Tensor(k), Tensor(v)).data, want)
