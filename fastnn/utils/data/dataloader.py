"""DataLoader, as ``torch.utils.data.DataLoader``: batches of a dataset, in one process
or in worker processes.

Each epoch draws torch's base seed (one int64 from `generator`, or from the default
generator) before its sampler runs, so a shuffled epoch with a seeded generator gives
torch's order. Workers (``num_workers > 0``) are `multiprocessing` processes (the default
start method, or `multiprocessing_context`); each runs fastnn's kernels on one thread and
is seeded ``base_seed + worker_id`` when it starts. Batches come back in sampler order.
Workers are started for each epoch, or once with `persistent_workers` (then they keep
the seed of the epoch that started them, as torch's). `pin_memory` does nothing on the
CPU.
"""
import itertools
import multiprocessing
import queue

from . import _worker
from .collate import default_collate, default_convert
from .dataset import IterableDataset
from .sampler import BatchSampler, RandomSampler, SequentialSampler, int64_seed

__all__ = ["DataLoader", "get_worker_info"]

get_worker_info = _worker.get_worker_info

_POLL_SECONDS = 5.0


class _InfiniteConstantSampler:
    def __iter__(self):
        while True:
            yield None


class DataLoader:
    """Iterate over `dataset` in batches. Arguments and defaults are torch's: batch_size,
    shuffle, sampler, batch_sampler, num_workers, collate_fn, pin_memory, drop_last,
    timeout, worker_init_fn, multiprocessing_context, generator, prefetch_factor,
    persistent_workers.

    Example::
        >>> data = TensorDataset(fastnn.randn(10, 3), fastnn.arange(10))
        >>> for x, y in DataLoader(data, batch_size=4, shuffle=True): ...
    """

    def __init__(self, dataset, batch_size=1, shuffle=None, sampler=None, batch_sampler=None,
                 num_workers=0, collate_fn=None, pin_memory=False, drop_last=False,
                 timeout=0, worker_init_fn=None, multiprocessing_context=None,
                 generator=None, *, prefetch_factor=None, persistent_workers=False,
                 pin_memory_device="", in_order=True):
        if num_workers < 0:
            raise ValueError("num_workers option should be non-negative; use num_workers=0 "
                             "to disable multiprocessing.")
        if timeout < 0:
            raise ValueError("timeout option should be non-negative")
        if num_workers == 0 and prefetch_factor is not None:
            raise ValueError("prefetch_factor option could only be specified in "
                             "multiprocessing.let num_workers > 0 to enable multiprocessing, "
                             "otherwise set prefetch_factor to None.")
        if num_workers > 0 and prefetch_factor is None:
            prefetch_factor = 2
        elif prefetch_factor is not None and prefetch_factor < 0:
            raise ValueError("prefetch_factor option should be non-negative")
        if persistent_workers and num_workers == 0:
            raise ValueError("persistent_workers option needs num_workers > 0")
        iterable = isinstance(dataset, IterableDataset)
        if iterable:
            if shuffle not in {False, None}:
                raise ValueError("DataLoader with IterableDataset: expected unspecified "
                                 f"shuffle option, but got shuffle={shuffle}")
            if sampler is not None:
                raise ValueError("DataLoader with IterableDataset: expected unspecified "
                                 f"sampler option, but got sampler={sampler}")
            if batch_sampler is not None:
                raise ValueError("DataLoader with IterableDataset: expected unspecified "
                                 f"batch_sampler option, but got batch_sampler={batch_sampler}")
        else:
            shuffle = bool(shuffle)
        if sampler is not None and shuffle:
            raise ValueError("sampler option is mutually exclusive with shuffle")
        if batch_sampler is not None:
            if batch_size != 1 or shuffle or sampler is not None or drop_last:
                raise ValueError("batch_sampler option is mutually exclusive with batch_size, "
                                 "shuffle, sampler, and drop_last")
            batch_size, drop_last = None, False
        elif batch_size is None and drop_last:
            raise ValueError("batch_size=None option disables auto-batching and is mutually "
                             "exclusive with drop_last")
        if sampler is None:
            if iterable:
                sampler = _InfiniteConstantSampler()
            elif shuffle:
                sampler = RandomSampler(dataset, generator=generator)
            else:
                sampler = SequentialSampler(dataset)
        if batch_size is not None and batch_sampler is None:
            batch_sampler = BatchSampler(sampler, batch_size, drop_last)
        self.dataset = dataset
        self.batch_size = batch_size
        self.drop_last = drop_last
        self.sampler = sampler
        self.batch_sampler = batch_sampler
        self.num_workers = num_workers
        self.prefetch_factor = prefetch_factor
        self.pin_memory = pin_memory
        self.timeout = timeout
        self.worker_init_fn = worker_init_fn
        self.multiprocessing_context = multiprocessing_context
        self.generator = generator
        self.persistent_workers = persistent_workers
        self._iterable = iterable
        if collate_fn is None:
            collate_fn = default_collate if self._auto_collation else default_convert
        self.collate_fn = collate_fn

    @property
    def _auto_collation(self):
        return self.batch_sampler is not None

    @property
    def _index_sampler(self):
        return self.batch_sampler if self._auto_collation else self.sampler

    def __len__(self):
        if self._iterable:
            length = len(self.dataset)
            if self.batch_size is not None:
                whole, rest = divmod(length, self.batch_size)
                length = whole if self.drop_last or not rest else whole + 1
            return length
        return len(self._index_sampler)

    def __iter__(self):
        seed = int64_seed(self.generator)      # torch's base seed, drawn before sampling
        if self.num_workers == 0:
            return self._single_process(seed)
        if not self.persistent_workers:
            return _MultiProcessIter(self, seed)
        workers = getattr(self, "_persistent", None)
        if workers is None or workers._done:
            workers = self._persistent = _MultiProcessIter(self, seed)
        else:
            workers.next_epoch()
        return workers

    def _single_process(self, seed):
        if self._iterable:
            yield from iterable_batches(self.dataset, self.collate_fn, self._auto_collation,
                                        self.batch_size, self.drop_last)
            return
        for indices in self._index_sampler:
            if self._auto_collation:
                yield self.collate_fn([self.dataset[i] for i in indices])
            else:
                yield self.collate_fn(self.dataset[indices])


def iterable_batches(dataset, collate_fn, auto_batch, batch_size, drop_last):
    """The batches of an IterableDataset, in one process."""
    samples = iter(dataset)
    if not auto_batch:
        for sample in samples:
            yield collate_fn(sample)
        return
    while True:
        batch = list(itertools.islice(samples, batch_size))
        if not batch or (drop_last and len(batch) < batch_size):
            return
        yield collate_fn(batch)


class _MultiProcessIter:
    """One epoch over worker processes; batches are yielded in sampler order."""

    def __init__(self, loader, seed):
        context = loader.multiprocessing_context
        if context is None:
            context = multiprocessing.get_context()
        elif isinstance(context, str):
            context = multiprocessing.get_context(context)
        self._loader = loader
        self._timeout = loader.timeout or None
        self._results = context.Queue()
        self._index_queues, self._workers = [], []
        for worker_id in range(loader.num_workers):
            index_queue = context.Queue()
            worker = context.Process(target=_worker.worker_loop, daemon=True, args=(
                loader.dataset, loader._iterable, index_queue, self._results,
                loader.collate_fn, loader._auto_collation, loader.batch_size,
                loader.drop_last, worker_id, loader.num_workers, seed + worker_id,
                loader.worker_init_fn))
            worker.start()
            self._index_queues.append(index_queue)
            self._workers.append(worker)
        self._done = False
        self._epoch = -1
        self.next_epoch()

    def next_epoch(self):
        """Start an epoch on these workers (results of an abandoned one are dropped)."""
        self._epoch += 1
        if self._loader._iterable:
            self._batches = self._iterable_order()
        else:
            self._batches = self._map_order()

    def __iter__(self):
        return self

    def __next__(self):
        try:
            return next(self._batches)
        except StopIteration:
            if not self._loader.persistent_workers:
                self._shutdown()
            raise
        except BaseException:
            self._shutdown()
            raise

    def __len__(self):
        return len(self._loader)

    def _get(self):
        """The next (worker_id, number, data) of this epoch from any worker; a dead worker
        or the loader's timeout is an error, as in torch."""
        waited = 0.0
        while True:
            try:
                worker_id, epoch, number, data = self._results.get(timeout=_POLL_SECONDS)
                if number == -1:
                    _unwrap(data)
                if epoch == self._epoch:
                    return worker_id, number, data
                continue
            except queue.Empty:
                waited += _POLL_SECONDS
                dead = [w.pid for w in self._workers if not w.is_alive()]
                if dead:
                    pids = ", ".join(str(p) for p in dead)
                    raise RuntimeError(f"DataLoader worker (pid(s) {pids}) exited "
                                       "unexpectedly") from None
                if self._timeout is not None and waited >= self._timeout:
                    raise RuntimeError(f"DataLoader timed out after {self._timeout} "
                                       "seconds") from None

    def _map_order(self):
        loader = self._loader
        tasks = enumerate(loader._index_sampler)
        workers = itertools.cycle(range(loader.num_workers))
        outstanding, buffered, wanted = 0, {}, 0
        exhausted = False
        limit = max(1, loader.prefetch_factor * loader.num_workers)
        while True:
            while not exhausted and outstanding < limit:
                task = next(tasks, None)
                if task is None:
                    exhausted = True
                    break
                self._index_queues[next(workers)].put((self._epoch,) + task)
                outstanding += 1
            if wanted in buffered:
                data = buffered.pop(wanted)
                wanted += 1
                yield _unwrap(data)
                continue
            if outstanding == 0:
                return
            _, number, data = self._get()
            outstanding -= 1
            buffered[number] = data

    def _iterable_order(self):
        """torch's order for an IterableDataset: one batch from each live worker in turn."""
        n = self._loader.num_workers
        for index_queue in self._index_queues:
            index_queue.put((self._epoch, None, None))
        buffered = [dict() for _ in range(n)]
        ended, wanted = [False] * n, [0] * n

        def finished(w):
            return ended[w] and wanted[w] not in buffered[w]

        turn = 0
        while not all(finished(w) for w in range(n)):
            worker = turn % n
            turn += 1
            if finished(worker):
                continue
            while wanted[worker] not in buffered[worker] and not ended[worker]:
                worker_id, number, data = self._get()
                if number is None:
                    ended[worker_id] = True
                else:
                    buffered[worker_id][number] = data
            if wanted[worker] in buffered[worker]:
                data = buffered[worker].pop(wanted[worker])
                wanted[worker] += 1
                yield _unwrap(data)

    def _shutdown(self):
        if self._done:
            return
        self._done = True
        for index_queue in self._index_queues:
            index_queue.put(None)
        for worker in self._workers:
            worker.join(timeout=_POLL_SECONDS)
            if worker.is_alive():
                worker.terminate()
        for q in self._index_queues + [self._results]:
            q.cancel_join_thread()
            q.close()

    def __del__(self):
        self._shutdown()


def _unwrap(data):
    if isinstance(data, _worker.ExceptionWrapper):
        data.reraise()
    return data
