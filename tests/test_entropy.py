import numpy as np
import pytest

from inrcodec.entropy import CodedGroup, decode_groups, encode_groups
from inrcodec.errors import BitstreamError


def _groups(rng):
    integers = [np.round(rng.laplace(0, s, n)).astype(np.int32) for s, n in ((3, 500), (0.2, 40), (40, 77))]
    integers.append(np.zeros(9, dtype=np.int32))
    groups = [CodedGroup(len(q), int(np.abs(q).max()), max(float(np.abs(q).mean()), 0.1)) for q in integers]
    return integers, groups


def test_round_trip_is_exact_and_all_zero_groups_cost_nothing():
    integers, groups = _groups(np.random.default_rng(1))
    payload = encode_groups(integers, groups)
    assert all(np.array_equal(a, b) for a, b in zip(decode_groups(payload, groups), integers))
    assert encode_groups([np.zeros(5, np.int32)], [CodedGroup(5, 0, 1.0)]) == b""
    assert decode_groups(b"", [CodedGroup(5, 0, 1.0)])[0].tolist() == [0] * 5


def test_damaged_payloads_raise_the_codec_error():
    integers, groups = _groups(np.random.default_rng(2))
    payload = encode_groups(integers, groups)
    for damaged in (payload[:-1], payload + b"\0\0\0\1", b"\0\0\0\0", payload[:-4]):
        with pytest.raises(BitstreamError):
            decode_groups(damaged, groups)
