"""Write PyTorch's zip checkpoint format (what ``torch.load(weights_only=True)`` reads).

The pickle is emitted opcode by opcode (protocol 2, as torch.save writes it) rather than by
`pickle.Pickler`, which would import torch to check the globals it names.  Every array is
written as its own C-contiguous storage: the values, shape and dtype round-trip; strides
and memory shared between two different arrays do not (the same array object saved twice
is memoised, so torch loads it as one tensor).
"""
import collections
import os
import struct
import sys
import zipfile

import numpy as np

from ._pt_format import ALIGNMENT, DTYPES, MAX_NESTING, TorchDtype, torch_dtype_of
from .nn.parameter import Parameter

_GLOBAL = b"c"
_MARK, _STOP, _TUPLE, _EMPTY_TUPLE = b"(", b".", b"t", b")"
_TUPLES = {1: b"\x85", 2: b"\x86", 3: b"\x87"}
_EMPTY_DICT, _EMPTY_LIST, _SETITEMS, _APPENDS = b"}", b"]", b"u", b"e"
_REDUCE, _BUILD, _BINPERSID = b"R", b"b", b"Q"
_NONE, _TRUE, _FALSE = b"N", b"\x88", b"\x89"
_BATCH = 1000


class _Emitter:
    """Protocol-2 pickle of containers, scalars and arrays; arrays become storage records."""

    def __init__(self):
        self.out = bytearray(b"\x80\x02")
        self.memo = {}
        self.keep_alive = []        # objects whose id() is a memo key
        self.storages = []          # C-contiguous native arrays, record data/<index>
        self.depth = 0
        self.active = set()         # ids of the containers being written (cycle check)

    def _put(self, obj):
        index = len(self.memo)
        self.memo[obj if isinstance(obj, str) else id(obj)] = index
        self.keep_alive.append(obj)
        self.out += b"q" + bytes([index]) if index < 256 else b"r" + struct.pack("<I", index)

    def _get(self, index):
        self.out += b"h" + bytes([index]) if index < 256 else b"j" + struct.pack("<I", index)

    def _global(self, module, name):
        key = f"{module}\n{name}"
        if key in self.memo:
            self._get(self.memo[key])
            return
        self.out += _GLOBAL + f"{module}\n{name}\n".encode("ascii")
        self._put(key)

    def save(self, obj):
        if obj is None:
            self.out += _NONE
        elif obj is True or obj is False:
            self.out += _TRUE if obj else _FALSE
        elif isinstance(obj, (bool, np.bool_)):
            self.save(bool(obj))
        elif isinstance(obj, (int, np.integer)):
            self._int(int(obj))
        elif isinstance(obj, (float, np.floating)):
            self.out += b"G" + struct.pack(">d", float(obj))
        elif isinstance(obj, str):
            encoded = obj.encode("utf-8", "surrogatepass")
            self.out += b"X" + struct.pack("<I", len(encoded)) + encoded
        elif isinstance(obj, (np.dtype, TorchDtype)):
            name = obj.name if isinstance(obj, TorchDtype) else torch_dtype_of(obj)
            if name is None:
                raise TypeError(f"fastnn.save cannot store the dtype {obj}: torch has no "
                                "such dtype")
            self._global("torch", name)
        elif isinstance(obj, bytes):
            self._global("_codecs", "encode")
            self.save((obj.decode("latin1"), "latin1"))
            self.out += _REDUCE
        elif id(obj) in self.active:
            raise ValueError("fastnn.save: the object contains itself (a recursive "
                             "container); checkpoints cannot hold cycles")
        elif id(obj) in self.memo:
            self._get(self.memo[id(obj)])
        else:
            self.active.add(id(obj))
            self._save_object(obj)
            self.active.discard(id(obj))

    def _save_object(self, obj):
        self.depth += 1
        if self.depth > MAX_NESTING:
            raise ValueError(f"fastnn.save: containers nest deeper than {MAX_NESTING} levels")
        if isinstance(obj, np.ndarray) or (hasattr(obj, "__array__")
                                           and not isinstance(obj, (dict, list, tuple))):
            self._array(obj)
        elif isinstance(obj, dict):
            self._dict(obj)
        elif isinstance(obj, list):
            self.out += _EMPTY_LIST
            self._put(obj)
            self._batched(obj, _APPENDS, lambda item: self.save(item))
        elif isinstance(obj, tuple):
            self._tuple(obj)
        else:
            raise TypeError(
                f"fastnn.save cannot store an object of type {type(obj).__name__}: only "
                "tensors/arrays, dicts, lists, tuples, str, int, float, bool, bytes and None")
        self.depth -= 1

    def _int(self, value):
        if 0 <= value < 256:
            self.out += b"K" + bytes([value])
        elif 0 <= value < 65536:
            self.out += b"M" + struct.pack("<H", value)
        elif -2 ** 31 <= value < 2 ** 31:
            self.out += b"J" + struct.pack("<i", value)
        else:
            encoded = value.to_bytes((value.bit_length() + 8) // 8, "little", signed=True)
            if len(encoded) < 256:
                self.out += b"\x8a" + bytes([len(encoded)]) + encoded
            else:
                self.out += b"\x8b" + struct.pack("<i", len(encoded)) + encoded

    def _tuple(self, obj):
        if not obj:
            self.out += _EMPTY_TUPLE
            return
        if len(obj) > 3:
            self.out += _MARK
        for item in obj:
            self.save(item)
        self.out += _TUPLES.get(len(obj), _TUPLE)
        self._put(obj)

    def _batched(self, items, opcode, save_item):
        items = list(items)
        for start in range(0, len(items), _BATCH):
            self.out += _MARK
            for item in items[start:start + _BATCH]:
                save_item(item)
            self.out += opcode

    def _dict(self, obj):
        ordered = isinstance(obj, collections.OrderedDict)
        if ordered:
            self._global("collections", "OrderedDict")
            self.out += _EMPTY_TUPLE + _REDUCE
        else:
            self.out += _EMPTY_DICT
        self._put(obj)
        self._batched(obj.items(), _SETITEMS, lambda kv: (self.save(kv[0]), self.save(kv[1])))
        state = getattr(obj, "__dict__", None) if ordered else None
        if state:   # torch state dicts carry `_metadata` (module versions) this way
            self.save(dict(state))
            self.out += _BUILD

    def _array(self, obj):
        is_parameter = isinstance(obj, Parameter)
        arr = np.asarray(obj)
        torch_dtype = torch_dtype_of(arr.dtype)
        if torch_dtype is None:
            raise TypeError(f"fastnn.save cannot store arrays of dtype {arr.dtype}: torch has "
                            "no such dtype")
        if is_parameter:
            self._global("torch._utils", "_rebuild_parameter")
        storage_class = DTYPES[torch_dtype][1]
        self._global("torch._utils", "_rebuild_tensor_v2" if storage_class
                     else "_rebuild_tensor_v3")
        self.out += _MARK
        data = np.asarray(arr, dtype=arr.dtype.newbyteorder("="), order="C")
        key = str(len(self.storages))
        self.storages.append(data)
        self.out += _MARK
        self.save("storage")
        if storage_class:
            self._global("torch", storage_class)
        else:
            self._global("torch.storage", "UntypedStorage")
        self.save(key)
        self.save("cpu")
        self.save(data.size if storage_class else data.nbytes)
        self.out += _TUPLE + _BINPERSID
        self.save(0)
        self.save(tuple(int(n) for n in data.shape))
        self.save(_contiguous_strides(data.shape))
        self.save(False)
        self._empty_ordered_dict()
        if not storage_class:
            self._global("torch", torch_dtype)
        self.out += _TUPLE + _REDUCE
        if is_parameter:
            self.save(bool(getattr(obj, "requires_grad", True)))
            self._empty_ordered_dict()
            self.out += _TUPLES[3] + _REDUCE
        self._put(obj)

    def _empty_ordered_dict(self):
        self._global("collections", "OrderedDict")
        self.out += _EMPTY_TUPLE + _REDUCE


def _contiguous_strides(shape):
    strides, step = [], 1
    for n in reversed(shape):
        strides.append(step)
        step *= max(int(n), 1)
    return tuple(reversed(strides))


def _aligned_info(name, offset, size):
    """A stored ZipInfo whose data starts on an ALIGNMENT boundary, padded as torch pads
    (an extra field with id 'FB')."""
    info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
    info.compress_type = zipfile.ZIP_STORED
    info.file_size = size
    zip64_extra = 20 if size > zipfile.ZIP64_LIMIT else 0
    header = 30 + len(name.encode("ascii")) + 4 + zip64_extra
    padding = -(offset + header) % ALIGNMENT
    info.extra = b"FB" + struct.pack("<H", padding) + b"\0" * padding
    return info


def write_torch_zip(obj, fileobj, prefix="archive"):
    emitter = _Emitter()
    emitter.save(obj)
    emitter.out += _STOP
    records = [("data.pkl", bytes(emitter.out)), (".format_version", b"1"),
               (".storage_alignment", str(ALIGNMENT).encode()),
               ("byteorder", sys.byteorder.encode())]
    records += [(f"data/{i}", data) for i, data in enumerate(emitter.storages)]
    records += [("version", b"3\n"),
                (".data/serialization_id", str(int.from_bytes(os.urandom(16), "little"))
                 .zfill(40)[:40].encode())]
    with zipfile.ZipFile(fileobj, "w", zipfile.ZIP_STORED, allowZip64=True) as zf:
        for name, data in records:
            payload = (memoryview(data.reshape(-1).view(np.uint8))
                       if isinstance(data, np.ndarray) else data)
            size = len(payload)
            info = _aligned_info(f"{prefix}/{name}", zf.fp.tell(), size)
            with zf.open(info, "w", force_zip64=size > zipfile.ZIP64_LIMIT) as member:
                member.write(payload)
