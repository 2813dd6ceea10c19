"""The top-level forms of ``fastnn._ufunc_methods``' methods: ``fastnn.sin(x)``,
``fastnn.floor(x, out=y)``, ``fastnn.eq(x, y)``, ... each the numpy ufunc on `input` as a
Tensor (any array is taken as one), through the ufunc door."""
from ._functions import _tensor
from ._ufunc_methods import BINARY, UNARY, apply_binary, apply_unary

__all__ = list(UNARY) + list(BINARY)


def _unary(name, ufunc):
    def function(input, *, out=None):
        return apply_unary(name, ufunc, _tensor(input, name), out)
    function.__name__ = function.__qualname__ = name
    function.__doc__ = f"``torch.{name}``: numpy's ``{ufunc.__name__}`` of `input`."
    return function


def _binary(name, ufunc):
    def function(input, other, *, out=None):
        return apply_binary(name, ufunc, _tensor(input, name), other, 2, out)
    function.__name__ = function.__qualname__ = name
    function.__doc__ = (f"``torch.{name}``: numpy's ``{ufunc.__name__}`` of `input` and "
                        "`other` (a tensor that broadcasts, or a number where torch takes one).")
    return function


for _name, _ufunc in UNARY.items():
    globals()[_name] = _unary(_name, _ufunc)
for _name, _ufunc in BINARY.items():
    globals()[_name] = _binary(_name, _ufunc)
