"""What the benchmark scripts share: finding the data, loading crops, describing the run."""

from __future__ import annotations

import csv
import datetime
import multiprocessing
import os
import platform
import subprocess
import sys
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path
from typing import Callable, Iterable

import numpy as np
import torch
from PIL import Image

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"
RESULTS = REPO / "benchmarks" / "results"


def kodak_image(name: str, crop: int | None = None) -> np.ndarray:
    """A Kodak image from ../shared/data/kodak, optionally its centre ``crop × crop``."""
    path = SHARED_DATA / "kodak" / f"{name}.png"
    if not path.is_file():
        sys.exit(f"{path} not found: the benchmarks read Kodak from ../shared/data beside the repo")
    pixels = np.asarray(Image.open(path).convert("RGB"))
    if crop:
        top, left = (pixels.shape[0] - crop) // 2, (pixels.shape[1] - crop) // 2
        pixels = np.ascontiguousarray(pixels[top:top + crop, left:left + crop])
    return pixels


def median_seconds(function, repeats: int = 3) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return float(np.median(times))


def machine() -> str:
    if torch.cuda.is_available():
        return f"{torch.cuda.get_device_name()} (torch {torch.__version__})"
    cores = len(__import__("os").sched_getaffinity(0))
    return f"CPU {platform.processor() or platform.machine()}, {cores} cores, torch {torch.__version__}"


def _single_threaded() -> None:
    torch.set_num_threads(1)


def run_in_workers(task: Callable, jobs: Iterable, workers: int | None = None,
                   on_result: Callable | None = None) -> list:
    """``task(job)`` for every job, in ``workers`` processes (default: one per core) of one thread
    each — on 2 cores that beats one process with two threads (DESIGN §7). ``on_result(job,
    result)`` sees each result as it arrives (so a long run writes as it goes); the results come
    back in job order."""
    jobs = list(jobs)
    workers = workers or len(os.sched_getaffinity(0))
    os.environ.setdefault("OMP_NUM_THREADS", "1")  # inherited by the spawned workers
    results = [None] * len(jobs)
    context = multiprocessing.get_context("spawn")  # no fork of a process with OpenMP threads
    with ProcessPoolExecutor(workers, mp_context=context, initializer=_single_threaded) as pool:
        futures = {pool.submit(task, job): index for index, job in enumerate(jobs)}
        for future in as_completed(futures):
            index = futures[future]
            results[index] = future.result()
            if on_result is not None:
                on_result(jobs[index], results[index])
    return results


def read_csv_rows(path: Path) -> list[dict]:
    """The rows of a results CSV (none if it does not exist yet)."""
    if not path.exists():
        return []
    with open(path, newline="") as handle:
        return list(csv.DictReader(handle))


def append_csv_rows(path: Path, columns: tuple[str, ...], rows: list[dict]) -> None:
    """Append ``rows`` to a results CSV (with a header if it is new), floats to 6 significant digits:
    long runs write each result as it comes."""
    new = not path.exists()
    with open(path, "a", newline="") as handle:
        writer = csv.DictWriter(handle, columns)
        if new:
            writer.writeheader()
        for row in rows:
            writer.writerow({key: (f"{value:.6g}" if isinstance(value, float) else value) for key, value in row.items()})


def _commit() -> str:
    return subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True,
                          text=True).stdout.strip() or "uncommitted"


def fresh_result_path(stem: str, suffix: str = ".json") -> Path:
    """``results/<stem>_<date>_<commit>[_n]<suffix>``, a file no earlier run wrote: every figure in
    RESULTS.md keeps the file it came from."""
    base = f"{stem}_{datetime.date.today().isoformat()}_{_commit()}"
    path, count = RESULTS / f"{base}{suffix}", 1
    while path.exists():
        count += 1
        path = RESULTS / f"{base}_{count}{suffix}"
    return path


def run_description(command: list[str]) -> str:
    commit = _commit()
    status = subprocess.run(["git", "status", "--porcelain", "--", "inrcodec", "cli", "benchmarks",
                             ":!benchmarks/results", ":!benchmarks/RESULTS.md"],
                            cwd=REPO, capture_output=True, text=True).stdout.splitlines()
    changed = sorted({line[3:].split("/")[0] for line in status if line.strip()})
    changes = f" with uncommitted changes to {', '.join(changed)}" if changed else ""
    return (f"command `{' '.join(command)}`, commit {commit}{changes}, "
            f"{machine()}, {datetime.date.today().isoformat()}")
