# Licensed under a 3-clause BSD style license - see LICENSE.rst
"""Reframing images as the training images were framed (issue 15, part 2)."""

import numpy as np
import pytest

from astro_galclass.morphology import MorphFlag, MorphologyClassifier, ParallelCNN
from astro_galclass.morphology.framing import (
    SIMULATOR_FRAMING,
    FramingFailed,
    measure_framing,
    reframe,
    training_framing,
)
from astro_galclass.simulate import MorphologySimulator


def _disk(size, scale, noise=1e-3, seed=0):
    yy, xx = np.mgrid[:size, :size] - (size - 1) / 2
    img = np.exp(-np.hypot(xx, yy) / scale)
    return img[None] + np.random.default_rng(seed).normal(0, noise, (3, size, size))


def test_petrosian_r90_of_an_exponential_disk():
    # R90 of an exponential disk is 3.89 scale lengths, and the Petrosian flux
    # holds 99% of its light, so the Petrosian R90 is within a few per cent of it
    for scale in (3.0, 6.0):
        _, _, r_p, r90 = measure_framing(_disk(121, scale))
        assert r90 / scale == pytest.approx(3.89, rel=0.05)
        assert r_p / scale == pytest.approx(2.11 * 1.678, rel=0.1)   # 2.11 r_e, analytic


def test_framing_failures_are_errors_not_guesses():
    with pytest.raises(FramingFailed, match='no source'):
        measure_framing(np.random.default_rng(1).normal(0, 1, (3, 64, 64)))
    # a galaxy overflowing the frame has no Petrosian radius inside it
    with pytest.raises(FramingFailed, match='no Petrosian radius'):
        measure_framing(_disk(41, 30.0))
    with pytest.raises(ValueError, match=r'\(3, H, W\)'):
        measure_framing(np.zeros((64, 64)))


@pytest.mark.parametrize('realism', ['clean', 'photograph'])
def test_simulator_framing_constants(realism):
    # 'photograph': the GZ2 Kaggle framing only (4.2 R90, scattered by 0.06 dex)
    framing = None if realism == 'clean' else (3.6, 4.8)
    images, _ = MorphologySimulator(seed=21, realism=realism, framing=framing,
                                    kinds={'elliptical': 0.5, 'disk': 0.5}).sample(80)
    framing = training_framing(images)
    assert framing['measured_on'] >= 60
    assert framing['frame_r90'] == pytest.approx(SIMULATOR_FRAMING[realism]['frame_r90'],
                                                 rel=0.1)


@pytest.mark.parametrize('realism', ['clean', 'photograph'])
def test_simulator_framing_ranges(realism):
    images, _ = MorphologySimulator(seed=23, realism=realism,
                                    kinds={'elliptical': 0.5, 'disk': 0.5}).sample(150)
    low, high = training_framing(images)['frame_r90_range']
    expected = SIMULATOR_FRAMING[realism]['frame_r90_range']
    assert low == pytest.approx(expected[0], rel=0.12)
    assert high == pytest.approx(expected[1], rel=0.2)


def test_reframing_brings_wide_frames_to_the_training_framing():
    """
    Galaxies framed at 12-20 R90 (five times too wide) come out framed within
    0.2 dex of the training framing in the median; the spread of single
    galaxies is about 0.15-0.25 dex (68%), from measuring R90 on stretched,
    noisy, 8-bit images.
    """
    target = SIMULATOR_FRAMING['photograph']['frame_r90']
    images, truth = MorphologySimulator(seed=22, kinds={'elliptical': 0.5, 'disk': 0.5},
                                        framing=(12, 20)).sample(60)
    before, after = [], []
    for image, row in zip(images, truth, strict=True):
        try:
            r90 = measure_framing(image)[3]
        except FramingFailed:
            continue
        before.append(np.log10(row['frame_r90'] / target))
        # the reframed side holds target * r90 (measured) input pixels; in units of
        # the galaxy's true R90 that is:
        after.append(np.log10(target * r90 / row['r90'] / target))
    assert len(after) >= 45
    assert np.median(before) > 0.45
    assert abs(np.median(after)) < 0.2
    assert np.percentile(np.abs(after), 68) < 0.3


def test_reframe_output_and_padding():
    image = np.clip(_disk(64, 2.0, seed=3) * 0.9, 0, 1).astype(np.float32)
    out, padded = reframe(image, frame_r90=4.2, size=64)
    assert out.shape == (3, 64, 64) and out.dtype == np.float32
    assert 0 <= out.min() and out.max() <= 1
    assert not padded
    # the galaxy now fills 4.2 R90: remeasured, its R90 is 64 / 4.2 pixels
    assert measure_framing(out)[3] == pytest.approx(64 / 4.2, rel=0.15)
    # a frame wider than the image needs pixels from outside it
    _, padded = reframe(image, frame_r90=30.0, size=64)
    assert padded


@pytest.fixture(scope='module')
def clf():
    import torch

    torch.manual_seed(0)
    return MorphologyClassifier(ParallelCNN(width=0.25), device='cpu')


def test_classify_flags_reframing(clf):
    noise = np.random.default_rng(4).uniform(0, 1, (1, 3, 64, 64)).astype(np.float32)
    galaxy = np.clip(_disk(64, 1.0, seed=5), 0, 1).astype(np.float32)[None]
    table = clf.classify(np.concatenate([noise, galaxy]))
    assert table['morph_flags'][0] == MorphFlag.REFRAME_FAILED
    assert not table['t01_smooth_or_features_a01_smooth_fraction'].mask.any()
    assert table.meta['astro_galclass_morphology']['options']['reframe'] is True
    # a small galaxy in a 64-pixel frame: the training framing fits inside it
    assert table['morph_flags'][1] == 0
    plain = clf.classify(np.concatenate([noise, galaxy]), reframe=False)
    assert list(plain['morph_flags']) == [0, 0]
    with pytest.raises(TypeError, match='reframe must be True or False'):
        clf.classify(galaxy, reframe='yes')


def test_images_of_different_sizes(clf):
    rng = np.random.default_rng(6)
    small = rng.integers(0, 255, (64, 64, 3)).astype(np.uint8)
    large = rng.integers(0, 255, (100, 90, 3)).astype(np.uint8)
    table = clf.classify([small, large], reframe=False)
    assert len(table) == 2
    alone = clf.classify(large, reframe=False)
    col = 't01_smooth_or_features_a01_smooth_fraction'
    assert table[col][1] == pytest.approx(alone[col][0], abs=1e-6)
    with pytest.raises(ValueError, match='RGB'):
        clf.classify([np.zeros((5, 5)), np.zeros((6, 6, 2))])


def test_reframe_to_a_range_keeps_framings_the_network_learnt():
    # a network trained on framings 3-8.3 R90 is given an image framed at 5.6 R90
    # as it is (recentred), and one framed at 17 R90 zoomed to 8.3 R90
    inside = np.clip(_disk(64, 3.0, seed=7) * 0.9, 0, 1).astype(np.float32)
    r90 = measure_framing(inside)[3]
    assert 3 < 64 / r90 < 8.3
    out, padded = reframe(inside, frame_r90=(3.0, 8.3), size=64)
    assert not padded
    np.testing.assert_allclose(out, np.clip(inside, 0, 1), atol=0.02)
    wide = np.clip(_disk(64, 1.0, seed=8) * 0.9, 0, 1).astype(np.float32)
    assert 64 / measure_framing(wide)[3] > 12
    out, _ = reframe(wide, frame_r90=(3.0, 8.3), size=64)
    assert 64 / measure_framing(out)[3] == pytest.approx(8.3, rel=0.15)


@pytest.mark.parametrize('framing', [
    {'frame_r90': -1.0}, {'frame_r90': float('nan')}, {'frame_r90': '4'},
    {'frame_r90': 4.0, 'frame_r90_range': [8.0, 3.0]}, {'frame_r90': 4.0, 'frame_r90_range': [3.0]},
    [4.0]])
def test_bad_framing_metadata_is_refused(clf, tmp_path, framing):
    path = tmp_path / 'm.pt'
    clf.metadata['framing'] = framing
    try:
        clf.save(path)
    finally:
        del clf.metadata['framing']
    with pytest.raises(ValueError, match='framing in its metadata'):
        MorphologyClassifier(path, device='cpu')
