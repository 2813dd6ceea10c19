"""SGD with momentum, dampening, Nesterov momentum, weight decay and maximize (torch.optim.SGD)."""
import numpy as np

from ..kernels import optim as _kernels
from ._update import FlatViews, closure_loss, cast, dummy, gradient, zeros_like
from .optimizer import Optimizer

__all__ = ["SGD"]


class SGD(Optimizer):
    """Stochastic gradient descent, torch's update formula and arithmetic order.

    Args:
        params (iterable): parameters or parameter-group dicts.
        lr (float): learning rate. Default: 1e-3.
        momentum (float): momentum factor. Default: 0.
        dampening (float): dampening for momentum. Default: 0.
        weight_decay (float): L2 penalty. Default: 0.
        nesterov (bool): Nesterov momentum (needs momentum > 0 and zero dampening).
        maximize (bool): maximize the objective instead of minimizing it.
        foreach, differentiable, fused: accepted and kept in the groups for torch
            compatibility; every update runs the single-tensor kernel.
    """

    _group_fallbacks = {"nesterov": False, "maximize": False, "foreach": None,
                        "differentiable": False, "fused": False}

    def __init__(self, params, lr=1e-3, momentum=0, dampening=0, weight_decay=0,
                 nesterov=False, *, maximize=False, foreach=None, differentiable=False,
                 fused=None):
        if isinstance(lr, np.ndarray):
            if lr.size != 1:
                raise ValueError("Tensor lr must be 1-element")
        if lr < 0.0:
            raise ValueError(f"Invalid learning rate: {lr}")
        if momentum < 0.0:
            raise ValueError(f"Invalid momentum value: {momentum}")
        if weight_decay < 0.0:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        defaults = {"lr": lr, "momentum": momentum, "dampening": dampening,
                    "weight_decay": weight_decay, "nesterov": nesterov, "maximize": maximize,
                    "foreach": foreach, "differentiable": differentiable, "fused": fused}
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        super().__init__(params, defaults)

    def step(self, closure=None):
        """One update of every parameter that has a gradient; returns closure() if given."""
        loss = closure_loss(closure)
        for group in self.param_groups:
            momentum = group["momentum"]
            for p in group["params"]:
                if getattr(p, "grad", None) is None:
                    continue
                grad = gradient(p)
                buf = None
                if momentum != 0:
                    state = self.state[p]
                    buf = state.get("momentum_buffer")
                first = buf is None
                if first and momentum != 0:
                    buf = zeros_like(p)           # the kernel sets it to the gradient
                views = FlatViews()
                _kernels.sgd(views(p), grad, views(buf) if buf is not None else dummy(p),
                             cast(p, -group["lr"]), cast(p, group["weight_decay"]),
                             cast(p, momentum), cast(p, 1 - group["dampening"]),
                             bool(group["nesterov"]), bool(group["maximize"]), first)
                views.write_back()
                if momentum != 0:
                    state["momentum_buffer"] = buf
        return loss
