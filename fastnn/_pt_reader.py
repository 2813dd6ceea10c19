"""Read PyTorch zip checkpoints without torch, executing nothing from the file.

The pickle (``<name>/data.pkl``) is first scanned opcode by opcode (`pickletools.genops`,
which only parses): every length it claims must fit in the data, memo indices must be
small, opcodes that build arbitrary objects (INST, OBJ, NEWOBJ, EXT*) and globals outside
the allowlist are refused before anything is unpickled.  Only then the C unpickler runs,
with `find_class` returning fastnn's own stand-ins (`_ALLOWED`) and `persistent_load`
reading storages.  The scan matters: the C unpickler allocates a BINBYTES8's claimed size
before reading it, and grows its memo to the largest index it is given.

Globals the user allowed with `fastnn.serialization.add_safe_globals` resolve to
themselves; with any registered, NEWOBJ is allowed too (it instantiates a class, and only
allowlisted classes reach it), which is how pickle protocol 2 writes a plain object.
``weights_only=False`` skips the scan and the allowlist: the full unpickler imports and
calls whatever the file names (torch's tensor-rebuilding globals still become fastnn's).

Storages are read from the archive's stored (uncompressed, 64-byte aligned) records
straight into one buffer per storage (or mapped copy-on-write with ``mmap=True``); tensors
are numpy views over them with the saved offset and strides, so tensors that shared a
storage in torch share memory after loading.
"""
import collections
import io
import mmap as mmap_module
import pickle
import pickletools
import re
import struct
import warnings
import zipfile

import numpy as np

from ._pt_format import (BFLOAT16, DTYPE_ALIASES, DTYPES, MAX_NESTING, STORAGE_DTYPES,
                         TorchDtype, itemsize, torch_dtype_of)
from . import _safe_globals
from .nn.parameter import Parameter
from .tensor import Tensor

_FORBIDDEN_OPCODES = {"INST", "OBJ", "NEWOBJ", "NEWOBJ_EX", "EXT1", "EXT2", "EXT4",
                      "PERSID", "NEXT_BUFFER", "READONLY_BUFFER"}
_MEMO_PUTS = {"PUT", "BINPUT", "LONG_BINPUT"}
_LOCAL_HEADER = struct.Struct("<4s22xHH")


class _StorageType:
    """Stand-in for ``torch.FloatStorage`` etc.; `dtype` None means UntypedStorage."""

    def __init__(self, dtype):
        self.dtype = dtype

    def __reduce__(self):
        raise pickle.PicklingError("fastnn storage stand-ins cannot be pickled")


class _Storage:
    """One storage record: raw bytes, with typed views made on demand (one per dtype, so
    tensors of one storage share memory even when a big-endian file had to be swapped)."""

    def __init__(self, key, raw, big_endian):
        self.key = key
        self.raw = raw
        self.big_endian = big_endian
        self.views = {}
        self.upcast_bfloat16 = False

    def typed(self, torch_dtype):
        view = self.views.get(torch_dtype)
        if view is None:
            code = DTYPES[torch_dtype][0]
            size = itemsize(torch_dtype)
            raw = self.raw[:len(self.raw) - len(self.raw) % size]
            order = ">" if self.big_endian else "<"
            if code == BFLOAT16:
                bits = raw.view(order + "u2").astype(np.uint32) << 16
                view = bits.view(np.float32)
                self.upcast_bfloat16 = True
            else:
                view = raw.view(np.dtype(code).newbyteorder(order))
                if not view.dtype.isnative:
                    # Byte-swapped once per storage so its tensors still share memory.
                    view = view.astype(view.dtype.newbyteorder("="))
            self.views[torch_dtype] = view
        return view


class _StorageRef:
    """A storage as one pickle names it: its raw bytes plus the dtype of the storage class."""

    def __init__(self, storage, dtype):
        self.storage = storage
        self.dtype = dtype


def _bad(message):
    return pickle.UnpicklingError(message)


def _check_int(value, what):
    if type(value) is not int:
        raise _bad(f"malformed checkpoint: {what} must be an int, got {type(value).__name__}")
    return value


def _check_ints(values, what):
    if not isinstance(values, tuple):
        raise _bad(f"malformed checkpoint: {what} must be a tuple, got "
                   f"{type(values).__name__}")
    for v in values:
        if _check_int(v, what) < 0:
            raise _bad(f"malformed checkpoint: negative {what} {values}")
    return values


def _tensor_from_storage(storage, storage_offset, size, stride, torch_dtype):
    if not isinstance(storage, _StorageRef):
        raise _bad("malformed checkpoint: a tensor must be rebuilt from a storage, got "
                   f"{type(storage).__name__}")
    storage = storage.storage
    if _check_int(storage_offset, "storage offset") < 0:
        raise _bad(f"malformed checkpoint: negative storage offset {storage_offset}")
    _check_ints(size, "size")
    _check_ints(stride, "stride")
    if len(size) != len(stride):
        raise _bad(f"malformed checkpoint: size {size} and stride {stride} differ in length")
    typed = storage.typed(torch_dtype)
    numel = 1
    for n in size:
        numel *= n
    if numel:
        needed = storage_offset + 1 + sum((n - 1) * s for n, s in zip(size, stride))
    else:
        needed = storage_offset
    if needed > len(typed):
        raise RuntimeError(
            f"corrupt checkpoint: a tensor of size {list(size)}, stride {list(stride)} and "
            f"storage offset {storage_offset} needs {needed} elements but storage "
            f"'{storage.key}' holds {len(typed)}")
    if numel > np.iinfo(np.intp).max // 16:
        raise RuntimeError(f"corrupt checkpoint: tensor size {list(size)} is absurd")
    base = typed[storage_offset:]
    if numel == 0:
        return np.empty(size, dtype=typed.dtype).view(Tensor)
    view = np.lib.stride_tricks.as_strided(
        base, shape=size, strides=tuple(s * typed.itemsize for s in stride))
    return view.view(Tensor)


def _rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad=False,
                       backward_hooks=None, metadata=None):
    if not isinstance(storage, _StorageRef) or storage.dtype is None:
        raise _bad("malformed checkpoint: _rebuild_tensor_v2 needs a typed storage")
    return _tensor_from_storage(storage, storage_offset, size, stride, storage.dtype)


def _rebuild_tensor_v3(storage, storage_offset, size, stride, requires_grad, backward_hooks,
                       dtype, metadata=None):
    if isinstance(dtype, TorchDtype):
        name = dtype.name
    else:
        name = torch_dtype_of(dtype) if isinstance(dtype, np.dtype) else None
        if name is None:
            raise _bad("malformed checkpoint: _rebuild_tensor_v3 needs a torch dtype")
    return _tensor_from_storage(storage, storage_offset, size, stride, name)


def _rebuild_parameter(data, requires_grad, backward_hooks=None):
    if not isinstance(data, Tensor) or type(requires_grad) is not bool:
        raise _bad("malformed checkpoint: _rebuild_parameter needs a tensor and a bool")
    return Parameter(data, requires_grad)


def _rebuild_parameter_with_state(data, requires_grad, backward_hooks, state):
    param = _rebuild_parameter(data, requires_grad)
    attributes = state[0] if isinstance(state, tuple) and state else state
    if isinstance(attributes, dict):
        for name, value in attributes.items():
            # Plain attributes only: never shadow a method or a numpy property.
            if isinstance(name, str) and not hasattr(Parameter, name):
                setattr(param, name, value)
    return param


def _dtype_value(name):
    code = DTYPES[name][0]
    return TorchDtype(name) if code == BFLOAT16 else np.dtype(code).newbyteorder("=")


def _size(dims=()):
    return tuple(_check_ints(tuple(dims), "torch.Size entry"))


def _encode(text, encoding="latin1"):
    if not isinstance(text, str) or encoding not in ("latin1", "latin-1"):
        raise _bad("malformed checkpoint: _codecs.encode is allowed only for latin1 bytes")
    return text.encode("latin1")


def _device(kind="cpu", index=None):
    return str(kind) if index is None else f"{kind}:{index}"


def _plain(kind, *accepted):
    def build(value=()):
        if not isinstance(value, accepted):
            raise _bad(f"malformed checkpoint: builtins.{kind.__name__} of "
                       f"{type(value).__name__}")
        return kind(value)
    return build


def _complex(real=0.0, imag=0.0):
    if not all(isinstance(v, (int, float)) for v in (real, imag)):
        raise _bad("malformed checkpoint: builtins.complex needs numbers")
    return complex(real, imag)


def _allowed_globals():
    allowed = {
        ("collections", "OrderedDict"): collections.OrderedDict,
        ("torch._utils", "_rebuild_tensor_v2"): _rebuild_tensor_v2,
        ("torch._utils", "_rebuild_tensor_v3"): _rebuild_tensor_v3,
        ("torch._utils", "_rebuild_parameter"): _rebuild_parameter,
        ("torch._utils", "_rebuild_parameter_with_state"): _rebuild_parameter_with_state,
        ("torch.storage", "UntypedStorage"): _StorageType(None),
        ("torch", "UntypedStorage"): _StorageType(None),
        ("torch", "Size"): _size,
        ("torch", "device"): _device,
        ("_codecs", "encode"): _encode,
    }
    for module in ("builtins", "__builtin__"):
        allowed[module, "set"] = _plain(set, list, tuple, set, frozenset)
        allowed[module, "frozenset"] = _plain(frozenset, list, tuple, set, frozenset)
        allowed[module, "bytearray"] = _plain(bytearray, bytes, list, tuple)
        allowed[module, "complex"] = _complex
    for storage, name in STORAGE_DTYPES.items():
        allowed["torch", storage] = _StorageType(name)
    for name in DTYPES:
        allowed["torch", name] = _dtype_value(name)
    for alias, name in DTYPE_ALIASES.items():
        allowed["torch", alias] = _dtype_value(name)
    return allowed


_ALLOWED = _allowed_globals()


def _refuse_global(module, name):
    full = f"{module}.{name}"
    return _bad(
        f"Weights only load failed: fastnn.load refuses the global '{full}'. Unsupported "
        f"global: GLOBAL {full} was not an allowed global by default (only tensors, "
        "storages, OrderedDict and plain containers and scalars are). Please use "
        f"`fastnn.serialization.add_safe_globals([{full}])` or the "
        f"`fastnn.serialization.safe_globals([{full}])` context manager to allowlist this "
        "global if you trust this class/function. Only if you trust the source of the "
        "checkpoint, fastnn.load(..., weights_only=False) loads it with the full unpickler, "
        "which can execute arbitrary code.")


def _scan(data, user_allowed):
    """Parse every opcode without executing any; refuse what the unpickler must not see."""
    count = 0
    try:
        for opcode, arg, _ in pickletools.genops(data):
            count += 1
            if opcode.name in _FORBIDDEN_OPCODES and not (
                    user_allowed and opcode.name in ("NEWOBJ", "NEWOBJ_EX")):
                raise _bad(f"fastnn.load refuses the pickle opcode {opcode.name}: checkpoints "
                           "written by torch.save never use it")
            if opcode.name == "GLOBAL":
                module, _, name = arg.partition(" ")
                if (module, name) not in _ALLOWED and f"{module}.{name}" not in user_allowed:
                    raise _refuse_global(module, name)
            elif opcode.name in _MEMO_PUTS and arg > count:
                raise _bad(f"malformed checkpoint: memo index {arg} out of range")
    except pickle.UnpicklingError:
        raise
    except Exception as err:  # genops' ValueErrors name truncations and bad opcodes
        raise _bad(f"malformed or truncated checkpoint pickle: {err}") from None


class _Unpickler(pickle.Unpickler):
    def __init__(self, data, load_storage, user_allowed):
        super().__init__(io.BytesIO(data))
        self._load_storage = load_storage
        self._user_allowed = user_allowed

    def find_class(self, module, name):
        try:
            return _ALLOWED[module, name]
        except (KeyError, TypeError):
            pass
        try:
            return self._user_allowed[f"{module}.{name}"]
        except KeyError:
            raise _refuse_global(module, name) from None

    def persistent_load(self, pid):
        if not (isinstance(pid, tuple) and len(pid) == 5 and pid[0] == "storage"
                and isinstance(pid[1], _StorageType) and isinstance(pid[2], str)
                and type(pid[4]) is int and pid[4] >= 0):
            raise _bad(f"malformed checkpoint: unsupported persistent id {pid!r:.200}")
        storage_type, key, numel = pid[1], pid[2], pid[4]
        nbytes = numel if storage_type.dtype is None else numel * itemsize(storage_type.dtype)
        return _StorageRef(self._load_storage(key, nbytes), storage_type.dtype)


class _FullUnpickler(_Unpickler):
    """weights_only=False: any global the file names is imported (torch's own become
    fastnn's stand-ins, so tensors load without torch)."""

    def find_class(self, module, name):
        try:
            return _ALLOWED[module, name]
        except (KeyError, TypeError):
            return pickle.Unpickler.find_class(self, module, name)


def _children(obj):
    if isinstance(obj, dict):
        items = list(obj.keys()) + list(obj.values())
        extra = getattr(obj, "__dict__", None)
        return items + list(extra.values()) if extra else items
    if isinstance(obj, (list, tuple, set, frozenset)):
        return obj
    return None


def check_structure(root, what="checkpoint"):
    """Refuse self-containing objects and nesting deeper than MAX_NESTING (iteratively)."""
    heights = {}
    on_path = set()
    children = _children(root)
    if children is None:
        return
    stack = [(root, iter(children), 0)]
    on_path.add(id(root))
    while stack:
        obj, items, height = stack[-1]
        for child in items:
            grand = _children(child)
            if grand is None:
                continue
            if id(child) in on_path:
                raise _bad(f"{what} contains itself (a recursive container): not supported")
            known = heights.get(id(child))
            if known is not None:
                height = max(height, known + 1)
                if len(stack) + known > MAX_NESTING:
                    raise _bad(f"{what} nests containers deeper than {MAX_NESTING} levels")
                continue
            if len(stack) >= MAX_NESTING:
                raise _bad(f"{what} nests containers deeper than {MAX_NESTING} levels")
            stack[-1] = (obj, items, height)
            stack.append((child, iter(grand), 0))
            on_path.add(id(child))
            break
        else:
            stack.pop()
            on_path.discard(id(obj))
            heights[id(obj)] = height
            if stack:
                parent, parent_items, parent_height = stack[-1]
                stack[-1] = (parent, parent_items, max(parent_height, height + 1))


class TorchArchive:
    """Records of a torch zip checkpoint, read from a seekable binary file object."""

    def __init__(self, fileobj, zf, prefix, use_mmap):
        self.fileobj = fileobj
        self.zip = zf
        self.prefix = prefix
        fileobj.seek(0, io.SEEK_END)
        self.file_size = fileobj.tell()
        self.mapped = None
        if use_mmap:
            try:
                self.mapped = np.frombuffer(
                    mmap_module.mmap(fileobj.fileno(), 0, access=mmap_module.ACCESS_COPY),
                    dtype=np.uint8)
            except (AttributeError, OSError, ValueError, io.UnsupportedOperation):
                self.mapped = None      # BytesIO and friends: read into buffers instead
        self.storages = {}

    def record(self, name, limit=1 << 30):
        try:
            info = self.zip.getinfo(f"{self.prefix}/{name}")
        except KeyError:
            return None
        if info.file_size > limit:
            raise RuntimeError(f"corrupt checkpoint: record '{info.filename}' claims "
                               f"{info.file_size} bytes")
        self._data_start(info)
        return self.zip.read(info)

    def _data_start(self, info):
        self.fileobj.seek(info.header_offset)
        header = self.fileobj.read(_LOCAL_HEADER.size)
        if len(header) < _LOCAL_HEADER.size or _LOCAL_HEADER.unpack(header)[0] != b"PK\x03\x04":
            raise RuntimeError(f"corrupt checkpoint: bad local header for '{info.filename}'")
        _, name_len, extra_len = _LOCAL_HEADER.unpack(header)
        start = info.header_offset + _LOCAL_HEADER.size + name_len + extra_len
        if start + info.compress_size > self.file_size:
            raise RuntimeError(
                f"corrupt or truncated checkpoint: record '{info.filename}' claims "
                f"{info.compress_size} bytes at offset {start} but the file holds "
                f"{self.file_size} bytes")
        return start

    def storage(self, key, nbytes, big_endian):
        """The raw bytes of storage `key` (read once, shared by every tensor viewing it)."""
        storage = self.storages.get(key)
        if storage is not None:
            if nbytes > len(storage.raw):
                raise RuntimeError(f"corrupt checkpoint: storage '{key}' is claimed with "
                                   f"{nbytes} bytes but holds {len(storage.raw)}")
            return storage
        name = f"{self.prefix}/data/{key}"
        try:
            info = self.zip.getinfo(name)
        except KeyError:
            raise RuntimeError(f"corrupt checkpoint: storage record '{name}' is missing") \
                from None
        if info.file_size < nbytes:
            raise RuntimeError(f"corrupt checkpoint: storage record '{name}' holds "
                               f"{info.file_size} bytes but a tensor claims {nbytes}")
        start = self._data_start(info)
        if info.compress_type == zipfile.ZIP_STORED:
            if self.mapped is not None:
                raw = self.mapped[start:start + nbytes]
            else:
                raw = np.empty(nbytes, dtype=np.uint8)
                self.fileobj.seek(start)
                if self.fileobj.readinto(memoryview(raw)) != nbytes:
                    raise RuntimeError(f"truncated checkpoint: storage record '{name}'")
        else:   # not written by torch, but a re-zipped archive still loads
            with self.zip.open(info) as member:
                raw = np.frombuffer(bytearray(member.read(nbytes)), dtype=np.uint8)
            if len(raw) != nbytes:
                raise RuntimeError(f"truncated checkpoint: storage record '{name}'")
        storage = _Storage(key, raw, big_endian)
        self.storages[key] = storage
        return storage


def find_prefix(names):
    """The archive's top folder (torch uses the file's stem or 'archive'), or None."""
    prefixes = {m.group(1) for m in map(re.compile(r"([^/]+)/data\.pkl$").match, names) if m}
    return prefixes.pop() if len(prefixes) == 1 else None


def load_torch_zip(fileobj, zf, prefix, use_mmap, weights_only=True):
    archive = TorchArchive(fileobj, zf, prefix, use_mmap)
    byteorder = archive.record("byteorder", limit=16)
    if byteorder not in (None, b"little", b"big"):
        raise RuntimeError(f"corrupt checkpoint: unknown byteorder record {byteorder!r:.40}")
    big_endian = byteorder == b"big"
    data = archive.record("data.pkl")
    storage = lambda key, nbytes: archive.storage(key, nbytes, big_endian)  # noqa: E731
    if weights_only:
        user_allowed = _safe_globals.allowed()
        _scan(data, user_allowed)
        try:
            result = _Unpickler(data, storage, user_allowed).load()
        except (pickle.UnpicklingError, RuntimeError):
            raise
        except Exception as err:
            raise _bad(f"malformed checkpoint pickle: {type(err).__name__}: {err}") from None
        check_structure(result)
    else:       # the user trusts the file: pickle's own errors, no shape limits
        result = _FullUnpickler(data, storage, {}).load()
    if any(s.upcast_bfloat16 for s in archive.storages.values()):
        warnings.warn("fastnn.load: bfloat16 tensors were upcast to float32 (exactly): "
                      "numpy has no bfloat16", UserWarning, stacklevel=5)
    return result
