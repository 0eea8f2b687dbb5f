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
    # safe=False: the pseudo-labelling itself is under test here (whether it
    # is kept is tested in test_safe.py; on this draw the 3-fold check keeps
    # the forest, 0.816 against 0.852)
    a = SemiSupervisedClassifier(n_estimators=100, min_cluster_size=15, safe=False).fit(X, y)
    b = SemiSupervisedClassifier(n_estimators=100, min_cluster_size=15, safe=False).fit(X, y)
    pa, pb = a.predict_proba(X), b.predict_proba(X)
    assert np.array_equal(pa, pb)
    assert pa.shape == (len(X), 3) and np.allclose(pa.sum(axis=1), 1)
    unl = y < 0
    assert np.mean(a.predict(X)[unl] == y_true[unl]) > 0.8
    # pseudo-labels go to unlabelled rows only, and are mostly right
    pseudo = a.pseudo_labels_ >= 0
    assert a.n_pseudo_labelled_ == pseudo.sum() > 0.3 * unl.sum()
    assert not np.any(pseudo & ~unl)
    assert np.mean(a.pseudo_labels_[pseudo] == y_true[pseudo]) > 0.9
    assert 1 <= a.n_iter_ <= a.max_iter
    assert a.label_distributions_.shape == (len(X), 3)
    assert a.feature_weights_.shape == (X.shape[1],) and np.all(a.feature_weights_ >= 0)
    cluster, strength, outlier = a.cluster_info(X[:10])
    assert cluster.shape == strength.shape == outlier.shape == (10,)


def test_clusters_veto_and_summary():
    # three separated blobs; blob 2 holds class 2 only, so its labelled members
    # make it class-dominated and nothing else may be pseudo-labelled in it
    rng = np.random.default_rng(3)
    centres = np.array([[0, 0, 0], [6, 0, 0], [0, 6, 0]], float)
    y_true = np.repeat([0, 1, 2], 200)
    X = centres[y_true] + rng.normal(size=(600, 3))
    y = np.where(rng.uniform(size=600) < 0.05, y_true, -1)
    # safe=False: separated blobs give both models a perfect cross-validated
    # score, and a tie keeps the supervised forest; the veto is tested here
    model = SemiSupervisedClassifier(n_estimators=50, min_cluster_size=30,
                                     safe=False).fit(X, y)
    summary = model.cluster_summary(classes=('a', 'b', 'c'))
    assert summary.colnames == ['cluster_id', 'n_members', 'n_labelled_a', 'n_labelled_b',
                                'n_labelled_c', 'dominant_class', 'n_pseudo_labelled']
    assert summary['n_members'].sum() == 600
    assert sorted(d for d in summary['dominant_class'] if d) == ['a', 'b', 'c']
    cluster = model.clusterer_.labels_
    for row in summary[summary['dominant_class'] != '']:
        members = (cluster == row['cluster_id']) & (model.pseudo_labels_ >= 0)
        assert members.any()
        assert np.all(model.pseudo_labels_[members] == 'abc'.index(row['dominant_class']))
    assert np.mean(model.predict(X) == y_true) > 0.97
    # an isolated source far from every blob is an outlier
    _, _, outlier = model.cluster_info(np.array([[30.0, 30.0, 30.0], [0.0, 0.0, 0.0]]))
    assert outlier[0] > 0.9 > outlier[1]


def test_no_cluster_warns_and_still_classifies(field):
    from astro_galclass.exceptions import AstroGalclassUserWarning

    X, y, _ = field
    with pytest.warns(AstroGalclassUserWarning, match='no cluster'):
        model = SemiSupervisedClassifier(n_estimators=20, min_cluster_size=800).fit(X, y)
    cluster, strength, outlier = model.cluster_info(X[:5])
    assert np.all(cluster == -1) and np.all(strength == 0) and np.all(outlier == 1)
    assert model.predict(X[:5]).shape == (5,)


def test_save_load_and_tamper(field, tmp_path):
    X, y, _ = field
    model = SemiSupervisedClassifier(n_estimators=50, min_cluster_size=15).fit(X, y)
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
    with pytest.raises(ValueError, match='alpha'):
        SemiSupervisedClassifier(alpha=1.5).fit(X, y)
    with pytest.raises(ValueError, match='n_neighbors'):
        SemiSupervisedClassifier(n_neighbors=len(X)).fit(X, y)
    model = SemiSupervisedClassifier(n_estimators=10, min_cluster_size=15).fit(X, y)
    with pytest.raises(ValueError, match='fitted on'):
        model.predict(X[:, :-1])


def test_classify_catalog_table():
    cutouts, truth = NIRCamSimulator(seed=32).sample(500)
    catalog = cutout_photometry(cutouts)
    catalog['id'] = np.arange(len(catalog))
    X, _ = photometry_features(catalog)
    y = np.where(np.arange(len(X)) % 5 == 0, np.asarray(truth['label']).astype(int), -1)
    model = SemiSupervisedClassifier(n_estimators=50, min_cluster_size=15).fit(X, y)
    # a row with no usable band stays, masked and flagged
    catalog['flux_F090W'][3] = np.nan * u.nJy
    for band in ('F115W', 'F150W', 'F200W', 'F277W', 'F356W', 'F444W'):
        catalog[f'fluxerr_{band}'][3] = 0 * u.nJy
    catalog['flux_F090W'][4] = np.nan * u.nJy          # one band missing: classified
    before = catalog.copy()
    out = model.classify(catalog)
    assert list(out['id']) == list(range(len(catalog)))
    for name in ('p_low_z', 'p_high_z', 'p_brown_dwarf', 'ssl_class', 'cluster_id',
                 'cluster_membership', 'outlier_score', 'ssl_flags'):
        assert name in out.colnames
    assert list(np.flatnonzero(out['ssl_flags'])) == [3]
    assert out['p_high_z'].mask[3] and out['ssl_class'].mask[3]
    assert not out['p_high_z'].mask[4]
    good = out['ssl_flags'] == 0
    total = out['p_low_z'] + out['p_high_z'] + out['p_brown_dwarf']
    assert np.allclose(total[good], 1)
    assert np.all((out['outlier_score'][good] >= 0) & (out['outlier_score'][good] <= 1))
    assert catalog.colnames == before.colnames
    assert np.isnan(catalog['flux_F090W'][3]) and catalog['fluxerr_F115W'][3] == 0
    with pytest.raises(ValueError, match='already has columns'):
        model.classify(out)
    assert 'ssl_p_high_z' in model.classify(out, prefix='ssl_').colnames


def test_classify_cutouts_directly():
    cutouts, truth = NIRCamSimulator(seed=33).sample(300)
    X, _ = photometry_features(cutout_photometry(cutouts))
    y = np.where(np.arange(len(X)) % 4 == 0, np.asarray(truth['label']).astype(int), -1)
    model = SemiSupervisedClassifier(n_estimators=30, min_cluster_size=15).fit(X, y)
    out = model.classify(cutouts[:20])
    assert len(out) == 20 and 'flux_F444W' in out.colnames
    assert np.allclose(np.column_stack([np.asarray(out[f'p_{c}'])
                                        for c in ('low_z', 'high_z', 'brown_dwarf')]),
                       model.predict_proba(X[:20]))
    with pytest.raises(TypeError, match=r'\(N, bands, H, W\)'):
        model.classify(np.zeros((3, 7, 64)))
