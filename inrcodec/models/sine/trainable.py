"""The trainable (PyTorch) twin of SIREN and FINER (``network.py``: the model, its config and its
normative forward).

Both use SIREN's initialisation: first layer W ~ U(−1/in, 1/in), later layers
W ~ U(−√(6/in)/ω, √(6/in)/ω). FINER draws the first layer's bias from U(−k, k) (k =
``first_bias_scale``) to spread the frequencies the first layer starts from.
"""

from __future__ import annotations

import math

import torch

from ..mlp.trainable import ActivationMlp
from .network import FinerConfig, SirenConfig


class Siren(ActivationMlp):
    def __init__(self, config: SirenConfig):
        super().__init__(config)
        with torch.no_grad():
            for index, layer in enumerate(self.layers):
                fan_in = layer.in_features
                bound = 1 / fan_in if index == 0 else math.sqrt(6 / fan_in) / config.hidden_omega
                layer.weight.uniform_(-bound, bound)
            bound = math.sqrt(6 / config.width) / config.hidden_omega
            self.output.weight.uniform_(-bound, bound)

    def omega(self, index: int) -> float:
        return self.config.first_omega if index == 0 else self.config.hidden_omega

    def activate(self, z: torch.Tensor, index: int) -> torch.Tensor:
        return torch.sin(self.omega(index) * z)


class Finer(Siren):
    def __init__(self, config: FinerConfig):
        super().__init__(config)
        with torch.no_grad():
            self.layers[0].bias.uniform_(-config.first_bias_scale, config.first_bias_scale)

    def activate(self, z: torch.Tensor, index: int) -> torch.Tensor:
        scale = z.detach().abs() + 1
        return torch.sin(self.omega(index) * scale * z)
