"""The latent-grid model: exact integer coding of the grids, a context model whose float twin the
encoder trains, rendering at any size by bilinear sampling, and hostile latent files refused."""

import json
import struct
import subprocess
import sys
import zlib
from dataclasses import replace
from pathlib import Path

import constriction
import numpy as np
import pytest
import torch
import torch.nn.functional as F

import inrcodec
from inrcodec.bitstream import Bitstream, GroupHeader, read_bitstream, write_bitstream
from inrcodec.models.latent.coding import (CONTEXT_INPUTS, ContextModel, decode_latents, encode_latents, grid_shapes,
                                      latent_code_lengths)
from inrcodec.errors import BitstreamError, LimitError
from inrcodec.models.latent.objective import LatentObjective
from inrcodec.metrics import psnr
from inrcodec.models import LatentConfig, ModelId, build_model
from inrcodec.models.trainable_base import Grid
from inrcodec.models.latent.network import integer_context_model
from inrcodec.quant import weight_groups
from inrcodec.signals import SignalKind
from inrcodec.signals.encoding import centres_tensor as cell_centres
from inrcodec.signals.image.decode import ImageGeometry

REPO = Path(__file__).resolve().parents[1]
CONFORMANCE = REPO / "bitstreams" / "conformance" / "v2_rgb8_24x16_latent.inr"


def random_context(rng, levels, width=8) -> ContextModel:
    return ContextModel(rng.integers(-300, 300, (width, CONTEXT_INPUTS)), rng.integers(-300, 300, width),
                        rng.integers(-300, 300, (2, width)), rng.integers(-50, 50, 2), rng.integers(-30, 30, (levels, 2)),
                        (-8, -8, -8, -8, -4))


def code(grids, ranges, context) -> np.ndarray:
    coder = constriction.stream.stack.AnsCoder()
    encode_latents(coder, grids, ranges, context)
    return coder.get_compressed()


@pytest.mark.parametrize("height,width,levels", [(1, 1, 1), (5, 7, 3), (40, 24, 5), (3, 64, 6)])
def test_latent_grids_round_trip_exactly_and_the_price_matches_the_payload(height, width, levels):
    rng = np.random.default_rng(height * width)
    shapes = grid_shapes(height, width, levels)
    grids = [np.clip(np.round(rng.laplace(0, 3, s)), -20, 20).astype(np.int64) for s in shapes]
    grids[min(1, levels - 1)][:] = 0  # an all-zero grid costs nothing
    ranges = [int(np.abs(g).max()) for g in grids]
    context = random_context(rng, levels)
    words = code(grids, ranges, context)
    decoder = constriction.stream.stack.AnsCoder(words)
    decoded = decode_latents(decoder, shapes, ranges, context)
    assert decoder.is_empty() and all(np.array_equal(a, b) for a, b in zip(grids, decoded))
    assert -32 <= 32 * len(words) - sum(latent_code_lengths(context, grids, ranges)) <= 64


def test_the_integer_context_model_is_the_float_one_up_to_its_rounding():
    """Quantized to power-of-two steps, the trained float network and the coder's integer model
    predict the same means to 1/16 and log-scales to 1/8 (plus the weights' own rounding)."""
    torch.manual_seed(0)
    config = LatentConfig(2, 3, latent_height=16, latent_width=12, levels=3, context_width=8)
    network = build_model(config)
    groups = weight_groups(network.config)
    parameters = dict(network.named_parameters())
    names, integers, steps = [], [], []
    with torch.no_grad():
        for group in groups:
            if group.parameter.startswith("context."):
                tensor = parameters[group.parameter]
                tensor.copy_(torch.round(tensor * 2 ** 10) / 2 ** 10)  # exactly representable
                names.append(group.parameter)
                integers.append((tensor * 2 ** 10).round().long().numpy().reshape(-1))
                steps.append(-40)
    context = integer_context_model(names, integers, steps, config)
    grids = [torch.randint(-6, 7, shape).float() for shape in config.latent_shapes()]
    objective = LatentObjective(network, torch.zeros(16, 12, 3))
    for level in range(3):
        inputs = objective.context_inputs(grids, level)
        with torch.no_grad():
            mean, log2_scale = network.context(inputs, level)
        mean16, log_scale8 = context.predict((16 * inputs).round().long().numpy().reshape(-1, CONTEXT_INPUTS), level)
        assert np.abs(mean16 - 16 * mean.numpy().reshape(-1)).max() <= 1.01
        assert np.abs(log_scale8 - 8 * log2_scale.numpy().reshape(-1)).max() <= 1.01


@pytest.mark.parametrize("upsampling,mode", [(0, "bilinear"), (1, "bicubic")])
@pytest.mark.parametrize("size", [(24, 16), (61, 37), (5, 3)])
def test_rendering_samples_every_grid_like_torch_interpolation_at_any_size(size, upsampling, mode):
    """The decoder's separable sampling equals F.interpolate, on full grids and on chosen points."""
    torch.manual_seed(1)
    network = build_model(LatentConfig(2, 3, latent_height=16, latent_width=24, levels=4, upsampling=upsampling))
    network.set_latents([torch.randint(-5, 6, s).float() for s in network.config.latent_shapes()])
    width, height = size
    expected = torch.stack([F.interpolate(g[None, None], size=(height, width), mode=mode,
                                          align_corners=False)[0, 0] for g in network.latent_grids()], dim=-1)
    axes = (cell_centres(height), cell_centres(width))
    index = torch.stack([torch.randint(0, height, (20,)), torch.randint(0, width, (20,))], dim=-1)
    with torch.no_grad():
        features = network.features(Grid(axes))
        chosen = network.features(Grid(axes, index))
    assert torch.allclose(features, expected, atol=1e-4)  # coordinates round differently in float32
    assert torch.allclose(chosen, features[index[:, 0], index[:, 1]])


def test_the_learned_upsampling_starts_as_repeated_bicubic_doubling():
    """At initialisation the cascade doubles each coarser grid bicubically (PyTorch's ×2, edges
    replicated) once per level, and the sharpening filter is the identity."""
    torch.manual_seed(2)
    network = build_model(LatentConfig(2, 3, latent_height=32, latent_width=16, levels=4, upsampling=2))
    grids = [torch.randn(shape) for shape in network.config.latent_shapes()]
    stack = network.upsampling(grids)
    for level, grid in enumerate(grids):
        expected = grid[None, None]
        for _ in range(level):
            expected = F.interpolate(expected, scale_factor=2, mode="bicubic", align_corners=False)
        assert torch.allclose(stack[level], expected[0, 0], atol=1e-5)


def test_the_learned_filters_are_the_separable_symmetric_filters_of_the_format():
    """Doubling and sharpening with arbitrary taps equal FORMAT.md's filters written as convolutions
    (edges replicated): the 8-tap ×2 filter as a transposed convolution, the 7-tap as a residual."""
    torch.manual_seed(4)
    network = build_model(LatentConfig(2, 3, latent_height=11, latent_width=14, levels=2, upsampling=2))
    with torch.no_grad():
        network.upsampling.doubling.copy_(torch.randn(1, 4))
        network.upsampling.sharpening.copy_(torch.randn(1, 4))
        grids = [torch.randn(shape) for shape in network.config.latent_shapes()]
        stack = network.upsampling(grids)
    t0, t1, t2, t3 = network.upsampling.doubling[0].detach()
    a, b, c, e = network.upsampling.sharpening[0].detach()
    sharpening = torch.stack([a, b, c, e, c, b, a])

    def along(x, kernel, pad):  # one axis (the last), edges replicated; no kernel: doubling
        x = F.pad(x[None], (pad, pad), mode="replicate")[0]
        if kernel is not None:
            return F.conv1d(x.reshape(-1, 1, x.shape[-1]), kernel.view(1, 1, -1)).reshape(*x.shape[:-1], -1)
        even = F.conv1d(x.reshape(-1, 1, x.shape[-1]), torch.stack([t0, t2, t3, t1]).view(1, 1, -1))
        odd = F.conv1d(x.reshape(-1, 1, x.shape[-1]), torch.stack([t1, t3, t2, t0]).view(1, 1, -1))
        return torch.stack([even[:, 0, :-1], odd[:, 0, 1:]], -1).reshape(*x.shape[:-1], -1)

    coarse = along(along(grids[1], None, 2).T, None, 2).T[:11, :14]
    fine = grids[0] + along(along(grids[0], sharpening, 3).T, sharpening, 3).T
    assert torch.allclose(stack[1], coarse, atol=1e-5) and torch.allclose(stack[0], fine, atol=1e-5)


@pytest.mark.parametrize("size", [(16, 24), (61, 37), (5, 3)])
def test_learned_upsampling_renders_its_finest_cell_stack_bicubically_at_any_size(size):
    """Rendering samples the cascade's stack (odd grid sizes cropped) with bicubic taps: at the coded
    size it is the training objective's features, at any other the stack interpolated."""
    torch.manual_seed(3)
    network = build_model(LatentConfig(2, 3, latent_height=13, latent_width=21, levels=4, upsampling=2))
    with torch.no_grad():
        for parameter in network.upsampling.parameters():
            parameter.add_(0.05 * torch.randn_like(parameter))
    network.set_latents([torch.randint(-5, 6, s).float() for s in network.config.latent_shapes()])
    width, height = size
    with torch.no_grad():
        stack = network.upsampling(network.latent_grids())
        expected = F.interpolate(stack[None], size=(height, width), mode="bicubic", align_corners=False)[0]
        features = network.features(Grid((cell_centres(height), cell_centres(width))))
        coded = network.features(Grid((cell_centres(13), cell_centres(21))))
        objective = LatentObjective(network, torch.zeros(13, 21, 3), precision="float32")
    assert torch.allclose(features, expected.permute(1, 2, 0), atol=1e-4)
    assert torch.allclose(coded, objective.features(network.latent_grids()), atol=1e-4)


def test_a_latent_encode_decodes_to_what_it_reports_at_any_scale(small_rgb):
    result = inrcodec.encode(small_rgb, model="latent", quality=4, iterations=150, device="cpu")
    decoded = inrcodec.decode_image(result.data)
    assert result.psnr == pytest.approx(psnr(small_rgb, decoded), abs=1e-9)
    flat = np.broadcast_to(small_rgb.mean(axis=(0, 1)).round().astype(np.uint8), small_rgb.shape)
    assert result.psnr > psnr(small_rgb, flat) + 3
    assert inrcodec.decode_image(result.data, scale=4).shape == (128, 160, 3)
    info = inrcodec.read_info(result.data)
    bits = sum(g.bits for g in info.groups) + sum(g.bits for g in info.latent_grids)
    assert 8 * info.payload_bytes - 64 <= bits <= 8 * info.payload_bytes + 32
    assert [g.shape for g in info.latent_grids] == read_bitstream(result.data).config.latent_shapes()
    assert [g.coded for g in info.latent_grids] == [rows * columns for rows, columns in (g.shape for g in info.latent_grids)]


def test_latent_symbols_decode_identically_with_one_and_two_threads():
    script = ("import sys, json, torch; torch.set_num_threads(int(sys.argv[1]));"
              "from inrcodec.bitstream import read_bitstream;"
              "from inrcodec.decoder import decode_symbols;"
              f"s = read_bitstream(open({str(CONFORMANCE)!r}, 'rb').read());"
              "w, l = decode_symbols(s);"
              "print(json.dumps([[q.tolist() for q in w], [g.tolist() for g in l]]))")
    outputs = [subprocess.run([sys.executable, "-c", script, threads], capture_output=True, text=True, check=True,
                              cwd=REPO).stdout for threads in ("1", "2")]
    assert outputs[0] == outputs[1]
    expected = json.loads(CONFORMANCE.with_suffix(".weights.json").read_text())
    assert json.loads(outputs[0]) == [expected["groups"], expected["latents"]]


def test_latent_files_that_do_not_add_up_are_refused():
    stream = read_bitstream(CONFORMANCE.read_bytes())
    config = stream.config
    # grids that do not match the geometry
    with pytest.raises(BitstreamError, match="do not match"):
        read_bitstream(write_bitstream(replace(stream, config=replace(config, latent_width=config.latent_width + 1))))
    # a range beyond the format's
    body = bytearray(write_bitstream(replace(stream, latent_ranges=(300,) + stream.latent_ranges[1:]))[:-4])
    with pytest.raises(BitstreamError, match="range"):
        read_bitstream(bytes(body) + struct.pack("<I", zlib.crc32(body)))
    # a context tensor whose step is not a power of two
    names = [g.parameter for g in weight_groups(config)]
    position = names.index("context.hidden.weight")
    groups = list(stream.groups)
    groups[position] = replace(groups[position], step_index=groups[position].step_index + 1)
    with pytest.raises(BitstreamError, match="powers of two"):
        inrcodec.decode_image(write_bitstream(replace(stream, groups=tuple(groups))))
    # ranges that lie about the latents, and a payload cut short
    for damaged in (replace(stream, latent_ranges=tuple(max(0, r - 1) for r in stream.latent_ranges)),
                    replace(stream, payload=stream.payload[:-4])):
        with pytest.raises(BitstreamError):
            inrcodec.decode_image(write_bitstream(damaged))


def test_the_render_plan_counts_latent_decoding():
    small = LatentConfig(2, 3, latent_height=64, latent_width=64, levels=7)
    large = replace(small, latent_height=1024, latent_width=1024)
    assert large.decode_ops().macs >= 250 * small.decode_ops().macs
    huge = replace(small, latent_height=65535, latent_width=65535)
    zero = write_bitstream(Bitstream(SignalKind.IMAGE, ImageGeometry(65535, 65535, 3, 8), ModelId.LATENT, huge,
                                     (GroupHeader(0),) * len(weight_groups(huge)), b"",
                                     latent_ranges=(0,) * 7))
    with pytest.raises(LimitError, match="multiply-adds"):  # even at 8x8: its 5.7e9 latents must be decoded
        inrcodec.decode_image(zero, size=(8, 8))
    with pytest.raises(LimitError, match="multiply-adds"):  # the breakdown decodes them all too
        inrcodec.read_info(zero)
