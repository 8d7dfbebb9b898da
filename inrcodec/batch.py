"""Encoding a folder of pictures: one bad file is reported and skipped, never the end of the batch,
and outputs that already exist are kept, so an interrupted batch resumes where it stopped."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from .errors import CodecError, InputError
from .files import write_bytes_atomically

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".webp", ".bmp", ".tif", ".tiff", ".ppm", ".pgm", ".gif"}


@dataclass
class BatchReport:
    encoded: list[Path] = field(default_factory=list)
    kept: list[Path] = field(default_factory=list)  # outputs that existed: not redone
    failed: list[tuple[Path, str]] = field(default_factory=list)


def encode_directory(input_dir: str | os.PathLike, output_dir: str | os.PathLike, *, force: bool = False,
                     on_file: Callable[[Path], None] | None = None, **encode_options) -> BatchReport:
    """Encode every picture of ``input_dir`` to ``output_dir/<name>.inr`` (``encode_options`` as
    for ``inrcodec.encode``); ``on_file(path)`` is called after each file, whatever its fate."""
    from .api import encode

    source, target = Path(input_dir), Path(output_dir)
    if not source.is_dir():
        raise InputError(f"{source}: no such directory")
    target.mkdir(parents=True, exist_ok=True)
    report = BatchReport()
    for path in sorted(p for p in source.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES):
        output = target / f"{path.stem}.inr"
        try:
            if output.exists() and not force:
                report.kept.append(output)
            else:
                write_bytes_atomically(output, encode(path, **encode_options).data, force=force)
                report.encoded.append(output)
        except CodecError as error:
            report.failed.append((path, str(error)))
        if on_file is not None:
            on_file(path)
    return report


def pictures_in(input_dir: str | os.PathLike) -> int:
    return sum(1 for p in Path(input_dir).iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
