"""Module 07's catalogue: learner mistakes its tests must catch, correct variants they must pass.

Each entry is a whole function or method as a learner writes it (tito/catalogue.py says
how they run: `tito catalogue data`).
"""
from tito.catalogue import Mistake, Variant

AT_LEAST = 18

BATCHES = """
class DataLoader:
    def _batches(self, order):
        batches = [order[i:i + self.batch_size] for i in {starts}]
        if {drop}:
            batches.pop()
        return batches
"""
STARTS = "range(0, len(order), self.batch_size)"
DROP = "self.drop_last and batches and len(batches[-1]) < self.batch_size"
LENGTH = """
class DataLoader:
    def __len__(self):
        n = len(self.dataset)
        return {length}
"""
ORDER = """
class DataLoader:
    def _order(self):
        n = len(self.dataset)
        if not self.shuffle:
            return np.arange(n)
        if self.generator is not None:
            return {given}
        return {default}
"""


def order(given="self.generator.permutation(n)", default="tinytorch.default_generator.permutation(n)"):
    return ORDER.format(given=given, default=default)


COLLATE = """
def default_collate(samples):
    first = samples[0]
    if isinstance(first, (tuple, list)):
        return tuple(default_collate([s[j] for s in samples]) for j in range(len(first)))
{numbers}
    return Tensor({stacked})
"""
NUMBERS = """    if isinstance(first, bool):
        return Tensor(np.array(samples, dtype=np.bool_))
    if isinstance(first, int):
        return Tensor(np.array(samples, dtype=np.int64))
    if isinstance(first, float):
        return Tensor(np.array(samples, dtype={floats}))"""


def collate(numbers=None, stacked="np.stack([np.asarray(s) for s in samples])"):
    if numbers is None:
        numbers = NUMBERS.format(floats="np.float64")
    return COLLATE.format(numbers=numbers, stacked=stacked)


SPLIT = """
def random_split(dataset, lengths, generator=None):
    n = len(dataset)
    lengths = list(lengths)
    if lengths and all(0 <= f <= 1 for f in lengths) and math.isclose(sum(lengths), 1) and sum(lengths) != n:
{counts}
        lengths = counts
    if sum(lengths) != n or any(int(k) != k or k < 0 for k in lengths):
        raise ValueError(f"random_split: the lengths {{lengths}} must add up to {{n}}, or be fractions adding up to 1")
{pieces}
"""
COUNTS = """        counts = [int(math.floor(n * f)) for f in lengths]
        for i in range(n - sum(counts)):
            counts[i % len(counts)] += 1"""
PIECES = """    order = {order}
    pieces, start = [], 0
    for k in lengths:
        pieces.append(Subset(dataset, order[start:start + int(k)]))
        start += int(k)
    return pieces"""


def split(counts=COUNTS, order="(generator if generator is not None else tinytorch.default_generator).permutation(n)",
          pieces=None):
    return SPLIT.format(counts=counts, pieces=pieces or PIECES.format(order=order))


MISTAKES = [
    Mistake("last_batch_always_dropped", "the short last batch dropped without drop_last", BATCHES.format(
        starts=STARTS, drop="batches and len(batches[-1]) < self.batch_size")),
    Mistake("drop_last_ignored", "drop_last never drops the short batch", """
class DataLoader:
    def _batches(self, order):
        return [order[i:i + self.batch_size] for i in range(0, len(order), self.batch_size)]
"""),
    Mistake("batches_stop_early", "range(0, n - batch_size, batch_size): the last full or short batch lost",
            BATCHES.format(starts="range(0, len(order) - self.batch_size, self.batch_size)", drop=DROP)),
    Mistake("len_floor_always", "len(loader) = n // batch_size, whatever drop_last",
            LENGTH.format(length="n // self.batch_size")),
    Mistake("len_ceil_always", "len(loader) = ceil(n / batch_size), whatever drop_last",
            LENGTH.format(length="math.ceil(n / self.batch_size)")),
    Mistake("shuffle_once", "the permutation drawn once, in __init__, and reused every epoch", """
class DataLoader:
    def __init__(self, dataset, batch_size=1, shuffle=False, drop_last=False, generator=None):
        if not isinstance(batch_size, (int, np.integer)) or isinstance(batch_size, bool) or batch_size < 1:
            raise ValueError(f"batch_size should be a positive integer, got {batch_size!r}")
        if generator is not None and not isinstance(generator, np.random.Generator):
            raise TypeError(f"generator must be a np.random.Generator, not {type(generator).__name__}")
        self.dataset = dataset
        self.batch_size = int(batch_size)
        self.shuffle = bool(shuffle)
        self.drop_last = bool(drop_last)
        self.generator = generator
        rng = generator if generator is not None else tinytorch.default_generator
        self.fixed_order = rng.permutation(len(dataset)) if shuffle else np.arange(len(dataset))

    def _order(self):
        return self.fixed_order
"""),
    Mistake("shuffle_reseeded", "a new generator with seed 0 every epoch: the same order each time",
            order(given="np.random.default_rng(0).permutation(n)", default="np.random.default_rng(0).permutation(n)")),
    Mistake("generator_ignored", "shuffle always draws from the default generator, ignoring the one given",
            order(given="tinytorch.default_generator.permutation(n)")),
    Mistake("global_numpy_state", "without a generator, shuffle draws from np.random instead of tinytorch's",
            order(default="np.random.permutation(n)")),
    Mistake("shuffle_batches_only", "the batches shuffled, the examples inside each kept together", """
class DataLoader:
    def _order(self):
        n = len(self.dataset)
        if not self.shuffle:
            return np.arange(n)
        rng = self.generator if self.generator is not None else tinytorch.default_generator
        starts = rng.permutation(np.arange(0, n, self.batch_size))
        return np.concatenate([np.arange(s, min(s + self.batch_size, n)) for s in starts])
"""),
    Mistake("shuffle_with_replacement", "a random order drawn with replacement (integers, not a permutation)",
            order(given="self.generator.integers(0, n, n)")),
    Mistake("labels_become_float", "the batch stacked with np.array(..., dtype=np.float32): labels float32",
            collate(stacked="np.stack([np.asarray(s) for s in samples]).astype(np.float32)") + """
class TensorDataset:
    def __getitems__(self, indices):
        return tuple(Tensor(t.data[indices].astype(np.float32)) for t in self.tensors)
"""),
    Mistake("collate_concatenates", "np.concatenate instead of np.stack: a batch of vectors becomes one long vector",
            collate(stacked="np.concatenate([np.atleast_1d(np.asarray(s)) for s in samples])")),
    Mistake("python_floats_float32", "Python floats collated as float32",
            collate(numbers=NUMBERS.format(floats="np.float32"))),
    Mistake("collate_bools_as_integers", "Python bools collated as int64: True is an int, tested first",
            collate(numbers="""    if isinstance(first, int):
        return Tensor(np.array(samples, dtype=np.int64))
    if isinstance(first, float):
        return Tensor(np.array(samples, dtype=np.float64))""")),
    Mistake("no_size_check", "TensorDataset accepts tensors of different lengths", """
class TensorDataset:
    def __init__(self, *tensors):
        if not tensors:
            raise ValueError("TensorDataset needs at least one tensor")
        tensors = tuple(_as_tensor(t) for t in tensors)
        if any(t.ndim == 0 for t in tensors):
            raise ValueError("TensorDataset: a 0-d tensor has no examples (axis 0)")
        self.tensors = tensors
"""),
    Mistake("len_of_features", "len(dataset) is the number of features (shape[-1]) instead of examples", """
class TensorDataset:
    def __len__(self):
        return self.tensors[0].shape[-1]
"""),
    Mistake("split_in_order", "random_split cuts the data in order, without shuffling", split(order="np.arange(n)")),
    Mistake("split_pieces_overlap", "each piece drawn from its own permutation: pieces overlap", split(pieces="""\
    rng = generator if generator is not None else tinytorch.default_generator
    return [Subset(dataset, rng.permutation(n)[:int(k)]) for k in lengths]""")),
    Mistake("split_fractions_rounded", "fractions turned into counts with round(), the rest to the last piece",
            split(counts="        counts = [int(round(n * f)) for f in lengths]\n"
                         "        counts[-1] += n - sum(counts)")),
]

VARIANTS = [
    Variant("batches_by_count", "batches as order[i*b:(i+1)*b] for i in range(len(self))", """
class DataLoader:
    def _batches(self, order):
        return [order[i * self.batch_size:(i + 1) * self.batch_size] for i in range(len(self))]
"""),
    Variant("len_from_arithmetic", "len as (n + b - 1) // b, or n // b with drop_last", """
class DataLoader:
    def __len__(self):
        n, b = len(self.dataset), self.batch_size
        return n // b if self.drop_last else (n + b - 1) // b
"""),
    Variant("order_by_permuted", "the order from rng.permuted(np.arange(n))", """
class DataLoader:
    def _order(self):
        order = np.arange(len(self.dataset))
        if self.shuffle:
            rng = self.generator if self.generator is not None else tinytorch.default_generator
            order = rng.permuted(order)
        return order
"""),
    Variant("collate_with_zip", "collate with zip(*samples) and np.array", """
def default_collate(samples):
    first = samples[0]
    if isinstance(first, (tuple, list)):
        return tuple(default_collate(list(field)) for field in zip(*samples))
    if isinstance(first, (bool, int, float)):
        kind = {bool: np.bool_, int: np.int64, float: np.float64}[type(first)]
        return Tensor(np.array(samples, dtype=kind))
    return Tensor(np.array([np.asarray(s) for s in samples]))
"""),
    Variant("split_with_np_split", "random_split with np.split at the cumulative lengths", split(pieces="""\
    order = (generator if generator is not None else tinytorch.default_generator).permutation(n)
    return [Subset(dataset, part) for part in np.split(order, np.cumsum([int(k) for k in lengths])[:-1])]""")),
]
