"""Quantization of network weights: the groups they are coded in and the step table shared by encoder
and decoder. Training-side code (the rate model, step search, QAT: ``rate``, ``qat``) imports PyTorch
and is never imported by the decoder."""

from .groups import WeightGroup, dequantize, group_sizes, group_values, weight_groups
from .tables import MAX_STEP_INDEX, MIN_STEP_INDEX, step_from_index

__all__ = ["WeightGroup", "dequantize", "group_sizes", "group_values", "weight_groups", "MAX_STEP_INDEX",
           "MIN_STEP_INDEX", "step_from_index"]
