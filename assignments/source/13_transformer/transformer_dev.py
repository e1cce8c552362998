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
# # Module 13: Transformer, a GPT of your own
#
# Module 12 built attention. A transformer wraps it in a *block*: attention to mix
# information between positions, a small MLP to think about each position on its own,
# each added back onto its input (a residual) after a LayerNorm. Stack a few blocks on
# top of token and position embeddings, read the last one out against the embedding
# table, and you have a GPT: a model that reads characters and predicts the next one.
#
# | piece | what it is |
# |---|---|
# | `layer_norm`, `nn.LayerNorm` | each position's features rescaled to mean 0, variance 1, then a learned scale and shift |
# | `Block` | `x + attn(ln_1(x))`, then `x + mlp(ln_2(x))`: the pre-norm block of GPT-2 |
# | `nn.TransformerEncoderLayer` | PyTorch's block: both norm orders, ReLU or GELU, its weights |
# | `tinytorch.models.GPT` | embeddings, blocks, a final LayerNorm, output weights tied to the token embedding |
# | `GPT.generate` | writes text one token at a time, with a key/value cache |
#
# You write the LayerNorm (value and gradient), the block, the GPT's forward pass and
# the cache's append: a few lines each.
#
# ```bash
# tito test transformer    # the tests: central differences, PyTorch in float64, the cache against recomputation
# tito bench transformer   # a training step against PyTorch; generation with and without the cache
# tito sync                # put your code into tinytorch/core/transformer.py
# tito milestone gpt       # then train your GPT on Shakespeare
# ```

# %%
#| default_exp core.transformer

# %%
#| export
import math

import numpy as np

import tinytorch
from tinytorch.core.attention import (
    MultiheadAttention,
    _linear,
    _slice,
    attention,
    causal_mask,
    merge_heads,
    split_heads,
)
from tinytorch.core.autograd import differentiable, gelu, no_grad, relu
from tinytorch.core.nn import (
    Dropout,
    Linear,
    Module,
    Parameter,
    Sequential,
    normal_,
    ones_,
    zeros_,
)
from tinytorch.core.tensor import Tensor
from tinytorch.core.text import Embedding

# %% [markdown]
# ## LayerNorm: every position on the same scale
#
# Deep stacks of layers drift: the size of the activations grows or shrinks from block
# to block, and with it the size of the gradients. **Layer normalisation** (Ba, Kiros
# and Hinton, 2016) rescales each position's feature vector on its own: over the last
# axes (the `normalized_shape`, usually the E features),
#
# `x_hat = (x - mean) / sqrt(var + eps)`, then `y = x_hat * weight + bias`,
#
# with the *biased* variance (divide by the count, not count - 1) and `eps = 1e-5`
# inside the square root, as PyTorch. Unlike BatchNorm (module 09) nothing is averaged
# over the batch: a sentence's normalisation never depends on the other sentences, and
# training and evaluation compute the same thing.
#
# **The gradient.** With `n` features, `r = 1/sqrt(var + eps)` and `g` the gradient of
# `x_hat`, differentiating through the mean and the variance gives
#
# `dx = r * (g - mean(g) - x_hat * mean(g * x_hat))`,
#
# the means over the same axes. (The two subtracted terms are the mean and the variance
# "pushing back": shifting all features of a position changes nothing after
# normalisation, and neither does scaling them.) `normalize` is one differentiable rule,
# its value and backward side by side as in module 05; the scale and shift are ordinary
# Tensor operations.
#
# **No NumPy warnings.** The tests fail on any NumPy `RuntimeWarning`. Here the division
# is the risk: a position whose features are all equal (a padding token, a constant
# input) has variance 0, so `eps` goes inside the root, `1 / sqrt(var + eps)`; with
# `1 / sqrt(var)` that row is a division by zero (and nan after it).

# %%
#| export
def _norm_axes(x, normalized_shape):
    """The axes normalize works over: the last len(normalized_shape), which must match x's."""
    shape = (normalized_shape,) if isinstance(normalized_shape, (int, np.integer)) else tuple(normalized_shape)
    if tuple(x.shape[x.ndim - len(shape):]) != shape or len(shape) > x.ndim:
        raise ValueError(f"Given normalized_shape={list(shape)}, expected input with shape [*, "
                         f"{', '.join(map(str, shape))}], but got input of size {list(x.shape)}")
    return tuple(range(x.ndim - len(shape), x.ndim))


@differentiable
def normalize(x, normalized_shape, eps=1e-5):
    """(x - mean) / sqrt(var + eps) over the last axes (biased variance), differentiable.

    >>> normalize(Tensor([[1.0, 3.0]]), 2).data
    array([[-0.999995,  0.999995]], dtype=float32)
    """
    axes = _norm_axes(x, normalized_shape)
    # TODO: the value x_hat, and backward(grad) -> (dx,).
    # APPROACH:
    #   1. mean over `axes` (keepdims=True), centred = x - mean.
    #   2. r = 1 / sqrt(mean of centred^2 over `axes` + eps); x_hat = centred * r.
    #   3. backward: r * (grad - mean(grad) - x_hat * mean(grad * x_hat)), means over `axes`.
    # HINTS: x.data is the array. Only `axes`: axis 0 is the batch, and averaging over it
    #        mixes the sentences. np.var divides by the count, which is what you want.
    ### BEGIN SOLUTION
    mean = x.data.mean(axis=axes, keepdims=True)
    centred = x.data - mean
    r = 1.0 / np.sqrt((centred * centred).mean(axis=axes, keepdims=True) + eps)
    x_hat = centred * r

    def backward(grad):
        return (r * (grad - grad.mean(axis=axes, keepdims=True)
                     - x_hat * (grad * x_hat).mean(axis=axes, keepdims=True)),)
    ### END SOLUTION
    return Tensor(x_hat.astype(x.dtype, copy=False)), backward


def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-5):
    """torch.nn.functional.layer_norm: normalize(input) * weight + bias over the last axes."""
    if input.dtype.kind != "f":
        raise TypeError(f"layer_norm needs floating-point input, got {input.dtype}")
    out = normalize(input, normalized_shape, eps)
    if weight is not None:
        out = out * weight
    if bias is not None:
        out = out + bias
    return out


class LayerNorm(Module):
    """LayerNorm(normalized_shape, eps=1e-5, elementwise_affine=True, bias=True, dtype=None),
    as torch.nn.LayerNorm: weight (ones) and bias (zeros) of shape normalized_shape."""

    def __init__(self, normalized_shape, eps=1e-5, elementwise_affine=True, bias=True, device=None, dtype=None):
        super().__init__()
        shape = (normalized_shape,) if isinstance(normalized_shape, (int, np.integer)) else tuple(normalized_shape)
        self.normalized_shape, self.eps, self.elementwise_affine = shape, eps, elementwise_affine
        dtype = np.dtype(dtype or np.float32)
        self.weight = Parameter(np.ones(shape, dtype)) if elementwise_affine else None
        self.bias = Parameter(np.zeros(shape, dtype)) if elementwise_affine and bias else None

    def reset_parameters(self):
        if self.weight is not None:
            ones_(self.weight)
        if self.bias is not None:
            zeros_(self.bias)

    def forward(self, input):
        return layer_norm(input, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self):
        return f"{self.normalized_shape}, eps={self.eps}, elementwise_affine={self.elementwise_affine}"


# %% [markdown]
# ### Check: mean 0, variance 1 per position, and never across the batch

# %%
x = Tensor(np.random.default_rng(0).normal(3.0, 5.0, size=(4, 6, 32)))
y = LayerNorm(32).double()(x)
print("per-position mean (max abs):", np.abs(y.data.mean(axis=-1)).max(), " variance:", y.data.var(axis=-1).mean())
assert np.allclose(y.data.mean(axis=-1), 0, atol=1e-12) and np.allclose(y.data.var(axis=-1), 1, atol=1e-4)
one = LayerNorm(32).double()(Tensor(x.data[:1]))
assert np.allclose(one.data, y.data[:1]), "a sentence's result must not depend on the rest of the batch"

# %% [markdown]
# ## The block: attention, then an MLP, each as a residual
#
# GPT-2's block (Radford et al., 2019) normalises *before* each part and adds the part's
# output back onto its input:
#
# ```
# x = x + attn(ln_1(x))      # mix information between positions (causal)
# x = x + mlp(ln_2(x))       # then think about each position on its own
# ```
#
# The additions are the point. The gradient of `x + f(x)` is the gradient of `x` plus
# whatever `f` contributes, so the signal from the loss reaches the first block through a
# straight path of additions, however deep the stack: no product of many small factors.
# The original transformer (Vaswani et al., 2017) normalised *after* the addition,
# `x = ln(x + f(x))`; PyTorch's `TransformerEncoderLayer` does either (`norm_first`).
#
# The parts are given: `CausalSelfAttention` projects x to queries, keys and values in
# one Linear (`qkv`), splits the heads, attends causally with module 12's `attention`,
# merges the heads and projects back (`proj`). `MLP` is `Linear(E, 4E)`, GELU (GPT-2's
# tanh form), `Linear(4E, E)`. Both keep their matrix products 2-D for speed (module
# 12's `_linear`). The `cache` argument is for generation, later in this chapter: pass
# it on.

# %%
#| export
class KVCache:
    """The keys and values of every position a layer has seen so far, for generation."""

    def __init__(self):
        self.keys = None    # (B, H, positions so far, D) arrays, None before the first step
        self.values = None

    def __len__(self):
        """How many positions are cached."""
        return 0 if self.keys is None else self.keys.shape[-2]

    def append(self, k, v):
        """Add the keys and values of the new positions (arrays (B, H, T, D)); return all of them.

        >>> cache = KVCache()
        >>> keys, values = cache.append(np.zeros((1, 2, 3, 4)), np.ones((1, 2, 3, 4)))
        >>> keys, values = cache.append(np.zeros((1, 2, 1, 4)), np.ones((1, 2, 1, 4)))
        >>> len(cache), keys.shape
        (4, (1, 2, 4, 4))
        """
        # TODO: store the new keys and values after the ones already cached; return (keys, values).
        # HINTS: positions are the second to last axis. The first call has nothing to join to.
        #        Store them once: the cache grows by exactly the new positions each call.
        ### BEGIN SOLUTION
        if self.keys is None:
            self.keys, self.values = k, v
        else:
            self.keys = np.concatenate([self.keys, k], axis=-2)
            self.values = np.concatenate([self.values, v], axis=-2)
        return self.keys, self.values
        ### END SOLUTION


class CausalSelfAttention(Module):
    """Multi-head causal self-attention with one qkv projection (GPT-2's layout)."""

    def __init__(self, n_embd, n_head, dropout=0.0):
        super().__init__()
        if n_embd % n_head:
            raise ValueError(f"n_embd ({n_embd}) must be divisible by n_head ({n_head})")
        self.n_head, self.dropout = n_head, dropout
        self.qkv = Linear(n_embd, 3 * n_embd)
        self.proj = Linear(n_embd, n_embd)
        self.resid_dropout = Dropout(dropout)

    def forward(self, x, cache=None):
        """x (B, T, E) -> (B, T, E). With a cache, x holds the new positions only."""
        E = x.shape[-1]
        qkv = _linear(x, self.qkv.weight, self.qkv.bias)
        q, k, v = (split_heads(_slice(qkv, i * E, (i + 1) * E, axis=-1), self.n_head) for i in range(3))
        past = 0
        if cache is not None:  # generation: no gradient, the cache holds plain arrays
            past = len(cache)
            keys, values = cache.append(k.data, v.data)
            k, v = Tensor(keys), Tensor(values)
        T = x.shape[-2]
        allowed = causal_mask(past + T)[past:]  # the new queries are the last rows of the square mask
        bias = Tensor(np.where(allowed, 0.0, -np.inf).astype(x.dtype))
        dropout_p = self.dropout if self.training else 0.0
        out, _ = attention(q, k, v, 1.0 / math.sqrt(E // self.n_head), bias, dropout_p)
        return self.resid_dropout(_linear(merge_heads(out), self.proj.weight, self.proj.bias))


class MLP(Module):
    """Linear(E, 4E), GELU (tanh form, GPT-2's), Linear(4E, E), dropout."""

    def __init__(self, n_embd, dropout=0.0):
        super().__init__()
        self.fc = Linear(n_embd, 4 * n_embd)
        self.proj = Linear(4 * n_embd, n_embd)
        self.dropout = Dropout(dropout)

    def forward(self, x):
        hidden = gelu(_linear(x, self.fc.weight, self.fc.bias), approximate="tanh")
        return self.dropout(_linear(hidden, self.proj.weight, self.proj.bias))


class Block(Module):
    """GPT-2's pre-norm block: x + attn(ln_1(x)), then x + mlp(ln_2(x))."""

    def __init__(self, n_embd, n_head, dropout=0.0):
        super().__init__()
        self.ln_1 = LayerNorm(n_embd)
        self.attn = CausalSelfAttention(n_embd, n_head, dropout)
        self.ln_2 = LayerNorm(n_embd)
        self.mlp = MLP(n_embd, dropout)

    def forward(self, x, cache=None):
        # TODO: the two residual steps above; pass `cache` on to self.attn.
        # HINTS: normalise the input of each part, not the sum: x + f(ln(x)).
        ### BEGIN SOLUTION
        x = x + self.attn(self.ln_1(x), cache)
        return x + self.mlp(self.ln_2(x))
        ### END SOLUTION


# %% [markdown]
# ### Check: a block keeps the shape, and position t never reads position t + 1

# %%
tinytorch.manual_seed(0)
block = Block(32, 4).double()
x = np.random.default_rng(1).normal(size=(2, 7, 32))
y = block(Tensor(x)).data
x2 = x.copy()
x2[:, 4:] += 1.0  # change the future of position 3
assert y.shape == (2, 7, 32) and np.allclose(block(Tensor(x2)).data[:, :4], y[:, :4], rtol=1e-12)
print("positions 0-3 unchanged when 4-6 change: the block is causal")

# %% [markdown]
# ## `nn.TransformerEncoderLayer`: PyTorch's block
#
# `TransformerEncoderLayer(d_model, nhead, dim_feedforward=2048, dropout=0.1,
# activation='relu', layer_norm_eps=1e-5, batch_first=False, norm_first=False,
# bias=True)` (given code) is the block of the original transformer, with PyTorch's
# parameter names (`self_attn` is module 12's `MultiheadAttention`, `linear1`,
# `linear2`, `norm1`, `norm2`) and init, so its state_dict loads PyTorch's.
# `norm_first=False` (the default) normalises after each residual addition, `True`
# before, as GPT does; `activation` is `'relu'`, `'gelu'` (exact) or a function.
# `forward(src, src_mask=None, src_key_padding_mask=None, is_causal=False)` passes the
# masks to the attention with PyTorch's convention (True = do not attend).

# %%
#| export
_ACTIVATIONS = {"relu": relu, "gelu": gelu}


class TransformerEncoderLayer(Module):
    """The transformer's encoder block, as torch.nn.TransformerEncoderLayer."""

    def __init__(self, d_model, nhead, dim_feedforward=2048, dropout=0.1, activation="relu", layer_norm_eps=1e-5,
                 batch_first=False, norm_first=False, bias=True, device=None, dtype=None):
        super().__init__()
        if isinstance(activation, str):
            if activation not in _ACTIVATIONS:
                raise RuntimeError(f"activation should be relu/gelu, not {activation}")
            activation = _ACTIVATIONS[activation]
        self.activation, self.norm_first = activation, norm_first
        self.self_attn = MultiheadAttention(d_model, nhead, dropout=dropout, bias=bias, batch_first=batch_first,
                                            device=device, dtype=dtype)
        self.linear1 = Linear(d_model, dim_feedforward, bias=bias, dtype=dtype)
        self.dropout = Dropout(dropout)
        self.linear2 = Linear(dim_feedforward, d_model, bias=bias, dtype=dtype)
        self.norm1 = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, dtype=dtype)
        self.norm2 = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, dtype=dtype)
        self.dropout1 = Dropout(dropout)
        self.dropout2 = Dropout(dropout)

    def _sa_block(self, x, attn_mask, key_padding_mask, is_causal):
        out, _ = self.self_attn(x, x, x, attn_mask=attn_mask, key_padding_mask=key_padding_mask,
                                need_weights=False, is_causal=is_causal)
        return self.dropout1(out)

    def _ff_block(self, x):
        hidden = self.dropout(self.activation(_linear(x, self.linear1.weight, self.linear1.bias)))
        return self.dropout2(_linear(hidden, self.linear2.weight, self.linear2.bias))

    def forward(self, src, src_mask=None, src_key_padding_mask=None, is_causal=False):
        x = src
        if self.norm_first:
            x = x + self._sa_block(self.norm1(x), src_mask, src_key_padding_mask, is_causal)
            return x + self._ff_block(self.norm2(x))
        x = self.norm1(x + self._sa_block(x, src_mask, src_key_padding_mask, is_causal))
        return self.norm2(x + self._ff_block(x))


# %% [markdown]
# ## The GPT
#
# `GPT(vocab_size, block_size, n_layer=4, n_head=4, n_embd=128, dropout=0.0)`:
#
# 1. **Embeddings.** Token `t` at position `p` becomes `tok_emb[t] + pos_emb[p]`: what
#    it is plus where it is (attention itself ignores order: without `pos_emb`, "dog
#    bites man" and "man bites dog" look the same). Positions run from 0 to
#    `block_size - 1`, the longest context the model reads.
# 2. **Blocks**, `n_layer` of them, then a final LayerNorm `ln_f`.
# 3. **Output.** The logits of the next token at every position are `x @ tok_emb.weight^T`:
#    the same matrix reads tokens in and writes them out (*tied* weights, Press and Wolf,
#    2017). A token's output score is the match between the model's state and that
#    token's own embedding, and the model has `vocab_size * n_embd` parameters fewer.
#
# Init is GPT-2's: every Linear and embedding N(0, 0.02^2), biases 0, and the two
# projections that feed a residual sum (`attn.proj`, `mlp.proj`) N(0, (0.02 /
# sqrt(2 n_layer))^2), so the residual stream does not grow with depth.
#
# `forward(idx, caches=None)` takes token ids (B, T) and returns the logits (B, T,
# vocab_size). With `caches` (one KVCache per block, during generation) `idx` holds only
# the new tokens, and their positions continue after the cached ones: position
# `len(cache) + t`, not `t`.

# %%
#| export
class GPT(Module):
    """A GPT: token and position embeddings, pre-norm blocks, final LayerNorm, tied output.

    GPT(vocab_size, block_size, n_layer=4, n_head=4, n_embd=128, dropout=0.0);
    forward(idx (B, T) ints) -> logits (B, T, vocab_size).
    """

    def __init__(self, vocab_size, block_size, n_layer=4, n_head=4, n_embd=128, dropout=0.0):
        super().__init__()
        self.vocab_size, self.block_size, self.n_layer = vocab_size, block_size, n_layer
        self.tok_emb = Embedding(vocab_size, n_embd)
        self.pos_emb = Embedding(block_size, n_embd)
        self.drop = Dropout(dropout)
        self.blocks = Sequential(*[Block(n_embd, n_head, dropout) for _ in range(n_layer)])
        self.ln_f = LayerNorm(n_embd)
        self.reset_parameters()

    def reset_parameters(self):
        """GPT-2's init: N(0, 0.02^2) weights, zero biases, residual projections / sqrt(2 n_layer)."""
        for name, p in self.named_parameters():
            if name.endswith(("ln_1.weight", "ln_2.weight", "ln_f.weight")):
                ones_(p)
            elif name.endswith("bias"):
                zeros_(p)
            elif name.endswith(("attn.proj.weight", "mlp.proj.weight")):
                normal_(p, 0.0, 0.02 / math.sqrt(2 * self.n_layer))
            else:
                normal_(p, 0.0, 0.02)

    def forward(self, idx, caches=None):
        idx = idx if isinstance(idx, Tensor) else Tensor(np.asarray(idx))
        if idx.ndim != 2 or idx.dtype.kind not in "iu":
            raise ValueError(f"GPT takes token ids of shape (B, T), integers, got {idx.dtype} {idx.shape}")
        B, T = idx.shape
        start = len(caches[0]) if caches else 0
        if start + T > self.block_size:
            raise ValueError(f"GPT: {start + T} positions, but block_size is {self.block_size}: crop the "
                             f"context to its last {self.block_size} tokens")
        # TODO: the logits (B, T, vocab_size).
        # APPROACH:
        #   1. positions start, ..., start + T - 1 (np.arange, int64) through self.pos_emb;
        #      add them to self.tok_emb(idx) (they broadcast over B); then self.drop.
        #   2. each block of self.blocks in turn, with its cache: caches[i], or None.
        #   3. self.ln_f, then the product with self.tok_emb.weight transposed.
        # HINTS: with a cache the new tokens are not at position 0. For speed, reshape to
        #        (B*T, E) for the last product (NumPy's 2-D product), then back to (B, T, vocab_size).
        ### BEGIN SOLUTION
        positions = Tensor(np.arange(start, start + T, dtype=np.int64))
        x = self.drop(self.tok_emb(idx) + self.pos_emb(positions))
        for i, block in enumerate(self.blocks):
            x = block(x, caches[i] if caches else None)
        x = self.ln_f(x)
        return (x.reshape(B * T, -1) @ self.tok_emb.weight.T).reshape(B, T, self.vocab_size)
        ### END SOLUTION

    @no_grad()
    def generate(self, idx, max_new_tokens, temperature=1.0, top_k=None, use_cache=True, generator=None):
        """Continue each row of idx (B, T) by max_new_tokens sampled tokens; returns (B, T + new).

        temperature divides the logits (below 1: surer, above: more varied); top_k keeps
        only the k likeliest tokens (top_k=1: greedy). use_cache keeps every layer's keys
        and values, so each new token costs one position; the tokens are the same either
        way. generator: a NumPy Generator (default tinytorch.default_generator).
        """
        rng = generator or tinytorch.default_generator
        tokens = np.asarray(idx.data if isinstance(idx, Tensor) else idx, dtype=np.int64)
        if tokens.ndim != 2 or tokens.shape[1] == 0:
            raise ValueError(f"generate takes a (B, T) batch of at least one token, got shape {tokens.shape}")
        if temperature <= 0:
            raise ValueError(f"temperature must be positive, got {temperature} (top_k=1 is greedy)")
        was_training = self.training
        self.eval()
        caches, logits = None, None
        try:
            for _ in range(max_new_tokens):
                window = tokens[:, -self.block_size:]
                if not use_cache:
                    logits = self(Tensor(window)).data[:, -1]
                elif caches is None or len(caches[0]) == self.block_size:  # start, or the window slid
                    caches = [KVCache() for _ in range(self.n_layer)]
                    logits = self(Tensor(window), caches).data[:, -1]
                else:  # one new position per layer
                    logits = self(Tensor(window[:, -1:]), caches).data[:, -1]
                tokens = np.concatenate([tokens, sample(logits, temperature, top_k, rng)[:, None]], axis=1)
        finally:
            self.train(was_training)
        return Tensor(tokens)


def sample(logits, temperature=1.0, top_k=None, generator=None):
    """One token id per row of logits (B, V): softmax(logits / temperature) over the top_k."""
    rng = generator or tinytorch.default_generator
    z = np.asarray(logits, np.float64) / temperature
    if top_k is not None:
        k = min(int(top_k), z.shape[-1])
        kth = np.sort(z, axis=-1)[:, -k][:, None]
        z = np.where(z < kth, -np.inf, z)
    p = np.exp(z - z.max(axis=-1, keepdims=True))
    p /= p.sum(axis=-1, keepdims=True)
    u = rng.random((z.shape[0], 1))
    return np.minimum((np.cumsum(p, axis=-1) < u).sum(axis=-1), z.shape[-1] - 1).astype(np.int64)


# %% [markdown]
# ### Check: shapes, tied weights, and a first (meaningless) sample

# %%
tinytorch.manual_seed(0)
model = GPT(vocab_size=65, block_size=32, n_layer=2, n_head=4, n_embd=64)
print(sum(p.size for p in model.parameters()), "parameters;", list(model.state_dict())[:4], "...")
logits = model(Tensor(np.zeros((3, 10), np.int64)))
assert logits.shape == (3, 10, 65) and logits.dtype == np.float32
assert "head.weight" not in model.state_dict()  # the output reads tok_emb.weight itself
out = model.generate(np.zeros((1, 1), np.int64), 20)
print("20 tokens from an untrained model:", out.data[0].tolist())

# %% [markdown]
# ## Generation, and the key/value cache
#
# `generate` repeats: run the model, take the logits of the last position, sample a
# token, append it. Done naively, token `n` costs a forward pass over all `n` tokens of
# the context, though only the last position's output is used: everything the earlier
# positions computed is recomputed, every step. Attention is causal, so the keys and
# values of position `p` never change once computed (nothing later can influence them).
# A **key/value cache** keeps them: each layer stores its keys and values, and a step
# feeds in only the new token, whose query attends to the cached keys. A token then
# costs one position of work (plus its attention over the cache), not `n`.
#
# Two things must stay right. The new token's position is `len(cache)`, not 0 (its
# position embedding, and which keys it may see). And each position's keys go into the
# cache once. When the context fills the model's `block_size`, the window slides: every
# token's position shifts, so the cache is rebuilt from the new window (what
# recomputation does too, so the tokens stay the same).
#
# The cells check both ways on a small model (the same greedy tokens), then time each
# token as the context grows to 128 in the milestone's GPT (4 layers, 128 wide; the
# package's: run `tito sync` first). `tito plot transformer` draws the same curve to 255.

# %%
tinytorch.manual_seed(0)
small = GPT(vocab_size=65, block_size=128, n_layer=2, n_head=4, n_embd=64)
prompt = np.zeros((1, 1), np.int64)
with_cache = small.generate(prompt, 100, top_k=1, use_cache=True).data
without = small.generate(prompt, 100, top_k=1, use_cache=False).data
assert np.array_equal(with_cache, without), "the cache must not change a single token"
print("100 greedy tokens, identical with and without the cache")


from tito.offers import feedback_module

figures = feedback_module("transformer")  # this module's feedback.py: its figures
cost = figures.token_costs(tokens=128)  # the package's GPT, after `tito sync`; BLAS on one thread
print({name: f"{1e3 * t[-20:].mean():.2f} ms per token at the end" for name, t in cost.items()})
figures.cache_figure(cost);

# %% [markdown]
# ## What's next
#
# - **Milestone `06_gpt`** trains this GPT on the shipped Shakespeare, side by side with
#   the same model in PyTorch from the same initial weights, and prints what it writes.
#
# Run `tito test transformer` for the full tests, `tito bench transformer` for the speed
# against PyTorch, and `tito sync` to put your transformer into the package.
