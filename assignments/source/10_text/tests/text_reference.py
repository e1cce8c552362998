"""Independent references for the text tests: byte-pair encoding in plain Python lists,
written from the rules the chapter states, and text that exercises every UTF-8 length."""
from __future__ import annotations

from collections import Counter
from itertools import pairwise

from hypothesis import strategies as st

# Every string of valid Unicode: lone surrogates (category Cs) have no UTF-8 form.
ANY_TEXT = st.text(alphabet=st.characters(exclude_categories=["Cs"]), max_size=40)
SAMPLES = {
    "ascii": "To be, or not to be: that is the question.",
    "accented": "Café crème, naïve façade, Ærø, señor, Łódź",
    "cjk": "東京の日本語、한국어 문장、中文字符",
    "emoji": "🙂👍🏽 family: 👨‍👩‍👧 flags 🇫🇷🇯🇵",
    "mixed": "ab é 日 🙂\n\ttab\x00nul",
    "empty": "",
}


def pairs_reference(ids):
    """The most frequent adjacent pair, ties to the smallest pair; None below two ids."""
    counts = Counter(pairwise(ids))
    if not counts:
        return None
    best = max(counts.values())
    return min(pair for pair, count in counts.items() if count == best)


def merge_reference(ids, pair, new_id):
    """Left to right: each occurrence of pair becomes new_id; a merged pair is not looked at again."""
    out, i = [], 0
    while i < len(ids):
        if i + 1 < len(ids) and (ids[i], ids[i + 1]) == tuple(pair):
            out.append(new_id)
            i += 2
        else:
            out.append(ids[i])
            i += 1
    return out


def train_reference(text, vocab_size):
    """(merges as a list of (pair, new_id) in order, vocab id -> bytes, final ids)."""
    ids = list(text.encode("utf-8"))
    vocab = {i: bytes([i]) for i in range(256)}
    merges = []
    for new_id in range(256, vocab_size):
        pair = pairs_reference(ids)
        if pair is None:
            break
        ids = merge_reference(ids, pair, new_id)
        merges.append((pair, new_id))
        vocab[new_id] = vocab[pair[0]] + vocab[pair[1]]
    return merges, vocab, ids


def encode_reference(merges, text):
    ids = list(text.encode("utf-8"))
    for pair, new_id in merges:
        ids = merge_reference(ids, pair, new_id)
    return ids
