"""fastnn.dask.predict: lazy batch inference over Dask arrays, on the local schedulers and a
real 2-process LocalCluster (results equal the single-process ones, worker death survived,
errors surfaced, no oversubscription, shared kernel cache, the model shipped once)."""
import contextlib
import os
import threading

import numba
import numpy as np
import pytest

dask = pytest.importorskip("dask")
da = pytest.importorskip("dask.array")

import fastnn  # noqa: E402
import fastnn.nn as nn  # noqa: E402
import fastnn.nn.functional as F  # noqa: E402
from fastnn import _runtime  # noqa: E402
from fastnn.dask import kernel_cache_stats, predict  # noqa: E402
from fastnn.examples import cnn3d, resnet  # noqa: E402

CORES = dask.system.CPU_COUNT


# ---- models used by the tests (module level: workers import them by reference) ------------

def randomise_batchnorm(model, seed=1):
    """Random running statistics and affine weights, so eval mode means something."""
    rng = np.random.default_rng(seed)
    for m in model.modules():
        if isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d, nn.BatchNorm3d)):
            n = m.num_features
            m.running_mean[...] = rng.random(n) - 0.5
            m.running_var[...] = rng.random(n) + 0.5
            m.weight.data[...] = rng.random(n) + 0.5     # as torch, outside autograd
            m.bias.data[...] = rng.random(n) - 0.5
    return model


_UNPICKLED = [0]


class CountUnpickling(nn.Module):
    """Counts, per process, how many times it has been unpickled."""

    def __init__(self, inner):
        super().__init__()
        self.inner = inner

    def __setstate__(self, state):
        super().__setstate__(state)
        _UNPICKLED[0] += 1

    def forward(self, x):
        return self.inner(x)


def unpickle_count():
    return _UNPICKLED[0]


class KillFirstWorkerCall(nn.Module):
    """The first forward in any process other than the creator's kills that process."""

    def __init__(self, inner, marker):
        super().__init__()
        self.inner = inner
        self.marker = str(marker)
        self.owner_pid = os.getpid()

    def forward(self, x):
        if os.getpid() != self.owner_pid:
            try:
                fd = os.open(self.marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
            except FileExistsError:
                pass
            else:
                os.close(fd)
                os._exit(1)
        return self.inner(x)


class RefuseLargeValues(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 3)

    def forward(self, x):
        if (np.asarray(x) > 100).any():
            raise RuntimeError("refusing a batch with values > 100")
        return self.fc(x)


class ReportThreads(nn.Module):
    """Outputs, per item, the Numba thread count its batch's kernels ran with."""

    def forward(self, x):
        return np.full((x.shape[0], 1), _kernel_threads(), dtype=np.float64)


def _kernel_threads():
    # a launch large enough to run parallel hands numba the count its kernel runs with
    F.relu(fastnn.zeros(_runtime.SERIAL_MAX_WORK))
    return numba.get_num_threads()


class CountCalls(nn.Module):
    def __init__(self, inner):
        super().__init__()
        self.inner = inner
        self.calls = 0

    def forward(self, x):
        self.calls += 1
        return self.inner(x)


def small_cnn(dtype=np.float32):
    fastnn.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(),
                          nn.Dropout(0.5), nn.Flatten(), nn.Linear(4 * 6 * 6, 5))
    randomise_batchnorm(model)
    return model.double() if dtype == np.float64 else model


def per_chunk(model, x, chunks):
    """The single-process reference: the model on each chunk, in eval mode."""
    was = model.training
    model.eval()
    out, start = [], 0
    for n in chunks:
        out.append(np.asarray(model(x[start:start + n])))
        start += n
    model.train(was)
    return np.concatenate(out)


@pytest.fixture
def images(rng):
    return rng.standard_normal((10, 3, 6, 6)).astype(np.float32)


# ---- in-memory arrays: computed here, batch by batch ---------------------------------------

def test_numpy_in_gives_tensor_out_batched_in_eval_mode(images):
    model = small_cnn()
    out = predict(model, images, batch_size=4)
    assert isinstance(out, fastnn.Tensor) and isinstance(out, np.ndarray)
    assert out.shape == (10, 5) and out.dtype == np.float32
    np.testing.assert_array_equal(out, per_chunk(model, images, (4, 4, 2)))
    # eval mode: Dropout off and BatchNorm's running statistics, not the batch's
    np.testing.assert_array_equal(predict(model, images), per_chunk(model, images, (10,)))
    assert model.training and model[1].training and model[3].training


def test_submodule_modes_restored(images):
    model = small_cnn()
    model[3].eval()
    predict(model, images)
    assert [m.training for m in model] == [True, True, True, False, True, True]


def test_array_likes_and_plain_callables_against_numpy(images, rng):
    weight = rng.standard_normal((3 * 6 * 6, 7))

    def plain(x):  # a pure-numpy model: the torch-free reference is the same arithmetic
        return np.asarray(x).reshape(len(x), -1) @ weight

    class ArrayLike:
        def __array__(self, dtype=None, copy=None):
            return images

    expected = images.reshape(10, -1) @ weight
    np.testing.assert_allclose(predict(plain, ArrayLike(), batch_size=3), expected,
                               rtol=1e-12, atol=0)
    lazy = predict(plain, da.from_array(images, chunks=(4, 3, 6, 6)), batch_size=5)
    np.testing.assert_allclose(lazy.compute(), expected, rtol=1e-12, atol=0)


def test_input_not_modified_read_only_and_fortran_inputs(images):
    model = small_cnn()
    expected = per_chunk(model, images, (10,))
    frozen = images.copy()
    frozen.flags.writeable = False
    np.testing.assert_array_equal(predict(model, frozen), expected)
    np.testing.assert_array_equal(predict(model, np.asfortranarray(images)), expected)
    lazy = predict(model, da.from_array(frozen, chunks=5)).compute()
    np.testing.assert_array_equal(lazy, per_chunk(model, images, (5, 5)))
    np.testing.assert_array_equal(frozen, images)


# ---- Dask arrays: lazy, on the threaded and synchronous schedulers --------------------------

@pytest.mark.parametrize("scheduler", ["threads", "sync"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_lazy_result_shape_chunks_dtype_and_values(scheduler, dtype, images):
    model = small_cnn(dtype)
    x = images.astype(dtype)
    lazy = predict(model, da.from_array(x, chunks=(3, 3, 6, 6)))
    assert isinstance(lazy, da.Array)
    assert lazy.shape == (10, 5) and lazy.dtype == dtype
    assert lazy.chunks == ((3, 3, 3, 1), (5,))
    out = lazy.compute(scheduler=scheduler)
    assert type(out) is np.ndarray and out.dtype == dtype
    np.testing.assert_array_equal(out, per_chunk(model, x, (3, 3, 3, 1)))


def test_batch_size_rechunks_and_other_axes_become_one_chunk(images):
    model = small_cnn()
    chunked_everywhere = da.from_array(images, chunks=(7, 1, 2, 5))
    lazy = predict(model, chunked_everywhere, batch_size=4)
    assert lazy.chunks == ((4, 4, 2), (5,))
    np.testing.assert_array_equal(lazy.compute(), per_chunk(model, images, (4, 4, 2)))
    kept = predict(model, chunked_everywhere)
    assert kept.chunks == ((7, 3), (5,))
    np.testing.assert_array_equal(kept.compute(), per_chunk(model, images, (7, 3)))


@pytest.mark.parametrize("make_model, in_shape, out_item", [
    (lambda: nn.Conv2d(3, 2, 3), (9, 3, 6, 6), (2, 4, 4)),                        # same rank
    (lambda: nn.Sequential(nn.Flatten(), nn.Linear(48, 3)), (9, 3, 4, 4), (3,)),  # drop axes
    (lambda: nn.Sequential(nn.Linear(8, 18), nn.Unflatten(1, (2, 3, 3))),
     (9, 8), (2, 3, 3)),                                                          # new axes
    (lambda: (lambda x: np.asarray(x).sum(axis=(1, 2))), (9, 2, 5), ()),           # rank 1
])
def test_outputs_of_any_rank(make_model, in_shape, out_item, rng):
    fastnn.manual_seed(0)
    model = make_model()
    x = rng.standard_normal(in_shape).astype(np.float32)
    lazy = predict(model, da.from_array(x, chunks=4))
    assert lazy.shape == (9,) + out_item
    assert lazy.chunks == ((4, 4, 1),) + tuple((n,) for n in out_item)
    out = lazy.compute()
    assert out.shape == lazy.shape
    np.testing.assert_array_equal(out, per_chunk(model, x, (4, 4, 1))
                                  if hasattr(model, "eval") else
                                  np.concatenate([model(x[:4]), model(x[4:8]), model(x[8:])]))


def test_lazy_until_computed_and_model_captured_at_call(images):
    model = small_cnn()
    expected = per_chunk(model, images, (5, 5))
    counted = CountCalls(model)
    lazy = predict(counted, da.from_array(images, chunks=5))
    assert counted.calls == 1  # the one-item probe that gives shape and dtype
    model[5].weight.data[...] = 0  # later changes to the model do not reach the result
    model.train()
    np.testing.assert_array_equal(lazy.compute(), expected)
    assert counted.calls == 1  # the blocks ran a copy


def test_thread_rule_local_schedulers(images, monkeypatch):
    monkeypatch.setattr(_runtime, "_num_threads", None)  # no explicit fastnn count
    before = fastnn.get_num_threads()
    lazy = predict(ReportThreads(), da.from_array(images, chunks=2))
    with dask.config.set(num_workers=2):
        threaded = lazy.compute(scheduler="threads")
    assert set(threaded.ravel()) == {max(1, CORES // 2)}
    assert threading.current_thread() is threading.main_thread()
    synchronous = lazy.compute(scheduler="sync")
    assert set(synchronous.ravel()) == {min(CORES, numba.config.NUMBA_NUM_THREADS)}
    assert fastnn.get_num_threads() == before  # the caller's thread count is restored
    assert _kernel_threads() == before  # and its kernels use it


# ---- argument errors --------------------------------------------------------------------------

@pytest.mark.parametrize("lazy", [False, True])
def test_errors(lazy, images):
    model = small_cnn()
    wrap = (lambda a: da.from_array(a, chunks=4 if a.ndim else ())) if lazy else (lambda a: a)
    x = wrap(images)
    with pytest.raises(ValueError, match="batch_size must be a positive int, got 0"):
        predict(model, x, batch_size=0)
    with pytest.raises(ValueError, match="batch_size must be a positive int, got -2"):
        predict(model, x, batch_size=-2)
    for bad, name in [(2.0, "float"), ("4", "str"), (True, "bool")]:
        with pytest.raises(TypeError, match=f"batch_size must be a positive int or None, "
                                            f"not {name}"):
            predict(model, x, batch_size=bad)
    with pytest.raises(TypeError, match="model must be callable, not int"):
        predict(3, x)
    with pytest.raises(ValueError, match=r"images must hold at least one item, "
                                         r"got shape \(0, 3, 6, 6\)"):
        predict(model, wrap(images[:0]))
    with pytest.raises(ValueError, match="images must have a batch axis"):
        predict(model, wrap(np.float32(1.0) * np.ones(())))
    with pytest.raises(ValueError, match=r"model must return one output per input item: a "
                                         r"batch of shape \(1, 3, 6, 6\) gave an output "
                                         r"of shape \(3, 6, 6\)"):
        predict(lambda b: b[0], wrap(images), batch_size=1)
    with pytest.raises(TypeError, match="model output must be a Tensor or array, not tuple"):
        predict(lambda b: (b, b), x)
    # the model's own errors come out unchanged
    with pytest.raises(RuntimeError, match="expected input"):
        predict(nn.Conv2d(2, 1, 3), x)
    assert isinstance(predict(model, x), da.Array) == lazy


def test_not_an_array():
    with pytest.raises(TypeError, match="images must be a Tensor or array, not list"):
        predict(small_cnn(), [[1.0]])


def test_unknown_chunk_sizes_refused(images):
    x = da.from_array(images, chunks=4)
    unknown = x[da.from_array(np.arange(10) % 2 == 0, chunks=4)]
    with pytest.raises(ValueError, match="unknown chunk sizes.*compute_chunk_sizes"):
        predict(small_cnn(), unknown)


def test_output_shape_changing_with_batch_is_an_error(images):
    lazy = predict(lambda b: np.zeros((len(b), len(b))), da.from_array(images, chunks=4))
    with pytest.raises(ValueError, match=r"model output for a batch of [24] items has shape "
                                         r"\([24], [24]\), but its output for one item had shape "
                                         r"\(1, 1\)"):
        lazy.compute()


def test_kernel_cache_stats_counts_this_process(images):
    predict(nn.ReLU(), images)
    stats = kernel_cache_stats()
    assert stats and all(isinstance(k, str) and k.startswith("fastnn.kernels.") for k in stats)
    hits, misses = stats["fastnn.kernels.elementwise.clamp"]
    assert hits + misses >= 1


# ---- a real distributed cluster: 2 worker processes, 1 thread each -------------------------

@contextlib.contextmanager
def _local_cluster(**options):
    # distributed's nanny leaves its workers' settings (MALLOC_TRIM_THRESHOLD_,
    # OMP_NUM_THREADS=1, ...) in this process's environment, where every later child process
    # of this test worker would inherit them: glibc then keeps its fixed thresholds
    # (test_malloc's fresh processes faulted every page again)
    distributed = pytest.importorskip("distributed")
    saved = dict(os.environ)
    try:
        with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                      dashboard_address=None, **options) as cluster:
            yield cluster
    finally:
        os.environ.clear()
        os.environ.update(saved)


@pytest.fixture(scope="module")
def client():
    distributed = pytest.importorskip("distributed")
    with _local_cluster() as cluster:
        with distributed.Client(cluster) as client:
            yield client


def _resnet_case(rng):
    fastnn.manual_seed(0)
    model = randomise_batchnorm(resnet.build(num_classes=10))
    return model, rng.standard_normal((30, 3, 32, 32)).astype(np.float32), (8, 8, 8, 6)


def _cnn3d_case(rng):
    fastnn.manual_seed(0)
    model = randomise_batchnorm(cnn3d.build())
    return model, rng.standard_normal((24, 3, 8, 16, 16)).astype(np.float32), (7, 7, 7, 3)


@pytest.mark.parametrize("case", [_resnet_case, _cnn3d_case], ids=["resnet", "cnn3d"])
def test_cluster_matches_single_process(client, case, rng):
    model, x, chunks = case(rng)
    # computed first, so this process compiles (or loads) every kernel the blocks need
    reference = per_chunk(model, x, chunks)
    before = client.run(unpickle_count)
    lazy = predict(CountUnpickling(model), da.from_array(x, chunks=(chunks[0],) + x.shape[1:]))
    assert lazy.chunks[0] == chunks
    out = lazy.compute()
    # the kernels are deterministic for a given batch: the same bits as here, per chunk
    np.testing.assert_array_equal(out, reference)
    # across batch sizes the default variants can differ (the conv rule weighs the number
    # of output positions, Linear's GEMM tiles rows): equal to float32 rounding only
    whole = np.asarray(model.eval()(x))
    np.testing.assert_allclose(out, whole, rtol=1e-4, atol=1e-5)
    # the model was scattered, not sent once per block: under load distributed may copy
    # the scattered model between workers once more (a worker was seen unpickling it
    # twice, [1, 2]), but never once per block
    after = client.run(unpickle_count)
    received = [after[w] - before.get(w, 0) for w in after]
    assert 1 <= sum(received) < len(chunks) and max(received) <= 2, received
    # and the workers compiled nothing: every kernel came from the shared on-disk cache
    for worker, stats in client.run(kernel_cache_stats).items():
        assert sum(hits for hits, _ in stats.values()) > 0, worker
        assert {k: v for k, v in stats.items() if v[1]} == {}, worker


def test_cluster_threads_per_worker_rule(client, rng):
    x = rng.standard_normal((8, 2)).astype(np.float32)
    threads = predict(ReportThreads(), da.from_array(x, chunks=2)).compute()
    # two 1-thread workers share this machine: each gets half the cores
    assert set(threads.ravel()) == {max(1, CORES // 2)}


def test_cluster_surfaces_the_models_exception(client, rng):
    x = rng.standard_normal((12, 4)).astype(np.float32)
    x[9, 2] = 1e3
    fastnn.manual_seed(0)
    lazy = predict(RefuseLargeValues(), da.from_array(x, chunks=4))
    with pytest.raises(RuntimeError, match="refusing a batch with values > 100") as info:
        lazy.compute()
    assert info.type is RuntimeError


def test_cluster_survives_a_killed_worker(client, rng, tmp_path):
    fastnn.manual_seed(0)
    model = small_cnn()
    x = rng.standard_normal((24, 3, 6, 6)).astype(np.float32)
    reference = per_chunk(model, x, (4,) * 6)
    marker = tmp_path / "killed"
    lazy = predict(KillFirstWorkerCall(model, marker), da.from_array(x, chunks=4))
    out = lazy.compute()
    assert marker.exists()  # a worker did die mid-run
    np.testing.assert_array_equal(out, reference)
    client.wait_for_workers(2, timeout=60)


def clamp_cache_path():
    from fastnn.kernels import elementwise
    return elementwise.clamp.stats.cache_path


# dashboard_address=None still binds the scheduler's HTTP port, 8787 when free
@pytest.mark.filterwarnings("ignore:Port 8787 is already in use")
def test_workers_reuse_each_others_compiled_kernels(tmp_path, rng):
    # a fresh cache shared by two new workers: the first compiles, the second only loads
    distributed = pytest.importorskip("distributed")
    x = rng.standard_normal((8, 5)).astype(np.float64)
    with _local_cluster(env={"NUMBA_CACHE_DIR": str(tmp_path)}) as cluster:
        with distributed.Client(cluster) as client:
            client.wait_for_workers(2)
            first, second = sorted(client.scheduler_info()["workers"])
            waves = []
            for worker in (first, second):
                lazy = predict(nn.Hardtanh(-0.5, 0.5), da.from_array(x, chunks=4))
                out = client.compute(lazy, workers=[worker], allow_other_workers=False)
                np.testing.assert_array_equal(out.result(), np.clip(x, -0.5, 0.5))
                waves.append({w: s.get("fastnn.kernels.elementwise.clamp")
                              for w, s in client.run(kernel_cache_stats).items()})
            paths = set(client.run(clamp_cache_path).values())
    assert paths == {str(tmp_path / "kernels")} or all(
        p.startswith(str(tmp_path)) for p in paths), paths
    assert waves[0] == {first: (0, 1), second: (0, 0)}  # compiled, wrote the cache
    assert waves[1] == {first: (0, 1), second: (1, 0)}  # loaded it: no compilation
