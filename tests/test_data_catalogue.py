"""The test of the data tests: learner mistakes in module 07 are all caught, correct
variants written differently all pass (see tests/catalogue.py for how they are run)."""
from __future__ import annotations

from catalogue import Entry, catalogue_tests

MISTAKES = [
    Entry("last_batch_always_dropped", "the short last batch dropped without drop_last",
          replace=("        if self.drop_last and batches and len(batches[-1]) < self.batch_size:",
                   "        if batches and len(batches[-1]) < self.batch_size:")),
    Entry("drop_last_ignored", "drop_last never drops the short batch",
          replace=("        if self.drop_last and batches and len(batches[-1]) < self.batch_size:",
                   "        if False:")),
    Entry("batches_stop_early", "range(0, n - batch_size, batch_size): the last full or short batch lost",
          replace=("for i in range(0, len(order), self.batch_size)]",
                   "for i in range(0, len(order) - self.batch_size, self.batch_size)]")),
    Entry("len_floor_always", "len(loader) = n // batch_size, whatever drop_last",
          replace=("return n // self.batch_size if self.drop_last else math.ceil(n / self.batch_size)",
                   "return n // self.batch_size")),
    Entry("len_ceil_always", "len(loader) = ceil(n / batch_size), whatever drop_last",
          replace=("return n // self.batch_size if self.drop_last else math.ceil(n / self.batch_size)",
                   "return math.ceil(n / self.batch_size)")),
    Entry("shuffle_once", "the permutation drawn once, in __init__, and reused every epoch", append="""
_init = DataLoader.__init__
def __init__(self, *args, **kwargs):
    _init(self, *args, **kwargs)
    n = len(self.dataset)
    rng = self.generator if self.generator is not None else tinytorch.default_generator
    self._fixed = rng.permutation(n) if self.shuffle else np.arange(n)
DataLoader.__init__ = __init__
DataLoader._order = lambda self: self._fixed
"""),
    Entry("shuffle_reseeded", "a new generator with seed 0 every epoch: the same order each time",
          replace=("            return self.generator.permutation(n)\n        return tinytorch.default_generator.permutation(n)",
                   "            return np.random.default_rng(0).permutation(n)\n"
                   "        return np.random.default_rng(0).permutation(n)")),
    Entry("generator_ignored", "shuffle always draws from the default generator, ignoring the one given",
          replace=("            return self.generator.permutation(n)\n",
                   "            return tinytorch.default_generator.permutation(n)\n")),
    Entry("global_numpy_state", "without a generator, shuffle draws from np.random instead of tinytorch's",
          replace=("        return tinytorch.default_generator.permutation(n)\n", "        return np.random.permutation(n)\n")),
    Entry("shuffle_batches_only", "the batches shuffled, the examples inside each kept together", append="""
def _order(self):
    n = len(self.dataset)
    if not self.shuffle:
        return np.arange(n)
    rng = self.generator if self.generator is not None else tinytorch.default_generator
    starts = rng.permutation(np.arange(0, n, self.batch_size))
    return np.concatenate([np.arange(s, min(s + self.batch_size, n)) for s in starts])
DataLoader._order = _order
"""),
    Entry("shuffle_with_replacement", "a random order drawn with replacement (integers, not a permutation)",
          replace=("            return self.generator.permutation(n)\n",
                   "            return self.generator.integers(0, n, n)\n")),
    Entry("labels_become_float", "the batch stacked with np.array(..., dtype=np.float32): labels float32",
          replace=("    return Tensor(np.stack([np.asarray(s) for s in samples]))",
                   "    return Tensor(np.stack([np.asarray(s) for s in samples]).astype(np.float32))"),
          append="""
def _getitems(self, indices):
    return tuple(Tensor(t.data[indices].astype(np.float32)) for t in self.tensors)
TensorDataset.__getitems__ = _getitems
"""),
    Entry("collate_concatenates", "np.concatenate instead of np.stack: a batch of vectors becomes one long vector",
          replace=("    return Tensor(np.stack([np.asarray(s) for s in samples]))",
                   "    return Tensor(np.concatenate([np.atleast_1d(np.asarray(s)) for s in samples]))")),
    Entry("python_floats_float32", "Python floats collated as float32",
          replace=("        return Tensor(np.array(samples, dtype=np.float64))",
                   "        return Tensor(np.array(samples, dtype=np.float32))")),
    Entry("no_size_check", "TensorDataset accepts tensors of different lengths",
          replace=("        if any(n != sizes[0] for n in sizes):", "        if False:")),
    Entry("len_of_features", "len(dataset) is the number of features (shape[-1]) instead of examples",
          replace=("        return self.tensors[0].shape[0]", "        return self.tensors[0].shape[-1]")),
    Entry("split_in_order", "random_split cuts the data in order, without shuffling",
          replace=("    order = (generator if generator is not None else tinytorch.default_generator).permutation(n)",
                   "    order = np.arange(n)")),
    Entry("split_pieces_overlap", "each piece drawn from its own permutation: pieces overlap", append="""
def random_split(dataset, lengths, generator=None):
    rng = generator if generator is not None else tinytorch.default_generator
    n = len(dataset)
    lengths = list(lengths)
    if all(0 <= f <= 1 for f in lengths) and math.isclose(sum(lengths), 1) and sum(lengths) != n:
        lengths = [int(math.floor(n * f)) for f in lengths]
        lengths[0] += n - sum(lengths)
    if sum(lengths) != n:
        raise ValueError("lengths")
    return [Subset(dataset, rng.permutation(n)[:int(k)]) for k in lengths]
"""),
    Entry("split_fractions_rounded", "fractions turned into counts with round(), the rest to the last piece",
          replace=("        counts = [int(math.floor(n * f)) for f in lengths]\n"
                   "        for i in range(n - sum(counts)):\n"
                   "            counts[i % len(counts)] += 1\n",
                   "        counts = [int(round(n * f)) for f in lengths]\n"
                   "        counts[-1] += n - sum(counts)\n")),
]

VARIANTS = [
    Entry("batches_by_count", "batches as order[i*b:(i+1)*b] for i in range(len(self))", append="""
def _batches(self, order):
    return [order[i * self.batch_size:(i + 1) * self.batch_size] for i in range(len(self))]
DataLoader._batches = _batches
"""),
    Entry("len_from_arithmetic", "len as (n + b - 1) // b, or n // b with drop_last", append="""
def __len__(self):
    n, b = len(self.dataset), self.batch_size
    return n // b if self.drop_last else (n + b - 1) // b
DataLoader.__len__ = __len__
"""),
    Entry("order_by_permuted", "the order from rng.permuted(np.arange(n))", append="""
def _order(self):
    order = np.arange(len(self.dataset))
    if self.shuffle:
        rng = self.generator if self.generator is not None else tinytorch.default_generator
        order = rng.permuted(order)
    return order
DataLoader._order = _order
"""),
    Entry("collate_with_zip", "collate with zip(*samples) and np.array", append="""
def default_collate(samples):
    first = samples[0]
    if isinstance(first, (tuple, list)):
        return tuple(default_collate(list(field)) for field in zip(*samples))
    if isinstance(first, (bool, int, float)):
        kind = {bool: np.bool_, int: np.int64, float: np.float64}[type(first)]
        return Tensor(np.array(samples, dtype=kind))
    return Tensor(np.array([np.asarray(s) for s in samples]))
"""),
    Entry("split_with_np_split", "random_split with np.split at the cumulative lengths", append="""
_split_reference = random_split
def random_split(dataset, lengths, generator=None):
    n = len(dataset)
    counts = [len(p) for p in _split_reference(range(n), lengths, np.random.default_rng(0))]
    order = (generator or tinytorch.default_generator).permutation(n)
    return [Subset(dataset, part) for part in np.split(order, np.cumsum(counts)[:-1])]
"""),
]


globals().update(catalogue_tests("data", MISTAKES, VARIANTS, at_least=15))
