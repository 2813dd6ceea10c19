"""fastnn: Numba-accelerated CPU layers with torch.nn semantics."""
from ._runtime import get_num_threads, set_num_threads
from .tensor import Tensor
from . import nn

__version__ = "0.1.0"
