"""The tokenizers: exact round trips on any Unicode, BPE merges and encodings against a
plain-Python reference written from the chapter's rules, and clear errors."""
import functools

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from text_reference import (
    ANY_TEXT,
    SAMPLES,
    encode_reference,
    merge_reference,
    pairs_reference,
    train_reference,
)

from tinytorch.core.tensor import Tensor
from tinytorch.core.text import BPETokenizer, CharTokenizer, merge, most_frequent_pair
from tinytorch.datasets import load_text

TEXT = load_text("train")[:8_000]  # the training plays' first speeches: fast enough for every test


# ---- CharTokenizer ---------------------------------------------------------------------------

def test_char_ids_follow_the_sorted_characters():
    tok = CharTokenizer().train("hello, world")
    assert tok.chars == sorted(set("hello, world")) and tok.vocab_size == 9, \
        f"train('hello, world'): chars {tok.chars!r}, expected its 9 characters once each, sorted"
    assert tok.encode(" ,dehlorw") == list(range(9)), "id i must be the i-th character in sorted order"
    assert tok.stoi == {c: i for i, c in enumerate(tok.chars)}, "stoi maps each character to its index in chars"
    assert tok.encode("hello") == [4, 3, 5, 5, 6], "after train('hello, world'): encode('hello')"


@given(st.text(alphabet="abcxyz ,.\n'é日🙂", max_size=60))
def test_char_round_trip_on_its_vocabulary(s):
    tok = CharTokenizer().train("abcxyz ,.\n'é日🙂")
    ids = tok.encode(s)
    assert isinstance(ids, list) and all(type(i) is int for i in ids) and len(ids) == len(s)
    assert tok.decode(ids) == s, f"decode(encode({s!r})) = {tok.decode(ids)!r}"


def test_char_tokenizer_on_the_shipped_text():
    text = load_text()
    tok = CharTokenizer().train(text)
    assert tok.vocab_size == 63 and tok.chars[0] == "\n" and tok.chars[1] == " "
    assert tok.decode(tok.encode(text[:5000])) == text[:5000]
    assert tok.decode(np.array(tok.encode("Macbeth"))) == "Macbeth"
    assert tok.decode(Tensor(np.array(tok.encode("Lear")))) == "Lear"
    assert tok.encode("") == [] and tok.decode([]) == ""


def test_char_tokenizer_errors_name_the_problem():
    tok = CharTokenizer().train("abc")
    with pytest.raises(ValueError, match="'z'"):
        tok.encode("abz")
    with pytest.raises(ValueError, match="3"):
        tok.decode([0, 3])
    with pytest.raises(TypeError):
        tok.decode(np.array([0.0, 1.0]))
    with pytest.raises(TypeError):
        CharTokenizer().train(["a", "b"])


def test_char_training_again_starts_afresh():
    tok = CharTokenizer().train("abc").train("xy")
    assert tok.chars == ["x", "y"] and tok.encode("yx") == [1, 0]


# ---- the two BPE steps -------------------------------------------------------------------

small_ids = st.lists(st.integers(0, 5), min_size=0, max_size=40)


@given(small_ids)
def test_most_frequent_pair_against_a_counter(ids):
    got = most_frequent_pair(np.array(ids, dtype=np.int64))
    want = pairs_reference(ids)
    assert got == want, f"most_frequent_pair({ids}) = {got}, expected {want} (ties go to the smallest pair)"
    if got is not None:
        assert all(type(v) is int for v in got), f"most_frequent_pair returned {got!r}: two ints expected"


def test_most_frequent_pair_counts_overlaps_and_breaks_ties_by_the_smallest_pair():
    assert most_frequent_pair(np.array([7, 7, 7, 1, 2])) == (7, 7), \
        "most_frequent_pair([7, 7, 7, 1, 2]): (7, 7) is counted twice (overlapping), every other pair once"
    assert most_frequent_pair(np.array([9, 8, 3, 4])) == (3, 4), \
        "most_frequent_pair([9, 8, 3, 4]): three pairs once each, the tie goes to the smallest pair, (3, 4)"
    assert most_frequent_pair(np.array([5])) is None and most_frequent_pair(np.array([], np.int64)) is None, \
        "most_frequent_pair of [5] or of []: no pair at all, None"


def test_most_frequent_pair_of_large_ids_keeps_pairs_apart():
    # 1 * 256 + 300 == 2 * 256 + 44: a code with a fixed base of 256 mixes these pairs up
    ids = np.array([5, 6, 5, 6, 5, 6, 1, 300, 1, 300, 2, 44, 2, 44], dtype=np.int64)
    assert most_frequent_pair(ids) == (5, 6), "(1, 300) and (2, 44) twice each are not one pair four times"
    assert most_frequent_pair(np.array([700, 701, 700, 701, 5])) == (700, 701), \
        "most_frequent_pair([700, 701, 700, 701, 5]): ids above 255 too"


@given(small_ids, st.integers(0, 5), st.integers(0, 5))
def test_merge_against_a_left_to_right_loop(ids, a, b):
    array = np.array(ids, dtype=np.int64)
    before = array.copy()
    got = merge(array, (a, b), 300)
    want = merge_reference(ids, (a, b), 300)
    assert isinstance(got, np.ndarray) and got.tolist() == want, \
        f"merge({ids}, {(a, b)}, 300) = {got.tolist()}, expected {want}"
    assert np.array_equal(array, before), "merge changed its input"


def test_merge_of_a_run_of_the_same_id():
    for ids, pair, want in (([7, 7, 7, 7, 7], (7, 7), [256, 256, 7]), ([1, 2, 1, 2, 1], (1, 2), [256, 256, 1]),
                            ([3, 4], (4, 3), [3, 4])):
        got = merge(np.array(ids), pair, 256).tolist()
        assert got == want, f"merge({ids}, {pair}, 256) = {got}, expected {want} (left to right, never overlapping)"


# ---- BPETokenizer ------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def trained():
    """(our tokenizer, the reference's merges, vocab and final ids) on the same text, 330 ids."""
    return BPETokenizer().train(TEXT, vocab_size=330), train_reference(TEXT, 330)


def test_bpe_learns_the_reference_merges_in_order(trained):
    tok, (merges, vocab, _) = trained
    assert tok.vocab_size == 330 and len(tok.merges) == 74
    assert list(tok.merges.items()) == merges, "the merges differ from the reference (in value or in order)"
    assert all(tok.vocab[i] == vocab[i] for i in range(330)), "vocab[new id] must be the bytes of its two parts"
    assert all(type(a) is int and type(b) is int and type(i) is int for (a, b), i in tok.merges.items())


def test_bpe_encodes_as_the_reference(trained):
    tok, (merges, _, final) = trained
    assert tok.encode(TEXT) == final, "encoding the training text must give the sequence training ended with"
    other = load_text("val")[:3000]
    assert tok.encode(other) == encode_reference(merges, other), "merges must be applied in the order learned"
    assert len(tok.encode(other)) < 0.72 * len(other)


@pytest.mark.parametrize("name", SAMPLES)
def test_bpe_round_trips_every_script(trained, name):
    tok = trained[0]
    s = SAMPLES[name]
    ids = tok.encode(s)
    assert isinstance(ids, list) and all(type(i) is int and 0 <= i < tok.vocab_size for i in ids)
    assert tok.decode(ids) == s, f"{name}: decode(encode({s!r})) = {tok.decode(ids)!r}"


@functools.cache
def mixed_tokenizer():
    return BPETokenizer().train("héllo wörld 日本 🙂🙂 " * 3 + TEXT[:2000], vocab_size=300)


@given(ANY_TEXT)
def test_bpe_round_trips_any_string(s):
    tok = mixed_tokenizer()
    assert tok.decode(tok.encode(s)) == s, f"decode(encode({s!r})) = {tok.decode(tok.encode(s))!r}"


def test_bpe_with_tokens_inside_characters():
    """Tokens learned from accented and CJK text hold parts of characters: decode joins first."""
    tok = BPETokenizer().train("ééé 日日日 🙂🙂", vocab_size=262)
    assert any(not _is_text(tok.vocab[i]) for i in range(256, tok.vocab_size)), "no token holds part of a character"
    for s in ["é", "日本", "🙂x🙂", "é日🙂"]:
        assert tok.decode(tok.encode(s)) == s
    assert BPETokenizer().decode(list("é".encode())) == "é", "bytes of one character, split over two ids"


def _is_text(token):
    try:
        token.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def test_bpe_decode_replaces_a_broken_character():
    tok = BPETokenizer()
    assert tok.decode([0xC3]) == "\ufffd", "a lone first byte of 'é' is U+FFFD (errors='replace')"
    assert tok.decode([0x61, 0xE6, 0x97, 0x62]) == "a\ufffdb", "two bytes of a three-byte character"
    assert tok.decode([0xF0, 0x9F, 0x99, 0x82]) == "🙂"


def test_bpe_without_merges_is_bytes():
    tok = BPETokenizer()
    assert tok.vocab_size == 256 and tok.encode("aé") == [97, 0xC3, 0xA9] and tok.decode([97]) == "a"


def test_bpe_stops_when_the_text_runs_out_of_pairs():
    tok = BPETokenizer().train("abab", vocab_size=1000)
    assert tok.vocab_size == 258 and tok.encode("abab") == [257]
    assert BPETokenizer().train("", vocab_size=300).vocab_size == 256


def test_bpe_training_again_starts_afresh(trained):
    tok = BPETokenizer().train(TEXT, 300).train("xyxyxy", 257)
    assert tok.vocab_size == 257 and list(tok.merges) == [(120, 121)] and 300 not in tok.vocab


def test_bpe_errors():
    tok = BPETokenizer().train("abab", vocab_size=257)
    assert tok.decode(tok.encode("ba")) == "ba", "what is in range works"
    with pytest.raises(ValueError, match="256"):
        BPETokenizer().train("abc", vocab_size=100)
    with pytest.raises(ValueError, match="256"):
        BPETokenizer().decode([256])
    with pytest.raises(TypeError):
        BPETokenizer().encode(b"bytes")
