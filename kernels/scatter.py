"""scatter with a reduction (scatter_add, ``scatter(reduce='add'|'multiply')``,
scatter_reduce, index_add): one serial loop over the index, in index order, as torch's CPU
loop runs (repeated offsets
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


@njit(cache=True)
def scatter_extreme_flat(target, offsets, values, maximum):
    """target[offsets[k]] = max|min(target[offsets[k]], values[k]) for k in order, NaN
    propagating from either side as in torch's scatter_reduce amax/amin (1-d arrays)."""
    if maximum:
        for k in range(offsets.size):
            v = values[k]
            if v != v or v > target[offsets[k]]:
                target[offsets[k]] = v
    else:
        for k in range(offsets.size):
            v = values[k]
            if v != v or v < target[offsets[k]]:
                target[offsets[k]] = v


@njit(cache=True)
def scatter_axpy_flat(target, offsets, values, alpha):
    """target[offsets[k]] += alpha * values[k] for k in order, computed in alpha's type (a
    float64 alpha: float32 targets round once per step, as torch's fused multiply-add)."""
    for k in range(offsets.size):
        target[offsets[k]] = target[offsets[k]] + alpha * values[k]
