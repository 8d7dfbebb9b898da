"""Choosing the torch device from the user's ``--device auto|cpu|cuda``."""

import torch

from .errors import DeviceError

DEVICE_CHOICES = ("auto", "cpu", "cuda")


def resolve_device(name: str = "auto") -> torch.device:
    """Return the device for ``name``; ``auto`` takes a CUDA GPU when one is present."""
    if name not in DEVICE_CHOICES:
        raise DeviceError(f"unknown device {name!r}: choose one of {', '.join(DEVICE_CHOICES)}")
    if name == "cpu":
        return torch.device("cpu")
    if torch.cuda.is_available():
        return torch.device("cuda")
    if name == "cuda":
        raise DeviceError("--device cuda was asked for, but no CUDA GPU is available on this machine")
    return torch.device("cpu")
