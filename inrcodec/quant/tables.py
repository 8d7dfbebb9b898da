"""The quantization step table: a small integer in the header, an exact float on both sides.

Steps are built with ``ldexp`` from literal mantissas rather than ``2 ** (i / 4)``, so encoder and
decoder agree bit for bit on every platform (no libm ``pow`` in the loop).
"""

import math

_QUARTER_OCTAVE = (1.0, 1.189207115002721, 1.4142135623730951, 1.681792830507429)  # 2 ** (j / 4)

MIN_STEP_INDEX, MAX_STEP_INDEX = -128, 127  # step = 2 ** (index / 4): 2^-32 .. 2^31.75


def step_from_index(index: int) -> float:
    return math.ldexp(_QUARTER_OCTAVE[index & 3], index >> 2)


def step_index_near(step: float) -> int:
    index = round(4 * math.log2(step))
    return max(MIN_STEP_INDEX, min(MAX_STEP_INDEX, index))

