"""F.max_pool*, F.avg_pool*, F.adaptive_*_pool*: each passes the door (`fastnn._dispatch`).

The ops' checks, output metadata and kernel runs are their registry entries, in
`_pool_ops.py`; a call with ``return_indices=True`` is the op ``*_with_indices``, and so
is a max pooling that autograd records (its backward scatters through the indices).
"""
from ..._dispatch import dispatch
from ..._grad import is_grad_enabled
from ...tensor import Tensor
from . import _pool_ops  # noqa: F401  (registers the ops)

__all__ = [
    "max_pool1d", "max_pool2d", "max_pool3d",
    "max_pool1d_with_indices", "max_pool2d_with_indices", "max_pool3d_with_indices",
    "avg_pool1d", "avg_pool2d", "avg_pool3d",
    "adaptive_max_pool1d", "adaptive_max_pool2d", "adaptive_max_pool3d",
    "adaptive_max_pool1d_with_indices", "adaptive_max_pool2d_with_indices",
    "adaptive_max_pool3d_with_indices",
    "adaptive_avg_pool1d", "adaptive_avg_pool2d", "adaptive_avg_pool3d",
]

# ---------------------------------------------------------------- max pooling

def max_pool1d_with_indices(input, kernel_size, stride=None, padding=0, dilation=1,
                            ceil_mode=False, return_indices=False):
    """:func:`max_pool1d` that always returns ``(values, indices)``."""
    return dispatch("max_pool1d_with_indices", input, kernel_size, stride, padding,
                    dilation, ceil_mode)


def max_pool2d_with_indices(input, kernel_size, stride=None, padding=0, dilation=1,
                            ceil_mode=False, return_indices=False):
    """:func:`max_pool2d` that always returns ``(values, indices)``."""
    return dispatch("max_pool2d_with_indices", input, kernel_size, stride, padding,
                    dilation, ceil_mode)


def max_pool3d_with_indices(input, kernel_size, stride=None, padding=0, dilation=1,
                            ceil_mode=False, return_indices=False):
    """:func:`max_pool3d` that always returns ``(values, indices)``."""
    return dispatch("max_pool3d_with_indices", input, kernel_size, stride, padding,
                    dilation, ceil_mode)


def max_pool1d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False):
    r"""1-D max pooling over an input of several planes.

    Args:
        input: ``(N, C, L)`` or unbatched ``(C, L)``
        kernel_size: window size (an int or a one-element tuple)
        stride: window step. Default (``None``): `kernel_size`
        padding: implicit -inf padding on both sides, at most ``kernel_size // 2``
        dilation: step between the elements of a window. Default: 1
        ceil_mode: round the output size up (the last window must start inside the
            input or the left padding). Default: ``False``
        return_indices: also return the argmax, a flat int64 index into each plane

    Shape:
        ``L_out = floor((L + 2 * padding - dilation * (kernel_size - 1) - 1) / stride + 1)``

    Examples::

        >>> F.max_pool1d(fastnn.randn(20, 16, 50), 3, stride=2).shape
        (20, 16, 24)
    """
    return _max_pool(1, input, kernel_size, stride, padding, dilation, ceil_mode,
                     return_indices)


def max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False):
    r"""2-D max pooling over an input of several planes. NaN in a window wins, as in torch.

    Args:
        input: ``(N, C, H, W)`` or unbatched ``(C, H, W)``
        kernel_size: window size, an int or ``(kH, kW)``
        stride: window step. Default (``None`` or ``()``): `kernel_size`
        padding: implicit -inf padding, at most half the effective kernel size
        dilation: step between the elements of a window. Default: 1
        ceil_mode: round the output size up. Default: ``False``
        return_indices: also return the argmax as flat int64 indices into ``H * W``

    Shape:
        ``H_out = floor((H + 2 * padding[0] - dilation[0] * (kH - 1) - 1) / stride[0] + 1)``,
        ``W_out`` likewise.

    Examples::

        >>> F.max_pool2d(fastnn.randn(1, 64, 112, 112), 3, 2, 1).shape
        (1, 64, 56, 56)
    """
    return _max_pool(2, input, kernel_size, stride, padding, dilation, ceil_mode,
                     return_indices)


def max_pool3d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False):
    r"""3-D max pooling over an input of several planes.

    Args:
        input: ``(N, C, D, H, W)`` or unbatched ``(C, D, H, W)``
        kernel_size, stride, padding, dilation: an int or a ``(d, h, w)`` tuple, as in
            :func:`max_pool2d`
        ceil_mode: round the output size up. Default: ``False``
        return_indices: also return the argmax as flat int64 indices into ``D * H * W``

    Shape:
        ``D_out = floor((D + 2 * padding[0] - dilation[0] * (kD - 1) - 1) / stride[0] + 1)``,
        ``H_out``, ``W_out`` likewise.

    Examples::

        >>> F.max_pool3d(fastnn.randn(2, 8, 16, 32, 32), 2).shape
        (2, 8, 8, 16, 16)
    """
    return _max_pool(3, input, kernel_size, stride, padding, dilation, ceil_mode,
                     return_indices)


def _max_pool(nd, input, kernel_size, stride, padding, dilation, ceil_mode, return_indices):
    if return_indices:
        return dispatch(f"max_pool{nd}d_with_indices", input, kernel_size, stride, padding,
                        dilation, ceil_mode)
    if is_grad_enabled() and isinstance(input, Tensor) and input.requires_grad:
        # as torch: the op autograd records is the one with indices, which its backward
        # scatters through (MaxPool2DWithIndicesBackward0), and its checks are that op's
        return dispatch(f"max_pool{nd}d_with_indices", input, kernel_size, stride, padding,
                        dilation, ceil_mode)[0]
    return dispatch(f"max_pool{nd}d", input, kernel_size, stride, padding, dilation,
                    ceil_mode)


# ---------------------------------------------------------------- average pooling

def avg_pool1d(input, kernel_size, stride=None, padding=0, ceil_mode=False,
               count_include_pad=True):
    r"""1-D average pooling over an input of several planes.

    Args:
        input: ``(N, C, L)`` or unbatched ``(C, L)``
        kernel_size: window size (an int or a one-element tuple)
        stride: window step. Default (``None``): `kernel_size`
        padding: implicit zero padding on both sides, at most ``kernel_size // 2``
        ceil_mode: round the output size up. Default: ``False``
        count_include_pad: count the zero padding in the divisor. Default: ``True``

    Shape:
        ``L_out = floor((L + 2 * padding - kernel_size) / stride + 1)``

    Examples::

        >>> F.avg_pool1d(fastnn.tensor([[[1., 2, 3, 4, 5, 6, 7]]]), 3, stride=2)
        Tensor([[[2., 4., 6.]]])
    """
    return dispatch("avg_pool1d", input, kernel_size, stride, padding, ceil_mode,
                    count_include_pad)


def avg_pool2d(input, kernel_size, stride=None, padding=0, ceil_mode=False,
               count_include_pad=True, divisor_override=None):
    r"""2-D average pooling over an input of several planes.

    Args:
        input: ``(N, C, H, W)`` or unbatched ``(C, H, W)``
        kernel_size: window size, an int or ``(kH, kW)``
        stride: window step. Default (``None``): `kernel_size`
        padding: implicit zero padding, at most half the kernel size
        ceil_mode: round the output size up; a last window running past the padded edge
            divides by its part inside the padded input. Default: ``False``
        count_include_pad: count the zero padding in the divisor. Default: ``True``
        divisor_override: a fixed divisor instead of the window size. Default: ``None``

    Shape:
        ``H_out = floor((H + 2 * padding[0] - kH) / stride[0] + 1)``, ``W_out`` likewise.

    Examples::

        >>> F.avg_pool2d(fastnn.randn(1, 16, 32, 32), 2).shape
        (1, 16, 16, 16)
    """
    return dispatch("avg_pool2d", input, kernel_size, stride, padding, ceil_mode,
                    count_include_pad, divisor_override)


def avg_pool3d(input, kernel_size, stride=None, padding=0, ceil_mode=False,
               count_include_pad=True, divisor_override=None):
    r"""3-D average pooling over an input of several planes.

    Args:
        input: ``(N, C, D, H, W)`` or unbatched ``(C, D, H, W)``
        kernel_size, stride, padding: an int or a ``(d, h, w)`` tuple, as in
            :func:`avg_pool2d`
        ceil_mode, count_include_pad, divisor_override: as in :func:`avg_pool2d`

    Shape:
        ``D_out = floor((D + 2 * padding[0] - kD) / stride[0] + 1)``, ``H_out``, ``W_out``
        likewise.

    Examples::

        >>> F.avg_pool3d(fastnn.randn(1, 4, 8, 8, 8), 2).shape
        (1, 4, 4, 4, 4)
    """
    return dispatch("avg_pool3d", input, kernel_size, stride, padding, ceil_mode,
                    count_include_pad, divisor_override)


# ---------------------------------------------------------------- adaptive pooling

def adaptive_avg_pool1d(input, output_size):
    r"""1-D adaptive average pooling: window i covers ``[floor(i*L/out), ceil((i+1)*L/out))``.

    Args:
        input: ``(N, C, L)`` or unbatched ``(C, L)``
        output_size: the output length ``L_out``

    Examples::

        >>> F.adaptive_avg_pool1d(fastnn.randn(1, 64, 8), 5).shape
        (1, 64, 5)
    """
    return dispatch("adaptive_avg_pool1d", input, output_size)


def adaptive_avg_pool2d(input, output_size):
    r"""2-D adaptive average pooling to ``output_size`` (an int, or ``(H, W)`` where
    ``None`` keeps the input's size), with torch's windows.

    Examples::

        >>> F.adaptive_avg_pool2d(fastnn.randn(1, 64, 10, 9), (5, None)).shape
        (1, 64, 5, 9)
    """
    return dispatch("adaptive_avg_pool2d", input, output_size)


def adaptive_avg_pool3d(input, output_size):
    r"""3-D adaptive average pooling to ``output_size`` (an int or ``(D, H, W)``, ``None``
    keeping the input's size).

    Examples::

        >>> F.adaptive_avg_pool3d(fastnn.randn(1, 64, 8, 9, 10), (5, 7, 9)).shape
        (1, 64, 5, 7, 9)
    """
    return dispatch("adaptive_avg_pool3d", input, output_size)


def adaptive_max_pool1d_with_indices(input, output_size, return_indices=False):
    """:func:`adaptive_max_pool1d` that always returns ``(values, indices)``."""
    return dispatch("adaptive_max_pool1d_with_indices", input, output_size)


def adaptive_max_pool2d_with_indices(input, output_size, return_indices=False):
    """:func:`adaptive_max_pool2d` that always returns ``(values, indices)``."""
    return dispatch("adaptive_max_pool2d_with_indices", input, output_size)


def adaptive_max_pool3d_with_indices(input, output_size, return_indices=False):
    """:func:`adaptive_max_pool3d` that always returns ``(values, indices)``."""
    return dispatch("adaptive_max_pool3d_with_indices", input, output_size)


def adaptive_max_pool1d(input, output_size, return_indices=False):
    r"""1-D adaptive max pooling with torch's windows; NaN wins.

    Args:
        input: ``(N, C, L)`` or unbatched ``(C, L)``
        output_size: the output length ``L_out``
        return_indices: also return the argmax (int64, flat index into ``L``)

    Examples::

        >>> F.adaptive_max_pool1d(fastnn.randn(1, 64, 8), 5).shape
        (1, 64, 5)
    """
    op = "adaptive_max_pool1d" + ("_with_indices" if return_indices else "")
    return dispatch(op, input, output_size)


def adaptive_max_pool2d(input, output_size, return_indices=False):
    r"""2-D adaptive max pooling to ``output_size`` (int or ``(H, W)``, ``None`` keeping the
    input's size); `return_indices` adds flat int64 indices into ``H * W``.

    Examples::

        >>> F.adaptive_max_pool2d(fastnn.randn(1, 64, 10, 9), (5, 7)).shape
        (1, 64, 5, 7)
    """
    op = "adaptive_max_pool2d" + ("_with_indices" if return_indices else "")
    return dispatch(op, input, output_size)


def adaptive_max_pool3d(input, output_size, return_indices=False):
    r"""3-D adaptive max pooling to ``output_size`` (int or ``(D, H, W)``, ``None`` keeping
    the input's size); `return_indices` adds flat int64 indices into ``D * H * W``.

    Examples::

        >>> F.adaptive_max_pool3d(fastnn.randn(1, 64, 8, 9, 10), (5, 7, 9)).shape
        (1, 64, 5, 7, 9)
    """
    op = "adaptive_max_pool3d" + ("_with_indices" if return_indices else "")
    return dispatch(op, input, output_size)
