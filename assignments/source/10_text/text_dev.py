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
# # Module 10: Text, from characters to numbers
#
# A network computes with numbers; a language model reads and writes text. Between the
# two sit three small pieces, and this module builds them with PyTorch's habits:
#
# | piece | what it does |
# |---|---|
# | `CharTokenizer` | one id per character: `"to be"` -> `[72, 67, 1, 54, 57]` |
# | `BPETokenizer` | byte-level byte-pair encoding (GPT-2's family): frequent runs of bytes become one id, any string round-trips |
# | `nn.Embedding(num_embeddings, embedding_dim)` | id -> a learned vector, a row of a weight matrix |
# | `NextTokenDataset(tokens, block_size)` | (input, target) windows: the target is the input moved one token on |
#
# The text they work on ships with TinyTorch: `tinytorch.datasets.load_text()`, eight
# plays of Shakespeare, 1.1 million characters (`load_text("train")` is the first seven,
# `load_text("val")` is Macbeth, kept for validation).
#
# ```bash
# tito test text      # the full tests: round trips on any Unicode, Embedding against PyTorch
# tito plot text      # the merges BPE learns, and sequence length against vocabulary size
# tito sync           # put your code into tinytorch/core/text.py (tinytorch.text, tinytorch.nn)
# ```

# %%
#| default_exp core.text

# %%
#| export
import numpy as np

from tinytorch.core.autograd import differentiable
from tinytorch.core.data import Dataset
from tinytorch.core.nn import Module, Parameter, normal_
from tinytorch.core.tensor import Tensor

# %% [markdown]
# ## The text
# %%
from tinytorch.datasets import load_text

text = load_text()
print(f"{len(text):,} characters, {len(set(text))} different ones; the start:\n")
print(text[:400])

# %% [markdown]
# ## Characters as ids: `CharTokenizer`
#
# The simplest tokenizer gives each character of the text an id: its place in the
# sorted list of the characters the text uses. The shipped text has 63 of them, so a
# model that predicts the next character chooses among 63.
#
# `train(text)` builds the two tables, `chars` (id -> character) and `stoi`
# (character -> id); `encode` looks each character up, `decode` goes back. A character
# the tokenizer never saw has no id: `encode` refuses it with a `ValueError` that names
# it (given code), instead of a bare `KeyError`.
#
# Ids come in as a Python list, a NumPy array or an integer Tensor (a model's output);
# `_id_list` (given) turns each into a list of Python ints and refuses an id out of range.

# %%
#| export
def _id_list(ids, vocab_size):
    """ids (a list, an integer NumPy array or Tensor, 1-d) as a list of ints in [0, vocab_size)."""
    array = np.asarray(ids.data if isinstance(ids, Tensor) else ids)
    if array.size == 0:
        return []
    if array.ndim != 1 or array.dtype.kind not in "iu":
        raise TypeError(f"decode takes a 1-d sequence of integer ids, got {array.dtype} of shape {array.shape}")
    bad = (array < 0) | (array >= vocab_size)
    if bad.any():
        where = int(np.argmax(bad))
        raise ValueError(f"decode: id {int(array[where])} at position {where} is not in the vocabulary "
                         f"(ids are 0..{vocab_size - 1})")
    return array.tolist()


class CharTokenizer:
    """One id per character, in the order of the sorted characters of the training text.

    >>> tok = CharTokenizer().train("hello")
    >>> tok.encode("hole"), tok.decode([3, 1]), tok.vocab_size
    ([1, 3, 2, 0], 'oh', 4)
    """

    def __init__(self):
        self.chars = []   # id -> character
        self.stoi = {}    # character -> id

    def train(self, text):
        """Learn the vocabulary: every character of `text`, sorted. Returns self."""
        if not isinstance(text, str):
            raise TypeError(f"train takes a str, got {type(text).__name__}")
        # TODO: fill self.chars (sorted, each character once) and self.stoi (its inverse).
        # HINTS: a set drops repeats; sorted() of a set of characters is a list.
        ### BEGIN SOLUTION
        self.chars = sorted(set(text))
        self.stoi = {c: i for i, c in enumerate(self.chars)}
        ### END SOLUTION
        return self

    @property
    def vocab_size(self):
        """How many ids there are."""
        return len(self.chars)

    def encode(self, text):
        """The id of each character of `text`, a list of ints."""
        unknown = set(text) - self.stoi.keys()
        if unknown:
            position = min(text.index(c) for c in unknown)
            raise ValueError(f"encode: {text[position]!r} (U+{ord(text[position]):04X}) at position {position} "
                             f"is not in the vocabulary of {self.vocab_size} characters this tokenizer was trained on")
        # TODO: return the list of ids.
        ### BEGIN SOLUTION
        return [self.stoi[c] for c in text]
        ### END SOLUTION

    def decode(self, ids):
        """The string whose ids are `ids`: decode(encode(s)) == s."""
        ids = _id_list(ids, self.vocab_size)
        # TODO: return the characters of the ids, joined into one string.
        ### BEGIN SOLUTION
        return "".join(self.chars[i] for i in ids)
        ### END SOLUTION

    def __repr__(self):
        return f"CharTokenizer(vocab_size={self.vocab_size})"


# %% [markdown]
# ### Check: the shipped text, as ids and back

# %%
chars = CharTokenizer().train(text)
print(chars, "".join(chars.chars))
ids = chars.encode("To be, or not to be")
print(ids)
assert chars.decode(ids) == "To be, or not to be" and chars.decode(chars.encode("")) == ""
assert chars.vocab_size == len(set(text)) and chars.encode("\n") == [0]

# %% [markdown]
# ## Bytes, and why a character is not one of them
#
# A character tokenizer only knows the characters it was trained on: `"café"` or
# `"日本"` have no ids. Byte-level tokenizers (GPT-2's family) start instead from the
# 256 possible **bytes** of the string's UTF-8 encoding, so every string, in any
# script, has ids. ASCII characters are one byte each; `é` is two (`c3 a9`), `日` three,
# an emoji four:

# %%
for s in ["a", "é", "日", "🙂"]:
    print(f"{s!r}: {len(s)} character, UTF-8 bytes {list(s.encode('utf-8'))}")

# %% [markdown]
# One character split over several ids has a consequence for `decode`: the bytes of all
# the ids must be joined **first** and turned into text once. Decoding id by id cuts
# `é` into two halves that are not characters on their own.
#
# ## Byte-pair encoding: `BPETokenizer`
#
# Bytes make sequences long (one id per ASCII character). Byte-pair encoding (Gage 1994;
# Sennrich et al. 2016 for words; GPT-2 for bytes) shortens them by learning new ids for
# frequent neighbours. Training repeats one step, `vocab_size - 256` times:
#
# 1. count every adjacent pair of ids in the sequence (`"aaa"` holds the pair `(a, a)` twice);
# 2. take the most frequent pair, say `(t, h)`; on a tie, the smallest pair (the lowest
#    first id, then the lowest second id), so that training gives the same merges
#    everywhere;
# 3. give it the next free id, 256, 257, ..., and **merge**: replace each occurrence of
#    the pair in the sequence by the new id, left to right, never overlapping (`"aaa"`
#    with the pair `(a, a)` becomes `[new, a]`).
#
# The new id's bytes are its two parts' bytes, joined (`vocab[256] = b"th"`). After
# `th` and then `the` have their ids, a common word costs one id instead of three.
#
# **Encoding** a new string starts from its bytes and applies the merges **in the order
# they were learned**: later merges are built from earlier ones (`the` from `th`), so a
# different order gives different, longer ids. **Decoding** joins the bytes of the ids
# and decodes the UTF-8 once. For ids that came from `encode` that is exact; for ids a
# model sampled, the bytes may stop in the middle of a character, and
# `errors="replace"` turns such a broken piece into `U+FFFD` instead of failing.
#
# Two functions do the work on NumPy arrays of ids (int64). `_pair_starts` (given) finds
# where a pair occurs, already without overlaps.

# %%
#| export
def _pair_starts(ids, pair):
    """The positions where `pair` starts in `ids`, left to right, never overlapping.

    >>> _pair_starts(np.array([7, 7, 7, 7, 7]), (7, 7)).tolist()
    [0, 2]
    """
    hits = np.flatnonzero((ids[:-1] == pair[0]) & (ids[1:] == pair[1]))
    if pair[0] != pair[1] or hits.size < 2:
        return hits  # two different ids cannot overlap with themselves
    # In a run of consecutive hits (a a a a ...) every second one is taken, from the first.
    run_start = np.r_[True, np.diff(hits) != 1]
    first_of_run = hits[run_start][np.cumsum(run_start) - 1]
    return hits[(hits - first_of_run) % 2 == 0]


def most_frequent_pair(ids):
    """The most frequent adjacent pair (a, b) of `ids` as two ints, ties to the smallest
    pair; None when `ids` has fewer than two elements.

    >>> most_frequent_pair(np.array([1, 2, 3, 1, 2]))
    (1, 2)
    """
    if len(ids) < 2:
        return None
    # TODO: count every adjacent pair and return the most frequent one, as two ints.
    # APPROACH:
    #   1. Give each pair one integer code: first * K + second, with K larger than any
    #      id (K = ids.max() + 1), so different pairs get different codes.
    #   2. Count the codes (np.unique can count); take the largest count.
    #   3. Turn the winning code back into (first, second).
    # HINTS: np.unique returns the codes sorted, and argmax takes the first of equal
    #        maxima: the smallest pair, the tie rule above. Return Python ints, not arrays.
    ### BEGIN SOLUTION
    k = int(ids.max()) + 1
    codes, counts = np.unique(ids[:-1] * k + ids[1:], return_counts=True)
    first, second = divmod(int(codes[np.argmax(counts)]), k)
    return first, second
    ### END SOLUTION


def merge(ids, pair, new_id):
    """`ids` with each occurrence of `pair` (left to right, never overlapping) replaced by
    `new_id`: one element shorter per occurrence.

    >>> merge(np.array([5, 6, 5, 6, 7]), (5, 6), 300).tolist()
    [300, 300, 7]
    """
    starts = _pair_starts(ids, pair)
    # TODO: return the merged array (a new one: never change `ids`).
    # APPROACH: a copy with new_id written at each start; then keep every element
    #           except the one right after each start (the pair's second half).
    # HINTS: a boolean mask of what to keep, all True, False at starts + 1.
    ### BEGIN SOLUTION
    out = ids.copy()
    out[starts] = new_id
    keep = np.ones(len(ids), dtype=bool)
    keep[starts + 1] = False
    return out[keep]
    ### END SOLUTION


# %% [markdown]
# ### Check: the two steps on a small example
#
# `"aaabdaaabac"`, the classic example: `(a, a)` is the most frequent pair (four times,
# overlaps counted), and merging it leaves `[Z, a, b, d, Z, a, b, a, c]`.

# %%
small = np.frombuffer(b"aaabdaaabac", dtype=np.uint8).astype(np.int64)
print("most frequent pair:", most_frequent_pair(small), "= (ord('a'), ord('a'))")
merged = merge(small, (97, 97), 256)
print("after the merge:", merged.tolist())
assert most_frequent_pair(small) == (97, 97)
assert merged.tolist() == [256, 97, 98, 100, 256, 97, 98, 97, 99]
assert small.tolist()[:3] == [97, 97, 97], "merge changed its input"

# %% [markdown]
# ### The tokenizer
#
# With the two steps, training, encoding and decoding are a few lines each. `merges`
# maps each learned pair to its id, in the order learned (a Python dict keeps the order
# of insertion); `vocab` maps each id to its bytes. `_bytes_of` (given) turns a string
# into its UTF-8 bytes as int64 ids.

# %%
#| export
def _bytes_of(text):
    """The UTF-8 bytes of `text` as an int64 array: ids 0..255."""
    if not isinstance(text, str):
        raise TypeError(f"expected a str, got {type(text).__name__}")
    return np.frombuffer(text.encode("utf-8"), dtype=np.uint8).astype(np.int64)


class BPETokenizer:
    """Byte-level byte-pair encoding: ids 0-255 are the bytes, each later id a learned
    merge of two earlier ones. Any string round-trips: decode(encode(s)) == s.

    >>> tok = BPETokenizer().train("aaabdaaabac", vocab_size=259)
    >>> tok.encode("aaabdaaabac"), tok.vocab[258]
    ([258, 100, 258, 97, 99], b'aaab')
    """

    def __init__(self):
        self.merges = {}                                # (id, id) -> new id, in the order learned
        self.vocab = {i: bytes([i]) for i in range(256)}  # id -> its bytes

    def train(self, text, vocab_size):
        """Learn vocab_size - 256 merges from `text` (fewer if the text runs out of pairs).

        Returns self. Training starts afresh: earlier merges are forgotten.
        """
        if isinstance(vocab_size, bool) or not isinstance(vocab_size, (int, np.integer)) or vocab_size < 256:
            raise ValueError(f"vocab_size must be an integer of at least 256 (the bytes), got {vocab_size!r}")
        ids = _bytes_of(text)
        self.merges = {}
        self.vocab = {i: bytes([i]) for i in range(256)}
        # TODO: learn the merges, one new id at a time, from 256 up to vocab_size - 1.
        # APPROACH: for each new id: pair = most_frequent_pair(ids) (None: stop early);
        #           ids = merge(ids, pair, new_id); record self.merges[pair] = new_id and
        #           self.vocab[new_id] = the bytes of pair[0] + the bytes of pair[1].
        ### BEGIN SOLUTION
        for new_id in range(256, int(vocab_size)):
            pair = most_frequent_pair(ids)
            if pair is None:
                break
            ids = merge(ids, pair, new_id)
            self.merges[pair] = new_id
            self.vocab[new_id] = self.vocab[pair[0]] + self.vocab[pair[1]]
        ### END SOLUTION
        return self

    @property
    def vocab_size(self):
        """How many ids there are: 256 bytes plus one per merge."""
        return 256 + len(self.merges)

    def encode(self, text):
        """The ids of `text`, a list of ints: its UTF-8 bytes, then every merge in order."""
        ids = _bytes_of(text)
        # TODO: apply each learned merge to ids, in the order learned; return a list of ints.
        # HINTS: iterating over a dict's items() follows the order of insertion.
        ### BEGIN SOLUTION
        for pair, new_id in self.merges.items():
            ids = merge(ids, pair, new_id)
        return ids.tolist()
        ### END SOLUTION

    def decode(self, ids):
        """The string of `ids`. Bytes that do not form UTF-8 (a character cut in two by a
        sampled sequence) become U+FFFD, as in GPT-2's tokenizer."""
        ids = _id_list(ids, self.vocab_size)
        # TODO: join the bytes of every id, then decode them as UTF-8 once.
        # HINTS: b"".join(...) joins bytes; .decode("utf-8", errors="replace").
        ### BEGIN SOLUTION
        return b"".join(self.vocab[i] for i in ids).decode("utf-8", errors="replace")
        ### END SOLUTION

    def __repr__(self):
        return f"BPETokenizer(vocab_size={self.vocab_size})"


# %% [markdown]
# ### Check: round trips in any script, and what BPE learns from Shakespeare
#
# Training on the first 100,000 characters of the text to 512 ids takes a few seconds.
# The first merges are the commonest pairs of English: `e` and a space, `t` and `h`, ...

# %%
bpe = BPETokenizer().train(text[:100_000], vocab_size=512)
print(bpe, "- the first 12 merges:", [bpe.vocab[i].decode() for i in range(256, 268)])
for s in ["To be, or not to be", "café crème", "東京の日本語", "🙂👍🏽", ""]:
    ids = bpe.encode(s)
    assert bpe.decode(ids) == s, s
    print(f"{s!r}: {len(s.encode('utf-8'))} bytes -> {len(ids)} ids")
print("decoded one id at a time, 'é' falls apart:", [bpe.decode([i]) for i in bpe.encode("é")])

# %% [markdown]
# ### How long the sequences get
#
# A bigger vocabulary means shorter sequences: fewer steps for a model to read, but
# more ids to choose from at each one, each seen less often in training. The figure
# trains BPE on the first 100,000 characters of the training plays up to 1024 ids and
# plots the tokens per character, measured on that text and on Macbeth, which the merges
# never saw: they carry over nearly as well (0.37 and 0.43 tokens per character at 1024
# ids). Characters are 1.00 token per character at 63 ids.

# %%
from tito.offers import feedback_module

figures = feedback_module("text")  # this module's feedback.py: its figures
figures.sequence_length_figure(BPETokenizer, CharTokenizer);

# %%
figures.merges_figure(BPETokenizer);

# %% [markdown]
# ## Ids to vectors: `nn.Embedding`
#
# An id is a name, not a quantity: id 40 is not "twice" id 20. A network takes ids
# through an **embedding**: a weight matrix of shape `(num_embeddings, embedding_dim)`,
# one learned row per id. `Embedding(ids)` returns the rows, so an input of shape
# `(B, T)` becomes `(B, T, embedding_dim)`. That is the same as multiplying a one-hot
# vector by the matrix, without building the one-hots.
#
# **The gradient.** Each output row is a copy of a weight row, so the gradient of the
# weight is zero except on the rows that were used, and a row used **several times**
# gets the **sum** of the gradients of all its copies (the letter `e` appears many times
# in a batch: every occurrence teaches its row). Writing `grad[ids] = g` keeps only the
# last copy of each repeated id; `np.add.at` adds them all.
#
# **padding_idx.** Sequences of different lengths are padded to one length with a
# padding id. With `padding_idx=p`, row `p` starts at zero and **gets no gradient**, so
# it stays what it is: padding teaches nothing.
#
# **Init** (PyTorch's): every weight from N(0, 1), the padding row then zeroed.

# %%
#| export
def _check_ids(input, num_embeddings):
    """The ids of `input` (an integer Tensor) as an array; a clear error otherwise."""
    if input.dtype.kind not in "iu":
        raise TypeError(f"embedding: the input must hold integer ids (e.g. int64), got {input.dtype}")
    ids = input.data
    if ids.size and (ids.min() < 0 or ids.max() >= num_embeddings):
        bad = ids.min() if ids.min() < 0 else ids.max()
        raise IndexError(f"embedding: id {int(bad)} is out of range for {num_embeddings} embeddings "
                         f"(ids are 0..{num_embeddings - 1})")
    return ids


def _padding_index(padding_idx, num_embeddings):
    """padding_idx as a non-negative row (negative counts from the end, as in PyTorch), or None."""
    if padding_idx is None:
        return None
    if not -num_embeddings <= padding_idx < num_embeddings:
        raise ValueError(f"padding_idx must be within num_embeddings ({num_embeddings}), got {padding_idx}")
    return padding_idx % num_embeddings


@differentiable(inputs=2)
def embedding(input, weight, padding_idx=None, max_norm=None, norm_type=2.0, scale_grad_by_freq=False,
              sparse=False):
    """The rows of `weight` (num_embeddings, embedding_dim) picked by the integer ids of
    `input`: output shape input.shape + (embedding_dim,). padding_idx: a row that gets
    no gradient. (max_norm, scale_grad_by_freq and sparse are not supported.)

    >>> embedding(Tensor([[0, 2]]), Tensor([[0.0, 1.0], [2.0, 3.0], [4.0, 5.0]])).data.tolist()
    [[[0.0, 1.0], [4.0, 5.0]]]
    """
    if max_norm is not None or scale_grad_by_freq or sparse:
        raise NotImplementedError("embedding: max_norm, scale_grad_by_freq and sparse are not supported in TinyTorch")
    ids = _check_ids(input, weight.shape[0])
    padding_idx = _padding_index(padding_idx, weight.shape[0])
    # TODO: the value (the rows of weight.data picked by ids) and the backward.
    # APPROACH: value = weight.data[ids] (shape ids.shape + (embedding_dim,)).
    #           backward(grad): a zero array of the weight's shape; add each row of grad
    #           into the row of its id, repeated ids adding up; the padding row (when
    #           there is one) set back to zero. Return (None, that array): the ids get none.
    # HINTS: g[ids] += grad does NOT add repeats (each repeated index is written once);
    #        np.add.at(g, ids, grad) does.
    ### BEGIN SOLUTION
    value = weight.data[ids]

    def backward(grad):
        g = np.zeros(weight.shape, dtype=weight.dtype)
        np.add.at(g, ids, grad)
        if padding_idx is not None:
            g[padding_idx] = 0
        return None, g
    ### END SOLUTION
    return Tensor(value), backward


# %% [markdown]
# The layer (given) holds the weight, draws it at construction and calls `embedding`.
# Your part is the init.

# %%
#| export
class Embedding(Module):
    """A table of num_embeddings learned vectors of size embedding_dim, looked up by id.

    Embedding(num_embeddings, embedding_dim, padding_idx=None, max_norm=None, norm_type=2.0,
    scale_grad_by_freq=False, sparse=False, _weight=None, _freeze=False, device=None, dtype=None)

    weight: Parameter (num_embeddings, embedding_dim) from N(0, 1), the padding row zero.
    Input: integer ids of any shape (*); output (*, embedding_dim).
    max_norm, scale_grad_by_freq and sparse are not supported (an error says so).

    >>> Embedding(65, 16)(Tensor([[1, 2, 3]])).shape
    (1, 3, 16)
    """

    def __init__(self, num_embeddings, embedding_dim, padding_idx=None, max_norm=None, norm_type=2.0,
                 scale_grad_by_freq=False, sparse=False, _weight=None, _freeze=False, device=None, dtype=None):
        super().__init__()
        if max_norm is not None or scale_grad_by_freq or sparse:
            raise NotImplementedError("Embedding: max_norm, scale_grad_by_freq and sparse are not supported "
                                      "in TinyTorch")
        if device not in (None, "cpu"):
            raise RuntimeError(f"Embedding: TinyTorch runs on the CPU only, not on device {device!r}")
        self.num_embeddings, self.embedding_dim = num_embeddings, embedding_dim
        self.padding_idx = _padding_index(padding_idx, num_embeddings)
        self.max_norm, self.norm_type = max_norm, norm_type
        self.scale_grad_by_freq, self.sparse = scale_grad_by_freq, sparse
        if _weight is None:
            self.weight = Parameter(np.empty((num_embeddings, embedding_dim), np.dtype(dtype or np.float32)),
                                    requires_grad=not _freeze)
            self.reset_parameters()
        else:
            weight = np.asarray(_weight.data if isinstance(_weight, Tensor) else _weight)
            if weight.shape != (num_embeddings, embedding_dim):
                raise ValueError(f"Embedding: _weight has shape {weight.shape}, expected "
                                 f"{(num_embeddings, embedding_dim)}")
            self.weight = Parameter(weight, requires_grad=not _freeze)

    def reset_parameters(self):
        """Draw the weight again from N(0, 1); the padding row (if any) is zero."""
        # TODO: fill self.weight from N(0, 1), then zero the padding row.
        # HINTS: normal_ (module 04) fills in place; self.padding_idx is None or a row.
        ### BEGIN SOLUTION
        normal_(self.weight, 0.0, 1.0)
        if self.padding_idx is not None:
            self.weight.data[self.padding_idx] = 0
        ### END SOLUTION

    @classmethod
    def from_pretrained(cls, embeddings, freeze=True, padding_idx=None, max_norm=None, norm_type=2.0,
                        scale_grad_by_freq=False, sparse=False):
        """An Embedding holding `embeddings` (2-d), frozen (no gradient) unless freeze=False."""
        rows, dim = np.shape(embeddings.data if isinstance(embeddings, Tensor) else embeddings)
        return cls(rows, dim, padding_idx, max_norm, norm_type, scale_grad_by_freq, sparse,
                   _weight=embeddings, _freeze=freeze)

    def forward(self, input):
        return embedding(input, self.weight, self.padding_idx)

    def extra_repr(self):
        padding = f", padding_idx={self.padding_idx}" if self.padding_idx is not None else ""
        return f"{self.num_embeddings}, {self.embedding_dim}{padding}"


# %% [markdown]
# ### Check: shapes, the padding row, and repeated ids

# %%
import tinytorch

tinytorch.manual_seed(0)
table = Embedding(10, 3, padding_idx=0)
print(table, "\n", table.weight.data[:3])
tokens = Tensor(np.array([[4, 4, 0, 7], [4, 1, 0, 0]]))
out = table(tokens)
assert out.shape == (2, 4, 3) and np.array_equal(out.data[0, 0], table.weight.data[4])
out.sum().backward()
print("gradient rows 0, 1, 4, 7:", table.weight.grad.data[[0, 1, 4, 7], 0], "(id 4 was used 3 times)")
assert np.array_equal(table.weight.grad.data[:, 0], [0, 1, 0, 0, 3, 0, 0, 1, 0, 0])

# %% [markdown]
# ## What a language model learns from: next-token windows
#
# A language model reads `block_size` tokens and, at **every** position, predicts the
# token that comes next. One window of the encoded text gives `block_size` examples at
# once: the input is `tokens[i : i + block_size]`, the target is the same window moved
# one token on, `tokens[i + 1 : i + block_size + 1]`. Every start `i` whose target
# still fits in the text is a window: `len(tokens) - block_size` of them.
#
# `windows(tokens, starts, block_size)` cuts the windows of many starts at once (one
# fancy index, no Python loop); the dataset (given) uses it for one example and, through
# `__getitems__`, for a whole batch, which `DataLoader` (module 07) calls.

# %%
#| export
def windows(tokens, starts, block_size):
    """(inputs, targets) for each start: two int arrays of shape (len(starts), block_size),
    inputs[k] = tokens[starts[k] : starts[k] + block_size], targets one token later.

    >>> windows(np.arange(10), np.array([0, 5]), 3)[1].tolist()
    [[1, 2, 3], [6, 7, 8]]
    """
    # TODO: build both arrays with one index array.
    # APPROACH: index = starts as a column + 0..block_size-1 as a row (broadcasting
    #           gives (len(starts), block_size)); inputs = tokens[index], targets = tokens[index + 1].
    ### BEGIN SOLUTION
    index = np.asarray(starts)[:, None] + np.arange(block_size)
    return tokens[index], tokens[index + 1]
    ### END SOLUTION


class NextTokenDataset(Dataset):
    """Every window of `block_size` tokens and its target, the window one token later.

    NextTokenDataset(tokens, block_size): tokens a 1-d sequence of ids (list, array or
    Tensor). Example i is (x, y), int64 Tensors of shape (block_size,):
    x = tokens[i : i + block_size], y = tokens[i + 1 : i + block_size + 1].

    >>> ds = NextTokenDataset([5, 6, 7, 8], block_size=2)
    >>> len(ds), ds[1][0].data.tolist(), ds[1][1].data.tolist()
    (2, [6, 7], [7, 8])
    """

    def __init__(self, tokens, block_size):
        tokens = np.asarray(tokens.data if isinstance(tokens, Tensor) else tokens)
        if tokens.ndim != 1 or (tokens.size and tokens.dtype.kind not in "iu"):
            raise TypeError(f"NextTokenDataset: tokens must be a 1-d sequence of integer ids, "
                            f"got {tokens.dtype} of shape {tokens.shape}")
        if isinstance(block_size, bool) or not isinstance(block_size, (int, np.integer)) or block_size < 1:
            raise ValueError(f"NextTokenDataset: block_size must be a positive integer, got {block_size!r}")
        if tokens.size <= block_size:
            raise ValueError(f"NextTokenDataset: {tokens.size} tokens make no window of block_size {block_size} "
                             f"and its target (at least {block_size + 1} are needed)")
        self.tokens = tokens.astype(np.int64)
        self.block_size = int(block_size)

    def __len__(self):
        # TODO: how many windows have a full target?
        ### BEGIN SOLUTION
        return len(self.tokens) - self.block_size
        ### END SOLUTION

    def __getitem__(self, index):
        n = len(self)
        if not -n <= index < n:
            raise IndexError(f"window {index} out of range for {n} windows")
        x, y = windows(self.tokens, np.array([index % n]), self.block_size)
        return Tensor(x[0]), Tensor(y[0])

    def __getitems__(self, indices):
        """A batch at once: inputs and targets of shape (len(indices), block_size)."""
        x, y = windows(self.tokens, np.asarray(indices, dtype=np.int64), self.block_size)
        return Tensor(x), Tensor(y)

    def __repr__(self):
        return f"NextTokenDataset({len(self.tokens)} tokens, block_size={self.block_size})"


# %% [markdown]
# ### Check: a batch of Shakespeare, ready for a model

# %%
from tinytorch.core.data import DataLoader

data = NextTokenDataset(chars.encode(load_text("train")), block_size=32)
xb, yb = next(iter(DataLoader(data, batch_size=4, shuffle=True, generator=np.random.default_rng(0))))
print(data, "->", xb.shape, yb.shape, xb.dtype)
print(repr(chars.decode(xb.data[0])), "\n", repr(chars.decode(yb.data[0])))
assert xb.shape == yb.shape == (4, 32) and xb.dtype == np.int64
assert np.array_equal(xb.data[:, 1:], yb.data[:, :-1])
vectors = Embedding(chars.vocab_size, 16)(xb)
print("embedded:", vectors.shape)

# %% [markdown]
# ## What's next
#
# - **RNNs** (module 11) read the embedded tokens one step at a time, carrying a state,
#   and predict the next character: milestone `05_lstm` trains one on these plays.
# - **Attention** (module 12) looks at the whole window at once.
#
# Run `tito test text` for the full tests and `tito sync` to put your code into the package.

# %% [markdown]
# ## How this module is graded
#
# `tito grade` runs this module's tests on your code. The tests that code computing
# nothing passes too (an error for an id out of range, a shape) share 5% of the score;
# the tests that need the right values share the other 95%.
