"""What the tests that spy on a kernel's launch share: an argument found by its name."""
import inspect


def kernel_argument(kernel, args, name):
    """The argument `name` of `kernel` (a Numba dispatcher) in the positional `args` it
    was launched with."""
    return args[list(inspect.signature(kernel.py_func).parameters).index(name)]
