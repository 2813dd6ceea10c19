"""fastnn: Numba-accelerated CPU layers with torch.nn semantics."""
import builtins as _builtins
import types as _types

from . import _malloc
from ._runtime import get_num_threads, set_num_threads
from .tensor import Tensor, Size, device
# the door and the ops of Tensor's methods, before anything calls one of them
from . import _dispatch, _shape_ops, _copy_ops, _reduction_ops, _math_ops  # noqa: F401
from . import (_select_ops, _scatter_ops, _norm_ops, _compare_ops,  # noqa: F401
               _linalg_ops, _index_put_ops, _count_ops, _search_ops)
from . import _indexed_update_ops  # noqa: F401
from . import _order_statistic_ops  # noqa: F401  (median, nanmedian, kthvalue, mode)
from . import _cumulative_ops, _distance_ops  # noqa: F401  (cummax, cummin, logcumsumexp, cdist)
from ._random import (Generator, default_generator, manual_seed, initial_seed, seed,
                      set_rng_state)
from ._grad import (no_grad, enable_grad, set_grad_enabled, inference_mode,
                    is_grad_enabled, is_inference_mode_enabled)
from ._creation import (
    get_default_dtype, set_default_dtype, as_tensor, from_numpy, zeros, ones, empty, full,
    rand, randn, arange, zeros_like, ones_like, empty_like, full_like, rand_like,
    randn_like, flatten, cat, concat, concatenate, stack, unsqueeze, squeeze, permute,
    transpose, swapaxes, swapdims, reshape, clone, numel, is_tensor, is_floating_point,
    is_complex, DTYPE_ALIASES as _DTYPE_ALIASES)
from ._random_factories import get_rng_state, randint, randperm
from ._random_sampling import (bernoulli, multinomial, normal, poisson,  # noqa: F401
                               randint_like)
from .serialization import load, save
from . import nn
from . import optim
from . import autograd
from . import _arith_backward, _tensor_backward  # noqa: F401  (backward of Tensor ops)
from . import _ufunc_backward, _reduction_backward, _select_backward  # noqa: F401
from . import _indexed_update_backward  # noqa: F401
from . import _special_backward  # noqa: F401  (special math functions)
from . import _linalg_grad, _attention_grad  # noqa: F401  (linear, bmm, einsum, attention)
from . import _decomposition_grad  # noqa: F401  (det, inv, solve, cholesky, qr, eigh, svd)
from ._functions import (
    relu, relu_, sigmoid, tanh, softmax, log_softmax, exp, abs, pow, clamp, clip, where,
    matmul, mm, max, min, maximum, minimum, argmax, argmin, sum, mean, prod, std, var, any,
    all, sort, nonzero, t, masked_fill)
from ._functions import selu, selu_, celu, celu_, threshold, threshold_, prelu
from ._functions import sigmoid_, tanh_, exp_, log_, sqrt_, rsqrt_, abs_, clamp_
from ._norm_functions import layer_norm, group_norm, instance_norm
from ._tensor_functions import (
    log, sqrt, rsqrt, erf, isnan, isinf, isfinite, split, chunk, topk, gather, scatter,
    scatter_add, index_select, roll, cumsum, flip, fliplr, flipud, amax, amin, norm, allclose,
    equal, bmm, einsum, cumprod, diagonal, trace, dot, ravel, take, dist, round)
from ._range_factories import linspace, eye
from ._type_info import finfo, iinfo
from ._ufunc_functions import (  # noqa: F401  (torch's names of numpy's ufuncs)
    sin, cos, tan, asin, acos, atan, sinh, cosh, floor, ceil, trunc, sign, square,
    reciprocal, log1p, expm1, log2, log10, exp2, logical_not, eq, ne, gt, ge, lt, le,
    logical_and, logical_or, logical_xor, atan2, arcsin, arccos, arctan, asinh, acosh, atanh,
    arcsinh, arccosh, arctanh, absolute, positive, fix, sgn, signbit, deg2rad, rad2deg,
    bitwise_not, arctan2, greater, greater_equal, less, less_equal, not_equal, remainder, fmod,
    floor_divide, logaddexp, hypot, copysign, fmax, fmin, bitwise_and, bitwise_or, bitwise_xor,
    bitwise_left_shift, bitwise_right_shift, logaddexp2)
from ._fused_functions import (  # noqa: F401  (torch's fused arithmetic)
    lerp, addcmul, addcdiv, addmm, addmv, mv, baddbmm, addbmm, tensordot, kron, float_power)
from ._split_stack_functions import (  # noqa: F401  (compositions of cat, split, reshape)
    tensor_split, hsplit, vsplit, dsplit, unflatten, take_along_dim, rot90, diff, hstack, vstack,
    row_stack, dstack, column_stack, atleast_1d, atleast_2d, atleast_3d, var_mean, std_mean,
    masked_select, diag, diag_embed)
from ._value_functions import (  # noqa: F401  (value tests and repairs)
    isclose, nan_to_num, count_nonzero, frac, isposinf, isneginf, unique, bincount, logit, xlogy,
    nansum, nanmean, searchsorted, bucketize)
from ._indexed_update_functions import (  # noqa: F401  (index_add, scatter_reduce, ...)
    index_add, index_copy, index_fill, scatter_reduce)
from ._compose_functions import (  # noqa: F401  (compositions of fastnn's ops)
    movedim, moveaxis, narrow, unbind, tril, triu, broadcast_to, tile, repeat_interleave, outer,
    logsumexp, meshgrid, argsort)
from ._cumulative_functions import cummax, cummin, logcumsumexp  # noqa: F401
from ._distance_functions import cross, cdist  # noqa: F401  (vector geometry)
from ._order_statistic_functions import (  # noqa: F401  (order statistics)
    median, nanmedian, kthvalue, mode, quantile, nanquantile)
from ._block_functions import block_diag, cartesian_prod  # noqa: F401  (assembled tensors)
from ._statistics_functions import histc, cov, corrcoef  # noqa: F401  (statistics)
from ._set_functions import isin, unique_consecutive, combinations  # noqa: F401
from ._special_functions import (  # noqa: F401  (special math functions)
    erfc, erfinv, lgamma, digamma, polygamma, mvlgamma, i0, sinc, heaviside, gcd, lcm, ldexp,
    nextafter, frexp, erfc_, i0_, sinc_, gcd_, lcm_, ldexp_, logspace)
from ._index_functions import (  # noqa: F401  (shapes, index sets, paired reductions)
    broadcast_tensors, broadcast_shapes, tril_indices, triu_indices, unravel_index, argwhere,
    aminmax, inner)
from ._type_promotion_functions import (  # noqa: F401  (dtypes and whole-tensor facts)
    result_type, promote_types, can_cast, is_nonzero, is_same_size, scalar_tensor)
from ._in_place_functions import *  # noqa: F401,F403  (fastnn.sin_(x) is x.sin_())
from . import backends
from . import ops
from . import linalg  # noqa: F401  (torch.linalg's norms and cross product)
from ._decompositions import (  # noqa: F401  (matrix decompositions' classic names)
    det, logdet, slogdet, inverse, cholesky, qr, svd, pinverse)
from ._arith_functions import (add, sub, subtract, mul, multiply, div, divide,  # noqa: F401
                               true_divide, neg, negative, clamp_min, clamp_max)
from ._inference import optimize_for_inference
from ._functional_aliases import (  # noqa: F401  (torch's top-level forms of F's ops)
    conv1d, conv2d, conv3d, conv_transpose1d, conv_transpose2d, conv_transpose3d, max_pool1d,
    max_pool2d, max_pool3d, avg_pool1d, adaptive_avg_pool1d, adaptive_max_pool1d, batch_norm,
    dropout, embedding, binary_cross_entropy_with_logits, kl_div, cosine_similarity,
    pairwise_distance, hardshrink, rrelu, rrelu_)
from .nn.functional import (pixel_shuffle, pixel_unshuffle, channel_shuffle,
                            native_channel_shuffle)

__version__ = "0.1.0"

# dtypes are numpy dtypes: fastnn.float32 == np.float32, x.dtype == fastnn.float32
float32 = float = _DTYPE_ALIASES["float32"]
float64 = double = _DTYPE_ALIASES["float64"]
float16 = half = _DTYPE_ALIASES["float16"]
int64 = long = _DTYPE_ALIASES["int64"]
int32 = int = _DTYPE_ALIASES["int32"]
int16 = short = _DTYPE_ALIASES["int16"]
int8 = _DTYPE_ALIASES["int8"]
uint8 = _DTYPE_ALIASES["uint8"]
bool = _DTYPE_ALIASES["bool"]
complex64 = cfloat = _DTYPE_ALIASES["complex64"]
complex128 = cdouble = _DTYPE_ALIASES["complex128"]

# `torch.cuda.is_available()` is how torch scripts pick a device; fastnn has none
cuda = _types.SimpleNamespace(is_available=lambda: False, device_count=lambda: 0)

# `from fastnn import *` must not shadow the builtins float, int, bool, abs, pow, max, min,
# sum, any and all

# Bound last: importing the `fastnn.tensor` submodule sets the package attribute
# `tensor` to the module; `fastnn.tensor` must be the factory function.
from ._creation import tensor  # noqa: E402

# every public name bound above (factories, functions, dtypes) and the subpackages a star
# import brings; computed, so that no new function is left out. Not the names of Python's
# builtins (float, int, bool, max, sum, round, ...): a star import must not replace them
__all__ = sorted([name for name, value in globals().items()
                  if not name.startswith("_") and not isinstance(value, _types.ModuleType)
                  and not hasattr(_builtins, name)]
                 + ["autograd", "backends", "nn", "ops", "optim"])


def __getattr__(name):
    # fastnn.utils (data loading: multiprocessing, queues) loads on first use, as
    # `torch.utils` is reachable after `import torch`, and import stays cheap
    if name == "utils":
        import importlib
        return importlib.import_module(".utils", __name__)
    raise AttributeError(f"module 'fastnn' has no attribute {name!r}")


_malloc.prime()     # glibc keeps freed activations on the heap (fastnn/_malloc.py)
