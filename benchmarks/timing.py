"""Wall-clock timings of the default codec on an idle machine: decoding real full-size files at ×1
and ×4 (with the process's peak memory) and encoding a 256² crop at the default level, with one
and with two threads.

    python -m benchmarks.timing            # ~5 min on 2 cores; run it with nothing else on the machine

Decodes: the Kodak bitstreams in results/files/ (the full-size encodes of ``benchmarks.rd
--standard``), median of 5 (×4: of 3) after a warm-up, in-process (no interpreter start-up: see
``benchmarks.startup``); the decoder is NumPy, on one thread. Encode: kodim23's 256² centre crop
at the default quality, once per thread count. Writes results/timing_<date>_<commit>.json (a new file each run) and prints a table.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys

import torch

import inrcodec
from inrcodec.presets import DEFAULT_QUALITY

from .common import RESULTS, fresh_result_path, kodak_image, median_seconds, run_description

FILES = RESULTS / "files"


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--threads", nargs="+", type=int, default=[1, 2])
    parser.add_argument("--image", default="kodim23")
    args = parser.parse_args(argv)
    description = run_description(["python", "-m", "benchmarks.timing", *(sys.argv[1:] if argv is None else argv)])
    output = fresh_result_path("timing")  # named for the commit the run starts at
    files = sorted(FILES.glob("kodim*.inr"))
    rows = []
    for path in files:  # the decoder runs in NumPy: one thread, whatever --threads says
        data = path.read_bytes()
        pixels = inrcodec.decode_image(data)  # warm-up
        rows.append(dict(task="decode", file=path.name, bytes=len(data), size=f"{pixels.shape[1]}x{pixels.shape[0]}",
                         threads=1, seconds=median_seconds(lambda: inrcodec.decode_image(data), repeats=5)))
        rows.append(dict(task="decode ×4", file=path.name, bytes=len(data),
                         size=f"{4 * pixels.shape[1]}x{4 * pixels.shape[0]}", threads=1,
                         seconds=median_seconds(lambda: inrcodec.decode_image(data, scale=4), repeats=3)))
    for threads in args.threads:
        torch.set_num_threads(threads)
        result = inrcodec.encode(kodak_image(args.image, 256), quality=DEFAULT_QUALITY, device="cpu")
        rows.append(dict(task="encode", file=f"{args.image} 256² crop, quality {DEFAULT_QUALITY}", bytes=result.bytes,
                         size="256x256", threads=threads, seconds=result.seconds))
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # the whole process, torch included
    output.write_text(json.dumps({"run": description, "rows": rows, "peak_rss_mb": peak_mb}, indent=1))
    print(f"Run: {description}; peak RSS of the process {peak_mb:.0f} MB; {output.name}.\n\n| task | input | bytes | size | threads | seconds |\n|---|---|---|---|---|---|")
    for row in rows:
        print(f"| {row['task']} | {row['file']} | {row['bytes']} | {row['size']} | {row['threads']} | {row['seconds']:.3f} |")


if __name__ == "__main__":
    main()
