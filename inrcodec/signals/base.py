"""What every signal kind provides to the decoder — its header geometry, the networks it accepts, how
it is rendered — so that the bitstream and decoder handle any kind through one interface (the
registry in ``signals/__init__.py``). The encoder's side of a kind (``SignalEncoding``, in
``signals/encoding.py``) extends it with presets, a fitting objective and measures."""

from __future__ import annotations

from enum import IntEnum
from typing import Any

from ..models import ModelConfig, Network
from ..render import DecodeLimits, RenderPlan


class SignalKind(IntEnum):
    """Stable ids, written in every bitstream's header."""

    IMAGE = 1
    VOLUME = 2
    SCENE = 3


class SignalType:
    """One signal kind as the decoder sees it: its header geometry, what networks may code it, how it
    is rendered. Subclasses fill in every method."""

    kind: SignalKind
    name: str  # "image": in messages and the API
    geometry_class: type  # a frozen dataclass of int fields, written to the header in field order

    def sides(self, geometry) -> tuple[int, ...]:
        """Samples along each coordinate axis at the coded size (the network's input is one
        coordinate per axis; presets size networks from this)."""
        raise NotImplementedError

    def channels(self, geometry) -> int:
        """Values per sample: the network's outputs."""
        raise NotImplementedError

    def check_model(self, geometry, config: ModelConfig) -> None:
        """Refuse (``BitstreamError``) a header whose network cannot render this geometry."""
        raise NotImplementedError

    def output_shape(self, geometry, scale: float | None, size: tuple[int, ...] | None) -> tuple[int, ...]:
        """Samples per axis of a rendering: the coded size, ``scale`` times it, or ``size`` (given
        in the kind's usual order, e.g. width × height)."""
        raise NotImplementedError

    def render_plan(self, config: ModelConfig, geometry, shape: tuple[int, ...]) -> RenderPlan:
        raise NotImplementedError

    carries_side_data = False  # whether the bitstream holds data besides the network for this kind

    def side_data(self, geometry, data: bytes) -> Any:
        """Parse (and validate: ``BitstreamError``) the side data of a bitstream of this kind."""
        return None

    def render(self, network: Network, geometry, plan: RenderPlan, limits: DecodeLimits,
               side_data: Any = None) -> Any:
        """The normative decode: the network on the plan's grid, converted to the kind's samples
        (``limits`` for renders whose work is only known part-way, once ``plan`` has been checked;
        ``side_data`` as ``side_data`` parsed it)."""
        raise NotImplementedError
