# Licensed under a 3-clause BSD style license - see LICENSE.rst
"""HDBSCAN clustering, label spreading and a self-training Random Forest."""

import hashlib
import json
import warnings
import zipfile
from pathlib import Path

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.ensemble import RandomForestClassifier
from sklearn.preprocessing import StandardScaler
from sklearn.utils.validation import check_is_fitted

from astro_galclass.exceptions import AstroGalclassUserWarning
from astro_galclass.nircam import HIGHZ_CLASSES
from astro_galclass.utils._tables import class_column

__all__ = ['SemiSupervisedClassifier', 'classify_table']

_FORMAT = 'astro_galclass-semisupervised'
_VERSION = 1


class SemiSupervisedClassifier(ClassifierMixin, BaseEstimator):
    """
    Classify a field from a few labels: HDBSCAN clusters plus a Random Forest.

    For a catalog in which only a few sources have known classes
    (spectroscopic redshifts, confirmed brown dwarfs), `fit` sees *all*
    sources and:

    1. standardises the features (`~sklearn.preprocessing.StandardScaler`)
       and clusters them with HDBSCAN (Campello et al. 2013; McInnes et al.
       2017; the ``hdbscan`` package), giving each source a cluster (or -1,
       noise), a membership strength in [0, 1] and a GLOSH outlier score in
       [0, 1];
    2. fits a Random Forest (balanced class weights) on the labelled rows,
       with the scaled features, membership strength and outlier score as
       inputs;
    3. spreads the labels over a k-nearest-neighbour graph of all sources
       (`~sklearn.semi_supervised.LabelSpreading`; Zhou et al. 2004). The
       graph is built in the scaled feature space with each feature weighted
       by the square root of its importance in the forest of step 2, so that
       neighbours are sources alike in what separates the classes (colours
       across the breaks) rather than in anything (brightness);
    4. **pseudo-labels** an unlabelled source when its spread probability
       is at least ``confidence``, the forest agrees with the spread class,
       and its HDBSCAN cluster does not contradict it: in a
       *class-dominated* cluster (at least ``min_labelled`` labelled
       members, a fraction ``purity`` or more of one class) only that class
       may be given;
    5. **self-training**: refits the forest on labelled plus pseudo-labelled
       rows (the latter weighted ``pseudo_weight``), then pseudo-labels the
       remaining sources whose forest probability is at least ``confidence``
       and whose forest class agrees with the spread class and the cluster.
       It stops when an iteration adds no source, or after ``max_iter``
       refits.

    Steps 3-5 are what the labels of the field buy over a forest trained on
    the labelled rows alone; ``benchmarks/bench_semisupervised.py`` measures
    it (documentation: the semi-supervised user guide).

    Parameters
    ----------
    min_cluster_size : int or None, optional
        HDBSCAN's smallest cluster. `None` (the default) takes one source in
        400, at least 10: 50 for a field of 20,000 sources.
    min_samples : int, optional
        HDBSCAN's neighbourhood size for core distances.
    n_neighbors : int, optional
        Neighbours of each source in the label-spreading graph.
    alpha : float, optional
        Label-spreading clamping factor in (0, 1): the fraction of a
        source's label taken from its neighbours at each step.
    n_estimators : int, optional
        Trees of the Random Forest.
    confidence : float, optional
        Spread and forest probability needed for a pseudo-label.
    purity : float, optional
        Fraction of a cluster's labelled members that must share a class for
        the cluster to be class-dominated.
    min_labelled : int, optional
        Labelled members a cluster needs to be class-dominated.
    max_iter : int, optional
        Forests fitted on labelled plus pseudo-labelled rows, at most (1: no
        self-training beyond step 4).
    pseudo_weight : float, optional
        Weight of a pseudo-labelled row relative to a labelled one. Class
        weights (balancing) come from the true labels only, so that a class
        that is easy to pseudo-label does not shift the balance.
    safe : bool, optional
        Decide by cross-validation on the labelled rows whether the
        unlabelled sources help: steps 2-5 and a Random Forest on the
        labelled rows' features alone are both scored (balanced accuracy,
        ``cv_folds`` stratified folds, the held-out labels hidden from
        both); unless the semi-supervised pipeline scores higher, the model
        is that supervised forest (``uses_unlabelled_`` False). Unlabelled
        data mislead when their structure does not follow the classes.
    cv_folds : int, optional
        Folds of that cross-validation (fewer when a class has fewer
        labels; with a class of one label it cannot be run and the
        semi-supervised pipeline is kept, ``cv_scores_`` None).
    n_jobs : int, optional
        Processes for the forest and HDBSCAN's core distances (-1: all
        cores); the results do not depend on it.
    random_state : int, optional
        Seed of the forest; with it the whole fit is deterministic.

    Attributes
    ----------
    classes_ : `~numpy.ndarray`
        The classes seen in ``y``.
    min_cluster_size_ : int
        The HDBSCAN smallest cluster used.
    n_iter_ : int
        Forests fitted on labelled plus pseudo-labelled rows.
    n_pseudo_labelled_ : int
        Unlabelled rows given pseudo-labels.
    pseudo_labels_ : `~numpy.ndarray`
        For each training row, its pseudo-label, or -1 (labelled rows, and
        unlabelled rows left without one).
    label_distributions_ : `~numpy.ndarray`
        ``(N, n_classes)`` spread class probabilities of the training rows.
    feature_weights_ : `~numpy.ndarray`
        Weights of the scaled features in the label-spreading graph.
    uses_unlabelled_ : bool
        Whether the model is the semi-supervised pipeline (True) or, with
        ``safe`` and a cross-validation that found no gain, the forest on
        the labelled rows alone (False; no pseudo-labels then).
    cv_scores_ : dict or None
        Mean cross-validated balanced accuracy of ``'semi-supervised'`` and
        ``'supervised'`` (None without ``safe`` or when it could not run).
    decision_ : str
        One line saying which model was chosen and why.

    Examples
    --------
    >>> import numpy as np
    >>> from astro_galclass.semisupervised import (SemiSupervisedClassifier,
    ...     cutout_photometry, photometry_features)
    >>> from astro_galclass.simulate import NIRCamSimulator
    >>> cutouts, truth = NIRCamSimulator(seed=1).sample(600)
    >>> X, _ = photometry_features(cutout_photometry(cutouts))
    >>> y = np.where(np.arange(600) % 10 == 0, truth['label'], -1)  # 10% labelled
    >>> model = SemiSupervisedClassifier(n_estimators=50).fit(X, y)
    >>> model.predict_proba(X[:2]).shape
    (2, 3)
    """

    def __init__(self, *, min_cluster_size=None, min_samples=10, n_neighbors=15, alpha=0.2,
                 n_estimators=300, confidence=0.9, purity=0.8, min_labelled=3, max_iter=3,
                 pseudo_weight=0.5, safe=True, cv_folds=3, n_jobs=1, random_state=0):
        self.min_cluster_size = min_cluster_size
        self.min_samples = min_samples
        self.n_neighbors = n_neighbors
        self.alpha = alpha
        self.n_estimators = n_estimators
        self.confidence = confidence
        self.purity = purity
        self.min_labelled = min_labelled
        self.max_iter = max_iter
        self.pseudo_weight = pseudo_weight
        self.safe = safe
        self.cv_folds = cv_folds
        self.n_jobs = n_jobs
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
        if hasattr(self, 'n_features_in_') and X.shape[1] != self.n_features_in_:
            msg = (f'X has {X.shape[1]} features, but the model was fitted on '
                   f'{self.n_features_in_}')
            raise ValueError(msg)
        return X

    def _check_params(self, n_rows):
        checks = [
            ('min_cluster_size', self.min_cluster_size, 'None or an integer >= 2',
             lambda v: v is None or (int(v) == v and v >= 2)),
            ('min_samples', self.min_samples, 'an integer >= 1', lambda v: int(v) == v and v >= 1),
            ('n_neighbors', self.n_neighbors, f'an integer in [1, {n_rows - 1}]',
             lambda v: int(v) == v and 1 <= v < n_rows),
            ('alpha', self.alpha, 'a number in (0, 1)', lambda v: 0 < v < 1),
            ('n_estimators', self.n_estimators, 'an integer in [1, 5000]',
             lambda v: int(v) == v and 1 <= v <= 5000),
            ('confidence', self.confidence, 'a number in (0, 1]', lambda v: 0 < v <= 1),
            ('purity', self.purity, 'a number in [0.5, 1]', lambda v: 0.5 <= v <= 1),
            ('min_labelled', self.min_labelled, 'an integer >= 1',
             lambda v: int(v) == v and v >= 1),
            ('max_iter', self.max_iter, 'an integer in [1, 100]',
             lambda v: int(v) == v and 1 <= v <= 100),
            ('pseudo_weight', self.pseudo_weight, 'a number in (0, 1]', lambda v: 0 < v <= 1),
            ('safe', self.safe, 'True or False', lambda v: isinstance(v, (bool, np.bool_))),
            ('cv_folds', self.cv_folds, 'an integer in [2, 20]',
             lambda v: int(v) == v and 2 <= v <= 20),
        ]
        for name, value, expected, ok in checks:
            try:
                good = bool(ok(value))
            except (TypeError, ValueError):
                good = False
            if not good:
                msg = f'{name} must be {expected}, got {value!r}'
                raise ValueError(msg)

    def fit(self, X, y):
        """
        Fit on all sources; ``y`` is the class of labelled rows and -1 elsewhere.

        Parameters
        ----------
        X : array-like
            ``(N, n_features)`` finite features of every source of the field
            (`~astro_galclass.semisupervised.photometry_features`).
        y : array-like
            ``N`` integers: the class (>= 0) of labelled rows, -1 elsewhere.

        Returns
        -------
        self
        """
        import hdbscan

        if hasattr(self, 'n_features_in_'):
            del self.n_features_in_
        X = self._check_X(X)
        y = np.asarray(y)
        if y.shape != (len(X),) or not np.issubdtype(y.dtype, np.integer):
            msg = (f'y must be {len(X)} integers (class, or -1 if unlabelled), '
                   f'got {y.dtype} {y.shape}')
            raise ValueError(msg)
        self._check_params(len(X))
        labelled = y >= 0
        self.classes_ = np.unique(y[labelled])
        if len(self.classes_) < 2:
            msg = f'at least two classes need labelled rows, got {self.classes_.tolist()}'
            raise ValueError(msg)
        index = np.full(len(y), -1)
        index[labelled] = np.searchsorted(self.classes_, y[labelled])
        self.X_train_, self.y_train_ = X.copy(), y.copy()
        self.scaler_ = StandardScaler().fit(X)
        Z = self.scaler_.transform(X)
        # 1. clusters, membership strengths and outlier scores of every source
        self.min_cluster_size_ = (max(10, len(X) // 400) if self.min_cluster_size is None
                                  else int(self.min_cluster_size))
        self.clusterer_ = hdbscan.HDBSCAN(
            min_cluster_size=self.min_cluster_size_, min_samples=int(self.min_samples),
            prediction_data=True, core_dist_n_jobs=self.n_jobs).fit(Z)
        cluster = self.clusterer_.labels_
        outlier = np.nan_to_num(self.clusterer_.outlier_scores_)
        if cluster.max() < 0:
            # every source is unlike any cluster; approximate_predict_scores
            # gives new sources 1 then, so the training rows get it too
            outlier = np.ones(len(X))
            warnings.warn(f'HDBSCAN found no cluster among {len(X)} sources with '
                          f'min_cluster_size={self.min_cluster_size_}; cluster columns will be '
                          '-1 and outlier scores 1. Try a smaller min_cluster_size.',
                          AstroGalclassUserWarning, stacklevel=2)
        F = self._forest_inputs(Z, self.clusterer_.probabilities_, outlier)
        self.cluster_counts_ = self._cluster_counts(cluster, index, labelled)
        allowed = self._allowed_classes(cluster)
        semi = self._semi_supervised(Z, F, index, labelled, allowed)
        self.feature_weights_, self.label_distributions_ = semi['weights'], semi['spread']
        self.n_iter_ = semi['n_iter']
        self.cv_scores_ = None
        self.uses_unlabelled_ = True
        self.decision_ = 'semi-supervised (safe=False: not tested against a supervised forest)'
        if self.safe:
            self._decide(Z, F, index, labelled, cluster)
        if self.uses_unlabelled_:
            forest, train, targets = semi['forest'], semi['train'], semi['targets']
        else:
            forest = self._supervised_forest(Z, index, labelled)
            train, targets = labelled, index
            self.n_iter_ = 0
        self.forest_ = forest
        pseudo = train & ~labelled
        self.pseudo_labels_ = np.where(pseudo, self.classes_[targets], -1)
        self.n_pseudo_labelled_ = int(pseudo.sum())
        self.n_features_in_ = X.shape[1]
        return self

    def _class_weight(self, index, labelled):
        k = len(self.classes_)
        return labelled.sum() / (k * np.bincount(index[labelled], minlength=k))

    def _semi_supervised(self, Z, F, index, labelled, allowed):
        """Steps 2-5 of `fit` with the labels ``index`` of the ``labelled`` rows."""
        from sklearn.semi_supervised import LabelSpreading

        class_weight = self._class_weight(index, labelled)

        def fit_forest(train, targets):
            w = class_weight[targets[train]] * np.where(labelled[train], 1.0,
                                                        self.pseudo_weight)
            rf = RandomForestClassifier(n_estimators=int(self.n_estimators), n_jobs=self.n_jobs,
                                        random_state=self.random_state)
            return rf.fit(F[train], targets[train], sample_weight=w)

        # 2. forest on the labelled rows; its importances weight the graph
        forest = fit_forest(labelled, index)
        importance = forest.feature_importances_[:Z.shape[1]]
        weights = np.sqrt(importance / max(importance.mean(), 1e-12))
        # 3. label spreading over the weighted k-NN graph
        spreading = LabelSpreading(kernel='knn', n_neighbors=int(self.n_neighbors),
                                   alpha=self.alpha, max_iter=100)
        spreading.fit(Z * weights, np.where(labelled, index, -1))
        P = spreading.label_distributions_
        spread_class = P.argmax(axis=1)
        consistent = allowed[np.arange(len(Z)), spread_class]
        # 4. first pseudo-labels: spreading, forest and cluster agree
        proba = forest.predict_proba(F)
        take = (~labelled & consistent & (P.max(axis=1) >= self.confidence)
                & (proba.argmax(axis=1) == spread_class))
        targets = np.where(labelled, index, spread_class)
        train = labelled | take
        # 5. self-training: refit, add the sources the new forest is sure of
        n_iter = 0
        for iteration in range(1, int(self.max_iter) + 1):
            forest = fit_forest(train, targets)
            n_iter = iteration
            rest = np.flatnonzero(~train)
            if iteration == self.max_iter or not len(rest):
                break
            proba = forest.predict_proba(F[rest])
            add = ((proba.max(axis=1) >= self.confidence)
                   & (proba.argmax(axis=1) == spread_class[rest]) & consistent[rest])
            if not add.any():
                break
            train[rest[add]] = True
        return {'forest': forest, 'weights': weights, 'spread': P, 'train': train,
                'targets': targets, 'n_iter': n_iter}

    def _supervised_forest(self, Z, index, labelled):
        """The fallback: a class-balanced forest on the labelled rows' scaled features."""
        rf = RandomForestClassifier(n_estimators=int(self.n_estimators), n_jobs=self.n_jobs,
                                    random_state=self.random_state)
        w = self._class_weight(index, labelled)[index[labelled]]
        return rf.fit(Z[labelled], index[labelled], sample_weight=w)

    def _cluster_counts(self, cluster, index, labelled):
        """Labelled members per class of each cluster (dict cluster -> counts)."""
        counts = {}
        for cid, c in zip(cluster[labelled], index[labelled], strict=True):
            counts.setdefault(int(cid), np.zeros(len(self.classes_), int))[c] += 1
        return counts

    def _decide(self, Z, F, index, labelled, cluster):
        """Cross-validate both models on the labelled rows; keep the better (ties: supervised)."""
        from sklearn.metrics import balanced_accuracy_score
        from sklearn.model_selection import StratifiedKFold

        rows = np.flatnonzero(labelled)
        smallest = np.bincount(index[rows]).min()
        folds = min(int(self.cv_folds), int(smallest))
        if folds < 2:
            self.decision_ = ('semi-supervised (a class has a single label: the unlabelled '
                              'data could not be tested against a supervised forest)')
            return
        scores = {'semi-supervised': [], 'supervised': []}
        split = StratifiedKFold(n_splits=folds, shuffle=True, random_state=self.random_state)
        for fit_rows, test_rows in split.split(rows, index[rows]):
            known = np.zeros(len(Z), bool)
            known[rows[fit_rows]] = True
            held = rows[test_rows]
            if len(np.unique(index[known])) < len(self.classes_):
                continue
            # the clusters' dominant classes from this fold's labels only
            allowed = self._allowed_classes(cluster, self._cluster_counts(cluster, index, known))
            semi = self._semi_supervised(Z, F, index, known, allowed)
            scores['semi-supervised'].append(balanced_accuracy_score(
                index[held], semi['forest'].predict(F[held])))
            sup = self._supervised_forest(Z, index, known)
            scores['supervised'].append(balanced_accuracy_score(
                index[held], sup.predict(Z[held])))
        if not scores['supervised']:
            self.decision_ = 'semi-supervised (the cross-validation folds lacked a class)'
            return
        self.cv_scores_ = {k: float(np.mean(v)) for k, v in scores.items()}
        semi_score, sup_score = self.cv_scores_['semi-supervised'], self.cv_scores_['supervised']
        self.uses_unlabelled_ = semi_score > sup_score
        chosen = ('semi-supervised: the unlabelled sources help' if self.uses_unlabelled_
                  else 'supervised forest on the labelled rows: the unlabelled sources do not '
                       'help')
        self.decision_ = (f'{chosen} (cross-validated balanced accuracy {semi_score:.3f} '
                          f'semi-supervised vs {sup_score:.3f} supervised, {folds} folds)')

    def _dominated(self, cid, n):
        """Whether cluster ``cid``, with labelled members ``n`` per class, is class-dominated."""
        return cid >= 0 and n.sum() >= self.min_labelled and n.max() >= self.purity * n.sum()

    def _allowed_classes(self, cluster, counts=None):
        """``(N, k)`` booleans: classes a source's cluster lets it be given."""
        k = len(self.classes_)
        allowed = np.ones((len(cluster), k), bool)
        for cid, n in (self.cluster_counts_ if counts is None else counts).items():
            if not self._dominated(cid, n):
                continue
            members = cluster == cid
            allowed[members] = False
            allowed[members, int(np.argmax(n))] = True
        return allowed

    @staticmethod
    def _forest_inputs(Z, strength, outlier):
        return np.hstack([Z, np.asarray(strength, float)[:, None],
                          np.asarray(outlier, float)[:, None]])

    def cluster_summary(self, *, classes=None):
        """
        The clusters found in the field: size, labelled members per class.

        Parameters
        ----------
        classes : sequence of str, optional
            Names of the class indices (e.g. ``HIGHZ_CLASSES``); the
            integer classes otherwise.

        Returns
        -------
        table : `~astropy.table.QTable`
            One row per cluster (-1: the sources in no cluster): ``n_members``,
            ``n_labelled_<class>``, ``dominant_class`` (empty when the
            cluster is not class-dominated: too few labels or mixed) and
            ``n_pseudo_labelled``; ``table.meta['decision']`` says whether the
            model uses the unlabelled sources (`decision_`) and
            ``table.meta['cv_scores']`` the cross-validated scores behind it.
        """
        from astropy.table import QTable

        check_is_fitted(self, 'forest_')
        names = [str(c) if classes is None else classes[int(c)] for c in self.classes_]
        cluster = self.clusterer_.labels_
        ids = np.unique(cluster)
        k = len(self.classes_)
        counts = np.array([self.cluster_counts_.get(int(c), np.zeros(k, int)) for c in ids])
        dominant = []
        for cid, n in zip(ids, counts, strict=True):
            dominant.append(names[int(np.argmax(n))] if self._dominated(cid, n) else '')
        table = QTable({'cluster_id': ids.astype(np.int32),
                        'n_members': np.array([np.sum(cluster == c) for c in ids])})
        for j, name in enumerate(names):
            table[f'n_labelled_{name}'] = counts[:, j]
        table['dominant_class'] = dominant
        table['n_pseudo_labelled'] = [int(np.sum((cluster == c) & (self.pseudo_labels_ >= 0)))
                                      for c in ids]
        table.meta['decision'] = self.decision_
        table.meta['cv_scores'] = self.cv_scores_
        return table

    # -- prediction -----------------------------------------------------------------

    def cluster_info(self, X):
        """
        Cluster, membership strength and GLOSH outlier score of new sources.

        Uses ``hdbscan.approximate_predict`` and
        ``hdbscan.approximate_predict_scores`` against the fitted clustering.

        Parameters
        ----------
        X : array-like
            ``(N, n_features)`` finite features, as in `fit`.

        Returns
        -------
        cluster : `~numpy.ndarray`
            ``(N,)`` cluster of each source, -1 for none.
        strength : `~numpy.ndarray`
            ``(N,)`` membership strength, 0-1.
        outlier : `~numpy.ndarray`
            ``(N,)`` GLOSH outlier score.
        """
        import hdbscan

        check_is_fitted(self, 'forest_')
        Z = self.scaler_.transform(self._check_X(X))
        with warnings.catch_warnings():
            # "no defined clusters": fit() has warned already
            warnings.simplefilter('ignore', UserWarning)
            cluster, strength = hdbscan.approximate_predict(self.clusterer_, Z)
            outlier = np.nan_to_num(hdbscan.approximate_predict_scores(self.clusterer_, Z))
        return np.asarray(cluster), np.asarray(strength, float), np.asarray(outlier, float)

    def predict_proba(self, X):
        """
        Class probabilities ``(N, n_classes)`` in the order of ``classes_``.

        Parameters
        ----------
        X : array-like
            ``(N, n_features)`` finite features, as in `fit`.
        """
        check_is_fitted(self, 'forest_')
        X = self._check_X(X)
        Z = self.scaler_.transform(X)
        if not self.uses_unlabelled_:
            return self.forest_.predict_proba(Z)
        _, strength, outlier = self.cluster_info(X)
        return self.forest_.predict_proba(self._forest_inputs(Z, strength, outlier))

    def predict(self, X):
        """
        Most probable class.

        Parameters
        ----------
        X : array-like
            ``(N, n_features)`` finite features, as in `fit`.

        Returns
        -------
        `~numpy.ndarray`
            ``(N,)`` class of each source, one of ``classes_``.
        """
        proba = self.predict_proba(X)             # NotFittedError before fit
        return self.classes_[np.argmax(proba, axis=1)]

    def classify(self, catalog, **options):
        """
        A copy of ``catalog`` with probabilities, class, cluster and outlier columns.

        See `classify_table` for the options and columns.

        Parameters
        ----------
        catalog : `~astropy.table.Table` or array-like
            A catalog with flux and error columns, or seven-band cutouts, as
            in `classify_table`.
        **options
            Keyword arguments of `classify_table` (``classes``, ``features``,
            ``prefix``, ``overwrite``, ``depth`` and the options of
            `~astro_galclass.semisupervised.photometry_features`).
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

        Parameters
        ----------
        path : str, path-like or file-like
            Where to write (`numpy.savez_compressed`, which appends ``.npz``
            to a file name without it).
        """
        check_is_fitted(self, 'forest_')
        params, checksum = self._payload()
        np.savez_compressed(path, format=np.array(_FORMAT), version=np.array(_VERSION),
                            params=np.array(params), checksum=np.array(checksum),
                            X=self.X_train_.astype('<f8'), y=self.y_train_.astype('<i8'))

    @classmethod
    def load(cls, path):
        """
        Read a file written by `save` and refit; foreign or altered files are refused.

        Parameters
        ----------
        path : str or path-like
            The ``.npz`` file written by `save`.

        Returns
        -------
        `SemiSupervisedClassifier`
            The model, refitted on the stored features and labels.
        """
        path = Path(path)
        try:
            with open(path, 'rb') as handle, np.load(handle, allow_pickle=False) as data:
                fields = {k: data[k] for k in data.files}
        except (OSError, ValueError, EOFError, zipfile.BadZipFile) as exc:
            msg = f'{path} is not a semi-supervised model file written by save(): {exc}'
            raise ValueError(msg) from exc
        if str(fields.get('format', '')) != _FORMAT:
            msg = f'{path} is not an astro_galclass semi-supervised model file'
            raise ValueError(msg)
        if int(fields['version']) > _VERSION:
            msg = (f'{path} has format version {int(fields["version"])}; this package '
                   f'reads {_VERSION}')
            raise ValueError(msg)
        missing = sorted({'params', 'checksum', 'X', 'y'} - set(fields))
        try:
            params = json.loads(str(fields.get('params', '')))
        except ValueError:
            params = None
        known = set(cls().get_params())
        if missing or not isinstance(params, dict) or set(params) - known:
            what = (f'lacks {missing}' if missing else
                    'has unreadable hyperparameters' if not isinstance(params, dict) else
                    f'names unknown hyperparameters {sorted(set(params) - known)} '
                    f'(expected among {sorted(known)})')
            msg = f'{path} {what}: the file is damaged or not written by save()'
            raise ValueError(msg)
        model = cls(**params)
        model.X_train_, model.y_train_ = fields['X'], fields['y']
        _, checksum = model._payload()
        if checksum != str(fields['checksum']):
            msg = f'{path} failed its checksum: the file was altered or damaged'
            raise ValueError(msg)
        return model.fit(fields['X'], fields['y'])


def classify_table(model, catalog, *, classes=HIGHZ_CLASSES,
                   features=None, prefix='', overwrite=False, depth='jades-deep',
                   **feature_options):
    """
    Classify a catalog or cutouts with a fitted `SemiSupervisedClassifier`; QTable out.

    Parameters
    ----------
    model : `SemiSupervisedClassifier`
        Fitted, with integer classes ``0 .. len(classes) - 1``.
    catalog : `~astropy.table.Table` or array-like
        A catalog with the flux and error columns that
        `~astro_galclass.semisupervised.photometry_features` reads (options
        passed through ``feature_options``); or seven-band cutouts
        ``(N, 7, H, W)`` in nJy per pixel on the 0.03" grid, measured with
        `~astro_galclass.semisupervised.cutout_photometry` at ``depth``
        (the table returned then holds their fluxes and errors).
    classes : sequence of str, optional
        Names of the class indices.
    features : `~numpy.ndarray`, optional
        A precomputed feature matrix, one row per catalog row, instead.
    prefix : str, optional
        Prepended to the new column names (to keep them apart from the CNN's).
    overwrite : bool, optional
        Replace existing columns of the same names instead of raising.
    depth : str or dict, optional
        Survey depth giving the flux errors of cutouts.
    **feature_options
        Passed to `~astro_galclass.semisupervised.photometry_features`
        (``bands``, ``flux``, ``error``) when ``features`` is not given.

    Returns
    -------
    table : `~astropy.table.QTable`
        A copy of ``catalog`` (never modified) with ``p_<class>``,
        ``ssl_class``, ``cluster_id`` (-1: no cluster),
        ``cluster_membership`` (HDBSCAN strength, 0-1), ``outlier_score``
        (GLOSH, 0-1; high values are sources unlike any cluster: ordinary
        stars, artifacts, rare objects) and ``ssl_flags`` (1: no band has a
        finite flux and error, so the row is not classified and its other
        new columns are masked). Every row is kept, in order.
    """
    from astropy.table import MaskedColumn, Table

    from astro_galclass.semisupervised.features import cutout_photometry, photometry_features
    from astro_galclass.utils._tables import append_columns, provenance

    check_is_fitted(model, 'forest_')
    if not isinstance(catalog, Table):
        cutouts = np.asarray(getattr(catalog, 'value', catalog))
        if cutouts.ndim != 4:
            msg = ('expected a Table (catalog with flux columns) or cutouts of shape '
                   f'(N, bands, H, W), got {type(catalog).__name__} of shape {cutouts.shape}')
            raise TypeError(msg)
        catalog = cutout_photometry(cutouts, depth=depth)
    if features is None:
        features, names = photometry_features(catalog, **feature_options)
        missing = [i for i, name in enumerate(names) if name.startswith('missing_')]
        unusable = np.all(features[:, missing] == 1, axis=1)
    else:
        features = np.asarray(features, float)
        if features.ndim != 2 or len(features) != len(catalog):
            msg = (f'features must be ({len(catalog)}, n_features), one row per catalog row, '
                   f'got shape {features.shape}')
            raise ValueError(msg)
        unusable = ~np.all(np.isfinite(features), axis=1)
    n = len(catalog)
    k = len(model.classes_)
    proba = np.zeros((n, k))
    cluster = np.full(n, -1)
    strength, outlier = np.zeros(n), np.zeros(n)
    good = ~unusable
    if good.any():
        proba[good] = model.predict_proba(features[good])
        cluster[good], strength[good], outlier[good] = model.cluster_info(features[good])
    names = [classes[int(c)] for c in model.classes_]
    cols = {}
    for j, name in enumerate(names):
        cols[f'{prefix}p_{name}'] = MaskedColumn(proba[:, j], mask=unusable,
                                                 description=f'probability of {name}')
    cols[f'{prefix}ssl_class'] = class_column(np.array(names)[np.argmax(proba, axis=1)],
                                              unusable, description='most probable class')
    cols[f'{prefix}cluster_id'] = MaskedColumn(cluster.astype(np.int32), mask=unusable,
                                               description='HDBSCAN cluster, -1: none')
    cols[f'{prefix}cluster_membership'] = MaskedColumn(strength, mask=unusable,
                                                       description='HDBSCAN strength')
    cols[f'{prefix}outlier_score'] = MaskedColumn(outlier, mask=unusable,
                                                  description='HDBSCAN GLOSH outlier score')
    cols[f'{prefix}ssl_flags'] = MaskedColumn(unusable.astype(np.int16),
                                              description='1: no usable band, not classified')
    meta = provenance(task='semi-supervised classification', model_name='SemiSupervisedClassifier',
                      weights_sha256=model._payload()[1],
                      options={'params': model.get_params(), 'prefix': prefix})
    return append_columns(catalog, cols, meta_key='astro_galclass_semisupervised', meta=meta,
                          overwrite=overwrite)
