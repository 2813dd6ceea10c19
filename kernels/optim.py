"""Optimizer update kernels: one call updates every parameter of a group in place.

A call gets, per role (the parameters, their gradients, each state buffer), an int64 array
of the data addresses of flat C-contiguous arrays of one dtype, one entry per parameter,
with the parameters' sizes; it cuts them into chunks of at most CHUNK elements and the
chunks run in parallel, so a group of many small tensors and a group of a few large ones
both keep every core busy. Addresses, not typed lists: building a numba typed list costs
seconds of compilation in every new process and microseconds per array per step. The
caller keeps the arrays alive during the call. A state role the options leave unused may
be any address array (the caller passes the parameters'): it is never read.

Each element's arithmetic is torch's single-tensor (foreach=False) update, in torch's order
of operations. Scalars arrive already cast to the parameter's dtype (torch casts a Python
scalar to the tensor's dtype before the element loop), so float32 arithmetic stays float32
as in torch, and their type is the arrays' element type; what varies per parameter (Adam's
bias corrections, SGD's first step) arrives as an array indexed by parameter; options
arrive as booleans, so each kernel compiles once per dtype.

torch's CPU kernels fuse the multiply and add of ``add(x, alpha=a)``, ``addcmul`` and
``lerp`` into one rounding (its AVX2 build contracts them); ``fma`` here does the same, so
float32 results are torch's bits except where torch's vectorised sqrt rounds differently.
No fast-math: LLVM must neither fuse nor reorder anything else. The element loops use
Numba's numpy error model: a division by zero gives torch's inf or NaN (eps=0 and a zero
gradient), and the Python model's zero check in the loop would keep LLVM from vectorising
it.
"""
import math

import numpy as np
from numba import carray, prange, types
from numba.extending import intrinsic

from ._target import njit
from .random import fused_multiply_add as fma

# Elements per chunk: large enough that a chunk's loop dwarfs its dispatch, small enough
# that one large tensor splits across every core.
CHUNK = 1 << 14


@njit(cache=True)
def chunks(sizes):
    """(owner, start): chunk c covers elements start[c]:start[c] + CHUNK of parameter
    owner[c]."""
    total = 0
    for i in range(sizes.size):
        total += (sizes[i] + CHUNK - 1) // CHUNK
    owner = np.empty(total, dtype=np.int64)
    start = np.empty(total, dtype=np.int64)
    c = 0
    for i in range(sizes.size):
        for lo in range(0, sizes[i], CHUNK):
            owner[c] = i
            start[c] = lo
            c += 1
    return owner, start


@intrinsic
def _pointer(typingctx, address, scalar):
    """The int64 `address` as a pointer to elements of `scalar`'s type."""
    def codegen(context, builder, signature, args):
        return builder.inttoptr(args[0], context.get_value_type(scalar).as_pointer())
    return types.CPointer(scalar)(address, scalar), codegen


@njit(cache=True, inline="always")
def _span(addresses, k, size, lo, hi, scalar):
    """Elements lo:hi of the flat array of `size` elements at addresses[k] (a slice, so the
    element loop runs from 0: indexing from a start LLVM cannot prove non-negative keeps
    Numba's negative-index wraparound in the loop, which stops it vectorising)."""
    return carray(_pointer(addresses[k], scalar), (size,))[lo:hi]


@njit(cache=True)
def _lerp(start, end, weight, weight_minus_one, small):
    # torch's lerp: the formula is chosen by |weight| < 0.5 for accuracy at both ends
    if small:
        return fma(weight, end - start, start)
    return fma(weight_minus_one, end - start, end)


@njit(cache=True)
def _maximum(a, b):
    # torch.maximum: NaN in either operand propagates
    if a != a or a > b:
        return a
    return b


@njit(cache=True, error_model="numpy")
def _sgd_span(param, grad, buf, lr_neg, weight_decay, momentum,
              one_minus_dampening, nesterov, maximize, first_step):
    for i in range(param.size):
        g = -grad[i] if maximize else grad[i]
        if weight_decay != 0:
            g = fma(weight_decay, param[i], g)
        if momentum != 0:
            if first_step:
                b = g
            else:
                b = fma(one_minus_dampening, g, buf[i] * momentum)
            buf[i] = b
            if nesterov:
                g = fma(momentum, b, g)
            else:
                g = b
        param[i] = fma(lr_neg, g, param[i])


@njit(cache=True, parallel=True)
def sgd(params, grads, bufs, sizes, first_step, lr_neg, weight_decay, momentum,
        one_minus_dampening, nesterov, maximize):
    """params[k] += -lr * d, d the (decayed, momentum-averaged, nesterov) gradient; bufs[k]
    is the momentum buffer (unused when momentum == 0), set to the gradient where
    first_step[k]."""
    owner, start = chunks(sizes)
    for c in prange(owner.size):
        k, lo = owner[c], start[c]
        n = sizes[k]
        hi = min(lo + CHUNK, n)
        _sgd_span(_span(params, k, n, lo, hi, lr_neg), _span(grads, k, n, lo, hi, lr_neg),
                  _span(bufs, k, n, lo, hi, lr_neg), lr_neg, weight_decay, momentum,
                  one_minus_dampening, nesterov, maximize, first_step[k])


@njit(cache=True, error_model="numpy")
def _adam_span(param, grad, exp_avg, exp_avg_sq, max_exp_avg_sq, step_size_neg,
               beta2, one_minus_beta1, lerp_far, beta1_small, one_minus_beta2,
               bias_correction2_sqrt, eps, weight_decay, param_decay, decoupled, amsgrad,
               maximize):
    for i in range(param.size):
        g = -grad[i] if maximize else grad[i]
        p = param[i]
        if weight_decay != 0:
            if decoupled:
                p = p * param_decay
            else:
                g = fma(weight_decay, p, g)
        m = _lerp(exp_avg[i], g, one_minus_beta1, lerp_far, beta1_small)
        exp_avg[i] = m
        v = fma(one_minus_beta2 * g, g, exp_avg_sq[i] * beta2)
        exp_avg_sq[i] = v
        if amsgrad:
            v = _maximum(max_exp_avg_sq[i], v)
            max_exp_avg_sq[i] = v
        denom = math.sqrt(v) / bias_correction2_sqrt + eps
        param[i] = p + step_size_neg * m / denom


@njit(cache=True, parallel=True)
def adam(params, grads, exp_avgs, exp_avg_sqs, max_exp_avg_sqs, sizes, step_size_neg,
         bias_correction2_sqrt, beta2, one_minus_beta1, lerp_far, beta1_small,
         one_minus_beta2, eps, weight_decay, param_decay, decoupled, amsgrad, maximize):
    """One Adam/AdamW step of every parameter; `step_size_neg[k]` = -lr / bias_correction1
    and `bias_correction2_sqrt[k]` follow parameter k's own step count. `param_decay` =
    1 - lr * weight_decay (AdamW, `decoupled`); `lerp_far` is (1 - beta1) - 1 in the dtype,
    for the far side of torch's lerp; max_exp_avg_sqs is read only with amsgrad."""
    owner, start = chunks(sizes)
    for c in prange(owner.size):
        k, lo = owner[c], start[c]
        n = sizes[k]
        hi = min(lo + CHUNK, n)
        _adam_span(_span(params, k, n, lo, hi, beta2), _span(grads, k, n, lo, hi, beta2),
                   _span(exp_avgs, k, n, lo, hi, beta2),
                   _span(exp_avg_sqs, k, n, lo, hi, beta2),
                   _span(max_exp_avg_sqs, k, n, lo, hi, beta2), step_size_neg[k], beta2,
                   one_minus_beta1, lerp_far, beta1_small, one_minus_beta2,
                   bias_correction2_sqrt[k], eps, weight_decay, param_decay, decoupled,
                   amsgrad, maximize)


@njit(cache=True, error_model="numpy")
def _rmsprop_span(param, grad, square_avg, grad_avg, buf, lr_neg, alpha,
                  one_minus_alpha, lerp_far, alpha_small, eps, weight_decay, momentum,
                  centered, maximize):
    for i in range(param.size):
        g = -grad[i] if maximize else grad[i]
        if weight_decay != 0:
            g = fma(weight_decay, param[i], g)
        sa = fma(one_minus_alpha * g, g, square_avg[i] * alpha)
        square_avg[i] = sa
        if centered:
            ga = _lerp(grad_avg[i], g, one_minus_alpha, lerp_far, alpha_small)
            grad_avg[i] = ga
            avg = math.sqrt(fma(-ga, ga, sa))
        else:
            avg = math.sqrt(sa)
        avg = avg + eps
        if momentum > 0:
            b = buf[i] * momentum + g / avg
            buf[i] = b
            param[i] = fma(lr_neg, b, param[i])
        else:
            param[i] = param[i] + lr_neg * g / avg


@njit(cache=True, parallel=True)
def rmsprop(params, grads, square_avgs, grad_avgs, bufs, sizes, lr_neg, alpha,
            one_minus_alpha, lerp_far, alpha_small, eps, weight_decay, momentum, centered,
            maximize):
    """One RMSprop step of every parameter; grad_avgs is read when `centered`, bufs when
    momentum > 0; `lerp_far` is (1 - alpha) - 1 in the dtype, for the far side of torch's
    lerp."""
    owner, start = chunks(sizes)
    for c in prange(owner.size):
        k, lo = owner[c], start[c]
        n = sizes[k]
        hi = min(lo + CHUNK, n)
        _rmsprop_span(_span(params, k, n, lo, hi, alpha), _span(grads, k, n, lo, hi, alpha),
                      _span(square_avgs, k, n, lo, hi, alpha),
                      _span(grad_avgs, k, n, lo, hi, alpha), _span(bufs, k, n, lo, hi, alpha),
                      lr_neg, alpha, one_minus_alpha, lerp_far, alpha_small, eps,
                      weight_decay, momentum, centered, maximize)
