# Licensed under a 3-clause BSD style license - see LICENSE.rst
"""HDBSCAN clustering plus a self-training Random Forest."""

import hashlib
import json
from pathlib import Path

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.ensemble import RandomForestClassifier
from sklearn.preprocessing import RobustScaler
from sklearn.utils.validation import check_is_fitted

__all__ = ['SemiSupervisedClassifier', 'classify_table']

_FORMAT = 'astro_galclass-semisupervised'
_VERSION = 1


class SemiSupervisedClassifier(ClassifierMixin, BaseEstimator):
    """
    Classify a field from a few labels: HDBSCAN clusters plus a Random Forest.

    For a catalog in which only a few sources have known classes
    (spectroscopic redshifts, confirmed brown dwarfs):

    1. the features of *all* sources are scaled (`~sklearn.preprocessing.RobustScaler`)
       and clustered with HDBSCAN (Campello et al. 2013; McInnes et al. 2017,
       the ``hdbscan`` package), giving each source a cluster (or -1, noise),
       a membership strength in [0, 1] and a GLOSH outlier score;
    2. each cluster's class composition is estimated from its labelled
       members (leave-one-out for the labelled rows themselves, smoothed
       towards the overall label proportions);
    3. a Random Forest is trained on the labelled rows, with the scaled
       features, membership, outlier score and cluster composition as inputs;
    4. **self-training**: unlabelled members of *class-dominated* clusters
       (at least ``min_labelled`` labelled members, of which a fraction
       ``purity`` or more share one class) whose forest probability for
       that class is at least ``confidence`` become pseudo-labelled; the
       forest is refitted. It stops when an iteration adds no pseudo-label,
       or after ``max_iter`` iterations.

    Parameters
    ----------
    min_cluster_size, min_samples : int, optional
        HDBSCAN parameters.
    n_estimators : int, optional
        Trees of the Random Forest (balanced class weights).
    confidence : float, optional
        Forest probability needed for a pseudo-label.
    purity : float, optional
        Fraction of a cluster's labelled members that must share a class.
    min_labelled : int, optional
        Labelled members a cluster needs before its members are pseudo-labelled.
    max_iter : int, optional
        Self-training iterations at most.
    pseudo_weight : float, optional
        Weight of a pseudo-labelled row relative to a labelled one. Class
        weights (balancing) come from the true labels only, so that a
        cluster that is easy to pseudo-label does not shift the balance.
    random_state : int, optional
        Seed of the forest; with it the whole fit is deterministic.

    Attributes
    ----------
    classes_ : `~numpy.ndarray`
    n_iter_ : int
        Self-training iterations run.
    n_pseudo_labelled_ : int
        Unlabelled rows given pseudo-labels.
    """

    def __init__(self, *, min_cluster_size=30, min_samples=10, n_estimators=300,
                 confidence=0.9, purity=0.8, min_labelled=3, max_iter=5,
                 pseudo_weight=0.3, random_state=0):
        self.min_cluster_size = min_cluster_size
        self.min_samples = min_samples
        self.n_estimators = n_estimators
        self.confidence = confidence
        self.purity = purity
        self.min_labelled = min_labelled
        self.max_iter = max_iter
        self.pseudo_weight = pseudo_weight
        self.random_state = random_state

    # -- fitting ------------------------------------------------------------------

    def _check_X(self, X):
        X = np.asarray(X, dtype=float)
        if X.ndim != 2 or X.shape[0] == 0:
            msg = f'X must be a non-empty 2-D feature matrix, got shape {X.shape}'
            raise ValueError(msg)
        if not np.all(np.isfinite(X)):
            msg = ('X holds NaN or infinite values; build features with '
                   'photometry_features, which encodes missing bands explicitly')
            raise ValueError(msg)
        return X

    def fit(self, X, y):
        """
        Fit on all sources; ``y`` is the class of labelled rows and -1 elsewhere.
        """
        import hdbscan

        X = self._check_X(X)
        y = np.asarray(y)
        if y.shape != (len(X),) or not np.issubdtype(y.dtype, np.integer):
            msg = (f'y must be {len(X)} integers (class, or -1 if unlabelled), '
                   f'got {y.dtype} {y.shape}')
            raise ValueError(msg)
        labelled = y >= 0
        self.classes_ = np.unique(y[labelled])
        if len(self.classes_) < 2:
            msg = f'at least two classes need labelled rows, got {self.classes_.tolist()}'
            raise ValueError(msg)
        self.X_train_, self.y_train_ = X.copy(), y.copy()
        self.scaler_ = RobustScaler().fit(X)
        Z = self.scaler_.transform(X)
        self.clusterer_ = hdbscan.HDBSCAN(
            min_cluster_size=self.min_cluster_size, min_samples=self.min_samples,
            prediction_data=True, core_dist_n_jobs=1).fit(Z)
        cluster = self.clusterer_.labels_
        strength = self.clusterer_.probabilities_
        outlier = np.nan_to_num(self.clusterer_.outlier_scores_)
        k = len(self.classes_)
        index = np.searchsorted(self.classes_, y[labelled])
        self.prior_ = np.bincount(index, minlength=k) / labelled.sum()
        counts = {}
        for cid, c in zip(cluster[labelled], index, strict=True):
            counts.setdefault(cid, np.zeros(k))[c] += 1
        self.cluster_counts_ = counts
        own = np.zeros((len(X), k))
        own[np.flatnonzero(labelled), index] = 1          # leave-one-out
        F = self._features(Z, cluster, strength, outlier, own)
        rf = RandomForestClassifier(n_estimators=self.n_estimators, min_samples_leaf=1,
                                    n_jobs=1, random_state=self.random_state)
        class_weight = len(index) / (k * np.bincount(index, minlength=k))
        work_y = y.copy()
        train = labelled.copy()
        self.n_pseudo_labelled_ = 0
        self.n_iter_ = 0
        dominant = self._dominant_class()
        def refit():
            w = class_weight[np.searchsorted(self.classes_, work_y[train])]
            w = w * np.where(labelled[train], 1.0, self.pseudo_weight)
            rf.fit(F[train], work_y[train], sample_weight=w)

        for _ in range(self.max_iter):
            refit()
            self.n_iter_ += 1
            candidates = np.flatnonzero(~train)
            if not len(candidates):
                break
            proba = rf.predict_proba(F[candidates])
            dom = np.array([dominant.get(c, -1) for c in cluster[candidates]])
            ok = dom >= 0
            take = np.zeros(len(candidates), bool)
            take[ok] = proba[np.flatnonzero(ok), dom[ok]] >= self.confidence
            if not take.any():
                break
            rows = candidates[take]
            work_y[rows] = self.classes_[dom[take]]
            train[rows] = True
            self.n_pseudo_labelled_ += len(rows)
        else:
            refit()
        self.forest_ = rf
        self.pseudo_labels_ = np.where(train & ~labelled, work_y, -1)
        return self

    def _dominant_class(self):
        out = {}
        for cid, n in self.cluster_counts_.items():
            if cid < 0 or n.sum() < self.min_labelled:
                continue
            if n.max() / n.sum() >= self.purity:
                out[cid] = int(np.argmax(n))
        return out

    def _composition(self, cluster, own):
        k = len(self.classes_)
        comp = np.empty((len(cluster), k))
        for i, cid in enumerate(cluster):
            n = self.cluster_counts_.get(cid, np.zeros(k)) - own[i]
            if cid < 0:
                n = np.zeros(k)
            comp[i] = (n + 2 * self.prior_) / (n.sum() + 2)
        return comp

    def _features(self, Z, cluster, strength, outlier, own):
        return np.hstack([Z, strength[:, None], outlier[:, None],
                          self._composition(cluster, own)])

    # -- prediction -----------------------------------------------------------------

    def cluster_info(self, X):
        """
        Cluster, membership strength and GLOSH outlier score of new sources.

        Uses ``hdbscan.approximate_predict`` and
        ``hdbscan.approximate_predict_scores`` against the fitted clustering.
        """
        import hdbscan

        check_is_fitted(self, 'forest_')
        Z = self.scaler_.transform(self._check_X(X))
        cluster, strength = hdbscan.approximate_predict(self.clusterer_, Z)
        outlier = np.nan_to_num(hdbscan.approximate_predict_scores(self.clusterer_, Z))
        return np.asarray(cluster), np.asarray(strength, float), np.asarray(outlier, float)

    def predict_proba(self, X):
        """Class probabilities ``(N, n_classes)`` in the order of ``classes_``."""
        check_is_fitted(self, 'forest_')
        X = self._check_X(X)
        cluster, strength, outlier = self.cluster_info(X)
        F = self._features(self.scaler_.transform(X), cluster, strength, outlier,
                           np.zeros((len(X), len(self.classes_))))
        return self.forest_.predict_proba(F)

    def predict(self, X):
        """Most probable class."""
        return self.classes_[np.argmax(self.predict_proba(X), axis=1)]

    def classify(self, catalog, **options):
        """
        A copy of ``catalog`` with probabilities, class, cluster and outlier columns.

        See `classify_table` for the options and columns.
        """
        return classify_table(self, catalog, **options)

    # -- saving -----------------------------------------------------------------------

    def _payload(self):
        params = json.dumps(self.get_params(), sort_keys=True)
        digest = hashlib.sha256()
        for part in (self.X_train_.astype('<f8').tobytes(),
                     self.y_train_.astype('<i8').tobytes(), params.encode()):
            digest.update(part)
        return params, digest.hexdigest()

    def save(self, path):
        """
        Write the model to an ``.npz`` file that holds only numbers and text.

        The file stores the training features, labels and hyperparameters,
        with a SHA-256 checksum; `load` refits the (deterministic) model from
        them. Nothing is pickled, so loading a file cannot run code.
        """
        check_is_fitted(self, 'forest_')
        params, checksum = self._payload()
        np.savez_compressed(path, format=np.array(_FORMAT), version=np.array(_VERSION),
                            params=np.array(params), checksum=np.array(checksum),
                            X=self.X_train_.astype('<f8'), y=self.y_train_.astype('<i8'))

    @classmethod
    def load(cls, path):
        """Read a file written by `save` and refit; foreign or altered files are refused."""
        path = Path(path)
        try:
            with np.load(path, allow_pickle=False) as data:
                fields = {k: data[k] for k in data.files}
        except (OSError, ValueError) as exc:
            msg = f'{path} is not a semi-supervised model file written by save(): {exc}'
            raise ValueError(msg) from exc
        if str(fields.get('format', '')) != _FORMAT:
            msg = f'{path} is not an astro_galclass semi-supervised model file'
            raise ValueError(msg)
        if int(fields['version']) > _VERSION:
            msg = (f'{path} has format version {int(fields["version"])}; this package '
                   f'reads {_VERSION}')
            raise ValueError(msg)
        model = cls(**json.loads(str(fields['params'])))
        model.X_train_, model.y_train_ = fields['X'], fields['y']
        _, checksum = model._payload()
        if checksum != str(fields['checksum']):
            msg = f'{path} failed its checksum: the file was altered or damaged'
            raise ValueError(msg)
        return model.fit(fields['X'], fields['y'])


def classify_table(model, catalog, *, classes=('low_z', 'high_z', 'brown_dwarf'),
                   features=None, prefix='', overwrite=False, **feature_options):
    """
    Classify a catalog with a fitted `SemiSupervisedClassifier`; QTable out.

    Parameters
    ----------
    model : `SemiSupervisedClassifier`
        Fitted, with integer classes ``0 .. len(classes) - 1``.
    catalog : `~astropy.table.Table`
        With the flux and error columns that
        `~astro_galclass.semisupervised.photometry_features` reads (options
        passed through ``feature_options``).
    classes : sequence of str, optional
        Names of the class indices.
    features : `~numpy.ndarray`, optional
        A precomputed feature matrix instead.
    prefix : str, optional
        Prepended to the new column names (to keep them apart from the CNN's).
    overwrite : bool, optional

    Returns
    -------
    table
        A copy of ``catalog`` with ``p_<class>``, ``ssl_class``,
        ``cluster_id`` (-1: no cluster), ``cluster_membership`` (HDBSCAN
        strength, 0-1) and ``outlier_score`` (GLOSH, 0-1; high values are
        sources unlike any cluster: ordinary stars, artifacts, rare
        objects). Every row is kept in order.
    """
    from astropy.table import Column

    from astro_galclass.semisupervised.features import photometry_features
    from astro_galclass.utils._tables import append_columns, provenance

    if features is None:
        features, _ = photometry_features(catalog, **feature_options)
    proba = model.predict_proba(features)
    cluster, strength, outlier = model.cluster_info(features)
    names = [classes[int(c)] for c in model.classes_]
    cols = {}
    for j, name in enumerate(names):
        cols[f'{prefix}p_{name}'] = Column(proba[:, j], description=f'probability of {name}')
    cols[f'{prefix}ssl_class'] = Column(np.array(names)[np.argmax(proba, axis=1)])
    cols[f'{prefix}cluster_id'] = Column(cluster.astype(np.int32))
    cols[f'{prefix}cluster_membership'] = Column(strength)
    cols[f'{prefix}outlier_score'] = Column(outlier, description='HDBSCAN GLOSH outlier score')
    meta = provenance(task='semi-supervised classification', model_name='SemiSupervisedClassifier',
                      weights_sha256=model._payload()[1],
                      options={'params': model.get_params(), 'prefix': prefix})
    return append_columns(catalog, cols, meta_key='astro_galclass_semisupervised', meta=meta,
                          overwrite=overwrite)
