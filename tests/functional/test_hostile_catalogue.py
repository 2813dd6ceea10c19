"""Bad arguments for every op of the catalogue (tests/op_catalogue): each sample's input
one dim short or long, of an integer dtype or not an array at all, and each keyword
argument replaced by a hostile value. Where torch refuses, fastnn refuses with torch's
exception class and message (a TypeError from torch's argument parser, whose message
lists every overload, is matched by class only); where torch answers, fastnn gives
torch's answer (or, for a non-float dtype, a clear TypeError/RuntimeError: fastnn
computes in float32/64).
The hypothesis-driven sweeps with per-op strategies are in test_hostile.py."""
import re
import warnings

import numpy as np
import pytest

import fastnn
from op_catalogue import as_tuple, cases
from op_catalogue.layouts import assert_unchanged, snapshot

HOSTILE_VALUES = [-1, 0, 2.5, "2", None, True]   # huge values: test_hostile.py (no torch)

# Differences found by this sweep, each pinned until fixed: (entry op prefix, mutation) ->
# what torch does instead.
KNOWN = {
    ("conv", "dilation=0"): "torch: 'non-positive dilation is not supported'",
    ("conv", "dilation=-1"): "torch: 'dilation should be greater than zero' (no sizes)",
    ("operator", "string input"): "str + Tensor: numpy's ValueError (could not convert "
                                  "string to float), torch's TypeError",
    ("operator", "int64 input"): "integer Tensor arithmetic is torch's (not a refusal)",
    ("max_unpool", "kernel_size=True"): "torch: of several invalid indices, the one its "
                                        "threads meet last (varies run to run; fastnn: the "
                                        "last in order, torch's one-thread answer)",
    ("topk", "int64 input"): "values as torch's; the indices of tied (truncated) values come "
                             "in an order torch leaves unspecified",
}


def mutations(arrays, kwargs):
    """(label, arrays, kwargs) of each hostile variation of one call."""
    x = arrays[0]
    yield "one dim short", [x[0]] + arrays[1:], kwargs
    yield "one dim more", [x[None]] + arrays[1:], kwargs
    yield "int64 input", [x.astype(np.int64)] + arrays[1:], kwargs
    yield "string input", ["x"] + arrays[1:], kwargs
    for name in kwargs:
        if name == "training":          # random answers: test_hostile.py's dropout sweep
            continue
        for value in HOSTILE_VALUES:
            yield f"{name}={value!r}", arrays, dict(kwargs, **{name: value})


def _torch_args(torch, arrays):
    return [torch.from_numpy(np.array(a, copy=True)) if isinstance(a, np.ndarray) else a
            for a in arrays]


@pytest.mark.filterwarnings("ignore::UserWarning")
@pytest.mark.parametrize("entry, sample", cases("hostile", lambda entry: not entry.random))
def test_bad_arguments_get_torchs_answer_or_error(entry, sample, torch):
    arrays = sample.arrays(np.float32, np.random.default_rng(6))
    for label, args, kwargs in mutations(arrays, sample.kwargs):
        try:
            want, expected = as_tuple(entry.torch_fn(torch)(*_torch_args(torch, args),
                                                            **kwargs)), None
        except Exception as error:          # noqa: BLE001 - torch's refusal is the oracle
            want, expected = None, error
        given = [a if isinstance(a, np.ndarray) else None for a in args]
        before = snapshot(given)
        try:
            with warnings.catch_warnings(), np.errstate(all="ignore"):
                warnings.simplefilter("ignore")
                got, error = as_tuple(entry.fn(*args, **kwargs)), None
        except MemoryError as oom:
            pytest.fail(f"{label}: MemoryError instead of a clear refusal: {oom}")
        except Exception as refused:        # noqa: BLE001 - compared below
            got, error = None, refused
        assert_unchanged(given, before, written=entry.inplace)
        kind = "operator" if "torch_inputs" in entry.skips else entry.op
        if any(kind.startswith(op) and label == mutation for op, mutation in KNOWN):
            continue
        if label == "int64 input" and isinstance(error, (TypeError, RuntimeError)):
            continue                        # fastnn computes in float32/64 only
        if expected is not None:
            assert error is not None, f"{label}: torch refuses ({expected!r}), fastnn accepts"
            if type(expected) is AttributeError:    # torch's Python wrapper reads .size
                expected = TypeError()
            assert isinstance(error, type(expected)), (label, error, expected)
            if type(expected) is not TypeError:    # argument parser: every overload
                # fastnn's tensor types are fastnn.FloatTensor ... (x.type()) where torch's
                # messages name torch.FloatTensor
                wanted = re.sub(r"\btorch\.(\w+Tensor)\b", r"fastnn.\1", str(expected))
                assert re.fullmatch(re.escape(wanted), str(error)), (label, error, expected)
        elif error is not None:
            pytest.fail(f"{label}: torch accepts, fastnn refuses: {error!r}")
        else:
            for g, w in zip(got, want):
                assert isinstance(g, fastnn.Tensor)
                np.testing.assert_allclose(np.asarray(g), w.numpy(), rtol=1e-4, atol=1e-4,
                                           equal_nan=True, err_msg=label)
