"""The probability tables of the coder: integers fixed by the format, not by any float code.

An integer coded under scale index ``j``, mean offset ``f`` (sixteenths of a step, −8 … 7) and range
``[-R, R]`` around its predicted centre uses the frequency table ``laplace_frequencies(j, R, f)``:
2R + 1 positive integers summing to 2^24 that discretise Laplace(f/16, b_j). Weight groups use
f = 0; the latent grids' context model predicts j and f per latent. The tables are built by the
integer procedure below (spelled out in ``bitstreams/FORMAT.md``) from one frozen 32-bit constant
per scale index,

    E[j] = round(2^32 · exp(−1 / (16·b_j)))     (b_j the Laplace scale of index j, in steps)

so that they — and every payload — are the same on any machine, library version or libm. With
powers of e = E[j]/2^32 in Q32 fixed point, hp = e^(8−f), hm = e^(8+f) and r = e^16 are the Laplace
tails beyond the bin edges ½ ∓ δ and one step (δ = f/16); the masses are P(0) = 1 − (hp + hm)/2,
P(k) = ½·hp·(1 − r)·r^(k−1) and P(−k) = ½·hm·(1 − r)·r^(k−1), truncated to [−R, R], scaled to
2^24 − (2R + 1) with a floor, the remainder given to the symbol 0, and every symbol gets one more so
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
MEAN_OFFSETS = range(-8, 8)  # f: the mean's offset from the centre, in sixteenths of a step
PRECISION = 24  # bits of the coder's probabilities: frequencies sum to 2^PRECISION
ONE = 1 << 32  # 1.0 in Q32
MAX_ALPHABET = (1 << 16) + 1  # 2·32768 + 1 symbols: the widest range a table may have

# E[j] for scale index j = 0..255 (tests/test_entropy.py recomputes them in exact decimal arithmetic)
LAPLACE_DECAY_Q32 = (
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
    4294967115, 4294967130, 4294967144, 4294967156, 4294967168, 4294967179,
    4294967188, 4294967197, 4294967205, 4294967213, 4294967220, 4294967226,
    4294967232, 4294967237, 4294967242, 4294967247, 4294967251, 4294967255,
    4294967258, 4294967261, 4294967264, 4294967267, 4294967269, 4294967271,
    4294967273, 4294967275, 4294967277, 4294967279,
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


def _decay_table() -> np.ndarray:
    """e^0 … e^16 in Q32 for e = E[j]/2^32, every j: ``(256, 17)`` uint64, each power the previous
    times E[j] (``_multiply``)."""
    decay = np.array(LAPLACE_DECAY_Q32, dtype=np.uint64)
    powers = [np.full(len(decay), ONE, dtype=np.uint64)]
    for _ in range(16):
        powers.append(_multiply(powers[-1], decay))
    return np.stack(powers, axis=1)


DECAY_POWERS = _decay_table()
CACHED_RANGE = 512  # tables up to ±512 are cached (4096 of them: at most 34 MB); wider ones are rare


def laplace_frequencies(scale_index: int, max_abs: int, mean_offset: int = 0) -> np.ndarray:
    """Frequencies of the symbols −max_abs..max_abs around the centre, for a mean ``mean_offset``
    sixteenths of a step from it (a read-only int64 array summing to 2^24)."""
    if max_abs <= CACHED_RANGE:
        return _cached_frequencies(scale_index, max_abs, mean_offset)
    return _frequencies(scale_index, max_abs, mean_offset)


@functools.lru_cache(maxsize=4096)
def _cached_frequencies(scale_index: int, max_abs: int, mean_offset: int) -> np.ndarray:
    return _frequencies(scale_index, max_abs, mean_offset)


def _frequencies(scale_index: int, max_abs: int, mean_offset: int) -> np.ndarray:
    if not (0 <= scale_index <= MAX_SCALE_INDEX and mean_offset in MEAN_OFFSETS):
        raise ValueError(f"no table for scale index {scale_index}, range ±{max_abs}, offset {mean_offset}/16")
    frequencies = frequency_tables(np.array([scale_index]), max_abs, np.array([mean_offset]))[0]
    frequencies.flags.writeable = False
    return frequencies


def frequency_tables(scale_indices: np.ndarray, max_abs: int, mean_offsets: np.ndarray) -> np.ndarray:
    """``laplace_frequencies(j, max_abs, f)`` for many ``(j, f)`` pairs at once, ``(n, 2·max_abs + 1)``
    int64: the same integer procedure, one row per table (a decoder builds the hundreds of tables a
    latent grid uses in one pass rather than one at a time)."""
    if not (1 <= max_abs and 2 * max_abs + 1 <= MAX_ALPHABET):
        raise ValueError(f"no table for range ±{max_abs}")
    powers = DECAY_POWERS[scale_indices]  # (n, 17)
    rows = np.arange(len(powers))
    above, below, r = powers[rows, 8 - mean_offsets], powers[rows, 8 + mean_offsets], powers[:, 16]
    # r^(k−1) for k = 1..R by binary exponentiation, once per distinct scale index: square r once
    # per bit, multiply where the bit is set
    distinct, row_of = np.unique(scale_indices, return_inverse=True)
    exponents = np.arange(max_abs, dtype=np.uint64)
    decay = np.full((len(distinct), max_abs), ONE, dtype=np.uint64)
    square = DECAY_POWERS[distinct, 16]
    for bit in range(int(max_abs - 1).bit_length()):
        selected = (exponents >> np.uint64(bit)) & np.uint64(1) == 1
        decay[:, selected] = _multiply(decay[:, selected], square[:, None])
        square = _multiply(square, square)
    decay = decay[row_of]
    tail = [ONE - int(value) for value in r]  # 1 − r, and below: Python integers, as hp·(1 − r) can reach 2^64
    half_above, half_below = (np.array([(int(h) * t) >> 33 for h, t in zip(hp, tail)], dtype=np.uint64)
                              for hp in (above, below))
    positive = _multiply(decay, half_above[:, None])  # ½·hp·(1 − r)·r^(k−1)
    negative = _multiply(decay, half_below[:, None])
    centre = np.uint64(ONE) - (above + below) // np.uint64(2)
    masses = np.concatenate([negative[:, ::-1], centre[:, None], positive], axis=1)
    free = np.uint64((1 << PRECISION) - masses.shape[1])
    weights = masses * free // masses.sum(axis=1, keepdims=True)
    weights[:, max_abs] += free - weights.sum(axis=1)
    return weights.astype(np.int64) + 1


def symbol_bits(scale_index: int, max_abs: int, mean_offset: int = 0) -> np.ndarray:
    """−log2(frequency / 2^24) of every symbol of a table: what coding it costs."""
    if max_abs <= CACHED_RANGE:
        return _cached_symbol_bits(scale_index, max_abs, mean_offset)
    return PRECISION - np.log2(_frequencies(scale_index, max_abs, mean_offset))


@functools.lru_cache(maxsize=4096)
def _cached_symbol_bits(scale_index: int, max_abs: int, mean_offset: int) -> np.ndarray:
    return PRECISION - np.log2(_cached_frequencies(scale_index, max_abs, mean_offset))


def code_length(integers: np.ndarray, scale_index: int, max_abs: int) -> float:
    """Bits the coder spends on ``integers`` (all within ±max_abs, zero-mean table): what the ANS
    payload matches to within its final flush."""
    counts = np.bincount(np.asarray(integers).reshape(-1) + max_abs, minlength=2 * max_abs + 1)
    return float(counts @ symbol_bits(scale_index, max_abs))
