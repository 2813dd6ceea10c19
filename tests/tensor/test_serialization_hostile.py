"""Hostile and broken files: each gives a clear exception, quickly, and runs nothing.

Torch-free: the files are built byte by byte (pickles from opcodes, zips with zipfile).
"""
import io
import os
import pickle
import struct
import time
import zipfile

import numpy as np
import pytest

from fastnn.serialization import load, save

REFUSALS = (pickle.UnpicklingError, RuntimeError, ValueError)
HANG_GUARD_SECONDS = 20     # "quickly": a refusal that takes longer than this is a hang


def glob(module, name):
    return b"c" + module.encode() + b"\n" + name.encode() + b"\n"


def text(value):
    encoded = value.encode()
    return b"X" + struct.pack("<I", len(encoded)) + encoded


def num(value):
    if -2 ** 31 <= value < 2 ** 31:
        return b"J" + struct.pack("<i", value)
    encoded = value.to_bytes(16, "little", signed=True)
    return b"\x8a" + bytes([len(encoded)]) + encoded


def tup(*items):
    return b"(" + b"".join(items) + b"t"


def tensor_pickle(size, stride, offset=0, numel=12, storage_class=b"FloatStorage",
                  storage_offset=None):
    """A pickle of {'x': tensor} as torch writes it, with every field under control."""
    offset_op = num(offset) if storage_offset is None else storage_offset
    return (b"\x80\x02}" + text("x") + glob("torch._utils", "_rebuild_tensor_v2") + b"("
            + tup(text("storage"), glob("torch", storage_class.decode()), text("0"),
                  text("cpu"), num(numel)) + b"Q" + offset_op
            + tup(*map(num, size)) + tup(*map(num, stride)) + b"\x89"
            + glob("collections", "OrderedDict") + b")Rt" + b"Rs.")


def archive(pkl, records=None, prefix="archive"):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as zf:
        zf.writestr(f"{prefix}/data.pkl", pkl)
        zf.writestr(f"{prefix}/byteorder", b"little")
        for name, data in (records or {}).items():
            zf.writestr(f"{prefix}/data/{name}", data)
    return buf.getvalue()


STORAGE = {"0": np.arange(12, dtype="<f4").tobytes()}


def refused(data, exc=REFUSALS, match=None):
    start = time.perf_counter()
    with pytest.raises(exc, match=match) as info:
        load(io.BytesIO(data))
    assert time.perf_counter() - start < HANG_GUARD_SECONDS
    return info.value


def test_the_hand_built_pickles_are_valid():
    """The builders make real checkpoints, so the refusals below test what they claim."""
    loaded = load(io.BytesIO(archive(tensor_pickle((3, 4), (4, 1)), STORAGE)))
    np.testing.assert_array_equal(loaded["x"], np.arange(12, dtype=np.float32).reshape(3, 4))
    loaded = load(io.BytesIO(archive(tensor_pickle((2, 2), (1, 3), offset=5), STORAGE)))
    np.testing.assert_array_equal(loaded["x"], [[5, 8], [6, 9]])


# ---------------------------------------------------------------- not a checkpoint

def test_empty_file(tmp_path):
    refused(b"", RuntimeError, "the file is empty")
    (tmp_path / "empty.pt").write_bytes(b"")
    with pytest.raises(RuntimeError, match="the file is empty"):
        load(tmp_path / "empty.pt")


@pytest.mark.parametrize("data", [b"hello world", b"\x89PNG\r\n\x1a\n" + bytes(100),
                                  b"PK\x03\x04" + bytes(10), bytes(range(256)),
                                  pickle.dumps({"a": 1}), b"\x80\x02."])
def test_non_checkpoint_bytes(data):
    refused(data, RuntimeError)


def test_zip_that_is_no_checkpoint():
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("readme.txt", b"hi")
    refused(buf.getvalue(), RuntimeError, "neither a PyTorch checkpoint")


def test_truncated_checkpoints_at_every_length():
    buf = io.BytesIO()
    save({"w": np.arange(40, dtype=np.float32).reshape(5, 8), "n": [1, 2, "x"]}, buf)
    data = buf.getvalue()
    for length in list(range(0, len(data), 7)) + [len(data) - 1]:
        refused(data[:length])


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_corrupted_pickles_never_escape_as_other_errors():
    """Random byte flips in data.pkl (zip CRCs kept valid): load or refuse, nothing else."""
    rng = np.random.default_rng(1)
    good = tensor_pickle((3, 4), (4, 1))
    for _ in range(300):
        pkl = bytearray(good)
        for at in rng.integers(2, len(pkl) - 1, size=rng.integers(1, 4)):
            pkl[at] = rng.integers(0, 256)
        try:
            load(io.BytesIO(archive(bytes(pkl), STORAGE)))
        except REFUSALS:
            pass


# ---------------------------------------------------------------- sizes that lie

def _patch_central_directory_sizes(data, name, size):
    entry = data.index(b"PK\x01\x02")
    while True:
        name_len = struct.unpack("<H", data[entry + 28:entry + 30])[0]
        if data[entry + 46:entry + 46 + name_len] == name.encode():
            break
        entry = data.index(b"PK\x01\x02", entry + 4)
    patched = bytearray(data)
    patched[entry + 20:entry + 28] = struct.pack("<II", size, size)
    return bytes(patched)


def test_record_claiming_more_bytes_than_the_file_holds():
    data = archive(tensor_pickle((3, 4), (4, 1)), STORAGE)
    refused(_patch_central_directory_sizes(data, "archive/data/0", 10 ** 9), RuntimeError,
            "claims 1000000000 bytes")
    refused(_patch_central_directory_sizes(data, "archive/data.pkl", 0xFFFFFFF0), RuntimeError)


def _patch_central_directory_method(data, method):
    patched = bytearray(data)
    entry = data.index(b"PK\x01\x02")
    patched[entry + 10:entry + 12] = struct.pack("<H", method)
    return bytes(patched)


def test_records_with_unknown_or_corrupt_compression():
    data = archive(tensor_pickle((3, 4), (4, 1)), STORAGE)
    refused(_patch_central_directory_method(data, 99), RuntimeError, "corrupt checkpoint")
    refused(_patch_central_directory_method(data, zipfile.ZIP_DEFLATED), RuntimeError,
            "corrupt checkpoint")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("x.npy", _npy_with_header((4,)))
    refused(_patch_central_directory_method(buf.getvalue(), 99), ValueError, "bad npz record")


@pytest.mark.parametrize("size, stride, offset", [
    ((5, 5), (5, 1), 0),        # 25 elements from a 12-element storage
    ((3, 4), (4, 1), 1),        # one past the end through the offset
    ((2, 2), (1, 11), 0),       # the stride reaches past the end
    ((0, 3), (3, 1), 13),       # empty, but the offset is past the end
    ((2 ** 40, 2 ** 40), (1, 1), 0),
])
def test_storage_smaller_than_the_tensor_claims(size, stride, offset):
    refused(archive(tensor_pickle(size, stride, offset), STORAGE), RuntimeError,
            "corrupt checkpoint")


def test_storage_numel_claims():
    refused(archive(tensor_pickle((3, 4), (4, 1), numel=2 ** 30 - 1), STORAGE), RuntimeError,
            "holds 48 bytes but a tensor claims")
    refused(archive(tensor_pickle((3, 4), (4, 1)), {}), RuntimeError, "is missing")
    refused(archive(tensor_pickle((2 ** 62, 2 ** 62), (0, 0)), STORAGE), RuntimeError, "absurd")


@pytest.mark.parametrize("size, stride, storage_offset, match", [
    ((3, 4), (4, -1), None, "negative stride"),
    ((-3, 4), (4, 1), None, "negative size"),
    ((3, 4), (4,), None, "differ in length"),
    ((3, 4), (4, 1), b"G" + struct.pack(">d", 1.5), "storage offset must be an int"),
    ((3, 4), (4, 1), b"\x88", "storage offset must be an int"),
])
def test_malformed_tensor_fields(size, stride, storage_offset, match):
    refused(archive(tensor_pickle(size, stride, storage_offset=storage_offset), STORAGE),
            pickle.UnpicklingError, match)


def test_malformed_storages_and_rebuild_calls():
    rebuild = glob("torch._utils", "_rebuild_tensor_v2")
    refused(archive(b"\x80\x02" + rebuild + tup(num(1), num(0), tup(), tup()) + b"R.", STORAGE),
            pickle.UnpicklingError, "rebuilt from a storage|typed storage")
    refused(archive(b"\x80\x02" + tup(text("storage"), num(3)) + b"Q.", STORAGE),
            pickle.UnpicklingError, "persistent id")
    refused(archive(tensor_pickle((3, 4), (4, 1), storage_class=b"QInt8Storage"), STORAGE),
            pickle.UnpicklingError, "torch.QInt8Storage")
    refused(archive(b"\x80\x02" + glob("collections", "OrderedDict") + tup(num(1), num(2))
                    + b"R.", STORAGE), pickle.UnpicklingError, "malformed checkpoint pickle")
    build_on_tensor = tensor_pickle((3, 4), (4, 1))[:-2] + b"}b" + b"s."
    refused(archive(build_on_tensor, STORAGE), pickle.UnpicklingError)


# ---------------------------------------------------------------- code that must not run

class _Payload:
    def __init__(self, func, *args):
        self.func, self.args = func, args

    def __reduce__(self):
        return self.func, self.args


def _payloads(marker):
    import subprocess
    command = f"touch {marker}"
    return [
        (_Payload(os.system, command), "system"),
        (_Payload(eval, f"open({str(marker)!r}, 'w')"), ".eval"),
        (_Payload(exec, f"open({str(marker)!r}, 'w')"), ".exec"),
        (_Payload(subprocess.Popen, ["touch", str(marker)]), ".Popen"),
        (_Payload(getattr, "text", "upper"), ".getattr"),
        (_Payload(open, str(marker), "w"), ".open"),
        (_Payload(np.save, str(marker), np.ones(1)), "numpy"),
    ]


@pytest.mark.parametrize("protocol", [2, 4, 5])
@pytest.mark.parametrize("index", range(7))
def test_forbidden_globals_are_refused_and_nothing_runs(tmp_path, protocol, index):
    marker = tmp_path / "pwned"
    payload, name = _payloads(marker)[index]
    for obj in (payload, {"state": {"w": [payload]}}):
        pkl = pickle.dumps(obj, protocol=protocol)
        error = refused(archive(pkl), pickle.UnpicklingError, "refuses the global")
        assert name in str(error)
        assert not marker.exists()


def test_pickle_opcodes_that_build_arbitrary_objects_are_refused(tmp_path):
    marker = tmp_path / "pwned"
    inst = b"(S'touch " + str(marker).encode() + b"'\nios\nsystem\n."
    for pkl, opcode in [(inst, "INST"), (b"\x80\x02\x82\x01.", "EXT1"),
                        (b"\x80\x02" + glob("collections", "OrderedDict") + b")\x81.", "NEWOBJ"),
                        (b"\x80\x02" + tup(text("storage")) + b"P0\n.", "PERSID")]:
        refused(archive(pkl), pickle.UnpicklingError, opcode)
    assert not marker.exists()


def test_pickled_code_inside_an_npz_does_not_run(tmp_path):
    marker = tmp_path / "pwned"
    objects = np.empty(1, dtype=object)
    objects[0] = _Payload(os.system, f"touch {marker}")
    np.savez(tmp_path / "evil.npz", x=objects)
    with pytest.raises(ValueError, match="allow_pickle=False"):
        load(tmp_path / "evil.npz")
    assert not marker.exists()


# ---------------------------------------------------------------- shape of the object graph

@pytest.mark.parametrize("pkl", [
    b"\x80\x02" + b"]" * 100_000 + b"a" * 99_999 + b".",                # nested lists
    b"\x80\x02" + b"(" * 100_000 + b")" + b"t" * 100_000 + b".",         # nested tuples
])
def test_absurd_nesting_is_refused(pkl):
    refused(archive(pkl), pickle.UnpicklingError, "nests containers deeper than")


def test_nesting_through_shared_references_is_refused():
    """Depth built through the memo (each list holds the previous one): small stack, deep
    object; LONG_BINPUT/LONG_BINGET so indices never wrap."""
    ops = [b"\x80\x02]r" + struct.pack("<I", 0)]
    for i in range(5000):
        ops.append(b"]j" + struct.pack("<I", i) + b"ar" + struct.pack("<I", i + 1))
    refused(archive(b"".join(ops) + b"."), pickle.UnpicklingError, "nests containers deeper")


def test_self_containing_objects_are_refused():
    refused(archive(b"\x80\x02]q\x00h\x00a."), pickle.UnpicklingError, "contains itself")
    refused(archive(b"\x80\x02}q\x00K\x01h\x00s."), pickle.UnpicklingError, "contains itself")


def test_wide_shared_structures_load():
    """A DAG that doubles at each level (2**40 paths) is legal: checked in linear time."""
    ops = [b"\x80\x02K\x00q\x00"]
    for i in range(40):
        ops.append(b"h" + bytes([i]) + b"h" + bytes([i]) + b"\x86q" + bytes([i + 1]))
    loaded = load(io.BytesIO(archive(b"".join(ops) + b".")))
    assert loaded[0][0][1] == loaded[1][0][0]


@pytest.mark.parametrize("pkl, match", [
    (b"\x80\x04\x8e" + struct.pack("<Q", 2 ** 60) + b"abc.", "truncated"),     # BINBYTES8
    (b"\x80\x04\x8d" + struct.pack("<Q", 2 ** 62) + b"abc.", "truncated"),     # BINUNICODE8
    (b"\x80\x05\x96" + struct.pack("<Q", 2 ** 40) + b"abc.", "truncated"),     # BYTEARRAY8
    (b"\x80\x02\x8b" + struct.pack("<i", 2 ** 31 - 1) + b"ab.", "truncated"),  # LONG4
    (b"\x80\x02B" + struct.pack("<i", 2 ** 31 - 1) + b"ab.", "truncated"),     # BINBYTES
    (b"\x80\x04\x95" + struct.pack("<Q", 2 ** 60) + b"N.", "truncated|malformed"),  # FRAME
    (b"\x80\x02Nr" + struct.pack("<I", 2 ** 32 - 1) + b".", "memo index"),     # LONG_BINPUT
    (b"\x80\x02L" + b"9" * 100_000 + b"L\n.", "malformed"),                    # text LONG
    (b"\x80\x02" + b"N" * 10, "malformed or truncated"),                        # no STOP
    (b"\x80\x02\xff.", "malformed or truncated"),                               # bad opcode
])
def test_huge_claimed_sizes_and_broken_opcodes(pkl, match):
    refused(archive(pkl), pickle.UnpicklingError, match)


# ---------------------------------------------------------------- npz and safetensors

def _npy_with_header(shape):
    header = "{'descr': '<f4', 'fortran_order': False, 'shape': %r, }" % (shape,)
    header = header.ljust(117) + "\n"
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header.encode() + bytes(16)


@pytest.mark.parametrize("shape", [(10 ** 12,), (2 ** 31, 2 ** 31), (100,)])
def test_npz_header_claiming_more_than_the_record_holds(shape):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("x.npy", _npy_with_header(shape))
    refused(buf.getvalue(), ValueError, "bad npz record 'x.npy'")


def test_safetensors_with_offsets_past_the_data():
    pytest.importorskip("safetensors")
    header = b'{"x":{"dtype":"F32","shape":[1000],"data_offsets":[0,4000]}}'
    refused(struct.pack("<Q", len(header)) + header + bytes(16), ValueError,
            "invalid safetensors")
    header = b'{"x":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}'       # broken JSON
    refused(struct.pack("<Q", len(header)) + header + bytes(8), ValueError)
    refused(struct.pack("<Q", 2 ** 60) + b"{}", RuntimeError, "not a PyTorch zip checkpoint")
