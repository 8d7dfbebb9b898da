"""Hostile bitstreams — mutated conformance files, often resealed with a valid checksum so the
parser itself is attacked — decode or raise the codec's own error, never anything else. This is
the short run of the fuzzer in benchmarks/fuzz.py (whose long run is in RESULTS.md)."""

from benchmarks.fuzz import run


def test_a_short_fuzz_run_finds_no_crash():
    result = run(count=3000, seed=1)
    assert result["crashed"] == 0
    assert result["refused"] > 0 and result["decoded"] + result["refused"] == 3000
