"""The probability tables of the weight coder: integers fixed by the format, not by any float code.

A weight group with range ``[-M, M]`` and Laplace scale index ``j`` is coded under the frequency table
``laplace_frequencies(j, M)``: 2M + 1 positive integers summing to 2^24, built by the integer
procedure below (spelled out in ``bitstreams/FORMAT.md``) from one frozen 32-bit constant per scale
index,

    H[j] = round(2^32 · exp(−1 / (2·b_j)))     (b_j the Laplace scale of index j, in steps)

so that the tables — and hence every payload — are the same on any machine, library version or
libm. With h = H[j]/2^32 and r = h², the Q32 masses are those of a discretised Laplace(0, b_j):
P(0) = 1 − h and P(±k) = ½·h·(1 − r)·r^(k−1), truncated to [−M, M]; they are scaled to
2^24 − (2M + 1) with a floor, the remainder goes to the symbol 0, and every symbol gets one more so
that none is impossible.
"""

from __future__ import annotations

import functools
import math

import numpy as np

_EIGHTH_OCTAVE = (1.0, 1.0905077326652577, 1.189207115002721, 1.2968395546510096,  # 2 ** (j / 8)
                  1.4142135623730951, 1.5422108254079407, 1.681792830507429, 1.8340080864093424)
MAX_SCALE_INDEX = 255  # Laplace scale, in steps, = 2 ** (index / 8 - 8): 2^-8 .. 2^23.9
SCALE_INDEX_OFFSET = 64
PRECISION = 24  # bits of the coder's probabilities: frequencies sum to 2^PRECISION
ONE = 1 << 32  # 1.0 in Q32
MAX_ALPHABET = (1 << 16) + 1  # 2·32768 + 1 symbols: the widest range a group may declare

# H[j] for scale index j = 0..255 (tests/test_entropy.py recomputes them in exact decimal arithmetic)
LAPLACE_DECAY_Q32 = (
    0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0,
    0, 0, 1, 4, 23, 114,
    483, 1824, 6163, 18827, 52418, 134053,
    317125, 698470, 1440801, 2798733, 5145013, 8992185,
    15004422, 23994893, 36905875, 54771407, 78665070, 109637892,
    148652826, 196522626, 253857248, 321025356, 398132550, 485016909,
    581260615, 686215099, 799036310, 918726429, 1044178424, 1174220339,
    1307656790, 1443305845, 1580030169, 1716761896, 1852521207, 1986428948,
    2117713904, 2245715466, 2369882518, 2489769347, 2605029347, 2715407188,
    2820730047, 2920898384, 3015876649, 3105684222, 3190386796, 3270088366,
    3344923893, 3415052718, 3480652712, 3541915165, 3599040369, 3652233859,
    3701703250, 3747655612, 3790295335, 3829822416, 3866431115, 3900308936,
    3931635878, 3960583919, 3987316692, 4011989318, 4034748382, 4055731996,
    4075069962, 4092883986, 4109287957, 4124388246, 4138284039, 4151067684,
    4162825044, 4173635859, 4183574096, 4192708297, 4201101925, 4208813685,
    4215897841, 4222404522, 4228380000, 4233866970, 4238904802, 4243529783,
    4247775344, 4251672275, 4255248918, 4258531358, 4261543595, 4264307701,
    4266843974, 4269171071, 4271306145, 4273264955, 4275061981, 4276710525,
    4278222805, 4279610043, 4280882540, 4282049758, 4283120382, 4284102383,
    4285003080, 4285829189, 4286586875, 4287281793, 4287919135, 4288503664,
    4289039749, 4289531400, 4289982295, 4290395810, 4290775039, 4291122824,
    4291441769, 4291734263, 4292002499, 4292248487, 4292474072, 4292680944,
    4292870656, 4293044630, 4293204170, 4293350475, 4293484642, 4293607676,
    4293720503, 4293823968, 4293918848, 4294005855, 4294085643, 4294158809,
    4294225905, 4294287432, 4294343854, 4294395594, 4294443040, 4294486549,
    4294526447, 4294563034, 4294596584, 4294627351, 4294655564, 4294681435,
    4294705160, 4294726916, 4294746866, 4294765160, 4294781936, 4294797320,
    4294811427, 4294824363, 4294836226, 4294847104, 4294857079, 4294866227,
    4294874615, 4294882307, 4294889361, 4294895829, 4294901760, 4294907200,
    4294912187, 4294916761, 4294920955, 4294924801, 4294928328, 4294931562,
    4294934528, 4294937248, 4294939742, 4294942028, 4294944126, 4294946049,
    4294947812, 4294949429, 4294950912, 4294952272, 4294953519, 4294954662,
    4294955711, 4294956672, 4294957554, 4294958363, 4294959104, 4294959784,
    4294960407, 4294960979, 4294961503, 4294961984, 4294962425, 4294962829,
    4294963200, 4294963540, 4294963852, 4294964138, 4294964400, 4294964640,
    4294964861, 4294965063, 4294965248, 4294965418, 4294965574, 4294965717,
    4294965848, 4294965968, 4294966078, 4294966179, 4294966272, 4294966357,
    4294966435, 4294966506, 4294966572, 4294966632, 4294966687, 4294966738,
    4294966784, 4294966826, 4294966865, 4294966901, 4294966934, 4294966964,
    4294966992, 4294967017, 4294967040, 4294967061, 4294967081, 4294967099,
    4294967115, 4294967130, 4294967144, 4294967156,
)


def scale_from_index(index: int) -> float:
    """The Laplace scale b_j (in quantization steps) of scale index j, exactly (ldexp of a literal)."""
    return math.ldexp(_EIGHTH_OCTAVE[index & 7], (index >> 3) - SCALE_INDEX_OFFSET // 8)


def scale_index_near(scale: float) -> int:
    index = round(8 * math.log2(max(scale, 1e-12))) + SCALE_INDEX_OFFSET
    return max(0, min(MAX_SCALE_INDEX, index))


def _multiply(a, b):
    """Q32 product, rounded half up; operands are at most 2^32, so nothing overflows 64 bits."""
    return (a * np.uint64(b) + np.uint64(1 << 31)) >> np.uint64(32)


@functools.lru_cache(maxsize=512)
def laplace_frequencies(scale_index: int, max_abs: int) -> np.ndarray:
    """Frequencies of the symbols −max_abs..max_abs (a read-only int64 array summing to 2^24)."""
    if not (0 <= scale_index < len(LAPLACE_DECAY_Q32) and 1 <= max_abs and 2 * max_abs + 1 <= MAX_ALPHABET):
        raise ValueError(f"no table for scale index {scale_index} and range ±{max_abs}")
    h = np.uint64(LAPLACE_DECAY_Q32[scale_index])
    r = _multiply(h, h)
    # r^(k−1) for k = 1..M by binary exponentiation: square r once per bit, multiply where it is set
    exponents = np.arange(max_abs, dtype=np.uint64)
    powers = np.full(max_abs, ONE, dtype=np.uint64)
    square = r
    for bit in range(int(max_abs - 1).bit_length()):
        selected = (exponents >> np.uint64(bit)) & np.uint64(1) == 1
        powers[selected] = _multiply(powers[selected], square)
        square = _multiply(square, square)
    tail = _multiply(powers, (h * (np.uint64(ONE) - r)) >> np.uint64(33))  # ½·h·(1 − r)·r^(k−1)
    masses = np.concatenate([tail[::-1], [np.uint64(ONE) - h], tail])
    free = np.uint64((1 << PRECISION) - masses.size)
    weights = masses * free // masses.sum()
    weights[max_abs] += free - weights.sum()
    frequencies = weights.astype(np.int64) + 1
    frequencies.flags.writeable = False
    return frequencies


@functools.lru_cache(maxsize=512)
def _symbol_bits(scale_index: int, max_abs: int) -> np.ndarray:
    return PRECISION - np.log2(laplace_frequencies(scale_index, max_abs))


def code_length(integers: np.ndarray, scale_index: int, max_abs: int) -> float:
    """Bits the coder spends on ``integers`` (all within ±max_abs) under their group's table:
    −log2(frequency / 2^24) per symbol, which the ANS payload matches to within its final flush."""
    counts = np.bincount(np.asarray(integers).reshape(-1) + max_abs, minlength=2 * max_abs + 1)
    return float(counts @ _symbol_bits(scale_index, max_abs))
