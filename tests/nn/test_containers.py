"""Sequential, ModuleList, ModuleDict, ParameterList, ParameterDict against torch: the same
script runs on both libraries and every repr, key list, result and error is compared."""
import copy
import pickle
from collections import OrderedDict

import numpy as np
import pytest

import fastnn
import fastnn.nn as fnn


def make_tag(nn):
    class Tag(nn.Module):
        """A leaf that adds its number, so chaining order is visible in the output."""

        def __init__(self, k):
            super().__init__()
            self.k = k

        def forward(self, x):
            return x * 10 + self.k

        def extra_repr(self):
            return f"k={self.k}"

    return Tag


def _outcome(fn):
    """(result, None) or (None, (exception class name, message))."""
    try:
        return fn(), None
    except Exception as e:              # noqa: BLE001 - the class is what we compare
        return None, (type(e).__name__, str(e))


def _as_fastnn_names(item):
    """torch's messages with its own class paths renamed to fastnn's."""
    if isinstance(item, tuple):
        return tuple(_as_fastnn_names(i) for i in item)
    if isinstance(item, str):
        return item.replace("<class 'torch.nn.", "<class 'fastnn.nn.")
    return item


def _compare(torch_lib, script):
    t_log, f_log = script(torch_lib.nn), script(fnn)
    t_log = [_as_fastnn_names(item) for item in t_log]
    assert len(f_log) == len(t_log)
    for i, (f_item, t_item) in enumerate(zip(f_log, t_log)):
        assert f_item == t_item, f"step {i}: fastnn {f_item!r} != torch {t_item!r}"
    return f_log


def _sequential_script(nn):
    Tag = make_tag(nn)
    log = []
    s = nn.Sequential(Tag(1), Tag(2), Tag(3), Tag(4))
    log += [repr(s), len(s), repr(s[0]), repr(s[-1]), repr(s[1:3]), repr(s[::-2])]
    log.append([k for k, _ in s[2:].named_children()])   # a slice keeps the names
    log.append(s(0))
    s[1] = Tag(20)
    s[-1] = Tag(40)
    log.append(repr(s))
    del s[0]
    log.append(repr(s))
    del s[::2]
    log.append(repr(s))
    log.append(repr(s.append(Tag(5))))
    log.append(repr(s.insert(0, Tag(0))))
    log.append(repr(s.insert(-1, Tag(-1))))
    log.append(repr(s.insert(len(s), Tag(9))))
    log.append(repr(s.extend([Tag(6), Tag(7)])))
    log.append(repr(s.pop(1)))
    log.append([repr(m) for m in s])
    log.append(repr(s + nn.Sequential(Tag(8))))
    s += nn.Sequential(Tag(11))
    log.append(repr(s))
    log.append(repr(nn.Sequential(Tag(1)) * 2))
    log.append(repr(2 * nn.Sequential(Tag(1))))
    d = nn.Sequential(Tag(1), Tag(2))
    d *= 2
    log.append(repr(d))
    log.append(repr(nn.Sequential()))
    log.append(nn.Sequential()(5))
    named = nn.Sequential(OrderedDict([("conv", Tag(1)), ("act", Tag(2))]))
    log += [repr(named), repr(named[1:]), named(1)]
    log.append("0" in dir(s))
    for bad in (lambda: s[100], lambda: s[-100], lambda: s["a"], lambda: s.insert(99, Tag(1)),
                lambda: s.insert(0, 3), lambda: s + 3, lambda: s * 0, lambda: s * 1.5,
                lambda: nn.Sequential(5), lambda: nn.Sequential()[0],
                lambda: s.__setitem__(50, Tag(1)), lambda: s.__delitem__(50)):
        log.append(_outcome(bad)[1])
    return log


def test_sequential_matches_torch(torch):
    log = _compare(torch, _sequential_script)
    assert log[7] == ((((0 * 10 + 1) * 10 + 2) * 10 + 3) * 10 + 4)   # forward chains in order


def _modulelist_script(nn):
    Tag = make_tag(nn)
    log = []
    ml = nn.ModuleList([Tag(1), Tag(1), Tag(2), Tag(1)])
    log += [repr(ml), len(ml), repr(ml[-1]), repr(ml[1:]), type(ml[1:]).__name__]
    ml.append(Tag(3)).extend([Tag(4), Tag(4)])
    log.append(repr(ml))
    ml.insert(1, Tag(9))
    ml.insert(0, Tag(8))
    log.append(repr(ml))
    ml[0] = Tag(7)
    ml[-1] = Tag(6)
    del ml[1]
    del ml[-3:]
    log.append(repr(ml))
    log.append(repr(ml.pop(0)))
    log.append(repr(ml + nn.ModuleList([Tag(0)])))
    log.append(type(ml + [Tag(0)]).__name__)
    ml += [Tag(5)]
    log.append([repr(m) for m in ml])
    log.append([k for k, _ in ml.named_modules()])
    log.append(repr(nn.ModuleList()))
    log.append(repr(nn.ModuleList([nn.Sequential(Tag(1)), nn.Sequential(Tag(1))])))
    for bad in (lambda: ml[10], lambda: ml[-10], lambda: ml["x"], lambda: ml.extend(5),
                lambda: ml.append(3), lambda: nn.ModuleList([1]), lambda: ml(1),
                lambda: ml.__setitem__(10, Tag(1))):
        log.append(_outcome(bad)[1])
    return log


def test_modulelist_matches_torch(torch):
    log = _compare(torch, _modulelist_script)
    assert "(0-1): 2 x Tag(k=1)" in log[0]


def _moduledict_script(nn):
    Tag = make_tag(nn)
    log = []
    md = nn.ModuleDict({"b": Tag(1), "a": Tag(2)})
    log += [repr(md), list(md), list(md.keys()), [repr(v) for v in md.values()],
            [(k, repr(v)) for k, v in md.items()], len(md), "a" in md, "z" in md]
    md["c"] = Tag(3)
    md.update([("d", Tag(4)), ("a", Tag(22))])
    md.update(OrderedDict([("e", Tag(5))]))
    md.update(nn.ModuleDict({"f": Tag(6)}))
    log.append(repr(md))
    log.append(repr(md.pop("b")))
    del md["c"]
    log.append(list(md))
    log.append([k for k, _ in md.named_modules()])
    md.clear()
    log.append(repr(md))
    for bad in (lambda: md["zz"], lambda: md.update(5), lambda: md.update([("a", Tag(1), 2)]),
                lambda: md.update([3]), lambda: md.__setitem__("x.y", Tag(1)),
                lambda: md.__setitem__("keys", Tag(1)), lambda: md.__setitem__("q", 3),
                lambda: md.pop("nothing")):
        log.append(_outcome(bad)[1])
    return log


def test_moduledict_matches_torch(torch):
    _compare(torch, _moduledict_script)


def _parameter_containers_script(nn, zeros):
    log = []
    pl = nn.ParameterList([nn.Parameter(zeros(2, 3)), zeros(3, dtype="float64"), "x"])
    log += [repr(pl), len(pl), type(pl[1]).__name__, [k for k, _ in pl.named_parameters()]]
    pl.append(zeros(1))
    pl[0] = zeros(4, 4)
    log += [repr(pl), repr(pl[1:3]), list(pl.state_dict())]
    pd = nn.ParameterDict({"b": zeros(2), "a": nn.Parameter(zeros(1)), "c": 5})
    log += [repr(pd), list(pd), list(pd.keys()), len(pd), "a" in pd]
    pd.update(OrderedDict([("z", zeros(3)), ("y", zeros(3))]))
    pd["m"] = zeros(1, 2)
    log += [repr(pd), list(pd.state_dict()), type(pd["z"]).__name__]
    log.append(pd.popitem()[0])
    log.append(type(pd.pop("a")).__name__)
    log.append(pd.get("nothing", "default"))
    log.append(type(pd.setdefault("n", zeros(1))).__name__)
    log.append(list(pd.copy()))
    log.append(list(pd | nn.ParameterDict({"extra": zeros(1)})))
    log.append(list(reversed(pd)))
    log.append(list(pd.fromkeys(["p", "q"])))
    pd.clear()
    log.append(len(pd))
    for bad in (lambda: pl[5], lambda: pl(1), lambda: pl.extend(3), lambda: pd[3],
                lambda: pd["missing"], lambda: pd.update(3), lambda: pd.update([(1, 2, 3)]),
                lambda: pd(1), lambda: pd.popitem()):
        log.append(_outcome(bad)[1])
    return log


def test_parameter_containers_match_torch(torch):
    def torch_zeros(*shape, dtype="float32"):
        return torch.zeros(shape, dtype=getattr(torch, dtype))

    def np_zeros(*shape, dtype="float32"):
        return np.zeros(shape, dtype)

    _compare(torch, lambda nn: _parameter_containers_script(
        nn, torch_zeros if nn is torch.nn else np_zeros))


def test_parameter_list_makes_parameters_sharing_memory():
    a = np.zeros(3, np.float32)
    pl = fnn.ParameterList([a])
    assert isinstance(pl[0], fnn.Parameter) and np.shares_memory(pl[0], a)
    p = fnn.Parameter(np.zeros(2, np.float32))
    pl.append(p)
    assert pl[1] is p


@pytest.mark.parametrize("make", [
    lambda: fnn.Sequential(fnn.Identity(), fnn.Flatten()),
    lambda: fnn.ModuleList([fnn.Identity(), fnn.Flatten(0)]),
    lambda: fnn.ModuleDict({"a": fnn.Identity(), "b": fnn.Unflatten(0, (1, -1))}),
    lambda: fnn.ParameterList([np.ones(2, np.float32)]),
    lambda: fnn.ParameterDict({"w": np.ones(2, np.float32)}),
])
def test_containers_pickle_and_deepcopy(make):
    c = make()
    for clone in (pickle.loads(pickle.dumps(c)), copy.deepcopy(c)):
        assert repr(clone) == repr(c)
        assert list(clone.state_dict()) == list(c.state_dict())
        for p in clone.parameters():
            assert isinstance(p, fnn.Parameter)


def test_sequential_runs_without_torch():
    Tag = make_tag(fnn)
    s = fnn.Sequential(Tag(1), Tag(2))
    assert s(np.zeros(1))[0] == 12
    assert repr(s[::-1]) == "Sequential(\n  (1): Tag(k=2)\n  (0): Tag(k=1)\n)"
    with pytest.raises(IndexError, match="index 2 is out of range"):
        s[2]
    x = np.arange(3.0).view(fastnn.Tensor)
    assert fnn.Sequential()(x) is x
