"""fastnn.utils.data against torch.utils.data: batches, seeded shuffles, splits, errors,
and a few runs with worker processes."""
import os

import numpy as np
import pytest

import fastnn
from fastnn.utils import data
from torch_compare import raises_like

X = np.arange(44, dtype=np.float32).reshape(11, 4)
Y = np.arange(11)


def _batches(loader):
    out = []
    for batch in loader:
        out.append([np.asarray(part).tolist() for part in batch])
    return out


@pytest.mark.parametrize("kwargs", [dict(), dict(batch_size=3), dict(batch_size=4,
                                    drop_last=True), dict(batch_size=None)])
def test_batches_as_torch(torch, kwargs):
    ours = data.DataLoader(data.TensorDataset(X, Y), **kwargs)
    theirs = torch.utils.data.DataLoader(
        torch.utils.data.TensorDataset(torch.from_numpy(X), torch.from_numpy(Y)), **kwargs)
    assert _batches(ours) == _batches(theirs)
    assert len(ours) == len(theirs)
    first = next(iter(ours))
    assert isinstance(first[0], fastnn.Tensor) and first[0].dtype == np.float32


def test_reachable_as_torch_utils_data():
    assert fastnn.utils.data.DataLoader is data.DataLoader
    with pytest.raises(AttributeError, match="has no attribute 'no_such_name'"):
        fastnn.no_such_name


def test_seeded_shuffle_is_torch_order(torch):
    ours = data.DataLoader(data.TensorDataset(X, Y), batch_size=3, shuffle=True,
                           generator=fastnn.Generator().manual_seed(5))
    theirs = torch.utils.data.DataLoader(
        torch.utils.data.TensorDataset(torch.from_numpy(X), torch.from_numpy(Y)),
        batch_size=3, shuffle=True, generator=torch.Generator().manual_seed(5))
    assert _batches(ours) == _batches(theirs)
    assert _batches(ours) == _batches(theirs)          # the next epoch too
    fastnn.manual_seed(3)
    torch.manual_seed(3)
    ours = data.DataLoader(data.TensorDataset(X, Y), batch_size=5, shuffle=True)
    theirs = torch.utils.data.DataLoader(
        torch.utils.data.TensorDataset(torch.from_numpy(X), torch.from_numpy(Y)),
        batch_size=5, shuffle=True)
    assert _batches(ours) == _batches(theirs)


def test_samplers_as_torch(torch):
    tdata = torch.utils.data
    g, tg = fastnn.Generator().manual_seed(1), torch.Generator().manual_seed(1)
    assert (list(data.RandomSampler(range(7), replacement=True, num_samples=40, generator=g))
            == list(tdata.RandomSampler(range(7), replacement=True, num_samples=40,
                                        generator=tg)))
    assert (list(data.RandomSampler(range(7), num_samples=10, generator=g))
            == list(tdata.RandomSampler(range(7), num_samples=10, generator=tg)))
    assert (list(data.SubsetRandomSampler([3, 5, 8, 9], generator=g))
            == list(tdata.SubsetRandomSampler([3, 5, 8, 9], generator=tg)))
    assert (list(data.BatchSampler(data.SequentialSampler(range(7)), 3, False))
            == list(tdata.BatchSampler(tdata.SequentialSampler(range(7)), 3, False)))
    custom = data.DataLoader(data.TensorDataset(X, Y), batch_sampler=[[0, 5], [2, 3, 4]])
    assert _batches(custom)[1][1] == [2, 3, 4]
    sampled = data.DataLoader(data.TensorDataset(X, Y), sampler=[4, 1], batch_size=2)
    assert _batches(sampled)[0][1] == [4, 1]


def test_sampler_errors_and_concat_as_torch(torch):
    tdata = torch.utils.data
    for ours, theirs in [
            (lambda: data.RandomSampler(range(3), num_samples=0),
             lambda: tdata.RandomSampler(range(3), num_samples=0)),
            (lambda: data.RandomSampler(range(3), replacement=1),
             lambda: tdata.RandomSampler(range(3), replacement=1)),
            (lambda: data.BatchSampler(range(3), 0, False),
             lambda: tdata.BatchSampler(range(3), 0, False)),
            (lambda: data.BatchSampler(range(3), 2, 1),
             lambda: tdata.BatchSampler(range(3), 2, 1)),
            (lambda: data.random_split(range(4), [0.5, 1.5]),
             lambda: tdata.random_split(range(4), [0.5, 1.5]))]:
        raises_like(theirs, ours)
    joined = data.TensorDataset(X[:3]) + data.TensorDataset(X[3:5])
    theirs = tdata.ConcatDataset([tdata.TensorDataset(torch.from_numpy(X[:3])),
                                  tdata.TensorDataset(torch.from_numpy(X[3:5]))])
    assert len(joined) == len(theirs) == 5
    for i in (0, 3, 4, -1, -5):
        np.testing.assert_array_equal(joined[i][0], theirs[i][0].numpy())


def test_random_split_as_torch(torch):
    for lengths in ([3, 8], [0.3, 0.3, 0.4]):
        ours = data.random_split(range(11), lengths, generator=fastnn.Generator().manual_seed(2))
        theirs = torch.utils.data.random_split(range(11), lengths,
                                               generator=torch.Generator().manual_seed(2))
        assert [list(s) for s in ours] == [list(s) for s in theirs]


def test_default_collate_as_torch(torch):
    from torch.utils.data import default_collate as torch_collate
    samples = [{"a": np.ones(2, np.float32) * i, "b": (i, 0.5 * i), "c": "s", "d": [i, i]}
               for i in range(3)]
    ours, theirs = data.default_collate(samples), torch_collate(samples)
    assert isinstance(ours["a"], fastnn.Tensor)
    np.testing.assert_array_equal(ours["a"], theirs["a"].numpy())
    assert type(ours["b"]) is type(theirs["b"]) is list
    assert ours["b"][0].dtype == np.int64 and ours["b"][1].dtype == np.float64
    assert ours["c"] == theirs["c"]
    assert [np.asarray(t).tolist() for t in ours["d"]] == [t.tolist() for t in theirs["d"]]
    for bad in ([object(), object()], [[1, 2], [1]]):
        raises_like(lambda: torch_collate(bad), lambda: data.default_collate(bad))


def test_iterable_dataset_and_errors(torch):
    class Stream(data.IterableDataset):
        def __iter__(self):
            return iter(range(7))

    class TorchStream(torch.utils.data.IterableDataset):
        def __iter__(self):
            return iter(range(7))

    assert (_batches(data.DataLoader(Stream(), batch_size=3))
            == _batches(torch.utils.data.DataLoader(TorchStream(), batch_size=3)))
    ds, tds = data.TensorDataset(X, Y), torch.utils.data.TensorDataset(torch.from_numpy(X))
    cases = [dict(num_workers=-1), dict(timeout=-1), dict(prefetch_factor=2),
             dict(persistent_workers=True), dict(sampler=[0], shuffle=True),
             dict(batch_sampler=[[0]], batch_size=2), dict(batch_size=None, drop_last=True)]
    for kwargs in cases:
        raises_like(lambda: torch.utils.data.DataLoader(tds, **kwargs),
                    lambda: data.DataLoader(ds, **kwargs))
    raises_like(lambda: torch.utils.data.DataLoader(TorchStream(), shuffle=True),
                lambda: data.DataLoader(Stream(), shuffle=True))
    raises_like(lambda: torch.utils.data.random_split(range(5), [2, 2]),
                lambda: data.random_split(range(5), [2, 2]))
    raises_like(lambda: torch.utils.data.TensorDataset(torch.ones(2), torch.ones(3)),
                lambda: data.TensorDataset(np.ones(2), np.ones(3)))


class _Squares(data.Dataset):
    def __len__(self):
        return 9

    def __getitem__(self, i):
        if i == 99:
            raise KeyError("no such sample")
        info = data.get_worker_info()
        return np.float32(i * i), info.id, fastnn.get_num_threads(), os.getpid()


def test_worker_processes(torch):
    loader = data.DataLoader(_Squares(), batch_size=2, num_workers=2)
    batches = _batches(loader)
    assert [b[0] for b in batches] == [[0, 1], [4, 9], [16, 25], [36, 49], [64]]
    assert sorted({w for b in batches for w in b[1]}) == [0, 1]     # both workers served
    assert {n for b in batches for n in b[2]} == {1}               # one kernel thread each
    with pytest.raises(KeyError, match="Caught KeyError in DataLoader worker process"):
        list(data.DataLoader(_Squares(), sampler=[99], num_workers=2))


class _Stream(data.IterableDataset):
    def __iter__(self):
        info = data.get_worker_info()
        return iter(range(info.id, 7, info.num_workers))


def test_persistent_workers_and_iterable_dataset_in_workers(torch):
    loader = data.DataLoader(_Squares(), batch_size=4, num_workers=2, persistent_workers=True)
    first, second = _batches(loader), _batches(loader)
    assert [b[0] for b in first] == [b[0] for b in second]
    assert {p for b in first for p in b[3]} == {p for b in second for p in b[3]}

    class TorchStream(torch.utils.data.IterableDataset):
        def __iter__(self):
            info = torch.utils.data.get_worker_info()
            return iter(range(info.id, 7, info.num_workers))

    ours = _batches(data.DataLoader(_Stream(), batch_size=2, num_workers=2))
    theirs = _batches(torch.utils.data.DataLoader(TorchStream(), batch_size=2, num_workers=2))
    assert ours == theirs
