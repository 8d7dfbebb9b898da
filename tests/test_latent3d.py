"""The 3-D latent scene model: which latents are live, their exact coding, the float context
contexts the encoder trains against the integer ones the coder uses."""

import constriction
import numpy as np
import pytest
import torch

from inrcodec.models.latent.network import bilinear_taps
from inrcodec.models.latent3d.coding import (decode_latents, encode_latents, grid_shapes, latent_code_lengths,
                                             live_masks, upsample_sixteenths)
from inrcodec.models.latent3d.trainable import LatentRate
from inrcodec.models.latent3d.coding import CONTEXT_OFFSETS

from .test_latent import random_context


def _read_latents(points: np.ndarray, shape: tuple[int, int, int]) -> set:
    """Latents a trilinear sample at ``points`` reads with a weight that is not rounding error (a
    point on a cell's edge gives its neighbour ~1e-16; the decoder reads a zero there)."""
    taps = [bilinear_taps(points[:, axis], n) for axis, n in enumerate(shape)]
    read = set()
    for a in range(2):
        for b in range(2):
            for c in range(2):
                weight = taps[0][1][:, a] * taps[1][1][:, b] * taps[2][1][:, c]
                cells = zip(taps[0][0][weight > 1e-9, a], taps[1][0][weight > 1e-9, b], taps[2][0][weight > 1e-9, c])
                read.update(cells)
    return read


@pytest.mark.parametrize("side,shape", [(8, (16, 8, 5)), (6, (4, 9, 13)), (5, (1, 3, 7))])
def test_live_latents_are_exactly_those_samples_in_occupied_cells_can_read(side, shape):
    rng = np.random.default_rng(side)
    occupancy = rng.random((side,) * 3) < 0.15
    occupied = np.argwhere(occupancy)
    # points densely inside every occupied cell (its corners included): what a ray marcher may sample
    offsets = np.stack(np.meshgrid(*[np.linspace(0, 1 - 1e-6, 9)] * 3, indexing="ij"), -1).reshape(-1, 3)
    points = ((occupied[:, None] + offsets[None]).reshape(-1, 3) / side) * 2 - 1
    read = _read_latents(points, shape)
    live = {tuple(cell) for cell in np.argwhere(live_masks(occupancy, [shape])[0])}
    assert read == live


@pytest.mark.parametrize("shape,levels,channels", [((1, 1, 1), 1, 1), ((9, 6, 7), 3, 1), ((20, 11, 16), 4, 1),
                                                   ((9, 6, 7), 3, 2)])
def test_live_latents_round_trip_exactly_and_the_price_matches_the_payload(shape, levels, channels):
    rng = np.random.default_rng(sum(shape))
    occupancy = rng.random((6, 6, 6)) < 0.3
    masks = [mask for mask in live_masks(occupancy, grid_shapes(shape, levels)) for _ in range(channels)]
    grids = [np.clip(np.round(rng.laplace(0, 3, m.shape)), -20, 20).astype(np.int64) * m for m in masks]
    ranges = [int(np.abs(g).max()) for g in grids]
    context = random_context(rng, levels * channels)
    coder = constriction.stream.stack.AnsCoder()
    encode_latents(coder, grids, masks, ranges, context, channels)
    words = coder.get_compressed()
    decoder = constriction.stream.stack.AnsCoder(words)
    decoded = decode_latents(decoder, masks, ranges, context, channels)
    assert decoder.is_empty() and all(np.array_equal(a, b) for a, b in zip(grids, decoded))
    assert -32 <= 32 * len(words) - sum(latent_code_lengths(context, grids, masks, ranges, channels)) <= 64


@pytest.mark.parametrize("channels", [1, 2])
def test_the_float_contexts_are_the_coders_integer_ones_over_sixteen(channels):
    rng = np.random.default_rng(3)
    shapes = grid_shapes((10, 7, 9), 2)
    masks = [mask for mask in live_masks(rng.random((5, 5, 5)) < 0.4, shapes) for _ in range(channels)]
    grids = [rng.integers(-5, 6, m.shape) * m for m in masks]
    captured = []
    rate = LatentRate(masks, channels, torch.device("cpu"))
    rate.bits([torch.from_numpy(g).float() for g in grids],
              lambda inputs, level: captured.append(inputs) or (inputs[:, 0] * 0, inputs[:, 0] * 0))
    cells = np.argwhere(masks[0])  # C order; the coder's order differs, so compare as sets of rows
    padded = np.pad(grids[0], 2)
    neighbours = np.stack([padded[tuple((cells + 2 + offset).T)] for offset in CONTEXT_OFFSETS], 1)
    parent = upsample_sixteenths(grids[channels], shapes[0])[tuple(cells.T)]  # the same channel, coarser
    expected = np.concatenate([16 * neighbours, parent[:, None]], 1)
    got = np.round(captured[0].numpy() * 16).astype(np.int64)
    got[:, -1] = np.floor(captured[0].numpy()[:, -1] * 16 + 1e-6).astype(np.int64)  # the coder floors the parent
    assert sorted(map(tuple, got)) == sorted(map(tuple, expected))


@pytest.fixture(scope="module")
def ball_latent(tmp_path_factory):
    """A ball scene coded with small 3-D latent grids: (signal, bytes, encode result)."""
    from inrcodec.signals.scene.io import ball_scene, load_scene
    from inrcodec.train.encoder import encode_signal

    path = tmp_path_factory.mktemp("ball") / "ball.npz"
    rgba, poses, focal = ball_scene(count=16, side=24)
    np.savez(path, images_rgba=rgba, poses=poses, focal=focal)
    signal = load_scene(path, holdout=4)
    result = encode_signal(signal, quality=2, model="latent3d", steps=120, seed=0,
                           overrides=dict(grid_x=16, grid_y=16, grid_z=16, levels=3, width=12, channels=2))
    return signal, result.data, result


def test_a_latent_scene_decodes_to_what_the_encoder_measured_with_zeros_outside_the_live_latents(ball_latent):
    import inrcodec
    from inrcodec.bitstream import read_bitstream
    from inrcodec.decoder import decode_symbols
    from inrcodec.metrics import psnr
    from inrcodec.signals.scene.decode import unpack_occupancy
    from inrcodec.signals.scene.io import to_pixels

    signal, data, result = ball_latent
    scene = inrcodec.decode_scene(data)
    rendered = scene.render(scene.cameras(signal.held_out.poses))
    truth = to_pixels(signal.held_out_images)
    assert np.mean([psnr(t, r) for t, r in zip(truth, rendered)]) == pytest.approx(result.psnr)
    white = np.mean([psnr(t, np.full_like(t, 255)) for t in truth])
    assert result.psnr > white + 5, (result.psnr, white)
    stream = read_bitstream(data)
    _, latents = decode_symbols(stream)
    masks = stream.config.live_masks(unpack_occupancy(stream.side_data, stream.geometry.grid_side))
    assert any(grid.any() for grid in latents) and not any((grid * ~mask).any() for grid, mask in zip(latents, masks))


def test_hostile_latent_scene_payloads_and_ranges_are_refused(ball_latent):
    import inrcodec
    from dataclasses import replace

    from inrcodec.bitstream import read_bitstream, write_bitstream
    from inrcodec.errors import BitstreamError

    _, data, _ = ball_latent
    stream = read_bitstream(data)
    for hostile in (replace(stream, payload=stream.payload[:len(stream.payload) // 2]),
                    replace(stream, latent_ranges=tuple(r + 7 for r in stream.latent_ranges)),
                    replace(stream, payload=bytes(len(stream.payload)))):
        with pytest.raises(BitstreamError):
            scene = inrcodec.decode_scene(write_bitstream(hostile))
            scene.render(scene.orbit(1))


def test_the_latent3d_model_is_refused_for_images_with_a_clear_error():
    import inrcodec
    from inrcodec.errors import InputError

    with pytest.raises(InputError, match="scenes only"):
        inrcodec.encode_image(np.zeros((8, 8, 3), np.uint8), model="latent3d", iterations=1)


def test_info_prices_the_coded_latents_of_a_latent_scene(ball_latent):
    import inrcodec
    from inrcodec.bitstream import read_bitstream
    from inrcodec.signals.scene.decode import unpack_occupancy

    _, data, _ = ball_latent
    info = inrcodec.read_info(data)
    stream = read_bitstream(data)
    masks = stream.config.live_masks(unpack_occupancy(stream.side_data, stream.geometry.grid_side))
    assert [g.shape for g in info.latent_grids] == stream.config.latent_shapes()
    assert [g.coded for g in info.latent_grids] == [int(mask.sum()) for mask in masks]
    bits = sum(g.bits for g in info.groups) + sum(g.bits for g in info.latent_grids)
    assert 8 * info.payload_bytes - 64 <= bits <= 8 * info.payload_bytes + 32
