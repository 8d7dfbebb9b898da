"""Hostile bitstreams — mutated conformance files and files of the largest legal networks, often
resealed with a valid checksum so the parser itself is attacked, and random bytes — decode (and
read by ``info``) or raise the codec's own error within the fuzz run's memory bound, never anything
else. The numpy-driven run is the short run of benchmarks/fuzz.py; its time bound per input is
checked by the long runs in RESULTS.md, not here (a loaded machine's clock is no test). The
hypothesis properties shrink any failure to a minimal input."""

import json
import resource
import struct
import subprocess
import sys
import zlib

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import inrcodec
from benchmarks.common import REPO
from benchmarks.fuzz import CONFORMANCE, MAX_PEAK_RSS_MB, TARGETS, largest_legal_seeds
from inrcodec.errors import CodecError

SEEDS = [path.read_bytes() for path in CONFORMANCE] + largest_legal_seeds()
FUZZ = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def test_a_short_fuzz_run_has_no_crash_and_stays_within_its_memory_bound(tmp_path):
    """In a process of its own, so that its peak memory is its own."""
    output = tmp_path / "fuzz.json"
    finished = subprocess.run([sys.executable, "-m", "benchmarks.fuzz", "--count", "1000", "--seed", "1",
                               "--output", str(output)], cwd=REPO, capture_output=True, text=True, timeout=300)
    assert output.exists(), finished.stdout + finished.stderr
    result = json.loads(output.read_text())
    assert result["crashed"] == 0 and result["peak_rss_mb"] <= MAX_PEAK_RSS_MB, finished.stderr
    assert result["refused"] > 0 and result["decoded"] > 0 and result["decoded"] + result["refused"] == 1000


def _resident_mb() -> float:
    return int(open("/proc/self/statm").read().split()[1]) * resource.getpagesize() / 2**20


BASELINE_MB = _resident_mb()


def _decodes_or_refuses(data: bytes) -> None:
    """Decoded (and read by ``info``) within the limits or refused with the codec's own error,
    leaving the process's resident memory within the bound of where it started."""
    for read in TARGETS.values():
        try:
            read(data)
        except CodecError:
            pass
        assert _resident_mb() - BASELINE_MB <= MAX_PEAK_RSS_MB


def _sealed(body: bytes) -> bytes:
    return body + struct.pack("<I", zlib.crc32(body))


@FUZZ
@given(st.binary(max_size=512))
def test_random_bytes_are_decoded_or_refused_within_bounds(data):
    _decodes_or_refuses(data)
    _decodes_or_refuses(_sealed(b"\x89INR" + data))  # past the magic and the checksum: the parser's


@FUZZ
@given(st.sampled_from(SEEDS), st.integers(min_value=4, max_value=60), st.integers(0, 255),
       st.booleans())
def test_any_header_byte_with_any_value_is_decoded_or_refused_within_bounds(seed, position, value, reseal):
    mutated = bytearray(seed)
    mutated[min(position, len(mutated) - 5)] = value
    _decodes_or_refuses(_sealed(bytes(mutated[:-4])) if reseal else bytes(mutated))


@pytest.mark.parametrize("position,value,message", [(4, 9, "version"), (5, 9, "signal kind")])
def test_wrong_version_and_wrong_signal_kind_are_named(position, value, message):
    body = bytearray(SEEDS[0][:-4])
    body[position] = value
    with pytest.raises(CodecError, match=message):
        inrcodec.decode_image(_sealed(bytes(body)))
