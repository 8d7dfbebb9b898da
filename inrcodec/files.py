"""Writing outputs so that an interrupted or failed write never leaves a partial file behind.

An output is written to a temporary name beside it, flushed to disk, given the mode any Unix tool
would give it (0666 or 0777 less the umask: the temporary's private mode must not survive), then
renamed into place and the folder flushed, so a crash leaves the old file or the new one.
"""

from __future__ import annotations

import functools
import os
import shutil
import tempfile
import uuid
from pathlib import Path
from typing import Callable

from .errors import OutputError

RENAME_EXCHANGE = 2  # Linux renameat2 flag: swap two names in one step
AT_FDCWD = -100


def _umask() -> int:
    """The process's umask, read without changing it where the system says it (Linux)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o022)  # elsewhere: the only portable way to read it
    os.umask(mask)
    return mask


def _sync(path: str | os.PathLike) -> None:
    """Flush a file's or folder's contents to disk (where the system allows it for folders)."""
    try:
        descriptor = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass  # some file systems cannot fsync a folder
    finally:
        os.close(descriptor)


def _sync_tree(folder: Path) -> None:
    for name in sorted(folder.rglob("*")):
        _sync(name)
    _sync(folder)


def write_atomically(path: str | os.PathLike, write: Callable[[str], None], *, force: bool) -> None:
    """Call ``write(temporary_path)`` and move the result to ``path`` only once it is complete.

    Refuses to replace an existing ``path`` unless ``force``. On any failure (including Ctrl-C)
    the temporary file is removed and ``path`` is left as it was; a failed write (full disk, no
    permission) becomes an ``OutputError``.
    """
    path = Path(path)
    refuse_existing(path, force=force)
    directory = path.parent
    if not directory.is_dir():
        raise OutputError(f"{directory}: no such directory")
    try:
        handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=directory)
    except OSError as error:
        raise OutputError(f"cannot write in {directory}: {error.strerror}") from None
    os.close(handle)
    try:
        write(temporary)
        os.chmod(temporary, 0o666 & ~_umask())
        _sync(temporary)
        os.replace(temporary, path)
        _sync(directory)
    except OSError as error:
        Path(temporary).unlink(missing_ok=True)
        raise OutputError(f"cannot write {path}: {error.strerror or error}") from None
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def refuse_existing(path: str | os.PathLike, *, force: bool) -> None:
    """Outputs are never replaced unless asked: checked before any work is done."""
    if Path(path).exists() and not force:
        raise OutputError(f"{path} already exists (use --force to overwrite it)")


def write_bytes_atomically(path: str | os.PathLike, data: bytes, *, force: bool) -> None:
    write_atomically(path, lambda temporary: Path(temporary).write_bytes(data), force=force)


def write_directory_atomically(path: str | os.PathLike, write: Callable[[Path], None], *, force: bool) -> None:
    """Call ``write(temporary_directory)`` and move the directory to ``path`` once it is complete
    (replacing an existing ``path`` only if ``force``, by swapping the two in one step, so that
    ``path`` always holds the old folder or the new one); on any failure nothing is left behind."""
    path = Path(path)
    refuse_existing(path, force=force)
    if not path.parent.is_dir():
        raise OutputError(f"{path.parent}: no such directory")
    try:
        temporary = Path(tempfile.mkdtemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent))
    except OSError as error:
        raise OutputError(f"cannot write in {path.parent}: {error.strerror}") from None
    try:
        write(temporary)
        os.chmod(temporary, 0o777 & ~_umask())
        _sync_tree(temporary)
        if path.exists() or path.is_symlink():
            _exchange(temporary, path)  # the old entry now has the temporary name
            if temporary.is_dir() and not temporary.is_symlink():
                shutil.rmtree(temporary, ignore_errors=True)
            else:
                temporary.unlink(missing_ok=True)
        else:
            os.replace(temporary, path)
        _sync(path.parent)
    except OSError as error:
        shutil.rmtree(temporary, ignore_errors=True)
        raise OutputError(f"cannot write {path}: {error.strerror or error}") from None
    except BaseException:
        shutil.rmtree(temporary, ignore_errors=True)
        raise


@functools.cache
def _renameat2():
    """libc's renameat2 (Linux, glibc 2.28+), or None (ctypes loads here: only a folder swap needs it,
    and ctypes.util costs every command 20 ms of start-up)."""
    import ctypes
    import ctypes.util

    try:
        function = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True).renameat2
    except (OSError, AttributeError):
        return None
    function.argtypes = (ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint)
    return function


def _exchange(first: Path, second: Path) -> None:
    """Swap two names (folders, or a folder and a file) in one step where the system can (Linux
    renameat2); elsewhere move the old aside and the new in, the only moment without either being
    between two renames."""
    function = _renameat2()
    if function is not None and function(AT_FDCWD, os.fsencode(first), AT_FDCWD, os.fsencode(second),
                                         RENAME_EXCHANGE) == 0:
        return
    aside = second.parent / f".{second.name}.{uuid.uuid4().hex}.old"
    os.replace(second, aside)
    os.replace(first, second)
    os.replace(aside, first)
