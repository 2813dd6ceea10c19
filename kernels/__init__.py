"""fastnn's Numba kernels (installed as ``fastnn.kernels``).

Kernels are plain ``@njit`` loops that write into a caller-given ``out`` array: no argument
checks, no allocation of outputs, no Python objects. The functional layer
(``fastnn.nn.functional``) validates, allocates and picks the kernel.
"""
