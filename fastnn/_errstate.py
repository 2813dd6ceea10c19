"""numpy's floating-point errors ignored around one call, at a fraction of np.errstate's cost.

torch neither warns nor raises on inf/NaN, so fastnn runs numpy's loops with every error
ignored. ``with np.errstate(all="ignore")`` builds numpy's error state anew on every entry,
which costs as much as a small tensor's whole addition; numpy 2 keeps that state in a
context variable, which `ignore` sets to one state built once and `restore` resets. On a
numpy without that variable (1.x) both fall back to np.errstate.

    token = ignore()
    try:
        ...
    finally:
        restore(token)
"""
import numpy as np

try:
    from numpy._core._ufunc_config import _extobj_contextvar, _make_extobj
    _IGNORE_ALL = _make_extobj(all="ignore")
except (ImportError, TypeError):       # numpy 1.x
    _extobj_contextvar = None


def ignore():
    """Ignore every floating-point error in this context until `restore(token)`."""
    if _extobj_contextvar is None:
        state = np.errstate(all="ignore")
        state.__enter__()
        return state
    return _extobj_contextvar.set(_IGNORE_ALL)


def restore(token):
    """Put back the error state `ignore` replaced."""
    if _extobj_contextvar is None:
        token.__exit__(None, None, None)
    else:
        _extobj_contextvar.reset(token)
