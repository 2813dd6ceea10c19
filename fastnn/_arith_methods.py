"""torch's arithmetic Tensor methods: add, sub, mul, div (with the aliases subtract,
multiply, divide, true_divide), neg (negative), clamp_min/clamp_max, and the in-place
forms add_, sub_, mul_, div_, neg_, clamp_, clamp_min_, clamp_max_. The top-level
functions (`fastnn._arith_functions`) run the same code: `input` is a Tensor here, or a
number when `other` is one (``torch.add(2, x)``).

Each runs the ufunc of the Tensor operator it spells (``a + b`` is ``np.add`` on Tensors),
so torch's type promotion and errors (`fastnn._ufunc_rules`), the op door and autograd
apply exactly as for the operator. What torch adds on top is checked here: `alpha` (added
or subtracted as ``alpha * other``) and div's `rounding_mode`.
"""
import numpy as np

from ._dtypes import category
from ._args import is_number, torch_typename
from ._ufunc_rules import check_output_cast, result_type

_BOOL, _INTEGER, _FLOATING, _COMPLEX = range(4)

__all__ = ["ArithmeticMethods", "add", "sub", "mul", "div", "neg", "clamp_min",
           "clamp_max"]


def _category(*values):
    """The category of torch's result type of `values` (`fastnn._dtypes.category`: 0 bool,
    1 integer, 2 floating, 3 complex); None for what is no number or array."""
    dtype = result_type(values)
    return None if dtype is None else category(dtype)


def _scaled(input, other, alpha):
    """`other` times `alpha`, checked as torch checks alpha against the result's dtype."""
    result, alpha_category = _category(input, other), _category(alpha)
    if result is None or alpha_category is None:      # the ufunc refuses it
        return other if alpha == 1 else np.multiply(other, alpha)
    if alpha_category == _BOOL and result != _BOOL:
        raise RuntimeError("Boolean alpha only supported for Boolean results.")
    if result <= _INTEGER and alpha_category >= _FLOATING:
        raise RuntimeError("For integral input tensors, argument alpha must not be a "
                           "floating point number.")
    if result != _COMPLEX and alpha_category == _COMPLEX:
        raise RuntimeError("For non-complex input tensors, argument alpha must not be a "
                           "complex number.")
    if alpha_category != _BOOL and alpha == 1:
        return other
    if result == _BOOL:             # bool + bool * alpha: alpha only says whether to add
        return np.logical_and(other, bool(alpha))
    return np.multiply(other, alpha)


def _out(out):
    return {} if out is None else {"out": (out,)}


def checked_other(other, fn, position):
    """`other`, a tensor or a number, or torch's TypeError naming it (the ufunc would take
    a list or a str as numpy does)."""
    if isinstance(other, np.ndarray) or is_number(other):
        return other
    raise TypeError(f"{fn}(): argument 'other' (position {position}) must be Tensor, not "
                    f"{torch_typename(other)}")


def add(input, other, *, alpha=1, out=None):
    """``torch.add``: input + alpha * other, with torch's result dtype."""
    return np.add(input, _scaled(input, other, alpha), **_out(out))


def sub(input, other, *, alpha=1, out=None):
    """``torch.sub``: input - alpha * other (torch refuses two bool tensors)."""
    bools = [_category(input), _category(other)].count(_BOOL)   # checked before alpha
    if bools == 2:
        raise RuntimeError("Subtraction, the `-` operator, with two bool tensors is not "
                           "supported. Use the `^` or `logical_xor()` operator instead.")
    if bools:
        raise RuntimeError("Subtraction, the `-` operator, with a bool tensor is not "
                           "supported. If you are trying to invert a mask, use the `~` or "
                           "`logical_not()` operator instead.")
    return np.subtract(input, _scaled(input, other, alpha), **_out(out))


def mul(input, other, *, out=None):
    """``torch.mul``: input * other, with torch's result dtype."""
    return np.multiply(input, other, **_out(out))


def div(input, other, *, rounding_mode=None, out=None):
    """``torch.div``: true division, or rounded toward zero (``'trunc'``) or down
    (``'floor'``); integer inputs stay integers when rounded (a zero divisor raises)."""
    if rounding_mode is None:
        return np.true_divide(input, other, **_out(out))
    if not isinstance(rounding_mode, str):
        raise TypeError(f"div(): argument 'rounding_mode' must be str, not "
                        f"{type(rounding_mode).__name__}")
    if rounding_mode == "floor":
        return np.floor_divide(input, other, **_out(out))
    if rounding_mode != "trunc":
        raise RuntimeError(f"div expected rounding_mode to be one of None, 'trunc', or "
                           f"'floor' but found '{rounding_mode}'")
    result = _category(input, other)
    if result == _BOOL:
        raise NotImplementedError('"div_trunc_cpu" not implemented for \'Bool\'')
    if result is None or result >= _FLOATING:
        return np.trunc(np.true_divide(input, other), **_out(out))
    down = np.floor_divide(input, other)
    # floor and trunc differ where the quotient is negative and not whole: one up
    other_negative = np.less(other, 0)
    up = np.logical_and(np.not_equal(np.remainder(input, other), 0),
                        np.not_equal(np.less(input, 0), other_negative))
    return np.add(down, up, **_out(out)) if out is not None else down + up


def neg(input, *, out=None):
    """``torch.neg``: -input (torch refuses bool)."""
    return np.negative(input, **_out(out))


def clamp_min(input, min):
    """``torch.clamp_min``: ``clamp(input, min=min)``."""
    return input.clamp(min=min)


def clamp_max(input, max):
    """``torch.clamp_max``: ``clamp(input, max=max)``."""
    return input.clamp(max=max)


class ArithmeticMethods:
    """add, sub, mul, div, neg, clamp_min, clamp_max and their in-place forms (which
    keep the tensor's dtype: torch refuses a result that does not cast to it)."""

    def add(self, other, *, alpha=1):
        """``self + alpha * other``."""
        return add(self, checked_other(other, "add", 1), alpha=alpha)

    def sub(self, other, *, alpha=1):
        """``self - alpha * other``."""
        return sub(self, checked_other(other, "sub", 1), alpha=alpha)

    def mul(self, other):
        """``self * other``."""
        return mul(self, checked_other(other, "mul", 1))

    def div(self, other, *, rounding_mode=None):
        """``self / other``, or rounded (`rounding_mode` 'trunc' or 'floor')."""
        return div(self, checked_other(other, "div", 1), rounding_mode=rounding_mode)

    def neg(self):
        """``-self``."""
        return neg(self)

    def clamp_min(self, min):
        """``clamp(min=min)``."""
        return clamp_min(self, min)

    def clamp_max(self, max):
        """``clamp(max=max)``."""
        return clamp_max(self, max)

    subtract, multiply, divide, true_divide, negative = sub, mul, div, div, neg

    def add_(self, other, *, alpha=1):
        """In-place :meth:`add`."""
        return add(self, checked_other(other, "add_", 1), alpha=alpha, out=self)

    def sub_(self, other, *, alpha=1):
        """In-place :meth:`sub`."""
        return sub(self, checked_other(other, "sub_", 1), alpha=alpha, out=self)

    def mul_(self, other):
        """In-place :meth:`mul`."""
        return mul(self, checked_other(other, "mul_", 1), out=self)

    def div_(self, other, *, rounding_mode=None):
        """In-place :meth:`div`."""
        return div(self, checked_other(other, "div_", 1), rounding_mode=rounding_mode,
                   out=self)

    def neg_(self):
        """In-place :meth:`neg`."""
        return neg(self, out=self)

    def clamp_(self, min=None, max=None):
        """In-place :meth:`clamp`."""
        return _clamp_in_place(self, min, max)

    def clamp_min_(self, min):
        """In-place :meth:`clamp_min`."""
        return _clamp_in_place(self, min, None)

    def clamp_max_(self, max):
        """In-place :meth:`clamp_max`."""
        return _clamp_in_place(self, None, max)

    subtract_, multiply_, divide_, true_divide_, negative_ = sub_, mul_, div_, div_, neg_
    clip_ = clamp_


def _clamp_in_place(tensor, min, max):
    """clamp into `tensor` itself (`written_back`; torch's in-place clamp names the output
    type in C++)."""
    return written_back(tensor, lambda source: source.clamp(min, max), c_name=True)


def written_back(tensor, compute, c_name=False):
    """An out-of-place op made in-place: ``compute(source)``, then torch's check that its
    dtype can be written into `tensor` (before anything is written), then copy_, which
    records the write (autograd's version counter; a leaf that requires grad is refused
    there). A tensor that requires grad is computed from a clone, so what the op saves is
    not the memory the write changes."""
    source = tensor.clone() if tensor.requires_grad else tensor
    result = compute(source)
    check_output_cast(result.dtype, tensor.dtype, c_name=c_name)
    return tensor.copy_(result)
