"""Utilities, as ``torch.utils``: data loading (`fastnn.utils.data`)."""
from . import data  # noqa: F401
