"""``fastnn.finfo`` and ``fastnn.iinfo``: the limits of a floating point or integer dtype,
as torch's (attributes as Python numbers, ``dtype`` the dtype's name)."""
import numpy as np

from ._dtypes import as_dtype, get_default_dtype

__all__ = ["finfo", "iinfo"]


def _shown(info, names):
    return ", ".join(f"{name}={getattr(info, name):g}" for name in names)


class finfo:
    """``finfo(type=None)``: bits, eps, max, min, tiny, smallest_normal and resolution of a
    floating point (or complex: its parts') dtype; the default dtype's without one."""

    def __init__(self, type=None):
        dtype = get_default_dtype() if type is None else as_dtype(type, "finfo")
        if dtype.kind not in "fc":
            raise TypeError("torch.finfo() requires a floating point input type. Use "
                            "torch.iinfo to handle 'torch.finfo'")
        info = np.finfo(dtype)
        self.bits = int(info.bits)
        self.eps, self.max, self.min = float(info.eps), float(info.max), float(info.min)
        self.tiny = self.smallest_normal = float(info.smallest_normal)
        self.resolution = 10.0 ** -int(info.precision)     # as torch's: exactly 1e-06
        self.dtype = info.dtype.name

    def __repr__(self):
        shown = _shown(self, ("resolution", "min", "max", "eps", "smallest_normal", "tiny"))
        return f"finfo({shown}, dtype={self.dtype})"


class iinfo:
    """``iinfo(type)``: bits, min and max of an integer dtype."""

    def __init__(self, type):
        if type is None:            # as_dtype passes None through: finfo's default
            raise TypeError("iinfo(): argument 'type' (position 1) must be torch.dtype, not "
                            "NoneType")
        dtype = as_dtype(type, "iinfo")
        if dtype == np.bool_:
            raise TypeError("torch.bool is not supported by torch.iinfo")
        if dtype.kind not in "iu":
            raise TypeError("torch.iinfo() requires an integer input type. Use torch.finfo "
                            "to handle 'torch.iinfo'")
        info = np.iinfo(dtype)
        self.bits, self.min, self.max = int(info.bits), int(info.min), int(info.max)
        self.dtype = dtype.name

    def __repr__(self):
        return f"iinfo({_shown(self, ('min', 'max'))}, dtype={self.dtype})"
