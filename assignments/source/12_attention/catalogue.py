"""Module 12's catalogue: learner mistakes its tests catch (PyTorch absent too) and
correct variants, written differently, that they pass."""
from tito.catalogue import Mistake, Variant

AT_LEAST = 15  # the catalogue keeps at least this many mistakes

MISTAKES = [
    Mistake("no_scaling", "scores not multiplied by the scale (no 1/sqrt(E))", '''
def attention(query, key, value, scale, bias=None, dropout_p=0.0):
    scores = query @ key.transpose(-2, -1)
    if bias is not None:
        scores = scores + bias
    weights = softmax(scores, dim=-1)
    return weights @ value, weights
'''),
    Mistake("scale_is_one_over_e", "divides by E instead of multiplying by the scale 1/sqrt(E)", '''
def attention(query, key, value, scale, bias=None, dropout_p=0.0):
    scores = (query @ key.transpose(-2, -1)) / query.shape[-1]
    if bias is not None:
        scores = scores + bias
    weights = softmax(scores, dim=-1)
    return weights @ value, weights
'''),
    Mistake("own_scale_ignores_argument", "always 1/sqrt(E) of the query: the scale argument is ignored", '''
def attention(query, key, value, scale, bias=None, dropout_p=0.0):
    scores = (query @ key.transpose(-2, -1)) * (1.0 / math.sqrt(query.shape[-1]))
    if bias is not None:
        scores = scores + bias
    weights = softmax(scores, dim=-1)
    return weights @ value, weights
'''),
    Mistake("softmax_over_queries", "softmax over the queries (axis -2) instead of the keys", '''
def attention(query, key, value, scale, bias=None, dropout_p=0.0):
    scores = (query @ key.transpose(-2, -1)) * scale
    if bias is not None:
        scores = scores + bias
    weights = softmax(scores, dim=-2)
    return weights @ value, weights
'''),
    Mistake("bias_before_scaling", "the mask bias added before the scores are scaled", '''
def attention(query, key, value, scale, bias=None, dropout_p=0.0):
    scores = query @ key.transpose(-2, -1)
    if bias is not None:
        scores = scores + bias
    weights = softmax(scores * scale, dim=-1)
    return weights @ value, weights
'''),
    Mistake("mask_after_softmax", "masked weights zeroed after the softmax, not renormalised", '''
def attention(query, key, value, scale, bias=None, dropout_p=0.0):
    weights = softmax((query @ key.transpose(-2, -1)) * scale, dim=-1)
    if bias is not None:
        weights = weights * Tensor(np.isfinite(bias.data).astype(weights.dtype))
    return weights @ value, weights
'''),
    Mistake("naive_softmax", "softmax as exp(s) / sum exp(s), without subtracting the maximum", '''
def attention(query, key, value, scale, bias=None, dropout_p=0.0):
    from tinytorch.core.autograd import exp
    scores = (query @ key.transpose(-2, -1)) * scale
    if bias is not None:
        scores = scores + bias
    e = exp(scores)
    weights = e / e.sum(axis=-1, keepdims=True)
    return weights @ value, weights
'''),
    Mistake("key_reshaped_not_transposed", "key^T taken as a reshape of key to (E, S), not a transpose", '''
def attention(query, key, value, scale, bias=None, dropout_p=0.0):
    key_t = key.reshape(*key.shape[:-2], key.shape[-1], key.shape[-2])
    scores = (query @ key_t) * scale
    if bias is not None:
        scores = scores + bias
    weights = softmax(scores, dim=-1)
    return weights @ value, weights
'''),
    Mistake("dropout_not_scaled", "dropped weights zeroed but the survivors not scaled by 1/(1-p)", '''
def attention(query, key, value, scale, bias=None, dropout_p=0.0):
    scores = (query @ key.transpose(-2, -1)) * scale
    if bias is not None:
        scores = scores + bias
    weights = softmax(scores, dim=-1)
    if dropout_p > 0:
        keep = tinytorch.default_generator.random(weights.shape) >= dropout_p
        weights = weights * Tensor(keep.astype(weights.dtype))
    return weights @ value, weights
'''),
    Mistake("dropout_ignored", "dropout_p never applied", '''
def attention(query, key, value, scale, bias=None, dropout_p=0.0):
    scores = (query @ key.transpose(-2, -1)) * scale
    if bias is not None:
        scores = scores + bias
    weights = softmax(scores, dim=-1)
    return weights @ value, weights
'''),
    Mistake("dropout_after_output", "dropout applied to the output instead of the weights", '''
def attention(query, key, value, scale, bias=None, dropout_p=0.0):
    scores = (query @ key.transpose(-2, -1)) * scale
    if bias is not None:
        scores = scores + bias
    weights = softmax(scores, dim=-1)
    out = weights @ value
    if dropout_p > 0:
        out = out * Tensor(dropout_mask(out.shape, dropout_p, out.dtype))
    return out, weights
'''),
    Mistake("causal_without_diagonal", "causal mask without the diagonal: a position cannot see itself", '''
def causal_mask(L, S=None):
    S = L if S is None else S
    return np.tril(np.ones((L, S), dtype=bool), k=-1)
'''),
    Mistake("causal_sees_the_future", "the upper triangle: each position sees the future, not the past", '''
def causal_mask(L, S=None):
    S = L if S is None else S
    return np.triu(np.ones((L, S), dtype=bool))
'''),
    Mistake("causal_one_ahead", "off by one: position i also sees position i + 1", '''
def causal_mask(L, S=None):
    S = L if S is None else S
    return np.tril(np.ones((L, S), dtype=bool), k=1)
'''),
    Mistake("causal_square_only", "the mask is (L, L) whatever S is", '''
def causal_mask(L, S=None):
    return np.tril(np.ones((L, L), dtype=bool))
'''),
    Mistake("causal_as_ints", "the mask as 0/1 integers instead of booleans", '''
def causal_mask(L, S=None):
    S = L if S is None else S
    return np.tril(np.ones((L, S), dtype=np.int64))
'''),
    Mistake("split_by_reshape_only", "(N, L, E) reshaped straight to (N, H, L, D)", '''
def split_heads(x, num_heads):
    *lead, L, E = x.shape
    return x.reshape(*lead, num_heads, L, E // num_heads)
'''),
    Mistake("split_heads_interleaved", "features taken every H-th (reshape to (L, D, H)), not in blocks", '''
def split_heads(x, num_heads):
    *lead, L, E = x.shape
    return x.reshape(*lead, L, E // num_heads, num_heads).transpose(-1, -2).transpose(-3, -2)
'''),
    Mistake("merge_by_reshape_only", "(N, H, L, D) reshaped straight to (N, L, E)", '''
def merge_heads(x):
    *lead, H, L, D = x.shape
    return x.reshape(*lead, L, H * D)
'''),
    Mistake("merge_heads_wrong_order", "heads merged as (L, D, H): features interleaved", '''
def merge_heads(x):
    *lead, H, L, D = x.shape
    return x.transpose(-3, -2).transpose(-1, -2).reshape(*lead, L, H * D)
'''),
]

VARIANTS = [
    Variant("scale_the_query_first", "the query scaled before the product", '''
def attention(query, key, value, scale, bias=None, dropout_p=0.0):
    scores = (query * scale) @ key.transpose(-2, -1)
    if bias is not None:
        scores = scores + bias
    weights = softmax(scores, dim=-1)
    if dropout_p > 0:
        weights = weights * Tensor(dropout_mask(weights.shape, dropout_p, weights.dtype))
    return weights @ value, weights
'''),
    Variant("softmax_by_hand", "a stable softmax written out with Tensor operations", '''
def attention(query, key, value, scale, bias=None, dropout_p=0.0):
    from tinytorch.core.autograd import exp
    scores = (query @ key.transpose(-2, -1)) * scale
    if bias is not None:
        scores = scores + bias
    shifted = scores - Tensor(scores.data.max(axis=-1, keepdims=True))
    e = exp(shifted)
    weights = e / e.sum(axis=-1, keepdims=True)
    if dropout_p > 0:
        weights = weights * Tensor(dropout_mask(weights.shape, dropout_p, weights.dtype))
    return weights @ value, weights
'''),
    Variant("causal_by_comparison", "j <= i by broadcasting two aranges", '''
def causal_mask(L, S=None):
    S = L if S is None else S
    return np.arange(S)[None, :] <= np.arange(L)[:, None]
'''),
    Variant("causal_not_upper", "the complement of the strict upper triangle", '''
def causal_mask(L, S=None):
    S = L if S is None else S
    return ~np.triu(np.ones((L, S), dtype=bool), k=1)
'''),
    Variant("split_with_positive_axes", "transpose with axes counted from the front", '''
def split_heads(x, num_heads):
    *lead, L, E = x.shape
    n = len(lead)
    return x.reshape(*lead, L, num_heads, E // num_heads).transpose(n, n + 1)
'''),
    Variant("merge_with_minus_one", "reshape with -1 for the merged width", '''
def merge_heads(x):
    *lead, H, L, D = x.shape
    return x.transpose(-2, -3).reshape(*lead, L, -1)
'''),
]
