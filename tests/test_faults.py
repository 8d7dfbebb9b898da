"""Faults and odd inputs: interrupted or failed writes leave nothing behind, batches survive bad
files and resume, and every kind of picture is encoded or refused with a clear error."""

import errno
import struct
import zlib
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from PIL import Image

import inrcodec
from inrcodec.cli.main import main
from inrcodec.errors import InputError, LimitError

FAST_CLI = ["--iters", "20", "--device", "cpu", "-q", "1"]


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def test_an_interrupted_encode_leaves_no_output_and_no_temporary_file(tmp_path, small_png, monkeypatch):
    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr("inrcodec.train.encoder.encode_signal", interrupted)
    result = run("encode", small_png, "-o", tmp_path / "out.inr", *FAST_CLI)
    assert result.exit_code != 0
    assert list(tmp_path.iterdir()) == []


def test_a_full_disk_is_a_clean_error_with_nothing_left_behind(tmp_path, small_bitstream, monkeypatch):
    source = tmp_path / "in.inr"
    source.write_bytes(small_bitstream)

    def full_disk(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr("inrcodec.files.os.replace", full_disk)
    result = run("decode", source, "-o", tmp_path / "out.png")
    assert result.exit_code == 1 and "No space left on device" in result.output
    assert "Traceback" not in result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.inr"]


def test_a_batch_skips_bad_files_and_resumes(tmp_path, small_rgb):
    pictures, outputs = tmp_path / "in", tmp_path / "out"
    pictures.mkdir()
    Image.fromarray(small_rgb).save(pictures / "a.png")
    Image.fromarray(small_rgb[:16, :16]).save(pictures / "b.png")
    (pictures / "broken.png").write_text("not a picture")
    first = run("encode-dir", pictures, outputs, "--iters", "20", "--device", "cpu")
    assert first.exit_code == 1
    assert "2 encoded, 0 kept (already there), 1 failed" in first.output
    assert "broken.png" in first.output
    assert sorted(p.name for p in outputs.iterdir()) == ["a.inr", "b.inr"]
    before = (outputs / "a.inr").stat().st_mtime_ns
    second = run("encode-dir", pictures, outputs, "--iters", "20", "--device", "cpu")
    assert "0 encoded, 2 kept (already there), 1 failed" in second.output
    assert (outputs / "a.inr").stat().st_mtime_ns == before


def test_a_batch_skips_a_file_whatever_it_raises_and_names_pictures_of_one_stem_apart(tmp_path, small_rgb, monkeypatch):
    pictures, outputs = tmp_path / "in", tmp_path / "out"
    pictures.mkdir()
    for name in ("a.png", "a.jpg", "b.png"):
        Image.fromarray(small_rgb[:16, :16]).save(pictures / name)
    (pictures / "c.png").mkdir()  # unreadable as a file
    encode = inrcodec.api.encode

    def failing(data, **options):
        if encode_calls.append(1) or len(encode_calls) == 3:  # b.png: not a codec error
            raise RuntimeError("something inside Pillow or torch")
        return encode(data, **options)

    encode_calls = []
    monkeypatch.setattr(inrcodec.api, "encode", failing)
    result = run("encode-dir", pictures, outputs, "--iters", "5", "--device", "cpu", "--workers", "1")
    assert result.exit_code == 1 and "2 encoded, 0 kept (already there), 2 failed" in result.output, result.output
    assert "b.png: RuntimeError: something inside Pillow or torch" in result.output
    assert "c.png: cannot read it" in result.output
    assert sorted(p.name for p in outputs.iterdir()) == ["a.jpg.inr", "a.png.inr"]


def test_a_batch_of_two_workers_writes_the_bytes_of_single_threaded_encodes(tmp_path, small_rgb):
    import torch

    pictures, outputs = tmp_path / "in", tmp_path / "out"
    pictures.mkdir()
    Image.fromarray(small_rgb).save(pictures / "a.png")
    Image.fromarray(small_rgb[:16, :16]).save(pictures / "b.png")
    result = run("encode-dir", pictures, outputs, "--iters", "20", "--device", "cpu", "--workers", "2")
    assert result.exit_code == 0 and "pictures per minute" in result.output, result.output
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        for name in ("a", "b"):
            expected = inrcodec.encode(str(pictures / f"{name}.png"), iterations=20, device="cpu").data
            assert (outputs / f"{name}.inr").read_bytes() == expected
    finally:
        torch.set_num_threads(threads)


def test_a_one_pixel_picture_round_trips():
    pixel = np.array([[[200, 30, 90]]], dtype=np.uint8)
    data = inrcodec.encode_image(pixel, quality=1, iterations=30, device="cpu")
    assert inrcodec.decode_image(data).shape == (1, 1, 3)
    assert inrcodec.decode_image(data, scale=5).shape == (5, 5, 3)


def test_exif_orientation_is_applied(tmp_path, small_rgb):
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90° clockwise on display
    path = tmp_path / "rotated.jpg"
    Image.fromarray(small_rgb).save(path, exif=exif.tobytes(), quality=95)
    result = inrcodec.encode(path, quality=1, iterations=20, device="cpu")
    assert (result.width, result.height) == (32, 40)  # stored 40×32, shown 32×40


def test_absurdly_large_pictures_are_refused_before_decoding(tmp_path):
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", 70000, 70000, 8, 2, 0, 0, 0)
    png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"")) + chunk(b"IEND", b"")
    path = tmp_path / "huge.png"
    path.write_bytes(png)
    with pytest.raises(LimitError):
        inrcodec.encode(path, iterations=5, device="cpu")


def test_files_that_are_not_pictures_are_refused_whatever_their_name(tmp_path):
    for name, content in (("script.png", b"#!/bin/sh\necho hi\n"), ("empty.png", b""),
                          ("zip.jpg", b"PK\x03\x04" + bytes(40))):
        path = tmp_path / name
        path.write_bytes(content)
        with pytest.raises(InputError):
            inrcodec.encode(path, iterations=5, device="cpu")
    with pytest.raises(InputError):
        inrcodec.encode(tmp_path, iterations=5, device="cpu")  # a folder


def test_a_batch_runs_on_a_local_ray_instance(tmp_path, small_rgb):
    pytest.importorskip("ray", reason="Ray is an optional extra (pip install 'inrcodec[ray]')")
    import ray

    pictures, outputs = tmp_path / "in", tmp_path / "out"
    pictures.mkdir()
    Image.fromarray(small_rgb).save(pictures / "a.png")
    (pictures / "broken.png").write_text("not a picture")
    try:
        result = run("encode-dir", pictures, outputs, "--iters", "20", "--device", "cpu", "--ray", "local")
    finally:
        ray.shutdown()
    assert result.exit_code == 1, result.output
    assert "1 encoded, 0 kept (already there), 1 failed" in result.output
    assert "broken.png" in result.output
    assert inrcodec.decode_image((outputs / "a.inr").read_bytes()).shape == small_rgb.shape


@pytest.fixture
def lock_folder(tmp_path, monkeypatch):
    """The encode locks in a folder of the test's own, this process on two threads (restored after):
    what the thread-policy tests start from. Yields ``runtime``."""
    import torch

    from inrcodec.train import runtime

    monkeypatch.setenv(runtime.RUNTIME_DIR_VARIABLE, str(tmp_path))
    before = torch.get_num_threads()
    torch.set_num_threads(2)
    yield runtime
    torch.set_num_threads(before)


def test_an_api_encode_fits_with_one_thread_while_another_encode_holds_the_machine(tmp_path, monkeypatch, lock_folder):
    import fcntl

    import torch

    from inrcodec.train import encoder

    seen = []
    build = encoder.build_model
    monkeypatch.setattr(encoder, "build_model", lambda config: seen.append(torch.get_num_threads()) or build(config))
    with open(tmp_path / "encode.lock", "a") as other:  # held by another process's encode
        fcntl.flock(other, fcntl.LOCK_EX | fcntl.LOCK_NB)
        inrcodec.encode(np.zeros((16, 16, 3), np.uint8), iterations=2)
    assert seen == [1] and torch.get_num_threads() == 2


def test_encodes_fit_on_one_thread_each_when_two_run_and_on_every_core_when_alone(tmp_path, lock_folder):
    import fcntl

    import torch

    runtime = lock_folder
    with runtime.fit_threads() as count:
        assert count == 2
        runtime.share_cores()  # alone: keeps every core
        assert torch.get_num_threads() == 2
        with runtime.fit_threads() as second:  # another encode, started meanwhile
            assert second == 1
            torch.set_num_threads(2)  # (the first encode's threads, in this one process)
            runtime.share_cores()
            assert torch.get_num_threads() == 1  # the first gives its cores up
    with open(tmp_path / "encode.lock", "a") as other:  # held by another process's encode
        fcntl.flock(other, fcntl.LOCK_EX | fcntl.LOCK_NB)
        with runtime.fit_threads() as count:
            assert count == 1
        with runtime.fit_threads(requested=2) as count:
            assert count == 2
    assert torch.get_num_threads() == 2


def test_the_encode_locks_live_in_a_private_folder_and_a_shared_one_is_not_trusted(tmp_path, monkeypatch):
    import stat

    from inrcodec.train import runtime

    monkeypatch.delenv(runtime.RUNTIME_DIR_VARIABLE)
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(tmp_path))
    folder = runtime.lock_directory()
    assert folder == tmp_path / "inrcodec" and stat.S_IMODE(folder.stat().st_mode) == 0o700
    folder.chmod(0o777)  # anyone could create or hold the locks in it
    assert runtime.lock_directory() is None


def test_the_test_suite_coordinates_its_encodes_in_its_own_folder():
    import os

    from inrcodec.train import runtime

    assert runtime.lock_directory() == Path(os.environ[runtime.RUNTIME_DIR_VARIABLE])
    assert Path(os.environ[runtime.RUNTIME_DIR_VARIABLE]).name.startswith("inrcodec-tests-")


def test_a_lock_that_fails_for_a_reason_other_than_another_encode_leaves_every_core(monkeypatch, lock_folder):
    import fcntl

    def refused(handle, operation):
        raise PermissionError(errno.EACCES, "Permission denied")

    monkeypatch.setattr(fcntl, "flock", refused)
    with lock_folder.fit_threads() as count:
        assert count == 2


def test_a_second_encode_waits_for_its_shared_lock_rather_than_going_unnoticed(tmp_path, lock_folder):
    import fcntl
    import threading

    with open(tmp_path / "encode.lock", "a") as first, open(tmp_path / "encode.others", "a") as probe:
        fcntl.flock(first, fcntl.LOCK_EX | fcntl.LOCK_NB)  # another process's encode has every core
        fcntl.flock(probe, fcntl.LOCK_EX | fcntl.LOCK_NB)  # ... and is checking for others right now
        threading.Timer(0.2, fcntl.flock, (probe, fcntl.LOCK_UN)).start()
        with lock_folder.fit_threads() as count:
            assert count == 1
            with pytest.raises(BlockingIOError):  # the first encode's next check sees this one
                fcntl.flock(probe, fcntl.LOCK_EX | fcntl.LOCK_NB)


def test_encodes_in_two_python_threads_take_turns_with_the_thread_count(tmp_path, monkeypatch):
    import threading

    import torch

    from inrcodec.train import runtime

    monkeypatch.setenv(runtime.RUNTIME_DIR_VARIABLE, str(tmp_path))
    before = torch.get_num_threads()
    inside, second_started, seen = threading.Event(), threading.Event(), []

    def second():
        second_started.set()
        with runtime.fit_threads(requested=2):
            pass

    try:
        with runtime.fit_threads(requested=1):
            other = threading.Thread(target=second)
            other.start()
            second_started.wait()
            other.join(0.3)  # it must wait for this encode rather than change its threads
            seen.append(torch.get_num_threads())
        other.join()
        assert seen == [1] and torch.get_num_threads() == before
    finally:
        torch.set_num_threads(before)


def test_written_files_and_folders_take_the_mode_the_umask_gives(tmp_path):
    import os
    import stat

    from inrcodec.files import write_bytes_atomically, write_directory_atomically

    previous = os.umask(0o027)
    try:
        write_bytes_atomically(tmp_path / "out.inr", b"bytes", force=False)
        write_directory_atomically(tmp_path / "views", lambda folder: (folder / "0.png").write_bytes(b"x"), force=False)
    finally:
        os.umask(previous)
    assert stat.S_IMODE((tmp_path / "out.inr").stat().st_mode) == 0o640
    assert stat.S_IMODE((tmp_path / "views").stat().st_mode) == 0o750


def test_forcing_over_a_folder_never_leaves_its_name_empty(tmp_path, monkeypatch):
    import os

    from inrcodec import files

    target = tmp_path / "views"
    target.mkdir()
    (target / "old.png").write_bytes(b"old")
    replace = os.replace

    def watched(source, destination):  # every rename must find the output folder in place
        assert target.is_dir(), "the output folder was gone before the new one took its name"
        replace(source, destination)

    monkeypatch.setattr(files.os, "replace", watched)
    files.write_directory_atomically(target, lambda folder: (folder / "new.png").write_bytes(b"new"), force=True)
    assert sorted(p.name for p in target.iterdir()) == ["new.png"]
    assert [p.name for p in tmp_path.iterdir()] == ["views"]


def test_a_written_file_and_its_folder_are_flushed_to_disk(tmp_path, monkeypatch):
    import os

    from inrcodec import files

    flushed, fsync = [], os.fsync
    monkeypatch.setattr(files.os, "fsync", lambda descriptor: flushed.append(os.readlink(f"/proc/self/fd/{descriptor}"))
                        or fsync(descriptor))
    files.write_bytes_atomically(tmp_path / "out.inr", b"bytes", force=False)
    assert len(flushed) == 2 and flushed[1] == str(tmp_path)  # the file (under its temporary name), then the folder
    assert Path(flushed[0]).parent == tmp_path


def test_an_encode_with_a_requested_thread_count_is_noticed_by_one_on_every_core(lock_folder):
    import torch

    runtime = lock_folder
    with runtime.fit_threads() as count:
        assert count == 2
        with runtime.fit_threads(requested=1):  # another encode, given --threads 1
            torch.set_num_threads(2)  # (the first encode's threads, in this one process)
            runtime.share_cores()
            assert torch.get_num_threads() == 1
