import numpy as np
import torch

from inrcodec.models import Sl2aConfig, build_model
from inrcodec.models.sl2a.network import chebyshev_basis
from inrcodec.models.trainable_base import Grid
from inrcodec.signals.encoding import centres_tensor as cell_centres


def test_chebyshev_basis_matches_the_recurrence():
    t = np.linspace(-0.99, 0.99, 101)
    basis = chebyshev_basis(t, 12)
    previous, current = np.ones_like(t), t
    assert np.allclose(basis[:, 0], previous) and np.allclose(basis[:, 1], current)
    for k in range(2, 13):
        previous, current = current, 2 * t * current - previous
        assert np.allclose(basis[:, k], current, atol=1e-10)


def test_grid_fast_path_equals_direct_evaluation_on_full_and_sampled_grids():
    torch.manual_seed(0)
    for in_features, rank in ((2, 0), (2, 4), (3, 0)):
        model = build_model(Sl2aConfig(in_features, 3, width=16, degree=24, hidden_layers=2, rank=rank))
        with torch.no_grad():  # make LayerNorm's affine part non-trivial
            model.activation.norm.weight.uniform_(0.5, 1.5)
            model.activation.norm.bias.uniform_(-0.2, 0.2)
        axes = tuple(cell_centres(n) for n in (7, 5, 3)[:in_features])
        grid = Grid(axes)
        direct = model.forward_points(grid.points()).reshape(*grid.shape, 3)
        assert torch.allclose(model(grid), direct, atol=1e-5)
        index = torch.stack([torch.randint(0, len(a), (40,)) for a in axes], dim=-1)
        sampled = Grid(axes, index)
        assert torch.allclose(model(sampled), model.forward_points(sampled.points()), atol=1e-5)


def test_parameter_count_formula_matches_the_network():
    for rank in (0, 5):
        config = Sl2aConfig(2, 4, width=12, degree=9, hidden_layers=3, rank=rank)
        assert config.parameter_count() == sum(p.numel() for p in build_model(config).parameters())


def test_fusion_modulates_every_layer_with_the_activation_block():
    """The fusion MLP equals the paper's equations with ψ multiplied into every layer's input — a
    network that modulated only some layers (the output alone, say) gives other values."""
    torch.manual_seed(1)
    for rank in (0, 3):
        model = build_model(Sl2aConfig(2, 3, width=8, degree=4, hidden_layers=3, rank=rank))
        psi = torch.randn(5, 8)
        z = psi
        for layer in model.hidden:
            z = torch.relu(layer(z * psi))
        assert torch.allclose(model.fuse(psi), model.output(z * psi), atol=1e-6)
        unmodulated = psi
        for layer in model.hidden:
            unmodulated = torch.relu(layer(unmodulated))
        assert not torch.allclose(model.fuse(psi), model.output(unmodulated * psi), atol=1e-3)
