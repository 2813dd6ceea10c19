"""fastnn.load / fastnn.save: PyTorch checkpoints, safetensors and .npz, without torch.

Formats are recognised by content when loading (a zip with a ``<name>/data.pkl`` record is
a torch checkpoint, a zip of ``.npy`` records is an .npz, an 8-byte little-endian length
followed by a JSON header is safetensors) and by suffix when saving (``.safetensors``,
``.npz``, anything else -- and every file object -- is torch's zip format).

Unpickling, as in torch: ``weights_only=True`` (the default) runs a restricted unpickler:
only tensors, parameters, storages, ``OrderedDict``, ``torch.Size``, torch dtypes, plain
containers and scalars, and the globals added with `add_safe_globals` (or inside
`safe_globals`) are rebuilt; any other global raises `pickle.UnpicklingError` naming it.
``weights_only=False`` is the explicit opt-in to Python's full unpickler, which imports and
runs whatever the file names: it can execute arbitrary code, so use it only on files from
a source you trust.

Decisions (where torch's behaviour cannot be copied):
- torch's tensor-rebuilding globals always load as fastnn Tensors and Parameters (with
  ``weights_only=False`` too, so tensors need no torch); a ``torch.float32`` met as a
  value loads as ``numpy.dtype('float32')``.
- Everything loads to the CPU whatever device the file names; ``map_location`` may only
  say so (None, ``'cpu'``, ``torch.device('cpu')``, or a dict mapping to ``'cpu'``).
- bfloat16 tensors are upcast to float32 (exactly) with a warning: numpy has no bfloat16.
- Loaded tensors keep torch's strides and storage offsets and share memory where they
  shared a storage; saved arrays are each written as their own contiguous storage.
- Containers nested deeper than 128 levels or containing themselves are refused.
"""
import io
import json
import os
import re
import struct
import warnings
import zipfile
import zlib

import numpy as np

from ._pt_format import BFLOAT16
from ._pt_reader import find_prefix, load_torch_zip
from ._pt_writer import write_torch_zip
from ._safe_globals import add_safe_globals, clear_safe_globals, get_safe_globals, safe_globals
from .tensor import Tensor

__all__ = ["load", "save", "add_safe_globals", "get_safe_globals", "clear_safe_globals",
           "safe_globals"]

_LEGACY_MAGIC = b"\x80\x02\x8a\x0al\xfc\x9cF\xf9 j\xa8P\x19"
_ZIP_MAGICS = (b"PK\x03\x04", b"PK\x05\x06")
_SAFETENSORS_DTYPES = {"F64": "<f8", "F32": "<f4", "F16": "<f2", "BF16": BFLOAT16,
                       "I64": "<i8", "I32": "<i4", "I16": "<i2", "I8": "|i1", "U64": "<u8",
                       "U32": "<u4", "U16": "<u2", "U8": "|u1", "BOOL": "|b1",
                       "C64": "<c8", "C128": "<c16"}
_MAX_DEFLATE_RATIO = 1100       # deflate cannot expand more than ~1032:1
# What zipfile raises on records it cannot read (zlib.error: corrupt deflate data).
_ZIP_ERRORS = (zipfile.BadZipFile, EOFError, OSError, struct.error, NotImplementedError,
               zlib.error)
_NPY_HEADER_READERS = {(1, 0): np.lib.format.read_array_header_1_0,
                       (2, 0): np.lib.format.read_array_header_2_0}


def load(f, map_location=None, pickle_module=None, *, weights_only=True, mmap=False,
         **pickle_load_args):
    """Load an object saved with ``torch.save`` (or safetensors / ``numpy.savez``).

    Args:
        f: a path (str or os.PathLike) or a binary file object.
        map_location: None, ``'cpu'`` or ``torch.device('cpu')``; fastnn loads to the CPU.
        weights_only: True (the default): only tensors, containers, scalars and the
            globals allowed with `add_safe_globals` are unpickled, and nothing in the file
            runs.  False: Python's full unpickler, which imports and calls what the file
            names -- it can execute arbitrary code; use it only on files you trust.
        mmap: map the file copy-on-write instead of reading it (torch checkpoints given as
            a path or real file); the file must not be truncated while tensors live.

    Returns:
        The saved object, with tensors as :class:`fastnn.Tensor` and parameters as
        :class:`fastnn.nn.Parameter` (safetensors and npz: a dict of Tensors).

    Example::

        >>> state = fastnn.load("resnet18.pt", map_location="cpu")
        >>> model.load_state_dict(state)
    """
    _check_load_args(map_location, pickle_module, pickle_load_args)
    weights_only = True if weights_only is None else bool(weights_only)
    if isinstance(f, (str, os.PathLike)):
        with open(f, "rb") as fileobj:
            return _load_fileobj(fileobj, bool(mmap), weights_only)
    if not hasattr(f, "read"):
        raise TypeError(f"fastnn.load expects a path or a binary file object, got "
                        f"{type(f).__name__}")
    if not _seekable(f):
        f = io.BytesIO(f.read())
    return _load_fileobj(f, bool(mmap), weights_only)


def save(obj, f, pickle_module=None, pickle_protocol=2, _use_new_zipfile_serialization=True):
    """Save `obj` so that ``torch.load(f, weights_only=True)`` (or fastnn.load) reads it.

    Args:
        obj: tensors/arrays (Parameters stay Parameters), dicts, OrderedDicts (state dicts,
            with their ``_metadata``), lists, tuples, str, int, float, bool, bytes, None.
            For ``.safetensors`` and ``.npz`` paths: a flat dict of str -> tensor.
        f: a path (the suffix picks the format) or a writable binary file object (torch
            format).  A path is written through a temporary file in the same folder,
            renamed over `f` once complete: a save that fails (say, on a value it cannot
            store) leaves no partial file, and an earlier file at `f` unchanged.  A file
            object is written in place; the error propagates.

    Example::

        >>> fastnn.save(model.state_dict(), "model.pt")
    """
    if pickle_module is not None:
        raise ValueError("fastnn.save writes its own pickle: pickle_module is not supported")
    if not _use_new_zipfile_serialization:
        raise ValueError("fastnn.save writes only the zip format "
                         "(_use_new_zipfile_serialization=True)")
    if isinstance(f, (str, os.PathLike)):
        suffix = os.fspath(f).lower().rsplit(".", 1)[-1]
        if suffix == "npz":
            arrays = _flat_arrays(obj, suffix)
            _write_whole(f, lambda fileobj: np.savez(fileobj, **arrays))
        elif suffix == "safetensors":
            data = _safetensors().numpy.save(_flat_arrays(obj, suffix))
            _write_whole(f, lambda fileobj: fileobj.write(data))
        else:
            _write_whole(f, lambda fileobj: write_torch_zip(obj, fileobj))
        return
    if not hasattr(f, "write"):
        raise TypeError(f"fastnn.save expects a path or a binary file object, got "
                        f"{type(f).__name__}")
    write_torch_zip(obj, f)


def _write_whole(path, write):
    """Run ``write(fileobj)`` on a new file beside `path`, then rename it over `path`: a
    save that fails part-way leaves no partial file and any earlier file untouched."""
    target = os.path.realpath(path)          # through a symlink, as open() would write
    if os.path.exists(target) and not os.path.isfile(target):
        with open(target, "wb") as fileobj:  # a device or a pipe: nothing to replace
            write(fileobj)
        return
    folder, name = os.path.split(target)
    temporary = os.path.join(folder, f".{name}.{os.getpid()}.{os.urandom(4).hex()}.tmp")
    # os.open's mode honours the umask, as open() does (mkstemp would make it 0600)
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0),
                 0o666)
    try:
        with os.fdopen(fd, "wb") as fileobj:
            write(fileobj)
        os.replace(temporary, target)
    except BaseException:
        try:
            os.remove(temporary)
        except OSError:
            pass
        raise


def _check_load_args(map_location, pickle_module, pickle_load_args):
    if pickle_module is not None:
        raise ValueError("fastnn.load uses its own restricted unpickler: pickle_module is "
                         "not supported")
    unknown = set(pickle_load_args) - {"encoding"}
    if unknown:
        raise TypeError(f"fastnn.load got unexpected keyword arguments {sorted(unknown)}")
    targets = map_location.values() if isinstance(map_location, dict) else [map_location]
    for target in targets:
        if target is None and not isinstance(map_location, dict):
            continue
        if isinstance(target, str) or type(target).__name__ == "device":
            if re.fullmatch(r"cpu(:0)?", str(target)):
                continue
        raise RuntimeError(
            f"fastnn.load loads tensors to the CPU only: map_location={map_location!r} is not "
            "supported (use None or 'cpu')")


def _seekable(f):
    try:
        return f.seekable()
    except (AttributeError, ValueError, OSError):
        return False


def _load_fileobj(fileobj, use_mmap, weights_only):
    start = fileobj.tell()
    head = fileobj.read(64)
    fileobj.seek(start)
    if not head:
        raise RuntimeError("fastnn.load: the file is empty")
    if head[:4] in _ZIP_MAGICS:
        return _load_zip(fileobj, use_mmap, weights_only)
    if head.startswith(_LEGACY_MAGIC) or head[:2] == b"\x80\x02" and b"\x8a\x0al\xfc" in head:
        raise RuntimeError(
            "fastnn.load: this is a legacy (pre-zip, torch < 1.6 or "
            "_use_new_zipfile_serialization=False) checkpoint, which fastnn does not read; "
            "re-save it with a current torch: torch.save(torch.load(path), path)")
    if _looks_like_safetensors(fileobj, head):
        return _load_safetensors(fileobj)
    raise RuntimeError(
        "fastnn.load: not a PyTorch zip checkpoint, a safetensors file or an .npz "
        f"(the file starts with {head[:8]!r})")


def _load_zip(fileobj, use_mmap, weights_only):
    try:
        zf = zipfile.ZipFile(fileobj)
        names = zf.namelist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError) as err:
        raise RuntimeError(f"fastnn.load: corrupt or truncated zip archive ({err})") from None
    with zf:
        if any(name.endswith("/constants.pkl") or "/code/" in name for name in names):
            raise RuntimeError("fastnn.load: this is a TorchScript archive (torch.jit.save); "
                               "save the model's state_dict() with torch.save instead")
        prefix = find_prefix(names)
        if prefix is not None:
            try:
                return load_torch_zip(fileobj, zf, prefix, use_mmap, weights_only)
            except _ZIP_ERRORS as err:
                raise RuntimeError(f"fastnn.load: corrupt checkpoint archive ({err})") \
                    from None
        if names and all(name.endswith(".npy") for name in names):
            return _load_npz(zf)
        raise RuntimeError("fastnn.load: a zip archive that is neither a PyTorch checkpoint "
                           "(no '<name>/data.pkl' record) nor an .npz of .npy records")


def _load_npz(zf):
    result = {}
    for info in zf.infolist():
        if (info.compress_type != zipfile.ZIP_STORED
                and info.file_size > _MAX_DEFLATE_RATIO * info.compress_size + (1 << 20)):
            raise ValueError(f"fastnn.load: npz record '{info.filename}' claims an "
                             "impossible decompressed size")
        try:
            with zf.open(info) as member:
                version = np.lib.format.read_magic(member)
                shape, _, dtype = _NPY_HEADER_READERS[version](member)
                if dtype.hasobject:
                    raise ValueError("object arrays cannot be loaded with allow_pickle=False")
                nbytes = dtype.itemsize
                for n in shape:
                    nbytes *= n
                if nbytes > info.file_size:
                    raise ValueError(f"the header claims {nbytes} bytes but the record "
                                     f"holds {info.file_size}")
            with zf.open(info) as member:
                array = np.lib.format.read_array(member, allow_pickle=False)
        except (ValueError,) + _ZIP_ERRORS as err:
            raise ValueError(f"fastnn.load: bad npz record '{info.filename}': {err}") \
                from None
        result[info.filename[:-len(".npy")]] = array.view(Tensor)
    return result


def _looks_like_safetensors(fileobj, head):
    if len(head) < 9 or head[8:9] != b"{":
        return False
    header_len = struct.unpack("<Q", head[:8])[0]
    start = fileobj.tell()
    size = fileobj.seek(0, io.SEEK_END) - start
    fileobj.seek(start)
    return header_len <= size - 8


def _safetensors():
    try:
        import safetensors
        import safetensors.numpy    # noqa: F401  (save uses it)
    except ImportError:
        raise ImportError("reading or writing .safetensors needs the safetensors package: "
                          "pip install fastnn[safetensors]") from None
    return safetensors


def _load_safetensors(fileobj):
    safetensors = _safetensors()
    data = fileobj.read()
    header_len = struct.unpack("<Q", data[:8])[0]
    try:
        json.loads(data[8:8 + header_len])
        entries = safetensors.deserialize(data)
    except Exception as err:   # the Rust side raises SafetensorError, not a builtin class
        raise ValueError(f"fastnn.load: invalid safetensors file ({err})") from None
    result = {}
    bfloat16 = False
    for name, entry in entries:
        code = _SAFETENSORS_DTYPES.get(entry["dtype"])
        if code is None:
            raise TypeError(f"fastnn.load: safetensors dtype {entry['dtype']} of '{name}' "
                            "has no numpy equivalent")
        raw = np.frombuffer(entry["data"], dtype=np.uint8)
        if code == BFLOAT16:
            bfloat16 = True
            array = (raw.view("<u2").astype(np.uint32) << 16).view(np.float32)
        else:
            array = raw.view(code)
            if not array.dtype.isnative:
                array = array.astype(array.dtype.newbyteorder("="))
        result[name] = array.reshape(entry["shape"]).view(Tensor)
    if bfloat16:
        warnings.warn("fastnn.load: bfloat16 tensors were upcast to float32 (exactly): numpy "
                      "has no bfloat16", UserWarning, stacklevel=4)
    return result


def _flat_arrays(obj, suffix):
    if not isinstance(obj, dict) or not all(isinstance(k, str) for k in obj):
        raise TypeError(f"fastnn.save: a .{suffix} file holds a flat dict of str -> tensor, "
                        f"got {type(obj).__name__}")
    arrays = {}
    for name, value in obj.items():
        if not (isinstance(value, np.ndarray) or hasattr(value, "__array__")):
            raise TypeError(f"fastnn.save: a .{suffix} file holds a flat dict of str -> "
                            f"tensor, but '{name}' is a {type(value).__name__}")
        array = np.asarray(value)
        unsupported = suffix == "safetensors" and array.dtype == np.complex128
        if array.dtype.hasobject or array.dtype.kind not in "biufc" or unsupported:
            raise TypeError(f"fastnn.save cannot store arrays of dtype {array.dtype} in a "
                            f".{suffix} file")
        arrays[name] = np.asarray(array, dtype=array.dtype.newbyteorder("="), order="C")
    return arrays
