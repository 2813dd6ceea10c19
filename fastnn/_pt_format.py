"""What PyTorch's zip checkpoint format names things: dtypes, storage classes, records.

Shared by the reader (`_pt_reader.py`) and the writer (`_pt_writer.py`); checked against
files written by torch 2.13 (`torch.save`), which stores every tensor as
``_rebuild_tensor_v2(storage, offset, size, stride, ...)`` over a typed storage class
(``torch.FloatStorage``...), except the dtypes that have no typed storage class
(uint16/32/64), which use ``_rebuild_tensor_v3`` over ``torch.storage.UntypedStorage``
with the dtype passed explicitly.
"""
import numpy as np

BFLOAT16 = "bfloat16"          # numpy has no bfloat16: it is upcast to float32 on loading
MAX_NESTING = 128              # containers nested deeper than this are refused (both ways)
ALIGNMENT = 64                 # torch aligns every record's data to 64 bytes

# torch dtype name -> (numpy dtype as stored little-endian or BFLOAT16, typed storage class)
DTYPES = {
    "float32": ("<f4", "FloatStorage"),
    "float64": ("<f8", "DoubleStorage"),
    "float16": ("<f2", "HalfStorage"),
    "bfloat16": (BFLOAT16, "BFloat16Storage"),
    "int64": ("<i8", "LongStorage"),
    "int32": ("<i4", "IntStorage"),
    "int16": ("<i2", "ShortStorage"),
    "int8": ("|i1", "CharStorage"),
    "uint8": ("|u1", "ByteStorage"),
    "bool": ("|b1", "BoolStorage"),
    "complex64": ("<c8", "ComplexFloatStorage"),
    "complex128": ("<c16", "ComplexDoubleStorage"),
    "uint16": ("<u2", None),
    "uint32": ("<u4", None),
    "uint64": ("<u8", None),
}

# Aliases torch also exposes (pickles name the canonical one, but accept both).
DTYPE_ALIASES = {"float": "float32", "double": "float64", "half": "float16", "long": "int64",
                 "int": "int32", "short": "int16", "cfloat": "complex64",
                 "cdouble": "complex128"}

STORAGE_DTYPES = {storage: name for name, (_, storage) in DTYPES.items() if storage}


class TorchDtype:
    """A torch dtype numpy lacks (bfloat16) met as a value; the others load as numpy dtypes."""

    def __init__(self, name):
        self.name = name

    def __repr__(self):
        return f"torch.{self.name}"

    def __eq__(self, other):
        return isinstance(other, TorchDtype) and other.name == self.name

    def __hash__(self):
        return hash(self.name)


def itemsize(torch_dtype):
    """Bytes per element of a torch dtype as stored in the archive."""
    code = DTYPES[torch_dtype][0]
    return 2 if code == BFLOAT16 else np.dtype(code).itemsize


def torch_dtype_of(np_dtype):
    """The torch dtype name that stores a numpy dtype, or None when torch has none."""
    np_dtype = np.dtype(np_dtype)
    for name, (code, _) in DTYPES.items():
        if code != BFLOAT16 and np.dtype(code) == np_dtype.newbyteorder("<"):
            return name
    return None
