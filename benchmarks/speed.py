"""Speed on this machine, in sections (``--sections``; all by default):

- **steps**: the default model's training step (loss, backward, Adam) against the plain
  eager-PyTorch loop (``benchmarks/reference_loop.py``), median ms per step in fresh processes,
  alternating, with 1 and 2 threads, on a 256² crop and a full-size picture; with glibc's default
  allocator and with the encoder's (``runtime.keep_freed_memory``), float32 and bf16 products.
- **psnr**: whole default encodes of 256² crops with the plain loop and with ours (bf16 where
  native, and float32): the coded PSNR and bytes each reaches in the same number of steps — the
  speed-up only counts at equal PSNR. One single-threaded worker per core.
- **macs**: multiply-adds per pixel of every model family at every quality level (the work a
  decode does per output pixel, and a training step's forward pass).
- **concurrency**: one ``inrcodec encode`` alone, then two started together, with the default
  threads (one per core) and with ``--threads 1``; the wall time of the pair over the one alone
  (256² crops at the default 2000 steps: with 128² crops and 300 steps, a worker's start-up —
  importing torch, and torch.optim importing torch._dynamo, ~4 s — weighed as much as its encodes).
- **batches**: ``inrcodec encode-dir`` of the same crops in one process with every core's thread
  (``--workers 1``) and with one single-threaded worker per core (the default); pictures per minute.

    python -m benchmarks.speed            # ~50 min on 2 cores; run it with nothing else on the machine

Writes a new results/speed_<date>_<commit>.json (or ``--output``; each section's rows, updated as
sections finish) and prints tables; ``--report --output FILE`` prints an earlier run's.
"""

from __future__ import annotations

import argparse
import bisect
import json
import math
import multiprocessing
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import torch
from PIL import Image

from inrcodec.train.encoder import encode_signal
from inrcodec.models.latent.objective import LatentObjective, native_bfloat16
from inrcodec.models.latent.fit import LATENT_LEARNING_RATE_SCALE
from inrcodec.models import REGISTRY, build_model
from inrcodec.presets import DEFAULT_QUALITY, QUALITY_LEVELS
from inrcodec.signals.image.presets import DEFAULT_MODEL, DEFAULT_STEPS, model_config
from inrcodec.train.runtime import keep_freed_memory
from inrcodec.signals.image.io import load_image

from .common import fresh_result_path, kodak_image, run_description, run_in_workers
from .reference_loop import PlainObjective

CLI = [sys.executable, "-m", "inrcodec.cli.main"]
SECTIONS = ("steps", "psnr", "macs", "concurrency", "batches")
# (name, objective, precision, allocator keeps freed memory): the plain loop as a script runs it,
# then ours as the encoder runs it, then each lever of ours on its own
STEP_VARIANTS = (("plain loop", "plain", "float32", False), ("plain loop, memory kept", "plain", "float32", True),
                 ("ours, float32", "ours", "float32", True), ("ours, bf16", "ours", "bfloat16", True),
                 ("ours, bf16, default allocator", "ours", "bfloat16", False))


def _training_steps(job: dict) -> float:
    """Median ms of one soft-phase training step of the default latent model (as ``fit_latent_model``
    takes it), in this fresh process."""
    torch.set_num_threads(job["threads"])
    if job["keep_memory"]:
        keep_freed_memory()
    pixels = kodak_image(job["picture"], crop=job["crop"])
    target = torch.from_numpy(pixels.astype("float32") / 255 - 0.5)
    torch.manual_seed(0)
    network = build_model(model_config(DEFAULT_MODEL, DEFAULT_QUALITY, target.shape[:2], 3))
    objective = (PlainObjective(network, target) if job["objective"] == "plain"
                 else LatentObjective(network, target, precision=job["precision"]))
    latents = [torch.zeros(shape, requires_grad=True) for shape in network.config.latent_shapes()]
    optimizer = torch.optim.Adam([{"params": list(network.parameters())},
                                  {"params": latents, "lr": 1e-2 * LATENT_LEARNING_RATE_SCALE}], lr=1e-2)
    generator = torch.Generator().manual_seed(0)
    times = []
    for step in range(job["steps"] + 5):
        started = time.perf_counter()
        grids = [objective.quantize(y, step / job["steps"], False, generator) for y in latents]
        optimizer.zero_grad(set_to_none=True)
        objective.backward(grids, 4e-3)
        optimizer.step()
        times.append(time.perf_counter() - started)
    return 1000 * statistics.median(times[5:])


def _fresh_process(task, job):
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
        return pool.submit(task, job).result()


def steps(inputs: list[tuple[str, int | None]], rounds: int) -> list[dict]:
    rows = []
    for picture, crop in inputs:
        steps_per_run = 40 if crop else 10
        for threads in (1, 2):
            samples = {name: [] for name, *_ in STEP_VARIANTS}
            for _ in range(rounds):  # alternating, so that a slow spell of the machine hits every variant
                for name, objective, precision, keep_memory in STEP_VARIANTS:
                    samples[name].append(_fresh_process(_training_steps, dict(
                        picture=picture, crop=crop, objective=objective, precision=precision,
                        keep_memory=keep_memory, threads=threads, steps=steps_per_run)))
            reference = statistics.median(samples[STEP_VARIANTS[0][0]])
            for name, *_ in STEP_VARIANTS:
                ms = statistics.median(samples[name])
                rows.append(dict(picture=picture, size="256²" if crop else "full", threads=threads, variant=name,
                                 ms_per_step=ms, runs=samples[name], speedup=reference / ms))
    return rows


def _coded(job: dict) -> dict:
    signal = load_image(kodak_image(job["picture"], crop=job["crop"]))
    objective = PlainObjective if job["objective"] == "plain" else LatentObjective
    result = encode_signal(signal, quality=job["quality"], objective=objective, precision=job["precision"])
    return dict(job, bytes=result.bytes, bpp=result.bpp, psnr=result.psnr, fitted_psnr=result.fitted_psnr,
                seconds=result.seconds)


def equal_psnr(pictures: list[str], levels: list[int], crop: int) -> list[dict]:
    precision = "bfloat16" if native_bfloat16(torch.device("cpu")) else "float32"
    variants = [("plain loop", "plain", "float32"), (f"ours ({precision})", "ours", precision)]
    if precision != "float32":
        variants.append(("ours (float32)", "ours", "float32"))
    jobs = [dict(picture=picture, crop=crop, quality=level, variant=name, objective=objective, precision=p)
            for picture in pictures for level in levels for name, objective, p in variants]
    return run_in_workers(_coded, jobs, on_result=lambda job, row: print(json.dumps(row), flush=True))


def psnr_at_rate(curve: list[dict], bpp: float) -> float:
    """The PSNR of an RD ``curve`` (rows with ``bpp`` and ``psnr``) at rate ``bpp``: piecewise linear
    in log-rate, its end segments extended — two encodes that trade a little rate for a little PSNR
    along the same curve compare as equal."""
    points = sorted((math.log(r["bpp"]), r["psnr"]) for r in curve)
    x = math.log(bpp)
    index = min(max(1, bisect.bisect_left([p[0] for p in points], x)), len(points) - 1)
    (x0, y0), (x1, y1) = points[index - 1], points[index]
    return y0 + (y1 - y0) * (x - x0) / (x1 - x0)


def _against_plain(row: dict, rows: list[dict]) -> tuple[float, float]:
    """A ``psnr`` row against the plain loop on the same picture: its PSNR minus the plain loop's
    at the same rate, and the plain loop's encode seconds at the same level over its own."""
    plain = [r for r in rows if r["picture"] == row["picture"] and r["objective"] == "plain"]
    same_level = next(r for r in plain if r["quality"] == row["quality"])
    return row["psnr"] - psnr_at_rate(plain, row["bpp"]), same_level["seconds"] / row["seconds"]


def macs_per_pixel(side: tuple[int, int] = (512, 768)) -> list[dict]:
    """Per output pixel of a 768×512 picture, what a decode and a training step's forward pass
    evaluate: the network's multiply-adds (matrix products) and its work in multiply-add equivalents
    (elementwise ops and transcendentals weighted as the decoder's work bound counts them); for the
    latent model, its context model's too (decoding, and training's rate term), per pixel."""
    pixels = side[0] * side[1]
    rows = []
    for model in REGISTRY:
        for level in QUALITY_LEVELS:
            config = model_config(model, level, side, 3)
            ops = config.point_ops()
            row = dict(model=model, quality=level, parameters=config.parameter_count(),
                       macs_per_pixel=ops.multiply_adds, work_per_pixel=ops.macs)
            if model == "latent":
                context = config.decode_ops()
                row.update(context_macs_per_pixel=context.multiply_adds / pixels,
                           context_work_per_pixel=context.macs / pixels)
            rows.append(row)
    return rows


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


def _print(section: str, rows: list[dict], run: str) -> None:
    print(f"\n{section}: {run}\n")
    if section == "steps":
        print("| picture | threads | variant | ms per step | × the plain loop |\n|---|---:|---|---:|---:|")
        for r in rows:
            print(f"| {r['picture']} {r['size']} | {r['threads']} | {r['variant']} | {r['ms_per_step']:.1f} | "
                  f"{r['speedup']:.2f} |")
    elif section == "psnr":
        print("| picture | quality | variant | bytes | PSNR dB | Δ PSNR at equal rate dB | encode s | × the plain loop |\n"
              "|---|---:|---|---:|---:|---:|---:|---:|")
        for r in rows:
            delta, speedup = _against_plain(r, rows)
            print(f"| {r['picture']} | {r['quality']} | {r['variant']} | {r['bytes']} | {r['psnr']:.2f} | "
                  f"{delta:+.3f} | {r['seconds']:.1f} | {speedup:.2f} |")
        for variant in dict.fromkeys(r["variant"] for r in rows if r["objective"] != "plain"):
            deltas, speedups = zip(*(_against_plain(r, rows) for r in rows if r["variant"] == variant))
            print(f"\n{variant}: Δ PSNR at equal rate mean {statistics.mean(deltas):+.3f} dB, largest "
                  f"{max(deltas, key=abs):+.3f} dB; encodes {min(speedups):.2f}–{max(speedups):.2f}× the plain loop's speed")
    elif section == "macs":
        print("Multiply-adds per pixel (latent: synthesis + context model)\n")
        print("| model | " + " | ".join(f"q{level}" for level in QUALITY_LEVELS) + " |\n|---|"
              + "---:|" * len(QUALITY_LEVELS))
        for model in dict.fromkeys(r["model"] for r in rows):
            cells = [r for r in rows if r["model"] == model]
            print(f"| {model} | " + " | ".join(
                f"{r['macs_per_pixel']:,.0f}" + (f" + {r['context_macs_per_pixel']:,.0f}" if "context_macs_per_pixel"
                                                 in r else "") for r in cells) + " |")
    elif section == "concurrency":
        print("| threads per encode | one alone s | two together s (wall) | ratio |\n|---|---:|---:|---:|")
        for r in rows:
            print(f"| {r['threads']} | {r['alone_s']:.1f} | {r['pair_s']:.1f} | {r['ratio']:.2f} |")
    else:
        print("| encode-dir workers | pictures | seconds | pictures per minute |\n|---|---:|---:|---:|")
        for r in rows:
            print(f"| {r['workers']} | {r['pictures']} | {r['seconds']:.1f} | {r['per_minute']:.2f} |")


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sections", nargs="+", choices=SECTIONS, default=list(SECTIONS))
    parser.add_argument("--side", type=int, default=256, help="concurrency and batches: crop side")
    parser.add_argument("--iters", type=int, default=DEFAULT_STEPS, help="concurrency and batches: steps per encode")
    parser.add_argument("--pictures", nargs="+", default=["kodim01", "kodim05", "kodim13", "kodim23"])
    parser.add_argument("--levels", nargs="+", type=int, default=[2, 4, 7], help="psnr: quality levels")
    parser.add_argument("--rounds", type=int, default=3, help="steps: fresh processes per variant")
    parser.add_argument("--output", type=Path, help="results file (JSON) [default: a new speed_<date>_<commit>.json]")
    parser.add_argument("--report", action="store_true", help="print the tables of --output, measure nothing")
    args = parser.parse_args(argv)
    run = run_description(["python", "-m", "benchmarks.speed", *(sys.argv[1:] if argv is None else argv)])
    if args.report and args.output is None:
        parser.error("--report needs --output, the run to print")
    path = args.output or fresh_result_path("speed")
    results = json.loads(path.read_text()) if path.is_file() else {}
    if "run" in results:  # the layout before sections: one run of concurrency and batches
        results = {key: {"run": results["run"], "rows": results[key]} for key in ("concurrency", "batches")}
    for section in args.sections:
        if args.report:
            if section in results:
                _print(section, results[section]["rows"], results[section]["run"])
            continue
        if section == "steps":
            rows = steps([(args.pictures[-1], 256), (args.pictures[-1], None)], args.rounds)
        elif section == "psnr":
            rows = equal_psnr(args.pictures, args.levels, 256)
        elif section == "macs":
            rows = macs_per_pixel()
        else:
            with tempfile.TemporaryDirectory() as scratch:
                folder = Path(scratch)
                if section == "concurrency":
                    rows = concurrency(_crops(folder, args.pictures[-1:], args.side)[0], args.iters)
                else:
                    _crops(folder, args.pictures, args.side)
                    rows = batches(folder, args.iters)
        results[section] = {"run": run, "rows": rows}
        path.write_text(json.dumps(results, indent=1) + "\n")
        _print(section, rows, run)


if __name__ == "__main__":
    main()
