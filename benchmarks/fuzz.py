"""Long fuzz run of the decoder: mutated bitstreams (bit flips, byte overwrites, truncations,
insertions, splices of two files, oversized varints) and random bytes, each resealed with a valid
CRC-32 half of the time so that the parser itself is exercised. The seeds are the conformance files
and files of the largest legal network of every family (a few dozen bytes each: all-zero weights),
so mutations reach the costliest configurations the format allows. Every input must decode or raise
``CodecError`` within the time and memory bounds below; anything else is a failure. Reports count,
time, slowest decode and peak RSS. ``--target info`` runs ``read_info`` (which decodes every symbol
without rendering) on the same inputs instead of the decoder.

    python -m benchmarks.fuzz --count 100000 [--target info]
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import resource
import struct
import sys
import time
import traceback
import zlib
from pathlib import Path

import numpy as np

import inrcodec
import inrcodec.api
from inrcodec.bitstream import MAX_PARAMETERS, Bitstream, GroupHeader, write_bitstream
from inrcodec.errors import CodecError
from inrcodec.models import REGISTRY, Latent3dConfig
from inrcodec.quant import weight_groups
from inrcodec.signals import SignalKind
from inrcodec.signals.image.decode import ImageGeometry
from inrcodec.signals.scene.decode import DecodedScene, SceneGeometry
from inrcodec.signals.scene.io import pack_occupancy
from inrcodec.signals.volume.decode import Volume, VolumeGeometry

from .common import REPO, fresh_result_path, run_description

CONFORMANCE = sorted((REPO / "bitstreams" / "conformance").glob("*.inr"))
# The fuzz run's decode limits (declared limits, like --max-pixels and --max-macs), and the bounds
# every input must decode or be refused within.
LIMITS = dict(max_pixels=1 << 22, max_macs=1 << 32)
MAX_SECONDS_PER_INPUT = 2.0
MAX_PEAK_RSS_MB = 1500
MAX_SIDE = 65535  # the largest side a header can declare


def largest_legal_seeds() -> list[bytes]:
    """Valid files declaring the costliest networks of every family — the widest at 0, 3 and 16
    hidden layers within the decoder's parameter limit, SL²A also at the highest degree, the latent
    model at every field's maximum — with all weights (and latents) zero, as a 256×256 RGB image
    (over the fuzz run's work limit at its own size) and as a 16×16 one (within it, so that these
    networks are built and rendered), the latent model also at 65535² (its grids alone are 5.7e9
    latents: what a hostile ``info`` must refuse before decoding them); and the weight-only ones as volumes of 64³ and 8³, and as
    scenes of 256² views with 96 samples per ray and 16² views with 16, every occupancy cell set,
    beside the 3-D latent model at every field's maximum with grids of 512³ and of 16³."""
    seeds = []
    image_entries = [entry for entry in REGISTRY.values() if entry.config_class is not Latent3dConfig]
    for side in (256, 16):
        for entry in image_entries:
            for config in _largest_configs(entry, side):
                seeds.append(_zero_file(SignalKind.IMAGE, ImageGeometry(side, side, 3, 8), entry, config))
    for entry in (entry for entry in image_entries if not entry.weight_only):  # 65535² grids
        for config in _largest_configs(entry, MAX_SIDE):
            seeds.append(_zero_file(SignalKind.IMAGE, ImageGeometry(MAX_SIDE, MAX_SIDE, 3, 8), entry, config))
    for side in (64, 8):
        geometry = VolumeGeometry(side, side, side, 0.0, 0.0, 0.0, 1.0, 1.0, 1.0)
        for entry in (entry for entry in REGISTRY.values() if entry.weight_only):
            for config in _largest_configs(entry, side, in_features=3, out_features=1):
                seeds.append(_zero_file(SignalKind.VOLUME, geometry, entry, config))
    for side, samples in ((256, 96), (16, 16)):
        geometry = SceneGeometry(side, side, samples, 8, float(side), 1.0, 5.0, 0.0, 0.0, 0.0, 1.0, 1.0, 1.0, 3.0, 1.0)
        for entry in (entry for entry in REGISTRY.values() if entry.weight_only):
            for config in _largest_configs(entry, side, in_features=3, out_features=4):
                seeds.append(_zero_file(SignalKind.SCENE, geometry, entry, config,
                                        side_data=pack_occupancy(np.ones((8, 8, 8), dtype=bool))))
        base = Latent3dConfig(3, 4)
        largest = {name: high for name, (_, high) in base.limits().items() if name not in ("in_features", "out_features")}
        for cells in (512, 16):
            config = dataclasses.replace(base, **{**largest, "grid_x": cells, "grid_y": cells, "grid_z": cells})
            seeds.append(_zero_file(SignalKind.SCENE, geometry, REGISTRY["latent3d"], config,
                                    side_data=pack_occupancy(np.ones((8, 8, 8), dtype=bool))))
    return seeds


def _zero_file(kind, geometry, entry, config, side_data: bytes = b"") -> bytes:
    groups = (GroupHeader(0),) * len(weight_groups(config))
    return write_bitstream(Bitstream(kind, geometry, entry.id, config, groups, b"",
                                     latent_ranges=(0,) * len(config.latent_shapes()), side_data=side_data))


def decode_any(data: bytes) -> None:
    """Decode ``data`` under the fuzz run's limits, whatever it holds; a volume's mesh is extracted
    too (marching cubes on whatever logits a hostile file yields), a scene renders one orbit view."""
    decoded = inrcodec.api.decode(data, max_samples=LIMITS["max_pixels"], max_macs=LIMITS["max_macs"])
    if isinstance(decoded, Volume):
        decoded.mesh()
    elif isinstance(decoded, DecodedScene):
        decoded.render(decoded.orbit(1))


def info_any(data: bytes) -> None:
    """``read_info`` of ``data`` under the fuzz run's limits."""
    inrcodec.api.read_info(data, max_samples=LIMITS["max_pixels"], max_macs=LIMITS["max_macs"])


TARGETS = {"decode": decode_any, "info": info_any}


def _largest_configs(entry, side: int, in_features: int = 2, out_features: int = 3) -> list:
    if not entry.weight_only:  # the latent model: every field at its maximum, grids of the image's size
        base = entry.config_class(2, 3, latent_height=side, latent_width=side)
        largest = {name: high for name, (_, high) in base.limits().items()
                   if name not in ("in_features", "out_features", "latent_height", "latent_width", "rank")}
        return [dataclasses.replace(base, **largest), dataclasses.replace(base, **{**largest, "degree": 0})]
    variants = [dict(hidden_layers=h) for h in (0, 3, 16)]
    if entry.name == "sl2a":
        variants += [dict(hidden_layers=3, degree=0), dict(hidden_layers=1, degree=1024),
                     dict(hidden_layers=16, degree=1024, rank=1)]
    widest = (_widest(entry.config_class, in_features, out_features, fields) for fields in variants)
    return [config for config in widest if config is not None]


def _widest(config_class, in_features: int, out_features: int, fields):
    """The widest legal config with ``fields`` (parameters grow with the width: bisect)."""
    low, high = 1, 1024
    if config_class(in_features, out_features, width=1, **fields).parameter_count() > MAX_PARAMETERS:
        return None
    while low < high:
        middle = (low + high + 1) // 2
        if config_class(in_features, out_features, width=middle, **fields).parameter_count() <= MAX_PARAMETERS:
            low = middle
        else:
            high = middle - 1
    return config_class(in_features, out_features, width=low, **fields)


def mutate(seeds: list[bytes], rng: np.random.Generator) -> bytes:
    """One hostile input made from the seed files."""
    data = bytearray(seeds[int(rng.integers(len(seeds)))])
    kind = int(rng.integers(7))
    if kind == 0:
        for position in rng.integers(0, len(data), int(rng.integers(1, 5))):
            data[position] ^= 1 << int(rng.integers(8))
    elif kind == 1:
        data[int(rng.integers(len(data)))] = int(rng.choice([0, 1, 0x7F, 0x80, 0xFF]))
    elif kind == 2:
        data = data[:int(rng.integers(len(data)))]
    elif kind == 3:
        position = int(rng.integers(len(data)))
        data[position:position] = rng.bytes(int(rng.integers(1, 9)))
    elif kind == 4:
        other = seeds[int(rng.integers(len(seeds)))]
        cut = int(rng.integers(len(data)))
        data = data[:cut] + other[int(rng.integers(len(other))):]
    elif kind == 5:  # an oversized varint somewhere in the header
        position = int(rng.integers(5, min(len(data), 40)))
        data[position:position + 1] = b"\xff\xff\xff\xff\x0f"
    else:
        return rng.bytes(int(rng.integers(0, 300)))
    body = bytes(data[:-4])
    if rng.random() < 0.5 and len(data) >= 4:  # reseal: get past the checksum into the parser
        return body + struct.pack("<I", zlib.crc32(body))
    return bytes(data)


def run(count: int, seed: int = 0, target: str = "decode") -> dict:
    seeds = [path.read_bytes() for path in CONFORMANCE] + largest_legal_seeds()
    decode_any = TARGETS[target]
    for data in seeds:  # warm-up, untimed: a process's first decodes pay torch's one-time set-up
        try:
            decode_any(data)
        except CodecError:
            pass
    rng = np.random.default_rng(seed)
    outcomes = {"decoded": 0, "refused": 0, "crashed": 0, "over_time": 0}
    slowest, slowest_input = 0.0, b""
    started = time.perf_counter()
    for _ in range(count):
        data = mutate(seeds, rng)
        begin = time.perf_counter()
        try:
            decode_any(data)
            outcomes["decoded"] += 1
        except CodecError:
            outcomes["refused"] += 1
        except Exception:  # noqa: BLE001 - this is what the fuzzer is looking for
            outcomes["crashed"] += 1
            if outcomes["crashed"] <= 5:
                print(f"crash on {data.hex()}:\n{traceback.format_exc()}", file=sys.stderr)
        elapsed = time.perf_counter() - begin
        outcomes["over_time"] += elapsed > MAX_SECONDS_PER_INPUT
        if elapsed > slowest:
            slowest, slowest_input = elapsed, data
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {**outcomes, "target": target, "count": count, "seeds": len(seeds), "seconds": time.perf_counter() - started,
            "slowest_decode_s": slowest, "slowest_input": slowest_input.hex(), "peak_rss_mb": peak_mb,
            "within_bounds": not outcomes["crashed"] and not outcomes["over_time"]
                             and peak_mb <= MAX_PEAK_RSS_MB}


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--target", choices=tuple(TARGETS), default="decode", help="what reads each input")
    parser.add_argument("--output", help="result file [default: a new results/fuzz_<target>_<date>_<commit>.json]")
    args = parser.parse_args(argv)
    description = run_description(["python", "-m", "benchmarks.fuzz", *(sys.argv[1:] if argv is None else argv)])
    output = Path(args.output) if args.output else fresh_result_path(f"fuzz_{args.target}")  # named for the commit run
    result = run(args.count, args.seed, args.target)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps({"run": description, **result}, indent=1))
    print(f"Run: {description}; seeds: {', '.join(p.name for p in CONFORMANCE)} and "
          f"{result['seeds'] - len(CONFORMANCE)} files of the largest legal networks; limits {LIMITS}.")
    print(f"{result['count']} inputs in {result['seconds']:.0f} s: {result['decoded']} decoded, "
          f"{result['refused']} refused with a CodecError, {result['crashed']} crashed, "
          f"{result['over_time']} over {MAX_SECONDS_PER_INPUT} s; slowest decode "
          f"{result['slowest_decode_s'] * 1000:.0f} ms; peak RSS {result['peak_rss_mb']:.0f} MB "
          f"(bound {MAX_PEAK_RSS_MB} MB). Result file: {output}.")
    sys.exit(0 if result["within_bounds"] else 1)


if __name__ == "__main__":
    main()
