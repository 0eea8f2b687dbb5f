# Licensed under a 3-clause BSD style license - see LICENSE.rst
"""Probabilities for the class mix of the user's field (HighZClassifier priors=)."""

import numpy as np
import pytest

from astro_galclass import HighZClassifier
from astro_galclass.nircam import (
    check_priors,
    prevalence_weights,
    selection_metrics,
    shift_priors,
)
from astro_galclass.simulate import NIRCamSimulator
from astro_galclass.training import expected_calibration_error

SKY_LIKE = {'low_z': 0.85, 'high_z': 0.1, 'brown_dwarf': 0.05}


@pytest.fixture(scope='module')
def cutouts():
    return NIRCamSimulator(seed=21).sample(12)[0]


def test_priors_apply_bayes_rule(classifier, cutouts):
    assert classifier.training_priors == dict.fromkeys(classifier.classes, 1 / 3)
    assert classifier.default_priors == classifier.training_priors
    base = classifier.predict_proba(cutouts)
    np.testing.assert_array_equal(classifier.predict_proba(cutouts, priors='training'), base)
    shifted = classifier.predict_proba(cutouts, priors=SKY_LIKE)
    np.testing.assert_allclose(shifted, shift_priors(base, [1 / 3] * 3,
                                                     check_priors(SKY_LIKE)))
    table = classifier.classify(cutouts, priors=SKY_LIKE)
    np.testing.assert_allclose(table['p_high_z'], shifted[:, 1])
    assert table.meta['astro_galclass_highz']['options']['priors'] == pytest.approx(SKY_LIKE)
    plain = classifier.classify(cutouts)
    assert plain.meta['astro_galclass_highz']['options']['priors'] == \
        classifier.training_priors


def test_priors_in_catalogs(classifier, toy_field):
    images, truth = toy_field
    plain = classifier.classify_catalog(truth, images)
    sky = classifier.classify_catalog(truth, images, priors=SKY_LIKE)
    ok = ~plain['p_high_z'].mask
    assert np.all(sky['p_high_z'][ok] < plain['p_high_z'][ok])
    assert np.array_equal(sky['p_high_z'].mask, plain['p_high_z'].mask)


def test_default_priors_from_the_metadata(classifier, cutouts, tmp_path):
    path = tmp_path / 'm.pt'
    classifier.save(path)
    clf = HighZClassifier(path, device='cpu', batch_size=classifier.batch_size)
    clf.metadata['default_priors'] = SKY_LIKE
    assert clf.default_priors == pytest.approx(SKY_LIKE)
    np.testing.assert_allclose(clf.predict_proba(cutouts),
                               classifier.predict_proba(cutouts, priors=SKY_LIKE))
    np.testing.assert_array_equal(clf.predict_proba(cutouts, priors='training'),
                                  classifier.predict_proba(cutouts))


@pytest.mark.parametrize(('priors', 'error', 'match'), [
    ('sky', ValueError, "priors must be a dict class -> fraction, 'training' or None"),
    ({'low_z': 1, 'high_z': 1}, ValueError, r"missing \['brown_dwarf'\]"),
    ({'low_z': 1, 'high_z': -1, 'brown_dwarf': 1}, ValueError, 'non-negative'),
    (3, TypeError, 'dict class -> fraction'),
])
def test_bad_priors(classifier, cutouts, priors, error, match):
    with pytest.raises(error, match=match):
        classifier.predict_proba(cutouts, priors=priors)


def test_shipped_model_is_calibrated_at_the_mix_it_is_told():
    # a simulated field drawn at a sky-like mix (high-z a tenth): the
    # probabilities shifted to that mix are better calibrated there than the
    # balanced ones, and the selection is purer
    clf = HighZClassifier.pretrained(device='cpu')
    field, truth = NIRCamSimulator(seed=31, class_fractions=SKY_LIKE).sample(1000)
    labels = np.asarray(truth['label'])
    balanced = clf.predict_proba(field, priors='training')
    sky = clf.predict_proba(field, priors=SKY_LIKE)
    ece_balanced = expected_calibration_error(balanced, labels)
    ece_sky = expected_calibration_error(sky, labels)
    assert ece_sky < ece_balanced
    assert ece_sky < 0.03
    pure = selection_metrics(labels, sky.argmax(axis=1))
    plain = selection_metrics(labels, balanced.argmax(axis=1))
    assert pure['highz_contamination'] <= plain['highz_contamination']
    # the same figures from the balanced test set weighted to that mix agree
    test, test_truth = NIRCamSimulator(seed=32).sample(600)
    y = np.asarray(test_truth['label'])
    weights = prevalence_weights(y, check_priors(SKY_LIKE))
    weighted = selection_metrics(y, clf.predict_proba(test, priors=SKY_LIKE).argmax(axis=1),
                                 sample_weight=weights)
    assert weighted['highz_contamination'] == pytest.approx(pure['highz_contamination'],
                                                            abs=0.04)


@pytest.fixture(scope='module')
def sky_field_probabilities():
    """The shipped model's probabilities on a JADES-deep sky-population field."""
    clf = HighZClassifier.pretrained(device='cpu')
    sim = NIRCamSimulator(depth='jades-deep', seed=33, population='sky')
    field, truth = sim.sample(1000)
    thirds = clf.predict_proba(field, priors='training')
    default = shift_priors(thirds, [1 / 3] * 3, check_priors(clf.default_priors))
    return clf, sim, field, np.asarray(truth['label']), thirds, default


def test_shipped_default_is_a_deep_field_posterior(sky_field_probabilities):
    # issue 13: the shipped model's p_high_z means what a user reads it as on a
    # JADES-deep field: its default probabilities are the posteriors at the
    # sky's class mix
    clf, sim, field, _, _, default = sky_field_probabilities
    mix = sim.sky_class_fractions()
    # the shipped priors are v4's; since issue 31 the sky mix also counts little
    # red dots (high_z 0.2407 -> 0.2412 at JADES-deep) and the counts are steeper
    # brightward of K = 19.25 (McCracken et al. 2010): within 0.5 per cent
    assert clf.default_priors == pytest.approx({c: mix[c] for c in clf.classes}, rel=5e-3)
    np.testing.assert_allclose(clf.predict_proba(field[:20]), default[:20], rtol=1e-6)


@pytest.mark.xfail(strict=True, reason=(
    "version 4 predates issue 31's sky population (z < 4 redshifts from magnitude, "
    "the bright end, little red dots): there its default probabilities have ECE "
    "0.046-0.049 (equal thirds 0.042-0.050; 0.021 and 0.039 on the issue-13 sky). "
    "The retrained network must pass this; then remove the mark"))
def test_shipped_default_calibrates_a_sky_field(sky_field_probabilities):
    # a field drawn from the sky population at the sky's class mix is
    # calibrated with the default priors, and better than with the network's
    # own (equal thirds)
    _, _, _, labels, thirds, default = sky_field_probabilities
    ece_default = expected_calibration_error(default, labels)
    ece_thirds = expected_calibration_error(thirds, labels)
    assert ece_default < ece_thirds
    assert ece_default < 0.03
