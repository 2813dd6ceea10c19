"""torch's fused arithmetic: ``lerp``, ``addcmul``, ``addcdiv``, ``addmm``, ``addmv``,
``mv``, ``baddbmm`` and ``addbmm``, as Tensor methods (a mixin, in the tensor layer), their
in-place forms (``lerp_``, ``addcmul_``, ... which optimizer code calls) and the top-level
functions. Each checks its arguments with torch's messages, then composes the ufunc ops
and ``matmul`` (through the door: recorded and differentiable as those ops are), in the
order torch's kernels evaluate (``lerp`` from the nearer end, as torch's does).
"""
import numbers

import numpy as np

from ._args import broadcast_shape, number_arg, tensor_arg, torch_type_name
from ._arith_methods import written_back
from ._compose_methods import expanded
from ._ufunc_rules import c_type_name, result_type
from ._out_arg import write_out

__all__ = ["FusedMethods", "lerp", "addcmul", "addcdiv", "addmm", "addmv", "mv", "baddbmm",
           "addbmm"]

# the C++ names torch's messages use for a dtype: its scalar type's, and a Scalar's target
_C_TYPES = {"float32": "float", "float64": "double", "float16": "c10::Half", "int64": "int64_t",
            "int32": "int", "int16": "int16_t", "int8": "int8_t", "uint8": "uint8_t",
            "bool": "bool"}
_ADDCDIV_INTEGERS = (
    "Integer division with addcdiv is no longer supported, and in a future  release addcdiv "
    "will perform a true division of tensor1 and tensor2. The historic addcdiv behavior can "
    "be implemented as (input + value * torch.trunc(tensor1 / tensor2)).to(input.dtype) for "
    "integer inputs and as (input + value * tensor1 / tensor2) for float inputs. The future "
    "addcdiv behavior is just the latter implementation: (input + value * tensor1 / "
    "tensor2), for all dtypes.")


def _c_name(dtype):
    return c_type_name(torch_type_name(dtype))


def _cast_number(value, dtype):
    """`value` as torch casts a Scalar argument to the computation's dtype (truncated to
    an integer, refused when complex for a real dtype)."""
    if isinstance(value, np.ndarray):
        value = value.item()
    if isinstance(value, complex) and np.dtype(dtype).kind != "c":
        name = np.dtype(dtype).name
        raise RuntimeError(f"value cannot be converted to type {_C_TYPES.get(name, name)} "
                           "without overflow")
    if np.dtype(dtype).kind in "iu":
        return int(value)
    return value


# ------------------------------------------------------------------ lerp

def lerp(input, end, weight, *, out=None):
    """``input + weight * (end - input)``, from `end`'s side where |weight| >= 0.5 (as
    torch's kernel, which keeps each end exact): weight a number or a tensor of the dtype."""
    if not isinstance(end, np.ndarray) or isinstance(weight, bool) or not isinstance(
            weight, (np.ndarray, numbers.Number)):
        got = ", ".join("Tensor" if isinstance(v, np.ndarray) else type(v).__name__
                        for v in (input, end, weight))
        raise TypeError(
            f"lerp() received an invalid combination of arguments - got ({got}), but expected "
            "one of:\n * (Tensor input, Tensor end, Tensor weight, *, Tensor out = None)\n * "
            "(Tensor input, Tensor end, Number weight, *, Tensor out = None)\n")
    end = tensor_arg(end, input, "lerp", "end", 2)
    if isinstance(weight, np.ndarray):
        weight = tensor_arg(weight, input, "lerp", "weight", 3)
    tensor_weight = isinstance(weight, np.ndarray) and weight.ndim > 0
    for name, other in (("end", end), ("weight", weight if tensor_weight else None)):
        if other is not None and other.dtype != input.dtype:
            raise RuntimeError(f"expected dtype {_c_name(input.dtype)} for `{name}` but got "
                               f"dtype {_c_name(other.dtype)}")
    if input.dtype.kind not in "fc":
        kernel = "lerp_kernel_tensor" if tensor_weight else "lerp_kernel_scalar"
        raise NotImplementedError(f"\"{kernel}\" not implemented for "
                                  f"'{torch_type_name(input.dtype)}'")
    broadcast_shape(input.shape, end.shape, np.shape(weight))
    diff = end - input
    if tensor_weight:
        near = input + weight * diff
        far = end - diff * (1 - weight)
        result = input._door("where", abs(weight) < 0.5, near, far)
    else:
        w = _cast_number(weight, input.dtype)
        result = input + w * diff if abs(w) < 0.5 else end - diff * (1 - w)
    return write_out(result, out)


# ------------------------------------------------------------------ addcmul, addcdiv

def addcmul(input, tensor1, tensor2, *, value=1, out=None):
    """``input + value * tensor1 * tensor2`` (broadcast; torch's result dtype, `value` cast
    to it)."""
    value = number_arg(value, "addcmul", "value", None)
    tensor1 = tensor_arg(tensor1, input, "addcmul", "tensor1", 2)
    tensor2 = tensor_arg(tensor2, input, "addcmul", "tensor2", 3)
    broadcast_shape(input.shape, tensor1.shape, tensor2.shape)
    dtype = result_type((input, tensor1, tensor2))
    if dtype == np.bool_:
        raise NotImplementedError("\"addcmul_cpu_out\" not implemented for 'Bool'")
    value = _cast_number(value, dtype)
    product = tensor1 if value == 1 else tensor1 * value
    return write_out(input + product * tensor2, out)


def addcdiv(input, tensor1, tensor2, *, value=1, out=None):
    """``input + value * tensor1 / tensor2`` (true division; torch refuses two integer
    tensors)."""
    value = number_arg(value, "addcdiv", "value", None)
    tensor1 = tensor_arg(tensor1, input, "addcdiv", "tensor1", 2)
    tensor2 = tensor_arg(tensor2, input, "addcdiv", "tensor2", 3)
    if tensor1.dtype.kind in "biu" and tensor2.dtype.kind in "biu":
        raise RuntimeError(_ADDCDIV_INTEGERS)
    broadcast_shape(input.shape, tensor1.shape, tensor2.shape)
    value = _cast_number(value, result_type((input, tensor1, tensor2)))
    product = tensor1 if value == 1 else tensor1 * value
    return write_out(input + product / tensor2, out)


# ------------------------------------------------------------------ addmm and kin

def _scaled_sum(input, product, beta, alpha):
    """``beta * input + alpha * product`` with torch's shortcuts: beta 0 ignores `input`
    (NaN included), a factor of 1 multiplies nothing."""
    beta, alpha = _cast_number(beta, product.dtype), _cast_number(alpha, product.dtype)
    scaled = product if alpha == 1 else alpha * product
    if beta == 0:
        return scaled
    return (input if beta == 1 else beta * input) + scaled


def _factors(fn, beta, alpha):
    """`beta` and `alpha`, torch's Number arguments of `fn`, checked as its parser does."""
    return number_arg(beta, fn, "beta", None), number_arg(alpha, fn, "alpha", None)


def _matrix(value, fn, name, position, like):
    value = tensor_arg(value, like, fn, name, position)
    if value.ndim != 2:
        raise RuntimeError(f"{name} must be a matrix, got {value.ndim}-D tensor")
    return value


def _same_dtype(input, mat, name="mat2"):
    if input.dtype != mat.dtype:
        raise RuntimeError(f"self and {name} must have the same dtype, but got "
                           f"{torch_type_name(input.dtype)} and {torch_type_name(mat.dtype)}")


def addmm(input, mat1, mat2, *, beta=1, alpha=1, out=None):
    """``beta * input + alpha * (mat1 @ mat2)``, `input` broadcast to the product's shape."""
    beta, alpha = _factors("addmm", beta, alpha)
    mat1 = _matrix(mat1, "addmm", "mat1", 2, input)
    mat2 = _matrix(mat2, "addmm", "mat2", 3, input)
    _same_dtype(input, mat2)
    product = np.matmul(mat1, mat2)
    return write_out(_scaled_sum(expanded(input, product.shape), product, beta, alpha), out)


def _mv_shapes(ndim, size, mat, vec):
    """torch's shape checks of addmv's input (`ndim` dims, `size` elements; mv's output
    stands for it there), `mat` and `vec`."""
    if mat.ndim != 2 or vec.ndim != 1 or ndim > 1:
        raise RuntimeError(f"vector + matrix @ vector expected, got {ndim}, {mat.ndim}, "
                           f"{vec.ndim}")
    if mat.shape[1] != vec.shape[0] or size not in (1, mat.shape[0]):
        raise RuntimeError(f"size mismatch, got input ({size}), mat ({mat.shape[0]}x"
                           f"{mat.shape[1]}), vec ({vec.shape[0]})")


def _mv_dtypes(out_dtype, mat, vec):
    if not out_dtype == mat.dtype == vec.dtype:
        raise RuntimeError(f"addmv input tensors must have the same dtype, but got "
                           f"{torch_type_name(out_dtype)}, {torch_type_name(mat.dtype)}, "
                           f"and {torch_type_name(vec.dtype)}")


def addmv(input, mat, vec, *, beta=1, alpha=1, out=None):
    """``beta * input + alpha * (mat @ vec)``."""
    beta, alpha = _factors("addmv", beta, alpha)
    mat = tensor_arg(mat, input, "addmv", "mat", 2)
    vec = tensor_arg(vec, input, "addmv", "vec", 3)
    _mv_shapes(input.ndim, input.shape[0] if input.ndim else 1, mat, vec)
    _mv_dtypes(input.dtype, mat, vec)
    _refuse_bool("addmv_impl_cpu", mat)
    product = np.matmul(mat, vec)
    return write_out(_scaled_sum(expanded(input, product.shape), product, beta, alpha), out)


def mv(input, vec, *, out=None):
    """The product of a matrix and a vector."""
    vec = tensor_arg(vec, input, "mv", "vec", 2)
    if input.ndim == 2 and vec.ndim == 1:
        # torch checks the dtypes first here, its output's (vec's dtype) among them
        _mv_dtypes(vec.dtype, input, vec)
    # the output, one element per row of the matrix, stands for addmv's input
    _mv_shapes(1, input.shape[0] if input.ndim else 1, input, vec)
    _refuse_bool("addmv_impl_cpu", input)
    return write_out(np.matmul(input, vec), out)


def _refuse_bool(kernel, *tensors):
    if any(t.dtype == np.bool_ for t in tensors):
        raise NotImplementedError(f"\"{kernel}\" not implemented for 'Bool'")


def _batches(batch1, batch2, kernel):
    product = batch1.bmm(batch2)
    _refuse_bool(kernel, product)
    return product


def baddbmm(input, batch1, batch2, *, beta=1, alpha=1, out=None):
    """``beta * input + alpha * (batch1 @ batch2)`` per batch."""
    beta, alpha = _factors("baddbmm", beta, alpha)
    batch1 = tensor_arg(batch1, input, "baddbmm", "batch1", 2)
    batch2 = tensor_arg(batch2, input, "baddbmm", "batch2", 3)
    # torch expands `input` to the product's size before it checks the batches
    input = expanded(input, (batch1.size(0), batch1.size(1), batch2.size(2)))
    product = _batches(batch1, batch2, "baddbmm")
    return write_out(_scaled_sum(input, product, beta, alpha), out)


def addbmm(input, batch1, batch2, *, beta=1, alpha=1, out=None):
    """``beta * input + alpha * sum_b (batch1[b] @ batch2[b])``."""
    beta, alpha = _factors("addbmm", beta, alpha)
    batch1 = tensor_arg(batch1, input, "addbmm", "batch1", 2)
    batch2 = tensor_arg(batch2, input, "addbmm", "batch2", 3)
    product = _batches(batch1, batch2, "addmm_impl_cpu_").sum(0)
    return write_out(_scaled_sum(expanded(input, product.shape), product, beta, alpha), out)


# ------------------------------------------------------------------ methods

def _in_place(tensor, compute):
    """``compute(tensor)`` written into `tensor` (`written_back`); torch refuses a result
    that does not fit the tensor's shape."""
    def fitted(source):
        result = compute(source)
        if result.shape == tensor.shape:
            return result
        shape = np.broadcast_shapes(tensor.shape, result.shape)
        if shape == tensor.shape:
            return result.expand(*shape)
        raise RuntimeError(f"output with shape {list(tensor.shape)} doesn't match the "
                           f"broadcast shape {list(shape)}")
    return written_back(tensor, fitted)


class FusedMethods:
    """lerp, addcmul, addcdiv, addmm, addmv, mv, baddbmm, addbmm and the in-place forms."""

    def lerp(self, end, weight):
        """``self + weight * (end - self)`` (see ``fastnn.lerp``)."""
        return lerp(self, end, weight)

    def addcmul(self, tensor1, tensor2, *, value=1):
        """``self + value * tensor1 * tensor2``."""
        return addcmul(self, tensor1, tensor2, value=value)

    def addcdiv(self, tensor1, tensor2, *, value=1):
        """``self + value * tensor1 / tensor2``."""
        return addcdiv(self, tensor1, tensor2, value=value)

    def addmm(self, mat1, mat2, *, beta=1, alpha=1):
        """``beta * self + alpha * (mat1 @ mat2)``."""
        return addmm(self, mat1, mat2, beta=beta, alpha=alpha)

    def addmv(self, mat, vec, *, beta=1, alpha=1):
        """``beta * self + alpha * (mat @ vec)``."""
        return addmv(self, mat, vec, beta=beta, alpha=alpha)

    def mv(self, vec):
        """``self @ vec`` for a matrix and a vector."""
        return mv(self, vec)

    def baddbmm(self, batch1, batch2, *, beta=1, alpha=1):
        """``beta * self + alpha * (batch1 @ batch2)``."""
        return baddbmm(self, batch1, batch2, beta=beta, alpha=alpha)

    def addbmm(self, batch1, batch2, *, beta=1, alpha=1):
        """``beta * self + alpha * sum_b (batch1[b] @ batch2[b])``."""
        return addbmm(self, batch1, batch2, beta=beta, alpha=alpha)

    def lerp_(self, end, weight):
        """In-place :meth:`lerp`."""
        return _in_place(self, lambda x: lerp(x, end, weight))

    def addcmul_(self, tensor1, tensor2, *, value=1):
        """In-place :meth:`addcmul`."""
        return _in_place(self, lambda x: addcmul(x, tensor1, tensor2, value=value))

    def addcdiv_(self, tensor1, tensor2, *, value=1):
        """In-place :meth:`addcdiv`."""
        return _in_place(self, lambda x: addcdiv(x, tensor1, tensor2, value=value))

    def addmm_(self, mat1, mat2, *, beta=1, alpha=1):
        """In-place :meth:`addmm`."""
        mat1 = _matrix(mat1, "addmm_", "mat1", 1, self)
        mat2 = _matrix(mat2, "addmm_", "mat2", 2, self)
        if self.shape != (mat1.shape[0], mat2.shape[1]):
            raise RuntimeError(f"Bad in-place call: input tensor size {list(self.shape)} and "
                               f"output tensor size {[mat1.shape[0], mat2.shape[1]]} should "
                               "match")
        return _in_place(self, lambda x: addmm(x, mat1, mat2, beta=beta, alpha=alpha))

    def addmv_(self, mat, vec, *, beta=1, alpha=1):
        """In-place :meth:`addmv`."""
        return _in_place(self, lambda x: addmv(x, mat, vec, beta=beta, alpha=alpha))

    def baddbmm_(self, batch1, batch2, *, beta=1, alpha=1):
        """In-place :meth:`baddbmm`."""
        return _in_place(self, lambda x: baddbmm(x, batch1, batch2, beta=beta, alpha=alpha))

    def addbmm_(self, batch1, batch2, *, beta=1, alpha=1):
        """In-place :meth:`addbmm`."""
        return _in_place(self, lambda x: addbmm(x, batch1, batch2, beta=beta, alpha=alpha))
