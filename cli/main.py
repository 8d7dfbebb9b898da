"""``inrcodec``: encode images and shapes to .inr bitstreams, decode them at any scale, inspect them.

A thin layer over ``inrcodec``'s Python API: every codec error becomes a one-line message and a
non-zero exit status, and outputs are written atomically (never half a file).
"""

from __future__ import annotations

import functools
import io
import json
import sys
import time
from pathlib import Path

import click

from inrcodec import CodecError, api
from inrcodec.render import DEFAULT_MAX_MACS, DEFAULT_MAX_MEMORY_BYTES, DEFAULT_MAX_SAMPLES
from inrcodec.device import DEVICE_CHOICES
from inrcodec.errors import InputError
from inrcodec.files import refuse_existing, write_atomically, write_bytes_atomically, write_directory_atomically
from inrcodec.models import MODEL_NAMES
from inrcodec.presets import DEFAULT_EFFORT, DEFAULT_QUALITY, EFFORTS, PRECISIONS, QUALITY_LEVELS
from inrcodec.signals.image.presets import DEFAULT_STEPS
from inrcodec.signals.volume.presets import VOLUME_PRESETS
from inrcodec.signals.image.io import save_image
from inrcodec.signals import SignalKind, source_kind
from inrcodec.signals.scene.io import read_cameras, save_views
from inrcodec.signals.volume.decode import Volume
from inrcodec.signals.volume.io import SHAPE_SUFFIXES, save_volume



def reports_codec_errors(command):
    """Turn the codec's own errors into click's one-line ``Error: …`` and exit status 1."""

    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        try:
            return command(*args, **kwargs)
        except CodecError as error:
            raise click.ClickException(str(error)) from None

    return wrapper


def parse_size(_context, _parameter, value: str | None):
    """``WxH`` for an image, ``N`` or ``NXxNYxNZ`` for a volume (checked against the file's kind later)."""
    if value is None:
        return None
    try:
        sides = tuple(int(part) for part in value.lower().split("x"))
    except ValueError:
        raise click.BadParameter(f"{value!r} is not WIDTHxHEIGHT (e.g. 1920x1080) or N (e.g. 256)") from None
    if len(sides) not in (1, 2, 3) or min(sides) < 1:
        raise click.BadParameter(f"{value!r}: give WIDTHxHEIGHT or N, positive")
    return sides


def output_beside(input_path: str, suffix: str) -> str:
    if input_path == "-":
        raise InputError("reading standard input: give the output with -o (- for standard output)")
    return str(Path(input_path).with_suffix(suffix))


def read_input(path: str) -> bytes:
    """A file's bytes; ``-`` reads standard input."""
    if path == "-":
        return click.get_binary_stream("stdin").read()
    try:
        return Path(path).read_bytes()
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except OSError as error:
        raise InputError(f"{path}: cannot read ({error.strerror})") from None


QUALITY_OPTION = click.option(
    "-q", "--quality", type=click.IntRange(min(QUALITY_LEVELS), max(QUALITY_LEVELS)),
    default=DEFAULT_QUALITY, show_default=True,
    help=f"Quality level, {min(QUALITY_LEVELS)} (smallest file) to {max(QUALITY_LEVELS)} (best picture); "
         "a higher level never gives a smaller file.")
MODEL_OPTION = click.option(
    "--model", type=click.Choice(MODEL_NAMES),
    help="latent (entropy-coded latent grids and a small synthesis network; the default for images), "
         "sl2a (the weight-only SL²A-INR; the default for shapes) or a weight-only baseline (see "
         "README, Models).")
ITERS_OPTION = click.option(
    "--iters", type=click.IntRange(min=1),
    help=f"Optimizer steps in all (fit, then quantization-aware fine-tuning) [default: {DEFAULT_STEPS} "
         f"for images; for shapes {VOLUME_PRESETS[0].steps}, {VOLUME_PRESETS[-1].steps} at the top quality levels].")
EFFORT_OPTION = click.option(
    "--effort", type=click.Choice(list(EFFORTS)), default=DEFAULT_EFFORT, show_default=True,
    help="How long to train: draft takes 1/16 of the default steps (a preview of a big photo: about "
         "0.6x fast's time, files 1.4-4x the default's size), fast 1/4 of them (1/4 of the time, about "
         "38% more bits for the same PSNR on whole Kodak photos), thorough twice as many (2x the time, "
         "no fewer bits on average: -3.5% to +4.7% on the four photos measured); about 2200 s per megapixel on one core of "
         "a 2-core CPU at the default (benchmarks/RESULTS.md, Photographs of every size). --iters "
         "overrides it. A long encode says how long it expects to take once its first steps are timed.")
FIT_DEVICE_OPTION = click.option(
    "--device", type=click.Choice(DEVICE_CHOICES), default="auto", show_default=True,
    help="Where to fit: auto takes a CUDA GPU when there is one.")


def fit_options(command):
    """The options every command that fits a network shares: quality, model, steps, effort, device."""
    for option in (FIT_DEVICE_OPTION, EFFORT_OPTION, ITERS_OPTION, MODEL_OPTION, QUALITY_OPTION):
        command = option(command)
    return command


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="inrcodec")
def main():
    """inrcodec compresses an image into entropy-coded latent grids and a small neural network
    (or, with --model sl2a and the baselines, into a network's weights alone) that it overfits to
    the picture. Decoding rebuilds the network and renders it at any resolution, so --scale 4
    gives a 4x larger picture straight from the bitstream. A 3-D shape (a mesh, or an occupancy
    grid in a .npy file) is coded the same way, as a network of its inside, and decodes to a mesh
    or a grid of any size; a scene (a folder of posed views with alpha, NeRF's Blender layout) as
    a radiance field, which renders views from any camera at any size.

    \b
      inrcodec encode photo.png -o photo.inr -q 3
      inrcodec decode photo.inr -o photo.png
      inrcodec decode photo.inr --scale 4 -o photo_x4.png
      inrcodec encode bunny.ply -o bunny.inr
      inrcodec decode bunny.inr --size 256 -o bunny.obj
      inrcodec encode lego/ -o lego.inr --holdout 10
      inrcodec decode lego.inr --orbit 24 --scale 2 -o lego_views/
      inrcodec info photo.inr
    """


@main.command()
@click.argument("input_path", metavar="INPUT", type=click.Path())
@click.option("-o", "--output", type=click.Path(dir_okay=False),
              help="Bitstream to write [default: INPUT with the suffix .inr].")
@fit_options
@click.option("--bpp", type=click.FloatRange(min=0, min_open=True),
              help="Images: target rate in bits per pixel, instead of --quality: the latent model searches "
                   "its rate weight for a file within ±5% (usually 2-3 encodes, at most 5, or 8 while each "
                   "lands closer); weight-only models take the highest level whose file is no larger (up "
                   "to 3 encodes). The output says how far from the target the file landed.")
@click.option("--bytes", "max_bytes", type=click.IntRange(min=1),
              help="Shapes: the highest quality level whose file is at most this many bytes (up to 3 encodes).")
@click.option("--size", "grid_side", type=click.IntRange(1, 4096),
              help="Shapes given as meshes: the grid a decode renders by default (its longest side) "
                   "[default: 128]; any other can be asked for when decoding. Scenes: train on views "
                   "resized to this longer side [default: 100, or the views' own if smaller].")
@click.option("--holdout", type=click.IntRange(min=0), default=0,
              help="Scenes: keep every K-th view (0, K, 2K, …) out of training and report PSNR/SSIM "
                   "on those [default: none held out; the report is then on training views].")
@click.option("--seed", type=int, default=0, show_default=True,
              help="Random seed; on the CPU the same seed gives the same bytes.")
@click.option("--mask", type=click.Path(dir_okay=False),
              help="Picture of INPUT's size, white where pixels are known: only those are fitted and "
                   "the decoder fills in the rest (inpainting). PSNR is then over the known pixels.")
@click.option("--threads", type=click.IntRange(min=1),
              help="CPU threads of the fit [default: one per core (or OMP_NUM_THREADS) while no other "
                   "inrcodec encode of yours is running, one thread once another runs: on 2 cores two default "
                   "encodes take 1.2x the time of one alone; two small ones of two threads each took 21.6x, "
                   "1.65x under this rule]. The seed "
                   "gives the same bytes at the same thread count: give --threads for the same bytes "
                   "whatever else runs.")
@click.option("--precision", type=click.Choice(PRECISIONS), default="auto", show_default=True,
              help="Images (latent model): arithmetic of the training steps' matrix products. auto: "
                   "bfloat16 where the CPU has it natively (AVX-512 BF16 or AMX), else float32. Rounding, "
                   "the loss and every reported figure stay float32. The same seed gives the same bytes "
                   "only at the same precision (and thread count).")
@click.option("--max-memory", "max_memory_mb", type=click.IntRange(min=1),
              help="Images: the memory in MB an encode may take [default: 3/4 of this machine's]; a picture "
                   "that would need more is refused before anything is fitted (a default encode needs about "
                   "0.9 GB + 240 bytes per pixel: 6.3 GB for 24 megapixels).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON summary object on stdout.")
@click.option("-f", "--force", is_flag=True, help="Overwrite OUTPUT if it exists.")
@click.option("--quiet", is_flag=True, help="No progress bar.")
@reports_codec_errors
def encode(input_path, output, quality, bpp, max_bytes, grid_side, holdout, model, iters, effort, device, seed,
           mask, threads, precision, max_memory_mb, as_json, force, quiet):
    """Compress INPUT into an .inr bitstream (-o - writes it to standard output, and the summary to
    standard error): an image (PNG or anything Pillow reads; - for standard input), a shape (a
    .ply, .obj, .off or .stl mesh, or a .npy grid: bool/integer occupancy, nonzero inside, or float
    signed distance, negative inside) or a scene (a folder with transforms_train.json and RGBA
    views, or a .npz of images_rgba, poses and focal)."""
    output = output or output_beside(input_path, ".inr")
    if output != "-":
        refuse_existing(output, force=force)
    progress = not quiet and sys.stderr.isatty()
    if holdout and source_kind(input_path) is not SignalKind.SCENE:
        raise InputError("--holdout applies to scenes (a folder or a .npz)")
    result = _encode_any(input_path, quality, bpp, max_bytes, grid_side, holdout, model, iters, effort, device,
                         seed, mask, precision, threads, max_memory_mb, progress)
    if output == "-":
        click.get_binary_stream("stdout").write(result.data)
    else:
        write_bytes_atomically(output, result.data, force=force)
    if as_json:
        click.echo(json.dumps({"output": output, **result.summary()}), err=output == "-")
    else:
        if result.kind == "volume":
            grid = "x".join(str(result.geometry[f"size_{axis}"]) for axis in "xyz")
            measured = f"IoU {result.iou:.4f} at {grid}"
        elif result.kind == "scene":
            measured = (f"PSNR {result.psnr:.2f} dB, SSIM {result.ssim:.4f} on {result.metrics['views']} "
                        f"{result.metrics['measured_on']}")
        else:
            similarity = "" if result.ssim is None else f", SSIM {result.ssim:.4f}"
            measured = f"{result.bpp:.4f} bpp, PSNR {result.psnr:.2f} dB{similarity}"
            if result.target_bpp is not None:  # where the rate search landed, hit or miss
                measured += (f"; {100 * result.target_miss:+.1f}% from the --bpp target {result.target_bpp:g} "
                             f"after {result.encodes} encode{'s' * (result.encodes > 1)}")
        click.echo(f"{output}: {result.bytes} bytes, {measured} (quality {result.quality}, {result.model}, "
                   f"{result.seconds:.1f} s)", err=output == "-")


def _encode_any(input_path, quality, bpp, max_bytes, grid_side, holdout, model, iters, effort, device, seed, mask,
                precision, threads, max_memory_mb, progress):
    """The encode of INPUT by its kind, refusing options of the other kinds."""
    kind = source_kind(input_path)
    if kind is SignalKind.SCENE:
        if bpp is not None or mask is not None or max_bytes is not None:
            raise InputError("--bpp, --bytes and --mask do not apply to scenes; choose a quality level")
        return api.encode_scene(input_path, quality=quality, model=model, size=grid_side, holdout=holdout,
                                iterations=iters, device=device, seed=seed, progress=progress, threads=threads,
                                effort=effort)
    if kind is SignalKind.VOLUME:
        if bpp is not None or mask is not None:
            raise InputError("--bpp and --mask apply to images; for a shape, use --bytes")
        return api.encode_volume(input_path, quality=quality, max_bytes=max_bytes, model=model,
                                 size=grid_side, iterations=iters, device=device, seed=seed, progress=progress,
                                 threads=threads, effort=effort)
    if max_bytes is not None or grid_side is not None:
        raise InputError(f"--bytes and --size apply to shapes ({', '.join(SHAPE_SUFFIXES)}) and --size to "
                         "scenes; for an image, use --bpp")
    source = read_input(input_path) if input_path == "-" else input_path
    return api.encode(source, quality=quality, bpp=bpp, model=model, iterations=iters, effort=effort,
                      device=device, seed=seed, mask=mask, precision=precision, threads=threads,
                      max_memory=None if max_memory_mb is None else max_memory_mb << 20, progress=progress)


@main.command("encode-dir")
@click.argument("input_dir", type=click.Path(file_okay=False))
@click.argument("output_dir", type=click.Path(file_okay=False))
@fit_options
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("-f", "--force", is_flag=True, help="Re-encode pictures whose .inr already exists.")
@click.option("--workers", type=click.IntRange(min=1),
              help="Encode this many pictures at once, each in a single-threaded process [default: one "
                   "per CPU core; one on a GPU].")
@click.option("--ray", "ray_address", metavar="ADDRESS",
              help="Run the fits as Ray tasks on the cluster at ADDRESS ('local' starts Ray on this "
                   "machine and uses all its GPUs); needs pip install 'inrcodec[ray]'.")
@reports_codec_errors
def encode_dir(input_dir, output_dir, quality, model, iters, effort, device, seed, force, workers, ray_address):
    """Encode every picture in INPUT_DIR to OUTPUT_DIR/<name>.inr (<name>.<suffix>.inr where two
    pictures share a name, as a.png and a.jpg). Bad files are reported and skipped whatever goes
    wrong with them; existing outputs are kept (run it again to resume an interrupted batch). Exits with
    status 1 if any file failed."""
    from tqdm.auto import tqdm

    from inrcodec.tools.batch import encode_directory, pictures_in

    if not Path(input_dir).is_dir():
        raise InputError(f"{input_dir}: no such directory")
    with tqdm(total=pictures_in(input_dir), unit="picture", disable=not sys.stderr.isatty()) as bar:
        started = time.perf_counter()
        report = encode_directory(input_dir, output_dir, force=force, ray_address=ray_address, workers=workers,
                                  quality=quality, model=model, iterations=iters, effort=effort, device=device,
                                  seed=seed, on_file=lambda _path: bar.update(1))
        minutes = (time.perf_counter() - started) / 60
    for path, reason in report.failed:
        click.echo(f"skipped {path}: {reason}", err=True)
    rate = f"; {len(report.encoded) / minutes:.2f} pictures per minute" if report.encoded else ""
    click.echo(f"{len(report.encoded)} encoded, {len(report.kept)} kept (already there), "
               f"{len(report.failed)} failed{rate}")
    if report.failed:
        sys.exit(1)


def decode_limit_options(command):
    """The limits a file is checked against before decoding (``decode`` and ``info``)."""
    for option in reversed((
            click.option("--max-pixels", type=click.IntRange(min=1), default=DEFAULT_MAX_SAMPLES,
                         show_default=True, help="Refuse to render more pixels (or grid samples) than this."),
            click.option("--max-macs", type=click.FloatRange(min=1), default=float(DEFAULT_MAX_MACS),
                         show_default=f"{DEFAULT_MAX_MACS:.2g}, about 20 s on 2 CPU cores",
                         help="Refuse files whose decoding needs more multiply-adds than this (other "
                              "operations counted as the multiply-adds they cost; a scene: per view)."),
            click.option("--max-memory", "max_memory_mb", type=click.IntRange(min=1),
                         default=DEFAULT_MAX_MEMORY_BYTES >> 20, show_default=True,
                         help="Refuse files whose decoding needs more memory than this many MB."))):
        command = option(command)
    return command


@main.command()
@click.argument("input_path", metavar="INPUT", type=click.Path(dir_okay=False))
@click.option("-o", "--output", type=click.Path(),
              help="Image to write, PNG; for a shape, a mesh (.ply, .obj, .off, .stl) or an occupancy "
                   "grid (.npy); for a scene, a folder of views [default: INPUT with the suffix .png, "
                   ".ply for a shape, _views for a scene].")
@click.option("--scale", type=float, help="Render at this many times the encoded size (any "
              "positive number; 4 = four times wider and taller).")
@click.option("--size", callback=parse_size, metavar="WxH|N",
              help="Render at exactly WIDTHxHEIGHT pixels; a shape on a grid whose longest side is N "
                   "(or NXxNYxNZ) samples; a scene's views at WIDTHxHEIGHT or N along the longer side.")
@click.option("--orbit", type=click.IntRange(1, 3600),
              help="Scenes: render this many views evenly around the scene (PNGs and an animated "
                   "orbit.webp) [default: 24 unless --poses].")
@click.option("--poses", "poses_path", type=click.Path(dir_okay=False),
              help="Scenes: render the cameras of this Blender transforms JSON (its camera_angle_x and "
                   "transform_matrix per frame), one PNG per frame.")
@click.option("--device", type=click.Choice(DEVICE_CHOICES), default="cpu", show_default=True,
              help="Decoding runs in NumPy on the CPU (auto and cpu mean that; cuda is refused).")
@decode_limit_options
@click.option("-f", "--force", is_flag=True, help="Overwrite OUTPUT if it exists.")
@reports_codec_errors
def decode(input_path, output, scale, size, orbit, poses_path, device, max_pixels, max_macs, max_memory_mb, force):
    """Decode the bitstream INPUT (- for standard input) into a PNG, at the encoded size or any
    other (-o - writes the PNG to standard output); a shape into a mesh (marching cubes, in the
    source's coordinates) or an occupancy grid; a scene into a folder of rendered views.

    A file of a few bytes can declare a network that would compute for hours, so every decode is
    checked before it starts: output pixels, multiply-adds and memory have limits (raise them with
    --max-pixels, --max-macs and --max-memory for files you trust)."""
    data = read_input(input_path)
    kind = api.read_kind(data)
    if kind == "scene":
        _decode_scene(data, input_path, output, scale, size, orbit, poses_path, device, max_macs,
                      max_memory_mb << 20, force)
        return
    if orbit is not None or poses_path is not None:
        raise InputError(f"{input_path} holds {'a shape' if kind == 'volume' else 'an image'}: --orbit and "
                         "--poses apply to scenes")
    shape = kind == "volume"
    output = output or output_beside(input_path, ".ply" if shape else ".png")  # what the file holds
    suffix = Path(output).suffix.lower()
    if shape and (output == "-" or suffix not in SHAPE_SUFFIXES):
        raise InputError(f"{input_path} holds a shape: write it as a mesh or grid ({', '.join(SHAPE_SUFFIXES)}), "
                         f"not {'to standard output' if output == '-' else suffix or 'a file without suffix'}")
    if not shape and suffix in SHAPE_SUFFIXES:
        raise InputError(f"{input_path} holds an image: write it as a picture (.png), not {suffix}")
    if output != "-":
        refuse_existing(output, force=force)
    decoded = api.decode(data, scale=scale, size=size, device=device, max_samples=max_pixels,
                         max_macs=int(max_macs), max_memory_bytes=max_memory_mb << 20)
    if shape:
        _write_volume(decoded, output, force)
        return
    pixels = decoded
    if output == "-":
        buffer = io.BytesIO()
        save_image(pixels, buffer)
        click.get_binary_stream("stdout").write(buffer.getvalue())
        return
    write_atomically(output, lambda temporary: save_image(pixels, temporary), force=force)
    click.echo(f"{output}: {pixels.shape[1]}x{pixels.shape[0]}, {pixels.shape[2]} channel(s)")


def _decode_scene(data: bytes, input_path: str, output: str | None, scale, size, orbit, poses_path, device,
                  max_macs, max_memory_bytes, force) -> None:
    if orbit is not None and poses_path is not None:
        raise InputError("give either --orbit or --poses, not both")
    if output is None:
        output = output_beside(input_path, "") + "_views"
    if output == "-" or Path(output).suffix.lower() in (".png", ".ply", ".npy", ".obj"):
        raise InputError(f"{input_path} holds a scene: its views are written to a folder, not {output}")
    refuse_existing(output, force=force)
    cameras = read_cameras(poses_path) if poses_path is not None else None  # refused before any work
    scene = api.decode_scene(data, scale=scale, size=size and tuple(size), device=device, max_macs=int(max_macs),
                             max_memory_bytes=max_memory_bytes)
    views = scene.orbit(orbit or 24) if cameras is None else scene.cameras(*cameras)
    from tqdm.auto import tqdm

    with tqdm(total=len(views.poses), unit="view", disable=not sys.stderr.isatty()) as bar:
        rendered = scene.render(views, progress=lambda done: bar.update(done - bar.n))
    write_directory_atomically(output, lambda folder: save_views(rendered, folder, animation=cameras is None),
                               force=force)
    click.echo(f"{output}: {len(rendered)} views of {views.width}x{views.height}"
               + (" and orbit.webp" if cameras is None else ""))


def _write_volume(volume: Volume, output: str, force: bool) -> None:
    suffix = Path(output).suffix.lower()
    write_atomically(output, lambda temporary: save_volume(volume, temporary, suffix[1:]), force=force)
    grid = "x".join(map(str, volume.logits.shape))
    if suffix == ".npy":
        click.echo(f"{output}: {grid} occupancy grid, {int(volume.occupancy.sum())} samples inside")
    else:
        vertices, faces = volume.mesh()
        click.echo(f"{output}: mesh of {len(vertices)} vertices, {len(faces)} faces (marching cubes on {grid})")


@main.command()
@click.argument("input_path", metavar="INPUT", type=click.Path(dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Print the fields as one JSON object.")
@decode_limit_options
@reports_codec_errors
def info(input_path, as_json, max_pixels, max_macs, max_memory_mb):
    """Show a bitstream's header fields and how its bytes split over the weight groups (and, for
    the latent model, the latent grids). The breakdown decodes every symbol, so a file is checked
    against the decoder's limits at its coded size first."""
    stream = api.read_info(read_input(input_path), max_samples=max_pixels, max_macs=int(max_macs),
                           max_memory_bytes=max_memory_mb << 20)
    if as_json:
        fields = vars(stream).copy()
        fields["groups"] = [vars(group) for group in stream.groups]
        fields["latent_grids"] = [vars(grid) for grid in stream.latent_grids]
        click.echo(json.dumps(fields))
        return
    geometry = stream.geometry
    if stream.signal == "volume":
        grid = "x".join(str(geometry[f"size_{axis}"]) for axis in "xyz")
        bounds = ", ".join(f"{axis} {geometry[f'offset_{axis}'] - geometry[f'half_{axis}']:.4g}.."
                           f"{geometry[f'offset_{axis}'] + geometry[f'half_{axis}']:.4g}" for axis in "xyz")
        click.echo(f"format version {stream.format_version}, volume on a {grid} grid by default, "
                   f"covering {bounds}")
    elif stream.signal == "scene":
        bounds = ", ".join(f"{axis} {geometry[f'centre_{axis}'] - geometry[f'half_{axis}']:.4g}.."
                           f"{geometry[f'centre_{axis}'] + geometry[f'half_{axis}']:.4g}" for axis in "xyz")
        click.echo(f"format version {stream.format_version}, scene of {geometry['width']}x{geometry['height']} "
                   f"views (focal {geometry['focal']:.4g} px), {geometry['samples_per_ray']} samples per ray over "
                   f"[{geometry['near']:.4g}, {geometry['far']:.4g}], a {geometry['grid_side']}^3 occupancy grid "
                   f"({stream.side_data_bytes} bytes) over {bounds}")
    else:
        click.echo(f"format version {stream.format_version}, {stream.signal} "
                   f"{geometry['width']}x{geometry['height']}, {geometry['channels']} channel(s), "
                   f"{geometry['bit_depth']}-bit")
    click.echo(f"model {stream.model}: " + ", ".join(f"{k}={v}" for k, v in stream.config.items()))
    click.echo(f"{stream.bytes} bytes: header {stream.header_bytes}, payload {stream.payload_bytes}, "
               "checksum 4")
    total_bits = (sum(group.bits for group in stream.groups) + sum(grid.bits for grid in stream.latent_grids)) or 1.0
    click.echo(f"{'weight group':40} {'weights':>8} {'step':>10} {'range':>7} {'share':>7}")
    for group in stream.groups:
        click.echo(f"{group.label:40} {group.weights:8d} {group.step:10.3g} {group.max_abs:7d} "
                   f"{100 * group.bits / total_bits:6.1f}%")
    if stream.latent_grids:
        click.echo(f"{'latent grid':40} {'latents':>8} {'bits/each':>10} {'range':>7} {'share':>7}")
        for level, grid in enumerate(stream.latent_grids):
            sides = "x".join(map(str, grid.shape[::-1] if len(grid.shape) == 2 else grid.shape))  # W×H, or x×y×z
            click.echo(f"{f'1:{2 ** level} ({sides})':40} {grid.coded:8d} {grid.bits / max(1, grid.coded):10.3f} "
                       f"{grid.max_abs:7d} {100 * grid.bits / total_bits:6.1f}%")


@main.command()
@click.argument("input_path", metavar="INPUT", type=click.Path(dir_okay=False))
@click.option("-o", "--output", type=click.Path(dir_okay=False),
              help="Picture to write [default: INPUT_compare.png].")
@fit_options
@click.option("-f", "--force", is_flag=True, help="Overwrite OUTPUT if it exists.")
@reports_codec_errors
def compare(input_path, output, quality, model, iters, effort, device, force):
    """Encode INPUT and write a side-by-side picture of inrcodec, JPEG, WebP, JPEG 2000 and AVIF at
    about the same file size, with bpp and PSNR under each (centre crops of at most 384x384)."""
    from inrcodec.tools.compare import compare as compare_codecs
    from inrcodec.signals.image.io import load_image

    from .demo import print_rows

    output = output or str(Path(input_path).with_name(f"{Path(input_path).stem}_compare.png"))
    refuse_existing(output, force=force)
    original = load_image(input_path).pixels
    result = api.encode(original, quality=quality, model=model, iterations=iters, effort=effort, device=device,
                        progress=sys.stderr.isatty())
    comparison = compare_codecs(original, result)
    write_atomically(output, lambda temporary: comparison.picture.save(temporary, format="PNG"), force=force)
    print_rows(comparison.rows, click.echo)
    click.echo(f"picture: {output}")


@main.command()
@click.option("--out", "output_dir", type=click.Path(file_okay=False), default="demo-output",
              show_default=True, help="Folder for the pictures.")
@click.option("--iters", type=click.IntRange(min=1), default=DEFAULT_STEPS, show_default=True,
              help="Optimizer steps for the encode.")
@click.option("--device", type=click.Choice(DEVICE_CHOICES), default="auto", show_default=True)
@reports_codec_errors
def demo(output_dir, iters, device):
    """Encode and decode a bundled picture (scikit-image's astronaut, 256x256), compare it with
    JPEG, WebP, JPEG 2000 and AVIF at about the same file size, and write the pictures to --out."""
    from .demo import run_demo  # the demo encodes: it loads the encoder (and PyTorch) when it runs

    run_demo(Path(output_dir), iterations=iters, device=device, echo=click.echo)


if __name__ == "__main__":
    main()
