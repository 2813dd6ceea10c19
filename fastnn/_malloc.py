"""glibc's malloc, primed for activations: freed arrays of a few MiB are reused, not unmapped.

glibc serves an allocation above its mmap threshold (128 KiB at start) with fresh pages,
and moves the threshold up to the size of the largest such block freed so far, with its
trim threshold (heap memory kept free at the top before it is returned to the system)
at twice that. A forward pass frees its activations a few at a time: with thresholds set by
blocks of a few MiB, the heap top grows past the trim threshold, is returned, and every
later forward faults its pages in again (`python benchmarks/page_faults.py` counts them per
forward of the zoo's models, with and without this).

`prime()` allocates and frees one block of PRIME_BYTES, as a process does after its first
large temporary: glibc's own rule then keeps blocks up to that size on the heap, and up to
twice that free at its top. It is process-wide (as any large free is) and does nothing but
that; FASTNN_MALLOC_PRIME=0 in the environment leaves malloc as it was. So does any of
glibc's own threshold settings in the environment (MALLOC_TRIM_THRESHOLD_ and the like, which
dask.distributed gives its workers): glibc then keeps its thresholds fixed.
"""
import os
import platform

import numpy as np

# under glibc's ceiling for the dynamic threshold (32 MiB on 64-bit)
PRIME_BYTES = 31 << 20


def prime():
    """Raise glibc's mmap and trim thresholds as one freed PRIME_BYTES block does; a no-op
    off glibc or with FASTNN_MALLOC_PRIME=0."""
    if os.environ.get("FASTNN_MALLOC_PRIME", "1") == "0":
        return
    if platform.libc_ver()[0] != "glibc":
        return
    block = np.empty(PRIME_BYTES, np.uint8)      # never touched: no page is faulted in
    del block
