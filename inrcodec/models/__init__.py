"""The model registry: stable integer ids (written in bitstreams) -> config class and network class.

Ids never change once released; a new architecture takes a new id. ``learning_rate`` is each
family's starting Adam rate for the fit (decayed 100× over it), chosen from the papers' settings
and short fits on Kodak crops.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

from .base import CoordinateNetwork, Grid, ModelConfig
from .gauss import Gauss, GaussConfig
from .latent import LatentConfig, LatentImage
from .mfn import GaborMfnConfig, Mfn, MfnConfig
from .relu_pe import ReluPe, ReluPeConfig
from .sine import Finer, FinerConfig, Siren, SirenConfig
from .sl2a import Sl2a, Sl2aConfig
from .staf import Staf, StafConfig
from .wire import Wire, WireConfig


class ModelId(IntEnum):
    SL2A = 1
    SIREN = 2
    FINER = 3
    WIRE = 4
    GAUSS = 5
    RELU_PE = 6
    STAF = 7
    MFN = 8
    MFN_GABOR = 9
    LATENT = 10


@dataclass(frozen=True)
class ModelEntry:
    id: ModelId
    name: str
    config_class: type[ModelConfig]
    network_class: type[CoordinateNetwork]
    learning_rate: float
    summary: str
    weight_only: bool = True  # the whole signal is in the network's weights (the paper's INRs)


REGISTRY: dict[str, ModelEntry] = {entry.name: entry for entry in (
    ModelEntry(ModelId.SL2A, "sl2a", Sl2aConfig, Sl2a, 1e-2,
               "SL²A-INR: Chebyshev learnable activations + modulated ReLU MLP (default)"),
    ModelEntry(ModelId.SIREN, "siren", SirenConfig, Siren, 1e-3, "SIREN, sin(30·z): the network COIN codes"),
    ModelEntry(ModelId.FINER, "finer", FinerConfig, Finer, 1e-3, "FINER, sin(30·(|z|+1)·z)"),
    ModelEntry(ModelId.WIRE, "wire", WireConfig, Wire, 5e-3, "WIRE, complex Gabor wavelets"),
    ModelEntry(ModelId.GAUSS, "gauss", GaussConfig, Gauss, 5e-3, "Gaussian activations exp(−(10·z)²)"),
    ModelEntry(ModelId.RELU_PE, "relu_pe", ReluPeConfig, ReluPe, 5e-3, "ReLU MLP on a positional encoding"),
    ModelEntry(ModelId.STAF, "staf", StafConfig, Staf, 1e-3, "STAF, trainable sums of sinusoids"),
    ModelEntry(ModelId.MFN, "mfn", MfnConfig, Mfn, 1e-2, "multiplicative filter network, Fourier filters"),
    ModelEntry(ModelId.MFN_GABOR, "mfn_gabor", GaborMfnConfig, Mfn, 1e-2,
               "multiplicative filter network, Gabor filters"),
    ModelEntry(ModelId.LATENT, "latent", LatentConfig, LatentImage, 1e-2,
               "entropy-coded latent grids and a small synthesis network", weight_only=False),
)}
MODEL_NAMES = tuple(REGISTRY)
WEIGHT_ONLY_MODELS = tuple(name for name, entry in REGISTRY.items() if entry.weight_only)


def entry_for_id(model_id: int) -> ModelEntry:
    for entry in REGISTRY.values():
        if entry.id == model_id:
            return entry
    raise KeyError(model_id)


def build_model(config: ModelConfig) -> CoordinateNetwork:
    """A freshly initialised network for ``config`` (its class picks the architecture)."""
    for entry in REGISTRY.values():
        if type(config) is entry.config_class:
            return entry.network_class(config)
    raise KeyError(type(config).__name__)


__all__ = ["CoordinateNetwork", "Grid", "ModelConfig", "ModelEntry", "ModelId", "MODEL_NAMES", "WEIGHT_ONLY_MODELS",
           "REGISTRY", "build_model", "entry_for_id",
           "Sl2a", "Sl2aConfig", "Siren", "SirenConfig", "Finer", "FinerConfig", "Wire", "WireConfig",
           "Gauss", "GaussConfig", "ReluPe", "ReluPeConfig", "Staf", "StafConfig", "Mfn", "MfnConfig",
           "GaborMfnConfig", "LatentConfig", "LatentImage"]
