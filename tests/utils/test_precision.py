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
    with pytest.raises(ValueError, match="precision must be 'fp32', 'bf16' or 'auto'"):
        clf.precision = 'fp16'


def test_auto_precision_follows_the_cpu(classifier, monkeypatch):
    from astro_galclass.utils import _classifier

    clf = HighZClassifier(classifier.model, device='cpu', name='p')
    cutouts = np.random.default_rng(3).normal(0, 1, (2, 7, 64, 64))
    clf.precision = 'auto'
    for native, expected in ((True, 'bf16'), (False, 'fp32')):
        monkeypatch.setattr(_classifier, 'cpu_has_native_bf16', lambda n=native: n)
        assert clf.arithmetic == expected
        table = clf.classify(cutouts)
        assert table.meta['astro_galclass_highz']['options']['precision'] == expected
    clf.precision = 'bf16'
    assert clf.arithmetic == 'bf16'


def test_cpu_flags_are_read():
    from astro_galclass.utils._device import cpu_has_native_bf16

    flags = ''
    try:
        with open('/proc/cpuinfo') as handle:
            flags = handle.read()
    except OSError:
        pass
    assert cpu_has_native_bf16() == ('avx512_bf16' in flags or 'amx_bf16' in flags)


def test_bf16_morphology():
    torch.manual_seed(0)
    clf = MorphologyClassifier(ParallelCNN(), device='cpu', batch_size=4, name='m')
    images = np.random.default_rng(1).uniform(0, 1, (3, 3, 64, 64)).astype(np.float32)
    full = clf.predict_kaggle(images)
    clf.precision = 'bf16'
    np.testing.assert_allclose(clf.predict_kaggle(images), full, atol=0.05)
