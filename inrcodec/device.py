"""Choosing the torch device from the user's ``--device auto|cpu|cuda`` (encoding: decoding runs in
NumPy on the CPU)."""

from .errors import DeviceError

DEVICE_CHOICES = ("auto", "cpu", "cuda")


def resolve_device(name: str = "auto"):
    """Return the torch device for ``name``; ``auto`` takes a CUDA GPU when one is present."""
    import torch  # the encoder's: a decode never gets here

    if name not in DEVICE_CHOICES:
        raise DeviceError(f"unknown device {name!r}: choose one of {', '.join(DEVICE_CHOICES)}")
    if name == "cpu":
        return torch.device("cpu")
    if torch.cuda.is_available():
        return torch.device("cuda")
    if name == "cuda":
        raise DeviceError("--device cuda was asked for, but no CUDA GPU is available on this machine")
    return torch.device("cpu")


def check_decode_device(name: str) -> None:
    """Decoding runs in NumPy on the CPU: ``auto`` and ``cpu`` are that; ``cuda`` is refused rather
    than ignored."""
    if name not in DEVICE_CHOICES:
        raise DeviceError(f"unknown device {name!r}: choose one of {', '.join(DEVICE_CHOICES)}")
    if name == "cuda":
        raise DeviceError("decoding runs on the CPU (NumPy, a few tenths of a second for a photo); "
                          "--device cuda applies to encoding")
