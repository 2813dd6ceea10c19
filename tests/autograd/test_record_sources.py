"""autograd's recording finds which tensor requiring grad each normalized input of an op
came from (`fastnn.autograd._record._sources`). Its shortcut (`_direct_sources`), taken
where no memory needs comparing, must give what comparing memory gives, or step aside."""
import numpy as np
import pytest

import fastnn
from fastnn.autograd import _record
from fastnn.nn._frozen import freeze, kernel_weight


def _plain(t):
    return np.ndarray.view(t, np.ndarray)


def _cases():
    a = fastnn.randn(2, 3, requires_grad=True)
    b = fastnn.randn(3, requires_grad=True)
    c = fastnn.randn(2, 3)                          # requires no grad
    with fastnn.enable_grad():
        view = a.view(3, 2)                         # a second tensor on a's storage
    w = freeze(fastnn.randn(4, 3), requires_grad=True)
    alias = np.frombuffer(np.asarray(a).tobytes(), a.dtype)     # other memory, same size
    # a's memory through a buffer: a storage of its own that owns no memory
    shared = np.frombuffer(memoryview(np.asarray(a)), a.dtype).reshape(a.shape)
    return {
        "door views": ((_plain(a), _plain(b), _plain(c)), [a, b]),
        "a reshaped view": ((_plain(a).reshape(1, 2, 3, 1, 1), _plain(b)), [a, b]),
        "a part of the storage": ((_plain(a)[0], _plain(b)), [a, b]),
        "one tensor twice": ((_plain(a), _plain(a)), [a, a]),
        "two tensors on one storage": ((_plain(a), _plain(view)), [a, view]),
        "a frozen weight as the kernels read it": ((kernel_weight(w), _plain(c)), [w]),
        "memory of its own": ((_plain(a), alias.reshape(2, 3)), [a]),
        "its memory, not owned": ((_plain(a), shared), [a]),
        "a scalar and None": ((_plain(a), 2.0, None), [a]),
    }


@pytest.mark.parametrize("name", list(_cases()))
def test_the_shortcut_gives_what_comparing_memory_gives(monkeypatch, name):
    inputs, requiring = _cases()[name]
    direct = _record._direct_sources(inputs, requiring)
    monkeypatch.setattr(_record, "_direct_sources", lambda *args: None)
    try:
        compared = _record._sources("op", inputs, requiring)
    except RuntimeError:                # a tensor requiring grad that no input is
        assert direct is None
        return
    if direct is not None:
        assert [id(s) for s in direct] == [id(s) for s in compared]


def test_the_shortcut_is_taken_where_nothing_aliases():
    inputs, requiring = _cases()["door views"]
    assert _record._direct_sources(inputs, requiring) == [requiring[0], requiring[1], None]
    for name in ("two tensors on one storage", "a frozen weight as the kernels read it",
                 "its memory, not owned", "a part of the storage"):
        assert _record._direct_sources(*_cases()[name]) is None, name
