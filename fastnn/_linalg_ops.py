"""Registry entries of bmm and einsum. bmm is numpy's matmul on two 3-d tensors of one
dtype, into the door's output. einsum parses the equation as torch does (its errors, in
its words; size-1 dims broadcast) and runs numpy.einsum on the operands, which may answer
with a view of an operand where torch does too (``'ij->ji'``).
"""
import numpy as np

from ._args import torch_type_name
from ._registry import Attrs, NO_ATTRS, register_single

__all__ = []


def _plain(x):
    return np.ndarray.view(x, np.ndarray) if isinstance(x, np.ndarray) else np.asarray(x)


def _check_same_dtype(arrays):
    first = arrays[0].dtype
    for a in arrays[1:]:
        if a.dtype != first:
            raise RuntimeError(f"expected scalar type {torch_type_name(first)} but found "
                               f"{torch_type_name(a.dtype)}")


# ------------------------------------------------------------------ bmm

def _bmm_normalize(input, mat2):
    a, b = _plain(input), _plain(mat2)
    if a.ndim != 3:
        raise RuntimeError("batch1 must be a 3D tensor")
    if b.ndim != 3:
        raise RuntimeError("batch2 must be a 3D tensor")
    if b.shape[:2] != (a.shape[0], a.shape[2]):
        raise RuntimeError(f"Expected size for first two dimensions of batch2 tensor to be: "
                           f"[{a.shape[0]}, {a.shape[2]}] but got: [{b.shape[0]}, "
                           f"{b.shape[1]}].")
    _check_same_dtype((a, b))
    return (a, b), NO_ATTRS


def _bmm_arrays(input, mat2):
    return _plain(input), _plain(mat2)


def _bmm_meta(inputs, attrs):
    a, b = inputs
    return (a.shape[0], a.shape[1], b.shape[2]), a.dtype


def _bmm_run(inputs, attrs, out):
    np.matmul(inputs[0], inputs[1], out=out)


# ------------------------------------------------------------------ einsum

def _invalid_subscript(position):
    return RuntimeError(f"einsum(): invalid subscript given at index {position} in the "
                        f"equation string, subscripts must be in [a-zA-Z]")


def _parse_terms(equation, count):
    """The operands' subscripts: one list per operand of letters and '...'."""
    lhs = equation.split("->", 1)[0]
    terms, dots, found = [[]], 0, False
    for position, char in enumerate(lhs):
        if char == " ":
            continue
        if char == ".":
            if found:
                raise RuntimeError(f"einsum(): found '.' for operand {len(terms) - 1} for "
                                   f"which an ellipsis was already found")
            dots += 1
            if dots == 3:
                terms[-1].append("...")
                found, dots = True, 0
            continue
        if dots:
            raise RuntimeError(f"einsum(): found '.' for operand {len(terms) - 1} that is "
                               f"not part of any ellipsis")
        if char == ",":
            if len(terms) == count:
                raise RuntimeError("einsum(): fewer operands were provided than specified "
                                   "in the equation")
            terms.append([])
            found = False
            continue
        if not ("a" <= char <= "z" or "A" <= char <= "Z"):
            raise _invalid_subscript(position)
        terms[-1].append(char)
    if dots:
        raise RuntimeError(f"einsum(): found '.' for operand {len(terms) - 1} that is not "
                           f"part of any ellipsis")
    if len(terms) < count:
        raise RuntimeError("einsum(): more operands were provided than specified in the "
                           "equation")
    return terms


def _parse_output(equation, terms):
    """The output's subscripts (torch's implicit form without an arrow: the ellipsis,
    then every letter seen once, uppercase before lowercase)."""
    seen = [s for term in terms for s in term]
    if "->" not in equation:
        singles = sorted(s for s in set(seen) if s != "..." and seen.count(s) == 1)
        return (["..."] if "..." in seen else []) + singles
    start = equation.index("->") + 2
    output, dots = [], 0
    for position, char in enumerate(equation[start:], start):
        if char == " ":
            continue
        if char == ".":
            if "..." in output:
                raise RuntimeError("einsum(): found '.' for output but an ellipsis (...) "
                                   "was already found")
            dots += 1
            if dots == 3:
                output.append("...")
                dots = 0
            continue
        if dots:
            raise RuntimeError("einsum(): found '.' for output that is not part of any "
                               "ellipsis (...)")
        if not ("a" <= char <= "z" or "A" <= char <= "Z"):
            raise _invalid_subscript(position)
        if char in output:
            raise RuntimeError(f"einsum(): output subscript {char} appears more than once "
                               f"in the output")
        if char not in seen:
            raise RuntimeError(f"einsum(): output subscript {char} does not appear in the "
                               f"equation for any input operand")
        output.append(char)
    if dots:
        raise RuntimeError("einsum(): found '.' for output that is not part of any "
                           "ellipsis (...)")
    return output


def _check_dims(terms, arrays):
    """torch's subscript-count and size checks; the sizes size-1 dims broadcast to."""
    sizes = {}
    for i, (term, a) in enumerate(zip(terms, arrays)):
        letters = [s for s in term if s != "..."]
        if "..." in term:
            if len(letters) > a.ndim:
                raise RuntimeError(f"einsum(): the number of subscripts in the equation "
                                   f"({len(letters)}) is more than the number of dimensions "
                                   f"({a.ndim}) for operand {i}")
        elif len(letters) != a.ndim:
            raise RuntimeError(f"einsum(): the number of subscripts in the equation "
                               f"({len(letters)}) does not match the number of dimensions "
                               f"({a.ndim}) for operand {i} and no ellipsis was given")
        for s, d in _labelled_dims(term, a.ndim):
            n, seen = a.shape[d], sizes.get(s)
            if seen is None or seen == 1:
                sizes[s] = n
            elif n != 1 and n != seen:
                raise RuntimeError(f"einsum(): subscript {s} has size {n} for operand {i} "
                                   f"which does not broadcast with previously seen size "
                                   f"{seen}")
    return sizes


def _labelled_dims(term, ndim):
    """(letter, dim) of each lettered dim of an operand of `ndim` dims (after '...')."""
    if "..." not in term:
        return list(zip(term, range(ndim)))
    cut = term.index("...")
    tail = len(term) - cut - 1
    return list(zip(term[:cut], range(cut))) + list(zip(term[cut + 1:],
                                                         range(ndim - tail, ndim)))


def _einsum_normalize(equation, *operands):
    if not isinstance(equation, str):
        raise TypeError(f"einsum(): argument 'equation' (position 1) must be str, not "
                        f"{type(equation).__name__}")
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    if not operands:
        raise ValueError("einsum(): must specify the equation string and at least one "
                         "operand, or at least one operand and its subscripts list")
    for i, a in enumerate(operands):
        if not isinstance(a, np.ndarray) and not hasattr(a, "__array__"):
            raise TypeError(f"expected Tensor as element {i} in argument 1, but got "
                            f"{type(a).__name__}")
    arrays = tuple(_plain(a) for a in operands)
    terms = _parse_terms(equation, len(arrays))
    output = _parse_output(equation, terms)
    sizes = _check_dims(terms, arrays)
    _check_same_dtype(arrays)
    return arrays, Attrs(terms=tuple(tuple(t) for t in terms), output=tuple(output),
                         sizes=tuple(sorted(sizes.items())))


def _einsum_run(inputs, attrs, out):
    sizes = dict(attrs.sizes)
    arrays = []
    for term, a in zip(attrs.terms, inputs):
        wanted = list(a.shape)
        for s, d in _labelled_dims(term, a.ndim):
            wanted[d] = sizes[s]
        arrays.append(a if tuple(wanted) == a.shape else np.broadcast_to(a, wanted))
    equation = ",".join("".join(t) for t in attrs.terms) + "->" + "".join(attrs.output)
    # a 0-d result comes back from numpy as a scalar
    return np.asarray(np.einsum(equation, *arrays, optimize=len(arrays) > 1))


register_single("bmm", _bmm_normalize, _bmm_meta, _bmm_run, arrays=_bmm_arrays)
register_single("einsum", _einsum_normalize, lambda inputs, attrs: None, _einsum_run)
