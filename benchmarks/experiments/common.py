"""What the experiments share: fitting any network to any loss with the codec's own loop."""

from __future__ import annotations

import argparse
import sys
from typing import Callable

import torch

from inrcodec.train.fit import optimize
from inrcodec.models import REGISTRY
from inrcodec.models.trainable_base import CoordinateNetwork
from inrcodec.presets import float_fit_schedule

from ..common import RESULTS, run_description

OUTPUT = RESULTS / "experiments"
BASELINES = ("sl2a", "siren", "finer", "gauss", "wire", "relu_pe")  # the paper's comparison set


def arguments(doc: str, argv, *, image: bool = False, models: bool = False) -> argparse.Namespace:
    """The experiments' common options: --quick, --tag, and --image / --models where they apply."""
    parser = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="minutes on a 2-core CPU")
    parser.add_argument("--tag", help="suffix of the result files (keeps earlier results)")
    if image:
        parser.add_argument("--image", default="kodim23", help="Kodak image name")
    if models:
        parser.add_argument("--models", nargs="+", default=list(BASELINES))
    return parser.parse_args(argv)


def describe(module: str, argv) -> str:
    """The run line for a results table: command (as typed), commit, machine, date."""
    return run_description(["python", "-m", module, *(sys.argv[1:] if argv is None else argv)])


def learning_rate_for(network: CoordinateNetwork) -> float:
    return next(e.learning_rate for e in REGISTRY.values() if e.config_class is type(network.config))


def fit_network(make: Callable[[], CoordinateNetwork], loss: Callable[[CoordinateNetwork], torch.Tensor],
                steps: int, *, seed: int = 0,
                monitor: Callable[[CoordinateNetwork, int], None] | None = None) -> CoordinateNetwork:
    """``make()`` (seeded) fitted to ``loss`` with the codec's loop and its family's schedule."""
    torch.manual_seed(seed)
    network = make()
    schedule = float_fit_schedule(steps, learning_rate_for(network))

    def loss_and_metric(_step):
        value = loss(network)
        return value, value.detach()

    optimize(network.parameters(), loss_and_metric, schedule, label="fit", progress=False,
             monitor=None if monitor is None else (lambda done: monitor(network, done)))
    return network


def result_name(name: str, args: argparse.Namespace) -> str:
    """``name``, or ``name_<tag>`` with ``--tag``: a run never overwrites a tagged earlier result."""
    return f"{name}_{args.tag}" if args.tag else name


def write(name: str, lines: list[str]) -> None:
    OUTPUT.mkdir(parents=True, exist_ok=True)
    (OUTPUT / f"{name}.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
