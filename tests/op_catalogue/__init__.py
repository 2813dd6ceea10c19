"""The op catalogue: one entry (`OpInfo`) per op that passes fastnn's door, in the spirit of
PyTorch's OpInfo (torch/testing/_internal/opinfo). The generic sweeps iterate it:

* layouts     (tests/functional/test_hostile_layouts.py): hostile memory layouts, torch tensors
* nonfinite   (tests/functional/test_nonfinite.py): NaN / inf land where torch puts them
* hostile     (tests/functional/test_hostile_catalogue.py): bad arguments get torch's error
* memory      (tests/functional/test_memory_catalogue.py): inputs untouched, the output
              owns fresh memory of the metadata the op's schema announces
* variants    (tests/kernels/test_variants.py): every variant of the op agrees with torch
* grad        (tests/autograd/test_grad_catalogue.py): gradients of every float input
              agree with torch's, and in float64 with central differences

A new op gets every check by adding one entry to the catalogue (functional.py,
arithmetic.py, tensor_ops.py); `tests/runtime/test_catalogue_coverage.py` fails while an op in
`fastnn.ops.registered()` has none. A simple op is a few lines:

    OpInfo("relu6", F.relu6, "nn.functional.relu6", [Sample((3, 4, 5))])

An entry skips a sweep only with a reason (``skips={"nonfinite": "why"}``); the sweeps
report the skip with that reason, so it stays visible.
"""
import dataclasses

import numpy as np

SWEEPS = ("layouts", "torch_inputs", "nonfinite", "nan_torch_free", "hostile", "memory",
          "variants", "grad")
FLOATS = (np.float32, np.float64)


@dataclasses.dataclass(frozen=True)
class Sample:
    """One call: array arguments of these `shapes` (None passes None) then `kwargs`.

    `positive`: indices of array arguments drawn > 0 (variances); `label` names the sample
    in test ids.
    """
    shapes: tuple
    kwargs: dict = dataclasses.field(default_factory=dict)
    positive: tuple = ()
    label: str = ""

    def __init__(self, *shapes, positive=(), label="", **kwargs):
        object.__setattr__(self, "shapes", shapes)
        object.__setattr__(self, "kwargs", kwargs)
        object.__setattr__(self, "positive", positive)
        object.__setattr__(self, "label", label)

    def arrays(self, dtype, rng):
        made = []
        for i, shape in enumerate(self.shapes):
            if shape is None:
                made.append(None)
                continue
            a = rng.standard_normal(shape)
            made.append((np.abs(a) + 0.5 if i in self.positive else a).astype(dtype))
        return made


@dataclasses.dataclass(frozen=True)
class OpInfo:
    """Everything the generic sweeps need to know about one op.

    name        the test id (unique in the catalogue)
    fn          the fastnn callable: ``fn(*arrays, **kwargs)``
    ref         the torch reference: a dotted name under the torch module
                ("nn.functional.conv2d") or ``ref(torch) -> callable``
    samples     `Sample`s: small, seeded; every sweep runs on each of them
    op          the registered op the call reaches (default: `name`)
    numpy_ref   a torch-free reference ``numpy_ref(*arrays, **kwargs)`` or None
    reference_inputs  ``reference_inputs() -> iterable of (arrays, kwargs)``: more,
                seeded random cases for the variant sweep (None: the samples only)
    dtypes      the dtypes of the float arguments
    random      draws from the default generator (dropout in training)
    torch_stream  with `random`: the draws are torch's own numbers under the same seed
                (False: numpy's samplers on fastnn's generator, compared with
                fastnn's own draws only; tests/tensor/test_random_sampling.py holds
                their torch parity)
    rtol32      tolerance against torch in float32 (float64: 1e-10)
    variant_tol (float32, float64) tolerance of the variant sweep, rtol = atol
    nan_fills   a NaN input makes every output NaN (False: some; conv, pad, comparisons)
    view        the result may share memory with an input (views, identities)
    sums        a float reduction whose rounding follows the memory order: the layout
                sweep compares within rtol (torch's own sums differ by layout)
    inplace     the op writes its result into its first argument and returns it (torch's
                trailing underscore): the sweeps expect that argument changed, the others not
    skips       sweep name -> the reason the sweep does not apply
    no_grad     indices of array arguments that never require grad in the gradient sweep
                (running statistics: torch refuses them)
    """
    name: str
    fn: object
    ref: object
    samples: tuple
    op: str = None
    numpy_ref: object = None
    reference_inputs: object = None
    dtypes: tuple = FLOATS
    random: bool = False
    torch_stream: bool = True
    rtol32: float = 1e-5
    variant_tol: tuple = (2e-4, 1e-10)
    nan_fills: bool = True
    view: bool = False
    sums: bool = False
    inplace: bool = False
    skips: dict = dataclasses.field(default_factory=dict)
    no_grad: tuple = ()

    def __post_init__(self):
        object.__setattr__(self, "samples", tuple(self.samples))
        if self.op is None:
            object.__setattr__(self, "op", self.name)
        unknown = set(self.skips) - set(SWEEPS)
        if unknown:
            raise ValueError(f"{self.name}: unknown sweeps {sorted(unknown)}")

    def __str__(self):
        return self.name

    def call(self, arrays, **kwargs):
        if self.random:
            import fastnn
            fastnn.manual_seed(0)
        return self.fn(*arrays, **kwargs)

    def torch_fn(self, torch):
        if callable(self.ref):
            return self.ref(torch)
        target = torch
        for part in self.ref.split("."):
            target = getattr(target, part)
        return target

    def torch_call(self, torch, arrays, **kwargs):
        if self.random:
            torch.manual_seed(0)
        tensors = [None if a is None else torch.from_numpy(np.array(a, copy=True))
                   for a in arrays]
        return self.torch_fn(torch)(*tensors, **kwargs)

    def rtol(self, dtype):
        return self.rtol32 if np.dtype(dtype) == np.float32 else 1e-10

    @property
    def variants(self):
        """The names of the registered op's variants. Ufunc ops register on first use:
        one call on the first sample registers them."""
        import fastnn.ops
        if self.op not in fastnn.ops.registered():
            sample = self.samples[0]
            self.call(sample.arrays(self.dtypes[0], np.random.default_rng(0)), **sample.kwargs)
        return fastnn.ops.registered()[self.op]


def as_tuple(result):
    return tuple(result) if isinstance(result, tuple) else (result,)


def cases(sweep, where=None):
    """(entry, sample) pairs of the catalogue for `sweep`, as pytest params whose id is
    ``name[-label]``; entries that skip the sweep come out marked skip with their reason.
    `where(entry)` filters."""
    import pytest
    params = []
    for entry in entries():
        if where is not None and not where(entry):
            continue
        marks = ([pytest.mark.skip(reason=f"{entry.name}: {entry.skips[sweep]}")]
                 if sweep in entry.skips else [])
        for sample in entry.samples:
            ident = entry.name + (f"-{sample.label}" if sample.label else "")
            params.append(pytest.param(entry, sample, id=ident, marks=marks))
    return params


def entries():
    from .functional import FUNCTIONAL
    from .arithmetic import ARITHMETIC
    from .tensor_ops import TENSOR_OPS
    from .losses import LOSSES
    from .special import SPECIAL
    return FUNCTIONAL + ARITHMETIC + TENSOR_OPS + LOSSES + SPECIAL


def compare(got, want, rtol):
    """fastnn results `got` against torch's `want`: Tensor, shape, dtype, values (NaN at the
    same places)."""
    import fastnn
    got, want = as_tuple(got), as_tuple(want)
    assert len(got) == len(want)
    for g, w in zip(got, want):
        assert isinstance(g, fastnn.Tensor), type(g)
        g, w = np.asarray(g), w.numpy()
        assert g.shape == w.shape
        assert g.dtype.newbyteorder("=") == w.dtype, (g.dtype, w.dtype)
        np.testing.assert_allclose(g, w, rtol=rtol, atol=rtol, equal_nan=True)
