"""Encoding a folder of pictures: one bad file is reported and skipped whatever goes wrong with it,
never the end of the batch, and outputs that already exist are kept, so an interrupted batch
resumes where it stopped. A picture is written to ``<name>.inr``, or ``<name>.<suffix>.inr`` where
two pictures share a name (``a.png`` and ``a.jpg``): no output is ever claimed by two inputs.

On a CPU the fits run in one single-threaded worker process per core (``workers``): on 2 cores
that gave 1.82× the pictures per minute of one process using both cores for each fit
(``benchmarks/RESULTS.md``, *Speed*). With
``ray_address``, the fits run as Ray tasks (``"local"`` starts a Ray instance on this
machine; one GPU per task where there are GPUs, so a machine with several uses them all) while
this process reads inputs and writes outputs; Ray is an optional extra (``pip install
'inrcodec[ray]'``)."""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from ..errors import CodecError, InputError
from ..files import write_bytes_atomically
from ..signals.image.io import is_picture_path


@dataclass
class BatchReport:
    encoded: list[Path] = field(default_factory=list)
    kept: list[Path] = field(default_factory=list)  # outputs that existed: not redone
    failed: list[tuple[Path, str]] = field(default_factory=list)


def encode_directory(input_dir: str | os.PathLike, output_dir: str | os.PathLike, *, force: bool = False,
                     ray_address: str | None = None, workers: int | None = None,
                     on_file: Callable[[Path], None] | None = None, **encode_options) -> BatchReport:
    """Encode every picture of ``input_dir`` to ``output_dir/<name>.inr`` (``encode_options`` as
    for ``inrcodec.encode``), in ``workers`` single-threaded processes (default: one per core on a
    CPU, one on a GPU); ``on_file(path)`` is called after each file, whatever its fate."""
    source, target = Path(input_dir), Path(output_dir)
    if not source.is_dir():
        raise InputError(f"{source}: no such directory")
    target.mkdir(parents=True, exist_ok=True)
    report = BatchReport()
    pending = []
    for path, name in output_names(sorted(p for p in source.iterdir() if is_picture_path(p))).items():
        output = target / name
        if output.exists() and not force:
            report.kept.append(output)
            if on_file is not None:
                on_file(path)
        else:
            pending.append((path, output))
    ray_address = ray_address or _local_ray_for_several_gpus()
    if ray_address:
        encoder = _ray_encoder(ray_address)
    else:
        encoder = functools.partial(_local_encoder, workers=_worker_count(workers, encode_options, len(pending)))
    for (path, output), outcome in zip(pending, encoder([p for p, _ in pending], encode_options)):
        if isinstance(outcome, bytes):
            try:
                write_bytes_atomically(output, outcome, force=force)
                report.encoded.append(output)
            except CodecError as error:
                report.failed.append((path, str(error)))
        else:
            report.failed.append((path, outcome))
        if on_file is not None:
            on_file(path)
    return report


def output_names(paths: list[Path]) -> dict[Path, str]:
    """Each picture's output name: ``<stem>.inr``, or ``<file name>.inr`` for pictures whose stems
    are the same (compared as a case-insensitive file system would)."""
    stems: dict[str, int] = {}
    for path in paths:
        stems[path.stem.casefold()] = stems.get(path.stem.casefold(), 0) + 1
    return {path: f"{path.stem if stems[path.stem.casefold()] == 1 else path.name}.inr" for path in paths}


def _local_ray_for_several_gpus() -> str | None:
    """On a machine with several GPUs (and Ray installed), spread the batch over all of them."""
    import importlib.util

    import torch

    several = torch.cuda.is_available() and torch.cuda.device_count() > 1
    return "local" if several and importlib.util.find_spec("ray") is not None else None


def _worker_count(workers: int | None, options: dict, pending: int) -> int:
    from ..device import resolve_device

    if workers is None:
        on_cpu = resolve_device(options.get("device", "auto")).type == "cpu"
        workers = len(os.sched_getaffinity(0)) if on_cpu else 1
    return max(1, min(workers, pending))


def _local_encoder(paths: list[Path], options: dict, workers: int = 1):
    """Results in the folder's order: in this process for one worker, else in ``workers``
    single-threaded processes (spawned: no fork of a process holding OpenMP threads)."""
    if workers == 1:
        for path in paths:
            data = _read(path)
            yield _encode_bytes(data, path.name, options) if isinstance(data, bytes) else data
        return
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(workers, mp_context=context, initializer=_single_threaded) as pool:
        inputs = [_read(path) for path in paths]
        futures = [pool.submit(_encode_bytes, data, path.name, options) if isinstance(data, bytes) else data
                   for path, data in zip(paths, inputs)]
        try:
            for future in futures:
                if isinstance(future, str):
                    yield future
                    continue
                try:
                    yield future.result()
                except Exception as error:  # noqa: BLE001 - a worker that died (killed, out of memory)
                    yield _failure(error)
        except BaseException:
            pool.shutdown(wait=False, cancel_futures=True)
            raise


def _single_threaded() -> None:
    import torch

    torch.set_num_threads(1)


def _ray_encoder(address: str):
    try:
        import ray
    except ImportError:
        raise InputError("--ray needs Ray: pip install 'inrcodec[ray]'") from None
    import torch

    def encoder(paths: list[Path], options: dict):
        ray.init(address=None if address == "local" else address, ignore_reinit_error=True,
                 log_to_driver=False)
        task = ray.remote(num_gpus=1 if torch.cuda.is_available() else 0)(_encode_bytes)
        inputs = [_read(path) for path in paths]
        futures = [task.remote(data, str(path), options) if isinstance(data, bytes) else data
                   for path, data in zip(paths, inputs)]
        for future in futures:  # in order, so outputs and reports follow the folder
            try:
                yield future if isinstance(future, str) else ray.get(future)
            except Exception as error:  # noqa: BLE001 - a task that died
                yield _failure(error)

    return encoder


def _encode_bytes(data: bytes, name: str, options: dict) -> bytes | str:
    """The bitstream of a picture file's bytes, or why there is none. Bytes rather than a path, so
    that Ray workers need no shared file system."""
    from ..api import encode

    try:
        return encode(data, **options).data
    except CodecError as error:
        return str(error).replace("<input>", name)
    except Exception as error:  # noqa: BLE001 - whatever one picture raises, the batch goes on
        return _failure(error)


def _read(path: Path) -> bytes | str:
    """A picture file's bytes, or why they cannot be read."""
    try:
        return path.read_bytes()
    except OSError as error:
        return f"cannot read it: {error.strerror or error}"


def _failure(error: BaseException) -> str:
    """An unexpected error, reported as one line."""
    return f"{type(error).__name__}: {error}".strip().splitlines()[0] if str(error) else type(error).__name__


def pictures_in(input_dir: str | os.PathLike) -> int:
    return sum(1 for p in Path(input_dir).iterdir() if is_picture_path(p))
