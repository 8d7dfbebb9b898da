"""Spectral bias (paper Eq. 6, Fig. 6): how fast each network learns each frequency of
f(x) = sin(3πx) + sin(5πx) + sin(7πx) + sin(9πx) on 300 points of [−1, 1].

At every refresh of the fitting loop, the network's output is projected on each sin(kπx)
(least squares; the four are orthogonal on the grid) and the relative error |â_k − 1| recorded;
the heat map shows it against steps, one panel per network (ReLU, SIREN, FINER, SL²A), all with
about the same number of parameters.

    python -m benchmarks.experiments.spectral_bias --quick     # 1000 steps
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import torch

from inrcodec.models import ReluPeConfig, Sl2aConfig, build_model
from inrcodec.models.trainable_base import Grid
from inrcodec.models.sine import FinerConfig, SirenConfig
from inrcodec.signals.encoding import centres_tensor as cell_centres

from .common import OUTPUT, arguments, describe, fit_network, result_name, write

FREQUENCIES = (3, 5, 7, 9)
POINTS = 300


def configs() -> dict:
    """The four networks, each the widest of its family within SL²A's parameter count."""
    sl2a = Sl2aConfig(1, 1, width=32, degree=32, hidden_layers=3)
    budget = sl2a.parameter_count()
    relu = ReluPeConfig(1, 1, width=1, frequencies=0)  # a plain ReLU MLP: no encoding
    while replace(relu, width=relu.width + 1).parameter_count() <= budget:
        relu = replace(relu, width=relu.width + 1)
    return {"ReLU": relu, "SIREN": SirenConfig.sized_for(budget, 1, 1, POINTS),
            "FINER": FinerConfig.sized_for(budget, 1, 1, POINTS), "SL²A": sl2a}


def main(argv=None) -> None:
    args = arguments(__doc__, argv)
    steps = 1000 if args.quick else 5000
    x = cell_centres(POINTS)
    basis = torch.stack([torch.sin(k * np.pi * x) for k in FREQUENCIES], dim=1)  # (300, 4)
    target = basis.sum(dim=1, keepdim=True)
    grid = Grid((x,))
    errors = {}

    for name, config in configs().items():
        history = []

        def monitor(network, _done):
            with torch.no_grad():
                output = network(grid)
            coefficients = torch.linalg.lstsq(basis, output).solution[:, 0]
            history.append((coefficients - 1).abs().numpy())

        fit_network(lambda: build_model(config), lambda network: torch.mean((network(grid) - target) ** 2),
                    steps, monitor=monitor)
        errors[name] = np.array(history).T  # (frequencies, refreshes)

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(len(errors), 1, figsize=(8, 1.6 * len(errors)), sharex=True)
    for axis, (name, table) in zip(axes, errors.items()):
        image = axis.imshow(np.clip(table, 0, 1), aspect="auto", cmap="viridis", vmin=0, vmax=1,
                            extent=(0, steps, FREQUENCIES[-1] + 1, FREQUENCIES[0] - 1))
        axis.set_yticks(FREQUENCIES)
        axis.set_ylabel(f"{name}\nk (sin kπx)", fontsize=8)
    axes[-1].set_xlabel("optimizer steps")
    figure.colorbar(image, ax=axes, label="relative error |â_k − 1|")
    OUTPUT.mkdir(parents=True, exist_ok=True)
    figure.savefig(OUTPUT / f"{result_name('spectral_bias', args)}.png", dpi=110)
    plt.close(figure)

    refreshes = next(iter(errors.values())).shape[1]
    quarter = max(0, refreshes // 10 - 1)
    lines = [f"Run: {describe('benchmarks.experiments.spectral_bias', argv)}; "
             f"{steps} steps, full batch of {POINTS} points.", "",
             "| network | parameters | " + " | ".join(f"k={k} @ {(quarter + 1) * 25} steps" for k in FREQUENCIES)
             + " | " + " | ".join(f"k={k} @ end" for k in FREQUENCIES) + " |",
             "|---|---|" + "---|" * (2 * len(FREQUENCIES))]
    for (name, table), config in zip(errors.items(), configs().values()):
        lines.append(f"| {name} | {config.parameter_count()} | "
                     + " | ".join(f"{v:.3f}" for v in table[:, quarter]) + " | "
                     + " | ".join(f"{v:.3f}" for v in table[:, -1]) + " |")
    write(result_name("spectral_bias", args), lines)


if __name__ == "__main__":
    main()
