"""Learner mistakes the text tests must catch (with PyTorch absent too) and correct
variants, written differently, that they must pass."""
from tito.catalogue import Mistake, Variant

AT_LEAST = 25

MISTAKES = [
    Mistake("char_vocab_unsorted", "the vocabulary in the order of a set, not sorted", '''
class CharTokenizer:
    def train(self, text):
        if not isinstance(text, str):
            raise TypeError(f"train takes a str, got {type(text).__name__}")
        self.chars = list(dict.fromkeys(text))
        self.stoi = {c: i for i, c in enumerate(self.chars)}
        return self
'''),
    Mistake("char_decode_with_spaces", "decode joins the characters with spaces", '''
class CharTokenizer:
    def decode(self, ids):
        ids = _id_list(ids, self.vocab_size)
        return " ".join(self.chars[i] for i in ids)
'''),
    Mistake("char_ids_from_one", "ids start at 1 (0 kept for padding), decode not shifted back", '''
class CharTokenizer:
    def train(self, text):
        if not isinstance(text, str):
            raise TypeError(f"train takes a str, got {type(text).__name__}")
        self.chars = sorted(set(text))
        self.stoi = {c: i + 1 for i, c in enumerate(self.chars)}
        return self
'''),
    Mistake("pairs_not_overlapping", "pairs counted in steps of two: (a, b), (c, d), ... misses half of them", '''
def most_frequent_pair(ids):
    if len(ids) < 2:
        return None
    k = int(ids.max()) + 1
    even = ids[: len(ids) // 2 * 2]
    codes, counts = np.unique(even[0::2] * k + even[1::2], return_counts=True)
    return divmod(int(codes[np.argmax(counts)]), k)
'''),
    Mistake("pairs_fixed_base_256", "pair code first * 256 + second: merged ids above 255 collide", '''
def most_frequent_pair(ids):
    if len(ids) < 2:
        return None
    codes, counts = np.unique(ids[:-1] * 256 + ids[1:], return_counts=True)
    return divmod(int(codes[np.argmax(counts)]), 256)
'''),
    Mistake("pairs_tie_to_first_seen", "Counter.most_common: ties go to the pair seen first, not the smallest", '''
def most_frequent_pair(ids):
    from collections import Counter
    counts = Counter(zip(ids[:-1].tolist(), ids[1:].tolist()))
    return counts.most_common(1)[0][0] if counts else None
'''),
    Mistake("pairs_as_numpy_ints", "returns the pair as NumPy integers sliced from an array", '''
def most_frequent_pair(ids):
    if len(ids) < 2:
        return None
    k = int(ids.max()) + 1
    codes, counts = np.unique(ids[:-1] * k + ids[1:], return_counts=True)
    best = codes[np.argmax(counts)]
    return best // k, best % k
'''),
    Mistake("merge_in_place", "merge writes into its input instead of a copy", '''
def merge(ids, pair, new_id):
    starts = _pair_starts(ids, pair)
    ids[starts] = new_id
    keep = np.ones(len(ids), dtype=bool)
    keep[starts + 1] = False
    return ids[keep]
'''),
    Mistake("merge_overlapping", "every occurrence merged, overlaps too: 'aaa' with (a, a) loses an a", '''
def merge(ids, pair, new_id):
    starts = np.flatnonzero((ids[:-1] == pair[0]) & (ids[1:] == pair[1]))
    out = ids.copy()
    out[starts] = new_id
    keep = np.ones(len(ids), dtype=bool)
    keep[starts + 1] = False
    return out[keep]
'''),
    Mistake("merge_drops_the_new_id", "keeps the second half of the pair and drops the new id", '''
def merge(ids, pair, new_id):
    starts = _pair_starts(ids, pair)
    out = ids.copy()
    out[starts] = new_id
    keep = np.ones(len(ids), dtype=bool)
    keep[starts] = False
    return out[keep]
'''),
    Mistake("vocab_bytes_swapped", "a merged token's bytes joined second part first", '''
class BPETokenizer:
    def train(self, text, vocab_size):
        ids = _bytes_of(text)
        self.merges = {}
        self.vocab = {i: bytes([i]) for i in range(256)}
        for new_id in range(256, int(vocab_size)):
            pair = most_frequent_pair(ids)
            if pair is None:
                break
            ids = merge(ids, pair, new_id)
            self.merges[pair] = new_id
            self.vocab[new_id] = self.vocab[pair[1]] + self.vocab[pair[0]]
        return self
'''),
    Mistake("train_keeps_old_merges", "training again adds to the merges of an earlier training", '''
class BPETokenizer:
    def train(self, text, vocab_size):
        ids = _bytes_of(text)
        for new_id in range(256 + len(self.merges), int(vocab_size)):
            pair = most_frequent_pair(ids)
            if pair is None:
                break
            ids = merge(ids, pair, new_id)
            self.merges[pair] = new_id
            self.vocab[new_id] = self.vocab[pair[0]] + self.vocab[pair[1]]
        return self
'''),
    Mistake("encode_merges_sorted", "encode applies the merges sorted by pair, not in the order learned", '''
class BPETokenizer:
    def encode(self, text):
        ids = _bytes_of(text)
        for pair, new_id in sorted(self.merges.items()):
            ids = merge(ids, pair, new_id)
        return ids.tolist()
'''),
    Mistake("encode_merges_reversed", "encode applies the newest merges first", '''
class BPETokenizer:
    def encode(self, text):
        ids = _bytes_of(text)
        for pair, new_id in reversed(list(self.merges.items())):
            ids = merge(ids, pair, new_id)
        return ids.tolist()
'''),
    Mistake("encode_returns_array", "encode returns the NumPy array, not a list of ints", '''
class BPETokenizer:
    def encode(self, text):
        ids = _bytes_of(text)
        for pair, new_id in self.merges.items():
            ids = merge(ids, pair, new_id)
        return ids
'''),
    Mistake("decode_token_by_token", "each id's bytes decoded on their own: a split character falls apart", '''
class BPETokenizer:
    def decode(self, ids):
        ids = _id_list(ids, self.vocab_size)
        return "".join(self.vocab[i].decode("utf-8", errors="replace") for i in ids)
'''),
    Mistake("decode_ignores_bad_bytes", "errors='ignore': the bytes of a cut character are silently dropped", '''
class BPETokenizer:
    def decode(self, ids):
        ids = _id_list(ids, self.vocab_size)
        return b"".join(self.vocab[i] for i in ids).decode("utf-8", errors="ignore")
'''),
    Mistake("decode_strict", "strict UTF-8: a sampled sequence that cuts a character raises", '''
class BPETokenizer:
    def decode(self, ids):
        ids = _id_list(ids, self.vocab_size)
        return b"".join(self.vocab[i] for i in ids).decode("utf-8")
'''),
    Mistake("decode_latin1", "bytes decoded as Latin-1: every byte a character", '''
class BPETokenizer:
    def decode(self, ids):
        ids = _id_list(ids, self.vocab_size)
        return b"".join(self.vocab[i] for i in ids).decode("latin-1")
'''),
    Mistake("embedding_grad_overwritten", "grad[ids] = g: a repeated id keeps only its last gradient", '''
@differentiable(inputs=2)
def embedding(input, weight, padding_idx=None, max_norm=None, norm_type=2.0, scale_grad_by_freq=False,
              sparse=False):
    ids = _check_ids(input, weight.shape[0])
    padding_idx = _padding_index(padding_idx, weight.shape[0])

    def backward(grad):
        g = np.zeros(weight.shape, dtype=weight.dtype)
        g[ids] = grad
        if padding_idx is not None:
            g[padding_idx] = 0
        return None, g
    return Tensor(weight.data[ids]), backward
'''),
    Mistake("embedding_grad_plus_equals", "grad[ids] += g: NumPy writes a repeated index once", '''
@differentiable(inputs=2)
def embedding(input, weight, padding_idx=None, max_norm=None, norm_type=2.0, scale_grad_by_freq=False,
              sparse=False):
    ids = _check_ids(input, weight.shape[0])
    padding_idx = _padding_index(padding_idx, weight.shape[0])

    def backward(grad):
        g = np.zeros(weight.shape, dtype=weight.dtype)
        g[ids] += grad
        if padding_idx is not None:
            g[padding_idx] = 0
        return None, g
    return Tensor(weight.data[ids]), backward
'''),
    Mistake("embedding_padding_gets_gradient", "the padding row is not left out of the gradient", '''
@differentiable(inputs=2)
def embedding(input, weight, padding_idx=None, max_norm=None, norm_type=2.0, scale_grad_by_freq=False,
              sparse=False):
    ids = _check_ids(input, weight.shape[0])

    def backward(grad):
        g = np.zeros(weight.shape, dtype=weight.dtype)
        np.add.at(g, ids, grad)
        return None, g
    return Tensor(weight.data[ids]), backward
'''),
    Mistake("embedding_padding_output_zeroed", "the padding positions' outputs forced to zero", '''
@differentiable(inputs=2)
def embedding(input, weight, padding_idx=None, max_norm=None, norm_type=2.0, scale_grad_by_freq=False,
              sparse=False):
    ids = _check_ids(input, weight.shape[0])
    padding_idx = _padding_index(padding_idx, weight.shape[0])
    value = weight.data[ids]
    if padding_idx is not None:
        value = value * (ids != padding_idx)[..., None]

    def backward(grad):
        g = np.zeros(weight.shape, dtype=weight.dtype)
        np.add.at(g, ids, grad)
        if padding_idx is not None:
            g[padding_idx] = 0
        return None, g
    return Tensor(value), backward
'''),
    Mistake("embedding_init_uniform", "weights from U(-1/sqrt(dim), 1/sqrt(dim)), as Linear", '''
class Embedding:
    def reset_parameters(self):
        bound = 1 / np.sqrt(self.embedding_dim)
        self.weight.data[...] = np.random.default_rng().uniform(-bound, bound, self.weight.shape)
        if self.padding_idx is not None:
            self.weight.data[self.padding_idx] = 0
'''),
    Mistake("embedding_padding_row_not_zeroed", "init forgets to zero the padding row", '''
class Embedding:
    def reset_parameters(self):
        normal_(self.weight, 0.0, 1.0)
'''),
    Mistake("windows_target_not_shifted", "the target is the window itself", '''
def windows(tokens, starts, block_size):
    index = np.asarray(starts)[:, None] + np.arange(block_size)
    return tokens[index], tokens[index]
'''),
    Mistake("windows_one_too_many", "len counts a last window whose target runs past the end", '''
class NextTokenDataset:
    def __len__(self):
        return len(self.tokens) - self.block_size + 1
'''),
    Mistake("windows_one_too_few", "len leaves out the last window", '''
class NextTokenDataset:
    def __len__(self):
        return len(self.tokens) - self.block_size - 1
'''),
    Mistake("windows_transposed", "index built as (block_size, starts)", '''
def windows(tokens, starts, block_size):
    index = np.arange(block_size)[:, None] + np.asarray(starts)
    return tokens[index], tokens[index + 1]
'''),
]

VARIANTS = [
    Variant("char_vocab_from_dict", "dict.fromkeys of the sorted text", '''
class CharTokenizer:
    def train(self, text):
        if not isinstance(text, str):
            raise TypeError(f"train takes a str, got {type(text).__name__}")
        self.chars = list(dict.fromkeys(sorted(text)))
        self.stoi = dict(zip(self.chars, range(len(self.chars))))
        return self
'''),
    Variant("char_encode_map", "encode with map and dict.__getitem__", '''
class CharTokenizer:
    def encode(self, text):
        unknown = set(text) - self.stoi.keys()
        if unknown:
            raise ValueError(f"{sorted(unknown)[0]!r} is not in the vocabulary")
        return list(map(self.stoi.__getitem__, text))
'''),
    Variant("pairs_counter_with_tie_rule", "collections.Counter, ties broken by the smallest pair", '''
def most_frequent_pair(ids):
    from collections import Counter
    counts = Counter(zip(ids[:-1].tolist(), ids[1:].tolist()))
    if not counts:
        return None
    return max(counts, key=lambda pair: (counts[pair], -pair[0], -pair[1]))
'''),
    Variant("pairs_sort_and_runs", "codes sorted, then the longest run of equal codes", '''
def most_frequent_pair(ids):
    if len(ids) < 2:
        return None
    base = int(ids.max()) + 1
    codes = np.sort(ids[:-1] * base + ids[1:])
    starts = np.flatnonzero(np.r_[True, codes[1:] != codes[:-1]])
    runs = np.diff(np.r_[starts, len(codes)])
    best = int(codes[starts[np.argmax(runs)]])
    return best // base, best % base
'''),
    Variant("merge_python_loop", "a left-to-right loop over a list, as the reference implementations do", '''
def merge(ids, pair, new_id):
    out, i = [], 0
    ids = ids.tolist()
    while i < len(ids):
        if i + 1 < len(ids) and ids[i] == pair[0] and ids[i + 1] == pair[1]:
            out.append(new_id)
            i += 2
        else:
            out.append(ids[i])
            i += 1
    return np.array(out, dtype=np.int64)
'''),
    Variant("merge_write_second_drop_first", "the new id written at the pair's second place, the first dropped", '''
def merge(ids, pair, new_id):
    starts = _pair_starts(ids, pair)
    out = ids.copy()
    out[starts + 1] = new_id
    return np.delete(out, starts)
'''),
    Variant("decode_bytearray", "bytes gathered in a bytearray", '''
class BPETokenizer:
    def decode(self, ids):
        buffer = bytearray()
        for i in _id_list(ids, self.vocab_size):
            buffer += self.vocab[i]
        return buffer.decode("utf-8", "replace")
'''),
    Variant("embedding_take_and_flat_add_at", "np.take forward, np.add.at on flattened rows", '''
@differentiable(inputs=2)
def embedding(input, weight, padding_idx=None, max_norm=None, norm_type=2.0, scale_grad_by_freq=False,
              sparse=False):
    ids = _check_ids(input, weight.shape[0])
    padding_idx = _padding_index(padding_idx, weight.shape[0])
    value = np.take(weight.data, ids, axis=0)

    def backward(grad):
        flat_ids = ids.reshape(-1)
        rows = np.reshape(grad, (-1, weight.shape[1]))
        if padding_idx is not None:
            rows = rows * (flat_ids != padding_idx)[:, None]
        g = np.zeros_like(weight.data)
        np.add.at(g, flat_ids, rows)
        return None, g
    return Tensor(value), backward
'''),
    Variant("embedding_one_hot_matmul", "the gradient as one-hot rows times the upstream gradient", '''
@differentiable(inputs=2)
def embedding(input, weight, padding_idx=None, max_norm=None, norm_type=2.0, scale_grad_by_freq=False,
              sparse=False):
    ids = _check_ids(input, weight.shape[0])
    padding_idx = _padding_index(padding_idx, weight.shape[0])

    def backward(grad):
        one_hot = (ids.reshape(-1, 1) == np.arange(weight.shape[0])).astype(weight.dtype)
        if padding_idx is not None:
            one_hot[:, padding_idx] = 0
        return None, one_hot.T @ np.reshape(grad, (-1, weight.shape[1]))
    return Tensor(weight.data[ids]), backward
'''),
    Variant("embedding_init_fill_then_zero", "normal_ then the padding row filled with 0.0", '''
class Embedding:
    def reset_parameters(self):
        normal_(self.weight)
        if self.padding_idx is not None:
            self.weight.data[self.padding_idx, :] = 0.0
'''),
    Variant("windows_sliding_view", "sliding_window_view, then the starts picked", '''
def windows(tokens, starts, block_size):
    view = np.lib.stride_tricks.sliding_window_view(tokens, block_size + 1)[np.asarray(starts, dtype=np.int64)]
    return view[:, :-1].copy(), view[:, 1:].copy()
'''),
]
