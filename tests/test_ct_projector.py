"""The CT experiment's torch Radon projector reproduces scikit-image's radon ray for ray."""

import numpy as np
import torch
from skimage.data import shepp_logan_phantom
from skimage.transform import radon, resize

from benchmarks.experiments.ct import bilinear_values, project


def test_projector_matches_scikit_image_radon():
    phantom = resize(shepp_logan_phantom(), (48, 48), anti_aliasing=True)
    angles = np.linspace(0.0, 180.0, 30, endpoint=False)
    expected = radon(phantom, theta=angles, circle=True)
    ours = project(bilinear_values(phantom), 48, torch.tensor(angles, dtype=torch.float32)).numpy()
    assert ours.shape == expected.shape
    assert np.linalg.norm(ours - expected) / np.linalg.norm(expected) < 1e-4


def test_projector_is_differentiable():
    values = torch.ones(1, requires_grad=True)
    sinogram = project(lambda rows, columns: values * torch.ones_like(rows), 16, torch.tensor([0.0, 45.0]))
    sinogram.sum().backward()
    assert values.grad is not None and values.grad.item() > 0
