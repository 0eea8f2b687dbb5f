# Licensed under a 3-clause BSD style license - see LICENSE.rst
"""Class priors: Bayes' shift, test-set weights, thresholds for a contamination goal."""

import numpy as np
import pytest

from astro_galclass.nircam import (
    check_priors,
    prevalence_weights,
    selection_metrics,
    selection_threshold,
    shift_priors,
)


def test_check_priors():
    np.testing.assert_allclose(check_priors([2, 1, 1]), [0.5, 0.25, 0.25])
    with pytest.raises(ValueError, match=r"missing \['brown_dwarf'\], unknown \['star'\]"):
        check_priors({'low_z': 1, 'high_z': 1, 'star': 1})
    for bad in ([1, -1, 1], [0, 0, 0], [1, np.nan, 1], [1, 1]):
        with pytest.raises(ValueError, match='finite non-negative fractions'):
            check_priors(bad)
    with pytest.raises(TypeError, match='dict class -> fraction'):
        check_priors('sky')
    with pytest.raises(TypeError, match='must be numbers'):
        check_priors([1, 'a', 1])


def test_shift_priors_is_bayes_rule():
    rng = np.random.default_rng(0)
    p = rng.dirichlet(np.ones(3), size=50)
    trained = np.array([1 / 3, 1 / 3, 1 / 3])
    target = np.array([0.85, 0.1, 0.05])
    q = shift_priors(p, trained, target)
    np.testing.assert_allclose(q.sum(axis=1), 1)
    # odds ratios change by the ratio of the priors
    np.testing.assert_allclose(q[:, 1] / q[:, 0], p[:, 1] / p[:, 0] * 0.1 / 0.85)
    # shifting there and back is the identity; the same mix changes nothing
    np.testing.assert_allclose(shift_priors(q, target, trained), p)
    np.testing.assert_allclose(shift_priors(p, trained, trained), p)
    assert np.isnan(shift_priors([[np.nan] * 3], trained, target)).all()
    with pytest.raises(ValueError, match='has no examples of a class'):
        shift_priors(p, [0.5, 0.5, 0.0], target)


def test_weighted_metrics_equal_metrics_of_a_resampled_set():
    # a test set of equal thirds, weighted to 6:3:1, scores like the same
    # sources repeated to that mix
    rng = np.random.default_rng(1)
    y = np.repeat([0, 1, 2], 40)
    pred = np.where(rng.uniform(size=120) < 0.8, y, rng.integers(0, 3, 120))
    w = prevalence_weights(y, [0.6, 0.3, 0.1])
    assert w.mean() == pytest.approx(1)
    repeat = np.repeat(np.arange(120), np.round(w * 10).astype(int))
    weighted = selection_metrics(y, pred, sample_weight=w)
    resampled = selection_metrics(y[repeat], pred[repeat])
    for key in ('accuracy', 'highz_completeness', 'highz_contamination'):
        assert weighted[key] == pytest.approx(resampled[key])
    with pytest.raises(ValueError, match='no source of a class with a positive prior'):
        prevalence_weights([0, 1, 1], [0.5, 0.3, 0.2])


def test_selection_threshold():
    p = np.array([0.95, 0.9, 0.8, 0.6, 0.3, 0.1])
    y = np.array([1, 1, 0, 1, 0, 0])
    pure = selection_threshold(p, y, max_contamination=0.3)
    assert pure == {'threshold': 0.6, 'highz_completeness': 1.0,
                    'highz_contamination': 0.25, 'n_selected': 4}
    assert selection_threshold(p, y, min_completeness=0.6)['threshold'] == 0.9
    # the threshold really gives what it says
    chosen = (p >= pure['threshold']).astype(int)
    m = selection_metrics(y, chosen)
    assert m['highz_contamination'] == pure['highz_contamination']
    # ties are selected together: no cut between equal probabilities
    tied = selection_threshold([0.9, 0.9, 0.5], [1, 0, 0], max_contamination=0.6)
    assert tied['n_selected'] == 2 and tied['threshold'] == 0.9
    # weights move the answer: a contaminant that counts ten times
    heavy = selection_threshold(p, y, max_contamination=0.3,
                                sample_weight=[1, 1, 10, 1, 1, 1])
    assert heavy['threshold'] == 0.9
    with pytest.raises(ValueError, match=r'lowest contamination reachable is 0\.5000'):
        selection_threshold([0.9, 0.8], [0, 1], max_contamination=0.1)
    with pytest.raises(ValueError, match='exactly one of'):
        selection_threshold(p, y)
    with pytest.raises(ValueError, match='no high-z source'):
        selection_threshold(p, np.zeros(6, int), min_completeness=0.5)
