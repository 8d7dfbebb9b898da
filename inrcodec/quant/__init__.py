"""Quantization of network weights: the groups they are coded in, the step table shared by encoder
and decoder, and the rate model. Training-side code (step search, QAT) lives in
``inrcodec.quant.qat`` and is never imported by the decoder."""

from .groups import WeightGroup, dequantize_into, group_values, weight_groups
from .tables import MAX_STEP_INDEX, MIN_STEP_INDEX, step_from_index
from .rate import best_scale_index, laplace_bits

__all__ = ["WeightGroup", "dequantize_into", "group_values", "weight_groups", "MAX_STEP_INDEX",
           "MIN_STEP_INDEX", "step_from_index", "best_scale_index", "laplace_bits"]
