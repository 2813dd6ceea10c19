"""Selection kernels of torch's order statistics: which element of each row is its median
(``median``/``nanmedian``), its k-th smallest (``kthvalue``) or its most frequent value
(``mode``).

Among equal values the index torch returns depends on the algorithm its CPU kernels run,
so these run the same algorithms, step for step: the C++ standard library's
``nth_element`` (introselect) for the medians, ``sort`` (introsort with a final insertion
sort) for the mode, and the median-of-three quickselect of torch's ``kthvalue``. A row is a
pair of arrays, values and original indices, moved together; only the indices are
written out (the caller takes the values from the input through them).

Rows are C-contiguous float64 or int64 (the caller widens narrower types: the order and
the equalities of the values stay the same). The loops that the standard library leaves
unguarded, trusting a sentinel that NaNs can remove, stop at the row's ends here.
"""
import numpy as np

from ._target import njit

# comparisons: plain `<` (mode); `<` with ties broken by index (median); the same with
# NaN above every number (nanmedian)
LESS, LESS_INDEX, LESS_INDEX_NAN_LAST = 0, 1, 2
_THRESHOLD = 16       # the standard library's insertion-sort cut-off in sort


@njit(cache=True)
def _less(kind, va, ia, vb, ib):
    if va < vb:
        return True
    if kind == LESS:
        return False
    if va == vb and ia < ib:
        return True
    return kind == LESS_INDEX_NAN_LAST and vb != vb and va == va


@njit(cache=True)
def _swap(v, i, a, b):
    v[a], v[b] = v[b], v[a]
    i[a], i[b] = i[b], i[a]


@njit(cache=True)
def _lg(n):
    k = 0
    while n > 1:
        n >>= 1
        k += 1
    return k


@njit(cache=True)
def _move_median_to_first(kind, v, i, result, a, b, c):
    if _less(kind, v[a], i[a], v[b], i[b]):
        if _less(kind, v[b], i[b], v[c], i[c]):
            _swap(v, i, result, b)
        elif _less(kind, v[a], i[a], v[c], i[c]):
            _swap(v, i, result, c)
        else:
            _swap(v, i, result, a)
    elif _less(kind, v[a], i[a], v[c], i[c]):
        _swap(v, i, result, a)
    elif _less(kind, v[b], i[b], v[c], i[c]):
        _swap(v, i, result, c)
    else:
        _swap(v, i, result, b)


@njit(cache=True)
def _unguarded_partition(kind, v, i, first, last, pivot):
    end = last
    while True:
        while first < end - 1 and _less(kind, v[first], i[first], v[pivot], i[pivot]):
            first += 1
        last -= 1
        while last > pivot and _less(kind, v[pivot], i[pivot], v[last], i[last]):
            last -= 1
        if not first < last:
            return first
        _swap(v, i, first, last)
        first += 1


@njit(cache=True)
def _partition_pivot(kind, v, i, first, last):
    mid = first + (last - first) // 2
    _move_median_to_first(kind, v, i, first, first + 1, mid, last - 1)
    return _unguarded_partition(kind, v, i, first + 1, last, first)


@njit(cache=True)
def _linear_insert(kind, v, i, last, lowest):
    """Move v[last] down past the larger elements before it (not below `lowest`)."""
    value, index = v[last], i[last]
    nxt = last - 1
    while nxt >= lowest and _less(kind, value, index, v[nxt], i[nxt]):
        v[last], i[last] = v[nxt], i[nxt]
        last = nxt
        nxt -= 1
    v[last], i[last] = value, index


@njit(cache=True)
def _insertion_sort(kind, v, i, first, last):
    for k in range(first + 1, last):
        if _less(kind, v[k], i[k], v[first], i[first]):
            value, index = v[k], i[k]
            for m in range(k, first, -1):
                v[m], i[m] = v[m - 1], i[m - 1]
            v[first], i[first] = value, index
        else:
            _linear_insert(kind, v, i, k, 0)


@njit(cache=True)
def _adjust_heap(kind, v, i, first, hole, length, value, index):
    top = hole
    child = hole
    while child < (length - 1) // 2:
        child = 2 * (child + 1)
        if _less(kind, v[first + child], i[first + child],
                 v[first + child - 1], i[first + child - 1]):
            child -= 1
        v[first + hole], i[first + hole] = v[first + child], i[first + child]
        hole = child
    if length & 1 == 0 and child == (length - 2) // 2:
        child = 2 * (child + 1)
        v[first + hole], i[first + hole] = v[first + child - 1], i[first + child - 1]
        hole = child - 1
    parent = (hole - 1) // 2
    while hole > top and _less(kind, v[first + parent], i[first + parent], value, index):
        v[first + hole], i[first + hole] = v[first + parent], i[first + parent]
        hole = parent
        parent = (hole - 1) // 2
    v[first + hole], i[first + hole] = value, index


@njit(cache=True)
def _pop_heap(kind, v, i, first, last, result):
    value, index = v[result], i[result]
    v[result], i[result] = v[first], i[first]
    _adjust_heap(kind, v, i, first, 0, last - first, value, index)


@njit(cache=True)
def _heap_select(kind, v, i, first, middle, last):
    length = middle - first
    if length >= 2:
        parent = (length - 2) // 2
        while True:
            _adjust_heap(kind, v, i, first, parent, length, v[first + parent],
                         i[first + parent])
            if parent == 0:
                break
            parent -= 1
    for k in range(middle, last):
        if _less(kind, v[k], i[k], v[first], i[first]):
            _pop_heap(kind, v, i, first, middle, k)


@njit(cache=True)
def _nth_element(kind, v, i, nth):
    """The standard library's nth_element over the whole row."""
    first, last = 0, v.size
    if nth == last:
        return
    depth = 2 * _lg(last - first)
    while last - first > 3:
        if depth == 0:
            _heap_select(kind, v, i, first, nth + 1, last)
            _swap(v, i, first, nth)
            return
        depth -= 1
        cut = _partition_pivot(kind, v, i, first, last)
        if cut <= nth:
            first = cut
        else:
            last = cut
    _insertion_sort(kind, v, i, first, last)


@njit(cache=True)
def _sort(kind, v, i):
    """The standard library's sort over the whole row (its recursion as a stack: the parts
    are disjoint, so the order they are done in changes nothing)."""
    n = v.size
    if n < 2:
        return
    stack = np.empty((2 * _lg(n) + 2, 3), np.int64)
    stack[0, 0], stack[0, 1], stack[0, 2] = 0, n, 2 * _lg(n)
    top = 1
    while top:
        top -= 1
        first, last, depth = stack[top, 0], stack[top, 1], stack[top, 2]
        while last - first > _THRESHOLD:
            if depth == 0:
                _heap_select(kind, v, i, first, last, last)
                while last - first > 1:
                    last -= 1
                    _pop_heap(kind, v, i, first, last, last)
                break
            depth -= 1
            cut = _partition_pivot(kind, v, i, first, last)
            stack[top, 0], stack[top, 1], stack[top, 2] = cut, last, depth
            top += 1
            last = cut
    if n > _THRESHOLD:
        _insertion_sort(kind, v, i, 0, _THRESHOLD)
        for k in range(_THRESHOLD, n):
            _linear_insert(kind, v, i, k, 0)
    else:
        _insertion_sort(kind, v, i, 0, n)


@njit(cache=True)
def median_indices(rows, ignore_nan, out):
    """out[r] = the index of row r's median (the lower of the two middle values): the first
    NaN of a row that has one, unless `ignore_nan`, which takes the median of the numbers
    (all NaN: whichever NaN nth_element leaves in front)."""
    size = rows.shape[1]
    for r in range(rows.shape[0]):
        row = rows[r]
        found = -1
        nans = 0
        for k in range(size):
            if row[k] != row[k]:
                nans += 1
                if found < 0:
                    found = k
        if found >= 0 and not ignore_nan:
            out[r] = found
            continue
        v = row.copy()
        i = np.arange(size)
        numbers = size - nans if ignore_nan else size
        nth = (numbers - 1) // 2 if numbers > 0 else 0
        _nth_element(LESS_INDEX_NAN_LAST if ignore_nan else LESS_INDEX, v, i, nth)
        out[r] = i[nth]


@njit(cache=True)
def kthvalue_indices(rows, k, out):
    """out[r] = the index of row r's k-th smallest value (1-based; NaN above every number),
    by torch's quickselect."""
    size = rows.shape[1]
    k -= 1
    for r in range(rows.shape[0]):
        v = rows[r].copy()
        i = np.arange(size)
        lo, hi = 0, size - 1
        while hi > lo:
            if hi == lo + 1:
                if _greater_or_nan(v[lo], v[hi]):
                    _swap(v, i, lo, hi)
                break
            _swap(v, i, (lo + hi) >> 1, lo + 1)
            if _greater_or_nan(v[lo + 1], v[hi]):
                _swap(v, i, lo + 1, hi)
            if _greater_or_nan(v[lo], v[hi]):
                _swap(v, i, lo, hi)
            if _greater_or_nan(v[lo + 1], v[lo]):
                _swap(v, i, lo + 1, lo)
            a, b = lo + 1, hi
            pivot = v[lo]
            while True:
                a += 1
                while a < hi and _greater_or_nan(pivot, v[a]):
                    a += 1
                b -= 1
                while b > lo and _greater_or_nan(v[b], pivot):
                    b -= 1
                if b < a:
                    break
                _swap(v, i, a, b)
            _swap(v, i, lo, b)
            if b <= k:
                lo = a
            if b >= k:
                hi = b - 1
        out[r] = i[k]


@njit(cache=True)
def _greater_or_nan(x, y):
    return (x != x and y == y) or x > y


@njit(cache=True)
def mode_indices(rows, out):
    """out[r] = the index torch reports for row r's most frequent value (the smallest of
    equally frequent ones): the last of its run after the standard library's sort."""
    size = rows.shape[1]
    for r in range(rows.shape[0]):
        v = rows[r].copy()
        i = np.arange(size)
        _sort(LESS, v, i)
        best, count, found = 0, 0, 0
        for k in range(size):
            count += 1
            if k == size - 1 or v[k] != v[k + 1]:
                if count > best:
                    best = count
                    found = i[k]
                count = 0
        out[r] = found
