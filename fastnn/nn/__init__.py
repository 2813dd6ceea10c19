"""Layers with ``torch.nn`` semantics."""
from .parameter import Parameter                      # noqa: F401
from .modules import *                                # noqa: F401,F403
from . import functional, init, utils                 # noqa: F401
