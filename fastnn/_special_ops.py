"""Registry entries of torch's special functions that no numpy ufunc computes: erfc,
erfinv, lgamma, digamma, polygamma, mvlgamma, i0 (Numba kernels in
``fastnn.kernels.special``), sinc (numpy's formula, torch's value 1 at 0), heaviside (torch
takes integers and bools, which numpy's ufunc does not) and frexp (two outputs, torch's
int32 exponent). gcd, lcm and nextafter are numpy ufuncs and pass the ufunc door (their
dtype rules are in ``fastnn._ufunc_rules``). ldexp is input * 2 ** other in the promoted
float dtype: exact for a float input and integer exponents, else through 2 ** other in
its own float dtype (as torch's, whose float32 power overflows). Backwards are in
``fastnn._special_backward``.
"""
import math

import numpy as np

from ._args import array_arg, broadcast_shape, torch_type_name
from ._dtypes import get_default_dtype
from ._ufunc_rules import result_type
from ._registry import Attrs, NO_ATTRS, register_single
from ._runtime import launch
from ._special_methods import mvlgamma_order, polygamma_order
from .kernels import special as _special

__all__ = ["special_values"]

_KERNELS = {"erfc": "erfc", "erfinv": "erfinv", "lgamma": "lgamma", "digamma": "digamma",
            "i0": "i0"}
# the kernel names torch's refusal of a complex input gives
_COMPLEX_NAMES = {"erfc": "erfc_vml_cpu", "erfinv": "erfinv_vml_cpu",
                  "lgamma": "lgamma_vml_cpu", "digamma": "digamma", "i0": "i0_vml_cpu",
                  "polygamma": "polygamma", "mvlgamma": "lgamma_vml_cpu"}
_NATIVE = (np.dtype(np.float32), np.dtype(np.float64))


def _plain(x):
    return np.ndarray.view(x, np.ndarray)


def float_result(dtype):
    """The result dtype of a float function of `dtype`: floats (and complexes) keep theirs,
    integers and bools give the default float dtype."""
    return dtype.newbyteorder("=") if dtype.kind in "fc" else get_default_dtype()


def special_values(kernel, x, *args, dtype=None):
    """``kernel(*args, flat x, flat out)`` of the array `x` computed in `dtype` (default:
    its float result dtype); float16 is computed in float32 and rounded."""
    dtype = np.dtype(dtype) if dtype is not None else float_result(x.dtype)
    work = dtype if dtype in _NATIVE else np.dtype(np.float32)
    flat = np.ascontiguousarray(x, dtype=work).reshape(-1)
    out = np.empty(flat.size, work)
    launch(kernel, *args, flat, out, work=flat.size * 16)
    return out.reshape(np.shape(x)).astype(dtype, copy=False)


def _refuse_complex(name, x):
    if x.dtype.kind == "c":
        raise NotImplementedError(f"\"{_COMPLEX_NAMES[name]}\" not implemented for "
                                  f"'{torch_type_name(x.dtype)}'")


def _unary_meta(inputs, attrs):
    x = inputs[0]
    return x.shape, float_result(x.dtype)


def _write(out, values):
    out[...] = values


# ------------------------------------------------------------------ one-input kernels

def _unary_entry(name):
    kernel = _KERNELS[name]

    def normalize(input):
        x = _plain(input)
        _refuse_complex(name, x)
        return (x,), NO_ATTRS

    def run(inputs, attrs, out):
        _write(out, special_values(getattr(_special, kernel), inputs[0], dtype=out.dtype))

    register_single(name, normalize, _unary_meta, run, arrays=lambda input: (_plain(input),))


for _name in _KERNELS:
    _unary_entry(_name)


# ------------------------------------------------------------------ polygamma

def _polygamma_normalize(n, input):
    x = _plain(input)
    _refuse_complex("polygamma", x)
    return (x,), Attrs(n=polygamma_order(n))


def _polygamma_run(inputs, attrs, out):
    _write(out, special_values(_special.polygamma, inputs[0], attrs.n, dtype=out.dtype))


register_single("polygamma", _polygamma_normalize, _unary_meta, _polygamma_run,
                arrays=lambda n, input: (_plain(input),))


# ------------------------------------------------------------------ mvlgamma

def _mvlgamma_normalize(input, p):
    x = _plain(input)
    p = mvlgamma_order(p)
    if x.dtype == np.bool_:
        raise RuntimeError("The input tensor may not be a boolean tensor.")
    if p < 1:
        raise RuntimeError("p has to be greater than or equal to 1")
    _refuse_complex("mvlgamma", x)
    return (x,), Attrs(p=p)


def mvlgamma_shifts(p, dtype):
    """torch's ``arange(-p / 2 + 0.5, 0.5, 0.5)``: the shifts of x summed over."""
    return np.arange(-p / 2 + 0.5, 0.5, 0.5).astype(dtype)


def _mvlgamma_run(inputs, attrs, out):
    p, dtype = attrs.p, out.dtype
    x = inputs[0].astype(dtype, copy=False)
    with np.errstate(all="ignore"):
        terms = special_values(_special.lgamma, x[..., None] + mvlgamma_shifts(p, dtype))
        total = terms.sum(-1, dtype=dtype) + dtype.type(p * (p - 1) * math.log(math.pi) / 4)
    _write(out, total)


register_single("mvlgamma", _mvlgamma_normalize, _unary_meta, _mvlgamma_run,
                arrays=lambda input, p: (_plain(input),))


# ------------------------------------------------------------------ sinc

def _sinc_normalize(input):
    return (_plain(input),), NO_ATTRS


def _sinc_run(inputs, attrs, out):
    x = inputs[0].astype(out.dtype, copy=False)
    with np.errstate(all="ignore"):
        y = x * out.dtype.type(math.pi)
        _write(out, np.where(x == 0, out.dtype.type(1), np.sin(y) / y))


register_single("sinc", _sinc_normalize, _unary_meta, _sinc_run,
                arrays=lambda input: (_plain(input),))


# ------------------------------------------------------------------ heaviside

def _heaviside_normalize(input, values):
    x = _plain(input)
    v = array_arg(values, "heaviside", "values", 2)
    if x.dtype != v.dtype:
        raise RuntimeError("heaviside is not yet implemented for tensors with different "
                           "dtypes.")
    broadcast_shape(x.shape, v.shape)
    return (x, v), NO_ATTRS


def _heaviside_meta(inputs, attrs):
    x, v = inputs
    return broadcast_shape(x.shape, v.shape), x.dtype.newbyteorder("=")


def _heaviside_run(inputs, attrs, out):
    x, v = inputs
    _write(out, np.where(x == 0, v, x > 0))


register_single("heaviside", _heaviside_normalize, _heaviside_meta, _heaviside_run,
                arrays=lambda input, values: (_plain(input), _plain(values)))


# ------------------------------------------------------------------ frexp

def _frexp_normalize(input):
    x = _plain(input)
    if x.dtype.kind != "f":
        raise RuntimeError("torch.frexp() only supports floating-point dtypes")
    return (x,), NO_ATTRS


def _frexp_meta(inputs, attrs):
    x = inputs[0]
    return [(x.shape, x.dtype.newbyteorder("=")), (x.shape, np.dtype(np.int32))]


def _frexp_run(inputs, attrs, out):
    mantissa, exponent = out
    with np.errstate(all="ignore"):
        m, e = np.frexp(inputs[0])
    _write(mantissa, m)
    _write(exponent, np.where(np.isfinite(inputs[0]), e, 0))


register_single("frexp", _frexp_normalize, _frexp_meta, _frexp_run,
                arrays=lambda input: (_plain(input),))


# ------------------------------------------------------------------ ldexp

def _ldexp_normalize(input, other):
    x = _plain(input)
    e = array_arg(other, "ldexp", "other", 2)
    broadcast_shape(x.shape, e.shape)
    return (x, e), NO_ATTRS


def _ldexp_meta(inputs, attrs):
    x, e = inputs
    return broadcast_shape(x.shape, e.shape), float_result(result_type([x, e]))


def _ldexp_run(inputs, attrs, out):
    x, e = inputs
    with np.errstate(all="ignore"):
        if e.dtype.kind in "biu" and x.dtype.kind == "f":
            # exact scaling: finite wherever the result fits
            values = np.ldexp(x.astype(np.float64), np.clip(e, -2**31, 2**31 - 1)
                              .astype(np.int32))
        else:
            # 2 ** other in its float dtype (the result's for an integer one), as torch:
            # 0 * 2 ** 140 is NaN in float32
            power = np.exp2(e.astype(e.dtype if e.dtype.kind == "f" else out.dtype))
            values = x.astype(out.dtype) * power
        _write(out, values.astype(out.dtype))


register_single("ldexp", _ldexp_normalize, _ldexp_meta, _ldexp_run,
                arrays=lambda input, other: (_plain(input), _plain(other)))
