"""The paper's ablations of SL²A-INR, as float-fit PSNR on a Kodak crop: Chebyshev degree (4 → 512),
the fusion block with and without its elementwise modulation by ψ, and low-rank against dense
hidden layers.

    python -m benchmarks.experiments.ablations --quick     # a 128² crop, 600 steps
"""

from __future__ import annotations


import torch

from inrcodec.train.fit import psnr_from_mse
from inrcodec.models import Sl2aConfig
from inrcodec.models.sl2a.trainable import Sl2a
from inrcodec.signals.image.presets import batch_samples
from inrcodec.signals.encoding import GridObjective
from inrcodec.signals.image.encode import image_target
from inrcodec.signals.image.io import load_image

from ..common import kodak_image
from .common import arguments, describe, fit_network, result_name, write


class Sl2aWithoutModulation(Sl2a):
    """The ablation: the fusion MLP ignores ψ after its input (a plain ReLU MLP on ψ)."""

    def fuse(self, psi: torch.Tensor) -> torch.Tensor:
        z = psi
        for layer in self.hidden:
            z = torch.relu(layer(z))
        return self.output(z)


def main(argv=None) -> None:
    args = arguments(__doc__, argv, image=True)
    side, steps = (128, 600) if args.quick else (256, 3000)
    signal = load_image(kodak_image(args.image, side))
    generator = torch.Generator().manual_seed(0)
    objective = GridObjective(image_target(signal, torch.device("cpu")), batch_samples(side * side), generator)

    def run(make):
        network = fit_network(make, objective.loss, steps)
        return sum(p.numel() for p in network.parameters()), psnr_from_mse(objective.distortion(network))

    base = dict(in_features=2, out_features=3, hidden_layers=3)
    lines = [f"Run: {describe('benchmarks.experiments.ablations', argv)}; "
             f"{args.image} {side}² crop, {steps} steps, float fit (no coding).", "",
             "| ablation | setting | parameters | PSNR dB |", "|---|---|---|---|"]
    for degree in (4, 16, 64, 256, 512):
        count, quality = run(lambda: Sl2a(Sl2aConfig(**base, width=32, degree=degree)))
        lines.append(f"| Chebyshev degree | D = {degree} (width 32) | {count} | {quality:.2f} |")
    for name, network_class in (("with ψ modulation (SL²A)", Sl2a), ("without", Sl2aWithoutModulation)):
        count, quality = run(lambda: network_class(Sl2aConfig(**base, width=32, degree=64)))
        lines.append(f"| fusion modulation | {name} | {count} | {quality:.2f} |")
    for rank in (0, 16, 8):
        count, quality = run(lambda: Sl2a(Sl2aConfig(**base, width=64, degree=64, rank=rank)))
        lines.append(f"| hidden layers | {'dense' if rank == 0 else f'rank {rank}'} (width 64) | {count} | {quality:.2f} |")
    write(result_name("ablations", args), lines)


if __name__ == "__main__":
    main()
