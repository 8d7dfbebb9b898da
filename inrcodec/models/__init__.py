"""The model registry: stable integer ids (written in bitstreams) -> config class, normative (NumPy)
network and trainable (PyTorch) twin. A new family is a folder here (``network.py``: config and
normative forward; ``trainable.py``: the twin the encoder fits) and one line below.

Ids never change once released; a new architecture takes a new id. ``learning_rate`` is each
family's starting Adam rate for the fit (decayed 100× over it), chosen from the papers' settings
and short fits on Kodak crops.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from enum import IntEnum

from .base import ModelConfig, Network, Parameters
from .gauss import GaussConfig, GaussNetwork
from .latent import LatentConfig, LatentNetwork
from .latent3d import Latent3dConfig, Latent3dNetwork
from .mfn import GaborMfnConfig, MfnConfig, MfnNetwork
from .relu_pe import ReluPeConfig, ReluPeNetwork
from .sine import FinerConfig, FinerNetwork, SirenConfig, SirenNetwork
from .sl2a import Sl2aConfig, Sl2aNetwork
from .staf import StafConfig, StafNetwork
from .wire import WireConfig, WireNetwork


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
    LATENT3D = 11


@dataclass(frozen=True)
class ModelEntry:
    id: ModelId
    name: str
    config_class: type[ModelConfig]
    network_class: type[Network]  # the normative forward, in NumPy (what decoders run)
    trainable: str  # the PyTorch twin the encoder fits: a class of the family's ``trainable`` module
    learning_rate: float
    summary: str
    weight_only: bool = True  # the whole signal is in the network's weights (the paper's INRs)

    def trainable_class(self) -> type:
        """The trainable twin's class (importing it loads PyTorch: only the encoder calls this)."""
        family = self.config_class.__module__.rsplit(".", 1)[0]
        return getattr(importlib.import_module(f"{family}.trainable"), self.trainable)


REGISTRY: dict[str, ModelEntry] = {entry.name: entry for entry in (
    ModelEntry(ModelId.SL2A, "sl2a", Sl2aConfig, Sl2aNetwork, "Sl2a", 1e-2,
               "SL²A-INR: Chebyshev learnable activations + modulated ReLU MLP (default for shapes and scenes)"),
    ModelEntry(ModelId.SIREN, "siren", SirenConfig, SirenNetwork, "Siren", 1e-3, "SIREN, sin(30·z): the network COIN codes"),
    ModelEntry(ModelId.FINER, "finer", FinerConfig, FinerNetwork, "Finer", 1e-3, "FINER, sin(30·(|z|+1)·z)"),
    ModelEntry(ModelId.WIRE, "wire", WireConfig, WireNetwork, "Wire", 5e-3, "WIRE, complex Gabor wavelets"),
    ModelEntry(ModelId.GAUSS, "gauss", GaussConfig, GaussNetwork, "Gauss", 5e-3, "Gaussian activations exp(−(10·z)²)"),
    ModelEntry(ModelId.RELU_PE, "relu_pe", ReluPeConfig, ReluPeNetwork, "ReluPe", 5e-3, "ReLU MLP on a positional encoding"),
    ModelEntry(ModelId.STAF, "staf", StafConfig, StafNetwork, "Staf", 1e-3, "STAF, trainable sums of sinusoids"),
    ModelEntry(ModelId.MFN, "mfn", MfnConfig, MfnNetwork, "Mfn", 1e-2, "multiplicative filter network, Fourier filters"),
    ModelEntry(ModelId.MFN_GABOR, "mfn_gabor", GaborMfnConfig, MfnNetwork, "Mfn", 1e-2,
               "multiplicative filter network, Gabor filters"),
    ModelEntry(ModelId.LATENT, "latent", LatentConfig, LatentNetwork, "LatentImage", 1e-2,
               "entropy-coded latent grids and a small synthesis network", weight_only=False),
    ModelEntry(ModelId.LATENT3D, "latent3d", Latent3dConfig, Latent3dNetwork, "LatentScene", 2e-2,
               "entropy-coded 3-D latent grids over the occupied space and an SL²A decoder (scenes)",
               weight_only=False),
)}
MODEL_NAMES = tuple(REGISTRY)
WEIGHT_ONLY_MODELS = tuple(name for name, entry in REGISTRY.items() if entry.weight_only)


def entry_for_id(model_id: int) -> ModelEntry:
    for entry in REGISTRY.values():
        if entry.id == model_id:
            return entry
    raise KeyError(model_id)


def entry_for_config(config: ModelConfig) -> ModelEntry:
    for entry in REGISTRY.values():
        if type(config) is entry.config_class:
            return entry
    raise KeyError(type(config).__name__)


def build_network(config: ModelConfig, parameters: Parameters, latents: list | None = None) -> Network:
    """The normative (NumPy) network of ``config`` with decoded ``parameters`` (and latent grids, for
    models that have them): what decoders render."""
    entry = entry_for_config(config)
    if latents is not None:
        return entry.network_class(config, parameters, latents)
    return entry.network_class(config, parameters)


def build_model(config: ModelConfig):
    """A freshly initialised trainable (PyTorch) network for ``config``: the encoder's."""
    return entry_for_config(config).trainable_class()(config)


__all__ = ["ModelConfig", "ModelEntry", "ModelId", "MODEL_NAMES", "Network", "Parameters", "WEIGHT_ONLY_MODELS",
           "REGISTRY", "build_model", "build_network", "entry_for_config", "entry_for_id",
           "Sl2aConfig", "SirenConfig", "FinerConfig", "WireConfig", "GaussConfig", "ReluPeConfig", "StafConfig",
           "MfnConfig", "GaborMfnConfig", "LatentConfig", "Latent3dConfig"]
