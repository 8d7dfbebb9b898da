"""The command line: its outputs, its --json summary, and one-line errors that leave no file."""

import json

import pytest
import torch
from click.testing import CliRunner

from inrcodec.cli.main import main


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def test_encode_decode_info_round_trip(tmp_path, small_png):
    bitstream, picture = tmp_path / "a.inr", tmp_path / "a.png"
    result = run("encode", small_png, "-o", bitstream, "-q", 1, "--iters", 30, "--device", "cpu", "--json")
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    assert {"bpp", "bytes", "psnr", "width", "height", "model", "seconds"} <= set(summary)
    assert summary["bytes"] == bitstream.stat().st_size
    assert summary["bpp"] == 8 * summary["bytes"] / (summary["width"] * summary["height"])

    assert run("decode", bitstream, "-o", picture, "--scale", 2).exit_code == 0
    from PIL import Image
    assert Image.open(picture).size == (80, 64)
    assert run("decode", bitstream, "-o", tmp_path / "b.png", "--size", "13x9").exit_code == 0
    assert Image.open(tmp_path / "b.png").size == (13, 9)

    info = run("info", bitstream)
    assert info.exit_code == 0 and "synthesis.first.weight" in info.output and "1:1 (40x32)" in info.output
    assert json.loads(run("info", bitstream, "--json").output)["bytes"] == summary["bytes"]


def _assert_clean_failure(result, tmp_path, before):
    assert result.exit_code != 0
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output
    assert result.output.strip().splitlines()[-1].startswith("Error: ")
    assert sorted(p.name for p in tmp_path.iterdir()) == before  # no output, no temporary file


def test_bad_inputs_give_one_line_errors_and_no_output(tmp_path, small_png, small_bitstream):
    from .test_render import WIDE, zero_weight_file

    good = tmp_path / "good.inr"
    good.write_bytes(small_bitstream)
    (tmp_path / "wide.inr").write_bytes(zero_weight_file(WIDE))
    (tmp_path / "truncated.inr").write_bytes(small_bitstream[:-7])
    (tmp_path / "text.png").write_text("not a picture")
    before = sorted(p.name for p in tmp_path.iterdir())
    out = tmp_path / "out.png"
    cases = [
        ("decode", tmp_path / "missing.inr", "-o", out),
        ("decode", small_png, "-o", out),
        ("decode", tmp_path / "truncated.inr", "-o", out),
        ("decode", good, "-o", out, "--scale", 0),
        ("decode", good, "-o", out, "--scale", -2),
        ("decode", good, "-o", out, "--size", "0x10"),
        ("decode", good, "-o", out, "--scale", 4000),
        ("decode", good, "-o", out, "--scale", 2, "--size", "10x10"),
        ("decode", tmp_path / "wide.inr", "-o", out, "--size", "4096x4096"),  # 6.5e13 multiply-adds
        ("decode", tmp_path / "wide.inr", "-o", out, "--max-macs", "1e9"),
        ("decode", tmp_path / "wide.inr", "-o", out, "--max-memory", "10"),
        ("encode", tmp_path / "missing.png", "-o", tmp_path / "x.inr"),
        ("encode", tmp_path / "text.png", "-o", tmp_path / "x.inr"),
        ("encode", small_png, "-o", good, "--iters", 5),  # exists, no --force
        ("encode", small_png, "-o", tmp_path / "x.inr", "--max-memory", 1),  # needs about 0.9 GB
        ("encode", small_png, "-o", tmp_path / "x.inr", "--effort", "slow"),
    ]
    if not torch.cuda.is_available():
        cases.append(("encode", small_png, "-o", tmp_path / "x.inr", "--device", "cuda"))
    for case in cases:
        _assert_clean_failure(run(*case), tmp_path, before)
    assert good.read_bytes() == small_bitstream


def test_force_overwrites(tmp_path, small_bitstream):
    bitstream, picture = tmp_path / "a.inr", tmp_path / "a.png"
    bitstream.write_bytes(small_bitstream)
    picture.write_bytes(b"old")
    assert run("decode", bitstream, "-o", picture).exit_code != 0
    assert run("decode", bitstream, "-o", picture, "--force").exit_code == 0
    assert picture.read_bytes()[:4] == b"\x89PNG"


def test_help_explains_every_command():
    from inrcodec.cli.main import main

    for command in [(), *((name,) for name in main.commands)]:  # every command there is, and the group
        result = run(*command, "--help")
        assert result.exit_code == 0 and "Usage:" in result.output and len(result.output) > 200, command
    assert set(main.commands) >= {"encode", "encode-dir", "decode", "info", "compare", "demo"}
