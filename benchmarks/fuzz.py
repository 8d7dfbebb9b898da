"""Long fuzz run of the decoder: mutated conformance bitstreams (bit flips, byte overwrites,
truncations, insertions, splices of two files, oversized varints) and random bytes, each resealed
with a valid CRC-32 half of the time so that the parser itself is exercised. Every input must
decode or raise ``CodecError``; anything else is a crash. Reports count, time, slowest decode and
peak RSS.

    python -m benchmarks.fuzz --count 100000
"""

from __future__ import annotations

import argparse
import resource
import struct
import sys
import time
import traceback
import zlib

import numpy as np

import inrcodec
from inrcodec.errors import CodecError

from .common import REPO, run_description

CONFORMANCE = sorted((REPO / "bitstreams" / "conformance").glob("*.inr"))
MAX_PIXELS = 1 << 22  # the fuzz run's decode limit (a declared limit, like --max-pixels)


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


def run(count: int, seed: int = 0) -> dict:
    seeds = [path.read_bytes() for path in CONFORMANCE]
    rng = np.random.default_rng(seed)
    outcomes = {"decoded": 0, "refused": 0, "crashed": 0}
    slowest = 0.0
    started = time.perf_counter()
    for _ in range(count):
        data = mutate(seeds, rng)
        begin = time.perf_counter()
        try:
            inrcodec.decode_image(data, max_pixels=MAX_PIXELS)
            outcomes["decoded"] += 1
        except CodecError:
            outcomes["refused"] += 1
        except Exception:  # noqa: BLE001 - this is what the fuzzer is looking for
            outcomes["crashed"] += 1
            if outcomes["crashed"] <= 5:
                print(f"crash on {data.hex()}:\n{traceback.format_exc()}", file=sys.stderr)
        slowest = max(slowest, time.perf_counter() - begin)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {**outcomes, "count": count, "seconds": time.perf_counter() - started,
            "slowest_decode_s": slowest, "peak_rss_mb": peak_mb}


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    description = run_description(["python", "-m", "benchmarks.fuzz", *(sys.argv[1:] if argv is None else argv)])
    result = run(args.count, args.seed)
    print(f"Run: {description}; seeds: {', '.join(p.name for p in CONFORMANCE)}.")
    print(f"{result['count']} inputs in {result['seconds']:.0f} s: {result['decoded']} decoded, "
          f"{result['refused']} refused with a CodecError, {result['crashed']} crashed; slowest decode "
          f"{result['slowest_decode_s'] * 1000:.0f} ms; peak RSS {result['peak_rss_mb']:.0f} MB.")
    sys.exit(1 if result["crashed"] else 0)


if __name__ == "__main__":
    main()
