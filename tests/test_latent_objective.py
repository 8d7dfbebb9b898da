"""The latent model's fast training objective computes what the plain formulation computes: the same
loss and the same gradients, so the encoder's speed-up changes no figure but time."""

import subprocess
import sys

import pytest
import torch

from benchmarks.reference_loop import PlainObjective
from inrcodec.models.latent.objective import LatentObjective
from inrcodec.models import LatentConfig, build_model
from inrcodec.train.rate import laplace_bits


def loss_and_gradients(objective, latents, seed):
    generator = torch.Generator().manual_seed(seed)
    grids = [objective.quantize(y, 0.4, False, generator) for y in latents]
    parameters = latents + list(objective.network.parameters())
    for tensor in parameters:
        tensor.grad = None
    loss, mse = objective.backward(grids, 1e-4 * objective.pixels)
    return float(mse), float(loss - mse), [tensor.grad.clone() for tensor in parameters]


@pytest.mark.parametrize("upsampling", [0, 1, 2])
@pytest.mark.parametrize("height,width,levels,masked", [(32, 48, 5, False), (37, 29, 4, True), (5, 3, 2, False)])
@pytest.mark.parametrize("tile_side,chunk_latents", [(512, 1 << 18), (11, 40)])
def test_the_fast_objective_equals_the_plain_one_in_value_and_gradient_in_any_tiling(
        height, width, levels, masked, upsampling, tile_side, chunk_latents):
    torch.manual_seed(0)
    network = build_model(LatentConfig(2, 3, latent_height=height, latent_width=width, levels=levels,
                                       upsampling=upsampling, hidden_layers=1))
    target = torch.rand(height, width, 3) - 0.5
    known = (torch.rand(height, width, 1) > 0.3).float() if masked else None
    latents = [(3 * torch.randn(shape)).requires_grad_() for shape in network.config.latent_shapes()]
    fast = loss_and_gradients(LatentObjective(network, target, known, precision="float32", tile_side=tile_side,
                                              chunk_latents=chunk_latents), latents, seed=3)
    plain = loss_and_gradients(PlainObjective(network, target, known), latents, seed=3)
    assert fast[0] == pytest.approx(plain[0], rel=1e-5) and fast[1] == pytest.approx(plain[1], rel=1e-5)
    for ours, theirs in zip(fast[2], plain[2]):
        assert torch.allclose(ours, theirs, rtol=1e-4, atol=1e-5 * float(theirs.abs().max()))


def test_laplace_bits_differentiate_exactly_in_the_value_its_mean_and_its_scale():
    values = torch.tensor([0.0, 0.2, -0.45, 0.5, 1.3, -2.7, 6.0, 0.49], dtype=torch.float64, requires_grad=True)
    mean = torch.tensor([0.1, 0.0, 0.3, -0.2, 1.0, 0.4, -1.0, 0.0], dtype=torch.float64, requires_grad=True)
    scale = torch.tensor([0.3, 2.0, 0.05, 1.0, 7.0, 0.8, 3.0, 100.0], dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(laplace_bits, (values, scale, mean))


def test_bfloat16_training_products_change_the_loss_by_under_one_percent():
    torch.manual_seed(0)
    network = build_model(LatentConfig(2, 3, latent_height=64, latent_width=64, levels=6))
    target = torch.rand(64, 64, 3) - 0.5
    latents = [(3 * torch.randn(shape)).requires_grad_() for shape in network.config.latent_shapes()]
    exact = loss_and_gradients(LatentObjective(network, target, precision="float32"), latents, seed=1)
    rounded = loss_and_gradients(LatentObjective(network, target, precision="bfloat16"), latents, seed=1)
    assert rounded[0] == pytest.approx(exact[0], rel=1e-2) and rounded[1] == pytest.approx(exact[1], rel=1e-2)


STEP_MEMORY = """
import resource, torch
from inrcodec.models.latent.objective import LatentObjective
from inrcodec.signals.image.presets import latent_config
from inrcodec.models import build_model
torch.set_num_threads(1)
side = 1024
network = build_model(latent_config(4, (side, side), 3))
objective = LatentObjective(network, torch.rand(side, side, 3) - 0.5, precision="float32", tile_side=256)
latents = [torch.zeros(shape, requires_grad=True) for shape in network.config.latent_shapes()]
generator = torch.Generator().manual_seed(0)
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
for step in range(2):
    objective.backward([objective.quantize(y, 0.5, False, generator) for y in latents], 1e-3)
print((resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) * 1024 / side ** 2)
"""


def test_a_training_step_takes_a_tiles_working_set_and_not_one_per_pixel():
    """Two steps on a 1024² picture in 256² tiles: the memory beyond the latents' own grows by under
    450 bytes per pixel (273 measured; the same step in one 1024² tile: 707)."""
    done = subprocess.run([sys.executable, "-c", STEP_MEMORY], capture_output=True, text=True, check=True)
    assert float(done.stdout) < 450
