"""Fused epilogues of the convolution and linear ops at the door: the inference compiler's
keywords ``activation`` and ``residual`` (not part of torch's F API).

    dispatch("conv2d", x, w, b, stride, padding, dilation, groups,
             activation="relu", residual=r)      # relu(conv2d(x, w, b) + r)

``activation`` is "relu" or "relu6" (torch's ``hardtanh(x, 0, 6)``, ``nn.ReLU6``), which a
variant whose kernel is register-tiled applies in its tiles before the store (the
kernel's `epilogue` argument, `kernels._epilogue`) when there is no residual; otherwise,
and for variants without tiles ('naive', 'im2col_gemm', BLAS), one in-place pass over the
output after the kernel adds the residual and applies it
(`kernels.elementwise.residual_clamp`).
``activation`` "silu", "sigmoid", "hardswish", "hardsigmoid", "gelu" or "gelu_tanh" (gelu
with ``approximate="tanh"``) runs after the kernel (and the residual's pass), in place,
as the same kernel that op runs alone: the numbers are the unfused ops', without the
separate call and its output.
"""
import numpy as np

from ..._runtime import MATH_WORK, launch
from ...kernels import elementwise as _elementwise
from ...kernels._epilogue import BOUNDS as _EPILOGUE_BOUNDS, EPILOGUES, NONE, code
from .._utils import as_array
from ._activation import gelu_quirks, hard_constants

__all__ = ["check_fused", "fused_args", "tile_epilogue", "finish"]

# each activation the tiles can apply as the bounds it clamps to
BOUNDS = {None if name == "none" else name: bounds
          for name, bounds in _EPILOGUE_BOUNDS.items()}
# the activations run after the kernel: the op's kernel and its work per element
AFTER = {"silu": (_elementwise.silu, MATH_WORK), "sigmoid": (_elementwise.sigmoid, MATH_WORK),
         "hardswish": (_elementwise.hardswish, 1),
         "hardsigmoid": (_elementwise.hardsigmoid, 1),
         "gelu": (_elementwise.gelu_erf, MATH_WORK),
         "gelu_tanh": (_elementwise.gelu_tanh, MATH_WORK)}
ACTIVATIONS = tuple(name for name in BOUNDS if name is not None) + tuple(AFTER)


def check_fused(name, activation, residual, out_shape, dtype):
    """The checked residual (an ndarray or None); ValueError/RuntimeError for bad ones."""
    if activation is not None and activation not in ACTIVATIONS:
        raise ValueError(f"{name}(): unknown activation {activation!r}; expected one of "
                         f"{ACTIVATIONS}")
    if residual is None:
        return None
    r = as_array(residual, "residual")
    if r.shape != tuple(out_shape) or r.dtype.newbyteorder("=") != dtype:
        raise RuntimeError(f"{name}(): residual of shape {list(r.shape)} and dtype {r.dtype} "
                           f"does not match the output's {list(out_shape)} {dtype}")
    return r


def fused_args(attrs, residual, shape):
    """The trailing kernel argument of a fused call: (activation or None, the residual as a
    C-contiguous native array of `shape`, or None); None for a plain call."""
    activation = attrs.get("activation")
    if activation is None and residual is None:
        return None
    if residual is not None:
        if not (residual.flags.c_contiguous and residual.dtype.isnative):
            residual = np.ascontiguousarray(residual, residual.dtype.newbyteorder("="))
        residual = residual.reshape(shape)
    return activation, residual


def tile_epilogue(fused):
    """The `epilogue` a tiled variant's kernel gets (kernels/_epilogue.py): the call's
    activation where the tiles apply it and there is no residual, else NONE."""
    if fused is None or fused[0] not in _IN_TILES or fused[1] is not None:
        return NONE
    return code(fused[0])


_IN_TILES = tuple(name for name in EPILOGUES if name != "none")


def finish(out, fused, in_tiles):
    """After the kernel: add the residual and apply the activation where the tiles did
    not (`in_tiles`: the kernel had `tile_epilogue`'s code)."""
    if fused is None:
        return
    activation, residual = fused
    if residual is None and (activation is None or in_tiles and activation in _IN_TILES):
        return
    flat = out.reshape(-1)
    if residual is not None or activation in BOUNDS:
        other = flat if residual is None else residual.reshape(-1)
        bounds = BOUNDS[activation if activation in BOUNDS else None]
        lo, hi = (flat.dtype.type(bound) for bound in bounds)
        launch(_elementwise.residual_clamp, flat, other, residual is not None, lo, hi,
               work=flat.size)
    if activation in AFTER:
        kernel, work = AFTER[activation]
        launch(kernel, flat, flat, *_after_args(activation, flat.dtype),
               work=flat.size * work)


def _after_args(activation, dtype):
    """The scalar arguments of an activation's kernel beyond (input, output), as the op
    alone gives them (fastnn/nn/functional/_activation.py)."""
    if activation in ("hardswish", "hardsigmoid"):
        return hard_constants(dtype)
    if activation == "gelu":
        return (gelu_quirks(dtype),)
    return ()
