"""Every registered model codes through the same quantizer, entropy coder and bitstream."""

import pytest
import torch

import inrcodec
from inrcodec.bitstream import read_bitstream, write_bitstream
from inrcodec.models import MODEL_NAMES, REGISTRY, WEIGHT_ONLY_MODELS, build_model
from inrcodec.models.trainable_base import Grid
from inrcodec.signals.image.presets import model_config
from inrcodec.signals.encoding import centres_tensor as cell_centres


IMAGE_MODELS = [name for name in MODEL_NAMES if name != "latent3d"]  # latent3d codes scenes (test_latent3d)


@pytest.mark.parametrize("model", IMAGE_MODELS)
def test_every_model_round_trips_encode_decode(model, small_rgb):
    result = inrcodec.encode(small_rgb, model=model, quality=2, iterations=40, device="cpu")
    stream = read_bitstream(result.data)
    assert REGISTRY[model].id == stream.model_id
    assert write_bitstream(stream) == result.data  # float fields survive the header round trip
    decoded = inrcodec.decode_image(result.data)
    assert decoded.shape == small_rgb.shape
    assert abs(inrcodec.metrics.psnr(small_rgb, decoded) - result.psnr) < 1e-9
    assert inrcodec.decode_image(result.data, scale=1.5).shape == (48, 60, 3)


@pytest.mark.parametrize("model", WEIGHT_ONLY_MODELS)
def test_sizes_match_sl2a_at_every_level(model):
    for level in inrcodec.QUALITY_LEVELS:
        reference = model_config("sl2a", level, (256, 256), 3).parameter_count()
        config = model_config(model, level, (256, 256), 3)
        count = sum(p.numel() for p in build_model(config).parameters())
        assert count == config.parameter_count()
        assert 0.85 * reference <= count <= reference  # the widest that fits the budget


@pytest.mark.parametrize("model", IMAGE_MODELS)
def test_grid_evaluation_equals_pointwise_evaluation(model):
    network = build_model(model_config(model, 2, (64, 64), 3))
    grid = Grid((cell_centres(5), cell_centres(4)))
    with torch.no_grad():
        assert torch.allclose(network(grid), network.forward_points(grid.points()).reshape(5, 4, 3), atol=1e-5)


def test_finer_scale_carries_no_gradient():
    network = build_model(model_config("finer", 1, (32, 32), 1))
    z = torch.tensor([0.3, -0.7], requires_grad=True)
    network.activate(z, 1).sum().backward()
    omega = network.config.hidden_omega
    expected = torch.cos(omega * (z.detach().abs() + 1) * z.detach()) * omega * (z.detach().abs() + 1)
    assert torch.allclose(z.grad, expected)


def test_published_activation_formulas():
    z = torch.linspace(-1, 1, 7)
    assert torch.allclose(build_model(model_config("siren", 1, (32, 32), 1)).activate(z, 0), torch.sin(30 * z))
    assert torch.allclose(build_model(model_config("gauss", 1, (32, 32), 1)).activate(z, 0), torch.exp(-(10 * z) ** 2))
    wire = build_model(model_config("wire", 1, (32, 32), 1))
    assert torch.allclose(wire.gabor(z), torch.exp(1j * 20 * z - (10 * z.abs()) ** 2))
    staf = build_model(model_config("staf", 1, (32, 32), 1))
    expected = sum(staf.amplitudes[0, i] * torch.sin(staf.frequencies[0, i] * z + staf.phases[0, i])
                   for i in range(staf.config.terms))
    assert torch.allclose(staf.activate(z, 0), expected, atol=1e-6)
    pe = build_model(model_config("relu_pe", 1, (256, 256), 1))
    assert pe.config.frequencies == 7 and pe.encode(torch.zeros(1, 2)).shape == (1, 2 * 15)
