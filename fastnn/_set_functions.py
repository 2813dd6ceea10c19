"""Membership and runs of values: ``fastnn.isin``, ``unique_consecutive`` (the method of
`fastnn._set_methods`) and ``combinations``, each a composition of the door's ops (sort,
searchsorted, comparisons, index), so autograd reaches what is differentiable."""
import itertools

import numpy as np

from ._args import bool_arg, int_arg, invalid_combination, is_number, torch_typename
from ._functions import _tensor
from ._ufunc_rules import result_type
from ._value_functions import searchsorted

__all__ = ["isin", "unique_consecutive", "combinations"]

_ISIN_OVERLOADS = [
    "(Tensor elements, Tensor test_elements, *, bool assume_unique = False, bool invert = "
    "False, Tensor out = None)",
    "(Number element, Tensor test_elements, *, bool assume_unique = False, bool invert = "
    "False, Tensor out = None)",
    "(Tensor elements, Number test_element, *, bool assume_unique = False, bool invert = "
    "False, Tensor out = None)"]
_TORCH_NAMES = {"bool": "Bool", "complex64": "ComplexFloat", "complex128": "ComplexDouble"}


def _isin_operand(value):
    return "Tensor" if isinstance(value, np.ndarray) else torch_typename(value)


def isin(elements, test_elements, *, assume_unique=False, invert=False):
    """Whether each element of `elements` is in `test_elements` (either side may be a
    number, not both), as a bool tensor of `elements`' shape; `invert` negates
    (``torch.isin``). Both sides are compared in their promoted dtype; NaN is in nothing."""
    sides = (elements, test_elements)
    kinds = [isinstance(v, np.ndarray) for v in sides]
    flags = {"assume_unique": assume_unique, "invert": invert}
    if (not all(k or is_number(v) for k, v in zip(kinds, sides)) or not any(kinds)
            or any(f is not True and f is not False for f in flags.values())):
        got = [_isin_operand(v) for v in sides] + [
            f"{name}={torch_typename(f)}" for name, f in flags.items()
            if f is not True and f is not False]
        raise invalid_combination("isin", got, _ISIN_OVERLOADS)
    for value in sides:
        dtype = value.dtype if isinstance(value, np.ndarray) else np.asarray(value).dtype
        if dtype.kind in "bc":
            raise RuntimeError("Unsupported input type encountered for isin(): "
                               f"{_TORCH_NAMES[dtype.name]}")
    common = result_type(sides)
    like = _tensor(elements if kinds[0] else test_elements, "isin")
    elements, test = (_tensor(v, "isin").to(common) if k else like.new_full((), v, dtype=common)
                      for k, v in zip(kinds, sides))
    found = _contained(elements, test.reshape(-1))
    return found.logical_not() if invert else found


def _contained(elements, test):
    """Where `elements` equal some value of the 1-D `test`: a binary search in its sorted
    values (a direct comparison when it is empty)."""
    if test.shape[0] == 0:
        return elements.unsqueeze(-1).eq(test).any(-1)
    ordered = test.sort()[0]
    at = searchsorted(ordered, elements).clamp(max=test.shape[0] - 1)
    return ordered.take(at).eq(elements)


def unique_consecutive(*args, **kwargs):
    """``unique_consecutive(input, return_inverse=False, return_counts=False, dim=None)``:
    `input`'s values (or slices along `dim`) with each run of equal neighbours kept once;
    with each element's run and each run's length on request
    (``torch.unique_consecutive``; `fastnn._set_methods`).

    As torch's, this function chooses what it returns by `return_inverse` given by keyword
    or else by the THIRD positional argument, and by `return_counts` given by keyword or
    else by the SECOND: ``unique_consecutive(x, True)`` returns (values, counts), and
    a tensor not asked for by the arguments themselves is empty, unless `dim` is given
    (other than 0 for a 1-D tensor), when torch computes both."""
    def flag(name, index):
        return kwargs[name] if name in kwargs else args[index] if len(args) > index else False

    want_inverse, want_counts = flag("return_inverse", 2), flag("return_counts", 1)
    values, inverse, counts = _all_runs(*args, **kwargs)
    result = (values,) + ((inverse,) if want_inverse else ()) + (
        (counts,) if want_counts else ())
    return result[0] if len(result) == 1 else result


def _all_runs(input, return_inverse=False, return_counts=False, dim=None):
    x = _tensor(input, "unique_consecutive")
    values, inverse, counts = x.unique_consecutive(True, True, dim)
    if dim is None or (dim == 0 and x.ndim == 1):     # torch's path without a dim
        empty = x.new_zeros(0, dtype=np.int64)
        inverse = inverse if return_inverse else empty
        counts = counts if return_counts else empty
    return values, inverse, counts


def combinations(input, r=2, with_replacement=False):
    """The length-`r` combinations of the 1-D `input`'s elements, one per row, in
    lexicographic order of their positions (``torch.combinations``)."""
    x = _tensor(input, "combinations")
    r = int_arg(r, "combinations", "r", 2)
    with_replacement = bool_arg(with_replacement, "combinations", "with_replacement", 3)
    if x.ndim != 1:
        raise RuntimeError(f"Expect a 1D vector, but got shape {list(x.shape)}")
    if r < 0:
        raise RuntimeError(f"Expect a non-negative number, but got {r}")
    if r == 0:
        return x.new_empty(0)
    pick = itertools.combinations_with_replacement if with_replacement else (
        itertools.combinations)
    index = np.fromiter(itertools.chain.from_iterable(pick(range(x.shape[0]), r)),
                        np.int64).reshape(-1, r)
    return x[index]
