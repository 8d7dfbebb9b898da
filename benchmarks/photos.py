"""Photographs of every size: the encoder's peak memory and time per step from 0.4 to 24 megapixels,
the rate-distortion of the tiled training against the code before it, and the effort ladder.

    python -m benchmarks.photos memory [--megapixels 0.4 3 12 24] [--iters 10]
    python -m benchmarks.photos equal --baseline ../old-checkout [--iters 500]
    python -m benchmarks.photos ladder [--efforts fast] [--levels 2 4]

Every encode runs in a fresh process (its peak RSS is its own), one single-threaded process per core
for the multi-picture runs. ``memory`` encodes Kodak pictures resized bicubically to the size asked
for (the only photographs at hand: smoother than a camera's, which changes the rate, not the
memory or the time per step), then decodes the file in another fresh process. ``equal`` encodes two
whole Kodak pictures at equal steps with this code and with the checkout at ``--baseline``, both at
once (one per core). ``ladder`` encodes the standard protocol's full-size set at each effort.
Results are appended to ``results/photos_<mode>_<tag>.jsonl`` (no run overwrites another).
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).resolve().parent / "results"
KODAK = ROOT.parent / "shared" / "data" / "kodak"
FULL_SIZE_IMAGES = ("kodim03", "kodim05", "kodim13", "kodim23")  # benchmarks.rd's full-size set


def _job(job: dict) -> dict:
    """Run in a fresh process: encode (and with ``decode_only``, decode a file) and measure."""
    import resource
    import time

    import numpy as np
    from PIL import Image

    import inrcodec

    peak = lambda: resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # noqa: E731
    if job.get("decode"):
        from inrcodec.decoder import decode_image
        data = Path(job["decode"]).read_bytes()
        started = time.perf_counter()
        pixels = decode_image(data)
        return dict(decode_seconds=time.perf_counter() - started, decode_peak_rss_mb=peak() / 2**20,
                    decoded_shape=list(pixels.shape))
    picture = Image.open(KODAK / f"{job['picture']}.png").convert("RGB")
    if job.get("megapixels"):
        width = round((job["megapixels"] * 1e6 * picture.width / picture.height) ** 0.5)
        picture = picture.resize((width, round(width * picture.height / picture.width)), Image.BICUBIC)
    pixels = np.asarray(picture)
    options = dict(quality=job["level"], iterations=job.get("iters"), threads=job["threads"])
    if job.get("effort"):
        options["effort"] = job["effort"]
    step_seconds = []
    if job.get("time_steps"):  # this code's optimize reports a step's time
        import inrcodec.latent_fit as latent_fit
        optimize = latent_fit.optimize

        def timed_optimize(*args, **kwargs):
            kwargs["timed"] = step_seconds.append
            return optimize(*args, **kwargs)

        latent_fit.optimize = timed_optimize
    started = time.perf_counter()
    result = inrcodec.encode(pixels, **options)
    seconds = time.perf_counter() - started
    if job.get("keep"):
        Path(job["keep"]).parent.mkdir(parents=True, exist_ok=True)
        Path(job["keep"]).write_bytes(result.data)
    height, width = pixels.shape[:2]
    return dict(code_file=inrcodec.__file__, width=width, height=height, megapixels=width * height / 1e6,
                bytes=result.bytes, bpp=result.bpp,
                psnr=result.psnr, encode_seconds=seconds, seconds_per_step=step_seconds[0] if step_seconds else None,
                peak_rss_mb=peak() / 2**20, bar_mb=(2**30 + 512 * width * height) / 2**20)


def run(job: dict, code: Path = ROOT) -> dict:
    """``_job`` in a fresh interpreter importing inrcodec from ``code``."""
    environment = dict(os.environ, PYTHONPATH=str(code), OMP_NUM_THREADS=str(job["threads"]))
    done = subprocess.run([sys.executable, __file__, "job", json.dumps(job)], env=environment, capture_output=True,
                          text=True, cwd=code)
    if done.returncode:
        return dict(job, error=done.stderr.strip().splitlines()[-1] if done.stderr.strip() else "failed")
    return dict(job, **json.loads(done.stdout.strip().splitlines()[-1]))


def _append(path: Path, row: dict) -> None:
    with path.open("a") as file:
        file.write(json.dumps(row) + "\n")
    print(json.dumps(row), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("mode", choices=("memory", "equal", "ladder", "job"))
    parser.add_argument("job", nargs="?", help=argparse.SUPPRESS)
    parser.add_argument("--megapixels", type=float, nargs="+", default=[0.4, 3, 12, 24])
    parser.add_argument("--iters", type=int, help="steps of each encode (memory: 10; equal: 500)")
    parser.add_argument("--threads", type=int, default=2, help="memory: threads of the encode")
    parser.add_argument("--baseline", type=Path, help="equal: a checkout of the code to compare with")
    parser.add_argument("--pictures", nargs="+", default=["kodim05", "kodim23"])
    parser.add_argument("--efforts", nargs="+", default=["fast", "default", "thorough"])
    parser.add_argument("--levels", type=int, nargs="+", default=[2, 4])
    parser.add_argument("--tag", default=datetime.date.today().isoformat())
    args = parser.parse_args()
    if args.mode == "job":
        print(json.dumps(_job(json.loads(args.job))))
        return
    out = RESULTS / f"photos_{args.mode}_{args.tag}.jsonl"
    if args.mode == "memory":
        for megapixels in args.megapixels:
            keep = str(RESULTS / "files" / args.tag / f"photo_{megapixels:g}mp.inr")
            row = run(dict(picture="kodim05", megapixels=megapixels, level=4, iters=args.iters or 10,
                           threads=args.threads, keep=keep, time_steps=True))
            if "error" not in row:
                row.update(run(dict(decode=keep, threads=args.threads)))
            _append(out, row)
    elif args.mode == "equal":
        if args.baseline is None:
            parser.error("equal needs --baseline")
        jobs = [(dict(picture=picture, level=4, iters=args.iters or 500, threads=1, code=str(code)), code)
                for picture in args.pictures for code in (ROOT, args.baseline.resolve())]
        with ThreadPoolExecutor(2) as pool:  # this code and the baseline side by side, one core each
            for row in pool.map(lambda job: run(*job), jobs):
                _append(out, row)
    else:
        jobs = [dict(picture=picture, level=level, effort=effort, threads=1, time_steps=True,
                     keep=str(RESULTS / "files" / args.tag / f"{picture}_q{level}_{effort}.inr"))
                for effort in args.efforts for picture in FULL_SIZE_IMAGES for level in args.levels]
        with ThreadPoolExecutor(2) as pool:
            for row in pool.map(run, jobs):
                _append(out, row)


if __name__ == "__main__":
    main()
