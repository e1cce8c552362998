"""Text to numbers (module 10): `tinytorch.text.CharTokenizer`, `BPETokenizer`, `NextTokenDataset`."""
from tinytorch.core.text import BPETokenizer, CharTokenizer, NextTokenDataset

__all__ = ["BPETokenizer", "CharTokenizer", "NextTokenDataset"]
