# Licensed under a 3-clause BSD style license - see LICENSE.rst
"""bfloat16 inference, opt-in (issue 17)."""

import numpy as np
import pytest
import torch

from astro_galclass import HighZClassifier
from astro_galclass.morphology import MorphologyClassifier, ParallelCNN


def test_bf16_is_opt_in_close_and_recorded(classifier, rng):
    cutouts = rng.normal(0, 1, (6, 7, 64, 64))
    cutouts[:, :, 28:36, 28:36] += rng.uniform(0, 20, (6, 7, 1, 1))
    clf = HighZClassifier(classifier.model, device='cpu', batch_size=4, name='p')
    assert clf.precision == 'fp32'
    full = clf.classify(cutouts)
    clf.precision = 'bf16'
    half = clf.classify(cutouts)
    assert half.meta['astro_galclass_highz']['options']['precision'] == 'bf16'
    assert full.meta['astro_galclass_highz']['options']['precision'] == 'fp32'
    p32 = np.stack([full[c].filled(np.nan) for c in ('p_low_z', 'p_high_z')], axis=1)
    p16 = np.stack([half[c].filled(np.nan) for c in ('p_low_z', 'p_high_z')], axis=1)
    np.testing.assert_allclose(p16, p32, atol=0.05)
    assert not np.array_equal(p16, p32)                  # bf16 did run
    with pytest.raises(ValueError, match="precision must be 'fp32' or 'bf16'"):
        clf.precision = 'fp16'


def test_bf16_morphology():
    torch.manual_seed(0)
    clf = MorphologyClassifier(ParallelCNN(), device='cpu', batch_size=4, name='m')
    images = np.random.default_rng(1).uniform(0, 1, (3, 3, 64, 64)).astype(np.float32)
    full = clf.predict_kaggle(images)
    clf.precision = 'bf16'
    np.testing.assert_allclose(clf.predict_kaggle(images), full, atol=0.05)
