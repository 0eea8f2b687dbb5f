# Licensed under a 3-clause BSD style license - see LICENSE.rst
"""
What the shipped morphology model must get right on simulated photographs
(issue 15, part 4): confounders that real photographs have and the v3
model's training images did not.
"""

import numpy as np
import pytest

from astro_galclass.morphology import MorphologyClassifier
from astro_galclass.simulate import MorphologySimulator


@pytest.fixture(scope='module')
def shipped():
    return MorphologyClassifier.pretrained(device='cpu')


def _photographs(kind, n, seed, **values):
    """``n`` simulated photographs of one kind at the GZ2 framing, with ``values`` set."""
    simulator = MorphologySimulator(seed=seed, kinds={kind: 1.0}, framing=(3.8, 4.6))
    truth = simulator.draw(n)
    for name, value in values.items():
        truth[name] = value
    return simulator.photograph(simulator.render(truth), truth)


def test_elliptical_with_field_stars_comes_out_smooth(shipped):
    images = _photographs('elliptical', 30, 1, n_stars=4, snr=100.0)
    table = shipped.classify(images)
    smooth = np.asarray(table['t01_smooth_or_features_a01_smooth_fraction'])
    featured = np.asarray(table['t01_smooth_or_features_a02_features_or_disk_fraction'])
    assert np.mean(smooth > featured) >= 0.9


def test_isolated_star_comes_out_star_or_artifact(shipped):
    images = _photographs('star', 30, 2, n_stars=0, n_galaxies=0, snr=100.0)
    table = shipped.classify(images)
    answers = np.stack([np.asarray(table[c]) for c in (
        't01_smooth_or_features_a01_smooth_fraction',
        't01_smooth_or_features_a02_features_or_disk_fraction',
        't01_smooth_or_features_a03_star_or_artifact_fraction')], axis=1)
    assert np.mean(np.argmax(answers, axis=1) == 2) >= 0.8
