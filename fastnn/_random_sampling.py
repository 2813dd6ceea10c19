"""torch's random samplers beyond rand/randn/randint: ``bernoulli``, ``multinomial``,
``normal``, ``poisson``, ``randint_like`` and the in-place ``bernoulli_``,
``exponential_``, ``random_``, ``geometric_``, ``log_normal_``, ``cauchy_``.

Arguments, result dtypes, checks and error messages are torch 2.13's. The values come
from numpy's samplers (``binomial``-style comparisons, ``poisson``, ``exponential``,
``geometric``, ``lognormal``, ``standard_cauchy``, the exponential-race trick for
``multinomial``) driven by the engine of a ``fastnn.Generator`` (the default one unless
``generator=``), so they are reproducible under ``fastnn.manual_seed`` but are not
torch's bit stream. The exception is ``normal``: it draws through ``normal_`` and then
scales and shifts as torch's ``normal`` does.

Every op here but the factories (``normal(mean, std, size)``, ``randint_like``) passes the
door (recorded under ``fastnn.ops.record()``). No gradient flows through a sample, but as in
torch the outputs of ``bernoulli(input)``, ``poisson`` and ``normal``'s tensor overloads
require grad when an input does (their gradients are zeros; ``bernoulli(input, p)``'s
backward raises torch's error); ``multinomial``'s never do. An in-place sampler on a leaf
that requires grad (or a view of one) is refused by autograd's door step, as ``uniform_``
is; on a non-leaf its gradient is zero.
"""
import contextlib

import numpy as np

from ._args import _is_int, torch_type_name
from ._array import as_array, wrap
from ._creation import _input, _requires_grad_option, _sized, _tensor_input
from ._out_arg import write_out
from ._random import Generator, resolve
from ._random_factories import randint
from ._registry import Attrs, register_backward
from ._sampling import normal_fill
from ._shape_ops import register_method
from ._ufunc_rules import c_type_name
from .tensor import Tensor

__all__ = ["bernoulli", "multinomial", "normal", "poisson"]

_P_IN_RANGE = ("Expected p_in >= 0 && p_in <= 1 to be true, but got false.  (Could this error "
               "message be improved?  If so, please report an enhancement request to "
               "PyTorch.)")


@contextlib.contextmanager
def _engine(generator):
    """numpy's Generator to draw from: a fastnn Generator's own mt19937 engine (held under
    its lock), or a numpy Generator given as `generator`."""
    gen = resolve(generator)
    if isinstance(gen, np.random.Generator):
        yield gen
        return
    with gen.lock:
        gen._fresh = False
        yield gen._words


def _plain(x):
    return np.ndarray.view(x, np.ndarray) if isinstance(x, np.ndarray) else np.asarray(x)


def _fill(target, values):
    """Writes `values` into the array `target` (cast to its dtype) and returns `target`."""
    np.copyto(_plain(target), values, casting="unsafe")
    return target


def _float_dtype(x, kernel):
    if x.dtype.kind != "f":
        raise NotImplementedError(f"\"{kernel}\" not implemented for "
                                  f"'{torch_type_name(x.dtype)}'")


def _float_number(value, fn, name, position):
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.number)):
        raise TypeError(f"{fn}(): argument '{name}' (position {position}) must be float, not "
                        f"{type(value).__name__}")
    return float(value)


def _c_type(dtype):
    """The C++ type torch's messages name for `dtype` (float32: float)."""
    return c_type_name(torch_type_name(dtype))


def _number_text(value):
    """A double as torch's messages print it (2.0 -> 2, 0.5 -> 0.5)."""
    value = float(value)
    return str(int(value)) if value.is_integer() else repr(value)


# ------------------------------------------------------------------ bernoulli

def _check_probabilities(p):
    if p.size and not ((p >= 0) & (p <= 1)).all():
        raise RuntimeError(_P_IN_RANGE)


def _probability(p, fn, position):
    """A float `p` in [0, 1] (torch's in-place kernel words the range error for both)."""
    p = _float_number(p, fn, "p", position)
    if not 0 <= p <= 1:
        raise RuntimeError(f"bernoulli_ expects p to be in [0, 1], but got p={_number_text(p)}")
    return p


def _bernoulli_normalize(input, p=None, *, generator=None):
    arr = as_array(input)
    if p is None:
        if arr.dtype.kind != "f":
            raise NotImplementedError(f"\"bernoulli_tensor_cpu_p_\" not implemented for "
                                      f"'{torch_type_name(arr.dtype)}'")
        return (input,), Attrs(p=None, generator=generator)
    return (input,), Attrs(p=_probability(p, "bernoulli", 2), generator=generator)


def _bernoulli_run(inputs, attrs, out):
    arr = _plain(inputs[0])
    p = arr if attrs.p is None else attrs.p
    if attrs.p is None:
        _check_probabilities(arr)
    with _engine(attrs.generator) as rng:
        drawn = rng.random(arr.shape) < p
    out[...] = drawn
    return out


def _bernoulli_inplace_normalize(input, p=0.5, *, generator=None):
    if isinstance(p, np.ndarray) or hasattr(p, "__array__") and not np.isscalar(p):
        probabilities = as_array(p)
        if probabilities.ndim > input.ndim:
            raise RuntimeError(
                f"expand({_type_text(probabilities)}{{{list(probabilities.shape)}}}, "
                f"size={list(input.shape)}): the number of sizes provided ({input.ndim}) must "
                f"be greater or equal to the number of dimensions in the tensor "
                f"({probabilities.ndim})")
        for i, n in enumerate(probabilities.shape[::-1]):
            target = input.shape[input.ndim - 1 - i]
            if n != 1 and n != target:
                raise RuntimeError(
                    f"The expanded size of the tensor ({target}) must match the existing size "
                    f"({n}) at non-singleton dimension {input.ndim - 1 - i}.  Target sizes: "
                    f"{list(input.shape)}.  Tensor sizes: {list(probabilities.shape)}")
        return (input,), Attrs(p=probabilities, generator=generator)
    return (input,), Attrs(p=_probability(p, "bernoulli_", 1), generator=generator)


def _type_text(arr):
    return f"torch.{torch_type_name(arr.dtype)}Tensor"


def _bernoulli_inplace_run(inputs, attrs, out):
    p = attrs.p
    if isinstance(p, np.ndarray):
        _check_probabilities(p)
    with _engine(attrs.generator) as rng:
        drawn = rng.random(inputs[0].shape) < p
    return _fill(inputs[0], drawn)


# ------------------------------------------------------------------ continuous in-place

def _continuous(x, name):
    if x.dtype.kind != "f":
        # torch's exponential_ names the dtype as torch does, cauchy_ as C++ does
        given = torch_type_name(x.dtype) if name == "Exponential" else _c_type(x.dtype)
        raise RuntimeError(f"{name} distribution is a continuous probability distribution. "
                           f"dtype must be a floating point but you specified {given}")


def _exponential_normalize(input, lambd=1.0, *, generator=None):
    lambd = _float_number(lambd, "exponential_", "lambd", 1)
    if not lambd > 0:
        raise RuntimeError(f"exponential_ expects lambda > 0.0, but found "
                           f"lambda={_number_text(lambd)}")
    _continuous(input, "Exponential")
    return (input,), Attrs(lambd=lambd, generator=generator)


def _exponential_run(inputs, attrs, out):
    with _engine(attrs.generator) as rng:
        return _fill(inputs[0], rng.exponential(1.0 / attrs.lambd, inputs[0].shape))


def _geometric_normalize(input, p, *, generator=None):
    p = _float_number(p, "geometric_", "p", 1)
    if not 0 < p < 1:
        raise RuntimeError(f"geometric_ expects p to be in (0, 1), but got p={_number_text(p)}")
    if input.dtype.kind == "b" or input.dtype.kind not in "iuf":
        raise NotImplementedError(f"\"geometric_cpu\" not implemented for "
                                  f"'{torch_type_name(input.dtype)}'")
    return (input,), Attrs(p=p, generator=generator)


def _geometric_run(inputs, attrs, out):
    with _engine(attrs.generator) as rng:
        return _fill(inputs[0], rng.geometric(attrs.p, inputs[0].shape))


def _log_normal_normalize(input, mean=1.0, std=2.0, *, generator=None):
    mean = _float_number(mean, "log_normal_", "mean", 1)
    std = _float_number(std, "log_normal_", "std", 2)
    if not std > 0:
        raise RuntimeError(f"log_normal_ expects std > 0.0, but found std={_number_text(std)}")
    _float_dtype(input, "log_normal_cpu")
    return (input,), Attrs(mean=mean, std=std, generator=generator)


def _log_normal_run(inputs, attrs, out):
    with _engine(attrs.generator) as rng:
        return _fill(inputs[0], rng.lognormal(attrs.mean, attrs.std, inputs[0].shape))


def _cauchy_normalize(input, median=0.0, sigma=1.0, *, generator=None):
    median = _float_number(median, "cauchy_", "median", 1)
    sigma = _float_number(sigma, "cauchy_", "sigma", 2)
    if not sigma > 0:
        raise RuntimeError(f"cauchy_ expects sigma > 0.0, but found "
                           f"sigma={_number_text(sigma)}")
    _continuous(input, "Cauchy")
    return (input,), Attrs(median=median, sigma=sigma, generator=generator)


def _cauchy_run(inputs, attrs, out):
    with _engine(attrs.generator) as rng:
        values = attrs.median + attrs.sigma * rng.standard_cauchy(inputs[0].shape)
    return _fill(inputs[0], values)


# ------------------------------------------------------------------ random_

def _random_invalid(args, kwargs):
    got = ", ".join([type(a).__name__ for a in args]
                    + [f"{k}={type(v).__name__}" for k, v in kwargs.items()])
    return TypeError(f"random_() received an invalid combination of arguments - got ({got}, ), "
                     f"but expected one of:\n * (*, torch.Generator generator = None)\n"
                     f" * (int from, int to, *, torch.Generator generator = None)\n"
                     f" * (int to, *, torch.Generator generator = None)\n")


def _dtype_top(dtype):
    """The largest value ``random_()`` draws for `dtype` (inclusive)."""
    if dtype.kind == "b":
        return 1
    if dtype.kind == "f":
        return 2 ** (np.finfo(dtype).nmant + 1)
    return int(np.iinfo(dtype).max)


def _random_bounds(dtype, args, kwargs):
    """[low, high] (inclusive) from torch's three overloads of ``random_``."""
    if set(kwargs) - {"from", "to"} or len(args) > 2:
        raise _random_invalid(args, kwargs)
    bound = dict(zip(("from", "to") if len(args) + len(kwargs) == 2 or "from" in kwargs
                     else ("to",), args))
    for key, value in kwargs.items():
        if key in bound:
            raise _random_invalid(args, kwargs)
        bound[key] = value
    for key, value in bound.items():
        if not (value is None and key == "to") and (
                not _is_int(value) or isinstance(value, (bool, np.bool_))):
            raise _random_invalid(args, kwargs)
    if "from" in bound and "to" not in bound:
        raise _random_invalid(args, kwargs)
    low = int(bound.get("from", 0))
    if bound.get("to") is None:
        if "to" in bound or "from" in bound:
            return low, _dtype_top(dtype)       # random_(from, None): up to the dtype's top
        return 0, _dtype_top(dtype)
    high = int(bound["to"])
    if low >= high:
        raise RuntimeError(f"random_ expects 'from' to be less than 'to', but got "
                           f"from={low} >= to={high}")
    if dtype.kind in "biu":
        info = (0, 1) if dtype.kind == "b" else (np.iinfo(dtype).min, np.iinfo(dtype).max)
        for name, value in (("from", low), ("to - 1", high - 1)):
            if not info[0] <= value <= info[1]:
                raise RuntimeError(f"{name} is out of bounds for {_c_type(dtype)}")
    return low, high - 1


def _random_normalize(input, *args, generator=None, **kwargs):
    if input.dtype.kind not in "biuf":
        raise NotImplementedError(f"\"random_from_to_range_calc\" not implemented for "
                                  f"'{torch_type_name(input.dtype)}'")
    low, high = _random_bounds(input.dtype, args, kwargs)
    return (input,), Attrs(low=low, high=high, generator=generator)


def _random_run(inputs, attrs, out):
    with _engine(attrs.generator) as rng:
        values = rng.integers(attrs.low, attrs.high, inputs[0].shape, dtype=np.int64,
                              endpoint=True)
    return _fill(inputs[0], values)


# ------------------------------------------------------------------ multinomial

def _multinomial_normalize(input, num_samples, replacement=False, *, generator=None):
    arr = as_array(input)
    if not _is_int(num_samples) or isinstance(num_samples, (bool, np.bool_)):
        raise TypeError(f"multinomial(): argument 'num_samples' (position 2) must be int, not "
                        f"{type(num_samples).__name__}")
    num_samples = int(num_samples)
    if arr.ndim not in (1, 2):
        raise RuntimeError("prob_dist must be 1 or 2 dim")
    if arr.dtype.kind != "f":
        raise RuntimeError(f"multinomial only supports floating-point dtypes for input, got: "
                           f"{torch_type_name(arr.dtype)}")
    if num_samples <= 0:
        raise RuntimeError("cannot sample n_sample <= 0 samples")
    if not replacement and num_samples > arr.shape[-1]:
        raise RuntimeError("cannot sample n_sample > prob_dist.size(-1) samples without "
                           "replacement")
    return (input,), Attrs(num_samples=num_samples, replacement=bool(replacement),
                           generator=generator)


def _multinomial_run(inputs, attrs, out):
    arr = _plain(inputs[0])
    rows = np.atleast_2d(arr).astype(np.float64)
    if rows.size and not (np.isfinite(rows) & (rows >= 0)).all():
        raise RuntimeError("probability tensor contains either `inf`, `nan` or element < 0")
    if rows.size and not (rows.sum(axis=1) > 0).all():
        raise RuntimeError("invalid multinomial distribution (sum of probabilities <= 0)")
    k = attrs.num_samples
    with _engine(attrs.generator) as rng:
        if attrs.replacement:
            cumulative = np.cumsum(rows, axis=1)
            cumulative /= cumulative[:, -1:]
            uniforms = rng.random((rows.shape[0], k))
            picks = np.stack([np.searchsorted(c, u, side="right")
                              for c, u in zip(cumulative, uniforms)]).reshape(-1, k)
            picks = np.minimum(picks, rows.shape[1] - 1)
        else:
            # an exponential race: category i finishes at Exp(1) / p_i; the first k to
            # finish are a draw without replacement (zero probabilities never finish first)
            with np.errstate(divide="ignore"):
                keys = rows / rng.exponential(1.0, rows.shape)
            picks = np.argsort(-keys, axis=1, kind="stable")[:, :k]
    out[...] = picks.reshape(out.shape)
    return out


# ------------------------------------------------------------------ poisson

def _poisson_normalize(input, generator=None):
    arr = as_array(input)
    _float_dtype(arr, "poisson_cpu")
    return (input,), Attrs(generator=generator)


def _poisson_run(inputs, attrs, out):
    rates = _plain(inputs[0])
    if rates.size and not (rates >= 0).all():
        raise RuntimeError("invalid Poisson rate, expected rate to be non-negative")
    with _engine(attrs.generator) as rng:
        out[...] = rng.poisson(rates.astype(np.float64))
    return out


# ------------------------------------------------------------------ normal (tensor overloads)

def _broadcast(a, b):
    """The broadcast of shapes `a` and `b`, or torch's error (from the last dimension)."""
    ndim = max(len(a), len(b))
    a, b = (1,) * (ndim - len(a)) + tuple(a), (1,) * (ndim - len(b)) + tuple(b)
    for i in reversed(range(ndim)):
        if a[i] != b[i] and a[i] != 1 and b[i] != 1:
            raise RuntimeError(f"The size of tensor a ({a[i]}) must match the size of tensor b "
                               f"({b[i]}) at non-singleton dimension {i}")
    return tuple(y if x == 1 else x for x, y in zip(a, b))


def _normal_tensors_normalize(mean, std, *, generator=None):
    mean_t, std_t = isinstance(mean, np.ndarray), isinstance(std, np.ndarray)
    if mean_t:
        _float_dtype(mean, "normal_kernel_cpu")
    if std_t:
        _float_dtype(std, "normal_kernel_cpu")
    if std_t:
        shape = _broadcast(mean.shape, std.shape) if mean_t else std.shape
    else:
        if std < 0:
            raise RuntimeError(f"normal expects std >= 0.0, but found std {_number_text(std)}")
        shape = mean.shape
    dtype = mean.dtype if mean_t else std.dtype
    return (mean, std), Attrs(shape=tuple(shape), dtype=dtype, generator=generator)


def _normal_tensors_run(inputs, attrs, out):
    mean, std = (_plain(x) if isinstance(x, np.ndarray) else x for x in inputs)
    if isinstance(std, np.ndarray) and std.size and not (std >= 0).all():
        raise RuntimeError("normal expects all elements of std >= 0.0")
    result = out
    if isinstance(std, np.ndarray):
        # torch: output.normal_(0, 1, generator); output.mul_(std).add_(mean)
        normal_fill(result, 0.0, 1.0, attrs.generator)
        np.multiply(result, std, out=result, casting="unsafe")
    else:
        # torch: output.normal_(0, std, generator); output.add_(mean)
        normal_fill(result, 0.0, std, attrs.generator)
    np.add(result, mean, out=result, casting="unsafe")
    return result


def _normal_invalid(args, kwargs):
    got = ", ".join([type(a).__name__ for a in args]
                    + [f"{k}={type(v).__name__}" for k, v in kwargs.items()])
    return TypeError(
        f"normal() received an invalid combination of arguments - got ({got}), but expected "
        f"one of:\n * (Tensor mean, Tensor std, *, torch.Generator generator = None, Tensor "
        f"out = None)\n * (Tensor mean, float std = 1, *, torch.Generator generator = None, "
        f"Tensor out = None)\n * (float mean, Tensor std, *, torch.Generator generator = "
        f"None, Tensor out = None)\n * (float mean, float std, tuple of ints size, *, "
        f"torch.Generator generator = None, Tensor out = None, torch.dtype dtype = None, "
        f"torch.layout layout = None, torch.device device = None, bool pin_memory = False, "
        f"bool requires_grad = False)\n")


def _is_tensor(x):
    return isinstance(x, np.ndarray) or (hasattr(x, "__array__") and not np.isscalar(x)
                                         and not isinstance(x, (list, tuple)))


def _is_real(x):
    return isinstance(x, (int, float, np.integer, np.floating)) and not isinstance(
        x, (bool, np.bool_))


def normal(*args, generator=None, out=None, **kwargs):
    """torch.normal's four overloads: ``normal(mean, std)`` with either or both a tensor
    (broadcast; mean's dtype when it is a tensor), ``normal(mean_tensor, std=1.0)``, and
    ``normal(mean, std, size, *, dtype=None, ...)`` for floats. Samples of N(mean, std^2),
    drawn through ``normal_`` and scaled as torch's ``normal`` does.

    Examples::

        >>> fastnn.normal(fastnn.zeros(3), fastnn.ones(3)).shape
        fastnn.Size([3])
        >>> fastnn.normal(2.0, 3.0, (2, 4)).shape
        fastnn.Size([2, 4])
    """
    names = ("mean", "std", "size")
    bound = dict(zip(names, args))
    extra = {k: v for k, v in kwargs.items() if k not in names}
    for key in names:
        if key in kwargs:
            if key in bound:
                raise _normal_invalid(args, kwargs)
            bound[key] = kwargs[key]
    if len(args) > 3 or "mean" not in bound:
        raise _normal_invalid(args, kwargs)
    mean, std = bound["mean"], bound.get("std", 1.0)
    if "size" in bound:
        if (not _is_real(mean) or not _is_real(std)
                or set(extra) - {"dtype", "layout", "device", "pin_memory", "requires_grad"}):
            raise _normal_invalid(args, kwargs)
        return _normal_factory(float(mean), float(std), bound["size"], generator=generator,
                               out=out, **extra)
    if extra:
        raise _normal_invalid(args, kwargs)
    mean_t, std_t = _is_tensor(mean), _is_tensor(std)
    if not (mean_t or std_t) or (not mean_t and not _is_real(mean)) or (
            not std_t and not _is_real(std)):
        raise _normal_invalid(args, kwargs)
    mean = _tensor_input(mean, "normal") if mean_t else float(mean)
    std = _tensor_input(std, "normal") if std_t else float(std)
    return write_out(Tensor._door("normal", mean, std, generator=generator), out)


@_requires_grad_option
def _normal_factory(mean, std, size, *, generator=None, out=None, dtype=None, layout=None,
                    device=None, pin_memory=False):
    """``normal(mean, std, size)``: a factory, outside the door as ``randn`` is."""
    shape, dtype = _sized("normal", (size,), dtype, device)
    if std < 0:
        raise RuntimeError(f"normal expects std >= 0.0, but found std {_number_text(std)}")
    if dtype.kind != "f":
        raise NotImplementedError(f"\"normal_kernel_cpu\" not implemented for "
                                  f"'{torch_type_name(dtype)}'")
    result = wrap(normal_fill(np.empty(shape, dtype), mean, std, generator))
    return write_out(result, out)


# ------------------------------------------------------------------ top-level functions

def bernoulli(input, p=None, *, generator=None, out=None):
    """0/1 samples: ``bernoulli(input)`` draws 1 with probability ``input[i]`` (a float
    tensor of probabilities in [0, 1]); ``bernoulli(input, p)`` draws with the float `p`,
    shaped and typed as `input`. Not differentiable.

    Examples::

        >>> fastnn.bernoulli(fastnn.tensor([0.0, 1.0]))
        tensor([0., 1.])
    """
    if p is not None and out is not None:
        raise TypeError(
            f"bernoulli() received an invalid combination of arguments - got (Tensor, "
            f"{type(p).__name__}, out=Tensor), but expected one of:\n * (Tensor input, *, "
            f"torch.Generator generator = None, Tensor out = None)\n * (Tensor input, float "
            f"p, *, torch.Generator generator = None)\n")
    arr = _tensor_input(input, "bernoulli")
    return write_out(Tensor._door("bernoulli", arr, p, generator=generator), out)


def multinomial(input, num_samples, replacement=False, *, generator=None, out=None):
    """`num_samples` category indices (int64) per row of the 1-D or 2-D `input` of
    non-negative weights (need not sum to 1), with or without replacement.

    Examples::

        >>> fastnn.multinomial(fastnn.tensor([0.0, 1.0, 0.0]), 1)
        tensor([1])
    """
    arr = _tensor_input(input, "multinomial")
    return write_out(Tensor._door("multinomial", arr, num_samples, replacement,
                                  generator=generator), out)


def poisson(input, generator=None):
    """Poisson samples with rates `input` (a float tensor, rates >= 0), in its dtype.

    Examples::

        >>> fastnn.poisson(fastnn.zeros(2))
        tensor([0., 0.])
    """
    if generator is not None and not isinstance(generator, (Generator, np.random.Generator)):
        raise TypeError(f"poisson(): argument 'generator' (position 2) must be "
                        f"torch.Generator, not {type(generator).__name__}")
    return Tensor._door("poisson", _tensor_input(input, "poisson"), generator=generator)


def _randint_like_invalid(args, kwargs):
    got = ", ".join(["Tensor"] + [type(a).__name__ for a in args]
                    + [f"{k}={type(v).__name__}" for k, v in kwargs.items()])
    rest = ("torch.memory_format memory_format = None, torch.dtype dtype = None, "
            "torch.layout layout = None, torch.device device = None, bool pin_memory = "
            "False, bool requires_grad = False)")
    lines = []
    for head in ("Tensor input, int low, int high", "Tensor input, Tensor high",
                 "Tensor input, int high"):
        lines.append(f" * ({head}, *, torch.Generator generator, {rest}")
        lines.append(f" * ({head}, *, {rest}")
    return TypeError(f"randint_like() received an invalid combination of arguments - got "
                     f"({got}), but expected one of:\n" + "\n".join(lines) + "\n")


@_requires_grad_option
def randint_like(input, *args, generator=None, dtype=None, layout=None, device=None,
                 pin_memory=False, memory_format=None, **kwargs):
    """``randint_like(input, high)`` or ``randint_like(input, low, high)``: integers
    uniform on [low, high) with `input`'s shape and dtype (unless `dtype` is given); the
    values ``randint`` draws for the same seed.

    Examples::

        >>> fastnn.randint_like(fastnn.zeros(2, 3), 10).shape
        fastnn.Size([2, 3])
    """
    arr = _input(input, "randint_like")
    bound = dict(zip(("low", "high") if len(args) == 2 else ("high",), args))
    for key, value in kwargs.items():
        if key not in ("low", "high") or key in bound:
            raise _randint_like_invalid(args, kwargs)
        bound[key] = value
    if "high" not in bound or len(args) > 2:
        raise _randint_like_invalid(args, kwargs)
    high = bound["high"]
    if isinstance(high, np.ndarray):
        high = high.item()
    return randint(bound.get("low", 0), high, arr.shape, generator=generator,
                   dtype=dtype if dtype is not None else arr.dtype, device=device)


def _like_input(inputs, attrs):
    """The output of bernoulli and poisson: the input's shape and (native) dtype."""
    arr = inputs[0]
    return np.shape(arr), np.dtype(arr.dtype).newbyteorder("=")


def _multinomial_meta(inputs, attrs):
    shape = np.shape(inputs[0])
    return shape[:-1] + (attrs.num_samples,), np.dtype(np.int64)


def _normal_meta(inputs, attrs):
    return attrs.shape, np.dtype(attrs.dtype).newbyteorder("=")


def _registered():
    """Registers the ops with the door: the in-place samplers write their input, the others
    into the output the door allocates."""
    for name, normalize, run, meta in (
            ("bernoulli", _bernoulli_normalize, _bernoulli_run, _like_input),
            ("bernoulli_", _bernoulli_inplace_normalize, _bernoulli_inplace_run, None),
            ("exponential_", _exponential_normalize, _exponential_run, None),
            ("geometric_", _geometric_normalize, _geometric_run, None),
            ("log_normal_", _log_normal_normalize, _log_normal_run, None),
            ("cauchy_", _cauchy_normalize, _cauchy_run, None),
            ("random_", _random_normalize, _random_run, None),
            ("multinomial", _multinomial_normalize, _multinomial_run, _multinomial_meta),
            ("poisson", _poisson_normalize, _poisson_run, _like_input),
            ("normal", _normal_tensors_normalize, _normal_tensors_run, _normal_meta)):
        if meta is None:
            register_method(name, normalize, run, memoised=False)
        else:
            register_method(name, normalize, run, meta=meta, memoised=False)
    # torch's derivatives: zero for the in-place samplers (the values are overwritten) and
    # for bernoulli(input), poisson and normal's tensors; multinomial has none; bernoulli
    # with a float p records a node whose backward refuses
    for name in ("bernoulli_", "exponential_", "geometric_", "log_normal_", "cauchy_",
                 "random_", "poisson", "normal"):
        register_backward(name, _zero_gradients, saves=())
    register_backward("bernoulli", _bernoulli_backward, saves=())
    register_backward("multinomial", None)


def _bernoulli_backward(ctx, grad):
    if ctx.attrs.p is not None:
        raise RuntimeError("derivative for aten::bernoulli is not implemented")
    return _zero_gradients(ctx, grad)


def _zero_gradients(ctx, grad):
    """No gradient flows through a sample: zeros for every tensor input (torch's formula)."""
    return tuple(np.zeros(shape, dtype) if needs else None
                 for shape, dtype, needs in zip(ctx.shapes, ctx.dtypes, ctx.needs))


_registered()
