"""Step and scale tables: small integers in the header, exact floats on both sides.

Values are built with ``ldexp`` from literal mantissas rather than ``2 ** (i / 4)``, so encoder
and decoder agree bit for bit on every platform (no libm ``pow`` in the loop).
"""

import math

# 2 ** (j / 4) and 2 ** (j / 8), written out.
_QUARTER_OCTAVE = (1.0, 1.189207115002721, 1.4142135623730951, 1.681792830507429)
_EIGHTH_OCTAVE = (1.0, 1.0905077326652577, 1.189207115002721, 1.2968395546510096,
                  1.4142135623730951, 1.5422108254079407, 1.681792830507429, 1.8340080864093424)

MIN_STEP_INDEX, MAX_STEP_INDEX = -128, 127  # step = 2 ** (index / 4): 2^-32 .. 2^31.75
MAX_SCALE_INDEX = 255  # Laplace scale, in steps, = 2 ** (index / 8 - 8): 2^-8 .. 2^23.9
SCALE_INDEX_OFFSET = 64


def step_from_index(index: int) -> float:
    return math.ldexp(_QUARTER_OCTAVE[index & 3], index >> 2)


def step_index_near(step: float) -> int:
    index = round(4 * math.log2(step))
    return max(MIN_STEP_INDEX, min(MAX_STEP_INDEX, index))


def scale_from_index(index: int) -> float:
    return math.ldexp(_EIGHTH_OCTAVE[index & 7], (index >> 3) - SCALE_INDEX_OFFSET // 8)


def scale_index_near(scale: float) -> int:
    index = round(8 * math.log2(max(scale, 1e-12))) + SCALE_INDEX_OFFSET
    return max(0, min(MAX_SCALE_INDEX, index))
