"""Writes the conformance bitstreams of the current format version, their expected decodes and the
test vectors of the format's integer tables.

Run when a format version or a model is added (``python bitstreams/make_conformance.py``). Files
that exist are never rewritten: once released they are frozen, and the tests check that each keeps
decoding to its expected weights and picture, and that the tables keep every entry.

- ``conformance/v<N>_<name>.inr``: a bitstream; ``.png`` and ``_x2.png`` its decodes at ×1 and ×2
  (exact up to float rounding, see FORMAT.md), or for a volume ``.npy`` and ``_x2.npy`` its occupancy
  grids and ``.ply`` its mesh, or for a scene ``.npy`` and ``_x2.npy`` its views from two cameras of
  its orbit (``DecodedScene.orbit(2)``) as uint8 arrays; ``.weights.json`` the integers of every weight group (and latent
  grid), which a decoder must reproduce exactly.
- ``vectors/laplace_tables.json``: explicit frequency tables for a few (scale index, range) pairs
  and SHA-256 digests of the tables of every scale index at several ranges.
"""

import hashlib
import json
import tempfile
from pathlib import Path

import numpy as np
from PIL import Image
from skimage import data as skimage_data

import inrcodec
from inrcodec.bitstream import FORMAT_VERSION, read_bitstream
from inrcodec.decoder import decode_symbols
from inrcodec.entropy import MAX_SCALE_INDEX, MEAN_OFFSETS, laplace_frequencies
from inrcodec.signals.image.io import save_image
from inrcodec.signals.scene.io import ball_scene, load_scene
from inrcodec.signals.volume.io import save_volume
from inrcodec.train.encoder import encode_signal

FOLDER = Path(__file__).resolve().parent
CONFORMANCE = FOLDER / "conformance"
VECTORS = FOLDER / "vectors"
TABLE_RANGES = (1, 2, 3, 5, 8, 16, 64, 255, 1024, 32768)  # digests over every scale index and offset
EXPLICIT_TABLES = ((0, 4, 0), (40, 4, 0), (64, 4, 0), (100, 4, 0), (255, 4, 0), (72, 1, 0), (64, 4, -8),
                   (64, 4, 5), (90, 6, 7))  # (scale index, range, mean offset)


def cases() -> dict[str, tuple[np.ndarray, str]]:
    """name -> (pixels, model)."""
    astronaut = Image.fromarray(skimage_data.astronaut()).resize((24, 16), Image.Resampling.LANCZOS)
    camera = Image.fromarray(skimage_data.camera()).resize((16, 16), Image.Resampling.LANCZOS)
    return {
        "rgb8_24x16": (np.asarray(astronaut), "sl2a"),
        "grey16_16x16": (np.asarray(camera).astype(np.uint16) * 257, "sl2a"),
        "rgb8_24x16_siren": (np.asarray(astronaut), "siren"),  # a model with float config fields
        "rgb8_24x16_latent": (np.asarray(astronaut), "latent"),  # latent grids under the context model
        # the same under the presets that followed: bicubic grids, a synthesis without hidden layers
        "rgb8_24x16_latent_bicubic": (np.asarray(astronaut), "latent"),
        # and under the learned upsampling (a filter cascade before the bicubic sampling)
        "rgb8_24x16_latent_learned": (np.asarray(astronaut), "latent"),
    }


# name -> (model, config overrides): the weight-only field, and the 3-D latent grids kept small
SCENE_CASES = {"scene_ball_16": ("sl2a", None),
               "scene_ball_16_latent3d": ("latent3d", dict(grid_x=12, grid_y=12, grid_z=12, levels=3, width=12, channels=2))}


def volume_cases() -> dict[str, tuple[np.ndarray, str]]:
    """name -> (occupancy grid, model): a torus, whose hole a network must get right."""
    centres = (2 * np.arange(16) + 1) / 16 - 1
    x, y, z = np.meshgrid(centres, centres, centres, indexing="ij")
    torus = (np.hypot(x, y) - 0.55) ** 2 + z ** 2 < 0.3 ** 2
    return {"volume_torus_16": (torus, "sl2a")}


def scene_orbit_views(data: bytes, scale: float) -> np.ndarray:
    scene = inrcodec.decode_scene(data, scale=scale)
    return scene.render(scene.orbit(2))


def table_digest(max_abs: int) -> str:
    """SHA-256 of the frequency tables of every scale index and mean offset (that order, offsets
    −8 … 7 within a scale) at ``max_abs``, as little-endian u32."""
    digest = hashlib.sha256()
    for scale_index in range(MAX_SCALE_INDEX + 1):
        for offset in MEAN_OFFSETS:
            digest.update(laplace_frequencies(scale_index, max_abs, offset).astype("<u4").tobytes())
    return digest.hexdigest()


def table_vectors() -> dict:
    return {
        "precision_bits": 24,
        "tables": [{"scale_index": j, "max_abs": m, "mean_offset": f,
                    "frequencies": laplace_frequencies(j, m, f).tolist()} for j, m, f in EXPLICIT_TABLES],
        "sha256_every_scale_index_and_offset": {str(m): table_digest(m) for m in TABLE_RANGES},
    }


def weight_vectors(data: bytes) -> dict:
    stream = read_bitstream(data)
    integers, latents = decode_symbols(stream)
    vectors = {"format_version": stream.version, "groups": [q.tolist() for q in integers]}
    if latents:
        vectors["latents"] = [grid.tolist() for grid in latents]
    return vectors


def main() -> None:
    CONFORMANCE.mkdir(exist_ok=True)
    VECTORS.mkdir(exist_ok=True)
    for name, (pixels, model) in cases().items():
        stem = CONFORMANCE / f"v{FORMAT_VERSION}_{name}"
        if not stem.with_suffix(".inr").exists():
            data = inrcodec.encode_image(pixels, model=model, quality=2, iterations=150, device="cpu", seed=0)
            stem.with_suffix(".inr").write_bytes(data)
            save_image(inrcodec.decode_image(data), stem.with_suffix(".png"))
            save_image(inrcodec.decode_image(data, scale=2), f"{stem}_x2.png")
            print(f"{stem.name}.inr: {len(data)} bytes")
    for name, (grid, model) in volume_cases().items():
        stem = CONFORMANCE / f"v{FORMAT_VERSION}_{name}"
        if not stem.with_suffix(".inr").exists():
            data = inrcodec.encode_volume(grid, model=model, quality=1, iterations=150, device="cpu", seed=0).data
            stem.with_suffix(".inr").write_bytes(data)
            save_volume(inrcodec.decode_volume(data), stem.with_suffix(".npy"))
            save_volume(inrcodec.decode_volume(data, scale=2), f"{stem}_x2.npy")
            save_volume(inrcodec.decode_volume(data), stem.with_suffix(".ply"))
            print(f"{stem.name}.inr: {len(data)} bytes")
    for name, (model, overrides) in SCENE_CASES.items():
        stem = CONFORMANCE / f"v{FORMAT_VERSION}_{name}"
        if stem.with_suffix(".inr").exists():
            continue
        with tempfile.TemporaryDirectory() as folder:
            rgba, poses, focal = ball_scene(count=12, side=16)
            np.savez(Path(folder) / "ball.npz", images_rgba=rgba, poses=poses, focal=focal)
            signal = load_scene(Path(folder) / "ball.npz")
            data = encode_signal(signal, quality=1, model=model, steps=150, overrides=overrides, seed=0).data
        stem.with_suffix(".inr").write_bytes(data)
        np.save(stem.with_suffix(".npy"), scene_orbit_views(data, 1))
        np.save(f"{stem}_x2.npy", scene_orbit_views(data, 2))
        print(f"{stem.name}.inr: {len(data)} bytes")
    for bitstream in sorted(CONFORMANCE.glob("*.inr")):
        weights = bitstream.with_suffix(".weights.json")
        if not weights.exists():
            weights.write_text(json.dumps(weight_vectors(bitstream.read_bytes())) + "\n")
            print(f"{weights.name}")
    tables = VECTORS / "laplace_tables.json"
    if not tables.exists():
        tables.write_text(json.dumps(table_vectors(), indent=1) + "\n")
        print(tables.name)


if __name__ == "__main__":
    main()
