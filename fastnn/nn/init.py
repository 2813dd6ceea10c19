"""Weight initialisation, as torch.nn.init: same formulas, bounds and errors.

Every function fills the given array in place and returns it.  Random values come from
fastnn's default generator (seeded by ``fastnn.manual_seed``) or the ``fastnn.Generator``
passed as ``generator=``, and are drawn with torch's call sequence: after the same seed,
the same calls give torch's values (``orthogonal_`` up to the QR's rounding, which LAPACK
builds differ in). A numpy ``Generator`` is accepted too (a fastnn extension); its values
are not torch's.
"""
import functools
import math
import warnings

import numpy as np

from .. import _grad, _random
from .._sampling import normal_fill, permutation, uniform_fill

__all__ = [
    "calculate_gain", "uniform_", "normal_", "trunc_normal_", "constant_", "ones_",
    "zeros_", "eye_", "dirac_", "xavier_uniform_", "xavier_normal_", "kaiming_uniform_",
    "kaiming_normal_", "orthogonal_", "sparse_",
    "uniform", "normal", "constant", "eye", "dirac", "xavier_uniform", "xavier_normal",
    "kaiming_uniform", "kaiming_normal", "orthogonal", "sparse",
]

_LINEAR_FNS = ("linear", "conv1d", "conv2d", "conv3d",
               "conv_transpose1d", "conv_transpose2d", "conv_transpose3d")
# How torch names a dtype in its bound-check messages.
_C_TYPE_NAMES = {"float32": "float", "float64": "double", "float16": "c10::Half"}


def _array(tensor):
    if not isinstance(tensor, np.ndarray):
        raise TypeError(f"nn.init expects a fastnn Tensor or numpy array, "
                        f"got {type(tensor).__name__}")
    return tensor


def _float_array(tensor, fn):
    tensor = _array(tensor)
    if tensor.dtype.kind != "f":
        raise TypeError(f"{fn} expects a floating point tensor, got {tensor.dtype}")
    return tensor


def _c_number(x):
    """A number as torch's C++ messages print it (1.0 -> '1', 0.1234567 -> '0.123457')."""
    return f"{float(x):g}"


def _fill(tensor, values):
    np.copyto(tensor, values, casting="unsafe")
    return tensor


def calculate_gain(nonlinearity, param=None):
    """The recommended gain for a nonlinearity, as torch.nn.init.calculate_gain.

    ==================  ====================================================
    nonlinearity        gain
    ==================  ====================================================
    Linear / Identity   :math:`1`
    Conv{1,2,3}D        :math:`1`
    Sigmoid             :math:`1`
    Tanh                :math:`\\frac{5}{3}`
    ReLU                :math:`\\sqrt{2}`
    Leaky Relu          :math:`\\sqrt{\\frac{2}{1 + \\text{negative\\_slope}^2}}`
    SELU                :math:`\\frac{3}{4}`
    ==================  ====================================================

    Args:
        nonlinearity (str): the function's name (as in ``torch.nn.functional``).
        param: the negative slope for ``'leaky_relu'`` (default 0.01).

    Examples::

        >>> nn.init.calculate_gain('leaky_relu', 0.2)
        1.3867504905630728
    """
    if nonlinearity in _LINEAR_FNS or nonlinearity == "sigmoid":
        return 1
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        if param is None:
            negative_slope = 0.01
        elif (not isinstance(param, bool) and isinstance(param, int)) or isinstance(param, float):
            negative_slope = param
        else:
            raise ValueError(f"negative_slope {param} not a valid number")
        return math.sqrt(2.0 / (1 + negative_slope ** 2))
    if nonlinearity == "selu":
        return 3.0 / 4      # torch's empirical value (pytorch PR 50664)
    raise ValueError(f"Unsupported nonlinearity {nonlinearity}")


def uniform_(tensor, a=0.0, b=1.0, generator=None):
    """Fill `tensor` from :math:`\\mathcal{U}(a, b)`.

    Examples::

        >>> w = fastnn.empty(3, 5); nn.init.uniform_(w, -0.1, 0.1)
    """
    tensor = _float_array(tensor, "uniform_")
    limit = np.finfo(tensor.dtype).max
    ctype = _C_TYPE_NAMES.get(tensor.dtype.name, tensor.dtype.name)
    for name, value in (("from", a), ("to", b)):
        if not -limit <= value <= limit:
            raise RuntimeError(f"{name} is out of bounds for {ctype}")
    if a > b:
        raise RuntimeError("uniform_ expects to return a [from, to) range, but found "
                           f"from={_c_number(a)} > to={_c_number(b)}")
    return uniform_fill(tensor, a, b, generator)


def normal_(tensor, mean=0.0, std=1.0, generator=None):
    """Fill `tensor` from :math:`\\mathcal{N}(\\text{mean}, \\text{std}^2)`."""
    tensor = _float_array(tensor, "normal_")
    if std < 0:
        raise RuntimeError(f"normal expects std >= 0.0, but found std {_c_number(std)}")
    return normal_fill(tensor, mean, std, generator)


def _norm_cdf(x):
    return (1.0 + math.erf(x / math.sqrt(2.0))) / 2.0


def trunc_normal_(tensor, mean=0.0, std=1.0, a=-2.0, b=2.0, generator=None):
    """Fill `tensor` from :math:`\\mathcal{N}(\\text{mean}, \\text{std}^2)` truncated to
    :math:`[a, b]`, by torch 2.13's rejection sampling and call sequence.

    When more than 0.3 of the mass lies in [a, b], whole-tensor normal draws replace the
    values that fall out until none does; otherwise uniform proposals on [a, b] are
    accepted where ``log(u) <= log-density - log-peak``, one whole-tensor pair of uniform
    draws per round. (That second branch takes the log with numpy rather than torch's
    SLEEF: an acceptance could differ if the two logs differ in the last bit right at the
    boundary.)

    Args:
        tensor: the array to fill.
        mean, std: of the normal distribution before truncation.
        a, b: the bounds (absolute values, not in units of std).
    """
    tensor = _float_array(tensor, "trunc_normal_")
    if mean < a - 2 * std or mean > b + 2 * std:
        warnings.warn("mean is more than 2 std from [a, b] in nn.init.trunc_normal_. "
                      "The distribution of values may be incorrect.", stacklevel=2)
    mass = _norm_cdf((b - mean) / std) - _norm_cdf((a - mean) / std)
    if mass > 0.3:
        _trunc_normal_by_normals(tensor, mean, std, a, b, generator)
    else:
        _trunc_normal_by_uniforms(tensor, mean, std, a, b, generator)
    return tensor


def _trunc_normal_by_normals(tensor, mean, std, a, b, generator):
    # the bounds as the tensor's dtype holds them, as torch compares
    low, high = float(tensor.dtype.type(a)), float(tensor.dtype.type(b))
    result = normal_fill(tensor, mean, std, generator)
    while True:
        out = (result < low) | (result > high)
        if not out.any():
            break
        result = np.where(out, normal_fill(np.empty_like(tensor), mean, std, generator),
                          result)
    if result is not tensor:
        tensor[...] = result


def _trunc_normal_by_uniforms(tensor, mean, std, a, b, generator):
    if a > b:
        raise RuntimeError("uniform_ expects to return a [from, to) range, but found "
                           f"from={_c_number(a)} > to={_c_number(b)}")
    real = tensor.dtype.type
    mode = max(a, min(mean, b))
    log_peak = real(-0.5 * ((mode - mean) / std) ** 2)

    def log_density(x):
        x = (x - real(mean)) / real(std)
        return x * x * real(-0.5) - log_peak

    def log_uniforms():
        with np.errstate(divide="ignore"):
            return np.log(uniform_fill(np.empty_like(tensor), 0.0, 1.0, generator))

    uniform_fill(tensor, a, b, generator)
    pending = log_uniforms() > log_density(tensor)
    result = tensor
    while pending.any():
        candidates = uniform_fill(np.empty_like(tensor), a, b, generator)
        result = np.where(pending, candidates, result)
        pending = np.where(pending, log_uniforms() > log_density(candidates), pending)
    if result is not tensor:
        tensor[...] = result


def constant_(tensor, val):
    """Fill `tensor` with `val`."""
    _array(tensor)[...] = val
    return tensor


def ones_(tensor):
    """Fill `tensor` with 1."""
    return constant_(tensor, 1.0)


def zeros_(tensor):
    """Fill `tensor` with 0."""
    return constant_(tensor, 0.0)


def eye_(tensor):
    """Fill the 2-D `tensor` with the identity matrix (ones on the main diagonal)."""
    if _array(tensor).ndim != 2:
        raise ValueError("Only tensors with 2 dimensions are supported")
    return _fill(tensor, np.eye(*tensor.shape))


def dirac_(tensor, groups=1):
    """Fill the 3-, 4- or 5-D `tensor` with the Dirac delta: a convolution by it keeps the
    input channels (``groups`` of them per group)."""
    tensor = _array(tensor)
    if tensor.ndim not in (3, 4, 5):
        raise ValueError("Only tensors with 3, 4, or 5 dimensions are supported")
    if tensor.shape[0] % groups != 0:
        raise ValueError("dim 0 must be divisible by groups")
    out_per_group = tensor.shape[0] // groups
    centre = tuple(s // 2 for s in tensor.shape[2:])
    tensor[...] = 0
    for g in range(groups):
        for d in range(min(out_per_group, tensor.shape[1])):
            tensor[(g * out_per_group + d, d) + centre] = 1
    return tensor


def _calculate_fan_in_and_fan_out(tensor):
    if tensor.ndim < 2:
        raise ValueError("Fan in and fan out can not be computed for tensor with fewer "
                         "than 2 dimensions")
    receptive_field = math.prod(tensor.shape[2:])
    return tensor.shape[1] * receptive_field, tensor.shape[0] * receptive_field


def _calculate_correct_fan(tensor, mode):
    mode = mode.lower()
    valid_modes = ["fan_in", "fan_out"]
    if mode not in valid_modes:
        raise ValueError(f"Mode {mode} not supported, please use one of {valid_modes}")
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    return fan_in if mode == "fan_in" else fan_out


def xavier_uniform_(tensor, gain=1.0, generator=None):
    """Glorot uniform: :math:`\\mathcal{U}(-a, a)`,
    :math:`a = \\text{gain} \\sqrt{6 / (\\text{fan\\_in} + \\text{fan\\_out})}`."""
    fan_in, fan_out = _calculate_fan_in_and_fan_out(_array(tensor))
    std = gain * math.sqrt(2.0 / float(fan_in + fan_out))
    bound = math.sqrt(3.0) * std
    return uniform_(tensor, -bound, bound, generator)


def xavier_normal_(tensor, gain=1.0, generator=None):
    """Glorot normal: :math:`\\mathcal{N}(0, \\text{std}^2)`,
    :math:`\\text{std} = \\text{gain} \\sqrt{2 / (\\text{fan\\_in} + \\text{fan\\_out})}`."""
    fan_in, fan_out = _calculate_fan_in_and_fan_out(_array(tensor))
    return normal_(tensor, 0.0, gain * math.sqrt(2.0 / float(fan_in + fan_out)), generator)


def _kaiming_std(tensor, a, mode, nonlinearity):
    fan = _calculate_correct_fan(tensor, mode)
    return calculate_gain(nonlinearity, a) / math.sqrt(fan)


def kaiming_uniform_(tensor, a=0, mode="fan_in", nonlinearity="leaky_relu", generator=None):
    """He uniform: :math:`\\mathcal{U}(-b, b)`,
    :math:`b = \\text{gain} \\sqrt{3 / \\text{fan\\_mode}}`.

    Args:
        a: negative slope of the rectifier that follows (``'leaky_relu'`` only).
        mode: ``'fan_in'`` (keeps the forward variance) or ``'fan_out'``.
        nonlinearity: name for :func:`calculate_gain`.
    """
    if 0 in _array(tensor).shape:
        warnings.warn("Initializing zero-element tensors is a no-op", stacklevel=2)
        return tensor
    bound = math.sqrt(3.0) * _kaiming_std(tensor, a, mode, nonlinearity)
    return uniform_(tensor, -bound, bound, generator)


def kaiming_normal_(tensor, a=0, mode="fan_in", nonlinearity="leaky_relu", generator=None):
    """He normal: :math:`\\mathcal{N}(0, \\text{std}^2)`,
    :math:`\\text{std} = \\text{gain} / \\sqrt{\\text{fan\\_mode}}`."""
    if 0 in _array(tensor).shape:
        warnings.warn("Initializing zero-element tensors is a no-op", stacklevel=2)
        return tensor
    return normal_(tensor, 0, _kaiming_std(tensor, a, mode, nonlinearity), generator)


def orthogonal_(tensor, gain=1, generator=None):
    """Fill `tensor` (2-D or more, trailing dims flattened) with a (semi-)orthogonal matrix
    times `gain`: QR of a standard normal matrix (torch's draws, in the tensor's dtype),
    signs fixed by R's diagonal. numpy's LAPACK is not torch's MKL: the values agree to
    rounding, not bit for bit."""
    tensor = _float_array(tensor, "orthogonal_")
    if tensor.ndim < 2:
        raise ValueError("Only tensors with 2 or more dimensions are supported")
    if tensor.size == 0:
        return tensor
    rows = tensor.shape[0]
    cols = tensor.size // rows
    flat = normal_fill(np.empty((rows, cols), tensor.dtype), 0, 1, generator)
    if rows < cols:
        flat = flat.T
    q, r = np.linalg.qr(flat)
    q *= np.sign(np.diag(r))
    if rows < cols:
        q = q.T
    return _fill(tensor, (q * gain).reshape(tensor.shape))


def sparse_(tensor, sparsity, std=0.01, generator=None):
    """Fill the 2-D `tensor` from :math:`\\mathcal{N}(0, \\text{std}^2)` with a fraction
    `sparsity` of each column set to zero."""
    tensor = _float_array(tensor, "sparse_")
    if tensor.ndim != 2:
        raise ValueError("Only tensors with 2 dimensions are supported")
    rows, cols = tensor.shape
    num_zeros = math.ceil(sparsity * rows)
    normal_(tensor, 0, std, generator)
    for col in range(cols):
        tensor[_row_permutation(rows, generator)[:num_zeros], col] = 0
    return tensor


def _row_permutation(rows, generator):
    """torch's sparse_ draws its permutations from the default generator, whatever
    `generator` is; a numpy Generator (fastnn's extension) keeps to itself."""
    if isinstance(generator, np.random.Generator):
        return generator.permutation(rows)
    return permutation(_random.default_generator, rows)


def _without_grad(fn):
    """`fn` run with grad mode off, as torch's initialisers run: they write into
    parameters, leaves that require grad."""
    @functools.wraps(fn)
    def initialise(*args, **kwargs):
        with _grad.no_grad():
            return fn(*args, **kwargs)
    return initialise


for _name in ("uniform_", "normal_", "trunc_normal_", "constant_", "ones_", "zeros_", "eye_",
              "dirac_", "xavier_uniform_", "xavier_normal_", "kaiming_uniform_",
              "kaiming_normal_", "orthogonal_", "sparse_"):
    globals()[_name] = _without_grad(globals()[_name])


def _deprecated(fn):
    old = fn.__name__[:-1]

    def deprecated_init(*args, **kwargs):
        warnings.warn(f"`nn.init.{old}` is now deprecated in favor of `nn.init.{fn.__name__}`.",
                      FutureWarning, stacklevel=2)
        return fn(*args, **kwargs)

    deprecated_init.__name__ = old
    deprecated_init.__doc__ = f"Deprecated alias of :func:`{fn.__name__}`."
    return deprecated_init


uniform = _deprecated(uniform_)
normal = _deprecated(normal_)
constant = _deprecated(constant_)
eye = _deprecated(eye_)
dirac = _deprecated(dirac_)
xavier_uniform = _deprecated(xavier_uniform_)
xavier_normal = _deprecated(xavier_normal_)
kaiming_uniform = _deprecated(kaiming_uniform_)
kaiming_normal = _deprecated(kaiming_normal_)
orthogonal = _deprecated(orthogonal_)
sparse = _deprecated(sparse_)
