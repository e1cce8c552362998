"""Small data sets to train on, all local: nothing here ever downloads.

- `load_digits()`: the 1797 8x8 handwritten digits, shipped inside the package
  (tinytorch/datasets/data/, with their licence) and checked against a SHA-256 on load.
- `make_xor`, `make_moons`, `make_blobs`: two-dimensional toy problems, drawn from a seed.
- `load_mnist()`: the 70,000 MNIST digits (28x28), shipped inside the package as the four
  original IDX files and checked against their SHA-256 on load; `load_mnist(root)` reads
  the same files from a folder of your own instead.
- `load_text(split=None)`: eight plays of Shakespeare as one string (1.1 million
  characters, shipped and checked like the digits), with a fixed train/validation split.

Every loader returns `(X, y)` as NumPy arrays, labels int64, ready for
`TensorDataset(Tensor(X), Tensor(y))`: features float32, except MNIST's images, which
stay uint8 (0..255) as stored.
"""
from __future__ import annotations

import gzip
import hashlib
from pathlib import Path

import numpy as np

__all__ = ["load_digits", "make_blobs", "make_moons", "make_xor", "load_mnist", "read_idx", "load_text"]

DATA_DIR = Path(__file__).resolve().parent / "data"
DIGITS_FILE = DATA_DIR / "digits.csv.gz"
DIGITS_SHA256 = "09f66e6debdee2cd2b5ae59e0d6abbb73fc2b0e0185d2e1957e9ebb51e23aa22"


def _verified_bytes(path: Path, sha256: str) -> bytes:
    """The file's bytes, after checking them against the SHA-256 they were shipped with."""
    if not path.exists():
        raise FileNotFoundError(f"{path} is missing from the TinyTorch package; reinstall it "
                                "(pip install -e . in the clone)")
    raw = path.read_bytes()
    digest = hashlib.sha256(raw).hexdigest()
    if digest != sha256:
        raise ValueError(f"{path} is damaged or was changed: its SHA-256 is {digest}, "
                         f"expected {sha256}; restore it (git checkout -- {path.name})")
    return raw


def load_digits():
    """The 8x8 handwritten digits (UCI, 1998): 1797 images, 10 classes.

    Returns (images, labels): images float32 of shape (1797, 64), one row per image with
    pixel values 0..16 read row by row (reshape to (-1, 8, 8) to see them); labels int64
    of shape (1797,), the digit 0-9. The file's checksum is verified on every call.

    >>> X, y = load_digits()
    >>> X.shape, y.shape, int(X.max())
    ((1797, 64), (1797,), 16)
    """
    table = np.loadtxt(gzip.decompress(_verified_bytes(DIGITS_FILE, DIGITS_SHA256)).decode().splitlines(),
                       delimiter=",", dtype=np.int64)
    return table[:, :64].astype(np.float32), table[:, 64].copy()


def _rng(random_state):
    """A numpy Generator from a seed (int or None) or a Generator."""
    if isinstance(random_state, np.random.Generator):
        return random_state
    return np.random.default_rng(random_state)


def _shuffled(X, y, rng, shuffle):
    if shuffle:
        order = rng.permutation(len(y))
        X, y = X[order], y[order]
    return X.astype(np.float32), y.astype(np.int64)


def make_xor(n_samples=4, noise=0.0, random_state=None):
    """The XOR problem: points at the corners of the unit square, label x1 XOR x2.

    Sample i sits at corner i % 4 of (0,0), (0,1), (1,0), (1,1) (labels 0, 1, 1, 0),
    plus Gaussian noise of standard deviation `noise`. The default is the four corners.
    Returns X float32 (n_samples, 2) and y int64 (n_samples,).
    """
    corners = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float64)
    which = np.arange(n_samples) % 4
    X = corners[which] + _rng(random_state).normal(0.0, noise, (n_samples, 2)) if noise else corners[which]
    y = np.array([0, 1, 1, 0])[which]
    return X.astype(np.float32), y.astype(np.int64)


def make_moons(n_samples=100, shuffle=True, noise=None, random_state=None):
    """Two interleaving half circles (as scikit-learn's make_moons).

    The upper moon (label 0) is (cos t, sin t), the lower (label 1) is
    (1 - cos t, 1/2 - sin t), t evenly spaced in [0, pi]; `noise` adds Gaussian noise.
    Returns X float32 (n_samples, 2) and y int64 (n_samples,).
    """
    rng = _rng(random_state)
    n_out = n_samples // 2
    n_in = n_samples - n_out
    t_out, t_in = np.linspace(0, np.pi, n_out), np.linspace(0, np.pi, n_in)
    X = np.vstack([np.column_stack([np.cos(t_out), np.sin(t_out)]),
                   np.column_stack([1 - np.cos(t_in), 0.5 - np.sin(t_in)])])
    y = np.concatenate([np.zeros(n_out, np.int64), np.ones(n_in, np.int64)])
    if noise:
        X = X + rng.normal(0.0, noise, X.shape)
    return _shuffled(X, y, rng, shuffle)


def make_blobs(n_samples=100, n_features=2, centers=None, cluster_std=1.0,
               center_box=(-10.0, 10.0), shuffle=True, random_state=None):
    """Gaussian blobs around centres (as scikit-learn's make_blobs).

    `centers`: a number of centres drawn uniformly in `center_box` (3 when None), or an
    array of them, shape (k, n_features). Samples are spread evenly over the centres
    (the first n_samples % k get one more), label = index of the centre.
    Returns X float32 (n_samples, n_features) and y int64 (n_samples,).
    """
    rng = _rng(random_state)
    if centers is None or np.isscalar(centers):
        k = 3 if centers is None else int(centers)
        centers = rng.uniform(center_box[0], center_box[1], (k, n_features))
    centers = np.asarray(centers, dtype=np.float64)
    if centers.ndim != 2 or centers.shape[1] != n_features:
        raise ValueError(f"centers must have shape (k, n_features={n_features}), got {centers.shape}")
    k = len(centers)
    std = np.broadcast_to(np.asarray(cluster_std, dtype=np.float64), (k,))
    counts = np.full(k, n_samples // k) + (np.arange(k) < n_samples % k)
    X = np.vstack([c + s * rng.standard_normal((n, n_features)) for c, s, n in zip(centers, std, counts)])
    y = np.repeat(np.arange(k), counts)
    return _shuffled(X, y, rng, shuffle)


# ---- MNIST: shipped, or from IDX files elsewhere ------------------------------------------

# IDX: 2 zero bytes, a type code, the number of dimensions, then one big-endian uint32 per
# dimension, then the values (big-endian for multi-byte types).
_IDX_TYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}
MNIST_FILES = {
    True: ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    False: ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}
# The four original files (gzip-compressed, 11.6 MB together) shipped in DATA_DIR, and
# their SHA-256; data/README.md says where they come from and under which licence.
MNIST_SHA256 = {
    "train-images-idx3-ubyte.gz": "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
    "train-labels-idx1-ubyte.gz": "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
    "t10k-images-idx3-ubyte.gz": "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
    "t10k-labels-idx1-ubyte.gz": "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
}


def _parse_idx(raw: bytes, path: Path):
    """The array in the bytes of an IDX file (gzip-compressed when the name ends in .gz);
    a ValueError naming `path` when they are not one."""
    if path.suffix == ".gz":
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError) as error:
            raise ValueError(f"{path} is damaged: it is not a complete gzip file ({error})") from None
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] not in _IDX_TYPES:
        raise ValueError(f"{path} is not an IDX file (its first bytes are {raw[:4].hex()}, "
                         "expected 00 00 <type> <dims>)")
    ndim = raw[3]
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise ValueError(f"{path}: the file ends inside its header; it is truncated or damaged")
    shape = tuple(int(d) for d in np.frombuffer(raw, dtype=">u4", count=ndim, offset=4))
    dtype = np.dtype(_IDX_TYPES[raw[2]])
    expected = header + dtype.itemsize * int(np.prod(shape, dtype=np.int64))
    if len(raw) != expected:
        raise ValueError(f"{path}: the header says shape {shape} ({expected} bytes in all), "
                         f"but the file has {len(raw)} bytes; it is truncated or damaged")
    return np.frombuffer(raw, dtype=dtype, offset=header).reshape(shape).astype(dtype.newbyteorder("="))


def read_idx(path):
    """The array stored in one IDX file (gzip-compressed when the name ends in .gz)."""
    path = Path(path)
    return _parse_idx(path.read_bytes(), path)


def _find(root: Path, name: str) -> Path | None:
    for candidate in (name, name + ".gz", name.replace("-idx", ".idx"), name.replace("-idx", ".idx") + ".gz"):
        if (root / candidate).exists():
            return root / candidate
    return None


def _mnist_pair(images, labels, where):
    if images.ndim != 3 or labels.ndim != 1 or len(images) != len(labels):
        raise ValueError(f"MNIST in {where}: images of shape {images.shape} and labels of shape "
                         f"{labels.shape} do not belong together (expected (N, rows, cols) and (N,))")
    return images.astype(np.uint8), labels.astype(np.int64)


def load_mnist(root=None, train=True):
    """MNIST (LeCun, Cortes and Burges, 1998): 28x28 handwritten digits, 10 classes.

    root=None: the copy shipped with TinyTorch (the four original IDX files, each checked
    against its SHA-256 on every call). root=a folder: the IDX files found there,
    train-images-idx3-ubyte and train-labels-idx1-ubyte (train=True) or
    t10k-images-idx3-ubyte and t10k-labels-idx1-ubyte (train=False), each optionally
    gzip-compressed (.gz). Nothing is ever downloaded.

    Returns (images, labels) of one split: images uint8 of shape (60000, 28, 28) (train)
    or (10000, 28, 28) (test), values 0..255 as stored (divide by 255 for [0, 1]); labels
    int64 of shape (N,), the digit 0-9.

    >>> images, labels = load_mnist(train=False)
    >>> images.shape, images.dtype, labels[:5].tolist()
    ((10000, 28, 28), dtype('uint8'), [7, 2, 1, 0, 4])
    """
    images_name, labels_name = MNIST_FILES[bool(train)]
    if root is None:
        arrays = []
        for name in (images_name + ".gz", labels_name + ".gz"):
            path = DATA_DIR / name
            arrays.append(_parse_idx(_verified_bytes(path, MNIST_SHA256[name]), path))
        return _mnist_pair(*arrays, DATA_DIR)
    root = Path(root).expanduser()
    found = {name: _find(root, name) for name in (images_name, labels_name)}
    missing = [name for name, path in found.items() if path is None]
    if missing:
        where = f"the folder {root}" if root.is_dir() else f"{root}, which is not a folder"
        raise FileNotFoundError(
            f"MNIST: {' and '.join(missing)} (or .gz) not found in {where}. TinyTorch never "
            "downloads; put the four MNIST IDX files (train-images-idx3-ubyte, "
            "train-labels-idx1-ubyte, t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte) there "
            "and call load_mnist(root) again, or call load_mnist() for the copy shipped with TinyTorch")
    return _mnist_pair(read_idx(found[images_name]), read_idx(found[labels_name]), root)


# ---- text: eight plays of Shakespeare ------------------------------------------------------
from tinytorch.datasets.text import load_text  # noqa: E402  (last: it uses _verified_bytes above)
