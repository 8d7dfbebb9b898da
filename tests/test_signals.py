"""The signal-kind seam: every kind the bitstream can name has one registry entry, and the pieces the
pipeline takes from it work for any number of axes."""

import numpy as np
import pytest
import torch

from inrcodec.decoder import decode
from inrcodec.models import Sl2aConfig, build_model
from inrcodec.signals.image.presets import model_config
from inrcodec.signals import SIGNAL_TYPES, SignalKind
from inrcodec.signals.encoding import GridObjective


def test_every_kind_the_bitstream_can_name_has_one_registry_entry():
    assert set(SIGNAL_TYPES) == set(SignalKind)
    assert all(entry.kind is kind for kind, entry in SIGNAL_TYPES.items())
    assert len({entry.name for entry in SIGNAL_TYPES.values()}) == len(SIGNAL_TYPES)


def test_decode_dispatches_on_the_files_kind(small_bitstream):
    pixels = decode(small_bitstream, scale=0.5)
    assert pixels.shape == (16, 20, 3) and pixels.dtype == np.uint8  # the image entry's renderer


def test_the_grid_objective_batches_index_the_same_samples_on_three_axes():
    """A random batch of a 3-D grid must compare the network at the batch's coordinates with the
    target at the same samples: with a batch as large as the grid drawn many times, the mean of
    the batch losses approaches the full loss only if indices and coordinates agree."""
    generator = torch.Generator().manual_seed(0)
    target = torch.rand(5, 6, 7, 1, generator=generator) - 0.5
    torch.manual_seed(0)  # the network's initialisation: not whatever earlier tests left behind
    network = build_model(Sl2aConfig(3, 1, width=8, degree=4, hidden_layers=1))
    objective = GridObjective(target, batch_samples=64, generator=generator)
    with torch.no_grad():
        batches = torch.stack([objective.loss(network) for _ in range(400)]).mean()
        points = objective.grid.points()
        direct = ((network.forward_points(points) - target.reshape(-1, 1)) ** 2).mean()
    assert objective.distortion(network) == pytest.approx(float(direct), rel=1e-5)
    assert float(batches) == pytest.approx(float(direct), rel=0.05)
    shuffled = GridObjective(target.flip(0), batch_samples=None, generator=generator)
    assert shuffled.distortion(network) != pytest.approx(float(direct), rel=1e-3)  # the check can fail


def test_image_presets_size_networks_from_the_picture_and_refuse_other_axes():
    large, small = model_config("sl2a", 4, (256, 256), 3), model_config("sl2a", 4, (64, 64), 3)
    assert large.in_features == small.in_features == 2 and small.width < large.width
    assert model_config("siren", 4, (64, 64), 3).parameter_count() < model_config("siren", 4, (256, 256), 3).parameter_count()
    with pytest.raises(ValueError, match="2 axes"):  # shapes and scenes have presets of their own
        model_config("sl2a", 4, (64, 64, 64), 1)
