"""torch.nn.utils.weight_norm / remove_weight_norm (the hook form torch deprecates in favour
of its parametrization): a parameter `name` replaced by a magnitude `name_g` and a
direction `name_v`, recomputed as ``g * v / ||v||`` before every forward."""
import warnings

from ..parameter import Parameter

__all__ = ["WeightNorm", "weight_norm", "remove_weight_norm"]

_DEPRECATED = ("`torch.nn.utils.weight_norm` is deprecated in favor of "
               "`torch.nn.utils.parametrizations.weight_norm`.")


def norm_except_dim(v, dim):
    """The 2-norm of `v` over every dim but `dim`, kept as size-1 dims; over all of it (a
    0-d tensor) when `dim` is -1, as torch's norm_except_dim reads -1 (not as the last
    dim)."""
    if dim == -1:
        return v.norm()
    kept = dim % v.ndim
    return v.norm(2, [d for d in range(v.ndim) if d != kept], True)


class WeightNorm:
    """The forward pre-hook that recomputes ``module.<name>`` from `name_g` and `name_v`."""

    def __init__(self, name, dim):
        self.name = name
        self.dim = -1 if dim is None else dim

    def compute_weight(self, module):
        g = getattr(module, self.name + "_g")
        v = getattr(module, self.name + "_v")
        return v * (g / norm_except_dim(v, self.dim))

    @staticmethod
    def apply(module, name, dim):
        for hook in module._forward_pre_hooks.values():
            if isinstance(hook, WeightNorm) and hook.name == name:
                raise RuntimeError(f"Cannot register two weight_norm hooks on the same "
                                   f"parameter {name}")
        fn = WeightNorm(name, dim)
        weight = getattr(module, name)
        del module._parameters[name]
        module.register_parameter(name + "_g",
                                  Parameter(norm_except_dim(weight, fn.dim).data.copy()))
        module.register_parameter(name + "_v", Parameter(weight.data))
        setattr(module, name, fn.compute_weight(module))
        module.register_forward_pre_hook(fn)
        return fn

    def remove(self, module):
        weight = self.compute_weight(module)
        delattr(module, self.name)
        del module._parameters[self.name + "_g"]
        del module._parameters[self.name + "_v"]
        setattr(module, self.name, Parameter(weight.data))

    def __call__(self, module, inputs):
        setattr(module, self.name, self.compute_weight(module))


def weight_norm(module, name="weight", dim=0):
    """Replaces parameter `name` of `module` by ``name_g`` (its norm over every dim but
    `dim`; over all of it for None or -1) and ``name_v`` (the parameter itself), the weight
    recomputed from them before every forward. Returns `module`."""
    warnings.warn(_DEPRECATED, FutureWarning, stacklevel=2)
    WeightNorm.apply(module, name, dim)
    return module


def remove_weight_norm(module, name="weight"):
    """Undoes :func:`weight_norm`: `name` becomes a Parameter holding the current weight."""
    for key, hook in module._forward_pre_hooks.items():
        if isinstance(hook, WeightNorm) and hook.name == name:
            hook.remove(module)
            del module._forward_pre_hooks[key]
            return module
    raise ValueError(f"weight_norm of '{name}' not found in {module}")
