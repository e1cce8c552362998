"""The transformer on its own: LayerNorm against its formula and central differences, the
block against its definition, the GPT's tied output and init, and the key/value cache
against recomputation (the same logits at every step, the same tokens)."""
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import tinytorch
from tinytorch.core import transformer as T
from tinytorch.core.autograd import gradcheck, no_grad
from tinytorch.core.tensor import Tensor

RTOL = 1e-10


def close(what, got, want, rtol=RTOL):
    got, want = np.asarray(got, np.float64), np.asarray(want, np.float64)
    assert got.shape == want.shape, f"{what}: shape {got.shape}, expected {want.shape}"
    scale = np.max(np.abs(want), initial=0.0)
    error = np.abs(got - want)
    bad = error > rtol * (np.abs(want) + scale) + 1e-300
    assert not bad.any(), (f"{what}: off by up to {error.max():.3g} at {tuple(int(i) for i in np.argwhere(bad)[0])} "
                           f"(rtol {rtol:g})\ngot  {got}\nwant {want}")


def formula(x, n, eps=1e-5):
    """LayerNorm's definition over the last n axes: (x - mean) / sqrt(biased variance + eps)."""
    axes = tuple(range(x.ndim - n, x.ndim))
    mean = x.mean(axis=axes, keepdims=True)
    var = ((x - mean) ** 2).mean(axis=axes, keepdims=True)
    return (x - mean) / np.sqrt(var + eps)


@st.composite
def norm_case(draw):
    shape = draw(hnp.array_shapes(min_dims=1, max_dims=4, min_side=1, max_side=5))
    n = draw(st.integers(1, len(shape)))
    scale = draw(st.sampled_from([1e-3, 1.0, 1e3]))
    x = draw(hnp.arrays(np.float64, shape, elements=st.floats(-10, 10, allow_nan=False, width=64))) * scale
    return x, n


@settings(max_examples=25)
@given(norm_case())
def test_layer_norm_matches_its_formula(case):
    x, n = case
    shape = x.shape[x.ndim - n:]
    rng = np.random.default_rng(0)
    w, b = rng.normal(size=shape), rng.normal(size=shape)
    got = T.layer_norm(Tensor(x), shape, Tensor(w), Tensor(b)).data
    close(f"layer_norm over the last {n} axes of {x.shape}", got, formula(x, n) * w + b)
    close("normalize", T.normalize(Tensor(x), shape).data, formula(x, n))


def test_layer_norm_of_a_small_spread_keeps_eps_inside_the_root():
    x = np.array([[1.0, 1.001, 0.999, 1.0005]])  # variance about 5e-7, comparable to eps
    close("eps inside the square root", T.normalize(Tensor(x), 4).data, formula(x, 1))


@pytest.mark.parametrize("shape,n", [((5,), 1), ((2, 3, 4), 1), ((2, 3, 4), 2), ((1, 2, 2, 3), 3)])
def test_layer_norm_gradients_match_central_differences(shape, n):
    rng = np.random.default_rng(1)
    normalized = shape[len(shape) - n:]
    inputs = (Tensor(rng.normal(size=shape) * 3, requires_grad=True),
              Tensor(rng.normal(size=normalized), requires_grad=True),
              Tensor(rng.normal(size=normalized), requires_grad=True))
    assert gradcheck(lambda a, w, b: T.layer_norm(a, normalized, w, b), inputs, atol=1e-6, rtol=1e-4)


def test_layer_norm_never_mixes_the_batch():
    rng = np.random.default_rng(2)
    x = rng.normal(size=(3, 4, 8))
    whole = T.normalize(Tensor(x), 8).data
    for i in range(3):
        close(f"sentence {i} alone", T.normalize(Tensor(x[i:i + 1]), 8).data, whole[i:i + 1])
    g = rng.normal(size=x.shape)
    xt = Tensor(x, requires_grad=True)
    T.normalize(xt, 8).backward(Tensor(g))
    x1 = Tensor(x[:1], requires_grad=True)
    T.normalize(x1, 8).backward(Tensor(g[:1]))
    close("the gradient of one sentence alone", x1.grad.data, xt.grad.data[:1])


def test_layer_norm_module():
    ln = T.LayerNorm(6)
    assert list(ln.state_dict()) == ["weight", "bias"] and ln.weight.dtype == np.float32
    assert np.array_equal(ln.weight.data, np.ones(6)) and np.array_equal(ln.bias.data, np.zeros(6))
    x = np.random.default_rng(3).normal(size=(2, 6)).astype(np.float32)
    y = ln(Tensor(x))
    assert y.dtype == np.float32 and np.allclose(y.data, formula(x.astype(np.float64), 1), atol=1e-5)
    assert list(T.LayerNorm((2, 3), elementwise_affine=False).state_dict()) == []
    assert list(T.LayerNorm(4, bias=False).state_dict()) == ["weight"]
    with pytest.raises(ValueError, match="normalized_shape"):
        ln(Tensor(np.zeros((2, 5))))


def small_block(seed=0):
    tinytorch.manual_seed(seed)
    block = T.Block(8, 2).double()
    rng = np.random.default_rng(seed)
    for p in block.parameters():  # LayerNorm and biases away from 1 and 0
        p.data[...] = p.data + 0.3 * rng.normal(size=p.shape)
    return block


def test_block_is_its_definition():
    block = small_block()
    x = Tensor(np.random.default_rng(4).normal(size=(2, 5, 8)))
    with no_grad():
        h = x + block.attn(block.ln_1(x))
        want = h + block.mlp(block.ln_2(h))
        close("Block: x + attn(ln_1(x)), then + mlp(ln_2(.))", block(x).data, want.data)


def test_block_gradients_match_central_differences():
    tinytorch.manual_seed(5)
    block = T.Block(4, 2).double()
    x = Tensor(np.random.default_rng(5).normal(size=(1, 3, 4)), requires_grad=True)
    assert gradcheck(lambda a: block(a), (x,), atol=1e-6, rtol=1e-4)


def test_block_is_causal():
    block = small_block(1)
    x = np.random.default_rng(6).normal(size=(2, 6, 8))
    y = block(Tensor(x)).data
    x[:, 3:] += 1.0
    close("positions 0..2 when 3..5 change", block(Tensor(x)).data[:, :3], y[:, :3])


def gpt(seed=0, **options):
    tinytorch.manual_seed(seed)
    settings = {"vocab_size": 11, "block_size": 12, "n_layer": 2, "n_head": 2, "n_embd": 8, **options}
    return T.GPT(**settings).double()


def test_gpt_output_is_tied_to_the_token_embedding():
    model = gpt()
    assert not any(k.startswith(("head", "lm_head")) for k in model.state_dict())
    idx = np.random.default_rng(7).integers(0, 11, (2, 5))
    with no_grad():
        x = model.tok_emb(Tensor(idx)) + model.pos_emb(Tensor(np.arange(5)))
        for block in model.blocks:
            x = block(x)
        want = model.ln_f(x).data @ model.tok_emb.weight.data.T
    close("logits = ln_f(blocks(tok_emb + pos_emb)) @ tok_emb.weight^T", model(Tensor(idx)).data, want)
    idx_t = Tensor(idx)
    model(idx_t).sum().backward()
    assert model.tok_emb.weight.grad is not None and model.pos_emb.weight.grad is not None, \
        "after backward() both embeddings have a gradient: the logits read tok_emb (input and output) and pos_emb"


def test_gpt_init_is_gpt2s():
    tinytorch.manual_seed(8)
    model = T.GPT(vocab_size=500, block_size=256, n_layer=4, n_head=4, n_embd=128)
    logits = model(Tensor(np.zeros((2, 3), np.int64)))
    assert logits.shape == (2, 3, 500) and logits.dtype == np.float32
    assert abs(logits.data.std() - 0.02 * math.sqrt(128)) < 0.1, "fresh logits: about N(0, 0.02^2 n_embd)"
    params = dict(model.named_parameters())
    assert abs(params["tok_emb.weight"].data.std() - 0.02) < 0.002
    assert abs(params["blocks.0.attn.qkv.weight"].data.std() - 0.02) < 0.002
    assert abs(params["blocks.3.mlp.proj.weight"].data.std() - 0.02 / math.sqrt(8)) < 0.001
    assert not params["blocks.0.mlp.fc.bias"].data.any() and np.all(params["ln_f.weight"].data == 1)


def step_by_step(model, tokens, use_cache):
    """The last position's logits after each prefix of `tokens` (1..len), with or without caches."""
    caches = [T.KVCache() for _ in range(model.n_layer)] if use_cache else None
    out = []
    with no_grad():
        for t in range(tokens.shape[1]):
            feed = tokens[:, t:t + 1] if use_cache else tokens[:, :t + 1]
            out.append(model(Tensor(feed), caches).data[:, -1])
    return np.stack(out, axis=1)


def test_the_cache_gives_the_same_logits_at_every_step():
    model = gpt(9)
    tokens = np.random.default_rng(9).integers(0, 11, (2, 12))
    close("logits with the cache, step by step", step_by_step(model, tokens, True),
          step_by_step(model, tokens, False), rtol=1e-9)


def test_a_cached_prompt_then_single_tokens():
    model = gpt(10)
    tokens = np.random.default_rng(10).integers(0, 11, (1, 10))
    caches = [T.KVCache() for _ in range(model.n_layer)]
    with no_grad():
        first = model(Tensor(tokens[:, :6]), caches).data
        assert all(len(c) == 6 for c in caches), \
            f"a prompt of 6 tokens leaves 6 positions in each layer's cache, not {[len(c) for c in caches]}"
        rest = [model(Tensor(tokens[:, t:t + 1]), caches).data[:, -1] for t in range(6, 10)]
        full = model(Tensor(tokens)).data
    assert all(len(c) == 10 for c in caches), \
        f"6 prompt tokens then 4 single ones: 10 positions in each cache, not {[len(c) for c in caches]}; " \
        "each position's keys are cached once"
    close("a cached prompt", first, full[:, :6], rtol=1e-9)
    close("the single tokens after it", np.stack(rest, axis=1), full[:, 6:], rtol=1e-9)


def test_kv_cache_append():
    cache = T.KVCache()
    assert len(cache) == 0, f"a new KVCache holds 0 positions, not {len(cache)}"
    k1, v1 = np.ones((1, 2, 3, 4)), 2 * np.ones((1, 2, 3, 4))
    keys, values = cache.append(k1, v1)
    first = "append of keys and values (N, H, L, D) = (1, 2, 3, 4) to an empty cache"
    assert keys.shape == (1, 2, 3, 4), f"{first}: keys of shape {keys.shape}, expected (1, 2, 3, 4)"
    assert len(cache) == 3, f"{first}: the cache holds 3 positions, not {len(cache)}"
    k2, v2 = 3 * np.ones((1, 2, 1, 4)), 4 * np.ones((1, 2, 1, 4))
    keys, values = cache.append(k2, v2)
    then = "then append of one position (1, 2, 1, 4)"
    assert keys.shape == values.shape == (1, 2, 4, 4), \
        f"{then}: keys {keys.shape} and values {values.shape}, expected (1, 2, 4, 4), positions on axis -2"
    assert len(cache) == 4, f"{then}: the cache holds 4 positions, not {len(cache)}"
    assert np.array_equal(keys[:, :, 3], k2[:, :, 0]) and np.array_equal(values[:, :, :3], v1), \
        f"{then}: the old positions first (0..2), the new one last (3)"


def test_generate_is_the_same_with_and_without_the_cache():
    model = gpt(11)
    prompt = np.array([[1, 2, 3], [4, 5, 6]])
    for new in (4, 15):  # 15 runs past block_size 12: the window slides
        cached = model.generate(prompt, new, top_k=1, use_cache=True).data
        plain = model.generate(prompt, new, top_k=1, use_cache=False).data
        assert cached.shape == (2, 3 + new) and np.array_equal(cached[:, :3], prompt)
        assert np.array_equal(cached, plain), f"{new} greedy tokens differ with the cache:\n{cached}\n{plain}"
    sampled = model.generate(prompt, 15, generator=np.random.default_rng(0)).data
    again = model.generate(prompt, 15, use_cache=False, generator=np.random.default_rng(0)).data
    assert np.array_equal(sampled, again), "sampled tokens (same generator) differ with the cache"


def test_generate_greedy_is_the_argmax_and_top_k_limits_the_choice():
    model = gpt(12)
    prompt = np.array([[3, 1]])
    greedy = model.generate(prompt, 1, top_k=1).data[0, -1]
    with no_grad():
        logits = model(Tensor(prompt)).data[0, -1]
    assert greedy == logits.argmax()
    top3 = set(np.argsort(logits)[-3:])
    drawn = {int(model.generate(prompt, 1, top_k=3, generator=np.random.default_rng(s)).data[0, -1])
             for s in range(20)}
    assert drawn <= top3 and len(drawn) > 1, f"top_k=3 drew {drawn}, the top 3 are {top3}"
    cold = [int(model.generate(prompt, 1, temperature=0.01, generator=np.random.default_rng(s)).data[0, -1])
            for s in range(5)]
    assert set(cold) == {int(logits.argmax())}, "a temperature near 0 is (almost) greedy"
    assert model.training, "generate leaves the training mode as it found it"


def test_errors():
    model = gpt(13)
    assert model(Tensor(np.zeros((1, 12), np.int64))).shape == (1, 12, 11), "block_size tokens are allowed"
    with pytest.raises(ValueError, match="block_size"):
        model(Tensor(np.zeros((1, 13), np.int64)))
    with pytest.raises(ValueError, match="temperature"):
        model.generate(np.zeros((1, 1), np.int64), 2, temperature=0)
    with pytest.raises(ValueError, match="token ids"):
        model(Tensor(np.zeros((1, 3))))


def test_encoder_layer_is_its_definition():
    for norm_first in (False, True):
        tinytorch.manual_seed(14)
        layer = T.TransformerEncoderLayer(8, 2, dim_feedforward=16, dropout=0.0, activation="gelu",
                                          norm_first=norm_first, batch_first=True).double()
        x = Tensor(np.random.default_rng(14).normal(size=(2, 5, 8)))

        def sa(h, layer=layer):
            return layer.self_attn(h, h, h, need_weights=False)[0]

        def ff(h, layer=layer):
            return layer.linear2(T.gelu(layer.linear1(h)))

        with no_grad():
            if norm_first:
                h = x + sa(layer.norm1(x))
                want = h + ff(layer.norm2(h))
            else:
                h = layer.norm1(x + sa(x))
                want = layer.norm2(h + ff(h))
            close(f"TransformerEncoderLayer(norm_first={norm_first})", layer(x).data, want.data)


def test_pytorch_style_namespaces_hold_the_transformer():
    import tinytorch.models
    import tinytorch.nn.functional as F
    from tinytorch import nn

    assert nn.LayerNorm is T.LayerNorm and nn.TransformerEncoderLayer is T.TransformerEncoderLayer
    assert F.layer_norm is T.layer_norm and tinytorch.models.GPT is T.GPT
    x = np.random.default_rng(15).normal(size=(3, 4))
    close("nn.LayerNorm(4)", nn.LayerNorm(4).double()(Tensor(x)).data, formula(x, 1))
