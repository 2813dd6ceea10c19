"""DataLoader worker processes: each loads the batches it is sent and sends them back.

A worker runs fastnn's kernels (and Numba's) on one thread, so that N workers beside the
main process do not oversubscribe the cores; it is seeded as torch seeds its workers
(``base_seed + worker_id`` for fastnn's default generator and Python's `random`).
"""
import random
import sys
import traceback
from dataclasses import dataclass

_info = None


@dataclass(frozen=True)
class WorkerInfo:
    id: int
    num_workers: int
    seed: int
    dataset: object


def get_worker_info():
    """In a DataLoader worker: its WorkerInfo (id, num_workers, seed, dataset); else None."""
    return _info


class ExceptionWrapper:
    """An exception raised in a worker, re-raised in the main process with its traceback
    text, as torch does."""

    def __init__(self, where):
        exc_type, exc, _ = sys.exc_info()
        self.exc_type = exc_type
        self.where = where
        self.exc_msg = "".join(traceback.format_exception(exc_type, exc, exc.__traceback__))

    def reraise(self):
        msg = f"Caught {self.exc_type.__name__} {self.where}.\nOriginal {self.exc_msg}"
        try:
            error = self.exc_type(msg)
        except Exception:
            raise RuntimeError(msg) from None
        raise error


def _setup(dataset, worker_id, num_workers, seed, init_fn):
    global _info
    import fastnn
    fastnn.set_num_threads(1)
    fastnn.manual_seed(seed)
    random.seed(seed)
    _info = WorkerInfo(worker_id, num_workers, seed, dataset)
    if init_fn is not None:
        init_fn(worker_id)


def worker_loop(dataset, iterable, index_queue, result_queue, collate_fn, auto_batch,
                batch_size, drop_last, worker_id, num_workers, seed, init_fn):
    """Receive (epoch, number, indices) (map-style) or (epoch, None, None) (iterable: run
    through the dataset) until None; send (worker_id, epoch, number, batch), and for an
    iterable (worker_id, epoch, None, None) at its end. A failed setup sends number -1."""
    try:
        _setup(dataset, worker_id, num_workers, seed, init_fn)
    except Exception:
        result_queue.put((worker_id, -1, -1, ExceptionWrapper(
            f"in DataLoader worker process {worker_id}")))
        return
    while True:
        task = index_queue.get()
        if task is None:
            return
        epoch, number, indices = task
        if iterable:
            _iterate(dataset, result_queue, collate_fn, auto_batch, batch_size, drop_last,
                     worker_id, epoch)
            continue
        try:
            if auto_batch:
                data = collate_fn([dataset[i] for i in indices])
            else:
                data = collate_fn(dataset[indices])
        except Exception:
            data = ExceptionWrapper(f"in DataLoader worker process {worker_id}")
        result_queue.put((worker_id, epoch, number, data))


def _iterate(dataset, result_queue, collate_fn, auto_batch, batch_size, drop_last, worker_id,
             epoch):
    from .dataloader import iterable_batches
    number = 0
    try:
        for data in iterable_batches(dataset, collate_fn, auto_batch, batch_size, drop_last):
            result_queue.put((worker_id, epoch, number, data))
            number += 1
    except Exception:
        result_queue.put((worker_id, epoch, number,
                          ExceptionWrapper(f"in DataLoader worker process {worker_id}")))
    result_queue.put((worker_id, epoch, None, None))
