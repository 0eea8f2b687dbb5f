# Licensed under a 3-clause BSD style license - see LICENSE.rst
"""Safe semi-supervision (issue 18): the unlabelled data are used only when they help."""

import numpy as np
import pytest

from astro_galclass.semisupervised import SemiSupervisedClassifier


def _field(rng, n, *, misleading):
    """
    Two classes in 2-D, with 5% of the labels.

    Misleading: the sources form two dense, well separated blobs (left and
    right) but the class is set by the other coordinate (up or down), so
    clusters and label spreading carry labels across the class boundary.
    Helpful: each class is its own blob, and the few labels are noisy
    inside it.
    """
    if misleading:
        side = rng.integers(0, 2, n)
        X = np.column_stack([np.where(side, 6.0, -6.0) + rng.normal(0, 0.6, n),
                             rng.normal(0, 1.0, n)])
        truth = (X[:, 1] > 0).astype(int)
    else:
        truth = rng.integers(0, 2, n)
        X = np.column_stack([np.where(truth, 3.0, -3.0) + rng.normal(0, 1.6, n),
                             rng.normal(0, 1.0, n)])
    y = np.full(n, -1)
    labelled = rng.choice(n, n // 20, replace=False)
    y[labelled] = truth[labelled]
    return X, y, truth


def test_misleading_unlabelled_data_fall_back_to_the_forest():
    rng = np.random.default_rng(0)
    X, y, truth = _field(rng, 1200, misleading=True)
    model = SemiSupervisedClassifier(n_estimators=60, random_state=0).fit(X, y)
    unsafe = SemiSupervisedClassifier(n_estimators=60, random_state=0, safe=False).fit(X, y)
    assert model.cv_scores_ is not None
    if not model.uses_unlabelled_:
        assert 'do not help' in model.decision_ and model.n_pseudo_labelled_ == 0
        assert model.cluster_summary().meta['decision'] == model.decision_
    # whichever it chose, it is at least as accurate as the unsafe pipeline
    # (within the noise of a 1200-source field)
    unlabelled = y < 0
    safe_acc = np.mean(model.predict(X[unlabelled]) == truth[unlabelled])
    unsafe_acc = np.mean(unsafe.predict(X[unlabelled]) == truth[unlabelled])
    assert safe_acc >= unsafe_acc - 0.02
    assert unsafe.uses_unlabelled_ and unsafe.cv_scores_ is None
    assert 'safe=False' in unsafe.decision_


def test_decision_follows_the_cross_validated_scores():
    rng = np.random.default_rng(1)
    for misleading in (True, False):
        X, y, _ = _field(rng, 1000, misleading=misleading)
        model = SemiSupervisedClassifier(n_estimators=40, random_state=1).fit(X, y)
        scores = model.cv_scores_
        assert model.uses_unlabelled_ == (scores['semi-supervised'] > scores['supervised'])
        assert f"{scores['supervised']:.3f} supervised" in model.decision_


@pytest.mark.filterwarnings('ignore:HDBSCAN found no cluster')
def test_safe_parameters_are_checked():
    X = np.random.default_rng(2).normal(size=(100, 2))
    y = np.r_[0, 1, np.full(98, -1)]
    with pytest.raises(ValueError, match=r'cv_folds must be an integer in \[2, 20\]'):
        SemiSupervisedClassifier(cv_folds=1).fit(X, y)
    with pytest.raises(ValueError, match='safe must be True or False'):
        SemiSupervisedClassifier(safe='yes').fit(X, y)
    with pytest.raises(ValueError, match=r'n_estimators must be an integer in \[1, 5000\]'):
        SemiSupervisedClassifier(n_estimators=10_000_000).fit(X, y)
    # one label per class: nothing to cross-validate, said so
    model = SemiSupervisedClassifier(n_estimators=10, min_cluster_size=10).fit(X, y)
    assert model.uses_unlabelled_ and 'single label' in model.decision_


def test_truncated_model_file_is_a_clear_error(tmp_path):
    rng = np.random.default_rng(3)
    X, y, _ = _field(rng, 300, misleading=False)
    model = SemiSupervisedClassifier(n_estimators=10, random_state=0).fit(X, y)
    model.save(tmp_path / 'model.npz')
    blob = (tmp_path / 'model.npz').read_bytes()
    (tmp_path / 'cut.npz').write_bytes(blob[:len(blob) // 2])
    with pytest.raises(ValueError, match='not a semi-supervised model file'):
        SemiSupervisedClassifier.load(tmp_path / 'cut.npz')
    again = SemiSupervisedClassifier.load(tmp_path / 'model.npz')
    assert again.decision_ == model.decision_
