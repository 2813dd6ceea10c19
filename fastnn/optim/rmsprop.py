"""RMSprop with alpha, eps, weight decay, momentum and centering (torch.optim.RMSprop)."""
import numpy as np

from ..kernels import optim as _kernels
from ._update import (FlatViews, addresses, advance_step, batches, cast, closure_loss,
                      kept_addresses, new_step, run, sizes, zeros_like)
from .adam import _steps_as_tensors
from .optimizer import Optimizer

__all__ = ["RMSprop"]


class RMSprop(Optimizer):
    """RMSprop, torch's update formula and arithmetic order (single-tensor implementation).

    Args:
        params (iterable): parameters or parameter-group dicts.
        lr (float): learning rate. Default: 1e-2.
        alpha (float): smoothing constant. Default: 0.99.
        eps (float): added to the denominator. Default: 1e-8.
        weight_decay (float): L2 penalty. Default: 0.
        momentum (float): momentum factor. Default: 0.
        centered (bool): normalise by the estimated variance of the gradient.
        maximize (bool): maximize the objective instead of minimizing it.
        capturable, foreach, differentiable: accepted and kept in the groups for torch
            compatibility; every update runs torch's single-tensor arithmetic, over all
            the parameters of a group at once.

    State per parameter: ``step`` (0-d tensor), ``square_avg``, ``momentum_buffer`` (when
    momentum > 0) and ``grad_avg`` (when centered).
    """

    _group_fallbacks = {"momentum": 0, "centered": False, "foreach": None,
                        "maximize": False, "differentiable": False, "capturable": False}

    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0,
                 centered=False, capturable=False, foreach=None, maximize=False,
                 differentiable=False):
        if isinstance(lr, np.ndarray):
            if lr.size != 1:
                raise ValueError("Tensor lr must be 1-element")
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        if not 0.0 <= momentum:
            raise ValueError(f"Invalid momentum value: {momentum}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if not 0.0 <= alpha:
            raise ValueError(f"Invalid alpha value: {alpha}")
        defaults = {"lr": lr, "momentum": momentum, "alpha": alpha, "eps": eps,
                    "centered": centered, "weight_decay": weight_decay,
                    "capturable": capturable, "foreach": foreach, "maximize": maximize,
                    "differentiable": differentiable}
        super().__init__(params, defaults)

    def __setstate__(self, state):
        super().__setstate__(state)
        _steps_as_tensors(self)

    def step(self, closure=None):
        """One update of every parameter that has a gradient; returns closure() if given.
        One kernel call updates all the parameters of a group (of one dtype)."""
        loss = closure_loss(closure)
        for group_index, group in enumerate(self.param_groups):
            momentum, centered, alpha = group["momentum"], group["centered"], group["alpha"]
            for batch, (params, grads) in enumerate(batches(group["params"], self.state)):
                dtype = grads[0].dtype
                states = [self.state[p] for p in params]
                for p, state in zip(params, states):
                    if len(state) == 0:
                        state["step"] = new_step()
                        state["square_avg"] = zeros_like(p)
                        if momentum > 0:
                            state["momentum_buffer"] = zeros_like(p)
                        if centered:
                            state["grad_avg"] = zeros_like(p)
                    advance_step(state)
                views = FlatViews(kept_addresses(self), (group_index, batch))
                flat_params = views(params, "params")
                weight = cast(dtype, 1 - alpha)
                run(_kernels.rmsprop, views, flat_params, addresses(grads),
                    views.state(states, "square_avg"),
                    views.state(states, "grad_avg") if centered else flat_params,
                    views.state(states, "momentum_buffer") if momentum > 0
                    else flat_params, sizes(grads),
                    cast(dtype, -group["lr"]), cast(dtype, alpha), weight,
                    weight - cast(dtype, 1), bool(abs(weight) < 0.5),
                    cast(dtype, group["eps"]), cast(dtype, group["weight_decay"]),
                    cast(dtype, momentum), bool(centered), bool(group["maximize"]),
                    work=sum(g.size for g in grads))
        return loss
