"""Feedback on module 12 (attention): the attention-map figure.

The chapter's plot cell and `tito plot attention` call the same function:

    attention_maps_figure()        # two hand-built heads on a sentence of the shipped text
"""
from __future__ import annotations

import numpy as np

FIGURES = {
    "attention_maps": "two heads on a sentence of the shipped text under the causal mask: each letter "
                      "attends to its earlier copies (left) and to its predecessor (right)",
}

SHORTEST, LONGEST = 30, 44  # characters: the figure stays readable


def sentence():
    """The first sentence of 30-44 characters in the second half of the shipped text
    (tinytorch.datasets.load_text), its line breaks made spaces."""
    import re

    from tinytorch.datasets import load_text

    text = load_text()
    for match in re.finditer(r"[A-Z][^.!?:]*[.!?]", text[len(text) // 2:]):
        words = " ".join(match.group().split())
        if SHORTEST <= len(words) <= LONGEST:
            return words
    raise ValueError("no sentence of the right length in the shipped text")


def hand_built_heads(text, sharpness=6.0):
    """(queries, keys, values) of two heads, shaped (2, L, F), for the characters of `text`.

    Head 0: query = key = the one-hot letter (lower case), so a letter matches its own
    earlier copies. Head 1: the query of position i is the one-hot of i, the key of
    position j the one-hot of j + 1, so position i matches position i - 1. `sharpness`
    scales the queries (the softmax's temperature). Values are the positions (one-hot).
    """
    L = len(text)
    letters = sorted(set(text.lower()))
    code = np.array([letters.index(c) for c in text.lower()])
    width = max(len(letters), L + 1)
    same = np.zeros((L, width))
    same[np.arange(L), code] = 1.0
    here, before = np.zeros((L, width)), np.zeros((L, width))
    here[np.arange(L), np.arange(L)] = 1.0
    before[np.arange(L), np.arange(L) + 1] = 1.0
    queries = np.stack([same, here]) * sharpness
    keys = np.stack([same, before])
    values = np.stack([np.eye(L, width)] * 2)
    return queries, keys, values


def attention_weights(sdpa, text):
    """The (2, L, L) weights of the two heads, read from `sdpa` (value = one-hot positions)."""
    from tinytorch.core.tensor import Tensor

    q, k, v = hand_built_heads(text)
    out = sdpa(Tensor(q), Tensor(k), Tensor(v), is_causal=True, scale=1.0)
    return np.asarray(out.data)[:, :, :len(text)]


def attention_maps_figure(sdpa=None, text=None):
    """Two heads' weights over a sentence, causal: earlier copies of each letter, and the predecessor."""
    from tito.feedback.plots import _figure

    if sdpa is None:
        from tinytorch.core.attention import scaled_dot_product_attention as sdpa
    text = text or sentence()
    weights = attention_weights(sdpa, text)
    labels = [c if c != " " else "␣" for c in text]
    fig = _figure((13.0, 6.6))
    axes = fig.subplots(1, 2)
    titles = ("head 1: query = key = the letter\n(each letter looks at its earlier copies)",
              "head 2: query i matches key i - 1\n(each letter looks at the one before it)")
    for ax, w, title in zip(axes, weights, titles):
        image = ax.imshow(w, cmap="Blues", vmin=0, vmax=1)
        ax.set_title(title, fontsize=10)
        ax.set_xticks(range(len(text)), labels, fontsize=8)
        ax.set_yticks(range(len(text)), labels, fontsize=8)
        ax.set_xlabel("key (what is looked at)")
        ax.set_ylabel("query (who looks)")
    fig.colorbar(image, ax=axes, shrink=0.7, label="attention weight")
    fig.suptitle(f"causal attention on \u201c{text}\u201d: the upper triangle (the future) is zero")
    return fig


def figures(ctx=None, names=None):
    """[(name, Figure, status)] for `tito plot attention`."""
    wanted = names or list(FIGURES)
    return [(name, attention_maps_figure(), "ok") for name in wanted if name == "attention_maps"]
