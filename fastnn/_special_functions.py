"""The top-level forms of ``fastnn._special_methods``: ``fastnn.erfc``, ``fastnn.erfinv``,
``fastnn.lgamma``, ``fastnn.digamma``, ``fastnn.polygamma(n, input)``,
``fastnn.mvlgamma(input, p)``, ``fastnn.i0``, ``fastnn.sinc``, ``fastnn.heaviside``,
``fastnn.gcd``, ``fastnn.lcm``, ``fastnn.ldexp``, ``fastnn.nextafter``, ``fastnn.frexp``
(each with ``out=``), torch's top-level in-place forms (``erfc_``, ``i0_``, ``sinc_``,
``gcd_``, ``lcm_``, ``ldexp_``) and the factory ``fastnn.logspace``. Any array is taken
as a Tensor.
"""
import numpy as np

from ._args import _is_int, _tensor_item, torch_type_name
from ._dispatch import dispatch
from ._dtypes import as_dtype, get_default_dtype
from ._functions import _tensor, _top_level_in_place
from ._alloc import check_alloc
from ._out_arg import write_out
from ._range_factories import _deliver
from ._special_methods import mvlgamma_order, return_types_frexp, tensor_other
from ._torch_types import check_device

__all__ = ["erfc", "erfinv", "lgamma", "digamma", "polygamma", "mvlgamma", "i0", "sinc",
           "heaviside", "gcd", "lcm", "ldexp", "nextafter", "frexp", "erfc_", "i0_", "sinc_",
           "gcd_", "lcm_", "ldexp_"]


def _unary(name, doc):
    def function(input, *, out=None):
        return dispatch(name, _tensor(input, name), out=out)
    function.__name__ = function.__qualname__ = name
    function.__doc__ = f"``torch.{name}``: {doc}"
    return function


erfc = _unary("erfc", "1 - erf(x); integers and bools give the default float dtype.")
erfinv = _unary("erfinv", "the inverse of erf (+-inf at +-1, NaN outside).")
lgamma = _unary("lgamma", "log |Gamma(x)| (inf at 0 and the negative integers).")
digamma = _unary("digamma", "psi(x) (-inf at +0, inf at -0, NaN at negative integers).")
i0 = _unary("i0", "the modified Bessel function of the first kind, order 0.")
sinc = _unary("sinc", "sin(pi x) / (pi x), 1 at 0.")


def polygamma(n, input, *, out=None):
    """``torch.polygamma``: the n-th derivative of digamma."""
    if not isinstance(input, np.ndarray):
        tensor_other(None, input, "polygamma", "input", 2)
    return dispatch("polygamma", n, _tensor(input, "polygamma"), out=out)


def mvlgamma(input, p, *, out=None):
    """``torch.mvlgamma``: the multivariate log-gamma function of dimension `p`."""
    x = _tensor(input, "mvlgamma")
    mvlgamma_order(p, 2)
    return dispatch("mvlgamma", x, p, out=out)


def heaviside(input, values, *, out=None):
    """``torch.heaviside``: 0 below 0, 1 above, `values` at 0 (same dtypes)."""
    x = _tensor(input, "heaviside")
    return dispatch("heaviside", x, tensor_other(x, values, "heaviside", "values", 2), out=out)


def _binary(name, ufunc, doc):
    def function(input, other, *, out=None):
        x = _tensor(input, name)
        other = tensor_other(x, other, name, "other", 2)
        return ufunc(x, other) if out is None else ufunc(x, other, out=out)
    function.__name__ = function.__qualname__ = name
    function.__doc__ = f"``torch.{name}``: {doc}"
    return function


gcd = _binary("gcd", np.gcd, "the greatest common divisor (integers only).")
lcm = _binary("lcm", np.lcm, "the least common multiple (integers only).")
nextafter = _binary("nextafter", np.nextafter, "the next float after `input` towards "
                    "`other` (floats only).")


def ldexp(input, other, *, out=None):
    """``torch.ldexp``: input * 2 ** other."""
    x = _tensor(input, "ldexp")
    return dispatch("ldexp", x, tensor_other(x, other, "ldexp", "other", 2), out=out)


def frexp(input, *, out=None):
    """``torch.frexp``: ``(mantissa, exponent)``; `out` a pair of tensors."""
    mantissa, exponent = dispatch("frexp", _tensor(input, "frexp"))
    if out is not None:
        mantissa, exponent = write_out(mantissa, out[0]), write_out(exponent, out[1])
    return return_types_frexp(mantissa, exponent)


erfc_, i0_, sinc_, gcd_, lcm_, ldexp_ = (_top_level_in_place(name) for name in (
    "erfc_", "i0_", "sinc_", "gcd_", "lcm_", "ldexp_"))


_LOGSPACE_SIGNATURES = "".join(
    f" * ({a} start, {b} end, int steps, float base = 10.0, *, Tensor out = None, "
    "torch.dtype dtype = None, torch.layout layout = None, torch.device device = None, "
    "bool pin_memory = False, bool requires_grad = False)\n"
    for a, b in (("Tensor", "Tensor"), ("Number", "Tensor"), ("Tensor", "Number"),
                 ("Number", "Number")))


def logspace(start, end, steps, base=10.0, *, out=None, dtype=None, layout=None,
             device=None, pin_memory=False, requires_grad=False):
    """`steps` values ``base ** e`` for exponents evenly spaced from `start` to `end`.

    As torch computes them: the exponents' first half ``start + step * i``, the second half
    ``end - step * (steps - 1 - i)``, in the result dtype; for an integer dtype the bounds
    are truncated first, the exponents float64 and the powers truncated.
    """
    check_device(device)
    bounds = [_tensor_item(v) for v in (start, end)]
    base = _tensor_item(base)
    if not all(isinstance(v, (int, float, np.number, np.bool_)) for v in bounds + [base]) \
            or not _is_int(steps):
        got = ", ".join(type(a).__name__ for a in (start, end, steps))
        raise TypeError(f"logspace() received an invalid combination of arguments - got "
                        f"({got}), but expected one of:\n{_LOGSPACE_SIGNATURES}")
    steps = int(steps)
    if steps < 0:
        raise RuntimeError("number of steps must be non-negative")
    dtype = as_dtype(dtype, "logspace") or get_default_dtype()
    if dtype.kind == "b":
        raise NotImplementedError(f"\"logspace_cpu\" not implemented for "
                                  f"'{torch_type_name(dtype)}'")
    check_alloc((steps,), dtype)
    work = np.dtype(np.float64) if dtype.kind in "iu" else dtype
    first, last = ((int(v) for v in bounds) if dtype.kind in "iu" else bounds)
    first, last = work.type(first), work.type(last)
    with np.errstate(all="ignore"):
        if steps == 1:
            exponents = np.full(1, first, work)
        else:
            step = (last - first) / work.type(steps - 1)
            i = np.arange(steps).astype(work)
            exponents = np.where(np.arange(steps) < steps // 2, first + step * i,
                                 last - step * (work.type(steps - 1) - i))
        values = np.power(work.type(base), exponents.astype(work, copy=False))
        values = np.trunc(values).astype(dtype) if dtype.kind in "iu" else values
    result = _deliver(values.astype(dtype, copy=False), out, "logspace")
    if requires_grad:
        result.requires_grad_(True)
    return result
