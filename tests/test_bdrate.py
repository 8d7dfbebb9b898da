import math

import pytest

from benchmarks.bdrate import bd_rate, monotone_curve

RATES = [0.1, 0.2, 0.4, 0.8, 1.6]
PSNRS = [24.0, 27.0, 30.0, 33.0, 36.0]  # 3 dB per doubling: log-rate linear in PSNR


def test_identical_curves_differ_by_nothing():
    assert bd_rate(RATES, PSNRS, RATES, PSNRS) == pytest.approx(0.0, abs=1e-9)


@pytest.mark.parametrize("factor", [0.5, 0.9, 1.25])
def test_a_curve_scaled_in_rate_differs_by_exactly_that_factor(factor):
    """Same quality at factor × the bits everywhere: BD-rate = (factor − 1) · 100 %."""
    scaled = [r * factor for r in RATES]
    assert bd_rate(RATES, PSNRS, scaled, PSNRS) == pytest.approx((factor - 1) * 100, abs=1e-9)
    assert bd_rate(scaled, PSNRS, RATES, PSNRS) == pytest.approx((1 / factor - 1) * 100, abs=1e-9)


def test_only_the_overlapping_quality_range_counts():
    """The test curve exists only from 30 dB up, at half the rate; over the shared range 30–36 dB
    that is all there is, so the BD-rate is −50 % (both curves are linear in log-rate, which the
    piecewise-cubic interpolation reproduces exactly)."""
    test_rates = [0.2, 0.4, 0.8]
    assert bd_rate(RATES, PSNRS, test_rates, PSNRS[2:]) == pytest.approx(-50.0, abs=1e-9)


def test_disjoint_or_degenerate_curves_give_nan():
    assert math.isnan(bd_rate(RATES, PSNRS, [3, 4], [40, 41]))
    assert math.isnan(bd_rate(RATES, PSNRS, [0.5], [30]))


def test_points_that_do_not_raise_quality_are_dropped_before_interpolation():
    rates, psnrs = monotone_curve([0.4, 0.1, 0.2, 0.3], [30, 25, 28, 27])
    assert rates.tolist() == [0.1, 0.2, 0.4] and psnrs.tolist() == [25, 28, 30]
