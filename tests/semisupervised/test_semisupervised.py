# Licensed under a 3-clause BSD style license - see LICENSE.rst
import numpy as np
import pytest
from astropy import units as u
from astropy.table import QTable

from astro_galclass.semisupervised import (
    SemiSupervisedClassifier,
    cutout_photometry,
    photometry_features,
)
from astro_galclass.simulate import NIRCamSimulator


@pytest.fixture(scope='module')
def field():
    cutouts, truth = NIRCamSimulator(seed=31).sample(900)
    X, _ = photometry_features(cutout_photometry(cutouts))
    y_true = np.asarray(truth['label']).astype(int)
    rng = np.random.default_rng(0)
    y = np.full(len(y_true), -1)
    labelled = rng.uniform(size=len(y)) < 0.1
    y[labelled] = y_true[labelled]
    return X, y, y_true


def test_features_encode_missing_bands():
    t = QTable({'flux_A': [10., np.nan] * u.uJy, 'fluxerr_A': [1., 1.] * u.uJy,
                'flux_B': [20., 30.] * u.uJy, 'fluxerr_B': [1., 1.] * u.uJy})
    X, names = photometry_features(t, bands=('A', 'B'))
    assert np.all(np.isfinite(X))
    assert X[1, names.index('missing_A')] == 1 and X[0, names.index('missing_A')] == 0
    assert X[1, names.index('snr_A')] == 0
    assert X[0, names.index('snr_A')] == pytest.approx(np.arcsinh(5.0))
    with pytest.raises(KeyError, match='lacks the columns'):
        photometry_features(t, bands=('A', 'C'))
    t['flux_B'] = [1.0, 2.0]
    with pytest.raises(u.UnitsError, match='no unit'):
        photometry_features(t, bands=('A', 'B'))


def test_fit_predict_and_determinism(field):
    X, y, y_true = field
    a = SemiSupervisedClassifier(n_estimators=100).fit(X, y)
    b = SemiSupervisedClassifier(n_estimators=100).fit(X, y)
    pa, pb = a.predict_proba(X), b.predict_proba(X)
    assert np.array_equal(pa, pb)
    assert pa.shape == (len(X), 3) and np.allclose(pa.sum(axis=1), 1)
    unl = y < 0
    assert np.mean(a.predict(X)[unl] == y_true[unl]) > 0.75
    # pseudo-labels are only given to unlabelled rows, and are mostly right
    pseudo = a.pseudo_labels_ >= 0
    assert not np.any(pseudo & ~unl)
    if pseudo.any():
        assert np.mean(a.pseudo_labels_[pseudo] == y_true[pseudo]) > 0.9
    cluster, strength, outlier = a.cluster_info(X[:10])
    assert cluster.shape == strength.shape == outlier.shape == (10,)


def test_save_load_and_tamper(field, tmp_path):
    X, y, _ = field
    model = SemiSupervisedClassifier(n_estimators=50).fit(X, y)
    path = tmp_path / 'ssl.npz'
    model.save(path)
    again = SemiSupervisedClassifier.load(path)
    assert np.array_equal(again.predict_proba(X[:50]), model.predict_proba(X[:50]))
    with np.load(path) as data:
        fields = {k: data[k] for k in data.files}
    fields['y'] = fields['y'].copy()
    fields['y'][0] = 2 if fields['y'][0] != 2 else 1
    np.savez(tmp_path / 'bad.npz', **fields)
    with pytest.raises(ValueError, match='checksum'):
        SemiSupervisedClassifier.load(tmp_path / 'bad.npz')
    np.savez(tmp_path / 'foreign.npz', x=np.zeros(3))
    with pytest.raises(ValueError, match='not an astro_galclass'):
        SemiSupervisedClassifier.load(tmp_path / 'foreign.npz')


def test_bad_input(field):
    X, y, _ = field
    with pytest.raises(ValueError, match='two classes'):
        SemiSupervisedClassifier().fit(X, np.where(y == 1, 1, -1))
    with pytest.raises(ValueError, match='NaN'):
        SemiSupervisedClassifier().fit(np.full_like(X, np.nan), y)
    with pytest.raises(ValueError, match='integers'):
        SemiSupervisedClassifier().fit(X, y.astype(float))


def test_classify_catalog_table():
    cutouts, truth = NIRCamSimulator(seed=32).sample(500)
    catalog = cutout_photometry(cutouts)
    catalog['id'] = np.arange(len(catalog))
    X, _ = photometry_features(catalog)
    y = np.where(np.arange(len(X)) % 5 == 0, np.asarray(truth['label']).astype(int), -1)
    model = SemiSupervisedClassifier(n_estimators=50, min_cluster_size=15).fit(X, y)
    before = catalog.copy()
    out = model.classify(catalog)
    assert list(out['id']) == list(range(len(catalog)))
    for name in ('p_low_z', 'p_high_z', 'p_brown_dwarf', 'ssl_class', 'cluster_id',
                 'cluster_membership', 'outlier_score'):
        assert name in out.colnames
    assert np.allclose(out['p_low_z'] + out['p_high_z'] + out['p_brown_dwarf'], 1)
    assert np.all((out['outlier_score'] >= 0) & (out['outlier_score'] <= 1))
    assert catalog.colnames == before.colnames
    with pytest.raises(ValueError, match='already has columns'):
        model.classify(out)
    assert 'ssl_p_high_z' in model.classify(out, prefix='ssl_').colnames
