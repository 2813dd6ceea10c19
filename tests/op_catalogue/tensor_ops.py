"""Catalogue entries of the Tensor ops: shape ops (views), copies and in-place writers,
reductions, sorting and searching, clamp and where (fastnn._shape_ops, _copy_ops,
_reduction_ops, _math_ops). An op torch has at top level is called there (``fastnn.sum``
against ``torch.sum``); a method-only op is called on the first argument seen as a Tensor
(same memory, same layout). Arguments torch takes positionally (``x.view(3, 20)``) are given
positionally, so the hostile sweep's replacements reach the op as a user's would.
"""
import numpy as np

import fastnn
from fastnn import _dispatch

from . import OpInfo, Sample

_METHOD = "a Tensor method: called on a torch tensor it is torch's own"
_INDICES = "integer results: no NaN to hold"
_BOOLEAN = "boolean results: no NaN to hold"
X = (3, 4, 5)


def _tensor(a):
    """`a` as a fastnn Tensor (a Tensor, e.g. a leaf that requires grad, is kept)."""
    if isinstance(a, fastnn.Tensor):
        return a
    return np.ndarray.view(np.asarray(a), fastnn.Tensor)


def _method(name, call, samples, **fields):
    """An entry for ``call(tensor, *arrays, **kwargs)``, a Tensor method call; torch runs the
    same `call` on its tensors."""
    skips = dict(fields.pop("skips", {}), torch_inputs=_METHOD)
    return OpInfo(name, lambda x, *rest, **kwargs: call(_tensor(x), *rest, **kwargs),
                  lambda torch: call, samples, skips=skips, **fields)


def _top(name, samples, **fields):
    """``fastnn.<name>`` against ``torch.<name>``."""
    return OpInfo(name, getattr(fastnn, name), name, samples, **fields)


def _positive(x):
    """A boolean mask of the same kind (fastnn or torch) as `x`."""
    return x > 0


SHAPE = [
    _method("view", lambda x, size: x.view(size), [Sample(X, size=(3, 4, -1))], view=True),
    _method("view_merge", lambda x, size: x.view(size), [Sample(X, size=(3, 20))], op="view",
            view=True, skips={"layouts": "torch's view needs strides that fit the new shape: "
                                         "it refuses a Fortran or strided input (the view "
                                         "sample runs every layout)"}),
    _method("reshape", lambda x, shape: x.reshape(shape),
            [Sample(X, shape=(12, -1)), Sample(X, shape=(5, 12), label="copy")], view=True),
    _method("expand", lambda x, size: x.expand(size), [Sample((3, 1, 5), size=(2, 3, 4, -1))],
            view=True),
    _method("unsqueeze", lambda x, dim: x.unsqueeze(dim), [Sample(X, dim=-1)], view=True),
    _method("squeeze", lambda x, dim: x.squeeze(dim), [Sample((3, 1, 5), dim=1)], view=True),
    _method("permute", lambda x, dims: x.permute(dims), [Sample(X, dims=(2, 0, 1))], view=True),
    _method("transpose", lambda x, dim0, dim1: x.transpose(dim0, dim1),
            [Sample(X, dim0=0, dim1=-1)], view=True),
    _method("t", lambda x: x.t(), [Sample((3, 4))], view=True),
    _method("diagonal", lambda x, **kw: x.diagonal(**kw),
            [Sample(X), Sample(X, offset=1, dim1=2, dim2=0, label="dims")], view=True),
    _method("contiguous", lambda x: x.contiguous(), [Sample(X)], view=True),
    _method("index", lambda x, key: x[key],
            [Sample(X, key=1), Sample(X, key=(slice(None), slice(1, None, 2)), label="slices")],
            view=True),
]

COPIES = [
    _method("clone", lambda x: x.clone(), [Sample(X)]),
    _method("to", lambda x: x.double(), [Sample(X)], view=True),   # float64: itself
    _method("repeat", lambda x, repeats: x.repeat(repeats),
            [Sample((3, 4), repeats=(2, 1, 3))]),
    OpInfo("cat", lambda a, b, **kwargs: fastnn.cat([a, b], **kwargs),
           lambda torch: lambda a, b, **kwargs: torch.cat([a, b], **kwargs),
           [Sample((3, 4), (2, 4)), Sample((3, 4), (3, 2), dim=-1, label="dim")],
           nan_fills=False),
    OpInfo("stack", lambda a, b, **kwargs: fastnn.stack([a, b], **kwargs),
           lambda torch: lambda a, b, **kwargs: torch.stack([a, b], **kwargs),
           [Sample((3, 4), (3, 4), dim=1)], nan_fills=False),
    _method("masked_fill", lambda x, m, value: x.masked_fill(_positive(m), value),
            [Sample(X, X, value=-2.0), Sample(X, (4, 5), value=0.5, label="broadcast")],
            nan_fills=False),
]


def _put(x, value, key):
    """``x[key] = value`` (op "index_put_" once autograd is live: made live here, so that
    the op is reached whichever tests ran before), returning x."""
    _dispatch.go_live()
    x[key] = value
    return x


IN_PLACE = [
    _method("index_put_", _put, [Sample(X, (4, 5), key=1),
                                 Sample(X, (5,), key=(slice(None), 2), label="broadcast")],
            inplace=True, nan_fills=False,
            skips={"nan_torch_free": "the input's values are overwritten at the key",
                   "memory": "x[key] = value passes the door only once autograd is live "
                             "(numpy's assignment before, which the door's record misses); "
                             "test_tensor_grad.py checks the write in place"}),
    _method("fill_", lambda x, value: x.fill_(value), [Sample(X, value=1.5)], inplace=True,
            nan_fills=False, skips={"nan_torch_free": "the input's values are overwritten"}),
    _method("zero_", lambda x: x.zero_(), [Sample(X)], inplace=True,
            skips={"nan_torch_free": "the input's values are overwritten"}),
    _method("copy_", lambda x, src: x.copy_(src), [Sample(X, (4, 5))], inplace=True,
            skips={"nan_torch_free": "the input's values are overwritten"}),
    _method("masked_fill_", lambda x, m, value: x.masked_fill_(_positive(m), value),
            [Sample(X, X, value=-2.0)], inplace=True, nan_fills=False),
    _method("normal_", lambda x, mean, std: x.normal_(mean, std),
            [Sample(X, mean=1.0, std=2.0)], inplace=True, random=True),
    _method("uniform_", lambda x, a, b: x.uniform_(a, b), [Sample(X, a=-1.0, b=3.0)],
            inplace=True, random=True),
]

REDUCTIONS = [
    *[_top(name, [Sample(X), Sample(X, dim=1, keepdim=True, label="dim")], sums=True)
      for name in ("sum", "mean", "std", "var")],
    _top("prod", [Sample(X, dim=1), Sample((3, 4), label="all")], sums=True),
    *[_top(name, [Sample(X, dim=1)], skips={"nan_torch_free": _BOOLEAN}, nan_fills=False)
      for name in ("any", "all")],
    *[_top(name, [Sample(X), Sample(X, dim=1, label="dim"),
                  Sample(X, dim=-1, keepdim=True, label="keepdim")])
      for name in ("max", "min")],
    *[_top(name, [Sample(X), Sample(X, dim=1, keepdim=True, label="dim")],
           skips={"nan_torch_free": _INDICES})
      for name in ("argmax", "argmin")],
    _top("sort", [Sample(X, stable=True),
                  Sample(X, dim=1, descending=True, stable=True, label="descending")]),
    OpInfo("nonzero", lambda x, **kwargs: fastnn.nonzero(_positive(_tensor(x)), **kwargs),
           lambda torch: lambda x, **kwargs: torch.nonzero(_positive(x), **kwargs),
           [Sample((3, 4)), Sample(X, as_tuple=True, label="as_tuple")],
           skips={"nan_torch_free": _INDICES}),
]

ELEMENTWISE = [
    _top("clamp", [Sample(X, min=-0.5, max=0.7), Sample(X, min=0.1, label="min")]),
    OpInfo("where", lambda x, c, y: fastnn.where(_positive(_tensor(c)), x, y),
           lambda torch: lambda x, c, y: torch.where(_positive(c), x, y),
           [Sample(X, X, X), Sample(X, (4, 5), (5,), label="broadcast")], nan_fills=False),
]

# -- the tensor functions of issue 17, item 2 ---------------------------------------------

_GATHER_INDEX = np.random.default_rng(17).integers(0, 4, (3, 2, 5))        # along dim 1 of X
_SCATTER_INDEX = np.stack([np.zeros((3, 5)), np.full((3, 5), 2)], 1).astype(np.int64)
_INDEXED = (3, 2, 5)        # src of the index's shape: torch's src gradient needs it
_SRC_LARGER = ("a src larger than the index: torch's backward refuses the gradient it "
               "makes (fastnn's engine too, test_tensor_grad.py); scatter_src_as_index "
               "covers the gradient")
_SRC_LARGER_ADD = _SRC_LARGER.replace("scatter_src_as_index", "the scatter_add entry")
_TIES = "several NaN in one row are ties, whose index order torch leaves unspecified"
_BOOL_RESULT = "a Python bool result (wrapped in a Tensor here): no output memory"


def _index(lib, index):
    """A fixed index array as a tensor of `lib` (fastnn or torch)."""
    return lib.from_numpy(index.copy())


def _pair(name, call, samples, **fields):
    """An entry for ``call(lib, *arrays, **kwargs)``, run with lib = fastnn and lib = torch
    (for calls that need tensors of their own library: indices, wrapped bools)."""
    return OpInfo(name, lambda *arrays, **kwargs: call(fastnn, *arrays, **kwargs),
                  lambda torch: lambda *arrays, **kwargs: call(torch, *arrays, **kwargs),
                  samples, **fields)


def _own(lib, x):
    """`x` as a tensor of `lib` whose method is called (a fastnn Tensor sharing memory)."""
    return _tensor(x) if lib is fastnn else x


_IN_TORCH = "in place: called on a torch tensor it writes torch's memory"
_ADDS_TWICE = ("not idempotent: the sweep's reference call has already added src into the "
               "input the sweep then calls it on (scatter_add covers the same code)")


def _classes(lib, x):
    """Class indices (int64) made from a float sample."""
    return _own(lib, abs(x) * 2).long()


TENSOR_FUNCTIONS = [
    _top("log", [Sample(X, positive=(0,))]),
    _top("sqrt", [Sample(X, positive=(0,))]),
    _top("rsqrt", [Sample(X, positive=(0,))]),
    _top("erf", [Sample(X)]),
    *[_top(name, [Sample(X)], nan_fills=False, skips={"nan_torch_free": _BOOLEAN})
      for name in ("isnan", "isinf", "isfinite")],
    _top("split", [Sample(X, split_size_or_sections=2, dim=1),
                   Sample(X, split_size_or_sections=[1, 3], dim=1, label="sections")],
         view=True),
    _top("chunk", [Sample(X, chunks=2, dim=-1)], view=True),
    _top("topk", [Sample(X, k=2, dim=1), Sample(X, k=3, largest=False, label="smallest")],
         skips={"nonfinite": _TIES}),
    _top("roll", [Sample(X, shifts=2, dims=1), Sample(X, shifts=(1, -3), dims=(0, 2),
                                                      label="dims"),
                  Sample(X, shifts=5, label="flat")]),
    _top("flip", [Sample(X, dims=(0, 2)), Sample(X, dims=[-1], label="last")]),
    _top("unique", [Sample(X), Sample(X, return_inverse=True, return_counts=True,
                                      label="inverse_counts")],
         skips={"grad": "not differentiable (torch's unique has no derivative either)"}),
    OpInfo("unique_dim", lambda x, **kw: fastnn.unique(x, **kw), "unique",
           [Sample((4, 3), dim=0), Sample(X, dim=2, return_counts=True, label="counts")],
           op="unique",
           skips={"grad": "not differentiable (torch's unique has no derivative either)",
                  "nonfinite": "slices holding NaN sort in an order torch leaves unspecified "
                               "(its row comparisons with NaN)"}),
    _pair("bincount", lambda lib, x, **kw: lib.bincount(_classes(lib, x).reshape(-1), **kw),
          [Sample(X), Sample(X, minlength=20, label="minlength")],
          skips={"nonfinite": "its input is non-negative integers (made from the sample)",
                 "nan_torch_free": "its input is non-negative integers (made from the sample)",
                 "grad": "not differentiable: counts of integers"}),
    _top("histc", [Sample(X, bins=7), Sample(X, bins=4, min=-1, max=0.5, label="range")],
         nan_fills=False,      # a NaN is left out of every bin
         skips={"grad": "not differentiable (torch's histc has no derivative either)",
                "nonfinite": "an infinite or NaN range is refused (the data's own range "
                             "when min == max), as torch refuses it",
                "nan_torch_free": "counts: a NaN is left out of every bin, or makes the "
                                  "data's range NaN, which is refused"}),
    _pair("searchsorted", lambda lib, x, **kw: lib.searchsorted(
        lib.tensor([-1.0, -0.25, 0.0, 0.5, 1.5]), x, **kw),
          [Sample(X), Sample(X, right=True, label="right")],
          skips={"nan_torch_free": _INDICES, "grad": "not differentiable: indices"}),
    _top("cumsum", [Sample(X, dim=1), Sample(X, dim=-1, label="last")]),
    _top("cumprod", [Sample(X, dim=1), Sample(X, dim=-1, label="last")]),
    *[_top(name, [Sample(X, dim=1), Sample(X, dim=-1, label="last")], nan_fills=False)
      for name in ("cummax", "cummin")],
    *[_top(name, [Sample(X, dim=1), Sample(X, dim=-1, keepdim=True, label="keepdim"),
                  Sample(X, label="all")], nan_fills=False)
      for name in ("median", "nanmedian")],
    _top("kthvalue", [Sample(X, k=2, dim=1), Sample(X, k=5, label="last")], nan_fills=False),
    _top("mode", [Sample(X, dim=1), Sample(X, keepdim=True, label="keepdim")],
         nan_fills=False),
    _top("logcumsumexp", [Sample(X, dim=1), Sample(X, dim=-1, label="last")],
         nan_fills=False),
    _top("cdist", [Sample((2, 3, 4), (5, 4)),
                   Sample((3, 4), (2, 5, 4), p=1.0, label="p1"),
                   Sample((30, 4), (5, 4), label="matrix_product"),
                   Sample((3, 4), (5, 4), p=3.0, compute_mode="donot_use_mm_for_euclid_dist",
                          label="p3")], sums=True, rtol32=1e-4),
    OpInfo("cdist_inf", fastnn.cdist, "cdist", [Sample((3, 4), (5, 4), p=float("inf"))],
           op="cdist", skips={"nan_torch_free": "torch's largest difference starts at 0 and "
                                                "skips NaN: an all-NaN x1 gives 0"}),
    _top("fliplr", [Sample(X)], op="flip"),
    _top("flipud", [Sample(X)], op="flip"),
    *[_top(name, [Sample(X), Sample(X, dim=(0, 2), keepdim=True, label="dims")])
      for name in ("amax", "amin")],
    _top("norm", [Sample(X), Sample(X, p=1, dim=1, keepdim=True, label="p1"),
                  Sample(X, p=float("inf"), dim=(0, 2), label="inf")], sums=True, rtol32=1e-4),
    OpInfo("norm_nuc", lambda x, **kw: fastnn.norm(x, "nuc", **kw),
           lambda torch: lambda x, **kw: torch.norm(x, "nuc", **kw),
           [Sample(X, dim=(1, 2)), Sample((4, 3), keepdim=True, label="matrix")], op="norm",
           sums=True, rtol32=1e-4,
           skips={"nonfinite": "torch's SVD refuses a matrix holding NaN (so does fastnn: "
                               "test_tensor_functions_math.py)",
                  "nan_torch_free": "torch's SVD refuses a matrix holding NaN"}),
    _pair("gather", lambda lib, x, dim: lib.gather(x, dim, _index(lib, _GATHER_INDEX)),
          [Sample(X, dim=1)]),
    _pair("index_select", lambda lib, x, dim: lib.index_select(
        x, dim, _index(lib, np.array([3, 0, 3]))), [Sample(X, dim=1)]),
    _pair("scatter", lambda lib, x, s, dim, **kw: lib.scatter(
        x, dim, _index(lib, _SCATTER_INDEX), s, **kw),
        [Sample(X, X, dim=1), Sample(X, _INDEXED, dim=1, label="src_as_index")],
        nan_fills=False, skips={"grad": _SRC_LARGER}),
    _pair("scatter_src_as_index", lambda lib, x, s, dim, **kw: lib.scatter(
        x, dim, _index(lib, _SCATTER_INDEX), s, **kw),
        [Sample(X, _INDEXED, dim=1)], op="scatter", nan_fills=False),
    _pair("scatter_reduce_add", lambda lib, x, s, dim, **kw: lib.scatter(
        x, dim, _index(lib, _SCATTER_INDEX), s, **kw),
        [Sample(X, X, dim=1, reduce="add")], op="scatter", nan_fills=False,
        skips={"grad": "torch has no derivative of scatter with reduce= (its backward "
                       "raises: tests/autograd/test_tensor_grad.py checks fastnn's does)"}),
    _pair("scatter_add", lambda lib, x, s, dim: lib.scatter_add(
        x, dim, _index(lib, _GATHER_INDEX), s), [Sample(X, _INDEXED, dim=1)],
        nan_fills=False),
    _pair("scatter_add_src_larger", lambda lib, x, s, dim: lib.scatter_add(
        x, dim, _index(lib, _GATHER_INDEX), s), [Sample(X, X, dim=1)], op="scatter_add",
        nan_fills=False, skips={"grad": _SRC_LARGER_ADD}),
    _pair("scatter_", lambda lib, x, s, dim: _own(lib, x).scatter_(
        dim, _index(lib, _SCATTER_INDEX), s), [Sample(X, _INDEXED, dim=1)], inplace=True,
        nan_fills=False, skips={"torch_inputs": _IN_TORCH}),
    _pair("scatter_add_", lambda lib, x, s, dim: _own(lib, x).scatter_add_(
        dim, _index(lib, _GATHER_INDEX), s), [Sample(X, _INDEXED, dim=1)], inplace=True,
        nan_fills=False, skips={"torch_inputs": _IN_TORCH, "layouts": _ADDS_TWICE,
                                "nonfinite": _ADDS_TWICE}),
    _pair("index_add", lambda lib, x, s, dim, **kw: lib.index_add(
        x, dim, _index(lib, np.array([3, 0, 3])), s, **kw),
        [Sample(X, (3, 3, 5), dim=1), Sample(X, (3, 3, 5), dim=1, alpha=2.5, label="alpha")],
        nan_fills=False),
    _pair("index_add_", lambda lib, x, s, dim: _own(lib, x).index_add_(
        dim, _index(lib, np.array([3, 0, 3])), s), [Sample(X, (3, 3, 5), dim=1)],
        inplace=True, nan_fills=False,
        skips={"torch_inputs": _IN_TORCH, "layouts": _ADDS_TWICE, "nonfinite": _ADDS_TWICE}),
    _pair("index_copy", lambda lib, x, s, dim: lib.index_copy(
        x, dim, _index(lib, np.array([3, 0])), s), [Sample(X, (3, 2, 5), dim=1)],
        nan_fills=False),
    _pair("index_copy_", lambda lib, x, s, dim: _own(lib, x).index_copy_(
        dim, _index(lib, np.array([3, 0])), s), [Sample(X, (3, 2, 5), dim=1)], inplace=True,
        nan_fills=False, skips={"torch_inputs": _IN_TORCH}),
    _pair("index_fill", lambda lib, x, dim: lib.index_fill(
        x, dim, _index(lib, np.array([3, 0, 3])), -1.5), [Sample(X, dim=1)], nan_fills=False),
    _pair("index_fill_", lambda lib, x, dim: _own(lib, x).index_fill_(
        dim, _index(lib, np.array([-1, 0])), 2.0), [Sample(X, dim=2)], inplace=True,
        nan_fills=False, skips={"torch_inputs": _IN_TORCH}),
    *[_pair(f"scatter_reduce_{reduce}", lambda lib, x, s, dim, reduce=reduce, **kw:
            lib.scatter_reduce(x, dim, _index(lib, _GATHER_INDEX), s, reduce, **kw),
            [Sample(X, _INDEXED, dim=1),
             Sample(X, _INDEXED, dim=1, include_self=False, label="exclude_self")],
            op="scatter_reduce", nan_fills=False)
      for reduce in ("sum", "prod", "mean", "amax", "amin")],
    _pair("scatter_reduce_", lambda lib, x, s, dim: _own(lib, x).scatter_reduce_(
        dim, _index(lib, _GATHER_INDEX), s, "amax"), [Sample(X, _INDEXED, dim=1)],
        inplace=True, nan_fills=False, skips={"torch_inputs": _IN_TORCH}),
    _top("bmm", [Sample((2, 3, 4), (2, 4, 5))], sums=True),
    OpInfo("einsum", lambda a, b, equation: fastnn.einsum(equation, a, b),
           lambda torch: lambda a, b, equation: torch.einsum(equation, a, b),
           [Sample((3, 4), (4, 5), equation="ij,jk->ik"),
            Sample((2, 3, 4), (2, 3, 4), equation="bij,bij->bj", label="batch"),
            Sample((3, 3, 2), (1, 2), equation="iij,kj->ik", label="diagonal"),
            Sample((2, 1, 3, 4), (5, 4, 2), equation="...ij,...jk->...ik",
                   label="broadcast")],
           view=True, sums=True),
    _pair("allclose", lambda lib, a, b, **kw: lib.tensor(lib.allclose(a, b, **kw)),
          [Sample(X, X, atol=0.5)], nan_fills=False,
          skips={"memory": _BOOL_RESULT, "nan_torch_free": _BOOLEAN}),
    _pair("tensor_equal", lambda lib, a, b: lib.tensor(lib.equal(a, a + 0 * b)),
          [Sample(X, X)], nan_fills=False,
          skips={"memory": _BOOL_RESULT, "nan_torch_free": _BOOLEAN}),
    _pair("one_hot", lambda lib, x, **kw: lib.nn.functional.one_hot(_classes(lib, x), **kw),
          [Sample((4, 3), num_classes=8)],
          skips={"nonfinite": "integer class indices: no NaN or inf to hold",
                 "nan_torch_free": _INDICES}),
    OpInfo("normalize", lambda x, **kw: fastnn.nn.functional.normalize(x, **kw),
           "nn.functional.normalize",
           [Sample(X), Sample(X, p=1.0, dim=-1, eps=0.1, label="p1"),
            Sample(X, p=3.0, dim=(0, 2), label="p3")], sums=True),
]


def _sampler(name, call, samples, **fields):
    """A sampler of fastnn._random_sampling: numpy's draws on fastnn's generator."""
    return _method(name, call, samples, random=True, torch_stream=False, **fields)


RANDOM = [
    _sampler("bernoulli_", lambda x, p: x.bernoulli_(p), [Sample(X, p=0.3)], inplace=True),
    _sampler("exponential_", lambda x, lambd: x.exponential_(lambd), [Sample(X, lambd=2.0)],
             inplace=True),
    _sampler("random_", lambda x, low, high: x.random_(low, high),
             [Sample(X, low=-3, high=5)], inplace=True),
    _sampler("geometric_", lambda x, p: x.geometric_(p), [Sample(X, p=0.4)], inplace=True),
    _sampler("log_normal_", lambda x, mean, std: x.log_normal_(mean, std),
             [Sample(X, mean=0.5, std=1.5)], inplace=True),
    _sampler("cauchy_", lambda x, median, sigma: x.cauchy_(median, sigma),
             [Sample(X, median=1.0, sigma=2.0)], inplace=True),
    _sampler("bernoulli", lambda x, p: x.bernoulli(p), [Sample(X, p=0.5)],
             skips={"grad": "torch has no derivative of bernoulli with a float p: its "
                            "backward raises (test_random_sampling.py checks fastnn's does)"}),
    _sampler("multinomial", lambda x, num_samples, replacement: x.multinomial(
        num_samples, replacement), [Sample((3, 5), positive=(0,), num_samples=3,
                                           replacement=False),
                                    Sample((5,), positive=(0,), num_samples=7,
                                           replacement=True, label="replacement")]),
    _top("poisson", [Sample(X, positive=(0,))], random=True, torch_stream=False),
    OpInfo("normal", fastnn.normal, "normal", [Sample(X, X, positive=(1,))], random=True),
]


def _linalg(name, call, samples, op, **fields):
    """``call(lib, *arrays, **kwargs)`` run on fastnn and on torch: a decomposition, its
    input made symmetric or positive-definite where the op needs it, and its outputs
    sign-free (abs, products) where a decomposition is unique up to signs."""
    return OpInfo(name, lambda *arrays, **kwargs: call(fastnn, *(
        _tensor(a) if isinstance(a, np.ndarray) else a for a in arrays), **kwargs),
                  lambda torch: lambda *arrays, **kwargs: call(torch, *arrays, **kwargs),
                  samples, op=op, **fields)


def _spd(lib, a):
    square = a @ a.mT           # native byte order, whatever `a`'s
    return square + a.shape[-1] * lib.eye(a.shape[-1], dtype=square.dtype)


SQUARE = [Sample((3, 3)), Sample((2, 4, 4), label="batch")]
_COMPOSED = {"hostile": "the input is made positive-definite (a @ a.mT + n I) first: a "
                        "hostile argument reaches that composition, not the op",
             "torch_inputs": "the input is made positive-definite with the library's own "
                             "eye first: a torch tensor reaches that composition"}
_ONE_OUTPUT = {"memory": "the entry returns one sign-free output of this multi-output op "
                         "(its other factors are unique only up to signs)"}
WIDE_TALL = [Sample((4, 3)), Sample((2, 3, 5), label="wide")]
# where NaN and inf land in a factorization's output is LAPACK's iteration's (torch's and
# numpy's LAPACK calls differ), and a NaN input is refused by some (LinAlgError):
# test_linalg_decompositions.py checks torch's refusals and NaN results
_NONFINITE = {"nonfinite": "NaN and inf land where the LAPACK routine's iteration puts them, "
                           "which differs between torch's and numpy's calls",
              "nan_torch_free": "a NaN input is refused (LinAlgError) as torch refuses it"}
DECOMPOSITIONS = [
    _linalg("linalg.det", lambda lib, a: lib.linalg.det(a), SQUARE, "linalg_det"),
    _linalg("linalg.slogdet", lambda lib, a: lib.linalg.slogdet(a).logabsdet, SQUARE,
            "linalg_slogdet", skips=_ONE_OUTPUT),
    _linalg("logdet", lambda lib, a: lib.logdet(_spd(lib, a)), SQUARE, "logdet",
            skips=_COMPOSED),
    _linalg("linalg.inv", lambda lib, a: lib.linalg.inv(a), SQUARE, "linalg_inv"),
    _linalg("linalg.solve", lambda lib, a, b, left: lib.linalg.solve(a, b, left=left),
            [Sample((3, 3), (3, 2), left=True), Sample((2, 3, 3), (2, 2, 3), left=False,
                                                       label="right")], "linalg_solve",
            skips={"nonfinite": _NONFINITE["nonfinite"]}),
    _linalg("linalg.cholesky", lambda lib, a, upper: lib.linalg.cholesky(
        _spd(lib, a), upper=upper), [Sample((3, 3), upper=False),
                                     Sample((2, 4, 4), upper=True, label="upper")],
        "linalg_cholesky", skips=dict(_COMPOSED, **_NONFINITE)),
    _linalg("linalg.qr", lambda lib, a: lib.linalg.qr(a).R.abs(), [Sample((4, 3)),
                                                                   Sample((2, 3, 3))],
            "linalg_qr", skips=dict(_ONE_OUTPUT, **_NONFINITE)),
    _linalg("linalg.eigh", lambda lib, a: lib.linalg.eigh(a + a.mT).eigenvalues, SQUARE,
            "linalg_eigh", skips=dict(_ONE_OUTPUT, **_NONFINITE,
                                      hostile="the input is made symmetric (a + a.mT) "
                                              "first: a hostile argument reaches that")),
    _linalg("linalg.svd", lambda lib, a: lib.linalg.svd(a, full_matrices=False).S,
            WIDE_TALL, "linalg_svd", skips=dict(_ONE_OUTPUT, **_NONFINITE)),
]

TENSOR_OPS = (SHAPE + COPIES + IN_PLACE + REDUCTIONS + ELEMENTWISE + TENSOR_FUNCTIONS
              + RANDOM + DECOMPOSITIONS)
