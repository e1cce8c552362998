"""Next-token windows: every window and its target one token on, batched by DataLoader."""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tinytorch.core.data import DataLoader
from tinytorch.core.tensor import Tensor
from tinytorch.core.text import NextTokenDataset, windows


@given(st.integers(2, 30), st.integers(1, 8), st.data())
def test_windows_against_slices(n, block, data):
    tokens = np.arange(100, 100 + n + block)
    starts = np.array(data.draw(st.lists(st.integers(0, n - 1), max_size=6)), dtype=np.int64)
    x, y = windows(tokens, starts, block)
    assert x.shape == y.shape == (len(starts), block), f"shapes {x.shape} and {y.shape}"
    for k, i in enumerate(starts):
        assert x[k].tolist() == tokens[i:i + block].tolist(), f"window at {i}"
        assert y[k].tolist() == tokens[i + 1:i + block + 1].tolist(), f"target of the window at {i}: one token on"


def test_dataset_has_every_window_with_a_full_target():
    tokens = [5, 6, 7, 8, 9, 10]
    data = NextTokenDataset(tokens, block_size=4)
    assert len(data) == 2
    x, y = data[0]
    assert isinstance(x, Tensor) and x.dtype == np.int64 and x.data.tolist() == [5, 6, 7, 8]
    assert y.data.tolist() == [6, 7, 8, 9]
    last_x, last_y = data[len(data) - 1]
    assert last_x.data.tolist() == [6, 7, 8, 9] and last_y.data.tolist() == [7, 8, 9, 10]
    assert data[-1][1].data.tolist() == [7, 8, 9, 10]
    with pytest.raises(IndexError):
        data[2]
    assert len(NextTokenDataset(np.arange(11), 10)) == 1


def test_a_data_loader_batches_it():
    tokens = np.arange(1000) % 37
    data = NextTokenDataset(Tensor(tokens), block_size=16)
    batches = list(DataLoader(data, batch_size=64, shuffle=True, generator=np.random.default_rng(0)))
    assert len(batches) == int(np.ceil(984 / 64))
    xb, yb = batches[0]
    assert xb.shape == yb.shape == (64, 16) and xb.dtype == np.int64 and yb.dtype == np.int64
    assert np.array_equal(xb.data[:, 1:], yb.data[:, :-1]) and np.array_equal((xb.data + 1) % 37, yb.data)
    starts = np.concatenate([b[0].data[:, 0] for b in batches])
    assert len(starts) == 984
    one_by_one = [data[int(i)] for i in range(3)]
    together = data.__getitems__([0, 1, 2])
    assert np.array_equal(np.stack([x.data for x, _ in one_by_one]), together[0].data)


def test_bad_input_is_refused_clearly():
    assert len(NextTokenDataset([1, 2, 3], block_size=2)) == 1, "the smallest dataset: one window"
    with pytest.raises(ValueError, match="block_size"):
        NextTokenDataset([1, 2, 3], block_size=0)
    with pytest.raises(ValueError, match="at least 4"):
        NextTokenDataset([1, 2, 3], block_size=3)
    with pytest.raises(TypeError, match="integer"):
        NextTokenDataset(np.array([0.5, 1.5, 2.5]), block_size=1)
