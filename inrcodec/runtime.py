"""How an encode uses the machine: how many CPU threads it fits with, and what the memory
allocator does with the tensors a training step frees.

**Threads.** PyTorch's OpenMP threads spin while they wait for each other; two encodes of one thread per core
each on a 2-core machine took 21.6× the time of one alone, while with this rule (the second one
single-threaded) two took 1.56× (``benchmarks/RESULTS.md``, *Speed*). So an encode takes every
core only when no other inrcodec encode is running on the machine (it holds an exclusive lock on a
file in the temporary folder while it fits); one that starts while another runs fits with one
thread. ``--threads N`` overrides this. The seed gives the same bytes at the same thread count.

**Memory.** A training step allocates and frees the same large tensors (activations, gradients:
megabytes each) thousands of times. glibc's malloc serves blocks over 128 KB by mmap and returns
them to the system on free, so every step pays page faults on fresh memory: a latent-model MLP's
forward and backward on a 256² picture took 10 ms instead of 4.7. ``keep_freed_memory`` raises the
mmap and trim thresholds to 1 GB so that freed blocks are reused; the process's resident memory
then stays near its peak instead of shrinking between steps.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import functools
import tempfile
from pathlib import Path

import torch

LOCK_PATH = Path(tempfile.gettempdir()) / "inrcodec-encode.lock"
KEPT_BLOCK_BYTES = 1 << 30  # blocks up to this size come from (and go back to) the heap
M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3  # glibc's mallopt parameters


@functools.cache
def keep_freed_memory() -> bool:
    """Make glibc's malloc keep freed blocks for reuse (once per process); False where the C
    library is not glibc (nothing changes there)."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    return bool(mallopt(M_MMAP_THRESHOLD, KEPT_BLOCK_BYTES) and mallopt(M_TRIM_THRESHOLD, KEPT_BLOCK_BYTES))


@contextlib.contextmanager
def fit_threads(requested: int | None = None):
    """Within the block, torch uses ``requested`` threads, or, unrequested, its current count if
    this is the only encode on the machine and one thread otherwise; restored on exit."""
    previous = torch.get_num_threads()
    with contextlib.ExitStack() as stack:
        if requested is not None:
            torch.set_num_threads(requested)
        elif previous > 1 and not _sole_encode(stack):
            torch.set_num_threads(1)
        try:
            yield torch.get_num_threads()
        finally:
            torch.set_num_threads(previous)


def _sole_encode(stack: contextlib.ExitStack) -> bool:
    """Take the machine-wide encode lock without waiting (held until ``stack`` closes): False if
    another encode holds it. Where locks are unavailable (no fcntl, a read-only temporary folder),
    every encode counts as the only one."""
    try:
        import fcntl

        handle = stack.enter_context(open(LOCK_PATH, "a"))
    except (ImportError, OSError):
        return True
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return False
    return True
