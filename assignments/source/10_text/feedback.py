"""Figures of module 10 (text): what BPE learns from the shipped plays, and what it buys.

The chapter's plot cells and `tito plot text` call the same functions:

    sequence_length_figure()   # tokens per character against vocabulary size, BPE and characters
    merges_figure()            # the first merges BPE learns, and the longest tokens at 1024 ids
"""
from __future__ import annotations

import numpy as np

FIGURES = {
    "sequence_length": "tokens per character against vocabulary size: characters, bytes and BPE, "
                       "on the training plays and on Macbeth",
    "bpe_merges": "the first 40 merges BPE learns from Shakespeare, and the longest tokens of 1024",
}

TRAIN_CHARS = 100_000           # BPE trains on the first this many characters of the training plays
SIZES = (256, 320, 384, 512, 640, 768, 1024)


def _text():
    from tinytorch.core import text

    return text


def _trained(BPETokenizer, vocab_size=SIZES[-1]):
    from tinytorch.datasets import load_text

    return BPETokenizer().train(load_text("train")[:TRAIN_CHARS], vocab_size=vocab_size)


def _first(tokenizer, count):
    """A copy of `tokenizer` that knows only its first `count` merges."""
    small = type(tokenizer)()
    small.merges = dict(list(tokenizer.merges.items())[:count])
    small.vocab = {i: b for i, b in tokenizer.vocab.items() if i < 256 + count}
    return small


def _shown(token: bytes) -> str:
    """A token's bytes as readable text: spaces as a middle dot, newlines as a return sign."""
    return token.decode("utf-8", errors="replace").replace(" ", "\u00b7").replace("\n", "\u21b5")


def tokens_per_character(BPETokenizer=None, CharTokenizer=None, tokenizer=None, step=lambda what: None):
    """{"train": [...], "val": [...]} tokens per character for each size of SIZES, and the
    character tokenizer's (vocab size, 1.0). step(what) is called as each part starts."""
    from tinytorch.datasets import load_text

    CharTokenizer = CharTokenizer or _text().CharTokenizer
    step(f"BPE trained to {SIZES[-1]} ids on {TRAIN_CHARS:,} characters")
    full = tokenizer or _trained(BPETokenizer or _text().BPETokenizer)
    texts = {"train": load_text("train")[:TRAIN_CHARS], "val": load_text("val")}
    found = {"train": [], "val": []}
    for size in SIZES:
        step(f"encoding with {size} ids")
        for part, text in texts.items():
            found[part].append(len(_first(full, size - 256).encode(text)) / len(text))
    found["chars"] = (CharTokenizer().train(load_text()).vocab_size, 1.0)
    return found


def sequence_length_figure(BPETokenizer=None, CharTokenizer=None, found=None):
    """Tokens per character (log vocabulary size): the price of a small vocabulary."""
    from tito.feedback.plots import _figure

    found = found or tokens_per_character(BPETokenizer, CharTokenizer)
    fig = _figure((8.0, 4.6))
    ax = fig.subplots()
    ax.plot(SIZES, found["train"], "o-", label=f"BPE, on the text it trained on ({TRAIN_CHARS:,} characters)")
    ax.plot(SIZES, found["val"], "s--", label="BPE, on Macbeth (never seen in training)")
    size, ratio = found["chars"]
    ax.plot([size], [ratio], "D", ms=9, color="C3", label=f"characters: {size} ids, one per character")
    ax.annotate("bytes: 256 ids, one per\nASCII character", (256, found["train"][0]), textcoords="offset points",
                xytext=(12, -30), fontsize=9, arrowprops={"arrowstyle": "->", "color": "grey"})
    for x, y in zip(SIZES[1:], found["train"][1:]):
        ax.annotate(f"{y:.2f}", (x, y), textcoords="offset points", xytext=(0, -13), ha="center", fontsize=8)
    ax.set_xscale("log", base=2)
    ax.set_xticks([64, 128, 256, 512, 1024], ["64", "128", "256", "512", "1024"])
    ax.set_ylim(0, 1.1)
    ax.set_xlabel("vocabulary size (ids)")
    ax.set_ylabel("tokens per character")
    ax.set_title("A bigger vocabulary, shorter sequences")
    ax.grid(alpha=0.3)
    ax.legend(loc="lower left", fontsize=9)
    return fig


def merges_figure(BPETokenizer=None, tokenizer=None, first=40, longest=24):
    """The first `first` merges in the order learned, and the `longest` tokens at 1024 ids."""
    from tito.feedback.plots import _figure

    tokenizer = tokenizer or _trained(BPETokenizer or _text().BPETokenizer)
    learned = list(tokenizer.merges.items())
    fig = _figure((11.0, 6.4))
    left, right = fig.subplots(1, 2, width_ratios=[1.15, 1])
    for ax in (left, right):
        ax.set_axis_off()
    left.set_title(f"the first {first} merges, in the order learned", loc="left")
    rows = 20
    for k, ((a, b), new_id) in enumerate(learned[:first]):
        column, row = divmod(k, rows)
        x, y = 0.02 + 0.5 * column, 1 - (row + 1) / (rows + 1)
        left.text(x, y, f"{new_id}: {_shown(tokenizer.vocab[a])!r} + {_shown(tokenizer.vocab[b])!r} "
                  f"-> {_shown(tokenizer.vocab[new_id])!r}", family="monospace", fontsize=9,
                  transform=left.transAxes, va="center")
    tokens = sorted(range(256, tokenizer.vocab_size), key=lambda i: (-len(tokenizer.vocab[i]), i))[:longest]
    right.set_title(f"the {longest} longest of {tokenizer.vocab_size} tokens", loc="left")
    for k, i in enumerate(tokens):
        right.text(0.02, 1 - (k + 1) / (longest + 1), f"{i}: {_shown(tokenizer.vocab[i])!r} "
                   f"({len(tokenizer.vocab[i])} bytes)", family="monospace", fontsize=9,
                   transform=right.transAxes, va="center")
    fig.suptitle("What byte-pair encoding learns from Shakespeare (\u00b7 is a space, \u21b5 a new line)")
    return fig


def figures(ctx, names):
    ctx.step(f"BPE trained to {SIZES[-1]} ids on {TRAIN_CHARS:,} characters")
    tokenizer = _trained(_text().BPETokenizer)
    if "sequence_length" in names:
        found = tokens_per_character(tokenizer=tokenizer, step=ctx.step)
        yield "sequence_length", sequence_length_figure(found=found), ""
    if "bpe_merges" in names:
        yield "bpe_merges", merges_figure(tokenizer=tokenizer), ""


if __name__ == "__main__":  # a quick look: python feedback.py
    print({k: np.round(v, 3) for k, v in tokens_per_character().items()})
