"""What passes fastnn's door (`fastnn._dispatch`): the registered ops, and a recorder.

    >>> import fastnn.ops
    >>> fastnn.ops.registered()["conv2d"]
    ['direct', 'depthwise', 'im2col_gemm', 'naive', 'blocked', 'pointwise', 'grouped_h3']
    >>> with fastnn.ops.record() as calls:
    ...     model(x)
    >>> calls[0]
    Call(conv2d, shapes=[(1, 3, 224, 224), (64, 3, 7, 7), None], stride=(2, 2), ...)

`record()` works like a torch dispatch mode (``TorchDispatchMode``) that only looks: each
op call that passes the door, in the calling thread, is appended as a `Call` to the list
the block yields; nested blocks all see the calls made inside them.
"""
import contextlib

from . import _dispatch, _view_ops  # noqa: F401  (_view_ops registers flatten, add, ...)
from . import _shape_ops, _copy_ops, _reduction_ops, _math_ops  # noqa: F401  (Tensor's ops)
from ._dispatch import Call
from ._registry import OPS
from .nn import functional  # noqa: F401  (importing it registers the functional ops)

__all__ = ["registered", "record", "Call"]


def registered():
    """Every registered op -> the names of its variants (in registration order)."""
    return {name: list(entry.variants) for name, entry in sorted(OPS.items())}


@contextlib.contextmanager
def record():
    """Collect, into the list this yields, every call passing the door in this thread."""
    calls = []
    _dispatch._start_recording(calls)
    try:
        yield calls
    finally:
        _dispatch._stop_recording(calls)

