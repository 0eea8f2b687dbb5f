# Licensed under a 3-clause BSD style license - see LICENSE.rst
import numpy as np
import pytest
from scipy.special import softmax

from astro_galclass.training import (
    expected_calibration_error,
    fit_temperature,
    reliability_curve,
)


def _calibrated(n, rng, scale=3.0):
    """Labels drawn from the softmax of the logits: calibrated by construction."""
    logits = rng.normal(0, scale, (n, 3))
    p = softmax(logits, axis=1)
    labels = np.array([rng.choice(3, p=row) for row in p])
    return logits, labels


def test_temperature_of_calibrated_logits_is_one():
    rng = np.random.default_rng(0)
    logits, labels = _calibrated(20000, rng)
    assert fit_temperature(logits, labels) == pytest.approx(1.0, abs=0.05)
    # over-confident logits (x 2.5) need T ~ 2.5
    assert fit_temperature(2.5 * logits, labels) == pytest.approx(2.5, rel=0.05)


def test_ece_small_when_calibrated_large_when_not():
    rng = np.random.default_rng(1)
    logits, labels = _calibrated(20000, rng)
    assert expected_calibration_error(softmax(logits, axis=1), labels) < 0.015
    assert expected_calibration_error(softmax(4 * logits, axis=1), labels) > 0.05


def test_reliability_curve_counts():
    p = np.array([[0.95, 0.05], [0.55, 0.45], [0.52, 0.48]])
    conf, acc, count = reliability_curve(p, [0, 1, 0], n_bins=10)
    assert count.sum() == 3
    assert count[9] == 1 and count[5] == 2
    assert acc[5] == pytest.approx(0.5)
    assert np.isnan(conf[0])


def test_bad_shapes():
    with pytest.raises(ValueError, match='expected logits'):
        fit_temperature(np.zeros(3), [0, 1, 2])
    with pytest.raises(ValueError, match='at least one'):
        fit_temperature(np.zeros((0, 3)), [])
    with pytest.raises(ValueError, match='expected probabilities'):
        expected_calibration_error(np.zeros((2, 3)), [0])
