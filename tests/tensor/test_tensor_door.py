"""Every Tensor method and top-level function that computes or reshapes passes the op door
(issue 18, item 1): called under `fastnn.ops.record()`, each records exactly its op. A new
public method is either listed here with its op, or listed as outside the door with the
reason (docs/OPS.md says the same), so a method that bypasses the door fails this file."""
import pathlib
import re

import numpy as np
import pytest

import fastnn
import fastnn._arith_functions as arith_functions
import fastnn._creation as creation
import fastnn._functions as functions
import fastnn._tensor_functions as tensor_functions
import fastnn._compose_functions as compose_functions
import fastnn._fused_functions as fused_functions
import fastnn._split_stack_functions as split_stack_functions
import fastnn._value_functions as value_functions
import fastnn._indexed_update_functions as indexed_update_functions
import fastnn._ufunc_functions as ufunc_functions
import fastnn._cumulative_functions as cumulative_functions
import fastnn._distance_functions as distance_functions
import fastnn._block_functions as block_functions
import fastnn._order_statistic_functions as order_statistic_functions
import fastnn._set_functions as set_functions
import fastnn._index_functions as index_functions
import fastnn._type_promotion_functions as type_promotion_functions
import fastnn._in_place_functions as in_place_functions
import fastnn._functional_aliases as functional_aliases
import fastnn._special_functions as special_functions
import fastnn._statistics_functions as statistics_functions
import fastnn._random_sampling as random_sampling
from fastnn._in_place_methods import UNARY_IN_PLACE
from fastnn import _dispatch, ops
from fastnn._ufunc_methods import BINARY, UNARY
from fastnn.nn import functional as F

ROOT = pathlib.Path(fastnn.__file__).resolve().parent.parent
RNG = np.random.default_rng(0)


def x34():
    return fastnn.from_numpy(RNG.standard_normal((3, 4)).astype(np.float32))


def mask34():
    return fastnn.from_numpy(RNG.standard_normal((3, 4)) > 0)


# method name -> (call on a fresh (3, 4) float32 tensor, the ops it must record)
METHODS = {
    "view": (lambda x: x.view(4, 3), ["view"]),
    "view_as": (lambda x: x.view_as(np.zeros(12)), ["view"]),
    "reshape": (lambda x: x.reshape(2, -1), ["reshape"]),
    "reshape_as": (lambda x: x.reshape_as(np.zeros((6, 2))), ["reshape"]),
    "expand": (lambda x: x.expand(2, 3, 4), ["expand"]),
    "expand_as": (lambda x: x.expand_as(np.zeros((2, 3, 4))), ["expand"]),
    "unsqueeze": (lambda x: x.unsqueeze(0), ["unsqueeze"]),
    "squeeze": (lambda x: x.squeeze(0), ["squeeze"]),
    "flatten": (lambda x: x.flatten(0), ["flatten"]),
    "permute": (lambda x: x.permute(1, 0), ["permute"]),
    "transpose": (lambda x: x.transpose(0, 1), ["transpose"]),
    "t": (lambda x: x.t(), ["t"]),
    "contiguous": (lambda x: x.contiguous(), ["contiguous"]),
    "clone": (lambda x: x.clone(), ["clone"]),
    "float": (lambda x: x.float(), ["to"]),
    "double": (lambda x: x.double(), ["to"]),
    "half": (lambda x: x.half(), ["to"]),
    "long": (lambda x: x.long(), ["to"]),
    "int": (lambda x: x.int(), ["to"]),
    "bool": (lambda x: x.bool(), ["to"]),
    "to": (lambda x: x.to(fastnn.float64), ["to"]),
    "type": (lambda x: x.type(fastnn.float64), ["to"]),
    "type_as": (lambda x: x.type_as(np.zeros(1, np.int64)), ["to"]),
    "fill_": (lambda x: x.fill_(2.0), ["fill_"]),
    "zero_": (lambda x: x.zero_(), ["zero_"]),
    "copy_": (lambda x: x.copy_(np.ones(4)), ["copy_"]),
    "normal_": (lambda x: x.normal_(), ["normal_"]),
    "uniform_": (lambda x: x.uniform_(), ["uniform_"]),
    "bernoulli_": (lambda x: x.bernoulli_(0.3), ["bernoulli_"]),      # _random_sampling
    "exponential_": (lambda x: x.exponential_(), ["exponential_"]),
    "random_": (lambda x: x.random_(5), ["random_"]),
    "geometric_": (lambda x: x.geometric_(0.5), ["geometric_"]),
    "log_normal_": (lambda x: x.log_normal_(), ["log_normal_"]),
    "cauchy_": (lambda x: x.cauchy_(), ["cauchy_"]),
    "bernoulli": (lambda x: x.abs().clamp(0, 1).bernoulli(), ["absolute", "clamp", "bernoulli"]),
    "multinomial": (lambda x: x.abs().multinomial(2), ["absolute", "multinomial"]),
    "masked_fill": (lambda x: x.masked_fill(mask34(), 0.0), ["masked_fill"]),
    "masked_fill_": (lambda x: x.masked_fill_(mask34(), 0.0), ["masked_fill_"]),
    "sum": (lambda x: x.sum(1), ["sum"]),
    "mean": (lambda x: x.mean(), ["mean"]),
    "prod": (lambda x: x.prod(0, True), ["prod"]),
    "any": (lambda x: x.any(), ["any"]),
    "all": (lambda x: x.all(1), ["all"]),
    "max": (lambda x: x.max(1), ["max"]),
    "min": (lambda x: x.min(), ["min"]),
    "argmax": (lambda x: x.argmax(1), ["argmax"]),
    "argmin": (lambda x: x.argmin(), ["argmin"]),
    "std": (lambda x: x.std(0), ["std"]),
    "var": (lambda x: x.var(), ["var"]),
    "sort": (lambda x: x.sort(descending=True), ["sort"]),
    "nonzero": (lambda x: x.nonzero(), ["nonzero"]),
    "repeat": (lambda x: x.repeat(2, 1), ["repeat"]),
    "clamp": (lambda x: x.clamp(-0.5, 0.5), ["clamp"]),
    "clip": (lambda x: x.clip(-0.5, 0.5), ["clip"]),            # numpy's, a ufunc op
    "abs": (lambda x: x.abs(), ["absolute"]),                    # the ufunc ops
    "exp": (lambda x: x.exp(), ["exp"]),
    "pow": (lambda x: x.pow(2), ["power"]),
    "relu": (lambda x: x.relu(), ["relu"]),                      # F's ops
    "relu_": (lambda x: x.relu_(), ["relu"]),
    "sigmoid": (lambda x: x.sigmoid(), ["sigmoid"]),
    "tanh": (lambda x: x.tanh(), ["tanh"]),
    "softmax": (lambda x: x.softmax(1), ["softmax"]),
    "log_softmax": (lambda x: x.log_softmax(1), ["log_softmax"]),
    "prelu": (lambda x: x.prelu(fastnn.ones(1)), ["prelu"]),
    "hardshrink": (lambda x: x.hardshrink(0.3), ["hardshrink"]),
    # fastnn._tensor_function_methods (issue 17, item 2)
    "log": (lambda x: x.log(), ["log"]),
    "sqrt": (lambda x: x.sqrt(), ["sqrt"]),
    "rsqrt": (lambda x: x.rsqrt(), ["rsqrt"]),
    "erf": (lambda x: x.erf(), ["erf"]),
    "isnan": (lambda x: x.isnan(), ["isnan"]),
    "isinf": (lambda x: x.isinf(), ["isinf"]),
    "isfinite": (lambda x: x.isfinite(), ["isfinite"]),
    "split": (lambda x: x.split(2, 1), ["split"]),
    "chunk": (lambda x: x.chunk(2), ["chunk"]),
    "topk": (lambda x: x.topk(2), ["topk"]),
    "gather": (lambda x: x.gather(1, np.zeros((3, 2), np.int64)), ["gather"]),
    "scatter": (lambda x: x.scatter(1, np.zeros((3, 1), np.int64), 1.0), ["scatter"]),
    "scatter_": (lambda x: x.scatter_(1, np.zeros((3, 1), np.int64), 1.0), ["scatter_"]),
    "scatter_add": (lambda x: x.scatter_add(1, np.zeros((3, 1), np.int64), x), ["scatter_add"]),
    "scatter_add_": (lambda x: x.scatter_add_(1, np.zeros((3, 1), np.int64), x),
                     ["scatter_add_"]),
    "index_select": (lambda x: x.index_select(1, np.array([0, 2])), ["index_select"]),
    "index_add": (lambda x: x.index_add(1, np.array([0, 0]), np.ones((3, 2), np.float32)),
                  ["index_add"]),
    "index_add_": (lambda x: x.index_add_(1, np.array([0]), np.ones((3, 1), np.float32)),
                   ["index_add_"]),
    "index_copy": (lambda x: x.index_copy(1, np.array([2]), np.ones((3, 1), np.float32)),
                   ["index_copy"]),
    "index_copy_": (lambda x: x.index_copy_(1, np.array([2]), np.ones((3, 1), np.float32)),
                    ["index_copy_"]),
    "index_fill": (lambda x: x.index_fill(1, np.array([0, 3]), 2.0), ["index_fill"]),
    "index_fill_": (lambda x: x.index_fill_(1, np.array([0, 3]), 2.0), ["index_fill_"]),
    "scatter_reduce": (lambda x: x.scatter_reduce(1, np.zeros((3, 1), np.int64), x, "amax"),
                       ["scatter_reduce"]),
    "scatter_reduce_": (lambda x: x.scatter_reduce_(1, np.zeros((3, 1), np.int64), x, "mean"),
                        ["scatter_reduce_"]),
    "roll": (lambda x: x.roll(1, 0), ["roll"]),
    "flip": (lambda x: x.flip(0, 1), ["flip"]),
    "fliplr": (lambda x: x.fliplr(), ["flip"]),
    "flipud": (lambda x: x.flipud(), ["flip"]),
    "amax": (lambda x: x.amax(1), ["amax"]),
    "amin": (lambda x: x.amin(), ["amin"]),
    "norm": (lambda x: x.norm(1, 0), ["norm"]),
    "allclose": (lambda x: x.allclose(x), ["allclose"]),
    "dist": (lambda x: x.dist(x, 3), ["subtract", "norm"]),
    "equal": (lambda x: x.equal(x), ["tensor_equal"]),
    # fastnn._fused_arith: compositions of the ufunc ops, matmul and bmm
    "lerp": (lambda x: x.lerp(x, 0.3), ["subtract", "multiply", "add"]),
    "addcmul": (lambda x: x.addcmul(x, x, value=2), ["multiply", "multiply", "add"]),
    "addcdiv": (lambda x: x.addcdiv(x, x), ["divide", "add"]),
    "addmm": (lambda x: x.addmm(x, np.ones((4, 4), np.float32)), ["matmul", "add"]),
    "addmv": (lambda x: x[:, 0].addmv(x, x[0]), ["index", "index", "matmul", "add"]),
    "mv": (lambda x: x.mv(x[0]), ["index", "matmul"]),
    "baddbmm": (lambda x: x[None].baddbmm(x[None], np.ones((1, 4, 4), np.float32)),
                ["index", "index", "bmm", "add"]),
    "addbmm": (lambda x: x.addbmm(x[None], np.ones((1, 4, 4), np.float32)),
               ["index", "bmm", "sum", "add"]),
    "lerp_": (lambda x: x.lerp_(x, 0.7), ["subtract", "multiply", "subtract", "copy_"]),
    "addcmul_": (lambda x: x.addcmul_(x, x), ["multiply", "add", "copy_"]),
    "addcdiv_": (lambda x: x.addcdiv_(x, x, value=2), ["multiply", "divide", "add", "copy_"]),
    "addmm_": (lambda x: x.addmm_(x, np.ones((4, 4), np.float32)), ["matmul", "add", "copy_"]),
    "addmv_": (lambda x: x[:, 0].addmv_(x, x[0]), ["index", "index", "matmul", "add",
                                                   "copy_"]),
    "baddbmm_": (lambda x: x[None].baddbmm_(x[None], np.ones((1, 4, 4), np.float32)),
                 ["index", "index", "bmm", "add", "copy_"]),
    "addbmm_": (lambda x: x.addbmm_(x[None], np.ones((1, 4, 4), np.float32)),
                ["index", "bmm", "sum", "add", "copy_"]),
    # fastnn._products
    "kron": (lambda x: x.kron(x), ["reshape", "reshape", "reshape", "reshape", "multiply",
                                   "reshape"]),
    "float_power": (lambda x: x.float_power(2), ["to", "power"]),
    "float_power_": (lambda x: x.double().float_power_(2), ["to", "to", "power", "copy_"]),
    # fastnn._split_methods and _value_methods: compositions
    "tensor_split": (lambda x: x.tensor_split(2, 1), ["index", "index"]),
    "hsplit": (lambda x: x.hsplit(2), ["index", "index"]),
    "vsplit": (lambda x: x.vsplit([1]), ["index", "index"]),
    "dsplit": (lambda x: x.reshape(3, 2, 2).dsplit(2), ["reshape", "index", "index"]),
    "unflatten": (lambda x: x.unflatten(1, (2, 2)), ["unflatten"]),
    "take_along_dim": (lambda x: x.take_along_dim(fastnn.tensor([[0], [1], [2]]), 1),
                       ["gather"]),
    "rot90": (lambda x: x.rot90(), ["flip", "transpose"]),
    "diff": (lambda x: x.diff(), ["index", "index", "subtract"]),
    "isclose": (lambda x: x.isclose(x), ["equal", "subtract", "absolute", "isfinite", "multiply",
                                         "absolute", "add", "less_equal", "bitwise_and",
                                         "bitwise_or"]),
    "nan_to_num": (lambda x: x.nan_to_num(), ["isnan", "masked_fill", "equal", "masked_fill",
                                              "equal", "masked_fill"]),
    "count_nonzero": (lambda x: x.count_nonzero(), ["not_equal", "sum"]),
    "frac": (lambda x: x.frac(), ["trunc", "subtract"]),
    "isposinf": (lambda x: x.isposinf(), ["equal"]),
    "isneginf": (lambda x: x.isneginf(), ["equal"]),
    "logit": (lambda x: x.logit(0.2),
              ["less", "greater", "where", "where", "subtract", "divide", "log"]),
    "xlogy": (lambda x: x.xlogy(x),
              ["log", "multiply", "not_equal", "isnan", "bitwise_or", "where"]),
    "nansum": (lambda x: x.nansum(), ["isnan", "masked_fill", "sum"]),
    "nanmean": (lambda x: x.nanmean(1), ["isnan", "invert", "sum", "isnan", "masked_fill", "sum",
                                         "divide"]),
    "logit_": (lambda x: x.logit_(0.1),
               ["less", "greater", "where", "where", "subtract", "divide", "log", "copy_"]),
    "xlogy_": (lambda x: x.xlogy_(2.0), ["multiply", "not_equal", "where", "copy_"]),
    "unique": (lambda x: x.unique(), ["unique"]),
    "bincount": (lambda x: (x > 0).long().reshape(-1).bincount(),
                 ["greater", "to", "reshape", "bincount"]),
    "masked_select": (lambda x: x.masked_select(x > 0), ["greater", "index"]),
    "diag": (lambda x: x.diag(), ["diagonal", "clone"]),
    "diag_embed": (lambda x: x.diag_embed(), ["unsqueeze", "where"]),
    # torch's meaning of names numpy's ndarray also has (fastnn._numpy_name_methods)
    "T": (lambda x: x.T, ["permute"]),
    "mT": (lambda x: x.mT, ["transpose"]),
    "H": (lambda x: x.H, ["transpose"]),
    "mH": (lambda x: x.mH, ["transpose"]),
    "adjoint": (lambda x: x.adjoint(), ["transpose"]),
    "swapaxes": (lambda x: x.swapaxes(0, 1), ["transpose"]),
    "cumsum": (lambda x: x.cumsum(1), ["cumsum"]),
    "cumprod": (lambda x: x.cumprod(0), ["cumprod"]),
    "diagonal": (lambda x: x.diagonal(1), ["diagonal"]),
    "trace": (lambda x: x.trace(), ["diagonal", "sum"]),
    "dot": (lambda x: x[0].dot(x[1]), ["index", "index", "matmul"]),
    "ravel": (lambda x: x.ravel(), ["reshape"]),
    "take": (lambda x: x.take(fastnn.tensor([0, 5])), ["reshape", "index"]),
    "argsort": (lambda x: x.argsort(1), ["sort"]),
    "round": (lambda x: x.round(decimals=2), ["multiply", "rint", "divide"]),
    "matmul": (lambda x: x.matmul(x.t()), ["t", "matmul"]),
    "mm": (lambda x: x.mm(x.t()), ["t", "matmul"]),
    "where": (lambda x: x.where(x > 0, 0.0), ["greater", "where"]),
    "bmm": (lambda x: x.reshape(1, 3, 4).bmm(np.ones((1, 4, 2), np.float32)),
            ["reshape", "bmm"]),
    # fastnn._arith_methods: the operators' ufunc ops (alpha scales first; clamp_ copies in)
    "add": (lambda x: x.add(x, alpha=2), ["multiply", "add"]),
    "sub": (lambda x: x.sub(1), ["subtract"]),
    "subtract": (lambda x: x.subtract(x), ["subtract"]),
    "mul": (lambda x: x.mul(2), ["multiply"]),
    "multiply": (lambda x: x.multiply(x), ["multiply"]),
    "div": (lambda x: x.div(2), ["divide"]),
    "divide": (lambda x: x.divide(2, rounding_mode="trunc"), ["divide", "trunc"]),
    "true_divide": (lambda x: x.true_divide(x), ["divide"]),
    "neg": (lambda x: x.neg(), ["negative"]),
    "negative": (lambda x: x.negative(), ["negative"]),
    "clamp_min": (lambda x: x.clamp_min(0), ["clamp"]),
    "clamp_max": (lambda x: x.clamp_max(0), ["clamp"]),
    "add_": (lambda x: x.add_(1), ["add"]),
    "sub_": (lambda x: x.sub_(x, alpha=2), ["multiply", "subtract"]),
    "mul_": (lambda x: x.mul_(2), ["multiply"]),
    "div_": (lambda x: x.div_(2, rounding_mode="floor"), ["floor_divide"]),
    "neg_": (lambda x: x.neg_(), ["negative"]),
    "clamp_": (lambda x: x.clamp_(0, 1), ["clamp", "copy_"]),
    "clamp_min_": (lambda x: x.clamp_min_(0), ["clamp", "copy_"]),
    "clamp_max_": (lambda x: x.clamp_max_(0), ["clamp", "copy_"]),
    "clip_": (lambda x: x.clip_(max=1), ["clamp", "copy_"]),
    "subtract_": (lambda x: x.subtract_(1), ["subtract"]),
    "multiply_": (lambda x: x.multiply_(x), ["multiply"]),
    "divide_": (lambda x: x.divide_(2), ["divide"]),
    "true_divide_": (lambda x: x.true_divide_(2), ["divide"]),
    "negative_": (lambda x: x.negative_(), ["negative"]),
    # fastnn._functions' in-place math: the op, then copy_ into the tensor
    "sigmoid_": (lambda x: x.sigmoid_(), ["sigmoid", "copy_"]),
    "tanh_": (lambda x: x.tanh_(), ["tanh", "copy_"]),
    "exp_": (lambda x: x.exp_(), ["exp", "copy_"]),
    "log_": (lambda x: x.log_(), ["log", "copy_"]),
    "sqrt_": (lambda x: x.sqrt_(), ["sqrt", "copy_"]),
    "rsqrt_": (lambda x: x.rsqrt_(), ["rsqrt", "copy_"]),
    "abs_": (lambda x: x.abs_(), ["absolute", "copy_"]),
    "pow_": (lambda x: x.pow_(2), ["power", "copy_"]),
}

# running extremes and log-sum-exp (fastnn._cumulative_ops); cross: a composition
_CROSS_OPS = ["index_select", "index_select", "multiply", "index_select", "index_select",
              "multiply", "subtract"]
METHODS.update({
    "cummax": (lambda x: x.cummax(1), ["cummax"]),
    "cummin": (lambda x: x.cummin(0), ["cummin"]),
    "logcumsumexp": (lambda x: x.logcumsumexp(1), ["logcumsumexp"]),
    "cross": (lambda x: x.cross(x, 0), _CROSS_OPS),
})

# order statistics (fastnn._order_statistic_ops); quantile: torch's composition
_QUANTILE_OPS = ["sort", "view", "multiply", "isnan", "any", "invert", "where", "to", "gather",
                 "floor", "subtract", "ceil", "to", "gather", "subtract", "multiply", "add",
                 "subtract", "multiply", "subtract", "absolute", "less", "where", "squeeze"]
_NANQUANTILE_OPS = ["reshape", "sort", "view", "isnan", "invert", "sum", "subtract", "to",
                    "multiply", "less", "masked_fill"] + _QUANTILE_OPS[7:]
METHODS.update({
    "median": (lambda x: x.median(1), ["median"]),
    "nanmedian": (lambda x: x.nanmedian(), ["nanmedian"]),
    "kthvalue": (lambda x: x.kthvalue(2, 0), ["kthvalue"]),
    "mode": (lambda x: x.mode(), ["mode"]),
    "quantile": (lambda x: x.quantile(0.3, 1), _QUANTILE_OPS),
    "nanquantile": (lambda x: x.nanquantile(0.5), _NANQUANTILE_OPS),
})

# compositions of fastnn's ops (fastnn._compose_methods)
METHODS.update({
    "movedim": (lambda x: x.movedim(0, 1), ["permute"]),
    "moveaxis": (lambda x: x.moveaxis(-1, 0), ["permute"]),
    "narrow": (lambda x: x.narrow(1, 1, 2), ["index"]),
    "unbind": (lambda x: x.unbind(0), ["index"] * 3),
    "tril": (lambda x: x.tril(), ["masked_fill"]),
    "triu": (lambda x: x.triu(1), ["masked_fill"]),
    "broadcast_to": (lambda x: x.broadcast_to((2, 3, 4)), ["expand"]),
    "tile": (lambda x: x.tile((2,)), ["repeat"]),
    "repeat_interleave": (lambda x: x.repeat_interleave(2, 1), ["index_select"]),
    "outer": (lambda x: x[0].outer(x[1]), ["index", "index", "reshape", "multiply"]),
    # the shift (amax) is detached: outside the door
    "logsumexp": (lambda x: x.logsumexp(1),
                  ["amax", "masked_fill", "subtract", "exp", "sum", "log", "reshape", "add"]),
})


# torch's names of numpy's ufuncs (fastnn._ufunc_methods): the ufunc, recorded by its name
# (the bitwise functions on an integer tensor of the same shape: torch refuses floats)
def _operand(x, name):
    return fastnn.from_numpy(np.arange(12).reshape(3, 4)) if name.startswith("bitwise") else x


METHODS.update({name: (lambda x, name=name: getattr(_operand(x, name), name)(), [ufunc.__name__])
                for name, ufunc in UNARY.items()})
METHODS.update({name: (lambda x, name=name: getattr(_operand(x, name), name)(_operand(x, name)),
                       [ufunc.__name__])
                for name, ufunc in BINARY.items()})

# public Tensor names that deliberately stay outside the door (docs/OPS.md gives reasons)
OUTSIDE = {"item", "numpy", "size", "dim", "ndimension", "numel", "nelement",
           "is_contiguous", "stride", "is_floating_point", "is_complex", "is_signed",
           "element_size", "storage_offset", "data_ptr", "device", "is_cuda", "data", "grad",
           "requires_grad", "requires_grad_", "detach", "detach_", "cpu", "cuda",
           "new_zeros", "new_ones", "new_empty", "new_full", "new_tensor",
           "backward", "register_hook", "retain_grad", "retains_grad", "grad_fn", "is_leaf"}

# top-level functions -> (call, expected ops)
FUNCTIONS = {
    "relu": (lambda x: fastnn.relu(x), ["relu"]),
    "bernoulli": (lambda x: fastnn.bernoulli(x, 0.5), ["bernoulli"]),   # _random_sampling
    "multinomial": (lambda x: fastnn.multinomial(x.abs(), 2), ["absolute", "multinomial"]),
    "poisson": (lambda x: fastnn.poisson(x.abs()), ["absolute", "poisson"]),
    "normal": (lambda x: fastnn.normal(x, 1.0), ["normal"]),
    "relu_": (lambda x: fastnn.relu_(x), ["relu"]),
    "sigmoid": (lambda x: fastnn.sigmoid(x), ["sigmoid"]),
    "tanh": (lambda x: fastnn.tanh(x), ["tanh"]),
    "softmax": (lambda x: fastnn.softmax(x, 1), ["softmax"]),
    "log_softmax": (lambda x: fastnn.log_softmax(x, 1), ["log_softmax"]),
    "exp": (lambda x: fastnn.exp(x), ["exp"]),
    "abs": (lambda x: fastnn.abs(x), ["absolute"]),
    "pow": (lambda x: fastnn.pow(x, 3), ["power"]),
    "clamp": (lambda x: fastnn.clamp(x, min=0), ["clamp"]),
    "clip": (lambda x: fastnn.clip(x, max=0), ["clamp"]),
    "where": (lambda x: fastnn.where(x > 0, x, 0.0), ["greater", "where"]),
    "matmul": (lambda x: fastnn.matmul(x, x.t()), ["t", "matmul"]),
    "mm": (lambda x: fastnn.mm(x, x.t()), ["t", "matmul"]),
    "max": (lambda x: fastnn.max(x, 0), ["max"]),
    "min": (lambda x: fastnn.min(x), ["min"]),
    "maximum": (lambda x: fastnn.maximum(x, x), ["maximum"]),
    "minimum": (lambda x: fastnn.minimum(x, x), ["minimum"]),
    "argmax": (lambda x: fastnn.argmax(x), ["argmax"]),
    "argmin": (lambda x: fastnn.argmin(x, 1), ["argmin"]),
    "sum": (lambda x: fastnn.sum(x), ["sum"]),
    "mean": (lambda x: fastnn.mean(x, 1, keepdim=True), ["mean"]),
    "prod": (lambda x: fastnn.prod(x), ["prod"]),
    "std": (lambda x: fastnn.std(x), ["std"]),
    "var": (lambda x: fastnn.var(x, 1), ["var"]),
    "any": (lambda x: fastnn.any(x), ["any"]),
    "all": (lambda x: fastnn.all(x), ["all"]),
    "sort": (lambda x: fastnn.sort(x, 0), ["sort"]),
    "nonzero": (lambda x: fastnn.nonzero(x), ["nonzero"]),
    "t": (lambda x: fastnn.t(x), ["t"]),
    "masked_fill": (lambda x: fastnn.masked_fill(x, mask34(), 1.0), ["masked_fill"]),
    # fastnn._creation's shape functions
    "flatten": (lambda x: fastnn.flatten(x), ["flatten"]),
    "cat": (lambda x: fastnn.cat([x, x], 1), ["cat"]),
    "concat": (lambda x: fastnn.concat([x, x]), ["cat"]),
    "concatenate": (lambda x: fastnn.concatenate([x, x]), ["cat"]),
    "stack": (lambda x: fastnn.stack([x, x], -1), ["stack"]),
    "unsqueeze": (lambda x: fastnn.unsqueeze(x, 1), ["unsqueeze"]),
    "squeeze": (lambda x: fastnn.squeeze(x), ["squeeze"]),
    "permute": (lambda x: fastnn.permute(x, (1, 0)), ["permute"]),
    "transpose": (lambda x: fastnn.transpose(x, 0, 1), ["transpose"]),
    "swapaxes": (lambda x: fastnn.swapaxes(x, 0, 1), ["transpose"]),
    "swapdims": (lambda x: fastnn.swapdims(x, 1, 0), ["transpose"]),
    "reshape": (lambda x: fastnn.reshape(x, (2, -1)), ["reshape"]),
    "clone": (lambda x: fastnn.clone(x), ["clone"]),
    # fastnn._arith_functions
    "add": (lambda x: fastnn.add(x, x), ["add"]),
    "sub": (lambda x: fastnn.sub(x, x, alpha=3), ["multiply", "subtract"]),
    "subtract": (lambda x: fastnn.subtract(2, x), ["subtract"]),
    "mul": (lambda x: fastnn.mul(x, 2), ["multiply"]),
    "multiply": (lambda x: fastnn.multiply(x, x), ["multiply"]),
    "div": (lambda x: fastnn.div(x, 2, rounding_mode="floor"), ["floor_divide"]),
    "divide": (lambda x: fastnn.divide(x, x), ["divide"]),
    "true_divide": (lambda x: fastnn.true_divide(x, 2), ["divide"]),
    "neg": (lambda x: fastnn.neg(x), ["negative"]),
    "negative": (lambda x: fastnn.negative(x), ["negative"]),
    "clamp_min": (lambda x: fastnn.clamp_min(x, 0), ["clamp"]),
    "clamp_max": (lambda x: fastnn.clamp_max(x, 1), ["clamp"]),
    # activations' top-level forms
    "selu": (lambda x: fastnn.selu(x), ["selu"]),
    "selu_": (lambda x: fastnn.selu_(x), ["selu"]),
    "celu": (lambda x: fastnn.celu(x, 0.5), ["celu"]),
    "celu_": (lambda x: fastnn.celu_(x), ["celu"]),
    "threshold": (lambda x: fastnn.threshold(x, 0.1, 2.0), ["threshold"]),
    "threshold_": (lambda x: fastnn.threshold_(x, 0.1, 2.0), ["threshold"]),
    "prelu": (lambda x: fastnn.prelu(x, fastnn.ones(4)), ["prelu"]),
    "sigmoid_": (lambda x: fastnn.sigmoid_(x), ["sigmoid", "copy_"]),
    "tanh_": (lambda x: fastnn.tanh_(x), ["tanh", "copy_"]),
    "exp_": (lambda x: fastnn.exp_(x), ["exp", "copy_"]),
    "log_": (lambda x: fastnn.log_(x), ["log", "copy_"]),
    "sqrt_": (lambda x: fastnn.sqrt_(x), ["sqrt", "copy_"]),
    "rsqrt_": (lambda x: fastnn.rsqrt_(x), ["rsqrt", "copy_"]),
    "abs_": (lambda x: fastnn.abs_(x), ["absolute", "copy_"]),
    "clamp_": (lambda x: fastnn.clamp_(x, 0, 1), ["clamp", "copy_"]),
    # fastnn._tensor_functions (issue 17, item 2)
    "log": (lambda x: fastnn.log(x), ["log"]),
    "sqrt": (lambda x: fastnn.sqrt(x), ["sqrt"]),
    "rsqrt": (lambda x: fastnn.rsqrt(x), ["rsqrt"]),
    "erf": (lambda x: fastnn.erf(x), ["erf"]),
    "isnan": (lambda x: fastnn.isnan(x), ["isnan"]),
    "isinf": (lambda x: fastnn.isinf(x), ["isinf"]),
    "isfinite": (lambda x: fastnn.isfinite(x), ["isfinite"]),
    "split": (lambda x: fastnn.split(x, [1, 2]), ["split"]),
    "chunk": (lambda x: fastnn.chunk(x, 2, 1), ["chunk"]),
    "topk": (lambda x: fastnn.topk(x, 1, 0), ["topk"]),
    "gather": (lambda x: fastnn.gather(x, 0, np.zeros((1, 4), np.int64)), ["gather"]),
    "scatter": (lambda x: fastnn.scatter(x, 0, np.zeros((1, 4), np.int64), x), ["scatter"]),
    "scatter_add": (lambda x: fastnn.scatter_add(x, 0, np.zeros((1, 4), np.int64), x),
                    ["scatter_add"]),
    "index_select": (lambda x: fastnn.index_select(x, 0, np.array([1])), ["index_select"]),
    "index_add": (lambda x: fastnn.index_add(x, 0, np.array([1]), np.ones((1, 4), np.float32),
                                             alpha=2),
                  ["index_add"]),
    "index_copy": (lambda x: fastnn.index_copy(x, 0, np.array([1]),
                                               np.ones((1, 4), np.float32)), ["index_copy"]),
    "index_fill": (lambda x: fastnn.index_fill(x, 0, np.array([1]), 0.5), ["index_fill"]),
    "scatter_reduce": (lambda x: fastnn.scatter_reduce(x, 0, np.zeros((1, 4), np.int64), x,
                                                       "prod", include_self=False),
                       ["scatter_reduce"]),
    "roll": (lambda x: fastnn.roll(x, (1, 1), (0, 1)), ["roll"]),
    "flip": (lambda x: fastnn.flip(x, [-1]), ["flip"]),
    "cumsum": (lambda x: fastnn.cumsum(x, 1), ["cumsum"]),
    "fliplr": (lambda x: fastnn.fliplr(x), ["flip"]),
    "flipud": (lambda x: fastnn.flipud(x), ["flip"]),
    "amax": (lambda x: fastnn.amax(x), ["amax"]),
    "amin": (lambda x: fastnn.amin(x, (0, 1)), ["amin"]),
    "norm": (lambda x: fastnn.norm(x), ["norm"]),
    "allclose": (lambda x: fastnn.allclose(x, x), ["allclose"]),
    "dist": (lambda x: fastnn.dist(x, x), ["subtract", "norm"]),
    "round": (lambda x: fastnn.round(x, decimals=-1), ["divide", "rint", "multiply"]),
    "equal": (lambda x: fastnn.equal(x, x), ["tensor_equal"]),
    "bmm": (lambda x: fastnn.bmm(x[None], x.t()[None]), ["index", "t", "index", "bmm"]),
    "einsum": (lambda x: fastnn.einsum("ij,kj->ik", x, x), ["einsum"]),
    "lerp": (lambda x: fastnn.lerp(x, x, 0.3), ["subtract", "multiply", "add"]),
    "addcmul": (lambda x: fastnn.addcmul(x, x, x), ["multiply", "add"]),
    "addcdiv": (lambda x: fastnn.addcdiv(x, x, x), ["divide", "add"]),
    "addmm": (lambda x: fastnn.addmm(x, x, np.ones((4, 4), np.float32)), ["matmul", "add"]),
    "addmv": (lambda x: fastnn.addmv(x[:, 0], x, x[0]), ["index", "index", "matmul", "add"]),
    "mv": (lambda x: fastnn.mv(x, x[0]), ["index", "matmul"]),
    "baddbmm": (lambda x: fastnn.baddbmm(x[None], x[None], np.ones((1, 4, 4), np.float32)),
                ["index", "index", "bmm", "add"]),
    "addbmm": (lambda x: fastnn.addbmm(x, x[None], np.ones((1, 4, 4), np.float32)),
               ["index", "bmm", "sum", "add"]),
    "tensordot": (lambda x: fastnn.tensordot(x, x, ([1], [1])),
                  ["permute", "reshape", "permute", "reshape", "matmul", "reshape"]),
    "kron": (lambda x: fastnn.kron(x, x), ["reshape", "reshape", "reshape", "reshape",
                                           "multiply", "reshape"]),
    "float_power": (lambda x: fastnn.float_power(x, x), ["to", "to", "power"]),
    "tensor_split": (lambda x: fastnn.tensor_split(x, [1]), ["index", "index"]),
    "hsplit": (lambda x: fastnn.hsplit(x, 2), ["index", "index"]),
    "vsplit": (lambda x: fastnn.vsplit(x, 3), ["index", "index", "index"]),
    "dsplit": (lambda x: fastnn.dsplit(x.reshape(3, 2, 2), [1]), ["reshape", "index", "index"]),
    "unflatten": (lambda x: fastnn.unflatten(x, 0, (3, 1)), ["unflatten"]),
    "take_along_dim": (lambda x: fastnn.take_along_dim(x, fastnn.tensor([0, 5])),
                       ["reshape", "reshape", "gather"]),
    "rot90": (lambda x: fastnn.rot90(x, 2), ["flip"]),
    "diff": (lambda x: fastnn.diff(x, dim=0), ["index", "index", "subtract"]),
    "hstack": (lambda x: fastnn.hstack([x, x]), ["cat"]),
    "vstack": (lambda x: fastnn.vstack([x, x]), ["cat"]),
    "row_stack": (lambda x: fastnn.row_stack([x, x]), ["cat"]),
    "dstack": (lambda x: fastnn.dstack([x, x]), ["unsqueeze", "unsqueeze", "cat"]),
    "column_stack": (lambda x: fastnn.column_stack([x[0], x[1]]),
                     ["index", "index", "reshape", "reshape", "cat"]),
    "atleast_1d": (lambda x: fastnn.atleast_1d(x[0, 0]), ["index", "reshape"]),
    "atleast_2d": (lambda x: fastnn.atleast_2d(x[0]), ["index", "reshape"]),
    "atleast_3d": (lambda x: fastnn.atleast_3d(x), ["unsqueeze"]),
    "var_mean": (lambda x: fastnn.var_mean(x, 1), ["var", "mean"]),
    "std_mean": (lambda x: fastnn.std_mean(x), ["std", "mean"]),
    "isclose": (lambda x: fastnn.isclose(x, x, atol=0, rtol=0), ["equal"]),
    "nan_to_num": (lambda x: fastnn.nan_to_num(x.long()), ["to", "clone"]),
    "count_nonzero": (lambda x: fastnn.count_nonzero(x, 1), ["not_equal", "sum"]),
    "frac": (lambda x: fastnn.frac(x), ["trunc", "subtract"]),
    "isposinf": (lambda x: fastnn.isposinf(x), ["equal"]),
    "isneginf": (lambda x: fastnn.isneginf(x.long()), ["to", "not_equal"]),
    "logit": (lambda x: fastnn.logit(x, 0.1), ["less", "greater", "where", "where", "subtract",
                                               "divide", "log"]),
    "xlogy": (lambda x: fastnn.xlogy(x, 2), ["multiply", "not_equal", "where"]),
    "nansum": (lambda x: fastnn.nansum(x, 1), ["isnan", "masked_fill", "sum"]),
    "nanmean": (lambda x: fastnn.nanmean(x), ["isnan", "invert", "sum", "isnan", "masked_fill",
                                              "sum", "divide"]),
    "searchsorted": (lambda x: fastnn.searchsorted(fastnn.tensor([0.0, 1.0]), x),
                     ["searchsorted"]),
    "bucketize": (lambda x: fastnn.bucketize(x, fastnn.tensor([0.0, 1.0])), ["searchsorted"]),
    "unique": (lambda x: fastnn.unique(x, return_counts=True), ["unique"]),
    "bincount": (lambda x: fastnn.bincount(fastnn.tensor([0, 2])), ["bincount"]),
    "masked_select": (lambda x: fastnn.masked_select(x, x > 0), ["greater", "index"]),
    "diag": (lambda x: fastnn.diag(x[0]), ["index", "unsqueeze", "where"]),
    "diag_embed": (lambda x: fastnn.diag_embed(x, 1, 0, 2), ["cat", "unsqueeze", "where",
                                                             "permute"]),
    "cumprod": (lambda x: fastnn.cumprod(x, 1), ["cumprod"]),
    "diagonal": (lambda x: fastnn.diagonal(x, -1), ["diagonal"]),
    "trace": (lambda x: fastnn.trace(x), ["diagonal", "sum"]),
    "dot": (lambda x: fastnn.dot(x[0], x[1]), ["index", "index", "matmul"]),
    "ravel": (lambda x: fastnn.ravel(x), ["reshape"]),
    "take": (lambda x: fastnn.take(x, fastnn.tensor([0, 5])), ["reshape", "index"]),
}
FUNCTIONS.update({
    "movedim": (lambda x: fastnn.movedim(x, (0, 1), (1, 0)), ["permute"]),
    "moveaxis": (lambda x: fastnn.moveaxis(x, 0, 1), ["permute"]),
    "narrow": (lambda x: fastnn.narrow(x, 0, -2, 2), ["index"]),
    "unbind": (lambda x: fastnn.unbind(x, 1), ["index"] * 4),
    "tril": (lambda x: fastnn.tril(x, -1), ["masked_fill"]),
    "triu": (lambda x: fastnn.triu(x), ["masked_fill"]),
    "broadcast_to": (lambda x: fastnn.broadcast_to(x, (1, 3, 4)), ["expand"]),
    "argsort": (lambda x: fastnn.argsort(x, 0), ["sort"]),
    "tile": (lambda x: fastnn.tile(x, (1, 2)), ["repeat"]),
    "repeat_interleave": (lambda x: fastnn.repeat_interleave(x, 2), ["reshape", "index_select"]),
    "outer": (lambda x: fastnn.outer(x[0], x[1]), ["index", "index", "reshape", "multiply"]),
    "logsumexp": (lambda x: fastnn.logsumexp(x, 0, keepdim=True),
                  ["amax", "masked_fill", "subtract", "exp", "sum", "log", "add"]),
    "meshgrid": (lambda x: fastnn.meshgrid(x.reshape(-1), indexing="ij"),
                 ["reshape", "reshape", "expand"]),
})
FUNCTIONS.update({
    "cummax": (lambda x: fastnn.cummax(x, 0), ["cummax"]),
    "cummin": (lambda x: fastnn.cummin(x, -1), ["cummin"]),
    "logcumsumexp": (lambda x: fastnn.logcumsumexp(x, 0), ["logcumsumexp"]),
    "cross": (lambda x: fastnn.cross(x, x, dim=0), _CROSS_OPS),
    "cdist": (lambda x: fastnn.cdist(x, x), ["cdist"]),
    "block_diag": (lambda x: fastnn.block_diag(x, x[0]), ["index", "cat", "reshape", "cat", "cat"]),
    "cartesian_prod": (lambda x: fastnn.cartesian_prod(x[0], x[1]),
                       ["index", "index", "reshape", "expand", "reshape", "expand", "reshape",
                        "reshape", "stack"]),
})
FUNCTIONS.update({
    "median": (lambda x: fastnn.median(x), ["median"]),
    "nanmedian": (lambda x: fastnn.nanmedian(x, 0), ["nanmedian"]),
    "kthvalue": (lambda x: fastnn.kthvalue(x, 1), ["kthvalue"]),
    "mode": (lambda x: fastnn.mode(x, 0), ["mode"]),
    "quantile": (lambda x: fastnn.quantile(x, fastnn.tensor([0.2, 0.8]), 0,
                                           interpolation="lower"),
                 ["unsqueeze", "transpose", "sort", "view", "multiply", "isnan", "any",
                  "invert", "where", "floor", "to", "gather", "unsqueeze", "transpose",
                  "squeeze", "contiguous"]),
    "nanquantile": (lambda x: fastnn.nanquantile(x, 0.5), _NANQUANTILE_OPS),
})
FUNCTIONS.update({name: (lambda x, name=name: getattr(fastnn, name)(_operand(x, name)),
                         [ufunc.__name__])
                  for name, ufunc in UNARY.items()})
FUNCTIONS.update({name: (lambda x, name=name: getattr(fastnn, name)(
                             _operand(x, name), _operand(x, name)),
                         [ufunc.__name__])
                  for name, ufunc in BINARY.items()})


# fastnn._set_functions, _index_functions, _type_promotion_functions (the dtype and shape
# facts and the index factories compute no tensor from a tensor: they record nothing)
FUNCTIONS.update({
    "isin": (lambda x: fastnn.isin(x, x[0]),
             ["index", "to", "to", "reshape", "sort", "searchsorted", "clamp", "reshape",
              "index", "equal"]),
    "unique_consecutive": (lambda x: fastnn.unique_consecutive(x, return_counts=True),
                           ["reshape", "index", "index", "not_equal", "cat", "nonzero",
                            "reshape", "cat", "index", "index", "subtract", "index_select",
                            "cumsum", "subtract", "reshape"]),
    "combinations": (lambda x: fastnn.combinations(x[0], 2), ["index", "index"]),
    "broadcast_tensors": (lambda x: fastnn.broadcast_tensors(x, x[0]),
                          ["index", "expand", "expand"]),
    "broadcast_shapes": (lambda x: fastnn.broadcast_shapes((3, 1), (4,)), []),
    "tril_indices": (lambda x: fastnn.tril_indices(3, 4), []),
    "triu_indices": (lambda x: fastnn.triu_indices(3, 4, 1), []),
    "unravel_index": (lambda x: fastnn.unravel_index(fastnn.tensor([5, 7]), (3, 4)),
                      ["unsqueeze", "floor_divide", "remainder", "index", "index"]),
    "argwhere": (lambda x: fastnn.argwhere(x), ["nonzero"]),
    "aminmax": (lambda x: fastnn.aminmax(x, dim=1), ["amin", "amax"]),
    "inner": (lambda x: fastnn.inner(x, x),
              ["permute", "reshape", "permute", "reshape", "matmul", "reshape"]),
    "result_type": (lambda x: fastnn.result_type(x, 2), []),
    "promote_types": (lambda x: fastnn.promote_types(fastnn.uint8, fastnn.int8), []),
    "can_cast": (lambda x: fastnn.can_cast(fastnn.float32, fastnn.int32), []),
    "is_nonzero": (lambda x: fastnn.is_nonzero(x[0, :1]), ["index"]),
    "is_same_size": (lambda x: fastnn.is_same_size(x, x), []),
    "scalar_tensor": (lambda x: fastnn.scalar_tensor(2), []),
})


# the in-place forms (fastnn._in_place_methods, _in_place_functions): the op, then copy_
def _in_place_ops(name):
    special = {"erf": ["erf"], "frac": ["trunc", "subtract"]}
    return (special[name] if name in special else [UNARY[name].__name__]) + ["copy_"]


METHODS.update({f"{name}_": (lambda x, name=name: getattr(x, f"{name}_")(), _in_place_ops(name))
                for name in UNARY_IN_PLACE})
FUNCTIONS.update({f"{name}_": (lambda x, name=name: getattr(fastnn, f"{name}_")(x),
                               _in_place_ops(name))
                  for name in UNARY_IN_PLACE})
_NAN_TO_NUM_OPS = ["isnan", "masked_fill", "equal", "masked_fill", "equal", "masked_fill", "copy_"]
METHODS.update({
    "aminmax": (lambda x: x.aminmax(), ["amin", "amax"]),
    "unique_consecutive": (lambda x: x.unique_consecutive(dim=0),
                           ["index", "index", "permute", "reshape", "permute", "reshape",
                            "not_equal", "any", "cat", "nonzero", "reshape", "cat", "index",
                            "index", "subtract", "index_select", "cumsum", "subtract"]),
    "round_": (lambda x: x.round_(decimals=1), ["multiply", "rint", "divide", "copy_"]),
    "nan_to_num_": (lambda x: x.nan_to_num_(), _NAN_TO_NUM_OPS),
})
FUNCTIONS.update({
    "round_": (lambda x: fastnn.round_(x), ["rint", "copy_"]),
    "nan_to_num_": (lambda x: fastnn.nan_to_num_(x), _NAN_TO_NUM_OPS),
    "clamp_min_": (lambda x: fastnn.clamp_min_(x, 0), ["clamp", "copy_"]),
    "clamp_max_": (lambda x: fastnn.clamp_max_(x, 0), ["clamp", "copy_"]),
    "clip_": (lambda x: fastnn.clip_(x, 0, 1), ["clamp", "copy_"]),
    "neg_": (lambda x: fastnn.neg_(x), ["negative"]),
    "negative_": (lambda x: fastnn.negative_(x), ["negative"]),
    "logit_": (lambda x: fastnn.logit_(x.sigmoid()),
               ["sigmoid", "subtract", "divide", "log", "copy_"]),
    "xlogy_": (lambda x: fastnn.xlogy_(x, 2.0), ["multiply", "not_equal", "where", "copy_"]),
    "zero_": (lambda x: fastnn.zero_(x), ["zero_"]),
    "fill_": (lambda x: fastnn.fill_(x, 2.0), ["fill_"]),
    "detach_": (lambda x: fastnn.detach_(x), []),
    "dropout_": (lambda x: fastnn.dropout_(x, 0.5, False), ["dropout"]),
})

# fastnn._functional_aliases: F's op
FUNCTIONS.update({
    "conv1d": (lambda x: fastnn.conv1d(x[None], fastnn.ones(2, 3, 2)), ["index", "conv1d"]),
    "conv2d": (lambda x: fastnn.conv2d(x[None, None], fastnn.ones(1, 1, 2, 2)),
               ["index", "conv2d"]),
    "conv3d": (lambda x: fastnn.conv3d(x[None, None, None], fastnn.ones(1, 1, 1, 2, 2)),
               ["index", "conv3d"]),
    "conv_transpose1d": (lambda x: fastnn.conv_transpose1d(x[None], fastnn.ones(3, 2, 2)),
                         ["index", "conv_transpose1d"]),
    "conv_transpose2d": (lambda x: fastnn.conv_transpose2d(x[None, None],
                                                           fastnn.ones(1, 1, 2, 2)),
                         ["index", "conv_transpose2d"]),
    "conv_transpose3d": (lambda x: fastnn.conv_transpose3d(x[None, None, None],
                                                           fastnn.ones(1, 1, 1, 2, 2)),
                         ["index", "conv_transpose3d"]),
    "max_pool1d": (lambda x: fastnn.max_pool1d(x[None], 2), ["index", "max_pool1d"]),
    "max_pool2d": (lambda x: fastnn.max_pool2d(x[None], 2), ["index", "max_pool2d"]),
    "max_pool3d": (lambda x: fastnn.max_pool3d(x[None, None], (1, 2, 2)),
                   ["index", "max_pool3d"]),
    "avg_pool1d": (lambda x: fastnn.avg_pool1d(x[None], 2), ["index", "avg_pool1d"]),
    "adaptive_avg_pool1d": (lambda x: fastnn.adaptive_avg_pool1d(x[None], 2),
                            ["index", "adaptive_avg_pool1d"]),
    "adaptive_max_pool1d": (lambda x: fastnn.adaptive_max_pool1d(x[None], 2),
                            ["index", "adaptive_max_pool1d_with_indices"]),
    "batch_norm": (lambda x: fastnn.batch_norm(x, None, None, fastnn.zeros(4), fastnn.ones(4),
                                               False, 0.1, 1e-5, False), ["batch_norm"]),
    "dropout": (lambda x: fastnn.dropout(x, 0.5, False), ["dropout"]),
    "embedding": (lambda x: fastnn.embedding(x, fastnn.tensor([0, 2])), ["embedding"]),
    "binary_cross_entropy_with_logits": (
        lambda x: fastnn.binary_cross_entropy_with_logits(x, x.sigmoid()),
        ["sigmoid", "binary_cross_entropy_with_logits"]),
    "kl_div": (lambda x: fastnn.kl_div(x, x, 2), ["kl_div"]),
    "cosine_similarity": (lambda x: fastnn.cosine_similarity(x, x),
                          ["norm", "clone", "norm", "clone", "clamp", "copy_", "clamp", "copy_",
                           "divide", "divide", "multiply", "sum"]),
    "pairwise_distance": (lambda x: fastnn.pairwise_distance(x, x), ["subtract", "add", "norm"]),
    "hardshrink": (lambda x: fastnn.hardshrink(x, 0.25), ["hardshrink"]),
    "rrelu": (lambda x: fastnn.rrelu(x), ["rrelu"]),
    "rrelu_": (lambda x: fastnn.rrelu_(x.clone()), ["clone", "rrelu"]),
})


# fastnn._special_methods / _special_functions: gcd and lcm on integers (torch refuses floats)
def _ints(x):
    return fastnn.from_numpy(np.arange(1, 13).reshape(3, 4))


_SPECIAL_UNARY = ["erfc", "erfinv", "lgamma", "digamma", "i0", "sinc"]
METHODS.update({name: (lambda x, name=name: getattr(x, name)(), [name])
                for name in _SPECIAL_UNARY})
METHODS.update({name + "_": (lambda x, name=name: getattr(x, name + "_")(), [name, "copy_"])
                for name in _SPECIAL_UNARY})
METHODS.update({
    "polygamma": (lambda x: x.polygamma(1), ["polygamma"]),
    "polygamma_": (lambda x: x.polygamma_(1), ["polygamma", "copy_"]),
    "mvlgamma": (lambda x: x.mvlgamma(1), ["mvlgamma"]),
    "mvlgamma_": (lambda x: x.mvlgamma_(1), ["mvlgamma", "copy_"]),
    "heaviside": (lambda x: x.heaviside(x), ["heaviside"]),
    "heaviside_": (lambda x: x.heaviside_(x), ["heaviside", "copy_"]),
    "frexp": (lambda x: x.frexp(), ["frexp"]),
    "ldexp": (lambda x: x.ldexp(x), ["ldexp"]),
    "ldexp_": (lambda x: x.ldexp_(x), ["ldexp", "copy_"]),
    "nextafter": (lambda x: x.nextafter(x), ["nextafter"]),
    "nextafter_": (lambda x: x.nextafter_(x), ["nextafter", "copy_"]),
    "gcd": (lambda x: _ints(x).gcd(_ints(x)), ["gcd"]),
    "gcd_": (lambda x: _ints(x).gcd_(_ints(x)), ["gcd", "copy_"]),
    "lcm": (lambda x: _ints(x).lcm(_ints(x)), ["lcm"]),
    "lcm_": (lambda x: _ints(x).lcm_(_ints(x)), ["lcm", "copy_"]),
})
FUNCTIONS.update({name: (lambda x, name=name: getattr(fastnn, name)(x), [name])
                  for name in _SPECIAL_UNARY})
FUNCTIONS.update({
    "erfc_": (lambda x: fastnn.erfc_(x), ["erfc", "copy_"]),
    "i0_": (lambda x: fastnn.i0_(x), ["i0", "copy_"]),
    "sinc_": (lambda x: fastnn.sinc_(x), ["sinc", "copy_"]),
    "polygamma": (lambda x: fastnn.polygamma(2, x), ["polygamma"]),
    "mvlgamma": (lambda x: fastnn.mvlgamma(x, 1), ["mvlgamma"]),
    "heaviside": (lambda x: fastnn.heaviside(x, x), ["heaviside"]),
    "frexp": (lambda x: fastnn.frexp(x), ["frexp"]),
    "ldexp": (lambda x: fastnn.ldexp(x, x), ["ldexp"]),
    "ldexp_": (lambda x: fastnn.ldexp_(x, x), ["ldexp", "copy_"]),
    "nextafter": (lambda x: fastnn.nextafter(x, x), ["nextafter"]),
    "gcd": (lambda x: fastnn.gcd(_ints(x), _ints(x)), ["gcd"]),
    "gcd_": (lambda x: fastnn.gcd_(_ints(x), _ints(x)), ["gcd", "copy_"]),
    "lcm": (lambda x: fastnn.lcm(_ints(x), _ints(x)), ["lcm"]),
    "lcm_": (lambda x: fastnn.lcm_(_ints(x), _ints(x)), ["lcm", "copy_"]),
})

# fastnn._decomposition_methods: square ones on x @ x.T (positive-definite for cholesky)
METHODS.update({
    "det": (lambda x: x.matmul(x.t()).det(), ["t", "matmul", "linalg_det"]),
    "logdet": (lambda x: x.matmul(x.t()).logdet(), ["t", "matmul", "logdet"]),
    "slogdet": (lambda x: x.matmul(x.t()).slogdet(), ["t", "matmul", "linalg_slogdet"]),
    "inverse": (lambda x: x.matmul(x.t()).inverse(), ["t", "matmul", "linalg_inv"]),
    "cholesky": (lambda x: x.matmul(x.t()).cholesky(), ["t", "matmul", "linalg_cholesky"]),
    "qr": (lambda x: x.qr(), ["linalg_qr"]),
    "svd": (lambda x: x.svd(), ["linalg_svd", "transpose"]),
    "pinverse": (lambda x: x.pinverse(),
                 ["linalg_svd", "greater", "invert", "masked_fill", "divide", "invert",
                  "masked_fill", "transpose", "unsqueeze", "multiply", "transpose", "matmul"]),
})


# fastnn._statistics_methods: histc an op of its own; cov and corrcoef compositions
_COV_OPS = ["sum", "divide", "unsqueeze", "subtract", "t", "matmul", "divide", "squeeze"]
_CORRCOEF_OPS = _COV_OPS + ["diagonal", "sqrt", "view", "divide", "view", "divide", "clip"]
METHODS.update({
    "histc": (lambda x: x.histc(4), ["histc"]),
    "cov": (lambda x: x.cov(), _COV_OPS),
    "corrcoef": (lambda x: x.corrcoef(), _CORRCOEF_OPS),
})
FUNCTIONS.update({
    "histc": (lambda x: fastnn.histc(x, 4), ["histc"]),
    "cov": (lambda x: fastnn.cov(x), _COV_OPS),
    "corrcoef": (lambda x: fastnn.corrcoef(x), _CORRCOEF_OPS),
})


def public_tensor_names():
    """Every public name fastnn's Tensor defines beyond numpy's ndarray."""
    names = set()
    for cls in fastnn.Tensor.__mro__:
        if cls not in (np.ndarray, object):
            names |= {n for n in vars(cls) if not n.startswith("_")}
    return names


def test_every_public_tensor_name_is_listed_inside_or_outside_the_door():
    assert public_tensor_names() == set(METHODS) | OUTSIDE


def test_every_computing_top_level_function_is_listed():
    shape_functions = {"flatten", "cat", "concat", "concatenate", "stack", "unsqueeze",
                       "squeeze", "permute", "transpose", "swapaxes", "swapdims", "reshape",
                       "clone"}
    assert (set(functions.__all__) | set(tensor_functions.__all__) | shape_functions
            | set(arith_functions.__all__) | set(ufunc_functions.__all__)
            | set(compose_functions.__all__) | set(fused_functions.__all__)
            | set(split_stack_functions.__all__) | set(value_functions.__all__)
            | set(indexed_update_functions.__all__) | set(cumulative_functions.__all__)
            | set(distance_functions.__all__) | set(block_functions.__all__)
            | set(order_statistic_functions.__all__) | set(set_functions.__all__)
            | set(index_functions.__all__) - {"return_types_aminmax"}
            | set(type_promotion_functions.__all__) | set(in_place_functions.__all__)
            | set(functional_aliases.__all__)
            | set(special_functions.__all__)
            | set(statistics_functions.__all__)
            | set(random_sampling.__all__)) == set(FUNCTIONS)
    assert shape_functions <= set(creation.__all__)


@pytest.mark.parametrize("name", sorted(METHODS))
def test_every_computing_method_records_exactly_its_op(name):
    call, expected = METHODS[name]
    x = x34()
    with ops.record() as calls:
        call(x)
    assert [c.op for c in calls] == expected
    assert calls[0].shapes[0] == (3, 4)


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_every_computing_function_records_exactly_its_op(name):
    call, expected = FUNCTIONS[name]
    x = x34()
    with ops.record() as calls:
        call(x)
    assert [c.op for c in calls] == expected


def test_the_outside_names_record_nothing():
    x = x34()
    with ops.record() as calls:
        x[0, 0].item()
        x.size(), x.dim(), x.numel(), x.is_contiguous(), x.detach(), x.cpu()
        x.is_complex(), x.is_signed(), x.element_size(), x.storage_offset(), x.data_ptr()
        x.new_zeros(2), x.new_full((2,), 1.0), x.new_tensor([1.0]), x.numpy(), x.tolist()
        repr(x)
    assert [c.op for c in calls] == ["index"]       # x[0, 0] alone


def test_view_ops_in_a_forward_record_as_themselves():
    model = fastnn.nn.Sequential(fastnn.nn.Conv2d(1, 2, 3), fastnn.nn.Flatten())
    x = fastnn.randn(1, 1, 5, 5)
    with ops.record() as calls:
        y = model(x).view(2, -1)
        y.reshape(-1)
        F.relu(y.unsqueeze(0))
    assert [c.op for c in calls] == ["conv2d", "flatten", "view", "reshape", "unsqueeze",
                                     "relu"]
    assert calls[2].attrs["shape"] == (2, 9)


def test_attrs_are_canonical_and_hashable():
    x = x34()
    with ops.record() as calls:
        x.view([-1, 2]), x.permute(-1, 0), x.sum((1,), keepdim=True), x[1:, [0, 2]]
        x.squeeze(-2), x.to("cpu", fastnn.float64), fastnn.cat([x, x], -1)
    for call in calls:
        hash(call.attrs)
        repr(call)
    attrs = [c.attrs for c in calls]
    assert attrs[0]["shape"] == (6, 2)
    assert attrs[1]["dims"] == (1, 0)
    assert attrs[2]["dim"] == (1,) and attrs[2]["keepdim"] is True
    assert repr(attrs[3]["index"]) == "(1:, <input 1>)" and calls[3].shapes[1] == (2,)
    assert attrs[4]["dim"] == ()                     # dim 0 has size 3: nothing to drop
    assert attrs[5]["dtype"] == np.float64 and attrs[5]["copy"] is False
    assert attrs[6]["dim"] == 1


def test_reduction_metadata_is_the_result_without_allocating():
    x = x34()
    for name, args, kwargs in [("sum", (1,), {}), ("mean", (), {}), ("any", (0, True), {}),
                               ("max", (1,), {}), ("argmin", (), {}), ("std", (0,), {}),
                               ("sort", (), {}), ("prod", (1,), {"dtype": fastnn.int64})]:
        entry, inputs, attrs, meta, _ = _dispatch.checked(name, (x, *args), kwargs)
        result = getattr(x, name)(*args, **kwargs)
        results = result if isinstance(result, tuple) else (result,)
        metas = meta if isinstance(meta, list) else [meta]
        assert [(tuple(r.shape), r.dtype) for r in results] == [
            (tuple(s), np.dtype(d)) for s, d in metas], name


def test_remembered_calls_with_index_arrays_use_this_calls_arrays():
    x = x34()
    for _ in range(2):          # the second call takes the remembered checks
        for key in (np.array([2, 0]), [1, 1], np.array([True, False, True])):
            np.testing.assert_array_equal(x[key], x.numpy()[key])


def test_remembered_basic_indexes_read_this_calls_tensor_and_key():
    # slices, ints, None and Ellipsis are remembered by value: another tensor of the same
    # shape, or another key, must not get a stale answer
    rng = np.random.default_rng(3)
    keys = [(slice(None), slice(1, None)), (0, 0), (1,), (Ellipsis, 2),
            (None, 1, slice(0, 3, 2)),
            (slice(-2, None), -1), (0, 1, Ellipsis)]
    for _ in range(2):
        for key in keys:
            data = rng.standard_normal((3, 4)).astype(np.float32)
            got = fastnn.from_numpy(data)[key]
            expected = torch_free_index(data, key)
            assert isinstance(got, fastnn.Tensor) and got.shape == expected.shape, key
            np.testing.assert_array_equal(got, expected)


def torch_free_index(data, key):
    """numpy's answer, as a 0-d array where numpy gives a scalar (torch's 0-d tensor)."""
    return np.asarray(data[key])


def test_in_place_and_aliasing_ops_return_the_callers_tensor():
    x = x34()
    for call in (lambda t: t.fill_(1), lambda t: t.zero_(), lambda t: t.copy_(t),
                 lambda t: t.normal_(), lambda t: t.uniform_(), lambda t: t.float(),
                 lambda t: t.to(fastnn.float32), lambda t: t.contiguous(),
                 lambda t: t.flatten(1, 1), lambda t: t.masked_fill_(mask34(), 2)):
        assert call(x) is x


def test_copies_keep_the_layout_and_views_share_memory():
    x = x34().T
    assert x.clone().flags.f_contiguous and x.double().flags.f_contiguous
    assert x.contiguous().flags.c_contiguous
    y = x34()
    assert np.shares_memory(y.view(12), y) and np.shares_memory(y[1], y)
    assert np.shares_memory(y.permute(1, 0), y) and np.shares_memory(y.expand(2, 3, 4), y)


def test_numpy_meanings_stay_outside_the_door():
    x = x34()
    with ops.record() as calls:
        np.sum(x), np.mean(x, axis=0), x.sum(axis=1), np.sort(x, axis=0)
        np.concatenate([x, x]), np.asarray(x), x.reshape(12, order="F"), x.flatten()
        x.view(np.int32), x.squeeze(axis=None), x.transpose(), np.repeat(x, 2)
    # numpy's reductions run ufunc methods ("add.reduce"), which pass the ufunc door; no
    # torch-meaning op is recorded
    assert calls and {c.op for c in calls} <= set(_dispatch._ufunc_ops.values())
    assert not {"sum", "mean", "sort", "cat", "reshape", "flatten", "view"} & {
        c.op for c in calls}
    np.testing.assert_allclose(np.sum(x), x.numpy().sum(), rtol=1e-6)
    assert isinstance(np.concatenate([x, x]), fastnn.Tensor)


def test_out_of_a_reduction_through_the_door_is_written(torch):
    x = x34()
    out = np.empty(3, np.float32)
    assert _dispatch.dispatch("sum", x, 1, out=out) is out
    np.testing.assert_allclose(out, torch.from_numpy(x.numpy()).sum(1).numpy(), rtol=1e-6)


def test_docs_ops_md_lists_every_registered_op():
    text = (ROOT / "docs" / "OPS.md").read_text()
    listed = set(re.findall(r"`([a-z_0-9]+)`", text))
    ufunc_ops = set(_dispatch._ufunc_ops.values())
    missing = set(ops.registered()) - ufunc_ops - listed
    assert not missing, f"docs/OPS.md does not list {sorted(missing)}"
    for name in OUTSIDE:
        assert f"`{name}" in text, name
