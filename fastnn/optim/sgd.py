"""SGD with momentum, dampening, Nesterov momentum, weight decay and maximize (torch.optim.SGD)."""
import numpy as np

from ..kernels import optim as _kernels
from ._update import (FlatViews, addresses, batches, cast, closure_loss, kept_addresses, run,
                      sizes, zeros_like)
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
            compatibility; every update runs torch's single-tensor arithmetic, over all
            the parameters of a group at once.
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
        """One update of every parameter that has a gradient; returns closure() if given.
        One kernel call updates all the parameters of a group (of one dtype)."""
        loss = closure_loss(closure)
        for group_index, group in enumerate(self.param_groups):
            momentum = group["momentum"]
            # torch reads every buffer before updating: a parameter listed twice starts
            # both of its first updates from the gradient
            fresh = {id(p) for p in group["params"]
                     if (self.state.get(p) or {}).get("momentum_buffer") is None}
            in_state = self.state if momentum != 0 else None
            for batch, (params, grads) in enumerate(batches(group["params"], in_state)):
                dtype = grads[0].dtype
                views = FlatViews(kept_addresses(self), (group_index, batch))
                flat_params = views(params, "params")
                if momentum != 0:
                    states = [self.state[p] for p in params]
                    first_step = np.array([id(p) in fresh for p in params])
                    # a new buffer is set to the gradient by the kernel
                    bufs = [zeros_like(p) if first else state["momentum_buffer"]
                            for p, state, first in zip(params, states, first_step)]
                    flat_bufs = views(bufs, "bufs")
                else:
                    first_step = np.zeros(len(params), dtype=bool)
                    flat_bufs = flat_params                       # never read
                run(_kernels.sgd, views, flat_params, addresses(grads), flat_bufs,
                    sizes(grads), first_step, cast(dtype, -group["lr"]),
                    cast(dtype, group["weight_decay"]),
                    cast(dtype, momentum), cast(dtype, 1 - group["dampening"]),
                    bool(group["nesterov"]), bool(group["maximize"]),
                    work=sum(g.size for g in grads))
                if momentum != 0:
                    for state, buf in zip(states, bufs):
                        state["momentum_buffer"] = buf
        return loss
