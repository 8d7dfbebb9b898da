"""CT reconstruction: fit an image through a differentiable parallel-beam Radon projector written in
torch, from a sinogram of 100 angles (the paper's setup), beside filtered back-projection.

The projector follows scikit-image's ``radon`` (``circle=True``) ray for ray: for angle θ, the
sample at detector column x and depth y is taken at the image point rotated by θ about the centre,
and the samples along y are summed. Its geometry is tested against ``skimage.transform.radon``.
The network is evaluated at those (continuous) points, so no image is rasterised in the loop;
each step uses a random subset of angles.

    python -m benchmarks.experiments.ct --quick     # Shepp–Logan at 64², 800 steps
"""

from __future__ import annotations

from typing import Callable

import numpy as np
import torch
from skimage.data import shepp_logan_phantom
from skimage.metrics import peak_signal_noise_ratio, structural_similarity
from skimage.transform import iradon, radon, resize

from inrcodec.models import build_model
from inrcodec.models.trainable_base import Grid
from inrcodec.tools.pictures import side_by_side
from inrcodec.presets import QUALITY_LEVELS
from inrcodec.signals.image.presets import model_config
from inrcodec.signals.encoding import centres_tensor as cell_centres

from .common import OUTPUT, arguments, describe, fit_network, result_name, write

ANGLES = 100
ANGLES_PER_STEP = 5


def ray_points(size: int, angles_deg: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Pixel-index coordinates (row, column), each ``(angles, depth y, column x)``, of the samples
    that scikit-image's radon sums for each angle, and a mask of those inside the image circle."""
    centre = size // 2
    theta = torch.deg2rad(angles_deg)[:, None, None]
    y, x = torch.meshgrid(torch.arange(size, dtype=torch.float32), torch.arange(size, dtype=torch.float32),
                          indexing="ij")
    cos, sin = torch.cos(theta), torch.sin(theta)
    columns = cos * (x - centre) + sin * (y - centre) + centre
    rows = -sin * (x - centre) + cos * (y - centre) + centre
    inside = (rows - centre) ** 2 + (columns - centre) ** 2 <= (size / 2) ** 2
    return rows, columns, inside


def project(values_at: Callable[[torch.Tensor, torch.Tensor], torch.Tensor], size: int,
            angles_deg: torch.Tensor) -> torch.Tensor:
    """Sinogram ``(size, angles)``: ``values_at(rows, columns)`` summed along every ray."""
    rows, columns, inside = ray_points(size, angles_deg)
    values = values_at(rows, columns) * inside
    return values.sum(dim=1).T


def network_values(network) -> Callable[[torch.Tensor, torch.Tensor], torch.Tensor]:
    """The network at pixel-index positions (pixel i's centre is cell_centres(size)[i])."""
    def values_at(rows, columns):
        size = rows.shape[-1]
        to_unit = lambda index: (2 * index + 1) / size - 1
        points = torch.stack((to_unit(rows), to_unit(columns)), dim=-1).reshape(-1, 2)
        return network.forward_points(points)[:, 0].reshape(rows.shape)
    return values_at


def bilinear_values(image: np.ndarray) -> Callable[[torch.Tensor, torch.Tensor], torch.Tensor]:
    """An image sampled bilinearly (zero outside), as scikit-image's warp does (for the test)."""
    picture = torch.from_numpy(image.astype(np.float32))[None, None]
    size = image.shape[0]

    def values_at(rows, columns):
        grid = torch.stack(((2 * columns + 1) / size - 1, (2 * rows + 1) / size - 1), dim=-1)
        flat = grid.reshape(1, -1, 1, 2)
        sampled = torch.nn.functional.grid_sample(picture, flat, mode="bilinear", align_corners=False,
                                                  padding_mode="zeros")
        return sampled.reshape(rows.shape)
    return values_at


def main(argv=None) -> None:
    args = arguments(__doc__, argv, models=True)
    size, steps, level = (64, 800, 5) if args.quick else (256, 5000, max(QUALITY_LEVELS))
    phantom = resize(shepp_logan_phantom(), (size, size), anti_aliasing=True).astype(np.float32)
    angles = np.linspace(0.0, 180.0, ANGLES, endpoint=False)
    sinogram = radon(phantom, theta=angles, circle=True).astype(np.float32)
    target = torch.from_numpy(sinogram)
    angles_t = torch.from_numpy(angles.astype(np.float32))
    generator = torch.Generator().manual_seed(0)
    inside = ray_points(size, torch.zeros(1))[2][0].numpy()

    def loss_for(network):
        picks = torch.randperm(ANGLES, generator=generator)[:ANGLES_PER_STEP]
        predicted = project(network_values(network), size, angles_t[picks])
        return torch.mean((predicted - target[:, picks]) ** 2) / size

    results = {"filtered back-projection (scikit-image)":
               np.clip(iradon(sinogram, theta=angles, filter_name="ramp", circle=True), 0, 1) * inside}
    for model in args.models:
        config = model_config(model, level, (256, 256), 1)  # sized as for a 256² picture: CT is not coding
        network = fit_network(lambda: build_model(config), loss_for, steps)
        with torch.no_grad():
            image = network(Grid((cell_centres(size), cell_centres(size))))[..., 0].numpy()
        results[f"inrcodec-{model}"] = np.clip(image, 0, 1) * inside

    lines = [f"Run: {describe('benchmarks.experiments.ct', argv)}; "
             f"Shepp–Logan phantom {size}², {ANGLES} angles, {steps} steps "
             f"({ANGLES_PER_STEP} random angles each), networks of the size of SL²A at level {level} "
             f"for a 256² picture.", "",
             "| method | PSNR dB | SSIM |", "|---|---|---|"]
    for name, image in results.items():
        lines.append(f"| {name} | {peak_signal_noise_ratio(phantom, image.astype(np.float32), data_range=1):.2f} "
                     f"| {structural_similarity(phantom, image.astype(np.float32), data_range=1):.4f} |")
    to_u8 = lambda image: (np.clip(image, 0, 1) * 255).round().astype(np.uint8)[..., None]
    OUTPUT.mkdir(parents=True, exist_ok=True)
    side_by_side([(to_u8(phantom), "phantom")] + [(to_u8(results[n]), n.replace(" (scikit-image)", ""))
                                                  for n in results if n in ("filtered back-projection (scikit-image)",
                                                                            "inrcodec-sl2a")]
                 ).save(OUTPUT / f"{result_name('ct', args)}.png")
    write(result_name("ct", args), lines)


if __name__ == "__main__":
    main()
