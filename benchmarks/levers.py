"""What each design choice of a model is worth: BD-rate of every variant against the model's
default, on the same crops at the same quality levels, in one run.

    python -m benchmarks.levers                       # the latent model's lever table of RESULTS.md
    python -m benchmarks.levers --variants width=32 degree=2 --images kodim05 kodim23
    python -m benchmarks.levers --model sl2a --variants rank=8 --output benchmarks/results/levers_sl2a.jsonl

A variant is ``field=value[,field=value]`` over the model's config (for the latent model
``inrcodec.models.latent.LatentConfig``: levels, width, hidden_layers, degree, rank, context_width,
upsampling), ``steps=N`` for the optimizer steps, or ``learning_rate=X`` for the family's
starting learning rate. One single-threaded worker per core; every encode is appended to
benchmarks/results/levers.jsonl as it finishes, and a rerun skips the encodes already there.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections import defaultdict

from inrcodec.models import MODEL_NAMES
from inrcodec.signals.image.presets import DEFAULT_STEPS

from .bdrate import bd_rate
from .common import RESULTS, kodak_image, run_description, run_in_workers

DEFAULT_VARIANTS = ("levels=5", "levels=6", "width=16", "width=32", "hidden_layers=0", "hidden_layers=2",
                    "degree=2", "degree=3,rank=8", "context_width=8", "context_width=24", "steps=1000", "steps=3000")
DEFAULT_IMAGES = ("kodim05", "kodim23")
DEFAULT_LEVELS = (2, 4, 6)


def parse_variant(text: str) -> dict:
    fields = {}
    for item in filter(None, text.split(",")):
        name, value = item.split("=")
        fields[name] = float(value) if name == "learning_rate" else int(value)
    return fields


def encode_one(job: tuple) -> dict:
    """One encode: (image, crop, quality, variant text, model) -> bpp and PSNR of the real file."""
    import inrcodec
    from inrcodec.train.encoder import encode_signal
    from inrcodec.signals.image.io import load_image

    image, crop, quality, variant, model = job
    fields = parse_variant(variant)
    steps = fields.pop("steps", DEFAULT_STEPS)
    learning_rate = fields.pop("learning_rate", None)
    result = encode_signal(load_image(kodak_image(image, crop)), quality=quality, model=model, steps=steps,
                           learning_rate=learning_rate, overrides=fields)
    assert result.bytes == len(result.data) and inrcodec.decode_image(result.data).shape[0] == crop
    return dict(image=image, crop=crop, quality=quality, variant=variant, model=model, bpp=result.bpp, psnr=result.psnr,
                seconds=result.seconds, bytes=result.bytes)


def lever_table(rows: list[dict], variants: list[str]) -> str:
    """BD-rate (PSNR) of each variant against the default: averaged over images, then per image."""
    curves = defaultdict(lambda: defaultdict(list))
    for row in rows:
        curves[row["variant"]][row["image"]].append((row["bpp"], row["psnr"]))
    images = list(curves[""])

    def mean_seconds(variant: str) -> str:
        seconds = [r["seconds"] for r in rows if r["variant"] == variant]
        return f"{sum(seconds) / max(1, len(seconds)):.0f}"

    lines = ["| variant | BD-rate vs default | " + " | ".join(images) + " | mean encode s |",
             "|---|---|" + "---|" * len(images) + "---|",
             "| (default) | 0 % | " + " | ".join("" for _ in images) + f" | {mean_seconds('')} |"]
    for variant in variants:
        if variant == "":
            continue
        per_image = {}
        for image, points in curves[variant].items():
            if image in curves[""]:
                rate = bd_rate(*zip(*curves[""][image]), *zip(*points))
                if not math.isnan(rate):
                    per_image[image] = rate
        summary = f"{sum(per_image.values()) / len(per_image):+.1f} %" if per_image else "n/a"
        cells = " | ".join(f"{per_image[image]:+.1f}" if image in per_image else "n/a" for image in images)
        lines.append(f"| {variant} | {summary} | {cells} | {mean_seconds(variant)} |")
    return "\n".join(lines)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--variants", nargs="+", default=list(DEFAULT_VARIANTS))
    parser.add_argument("--images", nargs="+", default=list(DEFAULT_IMAGES))
    parser.add_argument("--levels", nargs="+", type=int, default=list(DEFAULT_LEVELS))
    parser.add_argument("--crop", type=int, default=256)
    parser.add_argument("--model", default="latent", choices=MODEL_NAMES)
    parser.add_argument("--workers", type=int)
    parser.add_argument("--output", default=str(RESULTS / "levers.jsonl"))
    args = parser.parse_args(argv)
    description = run_description(["python", "-m", "benchmarks.levers", *(sys.argv[1:] if argv is None else argv)])
    variants = [""] + [v for v in args.variants if v]
    for variant in variants:
        parse_variant(variant)  # fail early on a typo
    done = []
    try:
        with open(args.output) as handle:
            done = [json.loads(line) for line in handle if line.strip()]
    except FileNotFoundError:
        pass
    have = {(r["image"], r["crop"], r["quality"], r["variant"], r.get("model", "latent")) for r in done}
    jobs = [(image, args.crop, level, variant, args.model) for variant in variants for image in args.images
            for level in args.levels if (image, args.crop, level, variant, args.model) not in have]
    with open(args.output, "a") as handle:
        def write(_job, row):
            handle.write(json.dumps({**row, "run": description}) + "\n")
            handle.flush()
            print(f"{row['image']} q{row['quality']} [{row['variant'] or 'default'}]: {row['bpp']:.3f} bpp "
                  f"{row['psnr']:.2f} dB {row['seconds']:.0f} s", file=sys.stderr, flush=True)

        run_in_workers(encode_one, jobs, args.workers, on_result=write)
    with open(args.output) as handle:
        rows = [r for r in map(json.loads, filter(str.strip, handle))
                if r["image"] in args.images and r["crop"] == args.crop and r["quality"] in args.levels
                and r.get("model", "latent") == args.model]
    print(f"Run: {description}; images {', '.join(args.images)} ({args.crop}² crops), levels "
          f"{', '.join(map(str, args.levels))}.")
    print(lever_table(rows, variants))


if __name__ == "__main__":
    main()
