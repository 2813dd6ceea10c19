"""scatter with a reduction (scatter_add, ``scatter(reduce='add'|'multiply')``): one
serial loop over the index, in index order, as torch's CPU loop runs (repeated offsets
accumulate one after another, so float rounding follows the same order). numpy's
``ufunc.at`` does the same work several times slower: `python
benchmarks/tensor_functions.py`.
"""
from ._target import njit


@njit(cache=True)
def scatter_reduce_flat(target, offsets, values, multiply):
    """target[offsets[k]] (+|*)= values[k] for k in order (1-d arrays; offsets checked)."""
    if multiply:
        for k in range(offsets.size):
            target[offsets[k]] *= values[k]
    else:
        for k in range(offsets.size):
            target[offsets[k]] += values[k]
