"""Adam and AdamW, with amsgrad, weight decay and maximize (torch.optim.Adam / AdamW)."""
import numpy as np

from .._array import wrap
from ..kernels import optim as _kernels
from ._update import (FlatViews, addresses, advance_step, batches, cast, closure_loss,
                      kept_addresses, new_step, run, sizes, zeros_like)
from .optimizer import Optimizer, scalar_dtype

__all__ = ["Adam", "AdamW"]


class Adam(Optimizer):
    """Adam, torch's update formula and arithmetic order (single-tensor implementation).

    Args:
        params (iterable): parameters or parameter-group dicts.
        lr (float): learning rate. Default: 1e-3.
        betas (tuple of two floats): running-average coefficients. Default: (0.9, 0.999).
        eps (float): added to the denominator. Default: 1e-8.
        weight_decay (float): L2 penalty (decoupled, AdamW's, when
            ``decoupled_weight_decay``). Default: 0.
        amsgrad (bool): use the maximum of the past squared-gradient averages.
        maximize (bool): maximize the objective instead of minimizing it.
        foreach, capturable, differentiable, fused: accepted and kept in the groups for
            torch compatibility; every update runs torch's single-tensor arithmetic, over
            all the parameters of a group at once.

    State per parameter: ``step`` (a 0-d tensor of the default dtype, as torch keeps it),
    ``exp_avg``, ``exp_avg_sq`` and, with amsgrad, ``max_exp_avg_sq``.
    """

    _group_fallbacks = {"amsgrad": False, "maximize": False, "foreach": None,
                        "capturable": False, "differentiable": False,
                        "decoupled_weight_decay": False, "fused": None}

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 amsgrad=False, *, foreach=None, maximize=False, capturable=False,
                 differentiable=False, fused=None, decoupled_weight_decay=False):
        if isinstance(lr, np.ndarray):
            if foreach and not capturable:
                raise ValueError("lr as a Tensor is not supported for capturable=False and "
                                 "foreach=True")
            if lr.size != 1:
                raise ValueError("Tensor lr must be 1-element")
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        if not 0.0 <= betas[0] < 1.0:
            raise ValueError(f"Invalid beta parameter at index 0: {betas[0]}")
        if not 0.0 <= betas[1] < 1.0:
            raise ValueError(f"Invalid beta parameter at index 1: {betas[1]}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if not (isinstance(betas[0], float) and isinstance(betas[1], float)):
            raise ValueError("betas must be either both floats or both Tensors")
        defaults = {"lr": lr, "betas": tuple(betas), "eps": eps,
                    "weight_decay": weight_decay, "amsgrad": amsgrad, "maximize": maximize,
                    "foreach": foreach, "capturable": capturable,
                    "differentiable": differentiable, "fused": fused,
                    "decoupled_weight_decay": decoupled_weight_decay}
        super().__init__(params, defaults)

    def __setstate__(self, state):
        super().__setstate__(state)
        _steps_as_tensors(self)

    def step(self, closure=None):
        """One update of every parameter that has a gradient; returns closure() if given.
        One kernel call updates all the parameters of a group (of one dtype)."""
        loss = closure_loss(closure)
        for group_index, group in enumerate(self.param_groups):
            beta1, beta2 = group["betas"]
            lr, weight_decay, amsgrad = group["lr"], group["weight_decay"], group["amsgrad"]
            for batch, (params, grads) in enumerate(batches(group["params"], self.state)):
                dtype = grads[0].dtype
                states = [self.state[p] for p in params]
                step_size_neg = np.empty(len(params), dtype=dtype)
                bias_correction2_sqrt = np.empty(len(params), dtype=dtype)
                for k, (p, state) in enumerate(zip(params, states)):
                    if len(state) == 0:
                        state["step"] = new_step()
                        state["exp_avg"] = zeros_like(p)
                        state["exp_avg_sq"] = zeros_like(p)
                        if amsgrad:
                            state["max_exp_avg_sq"] = zeros_like(p)
                    step = advance_step(state)
                    bias_correction1 = 1 - beta1 ** step
                    bias_correction2 = 1 - beta2 ** step
                    step_size_neg[k] = -(lr / bias_correction1)
                    bias_correction2_sqrt[k] = bias_correction2 ** 0.5
                views = FlatViews(kept_addresses(self), (group_index, batch))
                flat_params = views(params, "params")
                weight1 = cast(dtype, 1 - beta1)
                run(_kernels.adam, views, flat_params, addresses(grads),
                    views.state(states, "exp_avg"),
                    views.state(states, "exp_avg_sq"),
                    views.state(states, "max_exp_avg_sq") if amsgrad else flat_params,
                    sizes(grads),
                    step_size_neg, bias_correction2_sqrt, cast(dtype, beta2), weight1,
                    weight1 - cast(dtype, 1), bool(abs(weight1) < 0.5),
                    cast(dtype, 1 - beta2), cast(dtype, group["eps"]),
                    cast(dtype, weight_decay), cast(dtype, 1 - lr * weight_decay),
                    bool(group["decoupled_weight_decay"]), bool(amsgrad),
                    bool(group["maximize"]), work=sum(g.size for g in grads))
        return loss


class AdamW(Adam):
    """Adam with decoupled weight decay (torch.optim.AdamW); weight_decay defaults to 1e-2."""

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2,
                 amsgrad=False, *, maximize=False, foreach=None, capturable=False,
                 differentiable=False, fused=None):
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, foreach=foreach,
                         maximize=maximize, capturable=capturable,
                         differentiable=differentiable, fused=fused,
                         decoupled_weight_decay=True)

    def __setstate__(self, state):
        super().__setstate__(state)
        for group in self.param_groups:
            group["decoupled_weight_decay"] = True


def _steps_as_tensors(optimizer):
    """A `step` saved as a number (older torch) becomes the 0-d tensor torch now keeps."""
    for group in optimizer.param_groups:
        for p in group["params"]:
            p_state = optimizer.state.get(p)
            if p_state and not isinstance(p_state.get("step"), np.ndarray):
                p_state["step"] = wrap(np.array(float(p_state["step"]), dtype=scalar_dtype()))
