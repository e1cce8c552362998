"""Module 07 data: TensorDataset, default_collate, DataLoader, random_split.

References: plain Python (range, sorted, math.ceil) for orders and counts, and PyTorch's
torch.utils.data for batch sizes and split lengths.
"""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import tinytorch
from tinytorch.core.data import DataLoader, Dataset, TensorDataset, default_collate, random_split
from tinytorch.core.tensor import Tensor


def numbered(n, features=2):
    """n examples: x = [i, i + 0.5, ...] (float32), y = i % 3 (int64)."""
    X = np.arange(n, dtype=np.float32)[:, None] + 0.5 * np.arange(features, dtype=np.float32)
    return TensorDataset(Tensor(X), Tensor(np.arange(n) % 3))


class ListDataset(Dataset):
    """A dataset without __getitems__: the loader must fetch one example at a time."""

    def __init__(self, n):
        self.n = n

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        return np.array([i, -i], dtype=np.float32), i


def epoch(loader):
    """The example indices of one epoch, batch by batch (x[:, 0] is the index)."""
    return [np.asarray(xb)[:, 0].astype(int).tolist() for xb, *_ in loader]


# ---- TensorDataset ------------------------------------------------------------------------

def test_tensor_dataset_gives_rows_of_every_tensor():
    ds = numbered(7, features=3)
    assert len(ds) == 7
    x, y = ds[4]
    assert isinstance(x, Tensor) and isinstance(y, Tensor)
    assert x.data.tolist() == [4.0, 4.5, 5.0] and x.dtype == np.float32
    assert y.item() == 1 and y.dtype == np.int64
    assert len(ds.tensors) == 2


def test_tensor_dataset_accepts_arrays_and_one_tensor():
    ds = TensorDataset(np.arange(5.0))
    assert len(ds) == 5 and len(ds[2]) == 1 and ds[2][0].item() == 2.0


@pytest.mark.parametrize("tensors", [(np.zeros((5, 2)), np.zeros(4)), (np.zeros(3), np.zeros(3), np.zeros(2))])
def test_tensor_dataset_refuses_different_lengths(tensors):
    with pytest.raises(ValueError, match=r"(?i)size|length"):
        TensorDataset(*[Tensor(t) for t in tensors])


def test_tensor_dataset_refuses_nothing_and_scalars():
    with pytest.raises(ValueError):
        TensorDataset()
    with pytest.raises(ValueError):
        TensorDataset(Tensor(3.0))


# ---- default_collate ----------------------------------------------------------------------

def test_collate_stacks_each_field_and_keeps_dtypes():
    ds = numbered(5)
    xb, yb = default_collate([ds[3], ds[0], ds[4]])
    assert isinstance(xb, Tensor) and isinstance(yb, Tensor)
    assert xb.shape == (3, 2) and xb.dtype == np.float32
    assert xb.data[:, 0].tolist() == [3.0, 0.0, 4.0]
    assert yb.shape == (3,) and yb.dtype == np.int64 and yb.data.tolist() == [0, 0, 1]


def test_collate_python_numbers_as_pytorch():
    assert default_collate([1, 2, 3]).dtype == np.int64
    assert default_collate([0.5, 2.0]).dtype == np.float64
    assert default_collate([0.5, 2.0]).data.tolist() == [0.5, 2.0]
    assert default_collate([True, False]).dtype == np.bool_, "Python bools stay bool, as PyTorch (True is an int too)"


def test_collate_arrays_and_nested_examples():
    samples = [(np.full((2, 2), i, dtype=np.float64), i) for i in range(4)]
    xb, yb = default_collate(samples)
    assert xb.shape == (4, 2, 2) and xb.dtype == np.float64 and xb.data[3, 1, 1] == 3.0
    assert yb.dtype == np.int64 and yb.data.tolist() == [0, 1, 2, 3]
    single = default_collate([np.array([1, 2], dtype=np.int32), np.array([3, 4], dtype=np.int32)])
    assert single.dtype == np.int32 and single.shape == (2, 2)


# ---- DataLoader: batches and length -------------------------------------------------------

@given(n=st.integers(1, 60), batch_size=st.integers(1, 70), drop_last=st.booleans(), shuffle=st.booleans())
def test_batches_cover_the_data_and_len_counts_them(n, batch_size, drop_last, shuffle):
    loader = DataLoader(numbered(n), batch_size=batch_size, shuffle=shuffle, drop_last=drop_last,
                        generator=np.random.default_rng(n))
    batches = epoch(loader)
    sizes = [len(b) for b in batches]
    full, rest = divmod(n, batch_size)
    expected = [batch_size] * full + ([rest] if rest and not drop_last else [])
    assert sizes == expected, f"n={n}, batch_size={batch_size}, drop_last={drop_last}: batch sizes {sizes}"
    assert len(loader) == len(expected), f"len(loader) = {len(loader)}, but one epoch has {len(expected)} batches"
    seen = [i for b in batches for i in b]
    assert len(set(seen)) == len(seen), "an example appears twice in one epoch"
    if not drop_last:
        assert sorted(seen) == list(range(n)), "every example once per epoch"


def test_without_shuffle_the_order_is_the_datasets():
    loader = DataLoader(numbered(10), batch_size=3)
    assert epoch(loader) == [[0, 1, 2], [3, 4, 5], [6, 7, 8], [9]]
    assert epoch(loader) == [[0, 1, 2], [3, 4, 5], [6, 7, 8], [9]], "the second epoch is the same"


def test_the_short_last_batch_is_kept_unless_drop_last():
    assert [len(b) for b in epoch(DataLoader(numbered(10), batch_size=4))] == [4, 4, 2]
    assert [len(b) for b in epoch(DataLoader(numbered(10), batch_size=4, drop_last=True))] == [4, 4]
    assert len(DataLoader(numbered(10), batch_size=4)) == 3
    assert len(DataLoader(numbered(10), batch_size=4, drop_last=True)) == 2
    assert len(DataLoader(numbered(8), batch_size=4, drop_last=True)) == 2


def test_default_batch_size_is_one():
    loader = DataLoader(numbered(3))
    assert [len(b) for b in epoch(loader)] == [1, 1, 1] and len(loader) == 3


def test_labels_stay_int64_and_features_keep_their_dtype():
    for dtype in (np.float32, np.float64):
        ds = TensorDataset(Tensor(np.zeros((9, 4), dtype=dtype)), Tensor(np.arange(9)))
        for xb, yb in DataLoader(ds, batch_size=4, shuffle=True, generator=np.random.default_rng(0)):
            assert xb.dtype == dtype and yb.dtype == np.int64, (xb.dtype, yb.dtype)
            assert xb.shape[1:] == (4,) and yb.ndim == 1


def test_a_dataset_without_getitems_is_collated():
    loader = DataLoader(ListDataset(7), batch_size=3)
    batches = list(loader)
    assert len(batches) == 3
    xb, yb = batches[1]
    assert xb.shape == (3, 2) and xb.dtype == np.float32 and yb.dtype == np.int64
    assert yb.data.tolist() == [3, 4, 5] and xb.data[:, 1].tolist() == [-3.0, -4.0, -5.0]


# ---- DataLoader: shuffling ----------------------------------------------------------------

def test_every_shuffled_epoch_is_a_new_permutation():
    loader = DataLoader(numbered(50), batch_size=50, shuffle=True, generator=np.random.default_rng(3))
    orders = [epoch(loader)[0] for _ in range(5)]
    for order in orders:
        assert sorted(order) == list(range(50)), "an epoch must visit every example exactly once"
    assert len({tuple(o) for o in orders}) == 5, "each epoch needs a new order (shuffle drew once only?)"
    assert orders[0] != list(range(50)), "shuffle=True left the data in order"


def test_shuffle_mixes_across_batches():
    loader = DataLoader(numbered(40), batch_size=8, shuffle=True, generator=np.random.default_rng(5))
    batches = epoch(loader)
    assert any(sorted(b) != list(range(b[0] // 8 * 8, b[0] // 8 * 8 + 8)) for b in batches), \
        "only the batches were shuffled, not the examples"
    assert sorted(i for b in batches for i in b) == list(range(40))


def test_a_seeded_run_repeats_exactly():
    def run(seed):
        loader = DataLoader(numbered(23), batch_size=5, shuffle=True, generator=np.random.default_rng(seed))
        return [epoch(loader) for _ in range(3)]

    assert run(7) == run(7), "the same generator seed must give the same batches, epoch after epoch"
    assert run(7) != run(8), "a different seed should give a different order"


def test_the_generator_is_the_only_source_of_randomness():
    tinytorch.manual_seed(1)
    np.random.seed(1)
    first = epoch(DataLoader(numbered(30), batch_size=30, shuffle=True, generator=np.random.default_rng(0)))
    tinytorch.manual_seed(2)
    np.random.seed(2)
    second = epoch(DataLoader(numbered(30), batch_size=30, shuffle=True, generator=np.random.default_rng(0)))
    assert first == second, "with a generator, NumPy's global state must not matter"


def test_without_a_generator_tinytorch_manual_seed_decides():
    def run(seed):
        tinytorch.manual_seed(seed)
        loader = DataLoader(numbered(30), batch_size=30, shuffle=True)
        return [epoch(loader)[0] for _ in range(2)]

    first, again, other = run(4), run(4), run(5)
    assert first == again, "tinytorch.manual_seed must make an unseeded loader repeat"
    assert first[0] != first[1] and first != other
    assert all(sorted(o) == list(range(30)) for o in first)


def test_bad_arguments_are_refused():
    with pytest.raises(ValueError):
        DataLoader(numbered(3), batch_size=0)
    with pytest.raises(TypeError):
        DataLoader(numbered(3), shuffle=True, generator=42)
    assert len(DataLoader(numbered(3), batch_size=2)) == 2


# ---- random_split -------------------------------------------------------------------------

@given(n=st.integers(0, 80), cuts=st.lists(st.integers(0, 80), min_size=0, max_size=3))
def test_split_pieces_are_disjoint_and_cover_the_data(n, cuts):
    edges = sorted(min(c, n) for c in cuts)
    lengths = [b - a for a, b in zip([0, *edges], [*edges, n])]
    pieces = random_split(numbered(n), lengths, generator=np.random.default_rng(n))
    assert [len(p) for p in pieces] == lengths
    indices = [i for p in pieces for i in p.indices]
    assert sorted(indices) == list(range(n)), "the pieces must hold every example exactly once"
    for piece in pieces:
        for k in range(len(piece)):
            x, _ = piece[k]
            assert int(x.data[0]) == piece.indices[k]


def test_split_is_random_and_seeded():
    def split(seed):
        return [p.indices for p in random_split(numbered(40), [30, 10], generator=np.random.default_rng(seed))]

    assert split(0) == split(0)
    assert split(0) != split(1)
    assert split(0)[0] != list(range(30)), "random_split must shuffle before cutting"


def test_fractions_give_the_rest_to_the_first_pieces():
    assert [len(p) for p in random_split(numbered(5), [0.5, 0.5], generator=np.random.default_rng(0))] == [3, 2]
    assert [len(p) for p in random_split(numbered(10), [0.25, 0.25, 0.5])] == [3, 2, 5]
    assert [len(p) for p in random_split(numbered(8), [0.8, 0.2])] == [7, 1]


@pytest.mark.parametrize("lengths", [[3, 3], [5, 6], [0.5, 0.4], [-1, 11]])
def test_split_refuses_lengths_that_do_not_add_up(lengths):
    with pytest.raises(ValueError):
        random_split(numbered(10), lengths, generator=np.random.default_rng(0))


def test_split_feeds_a_loader():
    train, test = random_split(numbered(20), [0.75, 0.25], generator=np.random.default_rng(2))
    batches = epoch(DataLoader(train, batch_size=4, shuffle=True, generator=np.random.default_rng(0)))
    assert sorted(i for b in batches for i in b) == sorted(train.indices)
    assert not set(train.indices) & set(test.indices)
    assert len(DataLoader(test, batch_size=4)) == 2


# ---- PyTorch, side by side (last: the other tests need no torch import) ----------------

def test_batch_sizes_and_length_match_pytorch(torch):
    for n, batch_size, drop_last in [(10, 3, False), (10, 3, True), (12, 4, True), (5, 8, False), (5, 8, True)]:
        ours = DataLoader(numbered(n), batch_size=batch_size, drop_last=drop_last)
        theirs = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(torch.arange(n)),
                                             batch_size=batch_size, drop_last=drop_last)
        assert len(ours) == len(theirs), (n, batch_size, drop_last)
        assert epoch(ours) == [b[0].tolist() for b in theirs], (n, batch_size, drop_last)
        assert torch.utils.data.default_collate([1, 2]).dtype == torch.int64 and \
            default_collate([1, 2]).dtype == np.int64


@pytest.mark.parametrize("n, fractions", [(5, [0.5, 0.5]), (10, [0.8, 0.2]), (7, [0.3, 0.3, 0.4]),
                                          (1797, [0.7, 0.15, 0.15]), (3, [0.1, 0.9])])
def test_fractions_round_as_pytorch(torch, n, fractions):
    ours = [len(p) for p in random_split(numbered(n), fractions, generator=np.random.default_rng(0))]
    theirs = [len(p) for p in torch.utils.data.random_split(range(n), fractions)]
    assert ours == theirs, f"random_split of {n} by {fractions}: {ours}, PyTorch {theirs}"
