import numpy as np
import pytest
import torch

from inrcodec.models import Sl2aConfig, build_model
from inrcodec.quant import dequantize, group_sizes, group_values, step_from_index, weight_groups
from inrcodec.train.rate import laplace_bits
from inrcodec.quant.groups import degree_bands
from inrcodec.quant.tables import step_index_near
from inrcodec.train.qat import search_steps
from inrcodec.entropy import scale_from_index


@pytest.mark.parametrize("length", [1, 4, 5, 9, 33, 129, 257, 1025])
def test_degree_bands_tile_the_degree_axis(length):
    bands = degree_bands(length)
    assert bands[0][0] == 0 and bands[-1][1] == length
    assert all(a[1] == b[0] and a[0] < a[1] for a, b in zip(bands, bands[1:]))


def test_step_and_scale_tables_are_exact_powers_of_two():
    assert step_from_index(0) == 1.0 and step_from_index(4) == 2.0 and step_from_index(-8) == 0.25
    assert step_from_index(-1) == pytest.approx(2 ** -0.25, rel=1e-15)
    assert scale_from_index(64) == 1.0 and scale_from_index(72) == 2.0


def test_laplace_bits_equal_minus_log2_of_the_bin_probability():
    scale = 1.7
    cdf = lambda x: torch.where(x < 0, 0.5 * torch.exp(x / scale), 1 - 0.5 * torch.exp(-x / scale))
    q = torch.tensor([0.0, 1.0, -2.0, 7.0, 0.3, -0.8], dtype=torch.float64)
    expected = -torch.log2(cdf(q + 0.5) - cdf(q - 0.5)).sum()
    assert float(laplace_bits(q, scale)) == pytest.approx(float(expected), rel=1e-9)


def test_groups_split_only_the_chebyshev_coefficients_and_dequantize_to_each_group():
    config = Sl2aConfig(2, 3, width=4, degree=20, hidden_layers=1)
    groups = weight_groups(config)
    banded = [g for g in groups if g.band is not None]
    assert {g.parameter for g in banded} == {"activation.coefficients"} and len(banded) == 3
    integers = [np.arange(size, dtype=np.int32) - 3 for size in group_sizes(config)]
    parameters = dequantize(config, integers, [0.5] * len(groups))
    for group, values in zip(groups, integers):
        assert np.array_equal(group_values(parameters, group), (values * 0.5).astype(np.float32))


def test_step_search_starts_at_the_given_share_of_each_groups_spread():
    torch.manual_seed(0)
    network = build_model(Sl2aConfig(2, 3, width=8, degree=3, hidden_layers=1))
    with torch.no_grad():
        for parameter in network.parameters():  # no group of equal weights (a spread of zero)
            parameter.add_(0.1 * torch.randn_like(parameter))
    floats = [p.detach().clone() for p in network.parameters()]

    def quantization_error(model) -> float:  # any error costs more than any rate saves (λ = 0)
        return float(sum(((p - f) ** 2).sum() for p, f in zip(model.parameters(), floats)))

    from_16 = search_steps(network, quantization_error, 1, 0.0, start_share=1 / 16)
    from_128 = search_steps(network, quantization_error, 1, 0.0, start_share=1 / 128)
    starts_16 = [step_index_near(float(group_values(dict(network.named_parameters()), g).std()) / 16)
                 for g in weight_groups(network.config)]
    assert all(index >= start - 9 for index, start in zip(from_16, starts_16))  # its moves reach 9 quarter-octaves
    assert all(fine < coarse for fine, coarse in zip(from_128, from_16))
