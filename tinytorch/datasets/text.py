"""The text shipped with TinyTorch: eight plays of Shakespeare, 1.1 million characters.

data/README.md says what it is, where it comes from and how it was made.
"""
from __future__ import annotations

import lzma

from tinytorch.datasets import DATA_DIR, _verified_bytes

TEXT_FILE = DATA_DIR / "shakespeare.txt.xz"
TEXT_SHA256 = "7305e0fc6a8251d35c98e3f3c726bfc008704a1021c6389d51175e8407100284"
TEXT_SPLIT = 1_006_125  # where the validation part (Macbeth, the last play) begins
SPLITS = (None, "train", "val")


def load_text(split=None):
    """Eight plays of Shakespeare as one string of plain ASCII, 1,101,982 characters.

    Each speech is "SPEAKER:" on a line of its own, the lines spoken, then a blank line.
    split: None for all of it; "train" for the first seven plays (1,006,125 characters);
    "val" for the last, Macbeth (95,857 characters), a play the training part never shows.
    The file's checksum is verified on every call.

    >>> text = load_text()
    >>> len(text), text[:13]
    (1101982, 'Prologue:\\nTwo')
    """
    if split not in SPLITS:
        raise ValueError(f"load_text: split must be None, 'train' or 'val', not {split!r}")
    text = lzma.decompress(_verified_bytes(TEXT_FILE, TEXT_SHA256)).decode("ascii")
    if split == "train":
        return text[:TEXT_SPLIT]
    return text[TEXT_SPLIT:] if split == "val" else text
