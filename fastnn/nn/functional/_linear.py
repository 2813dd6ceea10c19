"""``F.linear``: ``y = x @ weight.T + bias`` on the Numba GEMM (dot products, or packed
operands), the 1x1 convolution's tiles or BLAS.

Argument checks follow the path torch 2.13's ``at::linear`` takes, because its messages
(and which bias shapes it accepts) differ by path:

* a 2-D input with a bias, or a C-contiguous input with a bias that is 1-D once squeezed,
  goes through ``addmm`` on the input flattened to (M, K): the bias must expand to (M, N)
  and have the weight's dtype;
* everything else goes through ``matmul(x, weight.t())`` followed by an in-place
  ``add_(bias)``: any bias that broadcasts to the output without enlarging it, in any float
  dtype (cast to the output's dtype, as torch's in-place add does). Integer biases, which
  torch would also cast there, get fastnn's TypeError naming the dtype.

Both paths compute the same numbers. A 1-D weight (K,) gives the matrix-vector product, as
in torch. A shape mismatch on a non-contiguous N-d input is reported with ``mm``'s wording
(torch reports ``bmm``'s unless the weight requires grad, as ``nn.Linear``'s does).
"""
import math

import numpy as np

from ... import _registry, backends
from ..._args import broadcast_shape
from ..._array import thread_scratch, transpose_into
from ..._dispatch import dispatch
from ..._registry import NO_ATTRS, Attrs
from ..._runtime import get_num_threads, launch
from ..._tuning import bucketed
from ...kernels import _shapes
from ...kernels import conv_pointwise as _pointwise_kernels
from ...kernels import gemm_packed as _packed_kernels
from ...kernels._caches import l2_bytes
from ...kernels._target import target
from ...kernels.gemm import gemm_nt
from .._frozen import frozen_forms, kernel_weight, packed_form
from .._utils import as_array, check_alloc, check_float, kernel_array
from ._fused import check_fused, finish, fused_args, tile_epilogue

__all__ = ["linear"]

# torch's names for a dtype: ScalarType names (in "... but got Float and Double") and the
# C++ type names that mm's dtype check prints ("float != double").
_SCALAR_NAMES = {
    np.float32: "Float", np.float64: "Double", np.float16: "Half", np.int64: "Long",
    np.int32: "Int", np.int16: "Short", np.int8: "Char", np.uint8: "Byte", np.bool_: "Bool",
    np.complex64: "ComplexFloat", np.complex128: "ComplexDouble",
}
_CPP_NAMES = {
    np.float32: "float", np.float64: "double", np.float16: "c10::Half", np.int64: "long int",
    np.int32: "int", np.int16: "short int", np.int8: "signed char",
    np.uint8: "unsigned char", np.bool_: "bool", np.complex64: "c10::complex<float>",
    np.complex128: "c10::complex<double>",
}


def _scalar_name(dtype):
    return _SCALAR_NAMES.get(dtype.type, str(dtype))


def _cpp_name(dtype):
    return _CPP_NAMES.get(dtype.type, str(dtype))


def _sizes(shape):
    return "[" + ", ".join(str(s) for s in shape) + "]"


# ---------------------------------------------------------------------------------------
# the two kernel variants: (a (M, K), w (N, K), bias (N,) or None, out (M, N)) -> out
# ---------------------------------------------------------------------------------------

def _numba_gemm(a, w, bias, out, fused=None):
    has_bias = bias is not None
    bias = bias if has_bias else np.empty(0, a.dtype)
    launch(gemm_nt, a, w, bias, has_bias, out, tile_epilogue(fused),
           work=a.shape[0] * a.shape[1] * w.shape[0] // 2)
    return fused is not None


def _blas(a, w, bias, out, fused=None):
    with np.errstate(invalid="ignore", over="ignore"):   # NaN/inf pass silently, as in torch
        np.matmul(a, w.T, out=out)
        if bias is not None:
            np.add(out, bias, out=out)
    return False


_ONE_TAP = np.zeros(1, np.uint64)


def _pointwise(a, w, bias, out, fused=None):
    """out = a @ w.T on the 'pointwise' convolution's outer-product tiles (`pointwise_kn`)
    with w.T a blocked transposed copy (kept with a frozen weight)."""
    wt = packed_form(w, ("linear", "transposed"), w.shape[::-1], _transpose_into,
                     "linear_wt")
    return pointwise_kn(a, wt, bias, out, fused)


def pointwise_kn(a, wt, bias, out, fused=None):
    """out (M, N) = a (M, K) @ wt (K, N) + bias (N,) on the 'pointwise' convolution's tiles
    (kernels/conv_pointwise.py): wt is its input, one plane of N positions, a its weight,
    M output channels, and the bias runs along the positions. The Numba GEMM's tiles take
    dot products along K, whose horizontal sums dominate short rows."""
    m, k = a.shape
    n = wt.shape[1]
    has_bias = _pointwise_kernels.ALONG_POSITIONS if bias is not None else 0
    bias = bias if bias is not None else np.empty(0, a.dtype)
    launch(_pointwise_kernels.conv_rows, wt.reshape(1, k, n), a.reshape(m, k, 1), bias,
           has_bias, out.reshape(1, m, n), _ONE_TAP, _pointwise_kernels.IN_PLACE, 0, 1, 1, 1,
           0, 1, n, 1, n, _pointwise_kernels.channel_parts(1, get_num_threads()),
           tile_epilogue(fused), work=m * k * n // 2)
    return fused is not None


def _transpose_into(w, wt):
    # on every thread even when small: run on one, it left the tiles after it slower
    transpose_into(w, wt)


def _pack_panels(w, wp):
    launch(_packed_kernels.pack_panels, w, wp)


def _packed(a, w, bias, out, fused=None):
    """out = a @ w.T on packed operands (kernels/gemm_packed.py): the weight in panels (kept
    with a frozen weight), the input in blocks of rows, packed by the kernel into this
    thread's scratch (kept between calls, as im2col's columns are), at most
    PACKED_ROWS_BYTES of rows at a time. A weight packed for this call alone, where the
    rows take one launch, is packed a panel at a time by the tasks that use it (the kernel
    given the weight as it is): no packed copy of the whole weight is written and read
    back. Where `pass_blocks` picks the kernel's pass order (many rows, two threads or
    more), the weight is packed whole first. A 3-D `w` is packed already (`pack_panels`'
    form, N columns from `out`)."""
    width = _packed_kernels.panel_width(a.dtype)
    (m, k), n = a.shape, out.shape[1]
    rows = _packed_kernels.block_rows(a.dtype)
    chunk = max(1, PACKED_ROWS_BYTES // (rows * max(k, 1) * a.itemsize)) * rows
    scratch = thread_scratch("linear_ap", -(-min(m, chunk) // rows) * k * rows, a.dtype)
    has_bias = bias is not None
    bias = bias if has_bias else np.empty(0, a.dtype)
    epilogue = tile_epilogue(fused)
    threads = get_num_threads()
    per_pass = _packed_kernels.pass_blocks(min(m, chunk), k, n, a.itemsize, threads,
                                           l2_bytes())
    wp = w if w.ndim == 3 else None
    if wp is None and (m > chunk or per_pass or frozen_forms(w) is not None):
        wp = packed_form(w, ("linear", "panels"), (-(-n // width), k, width), _pack_panels,
                         "linear_wp")
    for i0 in range(0, m, chunk):
        part = a[i0:i0 + chunk]
        blocks = -(-len(part) // rows)
        ap = scratch[:blocks * k * rows].reshape(blocks, k, rows)
        parts = (min(threads, blocks) if per_pass else
                 _packed_kernels.row_parts(len(part), n, a.itemsize, threads))
        launch(_packed_kernels.gemm_packed, part, w if wp is None else wp, bias, has_bias,
               out[i0:i0 + chunk], ap, parts, per_pass, epilogue, work=part.size * n // 2)
    return fused is not None


# the input rows 'packed' copies at a time (bytes): bounds its scratch; each chunk is a
# launch of its own, so the bound is high enough that convnext_tiny's largest Linear input
# (3136 x 384 floats at batch 1) and a ViT-B's at batch 8 take one to three launches
PACKED_ROWS_BYTES = 8 << 20


def _pointwise_applies(a, w, bias_vec, out, late_bias, result, fused=None):
    if w.shape[0] < _pointwise_kernels.MIN_POSITIONS:
        return f"it needs {_pointwise_kernels.MIN_POSITIONS} output features"
    return None


def _packed_applies(a, w, bias, out, late_bias, result, fused=None):
    width = _packed_kernels.panel_width(a.dtype)
    if w.shape[0] < width:
        return f"it needs {width} output features"
    return None


LINEAR_VARIANTS = {"numba_gemm": _numba_gemm, "blas": _blas, "pointwise": _pointwise,
                   "packed": _packed}


# OpenBLAS's default bound (SMP_THRESHOLD_MIN x GEMM_MULTITHREAD_THRESHOLD) on the
# multiply-adds of a GEMM it runs on the calling thread (a build may keep larger ones there
# too); larger ones run on all of its threads, which keep spinning after the product and
# take the cores from the Numba kernels that run next: a training step's weight gradient of
# a classifier at batch 8 (K = 8) slowed every convolution backward after it
# (`python benchmarks/blas_threads.py --case 1`, `--case 2`)
BLAS_SERIAL_MAX_MACS = 65536 * 4


def default_variant(m, n, k, dtype):
    """The faster variant for an (m x k) @ (k x n) product, by a measured rule: where K is
    too short for the dot-product kernel's vector loop (K < 16), BLAS for products it runs
    on one thread (BLAS_SERIAL_MAX_MACS) and 'pointwise' above (whose outer-product tiles
    take any K), BLAS on long rows with many rows (64 rows of 32 KiB outgrow L2); the
    Numba GEMM elsewhere (its serial call also makes tiny products cheaper). The
    thresholds were first measured on one machine with numpy's OpenBLAS held to AVX2
    (OPENBLAS_CORETYPE=Haswell); `python
    benchmarks/rules.py variants` times both variants on the bench's linear cases on your
    machine (docs/PERF.md).

    Where the target has 32 vector registers (AVX-512), and for float32 where the packed
    tile holds 12 accumulator registers (6 x 16 with AVX2), products of 196 rows or more
    (a 14x14 plane) and 96 columns or more run on packed operands ('packed',
    kernels/gemm_packed.py: 12 x 32 float32 tiles, 12 x 16 float64 on AVX-512), unless K
    is short (below 64: 'pointwise' or the Numba GEMM, where packing costs more than it
    saves). The AVX2 tile of 4 x 16 before it ran no faster than the Numba GEMM, and
    products with fewer rows do not repay packing the weight on every call.

    Float32 products with short K (below 128) and many rows run faster alone on BLAS (the
    dot-product kernel's per-tile horizontal sums dominate), but OpenBLAS's threads spin
    after each call and slow the Numba kernels after it: a model whose Linear layers mix
    the two (convnext_tiny's MLPs) ran slower than with every Linear on either variant.
    They take the Numba GEMM (`python benchmarks/rules.py linear`) unless they have many
    rows: products with K <= 384, 512 rows or more and 64 columns or more run on the
    'pointwise' convolution's outer-product tiles (`pointwise_kn`) where those hold 12
    accumulator registers or more (`_wide_tiles`) and 'packed' does not take
    them (`python benchmarks/rules.py linear` times the variants on convnext's, a ViT's
    and other shapes; docs/PERF.md says how to compile for another target).
    """
    if k < 16:
        if m * n * k <= BLAS_SERIAL_MAX_MACS or n < _pointwise_kernels.MIN_POSITIONS:
            return "blas"
        return "pointwise"
    if m >= 256 and k * dtype.itemsize >= 32768:
        return "blas"
    if m >= 196 and n >= 96 and k >= 64 and (target().registers == 32
                                             or _wide_tiles(_shapes.gemm_packed_shape, dtype)):
        return "packed"
    if k <= 384 and m >= 512 and n >= 64 and _wide_tiles(_shapes.pointwise_shape, dtype):
        return "pointwise"
    return "numba_gemm"


def _wide_tiles(rule, dtype):
    """True where the tile `rule` (kernels/_shapes.py: 'pointwise''s or 'packed''s, (count,
    runs of 16)) picks is float32 of 12 accumulator registers or more (8 x 32 and 12 x 32
    with AVX-512, 6 x 16 with AVX2): the AVX2 tiles of 4 x 16 before and the float64 tiles
    ran slower than the Numba GEMM on the products the rule gives them."""
    count, runs = rule(target().vector_bits, dtype.itemsize)
    per = _shapes.registers_per_accumulator(target().vector_bits, dtype.itemsize)
    return dtype.itemsize == 4 and count * runs * per >= 12


# ---------------------------------------------------------------------------------------
# torch's checks, per path
# ---------------------------------------------------------------------------------------

def _bias_fusable(bias):
    """torch's `is_bias_likely_fusable`: 1-D once squeezed, and contiguous."""
    squeezed_ndim = sum(1 for s in bias.shape if s != 1)
    return (bias.ndim == 1 or squeezed_ndim == 1) and bias.flags.c_contiguous


def _check_addmm(x, weight, bias, m):
    """addmm(bias, x.view(m, K), weight.t()): dtypes, weight rank, shapes, bias expand."""
    if bias.dtype.type is not weight.dtype.type:
        raise RuntimeError(
            f"self and mat2 must have the same dtype, but got {_scalar_name(bias.dtype)} "
            f"and {_scalar_name(weight.dtype)}")
    if x.dtype.type is not weight.dtype.type:
        raise RuntimeError(
            f"mat1 and mat2 must have the same dtype, but got {_scalar_name(x.dtype)} "
            f"and {_scalar_name(weight.dtype)}")
    if weight.ndim != 2:
        raise RuntimeError(f"mat2 must be a matrix, got {weight.ndim}-D tensor")
    n, k = weight.shape
    if x.shape[-1] != k:
        raise RuntimeError(
            f"mat1 and mat2 shapes cannot be multiplied ({m}x{x.shape[-1]} and {k}x{n})")
    target = (m, n)
    if bias.ndim > 2:
        raise RuntimeError(
            f"expand(torch.{_scalar_name(bias.dtype)}Tensor{{{_sizes(bias.shape)}}}, "
            f"size={_sizes(target)}): the number of sizes provided (2) must be greater or "
            f"equal to the number of dimensions in the tensor ({bias.ndim})")
    for offset in range(1, bias.ndim + 1):
        have, want = bias.shape[-offset], target[-offset]
        if have != want and have != 1:
            raise RuntimeError(
                f"The expanded size of the tensor ({want}) must match the existing size "
                f"({have}) at non-singleton dimension {2 - offset}.  Target sizes: "
                f"{_sizes(target)}.  Tensor sizes: {_sizes(bias.shape)}")


def _check_matmul(x, weight, m):
    """matmul(x, weight.t()) as torch dispatches it (mm, mv or dot); returns the out shape."""
    k = x.shape[-1]
    if weight.ndim == 2:
        n, k_w = weight.shape
        if k != k_w:
            raise RuntimeError(
                f"mat1 and mat2 shapes cannot be multiplied ({m}x{k} and {k_w}x{n})")
        if x.dtype.type is not weight.dtype.type:
            raise RuntimeError(
                f"expected m1 and m2 to have the same dtype, but got: "
                f"{_cpp_name(x.dtype)} != {_cpp_name(weight.dtype)}")
        return x.shape[:-1] + (n,)
    k_w = weight.shape[0]
    if x.ndim == 1:
        if x.dtype.type is not weight.dtype.type:
            raise RuntimeError(
                f"dot : expected both vectors to have same dtype, but found "
                f"{_scalar_name(x.dtype)} and {_scalar_name(weight.dtype)}")
        if k != k_w:
            raise RuntimeError(
                f"inconsistent tensor size, expected tensor [{k}] and src [{k_w}] to have "
                f"the same number of elements, but got {k} and {k_w} elements respectively")
        return ()
    if k != k_w:
        raise RuntimeError(f"size mismatch, got input ({m}), mat ({m}x{k}), vec ({k_w})")
    if x.dtype.type is not weight.dtype.type:
        w_name, x_name = _scalar_name(weight.dtype), _scalar_name(x.dtype)
        raise RuntimeError(
            f"addmv input tensors must have the same dtype, but got {w_name}, {x_name}, "
            f"and {w_name}")
    return x.shape[:-1]


def _check_add_(out_shape, bias):
    """output.add_(bias): bias must broadcast to the output shape without enlarging it."""
    broadcast = broadcast_shape(tuple(out_shape), bias.shape)
    if broadcast != tuple(out_shape):
        raise RuntimeError(
            f"output with shape {_sizes(out_shape)} doesn't match the broadcast shape "
            f"{_sizes(broadcast)}")


# ---------------------------------------------------------------------------------------
# the functional op
# ---------------------------------------------------------------------------------------

def linear(input, weight, bias=None):
    r"""linear(input, weight, bias=None) -> Tensor

    Applies an affine linear transformation to the incoming data: :math:`y = xA^T + b`.

    Args:
        input: :math:`(*, \text{in\_features})`, float32 or float64
        weight: :math:`(\text{out\_features}, \text{in\_features})` or
            :math:`(\text{in\_features})`, the same dtype as ``input``
        bias: optional :math:`(\text{out\_features})` or :math:`()` (or any shape that
            broadcasts to the output, as in torch)

    Shape:
        - Output: :math:`(*, \text{out\_features})`; :math:`(*)` for a 1-D weight.

    The kernel (Numba GEMM, on packed operands or not, the 1x1 convolution's tiles or BLAS)
    is chosen by :func:`default_variant`, or by a decision measured on this machine (``python -m
    fastnn tune``, ``fastnn.backends.benchmark``, ``fastnn.backends.tune_on_first_use``),
    or forced through ``fastnn.backends`` (op ``"linear"``, variants ``numba_gemm``,
    ``blas``, ``pointwise`` and ``packed``).

    Examples::

        >>> x = fastnn.randn(128, 20)
        >>> F.linear(x, fastnn.randn(30, 20)).shape
        (128, 30)
    """
    return dispatch("linear", input, weight, bias)


def _linear(input, weight, bias=None, variant=None):
    """`linear` with the kernel forced by name (a key of LINEAR_VARIANTS) for tests."""
    if variant is None:
        return linear(input, weight, bias)
    with backends.use("linear", variant):
        return linear(input, weight, bias)


def _arrays(input, weight, bias=None, *, activation=None):
    """The inputs as plain arrays, a frozen weight as its kernel array (whose transposed
    copy 'pointwise' keeps)."""
    w = kernel_weight(weight)
    if w is None:
        w = as_array(weight, "weight")
    return (as_array(input, "input"), w, None if bias is None else as_array(bias, "bias"))


def _normalize(input, weight, bias=None, *, activation=None):
    """All of torch's checks: ((x, w, b), no attributes); the inference compiler's
    ``activation`` keyword (`_fused`) is the one attribute there may be."""
    inputs = _arrays(input, weight, bias)
    out_shape = _plan(*inputs)[0]
    if activation is not None:
        check_fused("linear", activation, None, out_shape, None)
        return inputs, Attrs(activation=activation)
    return inputs, NO_ATTRS


def _meta(inputs, attrs):
    x, w, _ = inputs
    return x.shape[:-1] + w.shape[:-1], x.dtype.newbyteorder("=")


def _kernel_plan(inputs, attrs, meta):
    return _plan(*inputs)[1:]


def _kernel_args(inputs, attrs, result, plan):
    """(a (M, K), w (N, K), fused bias (N,) or None, out (M, N), a bias added afterwards
    with broadcasting or None, the result)."""
    x, w, b = inputs
    w2_shape, bias_mode, key = plan
    a = kernel_array(x)
    w2 = kernel_array(w).reshape(w2_shape)
    n = w2_shape[0]
    # A bias that is one value per output column (and of the output's dtype) is fused
    # into the kernel; any other accepted bias is added afterwards with broadcasting.
    bias_vec = late_bias = None
    if bias_mode == "fused":
        bias_vec = kernel_array(b).reshape(-1)
    elif bias_mode == "repeated":
        bias_vec = np.full(n, b.reshape(-1)[0], dtype=a.dtype)
    elif bias_mode == "late":
        late_bias = kernel_array(b)
    args = (a.reshape(key[0]), w2, bias_vec, result.reshape(key[0][0], n), late_bias, result)
    if "activation" in attrs:
        args += (fused_args(attrs, None, None),)
    return args


def _plan(x, w, b):
    """All of torch's checks, then (output shape, the weight's 2-D shape, how the bias is
    added: None, 'fused', 'repeated' (one value fused into every column) or 'late', the
    registry key)."""
    if x.ndim == 0 or w.ndim == 0:
        raise RuntimeError(
            f"both arguments to linear need to be at least 1D, but they are {x.ndim}D "
            f"and {w.ndim}D")
    if w.ndim > 2:
        raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is {w.ndim}D")
    m = math.prod(x.shape[:-1])
    through_addmm = b is not None and (
        x.ndim == 2 or (_bias_fusable(b) and x.flags.c_contiguous))
    if through_addmm:
        _check_addmm(x, w, b, m)
        out_shape = x.shape[:-1] + (w.shape[0],)
    else:
        out_shape = _check_matmul(x, w, m)
        if b is not None:
            _check_add_(out_shape, b)
    check_float(x, "input")
    dtype = x.dtype.newbyteorder("=")
    if b is not None:
        check_float(b, "bias")
    w2_shape = w.shape if w.ndim == 2 else (1, w.shape[0])
    n, k = w2_shape
    check_alloc((m, n), dtype)
    bias_mode = None
    if b is not None:
        bias_mode = "late"
        if b.dtype.newbyteorder("=") == dtype and math.prod(b.shape[:-1]) == 1:
            bias_mode = "fused" if b.ndim and b.shape[-1] == n else "repeated"
    key = ((m, k), w2_shape, dtype, bias_mode not in ("fused", "repeated"),
           bias_mode != "late")
    return out_shape, w2_shape, bias_mode, key


def _add_late_bias(result, late_bias):
    if late_bias is not None:
        with np.errstate(invalid="ignore", over="ignore"):
            np.add(result, late_bias, out=result, casting="same_kind")


def _registered(kernel):
    def run(a, w, bias_vec, out, late_bias, result, fused=None):
        # a late bias comes before the activation: then the tiles store without it
        in_tiles = False
        if out.size:
            in_tiles = kernel(a, w, bias_vec, out, fused if late_bias is None else None)
        _add_late_bias(result, late_bias)
        finish(result, fused, in_tiles)
    return run


def _rule(a, w, *rest):
    return default_variant(a.shape[0], w.shape[0], a.shape[1], a.dtype)


def _tune_class(inputs, attrs):
    """The shape class of a measured variant decision (`fastnn._tuning`): the rows
    (all of the input's leading dimensions) bucketed, K, N and the bias exact."""
    x, w, b = inputs
    n = w.shape[0] if w.ndim == 2 else 1
    return (f"{x.dtype.name} {bucketed('m', math.prod(x.shape[:-1]))} k={x.shape[-1]} n={n} "
            f"{'bias' if b is not None else 'no bias'}")


# the checks read the input's C-contiguity (torch's addmm or matmul path)
_registry.register_op("linear", _normalize, _meta, arrays=_arrays, layout_key=True,
                      plan=_kernel_plan, kernel_args=_kernel_args, rule=_rule,
                      tune_class=_tune_class)
_APPLIES = {"pointwise": _pointwise_applies, "packed": _packed_applies}
for _name, _kernel in LINEAR_VARIANTS.items():
    _registry.register_variant("linear", _name, _registered(_kernel), _APPLIES.get(_name))
