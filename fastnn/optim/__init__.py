"""Optimizers and learning-rate schedulers with torch.optim's semantics and state dicts."""
from .optimizer import Optimizer                   # noqa: F401
from .sgd import SGD                               # noqa: F401
from .adam import Adam, AdamW                      # noqa: F401
from .rmsprop import RMSprop                       # noqa: F401
from . import lr_scheduler                         # noqa: F401

__all__ = ["Optimizer", "SGD", "Adam", "AdamW", "RMSprop", "lr_scheduler"]
