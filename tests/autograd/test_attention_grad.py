"""Backward of scaled_dot_product_attention, embedding and dropout end to end against
torch: masks (bool, float, broadcast, requiring grad), causal, scale, grouped-query heads,
dropout with torch's seed, fully masked rows; embedding's padding_idx and
scale_grad_by_freq."""
import numpy as np
import pytest

import fastnn
from gradcheck import compare_with_torch

CASES = [
    ((2, 3, 4, 5), (2, 3, 6, 5), (2, 3, 6, 7), None, {}),
    ((2, 3, 4, 5), (2, 3, 6, 5), (2, 3, 6, 7), None, dict(is_causal=True)),
    ((2, 3, 6, 5), (2, 3, 4, 5), (2, 3, 4, 7), None, dict(is_causal=True, scale=0.7)),
    ((4, 5), (6, 5), (6, 7), "float", dict(scale=0.3)),
    ((2, 3, 4, 5), (1, 3, 6, 5), (3, 6, 7), "bool", {}),
    ((2, 4, 4, 5), (2, 2, 6, 5), (2, 1, 6, 7), "float", dict(enable_gqa=True)),
    ((2, 3, 4, 5), (2, 3, 6, 5), (2, 3, 6, 7), "float-batched", {}),
    ((2, 4, 5), (2, 6, 5), (2, 6, 3), "float", dict(dropout_p=0.3)),
]


def _mask(rng, kind, rows, keys):
    if kind == "bool":
        mask = rng.random((rows, keys)) > 0.3
        mask[1] = False                     # a row that sees no key: zeros, no gradient
        return mask
    return rng.standard_normal((2, 1, rows, keys) if kind == "float-batched" else (rows, keys))


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_scaled_dot_product_attention(torch, dtype):
    rng = np.random.default_rng(0)
    # float32: the plain, grouped-query and dropout cases
    for q, k, v, kind, kwargs in CASES if dtype == np.float64 else CASES[::-2]:
        arrays = [rng.standard_normal(s).astype(dtype) for s in (q, k, v)]
        mask = None if kind is None else _mask(rng, kind, q[-2], k[-2])
        if mask is not None and mask.dtype != bool:
            mask = mask.astype(dtype)

        def call(lib, q, k, v, m=None):
            if lib is fastnn:
                fastnn.manual_seed(1)
            else:
                lib.manual_seed(1)
            if m is None and mask is not None:       # a bool mask: not a leaf
                m = lib.tensor(mask) if lib is fastnn else lib.from_numpy(mask)
            return lib.nn.functional.scaled_dot_product_attention(q, k, v, m, **kwargs)
        leaves = arrays + ([mask] if mask is not None and mask.dtype != bool else [])
        compare_with_torch(call, leaves, torch)


def test_embedding(torch):
    rng = np.random.default_rng(2)
    index = rng.integers(0, 6, (4, 5))
    for kwargs in [{}, dict(padding_idx=3), dict(padding_idx=-1, scale_grad_by_freq=True),
                   dict(scale_grad_by_freq=True)]:
        def call(lib, w):
            i = lib.tensor(index) if lib is fastnn else lib.from_numpy(index)
            return lib.nn.functional.embedding(i, w, **kwargs)
        for dtype in (np.float64, np.float32):
            compare_with_torch(call, [rng.standard_normal((6, 3)).astype(dtype)], torch)


def test_embedding_sparse_gradient_is_refused():
    w = fastnn.randn(4, 2, requires_grad=True)
    y = fastnn.nn.functional.embedding(fastnn.tensor([0, 1]), w, sparse=True)
    with pytest.raises(RuntimeError, match="sparse"):
        y.sum().backward()


def test_running_statistics_that_require_grad_are_refused_as_torch(torch):
    from torch_compare import raises_like
    x = np.random.default_rng(3).standard_normal((2, 3, 4))
    for fn in ("batch_norm", "instance_norm"):
        for which in (0, 1):
            def call(lib):
                stats = [lib.zeros(3), lib.ones(3)]
                stats[which].requires_grad_(True)
                t = lib.tensor(x)
                return getattr(lib.nn.functional, fn)(t, *stats)
            raises_like(lambda: call(torch), lambda: call(fastnn))
