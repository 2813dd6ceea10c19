"""Data loading, as ``torch.utils.data``: datasets, samplers, collation and DataLoader.

With ``shuffle=False`` a DataLoader yields torch's batches; with a seeded generator
(``fastnn.Generator().manual_seed(s)``) it yields the same order as torch's DataLoader
with ``torch.Generator().manual_seed(s)`` (fastnn's generator and randperm are torch's).
"""
from .dataset import (ConcatDataset, Dataset, IterableDataset, Subset,  # noqa: F401
                      TensorDataset, random_split)
from .sampler import (BatchSampler, RandomSampler, Sampler,  # noqa: F401
                      SequentialSampler, SubsetRandomSampler)
from .collate import default_collate, default_convert  # noqa: F401
from .dataloader import DataLoader, get_worker_info  # noqa: F401

__all__ = ["Dataset", "IterableDataset", "TensorDataset", "ConcatDataset", "Subset",
           "random_split", "Sampler", "SequentialSampler", "RandomSampler",
           "SubsetRandomSampler", "BatchSampler", "default_collate", "default_convert",
           "DataLoader", "get_worker_info"]
