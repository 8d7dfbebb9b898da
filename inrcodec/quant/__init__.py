"""Quantization of network weights: the groups they are coded in, the step and scale tables shared
by encoder and decoder, and the Laplace rate model. Training-side code (step search, QAT) lives in
``inrcodec.quant.qat`` and is never imported by the decoder."""

from .groups import WeightGroup, dequantize_into, group_values, weight_groups
from .tables import MAX_SCALE_INDEX, MAX_STEP_INDEX, MIN_STEP_INDEX, scale_from_index, step_from_index
from .rate import best_scale_index, laplace_bits

__all__ = ["WeightGroup", "dequantize_into", "group_values", "weight_groups", "MAX_SCALE_INDEX",
           "MAX_STEP_INDEX", "MIN_STEP_INDEX", "scale_from_index", "step_from_index",
           "best_scale_index", "laplace_bits"]
