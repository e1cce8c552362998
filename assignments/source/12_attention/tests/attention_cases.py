"""What the attention tests share: a loop reference written from the definition, the
cases (shapes and masks), and the comparison."""
import math

import numpy as np
from hypothesis import strategies as st

RTOL = 1e-10  # float64, against the loop reference and PyTorch


def close(what, got, want, rtol=RTOL, floor=0.0):
    """|got - want| <= rtol (|want| + max(max |want|, floor)) elementwise; shapes equal; nan where want has nan.

    `floor`: the size of the terms `want` is a sum of, for a result that is zero in exact
    arithmetic (the gradient of q when a query sees one key): PyTorch's rounding leaves
    about 1e-17 there, and only a bound of the terms' size says that is zero."""
    got, want = np.asarray(got, np.float64), np.asarray(want, np.float64)
    assert got.shape == want.shape, f"{what}: shape {got.shape}, expected {want.shape}"
    assert np.array_equal(np.isnan(got), np.isnan(want)), f"{what}: nan where there should be none\n{got}"
    scale = max(np.max(np.abs(want), initial=0.0, where=~np.isnan(want)), floor)
    error = np.abs(got - want)
    allowed = rtol * (np.abs(want) + scale) + 1e-300
    bad = ~np.isnan(want) & (error > allowed)
    assert not bad.any(), (f"{what}: off by up to {np.max(np.where(bad, error, 0)):.3g} at "
                           f"{tuple(int(i) for i in np.argwhere(bad)[0])} (rtol {rtol:g})\ngot  {got}\nwant {want}")


def loop_attention(q, k, v, allowed=None, bias=None, scale=None):
    """The definition, one query at a time: (output, weights) for q (B, L, E), k (B, S, E),
    v (B, S, Ev); allowed (B, L, S) booleans (True = may be seen), bias (B, L, S) added.
    A query that may see nothing gets zero weights and a zero output (PyTorch's rule)."""
    B, L, E = q.shape
    S = k.shape[1]
    scale = 1 / math.sqrt(E) if scale is None else scale
    out, weights = np.zeros((B, L, v.shape[2])), np.zeros((B, L, S))
    for b in range(B):
        for i in range(L):
            seen = [j for j in range(S) if allowed is None or allowed[b, i, j]]
            scores = {j: sum(q[b, i, e] * k[b, j, e] for e in range(E)) * scale
                      + (0.0 if bias is None else bias[b, i, j]) for j in seen}
            seen = [j for j in seen if scores[j] != -np.inf]
            if not seen:
                continue
            top = max(scores[j] for j in seen)
            total = sum(math.exp(scores[j] - top) for j in seen)
            for j in seen:
                weights[b, i, j] = math.exp(scores[j] - top) / total
                out[b, i] += weights[b, i, j] * v[b, j]
    return out, weights


def loop_multihead(query, key, value, params, num_heads, key_padding=None, attn_mask=None):
    """MultiheadAttention by the definition for batch-first (N, L, E) inputs: each head h
    projects with rows h*D..h*D+D-1 of the query, key and value parts of in_proj_weight;
    key_padding (N, S) and attn_mask (L, S) booleans, True = do not attend.
    Returns (output (N, L, E), weights (N, H, L, S))."""
    W, b = params["in_proj_weight"], params.get("in_proj_bias")
    E = W.shape[1]
    D = E // num_heads
    b = np.zeros(3 * E) if b is None else b
    N, L, S = query.shape[0], query.shape[1], key.shape[1]
    q = query @ W[:E].T + b[:E]
    k = key @ W[E:2 * E].T + b[E:2 * E]
    v = value @ W[2 * E:].T + b[2 * E:]
    allowed = np.ones((N, L, S), bool)
    if key_padding is not None:
        allowed &= ~key_padding[:, None, :]
    if attn_mask is not None:
        allowed &= ~attn_mask[None]
    merged, weights = np.zeros((N, L, E)), np.zeros((N, num_heads, L, S))
    for h in range(num_heads):
        cols = slice(h * D, (h + 1) * D)
        out, w = loop_attention(q[..., cols], k[..., cols], v[..., cols], allowed)
        merged[..., cols] = out
        weights[:, h] = w
    out_b = params.get("out_proj.bias")
    return merged @ params["out_proj.weight"].T + (0 if out_b is None else out_b), weights


@st.composite
def sdpa_case(draw, max_side=4):
    """(q, k, v, mask kind, mask array or None, is_causal, scale) for scaled_dot_product_attention."""
    rng = np.random.default_rng(draw(st.integers(0, 2**31)))
    lead = tuple(draw(st.lists(st.integers(1, 3), min_size=0, max_size=2)))
    L, S, E, Ev = (draw(st.integers(1, max_side)) for _ in range(4))
    q, k, v = rng.normal(size=lead + (L, E)), rng.normal(size=lead + (S, E)), rng.normal(size=lead + (S, Ev))
    kind = draw(st.sampled_from(["none", "bool", "float", "bool_broadcast", "causal"]))
    mask = None
    if kind == "bool":
        mask = rng.random((L, S)) < 0.7
    elif kind == "bool_broadcast":
        mask = rng.random(lead[:1] + (1,) * max(len(lead) - 1, 0) + (1, S)) < 0.7 if lead else rng.random((1, S)) < 0.7
    elif kind == "float":
        mask = np.where(rng.random(lead + (L, S)) < 0.2, -np.inf, rng.normal(size=lead + (L, S)))
    scale = draw(st.sampled_from([None, None, 0.3, 2.0]))
    return q, k, v, kind, mask, kind == "causal", scale


def allowed_and_bias(kind, mask, shape_lead, L, S):
    """The case's mask as the loop reference wants it: (allowed (B, L, S), bias (B, L, S) or None)."""
    B = int(np.prod(shape_lead)) if shape_lead else 1
    allowed = np.ones(shape_lead + (L, S), bool)
    bias = None
    if kind in ("bool", "bool_broadcast"):
        allowed = allowed & mask
    if kind == "float":
        bias = np.broadcast_to(mask, shape_lead + (L, S)).reshape(B, L, S)
    if kind == "causal":
        allowed = allowed & np.tril(np.ones((L, S), bool))
    return allowed.reshape(B, L, S), bias
