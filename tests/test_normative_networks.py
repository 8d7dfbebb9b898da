"""The decoder's NumPy networks (``models/<family>/network.py``) against the PyTorch twins the encoder
trains (``trainable.py``): the same parameters in the same order, and the same outputs."""

import numpy as np
import pytest
import torch

from inrcodec.models import (REGISTRY, FinerConfig, GaborMfnConfig, GaussConfig, Latent3dConfig, LatentConfig, MfnConfig,
                             ReluPeConfig, SirenConfig, Sl2aConfig, StafConfig, WireConfig, build_model,
                             build_network)
from inrcodec.models.trainable_base import Grid
from inrcodec.render import cell_centres

WEIGHT_ONLY = [
    Sl2aConfig(2, 3, width=12, degree=9, hidden_layers=2), Sl2aConfig(3, 4, width=10, degree=5, hidden_layers=2, rank=3),
    Sl2aConfig(3, 1, width=6, degree=0, hidden_layers=0),
    SirenConfig(2, 3, width=16, hidden_layers=2), FinerConfig(3, 1, width=12, hidden_layers=1),
    WireConfig(2, 3, width=8, hidden_layers=2), GaussConfig(3, 4, width=12, hidden_layers=2),
    ReluPeConfig(2, 3, width=16, hidden_layers=1, frequencies=4), StafConfig(3, 1, width=8, hidden_layers=2, terms=3),
    MfnConfig(2, 3, width=12, hidden_layers=2, input_scale=16.0),
    GaborMfnConfig(3, 4, width=10, hidden_layers=1, input_scale=16.0),
]
LATENT = [LatentConfig(2, 3, latent_height=13, latent_width=21, levels=4, upsampling=upsampling, degree=degree,
                       hidden_layers=1, rank=rank, width=8)
          for upsampling, degree, rank in ((0, 0, 0), (1, 3, 0), (2, 0, 0), (2, 4, 3))]
LATENT3D = [Latent3dConfig(3, 4, grid_x=9, grid_y=5, grid_z=7, levels=3, width=8, degree=degree, channels=channels)
            for degree, channels in ((0, 1), (3, 1), (3, 3))]


def _label(config) -> str:
    fields = {"degree": getattr(config, "degree", None), "upsampling": getattr(config, "upsampling", None),
              "channels": getattr(config, "channels", None)}
    return type(config).__name__ + "".join(f"-{k}{v}" for k, v in fields.items() if v is not None)


def test_every_registered_family_is_held_to_its_twin():
    assert {type(config) for config in WEIGHT_ONLY + LATENT + LATENT3D} == {entry.config_class for entry in REGISTRY.values()}


@pytest.mark.parametrize("config", WEIGHT_ONLY + LATENT + LATENT3D, ids=_label)
def test_the_config_lists_the_twins_parameters_in_its_order(config):
    model = build_model(config)
    assert config.parameter_shapes() == [(name, tuple(p.shape)) for name, p in model.named_parameters()]
    assert config.parameter_count() == sum(p.numel() for p in model.parameters())


def _twins(config, seed: int = 0):
    torch.manual_seed(seed)
    model = build_model(config).requires_grad_(False)
    parameters = {name: p.numpy().copy() for name, p in model.named_parameters()}
    latents = None
    if config.latent_shapes():
        rng = np.random.default_rng(seed)
        latents = [rng.integers(-3, 4, shape).astype(np.float32) for shape in config.latent_shapes()]
        model.set_latents([torch.from_numpy(grid) for grid in latents])
    return model, build_network(config, parameters, latents)


def _close(actual: np.ndarray, expected: torch.Tensor) -> None:
    expected = expected.numpy()
    assert actual.shape == expected.shape and actual.dtype == np.float32
    np.testing.assert_allclose(actual, expected, rtol=1e-4, atol=1e-5 * max(1.0, float(np.abs(expected).max())))


@pytest.mark.parametrize("config", WEIGHT_ONLY + LATENT + LATENT3D, ids=_label)
def test_the_numpy_forward_matches_the_twin_on_a_grid(config):
    model, network = _twins(config)
    # the latent model at another size than its grids' 13 × 21: the latents are resampled
    shape = (29, 17) if isinstance(config, LatentConfig) else (7, 5, 3)[:config.in_features]
    axes = tuple(cell_centres(n) for n in shape)
    _close(network.on_grid(axes), model(Grid(tuple(torch.from_numpy(a) for a in axes))))


@pytest.mark.parametrize("config", WEIGHT_ONLY + LATENT3D, ids=_label)
def test_the_numpy_forward_matches_the_twin_at_points_and_at_grid_indices(config):
    model, network = _twins(config, seed=1)
    rng = np.random.default_rng(1)
    reach = 1.05 if config.latent_shapes() else 1.0  # grids are clamped beyond the box
    points = rng.uniform(-reach, reach, (50, config.in_features)).astype(np.float32)
    _close(network.on_points(points), model.forward_points(torch.from_numpy(points)))
    axes = tuple(cell_centres(n) for n in (9, 6, 4)[:config.in_features])
    index = np.stack([rng.integers(0, len(axis), 30) for axis in axes], axis=-1)
    _close(network.at_indices(axes, index),
           model(Grid(tuple(torch.from_numpy(a) for a in axes), torch.from_numpy(index))))
