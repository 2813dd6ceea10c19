"""fastnn.load / fastnn.save against torch.save / torch.load, safetensors and npz."""
import collections
import io
import os
import pickle
import struct
import subprocess
import sys
import warnings
import zipfile

import numpy as np
import pytest

from fastnn.nn.parameter import Parameter
from fastnn.serialization import load, save
from fastnn.tensor import Tensor

NUMPY_DTYPES = ["float16", "float32", "float64", "int8", "int16", "int32", "int64", "uint8",
                "bool", "complex64", "complex128", "uint16", "uint32", "uint64"]


def random_array(rng, shape, dtype):
    dtype = np.dtype(dtype)
    if dtype == np.bool_:
        return rng.random(shape) < 0.5
    if dtype.kind in "iu":
        info = np.iinfo(dtype)
        return rng.integers(info.min, info.max, size=shape, dtype=dtype, endpoint=True)
    values = rng.standard_normal(shape) * 100
    if dtype.kind == "c":
        values = values + 1j * rng.standard_normal(shape)
    return values.astype(dtype)


def torch_dtype(torch, name):
    return getattr(torch, name)


def assert_same(fast, reference):
    reference = np.asarray(reference)
    assert isinstance(fast, Tensor)
    assert fast.dtype == reference.dtype
    assert fast.shape == reference.shape
    np.testing.assert_array_equal(np.asarray(fast), reference)


def torch_file(torch, obj, tmp_path, name="ckpt.pt"):
    path = tmp_path / name
    torch.save(obj, path)
    return path


# ---------------------------------------------------------------- torch -> fastnn

@pytest.mark.parametrize("dtype", NUMPY_DTYPES)
def test_torch_to_fastnn_every_dtype(torch, tmp_path, rng, dtype):
    reference = random_array(rng, (3, 5), dtype)
    tensor = torch.from_numpy(reference.copy())
    loaded = load(torch_file(torch, {"x": tensor, "xt": tensor.t()}, tmp_path))
    assert_same(loaded["x"], reference)
    assert_same(loaded["xt"], reference.T)


def test_torch_bfloat16_upcasts_exactly_with_warning(torch, tmp_path):
    tensor = torch.randn(4, 3).to(torch.bfloat16)
    with pytest.warns(UserWarning, match="bfloat16 tensors were upcast to float32"):
        loaded = load(torch_file(torch, {"w": tensor, "wt": tensor.t()}, tmp_path))
    assert_same(loaded["w"], tensor.float().numpy())
    assert_same(loaded["wt"], tensor.t().float().numpy())
    assert np.shares_memory(loaded["w"], loaded["wt"])


def _torch_layouts(torch):
    base = torch.arange(60, dtype=torch.float64).reshape(3, 4, 5)
    return {
        "contiguous": base,
        "transposed": base.transpose(0, 2),
        "sliced": base[1:, ::2, 3:],
        "scalar": torch.tensor(2.5),
        "scalar_view": base[2, 3, 4],
        "empty": torch.zeros(0, 3),
        "empty_view": base[:, :0],
        "expanded": torch.arange(3.0).expand(4, 3),
        "permuted": base.permute(2, 0, 1),
    }


def test_torch_to_fastnn_layouts_keep_strides_offsets_and_shared_memory(torch, tmp_path):
    layouts = _torch_layouts(torch)
    loaded = load(torch_file(torch, layouts, tmp_path))
    for name, tensor in layouts.items():
        assert_same(loaded[name], tensor.numpy())
        if tensor.numel():
            itemsize = tensor.element_size()
            assert loaded[name].strides == tuple(s * itemsize for s in tensor.stride()), name
    shared = ["contiguous", "transposed", "sliced", "scalar_view", "permuted"]
    for name in shared[1:]:
        assert np.shares_memory(loaded["contiguous"], loaded[name]), name
    loaded["contiguous"][2, 3, 4] = -1.0        # writable, and the views see it, as in torch
    loaded["contiguous"][2, 2, 4] = -2.0
    assert loaded["scalar_view"] == -1.0 and loaded["sliced"][1, 1, 1] == -2.0


def test_torch_state_dict_of_real_model(torch, tmp_path):
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Conv2d(3, 8, 3), torch.nn.BatchNorm2d(8),
                                torch.nn.ReLU(), torch.nn.Flatten(), torch.nn.Linear(8, 2))
    model(torch.randn(2, 3, 3, 3))        # running stats and num_batches_tracked move
    state = model.state_dict()
    loaded = load(torch_file(torch, state, tmp_path), map_location="cpu")
    assert isinstance(loaded, collections.OrderedDict)
    assert list(loaded) == list(state)
    for key, value in state.items():
        assert_same(loaded[key], value.numpy())
    assert loaded._metadata == state._metadata


def test_torch_parameters_and_nested_containers(torch, tmp_path):
    weight = torch.nn.Parameter(torch.randn(3, 2))
    frozen = torch.nn.Parameter(torch.randn(2), requires_grad=False)
    obj = {"epoch": 7, "lr": 0.125, "name": "net", "flags": [True, False, None],
           "nested": {"deep": [(1, 2, 3, 4, 5), {"w": weight}], "blob": b"\x00\xffab"},
           "params": collections.OrderedDict(w=weight, f=frozen), "set": {1, 2},
           "z": 1 + 2j, "big": 2 ** 80, "neg": -(2 ** 40), "shape": torch.Size([2, 3]),
           "dtype": torch.float64}
    loaded = load(torch_file(torch, obj, tmp_path))
    assert loaded["epoch"] == 7 and loaded["lr"] == 0.125 and loaded["name"] == "net"
    assert loaded["flags"] == [True, False, None]
    assert loaded["nested"]["deep"][0] == (1, 2, 3, 4, 5)
    assert loaded["nested"]["blob"] == b"\x00\xffab"
    assert loaded["set"] == {1, 2} and loaded["z"] == 1 + 2j
    assert loaded["big"] == 2 ** 80 and loaded["neg"] == -(2 ** 40)
    assert loaded["shape"] == (2, 3) and loaded["dtype"] == np.float64
    w = loaded["params"]["w"]
    assert type(w) is Parameter and w.requires_grad
    assert type(loaded["params"]["f"]) is Parameter and not loaded["params"]["f"].requires_grad
    assert_same(w, weight.detach().numpy())
    assert loaded["nested"]["deep"][1]["w"] is w         # one object, as torch loads it


def _byteswapped_archive(src, dst, itemsize):
    """Rewrite a torch archive as a big-endian machine would have written it."""
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_STORED) as zout:
        for info in zin.infolist():
            data = zin.read(info)
            if info.filename.endswith("/byteorder"):
                data = b"big"
            elif "/data/" in info.filename and not info.filename.endswith("serialization_id"):
                data = np.frombuffer(data, dtype=f"<u{itemsize}").byteswap().tobytes()
            zout.writestr(info.filename, data)


@pytest.mark.parametrize("dtype, itemsize", [("float32", 4), ("float64", 8), ("int16", 2),
                                             ("int64", 8), ("float16", 2)])
def test_big_endian_archive_loads_like_torch(torch, tmp_path, rng, dtype, itemsize):
    base = torch.from_numpy(random_array(rng, (4, 6), dtype))
    src = torch_file(torch, {"a": base, "t": base.t(), "s": base[1:, 2:]}, tmp_path)
    dst = tmp_path / "big.pt"
    _byteswapped_archive(src, dst, itemsize)
    expected = torch.load(dst, weights_only=True)          # torch itself is the oracle
    loaded = load(dst)
    for key in ("a", "t", "s"):
        assert_same(loaded[key], expected[key].numpy())
        assert loaded[key].dtype.isnative
    assert np.shares_memory(loaded["a"], loaded["t"])


def test_load_in_a_process_where_torch_cannot_be_imported(torch, tmp_path):
    state = {"w": torch.randn(5, 4).t(), "n": torch.tensor(3), "p": torch.nn.Parameter(
        torch.randn(2))}
    path = torch_file(torch, state, tmp_path)
    np.savez(tmp_path / "ref.npz", w=state["w"].numpy(), n=state["n"].numpy(),
             p=state["p"].detach().numpy())
    script = (
        "import sys\n"
        "class Block:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name == 'torch' or name.startswith('torch.'):\n"
        "            raise ImportError('torch is blocked')\n"
        "sys.meta_path.insert(0, Block())\n"
        "import numpy as np\n"
        "from fastnn.serialization import load\n"
        "from fastnn.nn.parameter import Parameter\n"
        f"got = load({str(path)!r})\n"
        f"ref = np.load({str(tmp_path / 'ref.npz')!r})\n"
        "for k in ref.files:\n"
        "    np.testing.assert_array_equal(got[k], ref[k])\n"
        "assert type(got['p']) is Parameter\n"
        "assert not any(m == 'torch' or m.startswith('torch.') for m in sys.modules)\n"
        "print('ok')\n")
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"


# ---------------------------------------------------------------- fastnn -> torch

@pytest.mark.parametrize("dtype", NUMPY_DTYPES)
def test_fastnn_to_torch_every_dtype(torch, tmp_path, rng, dtype):
    reference = random_array(rng, (4, 3), dtype)
    obj = {"x": reference.view(Tensor), "t": reference.T, "s": reference[1:, ::2],
           "big_endian": reference.astype(reference.dtype.newbyteorder(">")),
           "scalar": reference[0:1, 0].reshape(()), "empty": reference[:0]}
    save(obj, tmp_path / "f.pt")
    loaded = torch.load(tmp_path / "f.pt", weights_only=True)
    for key, expected in [("x", reference), ("t", reference.T), ("s", reference[1:, ::2]),
                          ("big_endian", reference), ("scalar", reference[0:1, 0].reshape(())),
                          ("empty", reference[:0])]:
        assert loaded[key].numpy().dtype == expected.dtype.newbyteorder("=")
        np.testing.assert_array_equal(loaded[key].numpy(), expected)
        assert loaded[key].shape == expected.shape


def test_fastnn_to_torch_parameters_state_dicts_and_nested(torch, tmp_path):
    weight = Parameter(np.arange(6, dtype=np.float32).reshape(2, 3))
    frozen = Parameter(np.ones(2), requires_grad=False)
    state = collections.OrderedDict(weight=weight, frozen=frozen)
    state._metadata = collections.OrderedDict({"": {"version": 1}})
    obj = {"state": state, "same_again": weight, "cfg": {"n": [1, 2.5, "x", None, True],
                                                         "t": (1, 2, 3, 4), "b": b"\x00\x01"},
           "huge": -(2 ** 70), "mid": 70000, "neg": -5, "dtype": np.dtype(np.float32)}
    save(obj, tmp_path / "f.pt")
    loaded = torch.load(tmp_path / "f.pt", weights_only=True)
    w = loaded["state"]["weight"]
    assert isinstance(w, torch.nn.Parameter) and w.requires_grad
    assert not loaded["state"]["frozen"].requires_grad
    assert loaded["same_again"] is w
    np.testing.assert_array_equal(w.detach().numpy(), weight)
    assert loaded["state"]._metadata == {"": {"version": 1}}
    assert loaded["cfg"] == {"n": [1, 2.5, "x", None, True], "t": (1, 2, 3, 4),
                             "b": b"\x00\x01"}
    assert (loaded["huge"], loaded["mid"], loaded["neg"]) == (-(2 ** 70), 70000, -5)
    assert loaded["dtype"] is torch.float32


def test_fastnn_module_state_dict_loads_into_torch(torch, tmp_path):
    import fastnn.nn as fnn
    module = fnn.Sequential(fnn.BatchNorm2d(4), fnn.ReLU())
    module[0].running_mean[...] = np.arange(4) * 0.25
    save(module.state_dict(), tmp_path / "m.pt")
    reference = torch.nn.Sequential(torch.nn.BatchNorm2d(4), torch.nn.ReLU())
    reference.load_state_dict(torch.load(tmp_path / "m.pt", weights_only=True))
    np.testing.assert_array_equal(reference[0].running_mean.numpy(),
                                  np.asarray(module[0].running_mean))


def test_torch_reads_the_alignment_and_records_it_expects(tmp_path):
    save({"a": np.ones(3, np.float32), "b": np.zeros((2, 2))}, tmp_path / "f.pt")
    with open(tmp_path / "f.pt", "rb") as f:
        raw = f.read()
    with zipfile.ZipFile(tmp_path / "f.pt") as zf:
        names = zf.namelist()
        for info in zf.infolist():
            assert info.compress_type == zipfile.ZIP_STORED
            name_len, extra_len = struct.unpack("<HH", raw[info.header_offset + 26:
                                                           info.header_offset + 30])
            assert (info.header_offset + 30 + name_len + extra_len) % 64 == 0
        assert zf.read("archive/byteorder") == sys.byteorder.encode()
        assert zf.read("archive/version") == b"3\n"
    assert names[0] == "archive/data.pkl"
    assert {"archive/data/0", "archive/data/1", "archive/.format_version"} <= set(names)


# ---------------------------------------------------------------- torch-free checks

def _hand_written_checkpoint():
    """A torch checkpoint built byte by byte (what torch 2.13 writes for a transposed,
    offset float32 view), so this test needs neither torch nor fastnn's writer."""
    pkl = (b"\x80\x02}q\x00X\x01\x00\x00\x00xq\x01ctorch._utils\n_rebuild_tensor_v2\nq\x02("
           b"(X\x07\x00\x00\x00storageq\x03ctorch\nFloatStorage\nq\x04X\x01\x00\x00\x000q\x05"
           b"X\x03\x00\x00\x00cpuq\x06K\x0ctq\x07QK\x01K\x03K\x02\x86q\x08K\x01K\x04\x86q\t"
           b"\x89ccollections\nOrderedDict\nq\n)Rq\x0btq\x0cRq\rs.")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as zf:
        zf.writestr("ckpt/data.pkl", pkl)
        zf.writestr("ckpt/byteorder", b"little")
        zf.writestr("ckpt/data/0", np.arange(12, dtype="<f4").tobytes())
        zf.writestr("ckpt/version", b"3\n")
    return buf.getvalue()


def test_hand_written_checkpoint_matches_numpy_reference():
    storage = np.arange(12, dtype=np.float32)
    reference = np.lib.stride_tricks.as_strided(storage[1:], (3, 2), (4, 16))
    loaded = load(io.BytesIO(_hand_written_checkpoint()))
    assert_same(loaded["x"], reference)
    assert loaded["x"].strides == (4, 16)


@pytest.mark.parametrize("dtype", NUMPY_DTYPES)
def test_fastnn_round_trip_without_torch(tmp_path, rng, dtype):
    reference = random_array(rng, (3, 4), dtype)
    obj = collections.OrderedDict(a=reference.view(Tensor), t=reference.T,
                                  p=Parameter(reference, requires_grad=False),
                                  nested=[{"k": (reference[0], 3)}], scalar=reference[1, 1])
    buf = io.BytesIO()
    save(obj, buf)
    buf.seek(0)
    loaded = load(buf)
    assert isinstance(loaded, collections.OrderedDict)
    assert_same(loaded["a"], reference)
    assert_same(loaded["t"], reference.T)
    assert type(loaded["p"]) is Parameter and not loaded["p"].requires_grad
    assert_same(loaded["nested"][0]["k"][0], reference[0])
    assert loaded["scalar"] == reference[1, 1]


def test_mmap_loading_is_writable_and_copy_on_write(tmp_path):
    path = tmp_path / "f.pt"
    save({"w": np.arange(1000, dtype=np.float32)}, path)
    before = path.read_bytes()
    loaded = load(path, mmap=True)
    np.testing.assert_array_equal(loaded["w"], np.arange(1000, dtype=np.float32))
    loaded["w"][:] = -1
    assert path.read_bytes() == before
    np.testing.assert_array_equal(load(str(path))["w"], np.arange(1000, dtype=np.float32))


class _StreamOnly:
    """A non-seekable binary stream (a pipe, a socket file)."""

    def __init__(self, data):
        self._buf = io.BytesIO(data)

    def read(self, n=-1):
        return self._buf.read(n)

    def seekable(self):
        return False


def test_non_seekable_stream_and_file_objects(tmp_path):
    buf = io.BytesIO()
    save({"a": np.ones(3)}, buf)
    np.testing.assert_array_equal(load(_StreamOnly(buf.getvalue()))["a"], np.ones(3))
    with open(tmp_path / "f.pt", "wb") as f:
        save([np.zeros(2, np.int32)], f)
    with open(tmp_path / "f.pt", "rb") as f:
        assert_same(load(f)[0], np.zeros(2, np.int32))


def test_save_refuses_what_torch_cannot_load(tmp_path):
    with pytest.raises(TypeError, match="cannot store an object of type object"):
        save({"a": object()}, io.BytesIO())
    with pytest.raises(TypeError, match="cannot store arrays of dtype <U1"):
        save(np.array(["a"]), io.BytesIO())
    with pytest.raises(TypeError, match="cannot store arrays of dtype float128|longdouble"):
        save(np.zeros(2, np.longdouble), io.BytesIO())
    looped = []
    looped.append(looped)
    with pytest.raises(ValueError, match="contains itself"):
        save(looped, io.BytesIO())
    deep = []
    for _ in range(500):
        deep = [deep]
    with pytest.raises(ValueError, match="nest deeper than 128 levels"):
        save(deep, io.BytesIO())
    with pytest.raises(ValueError, match="pickle_module is not supported"):
        save({}, io.BytesIO(), pickle_module=pickle)
    with pytest.raises(ValueError, match="writes only the zip format"):
        save({}, io.BytesIO(), _use_new_zipfile_serialization=False)
    with pytest.raises(TypeError, match="expects a path or a binary file object"):
        save({}, 3)


def test_load_arguments():
    data = _hand_written_checkpoint()
    for location in (None, "cpu", {"cuda:0": "cpu"}):
        load(io.BytesIO(data), map_location=location)
    for location in ("cuda", "cuda:0", "meta", {"cpu": "cuda"}, lambda s, loc: s):
        with pytest.raises(RuntimeError, match="loads tensors to the CPU only"):
            load(io.BytesIO(data), map_location=location)
    for weights_only in (True, None, False):                # False: the full unpickler
        assert sorted(load(io.BytesIO(data), weights_only=weights_only)) == \
            sorted(load(io.BytesIO(data)))
    with pytest.raises(ValueError, match="pickle_module is not supported"):
        load(io.BytesIO(data), pickle_module=pickle)
    with pytest.raises(TypeError, match="unexpected keyword arguments"):
        load(io.BytesIO(data), fix_imports=True)
    with pytest.raises(TypeError, match="expects a path or a binary file object"):
        load(12)


def test_map_location_torch_devices(torch):
    data = _hand_written_checkpoint()
    load(io.BytesIO(data), map_location=torch.device("cpu"))
    with pytest.raises(RuntimeError, match="loads tensors to the CPU only"):
        load(io.BytesIO(data), map_location=torch.device("meta"))


def test_legacy_and_torchscript_files_get_a_clear_error(torch, tmp_path):
    torch.save({"a": torch.ones(2)}, tmp_path / "old.pt", _use_new_zipfile_serialization=False)
    with pytest.raises(RuntimeError, match=r"legacy .*re-save it with a current torch"):
        load(tmp_path / "old.pt")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        torch.jit.save(torch.jit.script(torch.nn.ReLU()), tmp_path / "script.pt")
    with pytest.raises(RuntimeError, match="TorchScript archive"):
        load(tmp_path / "script.pt")


# ---------------------------------------------------------------- safetensors and npz

def test_safetensors_written_by_torch(torch, tmp_path, rng):
    safetensors_torch = pytest.importorskip("safetensors.torch")
    tensors = {d: torch.from_numpy(random_array(rng, (2, 3), d))
               for d in NUMPY_DTYPES if d not in ("complex64", "complex128")}
    tensors["bf16"] = torch.randn(3).to(torch.bfloat16)
    safetensors_torch.save_file(tensors, tmp_path / "m.safetensors")
    with pytest.warns(UserWarning, match="bfloat16"):
        loaded = load(tmp_path / "m.safetensors")
    assert set(loaded) == set(tensors)
    for name, tensor in tensors.items():
        expected = tensor.float() if name == "bf16" else tensor
        assert_same(loaded[name], expected.numpy())


def test_safetensors_written_by_fastnn(torch, tmp_path, rng):
    safetensors_torch = pytest.importorskip("safetensors.torch")
    arrays = {d: random_array(rng, (3, 2), d) for d in NUMPY_DTYPES if d != "complex128"}
    arrays["transposed"] = arrays["float32"].T
    save({k: v.view(Tensor) for k, v in arrays.items()}, tmp_path / "m.safetensors")
    loaded = safetensors_torch.load_file(tmp_path / "m.safetensors")
    for name, array in arrays.items():
        np.testing.assert_array_equal(loaded[name].numpy(), array)
    back = load(tmp_path / "m.safetensors")
    for name, array in arrays.items():
        assert_same(back[name], array)
    with pytest.raises(TypeError, match="flat dict of str -> tensor"):
        save({"a": {"b": np.ones(2)}}, tmp_path / "n.safetensors")
    with pytest.raises(TypeError, match="dtype complex128 in a .safetensors file"):
        save({"a": np.ones(2, np.complex128)}, tmp_path / "n.safetensors")


def test_npz_both_ways(tmp_path, rng):
    arrays = {d: random_array(rng, (2, 3), d) for d in NUMPY_DTYPES}
    np.savez(tmp_path / "a.npz", **arrays)
    loaded = load(tmp_path / "a.npz")
    for name, array in arrays.items():
        assert_same(loaded[name], array)
    save({k: v.T for k, v in arrays.items()}, tmp_path / "b.npz")
    with np.load(tmp_path / "b.npz", allow_pickle=False) as npz:
        for name, array in arrays.items():
            np.testing.assert_array_equal(npz[name], array.T)
    np.savez_compressed(tmp_path / "c.npz", w=arrays["float32"])
    assert_same(load(tmp_path / "c.npz")["w"], arrays["float32"])
    with pytest.raises(TypeError, match="flat dict of str -> tensor"):
        save([np.ones(2)], tmp_path / "d.npz")


def test_safetensors_missing_package_message(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "safetensors", None)
    with pytest.raises(ImportError, match=r"pip install fastnn\[safetensors\]"):
        save({"a": np.ones(2)}, tmp_path / "m.safetensors")


def test_paths_as_str_and_pathlike(tmp_path):
    save({"a": np.ones(2)}, str(tmp_path / "s.pt"))
    assert_same(load(os.fspath(tmp_path / "s.pt"))["a"], np.ones(2))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert_same(load(tmp_path / "s.pt")["a"], np.ones(2))
