"""Speed as a user meets it, through the command line on this machine: encodes running at the same
time, and batches.

- **Concurrency**: one ``inrcodec encode`` alone, then two started together, with the default
  threads (one per core) and with ``--threads 1``; the wall time of the pair over the one alone.
- **Batches**: ``inrcodec encode-dir`` of the same pictures in one process with every core's thread
  (``--workers 1``) and with one single-threaded worker per core (the default); pictures per minute.

Inputs: 128² centre crops of Kodak pictures (``--side``), ``--iters`` steps at the default quality.

    python -m benchmarks.speed            # ~8 min on 2 cores; run it with nothing else on the machine

Writes results/speed.json and prints a table.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from PIL import Image

from .common import RESULTS, kodak_image, run_description

CLI = [sys.executable, "-m", "inrcodec.cli.main"]


def _crops(folder: Path, names: list[str], side: int) -> list[Path]:
    paths = []
    for name in names:
        path = folder / f"{name}.png"
        Image.fromarray(kodak_image(name, crop=side)).save(path)
        paths.append(path)
    return paths


def _encode(picture: Path, iters: int, threads: int | None) -> subprocess.Popen:
    extra = [] if threads is None else ["--threads", str(threads)]
    return subprocess.Popen([*CLI, "encode", str(picture), "-o", str(picture.with_suffix(".inr")),
                             "--iters", str(iters), "--device", "cpu", "-f", "--quiet", *extra],
                            stdout=subprocess.DEVNULL)


def _wall(processes: list[subprocess.Popen], started: float) -> float:
    for process in processes:
        if process.wait() != 0:
            sys.exit("an encode failed")
    return time.perf_counter() - started


def concurrency(picture: Path, iters: int) -> list[dict]:
    rows = []
    for threads in (None, 1):
        started = time.perf_counter()
        alone = _wall([_encode(picture, iters, threads)], started)
        copy = picture.with_name(f"{picture.stem}_copy.png")
        copy.write_bytes(picture.read_bytes())
        started = time.perf_counter()
        pair = _wall([_encode(picture, iters, threads), _encode(copy, iters, threads)], started)
        rows.append(dict(threads="default (one per core)" if threads is None else threads, alone_s=alone,
                         pair_s=pair, ratio=pair / alone))
    return rows


def batches(folder: Path, iters: int) -> list[dict]:
    rows = []
    for workers in (1, None):
        output = folder / f"out_{workers}"
        extra = [] if workers is None else ["--workers", str(workers)]
        started = time.perf_counter()
        subprocess.run([*CLI, "encode-dir", str(folder), str(output), "--iters", str(iters), "--device", "cpu",
                        *extra], check=True, stdout=subprocess.DEVNULL)
        seconds = time.perf_counter() - started
        count = len(list(output.glob("*.inr")))
        rows.append(dict(workers="one per core (default)" if workers is None else workers, pictures=count,
                         seconds=seconds, per_minute=60 * count / seconds))
    return rows


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--side", type=int, default=128)
    parser.add_argument("--iters", type=int, default=300)
    parser.add_argument("--pictures", nargs="+", default=["kodim01", "kodim05", "kodim13", "kodim23"])
    args = parser.parse_args(argv)
    description = run_description(["python", "-m", "benchmarks.speed", *(sys.argv[1:] if argv is None else argv)])
    with tempfile.TemporaryDirectory() as scratch:
        single = Path(scratch) / "single"
        single.mkdir()
        together = concurrency(_crops(single, args.pictures[-1:], args.side)[0], args.iters)
        batch = Path(scratch) / "batch"
        batch.mkdir()
        _crops(batch, args.pictures, args.side)
        throughput = batches(batch, args.iters)
    result = {"run": description, "side": args.side, "iters": args.iters, "concurrency": together,
              "batches": throughput}
    (RESULTS / "speed.json").write_text(json.dumps(result, indent=1) + "\n")
    print(f"Speed, {description}; {args.side}² crops, {args.iters} steps, default quality.\n")
    print("| threads per encode | one alone s | two together s (wall) | ratio |\n|---|---:|---:|---:|")
    for row in together:
        print(f"| {row['threads']} | {row['alone_s']:.1f} | {row['pair_s']:.1f} | {row['ratio']:.2f} |")
    print("\n| encode-dir workers | pictures | seconds | pictures per minute |\n|---|---:|---:|---:|")
    for row in throughput:
        print(f"| {row['workers']} | {row['pictures']} | {row['seconds']:.1f} | {row['per_minute']:.2f} |")


if __name__ == "__main__":
    main()
