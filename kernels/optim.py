"""Optimizer update kernels: one call updates one parameter in place (fastnn.optim).

Each kernel is the per-element arithmetic of torch's single-tensor (foreach=False) update,
in torch's order of operations, over flat C-contiguous arrays. Scalars arrive already cast
to the parameter's dtype (torch casts a Python scalar to the tensor's dtype before the
element loop), so float32 arithmetic stays float32 as in torch; options arrive as booleans,
so each kernel compiles once per dtype. Serial loops: a parameter update is one
memory-bound pass, and serial kernels compile in a fraction of the parallel lowering's time.

torch's CPU kernels fuse the multiply and add of ``add(x, alpha=a)``, ``addcmul`` and
``lerp`` into one rounding (its AVX2 build contracts them); ``fma`` here does the same, so
float32 results are torch's bits except where torch's vectorised sqrt rounds differently.
No fast-math: LLVM must neither fuse nor reorder anything else.
"""
import math

from ._target import njit
from .random import fused_multiply_add as fma


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


@njit(cache=True)
def sgd(param, grad, buf, lr_neg, weight_decay, momentum, one_minus_dampening, nesterov,
        maximize, first_step):
    """param += -lr * d, d the (decayed, momentum-averaged, nesterov) gradient; `buf` is the
    momentum buffer (ignored when momentum == 0), set to the gradient on `first_step`."""
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


@njit(cache=True)
def adam(param, grad, exp_avg, exp_avg_sq, max_exp_avg_sq, step_size_neg, beta2,
         one_minus_beta1, lerp_far, beta1_small, one_minus_beta2, bias_correction2_sqrt,
         eps, weight_decay, param_decay, decoupled, amsgrad, maximize):
    """One Adam/AdamW step. `param_decay` = 1 - lr * weight_decay (AdamW, `decoupled`);
    `lerp_far` is (1 - beta1) - 1 in the dtype, for the far side of torch's lerp."""
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


@njit(cache=True)
def rmsprop(param, grad, square_avg, grad_avg, buf, lr_neg, alpha, one_minus_alpha,
            lerp_far, alpha_small, eps, weight_decay, momentum, centered, maximize):
    """One RMSprop step; `grad_avg` is used when `centered`, `buf` when momentum > 0;
    `lerp_far` is (1 - alpha) - 1 in the dtype, for the far side of torch's lerp."""
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
