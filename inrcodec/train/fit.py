"""The one training loop: Adam (or SOAP for chosen groups) with a cosine-decaying learning rate over
any loss closure.

The float fit and quantization-aware fine-tuning both run through ``optimize``; they differ only in
the loss they hand it. The progress bar shows the PSNR of the fitted signal (values in [-½, ½], so
PSNR = −10·log10(MSE)), refreshed every few steps to keep host syncs out of the loop; at each
refresh an encode that fits on every core gives them up if another encode has started.
"""

from __future__ import annotations

import contextlib
import math
import time
from typing import Callable, Iterable

import torch
from tqdm.auto import tqdm

from ..presets import Schedule
from .runtime import share_cores


REFRESH_EVERY = 25  # steps between progress-bar updates (each one syncs with the device)


def psnr_from_mse(mse: float) -> float:
    return -10 * math.log10(max(mse, 1e-12))


def psnr_postfix(mse: float) -> dict:
    return {"psnr": f"{psnr_from_mse(mse):.2f} dB"}


def optimize(parameters: Iterable, loss_and_mse: Callable[[int], tuple],
             schedule: Schedule, *, label: str, progress: bool,
             monitor: Callable[[int], None] | None = None,
             describe: Callable[[float], dict] = psnr_postfix, bar: tqdm | None = None,
             timed: Callable[[float], None] | None = None) -> float:
    """Run ``schedule.steps`` optimizer steps on ``loss_and_mse(step) -> (loss, mse)`` (a loss that
    does not require gradients has had them propagated by the closure: tiled objectives); returns the
    last MSE seen (on the training batch). ``parameters`` are tensors, or groups ``{"params": [...],
    "lr_scale": k, "soap": bool, "clip": c}``: learning rate k times the schedule's; SOAP (Adam in
    the eigenbasis of Shampoo's preconditioner: Vyas et al. 2024) instead of Adam, and gradients
    clipped to norm c, where asked. ``monitor(steps_done)``, if given, is called at every progress
    refresh (benchmarks use it to record learning curves); ``describe(mse)`` gives the progress
    bar's figures (PSNR unless the objective is not an MSE). ``bar``: a progress bar to advance
    (several phases sharing one ETA) instead of a bar of its own; ``timed(seconds)`` is told the
    time of a step once the first steps (which warm up) are done."""
    parameters = list(parameters)
    groups = parameters if parameters and isinstance(parameters[0], dict) else [{"params": parameters}]
    optimizer = _Optimizers(groups, schedule.learning_rate)
    clipped = [(list(g["params"]), g["clip"]) for g in groups if g.get("clip")]
    last_mse = math.nan
    with contextlib.ExitStack() as stack:
        if bar is None:
            bar = stack.enter_context(tqdm(total=schedule.steps, desc=label, disable=not progress, leave=False,
                                           unit="step", dynamic_ncols=True))
        done = bar.n
        for step in range(schedule.steps):
            if step == TIMED_AFTER:
                started = time.perf_counter()
            for group in optimizer.param_groups:
                group["lr"] = schedule.rate_at(step) * group["lr_scale"]
            optimizer.zero_grad(set_to_none=True)
            loss, mse = loss_and_mse(step)
            if loss.requires_grad:  # else the closure has propagated its gradients itself
                loss.backward()
            for tensors, norm in clipped:
                torch.nn.utils.clip_grad_norm_(tensors, norm)
            optimizer.step()
            refresh = (step + 1) % REFRESH_EVERY == 0 or step + 1 == schedule.steps
            if refresh or step < TIMED_AFTER + TIMED_STEPS:  # early refreshes: an ETA from the start
                share_cores()
                last_mse = float(mse)
                bar.set_postfix(**describe(last_mse))
                bar.update(done + step + 1 - bar.n)
                if timed is not None and step + 1 == TIMED_AFTER + TIMED_STEPS:
                    timed((time.perf_counter() - started) / TIMED_STEPS)
                if monitor is not None and refresh:
                    monitor(step + 1)
    return last_mse


TIMED_AFTER, TIMED_STEPS = 2, 3  # the steps that time a step: after the first two (allocations, imports)


SOAP_SETTINGS = dict(betas=(0.95, 0.95), weight_decay=0.01, precondition_frequency=10)  # Cool-chic's


class _Optimizers:
    """Adam for the plain groups and SOAP for those marked ``soap``, stepped together."""

    def __init__(self, groups: list[dict], learning_rate: float):
        def plain(group):
            return {"params": list(group["params"]), "lr_scale": group.get("lr_scale", 1.0)}

        self.optimizers = [torch.optim.Adam([plain(g) for g in groups if not g.get("soap")] or [{"params": []}],
                                            lr=learning_rate)]
        soap = [plain(g) for g in groups if g.get("soap")]
        if soap:
            from pytorch_optimizer.optimizer.soap import SOAP  # the encoder's alone: a second of import

            self.optimizers.append(SOAP(soap, lr=learning_rate, **SOAP_SETTINGS))

    @property
    def param_groups(self) -> list[dict]:
        return [group for optimizer in self.optimizers for group in optimizer.param_groups]

    def zero_grad(self, set_to_none: bool = True) -> None:
        for optimizer in self.optimizers:
            optimizer.zero_grad(set_to_none=set_to_none)

    def step(self) -> None:
        self.optimizers[0].step()
        if len(self.optimizers) > 1:  # SOAP's small eigenproblems round differently on more threads
            threads = torch.get_num_threads()
            torch.set_num_threads(1)
            try:
                self.optimizers[1].step()
            finally:
                torch.set_num_threads(threads)
