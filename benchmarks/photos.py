"""Photographs of every size: the encoder's peak memory and time per step from 0.4 to 24 megapixels,
the rate-distortion of the tiled training against the code before it, and the effort ladder.

    python -m benchmarks.photos memory [--megapixels 0.4 3 12 24] [--iters 10 | --effort draft]
    python -m benchmarks.photos equal --baseline ../old-checkout [--iters 500]
    python -m benchmarks.photos ladder [--efforts fast] [--levels 2 4]
    python -m benchmarks.photos summary [--default results/rd_standard_full_2026-12-04.csv]
    python -m benchmarks.photos decode --files results/files/2026-12-04-s35-24mp/photo_24mp.inr

Every encode runs in a fresh process (its peak RSS is its own), one single-threaded process per core
for the multi-picture runs. ``memory`` encodes Kodak pictures resized bicubically to the size asked
for (the only photographs at hand: smoother than a camera's, which changes the rate, not the
memory or the time per step), then decodes the file in another fresh process. ``equal`` encodes two
whole Kodak pictures at equal steps with this code and with the checkout at ``--baseline``, both at
once (one per core). ``decode`` decodes files already made, each in a fresh process. ``ladder`` encodes the standard protocol's full-size set at each effort.
Results are appended to ``results/photos_<mode>_<tag>.jsonl`` (no run overwrites another);
``summary`` writes their tables to ``results/photos_summary_<tag>.md``, the ladder's BD-rates
against the default effort's curve — a ladder run's, else the ``rd --standard`` run given.
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
    options = dict(quality=job["level"], iterations=job.get("iters"), threads=job["threads"], seed=job.get("seed", 0))
    if job.get("effort"):
        options["effort"] = job["effort"]
    step_seconds = []
    if job.get("time_steps"):  # this code's optimize reports a step's time
        import inrcodec.models.latent.fit as latent_fit
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
                steps=result.steps, bytes=result.bytes, bpp=result.bpp,
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


def _rows(mode: str, tag: str) -> list[dict]:
    path = RESULTS / f"photos_{mode}_{tag}.jsonl"
    rows = [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []
    return [row for row in rows if "error" not in row]


def summarize(tag: str, default_csv: Path | None, ladder_tags: tuple[str, ...] = ()) -> str:
    """The memory, equal-steps and ladder tables of run ``tag`` (markdown); the ladder's also
    gathers the rows of the runs ``ladder_tags`` (efforts measured in different runs)."""
    from benchmarks.bdrate import bd_rate

    lines = [f"# Photographs of every size ({tag})", "", "| size | megapixels | peak RSS MB | bar MB (1 GB + 0.5 KB/px) "
             "| s per step | encode s (steps) | decode s | decode peak MB |", "|---|---|---|---|---|---|---|---|"]
    for row in _rows("memory", tag):
        lines.append(f"| {row['width']}×{row['height']} | {row['megapixels']:.1f} | {row['peak_rss_mb']:.0f} | "
                     f"{row['bar_mb']:.0f} | {row['seconds_per_step']:.2f} | {row['encode_seconds']:.0f} ({row.get('steps', row['iters'])}) | "
                     f"{row.get('decode_seconds', float('nan')):.1f} | {row.get('decode_peak_rss_mb', float('nan')):.0f} |")
    lines += ["", "| picture | seed | steps | bpp now / before | PSNR dB now / before | Δ dB | encode s now / before |",
              "|---|---|---|---|---|---|---|"]
    equal = _rows("equal", tag)
    for now, before in zip(equal[::2], equal[1::2]):
        lines.append(f"| {now['picture']} | {now.get('seed', 0)} | {now['iters']} | {now['bpp']:.4f} / {before['bpp']:.4f} | "
                     f"{now['psnr']:.2f} / {before['psnr']:.2f} | {now['psnr'] - before['psnr']:+.2f} | "
                     f"{now['encode_seconds']:.0f} / {before['encode_seconds']:.0f} |")
    ladder = [row for run in (tag, *ladder_tags) for row in _rows("ladder", run)]
    curves: dict = {}
    for row in ladder:
        curves.setdefault((row["effort"], row["picture"]), []).append(row)
    if default_csv is not None and not any(effort == "default" for effort, _ in curves):
        import csv
        with default_csv.open() as file:  # the default effort's curve from an rd --standard run
            for row in csv.DictReader(file):
                if row["codec"] == "inrcodec-latent":
                    curves.setdefault(("default", row["image"]), []).append(dict(
                        bpp=float(row["bpp"]), psnr=float(row["psnr"])))
    lines += ["", "| effort | pictures | encode s per megapixel (median) | BD-rate vs default, per picture | mean |",
              "|---|---|---|---|---|"]
    for effort in ("draft", "fast", "default", "thorough"):
        pictures = sorted(p for e, p in curves if e == effort)
        if not pictures:
            continue
        timed = [r["encode_seconds"] / r["megapixels"] for p in pictures for r in curves[(effort, p)] if "encode_seconds" in r]
        per_picture = {}
        for picture in pictures:
            test, anchor = curves[(effort, picture)], curves.get(("default", picture), [])
            per_picture[picture] = bd_rate([r["bpp"] for r in anchor], [r["psnr"] for r in anchor],
                                           [r["bpp"] for r in test], [r["psnr"] for r in test])
        seconds = f"{sorted(timed)[len(timed) // 2]:.0f}" if timed else "(from the rd run)"
        shown = ", ".join(f"{p} {v:+.1f} %" for p, v in per_picture.items())
        values = [v for v in per_picture.values() if v == v]
        lines.append(f"| {effort} | {len(pictures)} | {seconds} | {shown} | "
                     f"{sum(values) / len(values) if values else float('nan'):+.1f} % |")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("mode", choices=("memory", "equal", "ladder", "summary", "decode", "job"))
    parser.add_argument("job", nargs="?", help=argparse.SUPPRESS)
    parser.add_argument("--megapixels", type=float, nargs="+", default=[0.4, 3, 12, 24])
    parser.add_argument("--iters", type=int, help="steps of each encode (memory: 10; equal: 500)")
    parser.add_argument("--threads", type=int, default=2, help="memory: threads of the encode")
    parser.add_argument("--baseline", type=Path, help="equal: a checkout of the code to compare with")
    parser.add_argument("--pictures", nargs="+", help="equal: [kodim05 kodim23]; ladder: [the full-size set]")
    parser.add_argument("--efforts", nargs="+", default=["draft", "fast", "default", "thorough"])
    parser.add_argument("--effort", help="memory: encode at this effort instead of --iters steps")
    parser.add_argument("--levels", type=int, nargs="+", default=[2, 4])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0], help="equal: the encoders' seeds")
    parser.add_argument("--default", type=Path, help="summary: an rd --standard CSV for the default effort")
    parser.add_argument("--ladder-tags", nargs="+", default=[], help="summary: more runs whose ladder rows to gather")
    parser.add_argument("--files", type=Path, nargs="+", help="decode: the files to decode")
    parser.add_argument("--tag", default=datetime.date.today().isoformat())
    args = parser.parse_args()
    if args.mode == "job":
        print(json.dumps(_job(json.loads(args.job))))
        return
    out = RESULTS / f"photos_{args.mode}_{args.tag}.jsonl"
    if args.mode == "summary":
        summary = RESULTS / f"photos_summary_{args.tag}.md"
        summary.write_text(summarize(args.tag, args.default, tuple(args.ladder_tags)))
        print(summary.read_text())
    elif args.mode == "memory":
        for megapixels in args.megapixels:
            keep = str(RESULTS / "files" / args.tag / f"photo_{megapixels:g}mp.inr")
            row = run(dict(picture="kodim05", megapixels=megapixels, level=4, effort=args.effort,
                           iters=None if args.effort else args.iters or 10, threads=args.threads, keep=keep,
                           time_steps=True))
            if "error" not in row:
                row.update(run(dict(decode=keep, threads=args.threads)))
            _append(out, row)
    elif args.mode == "decode":
        for path in args.files or parser.error("decode needs --files"):
            _append(out, dict(file=str(path), **run(dict(decode=str(path.resolve()), threads=args.threads))))
    elif args.mode == "equal":
        if args.baseline is None:
            parser.error("equal needs --baseline")
        jobs = [(dict(picture=picture, level=4, iters=args.iters or 500, threads=1, seed=seed, code=str(code)), code)
                for seed in args.seeds for picture in args.pictures or ("kodim05", "kodim23") for code in (ROOT, args.baseline.resolve())]
        with ThreadPoolExecutor(2) as pool:  # this code and the baseline side by side, one core each
            for row in pool.map(lambda job: run(*job), jobs):
                _append(out, row)
    else:
        jobs = [dict(picture=picture, level=level, effort=effort, threads=1, time_steps=True,
                     keep=str(RESULTS / "files" / args.tag / f"{picture}_q{level}_{effort}.inr"))
                for effort in args.efforts for picture in args.pictures or FULL_SIZE_IMAGES for level in args.levels]
        with ThreadPoolExecutor(2) as pool:
            for row in pool.map(run, jobs):
                _append(out, row)


if __name__ == "__main__":
    main()
