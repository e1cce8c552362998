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
# # Module 07: Data
#
# A network learns from examples, a few at a time. Feeding it is its own small craft:
#
# - the examples live in a **dataset**: something with a length that hands out
#   example number `i` as `(x, y)`;
# - a **data loader** cuts the dataset into **mini-batches** of `batch_size` examples,
#   stacked into tensors, in a fresh random order every **epoch** (one pass over the data);
# - a **split** keeps some examples aside, so that accuracy is measured on data the
#   network never trained on.
#
# ```python
# from tinytorch.utils.data import TensorDataset, DataLoader, random_split
# data = TensorDataset(Tensor(X), Tensor(y))
# train, test = random_split(data, [0.8, 0.2], generator=np.random.default_rng(0))
# for xb, yb in DataLoader(train, batch_size=32, shuffle=True):
#     ...   # xb: (32, 64) float32, yb: (32,) int64
# ```
#
# The names and behaviour are PyTorch's `torch.utils.data`. One difference: a
# `generator` is a NumPy `np.random.Generator` (PyTorch takes a `torch.Generator`).
#
# ## How to work through this file
#
# Each step explains an idea and asks for a few lines. Replace each
# `raise NotImplementedError(...)`, run the check cell under it, then:
#
# ```bash
# tito test data     # the full tests
# tito sync          # put your code into tinytorch/core/data.py
# ```

# %%
#| default_exp core.data

# %%
#| export
import math

import numpy as np

import tinytorch
from tinytorch.core.tensor import Tensor

# %% [markdown]
# ## Why mini-batches, and why shuffle
#
# Gradient descent on the whole data set computes one exact gradient per pass: slow
# when there are many examples. One example at a time is fast but noisy, and NumPy is
# slow on tiny arrays. A **mini-batch** of 32-256 examples is the middle way: a good
# estimate of the gradient, computed with a few large matrix products.
#
# The order matters. Data often comes sorted (all the 0s, then all the 1s, ...). A
# network trained on it in that order forgets the 0s while it learns the 1s. So every
# epoch visits the examples in a **new random permutation**: each example exactly once
# per epoch, in a different order each time. And a run should **repeat exactly** when
# started from the same seed, so that an experiment can be checked.
#
# The cell below shows why: the digits sorted by label, cut into batches of 64. Each
# batch holds one or two digits only; after shuffling, every batch holds most of them.
# %%
from tinytorch.datasets import load_digits

digits_X, digits_y = load_digits()
order = np.argsort(digits_y, kind="stable")
sorted_batches = [np.unique(digits_y[order][i:i + 64]).size for i in range(0, len(order), 64)]
shuffled = np.random.default_rng(0).permutation(len(digits_y))
shuffled_batches = [np.unique(digits_y[shuffled][i:i + 64]).size for i in range(0, len(order), 64)]
print(f"distinct digits per batch of 64, sorted data:   {sorted_batches[:10]} ...")
print(f"distinct digits per batch of 64, shuffled data: {shuffled_batches[:10]} ...")

# %% [markdown]
# ## Step 1: datasets
#
# A `Dataset` is anything with `__len__` and `__getitem__(i)`. The base class below only
# states that contract. `TensorDataset(*tensors)` is the one you use most: it wraps
# tensors that share their first axis (features and labels) and gives back row `i` of
# each, as a tuple.
#
# `Subset(dataset, indices)` is a view of some examples of another dataset: its item `i`
# is `dataset[indices[i]]`. `random_split` (step 4) returns subsets.
#
# Fetching a batch one example at a time costs a Python call per example. So both
# classes also answer `__getitems__(indices)` with the whole batch at once, one NumPy
# indexing per tensor (PyTorch's DataLoader looks for the same method). That part is
# given; the data loader uses it when it is there.

# %%
#| export
class Dataset:
    """A collection of examples: `len(ds)` of them, example `i` is `ds[i]`.

    Subclass it and define `__len__` and `__getitem__`.
    """

    def __getitem__(self, index):
        raise NotImplementedError(f"{type(self).__name__} must define __getitem__")

    def __len__(self):
        raise NotImplementedError(f"{type(self).__name__} must define __len__")


def _as_tensor(value):
    return value if isinstance(value, Tensor) else Tensor(value)


class TensorDataset(Dataset):
    """Examples that are rows of tensors: `ds[i] == (t[i] for t in tensors)`.

    TensorDataset(*tensors): every tensor has the same size along axis 0.

    >>> ds = TensorDataset(Tensor(np.zeros((5, 3))), Tensor(np.arange(5)))
    >>> len(ds), ds[2][0].shape, ds[2][1].item()
    (5, (3,), 2)
    """

    def __init__(self, *tensors):
        # TODO: keep the tensors in self.tensors (a tuple), after checking them.
        # APPROACH:
        #   1. No tensors at all: ValueError. Otherwise turn each into a Tensor (_as_tensor).
        #   2. Every tensor must have the same first size as the first one; a mismatch is a
        #      ValueError naming both sizes (PyTorch: "Size mismatch between tensors").
        # HINTS: a 0-d tensor has no first axis: it cannot hold examples either.
        ### BEGIN SOLUTION
        if not tensors:
            raise ValueError("TensorDataset needs at least one tensor")
        tensors = tuple(_as_tensor(t) for t in tensors)
        if any(t.ndim == 0 for t in tensors):
            raise ValueError("TensorDataset: a 0-d tensor has no examples (axis 0)")
        sizes = [t.shape[0] for t in tensors]
        if any(n != sizes[0] for n in sizes):
            raise ValueError(f"TensorDataset: size mismatch between tensors: first sizes {sizes}")
        self.tensors = tensors
        ### END SOLUTION

    def __getitem__(self, index):
        # TODO: the tuple of row `index` of every tensor.
        ### BEGIN SOLUTION
        return tuple(t[index] for t in self.tensors)
        ### END SOLUTION

    def __len__(self):
        # TODO: the number of examples.
        ### BEGIN SOLUTION
        return self.tensors[0].shape[0]
        ### END SOLUTION

    def __getitems__(self, indices):
        """A whole batch at once: one tensor per field, rows `indices`."""
        return tuple(Tensor(t.data[indices]) for t in self.tensors)


class Subset(Dataset):
    """The examples `indices` of `dataset`, in that order: `sub[i] == dataset[indices[i]]`."""

    def __init__(self, dataset, indices):
        self.dataset = dataset
        self.indices = [int(i) for i in indices]

    def __getitem__(self, index):
        return self.dataset[self.indices[index]]

    def __len__(self):
        return len(self.indices)

    def __getitems__(self, indices):
        chosen = np.asarray(self.indices, dtype=np.int64)[np.asarray(indices, dtype=np.int64)]
        if hasattr(self.dataset, "__getitems__"):
            return self.dataset.__getitems__(chosen)
        return default_collate([self.dataset[int(i)] for i in chosen])


# %% [markdown]
# ### Check step 1

# %%
X_demo = Tensor(np.arange(12, dtype=np.float32).reshape(6, 2))
y_demo = Tensor(np.array([0, 1, 0, 1, 1, 0]))
demo = TensorDataset(X_demo, y_demo)
x3, y3 = demo[3]
assert len(demo) == 6 and x3.data.tolist() == [6.0, 7.0] and y3.item() == 1
try:
    TensorDataset(X_demo, Tensor(np.zeros(5)))
    raise AssertionError("sizes 6 and 5 must be refused")
except ValueError as error:
    print("refused as it should be:", error)
print("Step 1 passed: TensorDataset")

# %% [markdown]
# ## Step 2: stacking examples into a batch
#
# A batch of `(x, y)` examples becomes `(X, Y)`: the `x`s stacked along a new first
# axis, and the `y`s too. `default_collate(samples)` does it for any structure: a
# tuple of fields is collated field by field; tensors and NumPy arrays are stacked;
# Python numbers become a 1-d tensor.
#
# The dtypes stay what they were. **Labels stay int64**: the classification loss needs
# integer class indices, and a label silently turned into float32 is a bug that shows
# up two modules later. Python ints become int64 and Python floats float64 (PyTorch's
# `default_collate` does the same).

# %%
#| export
def default_collate(samples: list):
    """Stack a list of examples into a batch, field by field.

    samples: a list of examples, each a Tensor, an array, a number, or a tuple/list of them.
    Returns one Tensor of shape (len(samples), *example_shape) per field (a tuple when the
    examples are tuples), keeping each field's dtype; Python ints give int64, floats float64.
    """
    first = samples[0]
    # TODO: collate a tuple or list field by field; otherwise stack into one Tensor.
    # APPROACH:
    #   1. `first` is a tuple or list: return a tuple whose field j is the collation of
    #      [s[j] for s in samples] (call default_collate on it).
    #   2. Otherwise stack the examples' arrays along a new axis 0 and wrap it in a Tensor.
    #      Python floats: build the array as float64 explicitly.
    # HINTS: np.asarray(t) reads a Tensor. np.stack keeps the dtype; np.array of Python ints
    #        is int64 on Linux and macOS, not on every platform: say int64.
    ### BEGIN SOLUTION
    if isinstance(first, (tuple, list)):
        return tuple(default_collate([s[j] for s in samples]) for j in range(len(first)))
    if isinstance(first, bool):
        return Tensor(np.array(samples, dtype=np.bool_))
    if isinstance(first, int):
        return Tensor(np.array(samples, dtype=np.int64))
    if isinstance(first, float):
        return Tensor(np.array(samples, dtype=np.float64))
    return Tensor(np.stack([np.asarray(s) for s in samples]))
    ### END SOLUTION


# %% [markdown]
# ### Check step 2

# %%
xb, yb = default_collate([demo[0], demo[3], demo[4]])
assert xb.shape == (3, 2) and xb.dtype == np.float32
assert yb.data.tolist() == [0, 1, 1] and yb.dtype == np.int64
assert default_collate([1, 2]).dtype == np.int64 and default_collate([0.5, 1.5]).dtype == np.float64
print("Step 2 passed: default_collate")

# %% [markdown]
# ## Step 3: the data loader
#
# `DataLoader(dataset, batch_size=1, shuffle=False, drop_last=False, generator=None)`
# is an iterable: every `for` over it is one epoch.
#
# 1. **The order of one epoch.** Without `shuffle`: 0, 1, ..., n-1. With `shuffle`: a
#    random permutation, drawn **anew at the start of every epoch**, from `generator`
#    (a `np.random.Generator`, so that a seeded run repeats exactly) or, without one,
#    from `tinytorch.default_generator`, the generator `tinytorch.manual_seed(n)` seeds.
# 2. **The batches.** Consecutive runs of `batch_size` indices of that order. The last
#    batch is smaller when `batch_size` does not divide `n`; it is **kept**, unless
#    `drop_last=True`. Dropping it silently would lose up to `batch_size - 1` examples
#    every epoch, and the same ones when `shuffle` is off.
# 3. **The length.** `len(loader)` is the number of batches of one epoch:
#    `ceil(n / batch_size)`, or `floor(n / batch_size)` with `drop_last`.
#
# Fetching a batch is given (`_fetch`): the dataset's `__getitems__` when it has one,
# otherwise one `dataset[i]` per index and `default_collate`.

# %%
#| export
class DataLoader:
    """Mini-batches of a dataset, one epoch per iteration.

    DataLoader(dataset, batch_size=1, shuffle=False, drop_last=False, generator=None,
               collate_fn=None, num_workers=0, pin_memory=False)

    dataset: a Dataset (anything with __len__ and __getitem__).
    batch_size: examples per batch; the last batch of an epoch may be smaller.
    shuffle: visit the examples in a new random permutation every epoch.
    drop_last: leave out the last batch of an epoch when it is smaller than batch_size.
    generator: a tinytorch.Generator (or any np.random.Generator) to draw the permutations
        from (a seeded run repeats exactly); None draws from tinytorch.default_generator
        (tinytorch.manual_seed).
    collate_fn: makes a batch from a list of examples (default_collate when None).
    num_workers, pin_memory: accepted for PyTorch's sake; TinyTorch loads every batch in
        the main process, on the CPU.

    >>> loader = DataLoader(TensorDataset(Tensor(np.arange(10))), batch_size=4)
    >>> [b[0].data.tolist() for b in loader]
    [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]
    """

    def __init__(self, dataset, batch_size=1, shuffle=False, drop_last=False, generator=None, *, collate_fn=None,
                 num_workers=0, pin_memory=False, timeout=0, worker_init_fn=None, persistent_workers=False):
        if not isinstance(batch_size, (int, np.integer)) or isinstance(batch_size, bool) or batch_size < 1:
            raise ValueError(f"batch_size should be a positive integer, got {batch_size!r}")
        if generator is not None and not isinstance(generator, np.random.Generator):
            raise TypeError(f"generator must be a np.random.Generator (np.random.default_rng(seed)), "
                            f"not {type(generator).__name__}")
        self.dataset = dataset
        self.batch_size = int(batch_size)
        self.shuffle = bool(shuffle)
        self.drop_last = bool(drop_last)
        self.generator = generator
        self.collate_fn, self.num_workers = collate_fn, num_workers

    def _order(self):
        """The indices of one epoch, in the order they are visited (a fresh draw each call)."""
        n = len(self.dataset)
        # TODO: 0..n-1 in order, or (shuffle) a new random permutation of them.
        # HINTS: draw from self.generator when there is one, else from
        #        tinytorch.default_generator. Draw here, at every call, never once in __init__.
        ### BEGIN SOLUTION
        if not self.shuffle:
            return np.arange(n)
        if self.generator is not None:
            return self.generator.permutation(n)
        return tinytorch.default_generator.permutation(n)
        ### END SOLUTION

    def _batches(self, order):
        """The list of index arrays of one epoch, cut from `order`."""
        # TODO: consecutive slices of batch_size indices; drop a short last one only
        #       when self.drop_last.
        ### BEGIN SOLUTION
        batches = [order[i:i + self.batch_size] for i in range(0, len(order), self.batch_size)]
        if self.drop_last and batches and len(batches[-1]) < self.batch_size:
            batches.pop()
        return batches
        ### END SOLUTION

    def __len__(self):
        # TODO: the number of batches in one epoch.
        ### BEGIN SOLUTION
        n = len(self.dataset)
        return n // self.batch_size if self.drop_last else math.ceil(n / self.batch_size)
        ### END SOLUTION

    def _fetch(self, indices):
        if self.collate_fn is not None:
            return self.collate_fn([self.dataset[int(i)] for i in indices])
        if hasattr(self.dataset, "__getitems__"):
            return self.dataset.__getitems__(indices)
        return default_collate([self.dataset[int(i)] for i in indices])

    def __iter__(self):
        for indices in self._batches(self._order()):
            yield self._fetch(indices)

    def __repr__(self):
        return (f"DataLoader(dataset of {len(self.dataset)}, batch_size={self.batch_size}, "
                f"shuffle={self.shuffle}, drop_last={self.drop_last})")


# %% [markdown]
# ### Check step 3

# %%
numbers = TensorDataset(Tensor(np.arange(10)))
assert [b[0].data.tolist() for b in DataLoader(numbers, batch_size=4)] == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]
assert len(DataLoader(numbers, batch_size=4)) == 3 and len(DataLoader(numbers, batch_size=4, drop_last=True)) == 2
loader = DataLoader(numbers, batch_size=10, shuffle=True, generator=np.random.default_rng(0))
epoch1, epoch2 = [next(iter(loader))[0].data.tolist() for _ in range(2)]
assert sorted(epoch1) == list(range(10)) and epoch1 != epoch2, "each epoch: a new permutation"
again = DataLoader(numbers, batch_size=10, shuffle=True, generator=np.random.default_rng(0))
assert next(iter(again))[0].data.tolist() == epoch1, "the same seed gives the same order"
print("epoch 1:", epoch1, "\nepoch 2:", epoch2)
print("Step 3 passed: DataLoader")

# %% [markdown]
# ### What the shuffle looks like
#
# Each row below is one epoch over 40 examples, coloured by the example's index. Without
# shuffling every epoch is the same ramp; with it, every row is a new permutation
# (every colour once per row), and the same seed repeats the picture exactly.

# %%
from tito.offers import feedback_module  # noqa: E402

plot_epochs = feedback_module("data").plot_epochs  # this module's feedback.py

plot_epochs(DataLoader)

# %% [markdown]
# ## Step 4: splitting off a test set
#
# `random_split(dataset, lengths, generator=None)` shuffles the indices once and cuts
# them into consecutive pieces of the given lengths, returning one `Subset` per piece.
# The pieces never overlap and together hold every example.
#
# `lengths` are counts that add up to `len(dataset)`, or fractions that add up to 1.
# Fractions become counts by rounding down, and the examples left over go one each to
# the first pieces (so `[0.5, 0.5]` of 5 examples is 3 and 2; PyTorch does the same).

# %%
#| export
def random_split(dataset: Dataset, lengths, generator=None) -> list[Subset]:
    """Split `dataset` into non-overlapping random subsets of the given lengths.

    lengths: counts summing to len(dataset), or fractions summing to 1.
    generator: a np.random.Generator for the permutation (None: tinytorch.default_generator).
    Returns a list of Subset, one per length.
    """
    n = len(dataset)
    lengths = list(lengths)
    if lengths and all(0 <= f <= 1 for f in lengths) and math.isclose(sum(lengths), 1) and sum(lengths) != n:
        counts = [int(math.floor(n * f)) for f in lengths]
        for i in range(n - sum(counts)):
            counts[i % len(counts)] += 1
        lengths = counts
    if sum(lengths) != n or any(int(k) != k or k < 0 for k in lengths):
        raise ValueError(f"random_split: the lengths {lengths} must be counts adding up to the "
                         f"dataset's {n} examples, or fractions adding up to 1")
    # TODO: one Subset per length, cut from one random permutation of range(n).
    # APPROACH: permute 0..n-1 once (from the generator when given); piece k takes the
    #           next lengths[k] indices of that permutation.
    # HINTS: a running start position, or the cumulative sums of the lengths.
    ### BEGIN SOLUTION
    order = (generator if generator is not None else tinytorch.default_generator).permutation(n)
    pieces, start = [], 0
    for k in lengths:
        pieces.append(Subset(dataset, order[start:start + int(k)]))
        start += int(k)
    return pieces
    ### END SOLUTION


# %% [markdown]
# ### Check step 4

# %%
train_part, test_part = random_split(numbers, [0.7, 0.3], generator=np.random.default_rng(1))
assert (len(train_part), len(test_part)) == (7, 3)
assert sorted(train_part.indices + test_part.indices) == list(range(10))
print("train:", train_part.indices, "test:", test_part.indices)
print("Step 4 passed: random_split")

# %% [markdown]
# ## Putting it together: the digits
#
# `tinytorch.datasets` ships small data sets (nothing is ever downloaded):
# `load_digits()` gives the 1797 8x8 handwritten digits of UCI (1998) as arrays,
# `make_xor`, `make_moons` and `make_blobs` draw toy problems in two dimensions, and
# `load_mnist(root)` reads MNIST from IDX files you already have. Below, the digits go
# through everything built here: a dataset, a split, a loader, one epoch.

# %%
images = Tensor(digits_X / 16)        # pixel values 0..16 scaled to [0, 1]
labels = Tensor(digits_y)             # int64
digits = TensorDataset(images, labels)
train_set, test_set = random_split(digits, [0.8, 0.2], generator=np.random.default_rng(0))
train_loader = DataLoader(train_set, batch_size=64, shuffle=True, generator=np.random.default_rng(0))
seen = 0
for xb, yb in train_loader:
    assert xb.dtype == np.float32 and yb.dtype == np.int64
    seen += len(yb.data)
print(f"{len(train_set)} training and {len(test_set)} test digits; one epoch: "
      f"{len(train_loader)} batches, {seen} examples")

# %%
from tito.offers import feedback_module  # noqa: E402

plot_digits = feedback_module("data").plot_digits  # this module's feedback.py

plot_digits(digits_X, digits_y)

# %% [markdown]
# ## What's next
#
# ```bash
# tito test data
# tito sync
# ```
#
# Module 08 (training) puts the pieces together: your data loader feeds your layers,
# your loss measures them, your optimizer improves them, epoch after epoch.

# %% [markdown]
# ## How this module is graded
#
# `tito grade` runs this module's tests on your code. The tests that code computing
# nothing passes too (a batch's shape, the number of batches) share 5% of the score; the
# tests that need the right values share the other 95%.
