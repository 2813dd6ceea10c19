"""Per-call cost of arithmetic on small Tensors: a plain ndarray, the __array_wrap__-only
subclass fastnn had before torch promotion ('main'), the cheapest possible Python
__array_ufunc__ ('floor') and fastnn.Tensor, in one process, interleaved, best of many runs.

    PYTHONPATH=. python benchmarks/tensor_arithmetic.py
"""
import timeit, numpy as np, fastnn

class Old(np.ndarray):          # main's Tensor arithmetic path: __array_wrap__ only
    __array_priority__ = 1.0
    def __array_wrap__(self, array, context=None, return_scalar=False):
        if return_scalar:
            return array[()]
        if isinstance(array, Old):
            return array
        return array.view(Old)

class Floor(np.ndarray):        # the least a Python __array_ufunc__ can cost: unwrap, call, wrap
    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        args = [np.ndarray.view(i, np.ndarray) if isinstance(i, np.ndarray) else i for i in inputs]
        return np.ndarray.view(np.asarray(getattr(ufunc, method)(*args, **kwargs)), Floor)

rng = np.random.default_rng(0)
a = rng.standard_normal((4, 4)).astype(np.float32); b = a.copy()
ia = np.array([1, 2, 3])
new = dict(x=a.view(fastnn.Tensor), y=b.view(fastnn.Tensor), i=ia.view(fastnn.Tensor), np=np)
old = dict(x=a.view(Old), y=b.view(Old), i=ia.view(Old), np=np)
plain = dict(x=a, y=b, i=ia, np=np)
floor = dict(x=a.view(Floor), y=b.view(Floor), i=ia.view(Floor), np=np)
cases = ["x + y", "x * 2.0", "x + 1", "x > 0", "i / 2", "np.exp(x)", "-x", "x.sum()", "x[0, 0]"]
print(f"{'op':10s} {'ndarray':>8s} {'main':>8s} {'floor':>8s} {'branch':>8s}  (us)")
for stmt in cases:
    best = {}
    for _ in range(5):
        for name, g in (("plain", plain), ("old", old), ("floor", floor), ("new", new)):
            t = min(timeit.repeat(stmt, globals=g, number=2000, repeat=5)) / 2000 * 1e6
            best[name] = min(best.get(name, 1e9), t)
    print(f"{stmt:10s} {best['plain']:8.2f} {best['old']:8.2f} {best['floor']:8.2f} "
          f"{best['new']:8.2f}")
