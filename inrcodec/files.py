"""Writing outputs so that an interrupted or failed write never leaves a partial file behind."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Callable

from .errors import InputError


def write_atomically(path: str | os.PathLike, write: Callable[[str], None], *, force: bool) -> None:
    """Call ``write(temporary_path)`` and move the result to ``path`` only once it is complete.

    Refuses to replace an existing ``path`` unless ``force``. On any failure (including Ctrl-C)
    the temporary file is removed and ``path`` is left as it was.
    """
    path = Path(path)
    if path.exists() and not force:
        raise InputError(f"{path} already exists (use --force to overwrite it)")
    directory = path.parent if str(path.parent) else Path(".")
    if not directory.is_dir():
        raise InputError(f"{directory}: no such directory")
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=directory)
    os.close(handle)
    try:
        write(temporary)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def write_bytes_atomically(path: str | os.PathLike, data: bytes, *, force: bool) -> None:
    write_atomically(path, lambda temporary: Path(temporary).write_bytes(data), force=force)
