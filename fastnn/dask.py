"""Batch inference over Dask arrays: ``fastnn.dask.predict(model, images, batch_size=None)``.

A Dask array of images ``(N, C, ...)`` becomes a lazy Dask array of model outputs with one
block per batch. The model is captured (in eval mode) when ``predict`` is called and sent to
each worker once, never re-pickled per block:

- with a ``distributed.Client`` active, it is scattered to every worker
  (``client.scatter(model, broadcast=True)``): the scheduler never holds it, and a worker
  that dies is replaced by one that copies it from a surviving worker (under load,
  distributed may also copy it between live workers once more);
- otherwise it is a single graph key that every block depends on (the threaded and
  synchronous schedulers use it in place; nothing is pickled).

Only the batch axis may be chunked: every other axis is rechunked to one chunk, since a
model needs whole items. ``batch_size`` rechunks the batch axis.

Threads: each task sets the kernel thread count of the thread it runs in (thread-local, so
tasks in one process do not race) so that Dask's task threads x Numba threads <= cores:
``max(1, cores // task_threads)``, where ``task_threads`` is, on distributed, the sum of
``nthreads`` of the workers on the task's host (so two 1-thread workers on a 2-core machine
get one Numba thread each); under the threaded scheduler, its pool size (``num_workers``,
default: the cores); in the calling thread (synchronous scheduler), 1. A count set
explicitly with ``fastnn.set_num_threads`` in that process takes precedence, as in every
fastnn launch.

Compiled kernels are reused: kernels are ``cache=True``, so every process on a machine loads
them from the same on-disk cache; ``predict`` runs the model once on one item in the calling
process (to learn the output's shape and dtype), which compiles and caches the kernels
before any worker needs them. ``kernel_cache_stats()`` (e.g. through ``client.run``) shows
the hits and misses per kernel.
"""
import contextlib
import copy
import functools
import operator
import sys
import threading
import uuid

import numba
import numpy as np
from numba.core.dispatcher import Dispatcher

try:
    import dask
    import dask.array as da
    from dask.system import CPU_COUNT
except ImportError as exc:  # pragma: no cover - dask is an optional dependency
    raise ImportError("fastnn.dask needs dask: pip install 'fastnn[dask]'") from exc

from . import _runtime
from ._array import as_array, wrap

__all__ = ["predict", "kernel_cache_stats"]


def predict(model, images, batch_size=None):
    """Apply `model` to every item of `images`, batch by batch, in eval mode.

    Args:
        model: a fastnn Module (or any callable taking and returning arrays) that maps a
            batch ``(B, C, ...)`` to outputs with the same leading ``B``. It is put in eval
            mode for the call and left in the mode it was in.
        images: a Dask array ``(N, C, ...)`` -> a lazy Dask array; a numpy array, Tensor or
            anything with ``__array__`` -> a Tensor, computed here.
        batch_size (int, optional): items per model call. For a Dask array, the batch axis
            is rechunked to it (default: keep the array's chunks); for an in-memory array,
            the default is one call on all ``N`` items.

    Shape:
        - Input: ``(N, *item_shape)``
        - Output: ``(N, *out_shape)``, where ``(1, *out_shape)`` is the model's output on
          one item. For a Dask array, the output's chunks along ``N`` are the (rechunked)
          input's, the other axes have one chunk each; shape and dtype come from running
          the model on ``images[:1]`` in the calling process.

    Examples::

        >>> import dask.array as da
        >>> images = da.random.random((256, 3, 32, 32), chunks=64).astype("float32")
        >>> logits = fastnn.dask.predict(model, images, batch_size=32)   # lazy, (256, 10)
        >>> logits.compute()
    """
    if not callable(model):
        raise TypeError(f"model must be callable, not {type(model).__name__}")
    batch_size = _check_batch_size(batch_size)
    if isinstance(images, da.Array):
        return _predict_lazy(model, images, batch_size)
    images = as_array(images, "images")
    _check_items(images.shape)
    step = batch_size or images.shape[0]
    with _eval_mode(model):
        outputs = [_forward(model, images[i:i + step])
                   for i in range(0, images.shape[0], step)]
    return wrap(outputs[0] if len(outputs) == 1 else np.concatenate(outputs))


def kernel_cache_stats():
    """``{kernel: (cache hits, cache misses)}`` for fastnn's on-disk-cached kernels loaded
    in this process. A miss is a compilation; ``client.run(kernel_cache_stats)`` shows
    whether workers compiled anything or only loaded the shared cache."""
    kernels = [obj for name, module in list(sys.modules.items())
               if name.startswith("fastnn.kernels") for obj in list(vars(module).values())]
    kernels += list(_runtime.serial_twins())      # "<kernel>_serial": small work, one thread
    stats = {}
    for obj in kernels:
        if isinstance(obj, Dispatcher) and obj.stats.cache_path:
            key = f"{obj.py_func.__module__}.{obj.py_func.__qualname__}"
            stats[key] = (sum(obj.stats.cache_hits.values()),
                          sum(obj.stats.cache_misses.values()))
    return stats


def _check_batch_size(batch_size):
    if batch_size is None:
        return None
    if isinstance(batch_size, (bool, np.bool_)):
        raise TypeError("batch_size must be a positive int or None, not bool")
    try:
        batch_size = operator.index(batch_size)
    except TypeError:
        raise TypeError("batch_size must be a positive int or None, "
                        f"not {type(batch_size).__name__}") from None
    if batch_size < 1:
        raise ValueError(f"batch_size must be a positive int, got {batch_size}")
    return batch_size


def _check_items(shape):
    if len(shape) == 0:
        raise ValueError("images must have a batch axis (N, C, ...), got a 0-d array")
    if shape[0] == 0:
        raise ValueError(f"images must hold at least one item, got shape {tuple(shape)}")


def _predict_lazy(model, images, batch_size):
    _check_items(images.shape)
    if np.isnan(images.shape[0]):
        raise ValueError("images has unknown chunk sizes along the batch axis; "
                         "call images.compute_chunk_sizes() first")
    rechunk = {axis: -1 for axis in range(1, images.ndim)}
    if batch_size is not None:
        rechunk[0] = batch_size
    images = images.rechunk(rechunk)

    with _eval_mode(model):
        probe = _forward(model, np.asarray(images[:1].compute()))
        client = _active_client()
        if client is not None:
            handle = client.scatter(model, broadcast=True, hash=False)
            host_threads = _threads_per_host(client)
        else:
            handle = dask.delayed(copy.deepcopy(model), traverse=False,
                                  name=f"fastnn-model-{uuid.uuid4().hex}")
            host_threads = {}

    item_shape = probe.shape[1:]
    in_ndim, out_ndim = images.ndim, probe.ndim
    axes = {}
    if out_ndim < in_ndim:
        axes["drop_axis"] = list(range(out_ndim, in_ndim))
    elif out_ndim > in_ndim:
        axes["new_axis"] = list(range(in_ndim, out_ndim))
    block = functools.partial(_predict_block, item_shape=item_shape,
                              host_threads=host_threads)
    return da.map_blocks(
        block, images, handle, dtype=probe.dtype,
        chunks=(images.chunks[0],) + tuple((n,) for n in item_shape),
        meta=np.empty((0,) * out_ndim, probe.dtype), token="fastnn-predict", **axes)


def _predict_block(images, model, item_shape, host_threads):
    with _task_threads(host_threads):
        out = _forward(model, images)
    if out.shape[1:] != item_shape:
        raise ValueError(
            f"model output for a batch of {images.shape[0]} items has shape {out.shape}, "
            f"but its output for one item had shape {(1,) + item_shape}")
    return out


def _forward(model, batch):
    out = as_array(model(batch), "model output")
    if out.ndim == 0 or out.shape[0] != batch.shape[0]:
        raise ValueError(
            f"model must return one output per input item: a batch of shape {batch.shape} "
            f"gave an output of shape {out.shape}")
    return out


@contextlib.contextmanager
def _eval_mode(model):
    """Eval mode for the duration, then every submodule's own mode back."""
    modules = list(model.modules()) if hasattr(model, "modules") else []
    modes = [(m, m.training) for m in modules]
    if hasattr(model, "eval"):
        model.eval()
    try:
        yield model
    finally:
        for m, mode in modes:
            m.training = mode


def _active_client():
    try:
        from distributed import default_client
    except ImportError:
        return None
    try:
        return default_client()
    except ValueError:  # "No clients found"
        return None


def _threads_per_host(client):
    """{host: Dask task threads of all workers on that host}."""
    from distributed.comm import get_address_host
    totals = {}
    for address, info in client.scheduler_info(n_workers=-1)["workers"].items():
        host = get_address_host(address)
        totals[host] = totals.get(host, 0) + info["nthreads"]
    return totals


def _task_threads_here(host_threads):
    """How many Dask task threads share this process's cores with the current task."""
    try:
        from distributed import get_worker
        worker = get_worker()
    except (ImportError, ValueError):  # not inside a distributed task
        worker = None
    if worker is not None:
        from distributed.comm import get_address_host
        host = get_address_host(worker.address)
        return max(host_threads.get(host, 0), worker.state.nthreads)
    if threading.current_thread() is threading.main_thread():
        return 1  # the synchronous scheduler: one task at a time, in the caller
    return dask.config.get("num_workers", None) or CPU_COUNT


def _task_threads(host_threads):
    n = max(1, min(CPU_COUNT // _task_threads_here(host_threads),
                   numba.config.NUMBA_NUM_THREADS))
    return _runtime.thread_share(n)
