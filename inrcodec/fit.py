"""The one training loop: Adam with a cosine-decaying learning rate over any loss closure.

The float fit and quantization-aware fine-tuning both run through ``optimize``; they differ only in
the loss they hand it. The progress bar shows the PSNR of the fitted signal (values in [-½, ½], so
PSNR = −10·log10(MSE)), refreshed every few steps to keep host syncs out of the loop; at each
refresh an encode that fits on every core gives them up if another encode has started.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable, Iterable

import torch
from tqdm.auto import tqdm

from .runtime import share_cores

REFRESH_EVERY = 25  # steps between progress-bar updates (each one syncs with the device)


@dataclass(frozen=True)
class Schedule:
    steps: int
    learning_rate: float
    final_learning_rate: float

    def rate_at(self, step: int) -> float:
        progress = step / max(1, self.steps - 1)
        cosine = 0.5 * (1 + math.cos(math.pi * progress))
        return self.final_learning_rate + (self.learning_rate - self.final_learning_rate) * cosine


def psnr_from_mse(mse: float) -> float:
    return -10 * math.log10(max(mse, 1e-12))


def psnr_postfix(mse: float) -> dict:
    return {"psnr": f"{psnr_from_mse(mse):.2f} dB"}


def optimize(parameters: Iterable, loss_and_mse: Callable[[int], tuple],
             schedule: Schedule, *, label: str, progress: bool,
             monitor: Callable[[int], None] | None = None,
             describe: Callable[[float], dict] = psnr_postfix) -> float:
    """Run ``schedule.steps`` Adam steps on ``loss_and_mse(step) -> (loss, mse)``; returns the last
    MSE seen (on the training batch). ``parameters`` are tensors, or groups ``{"params": [...],
    "lr_scale": k}`` whose learning rate is k times the schedule's. ``monitor(steps_done)``, if
    given, is called at every progress refresh (benchmarks use it to record learning curves);
    ``describe(mse)`` gives the progress bar's figures (PSNR unless the objective is not an MSE)."""
    parameters = list(parameters)
    groups = parameters if parameters and isinstance(parameters[0], dict) else [{"params": parameters}]
    optimizer = torch.optim.Adam([{"params": list(g["params"]), "lr_scale": g.get("lr_scale", 1.0)} for g in groups],
                                 lr=schedule.learning_rate)
    last_mse = math.nan
    with tqdm(total=schedule.steps, desc=label, disable=not progress, leave=False,
              unit="step", dynamic_ncols=True) as bar:
        for step in range(schedule.steps):
            for group in optimizer.param_groups:
                group["lr"] = schedule.rate_at(step) * group["lr_scale"]
            loss, mse = loss_and_mse(step)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            if (step + 1) % REFRESH_EVERY == 0 or step + 1 == schedule.steps:
                share_cores()
                last_mse = float(mse)
                bar.set_postfix(**describe(last_mse))
                bar.update((step + 1) - bar.n)
                if monitor is not None:
                    monitor(step + 1)
    return last_mse
