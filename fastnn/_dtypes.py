"""fastnn's dtypes: the names torch code uses, the default float dtype, and torch's rules
for the dtype of a Python or numpy scalar and of mixed inputs (a leaf module: numpy only).

Dtypes are numpy dtypes. As in torch, Python floats take the default dtype (float32 unless
``set_default_dtype`` changed it), Python ints int64 and bools bool; numpy arrays keep their
own dtype. Mixed inputs promote by category (bool < integer < floating < complex) and,
inside the winning category, by width.
"""
import numpy as np

__all__ = ["DTYPE_ALIASES", "get_default_dtype", "set_default_dtype", "as_dtype",
           "default_complex_dtype", "scalar_dtype", "promote", "promote_types",
           "check_array_dtype", "category"]

DTYPE_ALIASES = {
    "float32": np.float32, "float": np.float32, "float64": np.float64, "double": np.float64,
    "float16": np.float16, "half": np.float16, "int64": np.int64, "long": np.int64,
    "int32": np.int32, "int": np.int32, "int16": np.int16, "short": np.int16,
    "int8": np.int8, "uint8": np.uint8, "bool": np.bool_, "complex64": np.complex64,
    "cfloat": np.complex64, "complex128": np.complex128, "cdouble": np.complex128}
DTYPE_ALIASES = {name: np.dtype(t) for name, t in DTYPE_ALIASES.items()}
_SUPPORTED = frozenset(DTYPE_ALIASES.values()) | {
    np.dtype(t) for t in (np.uint16, np.uint32, np.uint64)}
_CATEGORY = {"b": 0, "u": 1, "i": 1, "f": 2, "c": 3}
_FLOAT_DTYPES = (np.dtype(np.float16), np.dtype(np.float32), np.dtype(np.float64))

_default_dtype = np.dtype(np.float32)


def get_default_dtype():
    """The dtype Python floats and the float factories use (float32 unless changed)."""
    return _default_dtype


def set_default_dtype(d):
    """Set the default floating dtype (float16, float32 or float64), as torch does."""
    global _default_dtype
    d = as_dtype(d, "set_default_dtype")
    if d not in _FLOAT_DTYPES:
        raise TypeError("only floating-point types are supported as the default type")
    _default_dtype = d


def as_dtype(dtype, fn):
    """`dtype` as a numpy dtype fastnn can hold (None stays None)."""
    if dtype is None:
        return None
    try:
        result = np.dtype(dtype)
    except TypeError:
        result = None
    if result not in _SUPPORTED:
        raise TypeError(f"{fn}(): argument 'dtype' must be a fastnn dtype (fastnn.float32, "
                        f"fastnn.int64, ...), not {dtype!r}")
    return result


def default_complex_dtype():
    """complex128 when the default dtype is float64, else complex64 (torch's rule)."""
    return np.dtype(np.complex128 if _default_dtype == np.float64 else np.complex64)


def category(dtype):
    """0 bool, 1 integer, 2 floating, 3 complex."""
    return _CATEGORY.get(dtype.kind, 0)


def scalar_dtype(value):
    """The dtype torch gives a Python or numpy scalar when it builds a tensor from it."""
    if isinstance(value, np.generic):
        return value.dtype
    if isinstance(value, bool):
        return np.dtype(np.bool_)
    if isinstance(value, int):
        return np.dtype(np.int64)
    if isinstance(value, float):
        return _default_dtype
    if isinstance(value, complex):
        return default_complex_dtype()
    if isinstance(value, (str, bytes)):
        raise TypeError(f"new(): invalid data type '{type(value).__name__}'")
    raise RuntimeError(f"Could not infer dtype of {type(value).__name__}")


def promote(dtypes):
    """torch's result dtype of tensors of `dtypes`: the highest category wins, then width."""
    dtypes = list(dtypes)
    if all(d == dtypes[0] for d in dtypes):     # one dtype (the common case): itself
        return dtypes[0]
    top = max(category(d) for d in dtypes)
    winners = [d for d in dtypes if category(d) == top]
    result = np.result_type(*winners)
    if top == 3:        # complex: at least as wide as the widest float taking part
        width = max((d.itemsize for d in dtypes if d.kind == "f"), default=0)
        if width * 2 > result.itemsize:
            result = np.dtype(np.complex128)
    return result


def promote_types(a, b):
    """torch.promote_types for two dtypes."""
    if category(a) == category(b):
        return np.promote_types(a, b)
    return promote((a, b))


def check_array_dtype(dtype):
    """torch's TypeError for a numpy dtype it cannot hold."""
    if dtype.newbyteorder("=") not in _SUPPORTED:
        raise TypeError(
            f"can't convert np.ndarray of type numpy.{dtype.type.__name__}. The only "
            f"supported types are: float64, float32, float16, complex64, complex128, int64, "
            f"int32, int16, int8, uint64, uint32, uint16, uint8, and bool.")
