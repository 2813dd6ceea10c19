"""Gradient-mode switches: ``no_grad``, ``enable_grad``, ``set_grad_enabled``,
``inference_mode``.

The mode is per thread, as in torch; with it off, ops record nothing for autograd
(`fastnn.autograd`) even when an input requires grad. Each works as a context manager and as
a decorator, ``@no_grad()`` and bare ``@no_grad`` alike, as in torch 2.
"""
import functools
import threading

__all__ = ["no_grad", "enable_grad", "set_grad_enabled", "inference_mode",
           "is_grad_enabled", "is_inference_mode_enabled"]


class _Mode(threading.local):
    grad = True
    inference = False


_mode = _Mode()


def is_grad_enabled():
    """True unless inside ``no_grad`` / ``set_grad_enabled(False)`` / ``inference_mode``."""
    return _mode.grad


def is_inference_mode_enabled():
    """True inside ``inference_mode()``."""
    return _mode.inference


class _GradModeContext:
    """A context manager that also decorates functions (each call runs inside it)."""

    def __call__(self, func):
        @functools.wraps(func)
        def run_in_mode(*args, **kwargs):
            with self._clone():
                return func(*args, **kwargs)
        return run_in_mode

    def _clone(self):
        return type(self)()

    def __exit__(self, *exc):
        _mode.grad, _mode.inference = self._saved
        return False


class _NoArgumentContext(_GradModeContext):
    # `@no_grad` without parentheses gets the function as its only argument
    def __new__(cls, func=None):
        if func is None:
            return super().__new__(cls)
        return cls()(func)


class no_grad(_NoArgumentContext):
    """Context manager / decorator that disables gradient mode."""

    def __enter__(self):
        self._saved = (_mode.grad, _mode.inference)
        _mode.grad = False


class enable_grad(_NoArgumentContext):
    """Context manager / decorator that enables gradient mode."""

    def __enter__(self):
        self._saved = (_mode.grad, _mode.inference)
        _mode.grad = True


class set_grad_enabled(_GradModeContext):
    """Sets gradient mode to `mode` at once; as a context manager, restores it on exit.

    Args:
        mode (bool): whether gradient mode is on.
    """

    def __init__(self, mode):
        if not isinstance(mode, bool):
            raise TypeError(f"set_grad_enabled(): argument 'enabled' (position 1) must be "
                            f"bool, not {type(mode).__name__}")
        self.mode = mode
        self._saved = (_mode.grad, _mode.inference)
        _mode.grad = mode

    def __call__(self, func):
        _mode.grad, _mode.inference = self._saved
        return super().__call__(func)

    def _clone(self):
        return type(self)(self.mode)

    def __enter__(self):
        pass

    def __repr__(self):
        return f"fastnn.set_grad_enabled(mode={self.mode})"


class inference_mode(_GradModeContext):
    """Context manager / decorator for inference (no gradient mode), like torch's.

    Args:
        mode (bool): True (default) to enable inference mode, False to leave it unchanged.
    """

    def __new__(cls, mode=True):
        if isinstance(mode, bool):
            return super().__new__(cls)
        return cls()(mode)          # bare `@inference_mode`

    def __init__(self, mode=True):
        self.mode = mode if isinstance(mode, bool) else True

    def _clone(self):
        return type(self)(self.mode)

    def __enter__(self):
        self._saved = (_mode.grad, _mode.inference)
        if self.mode:
            _mode.grad, _mode.inference = False, True
