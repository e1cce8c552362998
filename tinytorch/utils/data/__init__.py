"""`torch.utils.data`'s names over module 07 (tinytorch.core.data): datasets, batching, splits.

    from tinytorch.utils.data import DataLoader, TensorDataset, random_split
"""
from tinytorch.core.data import DataLoader, Dataset, Subset, TensorDataset, default_collate, random_split

__all__ = ["DataLoader", "Dataset", "Subset", "TensorDataset", "default_collate", "random_split"]
