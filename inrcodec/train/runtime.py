"""How an encode uses the machine: how many CPU threads it fits with, and what the memory
allocator does with the tensors a training step frees.

**Threads.** PyTorch's OpenMP threads spin while they wait for each other; two encodes of one thread per core
each on a 2-core machine took 21.6× the time of one alone (small encodes: 128² crops, 300 steps;
1.65× on that protocol with the rule below, 1.2× for default encodes). So an encode takes every core only
while no other inrcodec encode of the same user runs on the machine: it holds an exclusive lock on a
file while it fits; one that starts meanwhile fits with one thread and says so by a
shared lock on a second file, which the first checks between training steps (``share_cores``)
and then goes on with one thread too. Every encode does this (``encode_signal``: the command
line, the Python API, ``encode-dir``'s workers); ``--threads N`` (``threads=``) overrides it. The seed gives the
same bytes at the same thread count, so only a requested count makes the bytes independent of
what else runs (``benchmarks/RESULTS.md``, *Speed*, has the timings). The lock files live in a folder
of the user's own (``$XDG_RUNTIME_DIR/inrcodec``, else ``inrcodec-<uid>`` in the temporary folder,
mode 0700; ``INRCODEC_RUNTIME_DIR`` overrides it), so no other user can pin anyone's encodes to one
thread. Where no such folder or no lock can be had, an encode does not coordinate: it takes every
core. Torch's thread count belongs to the process, so encodes called from several Python threads of
one process take turns (``fit_threads`` holds a process-wide lock).

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
import importlib.util
import os
import stat
import tempfile
import threading
from pathlib import Path

import torch


RUNTIME_DIR_VARIABLE = "INRCODEC_RUNTIME_DIR"  # where the locks live (the test suite sets its own)
LOCK_NAME = "encode.lock"  # held by the encode that has every core
OTHERS_NAME = "encode.others"  # shared by every other encode
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


_watched_others = None  # while this process's encode has every core: the file other encodes lock
_one_encode_per_process = threading.RLock()  # torch's thread count is process-wide


def lock_directory() -> Path | None:
    """This user's private folder for the encode locks (created mode 0700), or None where there is
    none that only this user can write to."""
    chosen = os.environ.get(RUNTIME_DIR_VARIABLE)
    if chosen:
        folder = Path(chosen)
    elif os.environ.get("XDG_RUNTIME_DIR"):
        folder = Path(os.environ["XDG_RUNTIME_DIR"]) / "inrcodec"
    else:
        folder = Path(tempfile.gettempdir()) / f"inrcodec-{os.getuid() if hasattr(os, 'getuid') else 'user'}"
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        status = folder.lstat()
    except OSError:
        return None
    private = stat.S_ISDIR(status.st_mode) and not status.st_mode & (stat.S_IWGRP | stat.S_IWOTH)
    if hasattr(os, "getuid") and status.st_uid != os.getuid():
        return None  # made by someone else: they could hold or replace our locks
    return folder if private else None


@contextlib.contextmanager
def fit_threads(requested: int | None = None):
    """Within the block, torch uses ``requested`` threads, or, unrequested, its current count if
    this is the only encode on the machine (until another starts: ``share_cores``) and one thread
    otherwise; restored on exit."""
    global _watched_others
    with _one_encode_per_process, contextlib.ExitStack() as stack:
        previous = torch.get_num_threads()
        folder = lock_directory()
        every_core = requested is None and previous > 1 and (
            folder is None or _lock(stack, folder / LOCK_NAME, exclusive=True))
        if every_core:
            _watched_others = folder and _lockable(stack, folder / OTHERS_NAME)
        else:
            if folder is not None:  # waits at most for another encode's check between two steps
                _lock(stack, folder / OTHERS_NAME, exclusive=False, wait=True)
            torch.set_num_threads(requested or 1)
        try:
            yield torch.get_num_threads()
        finally:
            torch.set_num_threads(previous)
            if every_core:
                _watched_others = None


def share_cores() -> None:
    """Between training steps: if this encode fits on every core and another encode has started
    since, go on with one thread."""
    global _watched_others
    if _watched_others is None:
        return
    import fcntl

    try:
        fcntl.flock(_watched_others, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:  # another encode holds its shared lock
        torch.set_num_threads(1)
        _watched_others = None
        return
    except OSError:  # locks stopped working: nothing to learn from them any more
        _watched_others = None
        return
    fcntl.flock(_watched_others, fcntl.LOCK_UN)


def _lock(stack: contextlib.ExitStack, path: Path, exclusive: bool, wait: bool = False) -> bool:
    """Lock ``path`` (without waiting unless ``wait``), held until ``stack`` closes: False only if
    another process holds it. Where locking fails for any other reason (no fcntl, no permission, a
    file system without locks), True: an encode that cannot coordinate behaves as if alone."""
    handle = _lockable(stack, path)
    if handle is None:
        return True
    import fcntl

    try:
        fcntl.flock(handle, (fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH) | (0 if wait else fcntl.LOCK_NB))
    except BlockingIOError:
        return False
    except OSError:
        return True
    return True


def _lockable(stack: contextlib.ExitStack, path: Path):
    """``path`` opened for ``flock`` until ``stack`` closes, or None where that cannot be done."""
    if importlib.util.find_spec("fcntl") is None:  # POSIX only
        return None
    try:
        return stack.enter_context(open(path, "a"))
    except OSError:
        return None
