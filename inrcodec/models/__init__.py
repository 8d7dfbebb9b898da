"""The model registry: stable integer ids (written in bitstreams) -> config class and network class.

Ids never change once released; a new architecture takes a new id.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

from .base import CoordinateNetwork, Grid, ModelConfig
from .sl2a import Sl2a, Sl2aConfig


class ModelId(IntEnum):
    SL2A = 1


@dataclass(frozen=True)
class ModelEntry:
    id: ModelId
    name: str
    config_class: type[ModelConfig]
    network_class: type[CoordinateNetwork]


REGISTRY: dict[str, ModelEntry] = {
    entry.name: entry for entry in (ModelEntry(ModelId.SL2A, "sl2a", Sl2aConfig, Sl2a),)
}
MODEL_NAMES = tuple(REGISTRY)


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


__all__ = ["CoordinateNetwork", "Grid", "ModelConfig", "ModelEntry", "ModelId", "MODEL_NAMES",
           "REGISTRY", "build_model", "entry_for_id", "Sl2aConfig"]
