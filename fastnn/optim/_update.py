"""What every optimizer's step shares: the batches one kernel call updates, the addresses
of flat kernel views of parameters and state, the gradient as the kernel reads it, fresh
state buffers, the step counter."""
import numpy as np

from .._array import as_array, check_float, wrap
from .._grad import enable_grad
from .._runtime import launch
from .optimizer import scalar_dtype


class FlatViews:
    """The data addresses (an int64 array, as the kernels take them) of flat C-contiguous
    native-order views of arrays the kernel updates in place; an array that is not one
    already is updated through a copy written back by :meth:`write_back`. The object keeps
    every array it gave an address of alive: hold it until the kernel has run.

    Taking an address costs about a microsecond per array, more than a small parameter's
    update, so the addresses of arrays that are all their own views are kept in `cache`
    under `key` and their role, and reused while the same array objects come again
    (parameters and their state persist between steps; the kept tuple holds them, so no
    identity is reused)."""

    def __init__(self, cache=None, key=()):
        self._copies = []
        self._alive = []
        self._cache = cache
        self._key = key

    def flat(self, arr):
        plain = as_array(arr)
        if plain.flags.c_contiguous and plain.dtype.isnative:
            return plain.reshape(-1)
        copy = np.ascontiguousarray(plain, dtype=plain.dtype.newbyteorder("="))
        self._copies.append((plain, copy))
        return copy.reshape(-1)

    def state(self, states, name):
        """The addresses of every parameter's state `name`."""
        return self([state[name] for state in states], name)

    def __call__(self, arrays, role=None):
        if role is None or self._cache is None:
            return self._addresses(arrays)
        key = self._key + (role,)
        kept = self._cache.get(key)
        if kept is not None and len(kept[0]) == len(arrays) and all(
                a is b for a, b in zip(kept[0], arrays)):
            return kept[1]
        copies = len(self._copies)
        found = self._addresses(arrays)
        if len(self._copies) == copies:           # all views: valid while the arrays live
            self._cache[key] = (tuple(arrays), found)
        return found

    def _addresses(self, arrays):
        flat = [self.flat(a) for a in arrays]
        self._alive.append(flat)
        return addresses(flat)

    def write_back(self):
        for plain, copy in self._copies:
            plain[...] = copy


def kept_addresses(optimizer):
    """The optimizer's cache of addresses for :class:`FlatViews` (not in its state)."""
    return optimizer.__dict__.setdefault("_kept_addresses", {})


def addresses(arrays):
    """The data addresses of `arrays` (flat, contiguous, of one dtype), as the kernels take
    them; the caller keeps the arrays alive while a kernel uses them."""
    return np.array([a.__array_interface__["data"][0] for a in arrays], dtype=np.int64)


def sizes(arrays):
    return np.array([a.size for a in arrays], dtype=np.int64)


def closure_loss(closure):
    """What `closure()` returns, run with grad mode on (torch's step does the same)."""
    if closure is None:
        return None
    with enable_grad():
        return closure()


def gradient(param):
    """`param.grad` as a flat contiguous native array of the parameter's dtype (never
    written)."""
    check_float(param, "optimizer parameter")
    grad = as_array(param.grad, "grad")
    if grad.shape != param.shape:
        raise RuntimeError(f"assigned grad has data of a different size: grad shape "
                           f"{list(grad.shape)}, parameter shape {list(param.shape)}")
    return np.ascontiguousarray(grad, dtype=param.dtype.newbyteorder("=")).reshape(-1)


def batches(params, state=None):
    """The parameters that have a gradient, as (params, grads) lists for one kernel call
    each: one per dtype, in the group's order. Every gradient is checked before anything is
    updated; `state` (the optimizer's) gets its entries in the group's order, as torch's
    loop creates them. A parameter listed n times goes into n successive batches, so its
    updates run one after the other, as torch's loop runs them."""
    grouped = {}
    seen = {}
    with_grad = [(p, gradient(p)) for p in params if getattr(p, "grad", None) is not None]
    for p, grad in with_grad:
        if state is not None:
            state.setdefault(p, {})
        occurrence = seen.get(id(p), 0)
        seen[id(p)] = occurrence + 1
        params_and_grads = grouped.setdefault((occurrence, p.dtype.newbyteorder("=")),
                                              ([], []))
        params_and_grads[0].append(p)
        params_and_grads[1].append(grad)
    return list(grouped.values())


def run(kernel, views, *args, work):
    """Launch `kernel` over a batch, then copy back the arrays updated through copies."""
    launch(kernel, *args, work=work)
    views.write_back()


def zeros_like(param):
    return wrap(np.zeros(param.shape, dtype=param.dtype))


def new_step():
    """torch's initial `step`: a 0-d tensor 0.0 of the default (scalar) dtype."""
    return wrap(np.zeros((), dtype=scalar_dtype()))


def advance_step(state):
    """step += 1 in the step tensor's own dtype (torch's in-place add); returns its value."""
    step = as_array(state["step"])
    np.add(step, step.dtype.type(1), out=step)
    return float(step)


def cast(dtype, value):
    """A Python scalar as `dtype`, as torch casts it before the element loop."""
    return dtype.type(value)
