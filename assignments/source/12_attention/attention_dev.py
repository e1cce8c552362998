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
# # Module 12: Attention, every position looks at every other
#
# A recurrent network (module 11) reads a sentence one token at a time and squeezes
# everything it has read into one hidden vector. Attention does something simpler and,
# it turns out, much stronger: every position asks a question (a *query*), every
# position offers a label (a *key*) and a content (a *value*), and each position's
# output is an average of the values, weighted by how well its query matches each key.
# Nothing is squeezed; the path from any token to any other is one step long.
#
# | piece | what it is |
# |---|---|
# | `causal_mask(L, S)` | which keys a query may see when it must not look ahead |
# | `attention(q, k, v, scale, bias)` | `softmax(q k^T * scale + bias) v`, the heart of it |
# | `F.scaled_dot_product_attention` | PyTorch's function: boolean and additive masks, `is_causal`, `scale`, dropout |
# | `split_heads`, `merge_heads` | one wide attention as several narrow ones side by side |
# | `nn.MultiheadAttention` | PyTorch's layer: projections, masks, weights; loads PyTorch's checkpoints |
#
# You write the attention, the causal mask and the head split and merge: a few lines
# each, all with Tensor operations, so autograd (module 03) differentiates them without
# a line of backward code from you.
#
# ```bash
# tito test attention    # the tests: a NumPy loop reference, central differences, PyTorch in float64
# tito plot attention    # attention maps on a sentence of the shipped text
# tito sync              # put your code into tinytorch/core/attention.py (tinytorch.nn, nn.functional)
# ```

# %%
#| default_exp core.attention

# %%
#| export
import math

import numpy as np

import tinytorch
from tinytorch.core.autograd import differentiable, softmax
from tinytorch.core.nn import Linear, Module, Parameter, xavier_uniform_, zeros_
from tinytorch.core.tensor import Tensor

# %% [markdown]
# ## Queries, keys and values
#
# Take `L` queries and `S` keys, each a vector of `E` numbers, and `S` values (any width
# `Ev`). Stack them as rows: `Q` is (L, E), `K` is (S, E), `V` is (S, Ev).
#
# 1. **Scores.** The match of query `i` with key `j` is their dot product, all at once
#    `Q K^T`, an (L, S) table.
# 2. **Scale.** A dot product of `E` random numbers of variance 1 has variance `E`: with
#    `E = 64` the scores spread over about ±8, and a softmax of numbers that far apart
#    is almost one-hot (its gradient almost zero). Multiplying by `1/sqrt(E)` brings the
#    spread back to about ±1. PyTorch's `scale=` argument overrides the factor.
# 3. **Mask.** A *bias* is added to the scores: 0 where a key may be seen, `-inf` where
#    it may not (or any number, to favour or disfavour a key). `e^-inf = 0`, so a masked
#    key gets exactly zero weight.
# 4. **Softmax over the keys.** Each row (one query) becomes weights that are positive and
#    sum to 1: the last axis, the `S` keys. Over the other axis the weights would sum to
#    1 for each *key*, which means nothing.
# 5. **Average.** `weights @ V`: each output row is a weighted average of the values.
#
# In one line: `Attention(Q, K, V) = softmax(Q K^T / sqrt(E) + bias) V`
# (Vaswani et al., 2017). Everything else in this chapter is bookkeeping around it.
#
# **Batches.** The same formula works on stacks: `Q` of shape (N, H, L, E) is N
# sentences times H heads of L queries. `@` multiplies the last two axes and broadcasts
# the leading ones, and `key.transpose(-2, -1)` swaps only the last two axes of K.
#
# **Dropout.** During training, PyTorch can drop attention weights (each set to 0 with
# probability `dropout_p`, the survivors scaled by `1/(1-p)`, as module 04's Dropout).
# The weights are dropped *before* they multiply V; `dropout_mask` (given) draws the
# factors from `tinytorch.default_generator`.
#
# **No NumPy warnings.** The tests fail on any NumPy `RuntimeWarning`, and attention is
# where they come from. A softmax written as `exp(s) / sum(exp(s))` overflows once a
# score passes about 88 in float32 (709 in float64): module 03's `softmax` subtracts each
# row's maximum first. A masked score is `-inf`: *add* the bias, never multiply a 0/1
# mask into the scores (`-inf * 0` is nan, with a warning). A query that may see no key
# at all is 0/0; the given code below handles that row before it reaches you.

# %%
#| export
def dropout_mask(shape, p, dtype):
    """An array of `shape`: 0 with probability p, else 1/(1-p) (inverted dropout), in `dtype`."""
    keep = tinytorch.default_generator.random(shape) >= p
    return (keep * (0.0 if p == 1 else 1.0 / (1.0 - p))).astype(dtype)


def attention(query, key, value, scale, bias=None, dropout_p=0.0):
    """softmax(query key^T * scale + bias) value: (output, weights).

    query (..., L, E), key (..., S, E), value (..., S, Ev); bias None or a Tensor that
    broadcasts to (..., L, S) (0 where a key may be seen, -inf where not). Returns output
    (..., L, Ev) and the weights (..., L, S), after dropout.

    >>> q = k = v = Tensor(np.eye(2))
    >>> attention(q, k, v, scale=10.0)[1].data.round(4)
    array([[1., 0.],
           [0., 1.]])
    """
    # TODO: the five steps above, with Tensor operations (autograd follows them).
    # APPROACH:
    #   1. scores = (query @ key^T) * scale; key^T swaps only the last two axes.
    #   2. add the bias when there is one.
    #   3. weights = softmax over the keys (module 03's `softmax`, imported above).
    #   4. when dropout_p > 0: weights times Tensor(dropout_mask(weights.shape, dropout_p, weights.dtype)).
    #   5. return (weights @ value, weights).
    # HINTS: each query's weights must sum to 1: which axis holds the keys? Use the
    #        `scale` you are given, not your own 1/sqrt(E): callers may choose another.
    ### BEGIN SOLUTION
    scores = (query @ key.transpose(-2, -1)) * scale
    if bias is not None:
        scores = scores + bias
    weights = softmax(scores, dim=-1)
    if dropout_p > 0:
        weights = weights * Tensor(dropout_mask(weights.shape, dropout_p, weights.dtype))
    return weights @ value, weights
    ### END SOLUTION


# %% [markdown]
# ### Check: a query finds the key that matches it
#
# Three keys, three values. The query equals the second key, so with a large scale its
# weight goes almost all to that key, and the output is (almost) the second value.

# %%
keys = Tensor(np.array([[1.0, 0.0], [0.0, 1.0], [-1.0, 0.0]]))
values = Tensor(np.array([[10.0, 0.0], [0.0, 20.0], [30.0, 30.0]]))
query = Tensor(np.array([[0.0, 1.0]]))
out, weights = attention(query, keys, values, scale=8.0)
print("weights:", weights.data.round(4), " output:", out.data.round(3))
assert weights.shape == (1, 3) and np.isclose(weights.data.sum(), 1.0)
assert weights.data[0, 1] > 0.99 and np.allclose(out.data, [[0.0, 20.0]], atol=0.1)
out, weights = attention(query, keys, values, scale=1.0, bias=Tensor(np.array([0.0, -np.inf, 0.0])))
print("the second key masked:", weights.data.round(4))
assert weights.data[0, 1] == 0.0

# %% [markdown]
# ## The causal mask: no peeking at the future
#
# A language model predicts token `t + 1` from tokens `0..t`. Trained on whole
# sentences at once, position `t` could simply look at token `t + 1` in its input and
# copy it: a perfect training loss and a model that has learned nothing. The **causal
# mask** forbids it: query `i` may see key `j` only when `j <= i`. As a table it is the
# lower triangle *with* the diagonal (every position sees itself; position 0 sees only
# itself):
#
# ```
#         key 0  1  2  3
# query 0     x  .  .  .
#       1     x  x  .  .
#       2     x  x  x  .
#       3     x  x  x  x
# ```
#
# `causal_mask(L, S)` returns this as a boolean (L, S) array, True where the key may be
# seen: PyTorch's convention for a boolean `attn_mask` of `scaled_dot_product_attention`.
# For L != S the triangle starts at the top-left corner, as PyTorch's `is_causal=True`
# does (query `i` sees keys `0..i`).

# %%
#| export
def causal_mask(L, S=None):
    """Boolean (L, S) array (S defaults to L): True where query i may see key j, i.e. j <= i.

    >>> causal_mask(3).astype(int)
    array([[1, 0, 0],
           [1, 1, 0],
           [1, 1, 1]])
    """
    S = L if S is None else S
    # TODO: the lower triangle of an (L, S) array of True, the diagonal included.
    # HINTS: compare each key's index with each query's index (broadcast a column against
    #        a row), or take a lower triangle. Without the diagonal, query 0 sees nothing.
    ### BEGIN SOLUTION
    return np.tril(np.ones((L, S), dtype=bool))
    ### END SOLUTION


# %% [markdown]
# ### Check: the triangle

# %%
print(causal_mask(4).astype(int))
assert causal_mask(4).dtype == bool and causal_mask(4).shape == (4, 4)
assert causal_mask(4)[2].tolist() == [True, True, True, False]
assert causal_mask(2, 3).tolist() == [[True, False, False], [True, True, False]]

# %% [markdown]
# ## `F.scaled_dot_product_attention`: PyTorch's function
#
# `scaled_dot_product_attention(query, key, value, attn_mask=None, dropout_p=0.0,
# is_causal=False, scale=None)` is your `attention` with PyTorch's options (given code,
# read it):
#
# - `attn_mask` **boolean**: True means *may be seen*; it becomes a bias of 0 (True) and
#   `-inf` (False). **Float**: added to the scores as it is. Either broadcasts to
#   (..., L, S), e.g. (L, S) for every sentence and head, or (N, 1, 1, S) per sentence.
# - `is_causal=True`: the causal mask (top-left triangle). It replaces `attn_mask`:
#   giving both is an error, as in PyTorch.
# - `scale`: default `1/sqrt(E)`, E the last axis of the query.
# - `dropout_p`: applied whenever it is above 0 (the function has no training mode:
#   pass 0 when evaluating, as in PyTorch).
#
# **A query that may see no key at all** (a row masked everywhere) has no meaningful
# weights: a softmax of all `-inf` is 0/0, nan. PyTorch returns zeros for such a row
# (output and gradient), and so does this function: the bias of a dead row is set to 0,
# and the row is multiplied by 0 afterwards.

# %%
#| export
def _as_bias(mask, dtype):
    """A mask as an additive bias array: boolean True -> 0, False -> -inf; float as it is."""
    mask = np.asarray(mask.data if isinstance(mask, Tensor) else mask)
    if mask.dtype == bool:
        return np.where(mask, 0.0, -np.inf).astype(dtype)
    if mask.dtype.kind != "f":
        raise TypeError(f"attn_mask must be boolean (True = may be seen) or floating point (added to the "
                        f"scores), got dtype {mask.dtype}")
    return mask.astype(dtype, copy=False)


def _check_qkv(query, key, value):
    for name, t in (("query", query), ("key", key), ("value", value)):
        if not isinstance(t, Tensor):
            raise TypeError(f"scaled_dot_product_attention: {name} must be a Tensor, got {type(t).__name__}")
        if t.ndim < 2:
            raise ValueError(f"scaled_dot_product_attention: {name} must have at least 2 dimensions "
                             f"(..., length, features), got shape {t.shape}")
    if not query.dtype == key.dtype == value.dtype:
        raise TypeError("Expected query, key, and value to have the same dtype, but got query.dtype: "
                        f"{query.dtype} key.dtype: {key.dtype} and value.dtype: {value.dtype} instead.")
    if query.dtype.kind != "f":
        raise TypeError(f"scaled_dot_product_attention needs floating-point tensors, got {query.dtype}")
    if query.shape[-1] != key.shape[-1]:
        raise ValueError(f"query and key must have the same number of features (last axis): query {query.shape}, "
                         f"key {key.shape}")
    if key.shape[-2] != value.shape[-2]:
        raise ValueError(f"key and value must have the same length (second to last axis): key {key.shape}, "
                         f"value {value.shape}")


def scaled_dot_product_attention(query, key, value, attn_mask=None, dropout_p=0.0, is_causal=False, scale=None):
    """softmax(query key^T * scale + mask) value, as torch.nn.functional.scaled_dot_product_attention.

    query (..., L, E), key (..., S, E), value (..., S, Ev) -> (..., L, Ev); leading axes
    broadcast. attn_mask: boolean (True = may be seen) or float (added), broadcastable to
    (..., L, S). is_causal: query i sees keys 0..i (instead of an attn_mask). scale: default 1/sqrt(E). dropout_p:
    the probability of dropping each weight (always applied when > 0).
    """
    _check_qkv(query, key, value)
    if not 0.0 <= dropout_p <= 1.0:
        raise ValueError(f"dropout_p must be between 0 and 1, got {dropout_p}")
    if is_causal and attn_mask is not None:
        raise RuntimeError("scaled_dot_product_attention: Explicit attn_mask should not be set when is_causal=True "
                           "(the causal mask is the attn_mask; combine them yourself if you need both)")
    L, S = query.shape[-2], key.shape[-2]
    mask = causal_mask(L, S) if is_causal else attn_mask
    bias = None if mask is None else _as_bias(mask, query.dtype)
    alive = None
    if bias is not None:
        try:
            np.broadcast_shapes(bias.shape, query.shape[:-2] + (L, S))
        except ValueError:
            raise ValueError(f"attn_mask of shape {bias.shape} does not broadcast to the scores' shape "
                             f"{query.shape[:-2] + (L, S)} (..., L, S)") from None
        dead = np.all(np.isneginf(bias), axis=-1, keepdims=True)  # queries that may see no key
        if dead.any():
            bias = np.where(dead, 0.0, bias).astype(query.dtype)
            alive = Tensor((~dead).astype(query.dtype))
        bias = Tensor(bias)
    scale = 1.0 / math.sqrt(query.shape[-1]) if scale is None else float(scale)
    output, _ = attention(query, key, value, scale, bias, dropout_p)
    return output if alive is None else output * alive


# %% [markdown]
# ### Check: the same answer as a loop, and a causal sentence
#
# The loop below is the definition, one query at a time, written without any of the
# functions above. The two must agree to the last few bits in float64.

# %%
rng = np.random.default_rng(0)
q, k, v = (rng.normal(size=(2, 5, 8)) for _ in range(3))
ours = scaled_dot_product_attention(Tensor(q), Tensor(k), Tensor(v), is_causal=True).data
loop = np.zeros_like(ours)
for n in range(2):
    for i in range(5):
        s = np.array([q[n, i] @ k[n, j] / math.sqrt(8) for j in range(i + 1)])
        w = np.exp(s - s.max()) / np.exp(s - s.max()).sum()
        loop[n, i] = sum(w[j] * v[n, j] for j in range(i + 1))
print("largest difference from the loop:", np.abs(ours - loop).max())
assert np.allclose(ours, loop, rtol=1e-12, atol=1e-12)

# %% [markdown]
# ## Many heads
#
# One attention lets each position gather one kind of information: its weights can
# point at the previous letter, or at the last vowel, not both. **Multi-head** attention
# runs `H` attentions side by side, each on its own slice of the features: the query,
# key and value vectors of width `E` are cut into `H` pieces of width `D = E / H`, each
# head attends with its own piece, and the `H` outputs are glued back together. It
# costs the same as one wide attention (the same multiplications, differently grouped).
#
# In arrays: a projected input of shape (N, L, E) becomes (N, L, H, D) by a reshape
# (features `h*D .. h*D + D - 1` are head `h`'s), then (N, H, L, D) by swapping axes 1
# and 2, so that heads are a batch axis and `@` runs all heads at once. Merging is the
# way back: swap axes 1 and 2, then reshape (N, L, H, D) to (N, L, E).
#
# The trap: a reshape alone from (N, L, E) to (N, H, L, D) gives the right shape and
# the wrong numbers. It fills the new axes in memory order, so "head 0" gets the first
# L*D numbers: all features of the first few positions. The shape is right; the meaning
# is lost. Reshape first (which axes stay together?), then transpose.

# %%
#| export
def split_heads(x, num_heads):
    """(N, L, E) -> (N, H, L, D), D = E / H: head h holds features h*D .. h*D + D - 1.

    Also (L, E) -> (H, L, D) for a single sequence.
    """
    *lead, L, E = x.shape
    D = E // num_heads
    # TODO: reshape to (*lead, L, H, D), then move the head axis in front of L.
    # HINTS: Tensor.reshape and Tensor.transpose(dim0, dim1) (axes counted from the end
    #        with negative numbers work for any number of leading axes).
    ### BEGIN SOLUTION
    return x.reshape(*lead, L, num_heads, D).transpose(-3, -2)
    ### END SOLUTION


def merge_heads(x):
    """(N, H, L, D) -> (N, L, H*D): the way back from split_heads. Also (H, L, D) -> (L, H*D)."""
    *lead, H, L, D = x.shape
    # TODO: move the head axis back after L, then reshape to (*lead, L, H*D).
    ### BEGIN SOLUTION
    return x.transpose(-3, -2).reshape(*lead, L, H * D)
    ### END SOLUTION


# %% [markdown]
# ### Check: split and merge are inverses, and each head gets its own features

# %%
x = Tensor(np.arange(2 * 3 * 8, dtype=np.float64).reshape(2, 3, 8))
heads = split_heads(x, 4)
print("shape", heads.shape, "; head 1 of sentence 0:\n", heads.data[0, 1])
assert heads.shape == (2, 4, 3, 2)
assert np.array_equal(heads.data[0, 1], x.data[0, :, 2:4])  # head 1 = features 2..3 of every position
assert np.array_equal(merge_heads(heads).data, x.data)

# %% [markdown]
# ## `nn.MultiheadAttention`: PyTorch's layer
#
# `MultiheadAttention(embed_dim, num_heads, dropout=0.0, bias=True, batch_first=False)`
# (given code, read it) has PyTorch's parameters, so its state_dict loads PyTorch's:
#
# | parameter | shape | init (PyTorch's) |
# |---|---|---|
# | `in_proj_weight` | (3E, E): the query, key and value projections stacked | Xavier uniform |
# | `in_proj_bias` | (3E,) | zeros |
# | `out_proj.weight`, `out_proj.bias` | (E, E), (E,) | Linear's default, bias zeros |
#
# `forward(query, key, value, key_padding_mask=None, need_weights=True, attn_mask=None,
# average_attn_weights=True, is_causal=False)`:
#
# 1. project: `q = query W_q^T + b_q` (rows 0..E-1 of `in_proj_weight`), `k`, `v` alike;
# 2. `split_heads`, attention with scale `1/sqrt(D)` (the head's width, not E), `merge_heads`;
# 3. project the result with `out_proj`.
#
# Inputs are (L, N, E) (PyTorch's default: length first) or, with `batch_first=True`,
# (N, L, E); a single sequence may be (L, E). The masks use the **opposite** convention
# from `scaled_dot_product_attention`'s boolean one: in `key_padding_mask` (N, S) and in
# `attn_mask` (L, S) or (N*H, L, S), **True means "do not attend"** (padding, the
# future); float masks are added. `is_causal=True` is only a hint in PyTorch: it needs
# the causal `attn_mask` too. It returns `(output, weights)`: the weights (N, L, S)
# averaged over heads, (N, H, L, S) with `average_attn_weights=False`, or None with
# `need_weights=False`.
#
# One difference from PyTorch, on purpose: a query whose every key is masked gets zeros
# here (as `scaled_dot_product_attention`), where PyTorch's layer returns nan when
# `need_weights=True`.

# %%
#| export
@differentiable
def _slice(x, start, stop, axis=0):
    """x[start:stop] along `axis` (a view), its gradient written into zeros (faster than indexing's np.add.at)."""
    where = (slice(None),) * (axis % x.ndim) + (slice(start, stop),)
    out = Tensor(x.data[where])

    def backward(grad):
        full = np.zeros(x.shape, dtype=np.result_type(grad))
        full[where] = grad
        return (full,)
    return out, backward


def _linear(x, weight, bias):
    """x @ weight^T + bias on the last axis, as one 2-D matrix product (fast in NumPy)."""
    out = x.reshape(-1, x.shape[-1]) @ weight.T
    if bias is not None:
        out = out + bias
    return out.reshape(*x.shape[:-1], weight.shape[0])


def _mask_bias(mask, name, dtype):
    """A MultiheadAttention mask (True = do not attend, or a float to add) as a bias array."""
    mask = np.asarray(mask.data if isinstance(mask, Tensor) else mask)
    if mask.dtype == bool:
        return np.where(mask, -np.inf, 0.0).astype(dtype)
    if mask.dtype.kind != "f":
        raise TypeError(f"only bool and floating types of {name} are supported, got {mask.dtype}")
    return mask.astype(dtype, copy=False)


class MultiheadAttention(Module):
    """Multi-head attention, as torch.nn.MultiheadAttention.

    MultiheadAttention(embed_dim, num_heads, dropout=0.0, bias=True, batch_first=False,
    dtype=None). Parameters in_proj_weight (3E, E), in_proj_bias (3E,), out_proj (Linear
    E -> E), PyTorch's names and init. forward(query, key, value, key_padding_mask=None,
    need_weights=True, attn_mask=None, average_attn_weights=True, is_causal=False) ->
    (output, weights or None).
    """

    def __init__(self, embed_dim, num_heads, dropout=0.0, bias=True, add_bias_kv=False, add_zero_attn=False,
                 kdim=None, vdim=None, batch_first=False, device=None, dtype=None):
        super().__init__()
        if embed_dim <= 0 or num_heads <= 0:
            raise ValueError(f"embed_dim and num_heads must be greater than 0, got embed_dim={embed_dim} and "
                             f"num_heads={num_heads} instead")
        if embed_dim % num_heads:
            raise ValueError(f"embed_dim must be divisible by num_heads (got {embed_dim} and {num_heads})")
        if add_bias_kv or add_zero_attn or kdim not in (None, embed_dim) or vdim not in (None, embed_dim):
            raise NotImplementedError("TinyTorch's MultiheadAttention has PyTorch's common options only: "
                                      "add_bias_kv, add_zero_attn and kdim/vdim other than embed_dim are not "
                                      "supported")
        if device not in (None, "cpu"):
            raise ValueError(f"TinyTorch runs on the CPU only, got device={device!r}")
        dtype = np.dtype(dtype or np.float32)
        self.embed_dim, self.num_heads, self.head_dim = embed_dim, num_heads, embed_dim // num_heads
        self.dropout, self.batch_first = dropout, batch_first
        self.in_proj_weight = Parameter(np.empty((3 * embed_dim, embed_dim), dtype))
        self.in_proj_bias = Parameter(np.empty(3 * embed_dim, dtype)) if bias else None
        self.out_proj = Linear(embed_dim, embed_dim, bias=bias, dtype=dtype)
        self._reset_parameters()

    def _reset_parameters(self):
        xavier_uniform_(self.in_proj_weight)
        if self.in_proj_bias is not None:
            zeros_(self.in_proj_bias)
            zeros_(self.out_proj.bias)

    def _project(self, x, part):
        """The query (part 0), key (1) or value (2) projection of x (..., E)."""
        E = self.embed_dim
        weight = _slice(self.in_proj_weight, part * E, (part + 1) * E)
        bias = None if self.in_proj_bias is None else _slice(self.in_proj_bias, part * E, (part + 1) * E)
        return _linear(x, weight, bias)

    def _masks(self, key_padding_mask, attn_mask, N, L, S, dtype):
        """The two masks as one bias, broadcastable to (N, H, L, S); None without masks."""
        bias = None
        if attn_mask is not None:
            bias = _mask_bias(attn_mask, "attn_mask", dtype)
            if bias.shape == (L, S):
                pass
            elif bias.ndim == 3 and bias.shape == (N * self.num_heads, L, S):
                bias = bias.reshape(N, self.num_heads, L, S)
            else:
                raise RuntimeError(f"The shape of attn_mask is {bias.shape}, but should be {(L, S)} or "
                                   f"{(N * self.num_heads, L, S)}.")
        if key_padding_mask is not None:
            padding = _mask_bias(key_padding_mask, "key_padding_mask", dtype)
            if padding.shape != (N, S):
                raise RuntimeError(f"expecting key_padding_mask shape of {(N, S)}, but got {padding.shape}")
            padding = padding.reshape(N, 1, 1, S)
            bias = padding if bias is None else bias + padding
        return bias

    def forward(self, query, key, value, key_padding_mask=None, need_weights=True, attn_mask=None,
                average_attn_weights=True, is_causal=False):
        if is_causal and attn_mask is None:
            raise RuntimeError("Need attn_mask if specifying the is_causal hint: pass the causal attn_mask too "
                               "(True above the diagonal, e.g. ~causal_mask(L))")
        batched = query.ndim == 3
        if query.ndim not in (2, 3) or key.ndim != query.ndim or value.ndim != query.ndim:
            raise ValueError(f"query, key and value must all be 3-D (batched) or all 2-D (one sequence), got "
                             f"shapes {query.shape}, {key.shape}, {value.shape}")
        if query.shape[-1] != self.embed_dim or key.shape[-1] != self.embed_dim or value.shape[-1] != self.embed_dim:
            raise ValueError(f"was expecting embedding dimension of {self.embed_dim}, got shapes {query.shape}, "
                             f"{key.shape}, {value.shape}")
        if key.shape != value.shape:
            raise ValueError(f"key shape {key.shape} does not match value shape {value.shape}")
        if not batched:  # one sequence: a batch of one
            query, key, value = (t.reshape(1, *t.shape) for t in (query, key, value))
            if key_padding_mask is not None:
                key_padding_mask = np.asarray(getattr(key_padding_mask, "data", key_padding_mask))[None]
        elif not self.batch_first:  # (L, N, E) -> (N, L, E)
            query, key, value = (t.transpose(0, 1) for t in (query, key, value))
        N, L, S = query.shape[0], query.shape[1], key.shape[1]
        if key.shape[0] != N:
            raise ValueError(f"query and key must have the same batch size, got {N} and {key.shape[0]}")
        bias = self._masks(key_padding_mask, attn_mask, N, L, S, query.dtype)
        q, k, v = (split_heads(self._project(t, part), self.num_heads) for part, t in enumerate((query, key, value)))
        alive = None
        if bias is not None:
            dead = np.all(np.isneginf(bias), axis=-1, keepdims=True)
            if dead.any():
                bias = np.where(dead, 0.0, bias).astype(query.dtype)
                alive = Tensor((~np.broadcast_to(dead, (N, self.num_heads, L, 1))).astype(query.dtype))
            bias = Tensor(bias)
        dropout_p = self.dropout if self.training else 0.0
        heads, weights = attention(q, k, v, 1.0 / math.sqrt(self.head_dim), bias, dropout_p)
        if alive is not None:
            heads, weights = heads * alive, weights * alive
        output = _linear(merge_heads(heads), self.out_proj.weight, self.out_proj.bias)
        if not batched:
            output = output.reshape(L, self.embed_dim)
        elif not self.batch_first:
            output = output.transpose(0, 1)
        if not need_weights:
            return output, None
        if average_attn_weights:
            weights = weights.mean(axis=1)
        return output, (weights.reshape(*weights.shape[1:]) if not batched else weights)

    def extra_repr(self):
        return f"embed_dim={self.embed_dim}, num_heads={self.num_heads}, batch_first={self.batch_first}"


# %% [markdown]
# ### Check: shapes, masks, and PyTorch's parameter names

# %%
tinytorch.manual_seed(0)
mha = MultiheadAttention(16, 4, batch_first=True)
print(mha)
print({name: value.shape for name, value in mha.state_dict().items()})
assert list(mha.state_dict()) == ["in_proj_weight", "in_proj_bias", "out_proj.weight", "out_proj.bias"]
x = Tensor(np.random.default_rng(1).normal(size=(2, 5, 16)).astype(np.float32))
padding = np.array([[False] * 5, [False, False, False, True, True]])  # sentence 1 has 3 real tokens
out, w = mha(x, x, x, key_padding_mask=padding, attn_mask=~causal_mask(5))
print("output", out.shape, out.dtype, "; weights", w.shape)
assert out.shape == (2, 5, 16) and out.dtype == np.float32 and w.shape == (2, 5, 5)
assert np.allclose(w.data.sum(axis=-1), 1, atol=1e-6) and np.all(w.data[1, :, 3:] == 0)
assert np.all(np.triu(w.data[0], 1) == 0)  # no query sees a later key

# %% [markdown]
# ## What attention looks at
#
# An untrained layer's weights are close to uniform, so the figure builds two heads by
# hand on a sentence of the shipped text, with your `scaled_dot_product_attention`: in
# the first, queries and keys are the letters themselves (one-hot), so each letter
# attends to the earlier copies of itself; in the second, each position's query matches
# the key of the position before it, so each letter attends to its predecessor. Both
# under the causal mask. A trained transformer learns heads like these (and their
# combination, "find the earlier copy of my predecessor and read what came after it",
# the *induction head*) from data.

# %%
from tito.offers import feedback_module

feedback_module("attention").attention_maps_figure(scaled_dot_product_attention);  # this module's feedback.py

# %% [markdown]
# ## What's next
#
# - **Transformer** (module 13): attention and a small MLP in a residual block with
#   LayerNorm, stacked into a GPT that writes text.
#
# Run `tito test attention` for the full tests and `tito sync` to put your attention
# into the package.
