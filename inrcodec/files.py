"""Writing outputs so that an interrupted or failed write never leaves a partial file behind."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Callable

from .errors import OutputError


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
        os.replace(temporary, path)
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
    (replacing an existing ``path`` only if ``force``); on any failure nothing is left behind."""
    import shutil

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
        if path.exists():
            if not path.is_dir():
                path.unlink()
            else:
                shutil.rmtree(path)
        os.replace(temporary, path)
    except OSError as error:
        shutil.rmtree(temporary, ignore_errors=True)
        raise OutputError(f"cannot write {path}: {error.strerror or error}") from None
    except BaseException:
        shutil.rmtree(temporary, ignore_errors=True)
        raise
