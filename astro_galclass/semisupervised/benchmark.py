# Licensed under a 3-clause BSD style license - see LICENSE.rst
"""How the semi-supervised pipeline fares against the fraction of labelled sources."""

import time

import numpy as np
from astropy.table import QTable
from sklearn.ensemble import RandomForestClassifier

from astro_galclass.nircam import selection_metrics
from astro_galclass.semisupervised.classifier import SemiSupervisedClassifier

__all__ = ['label_fraction_benchmark', 'simulated_photometry']


def simulated_photometry(n_sources, *, seed, depth='jades-deep', chunk=2000,
                         classifier=None):
    """
    Aperture photometry (and optionally CNN outputs) of simulated sources.

    Parameters
    ----------
    n_sources : int
    seed : int
        Seed of the `~astro_galclass.simulate.NIRCamSimulator`.
    depth : str or dict, optional
    chunk : int, optional
        Sources simulated at once (memory: about 115 kB each).
    classifier : `~astro_galclass.HighZClassifier`, optional
        When given, its probabilities and embedding of each cutout are
        returned as well.

    Returns
    -------
    photometry : `~astropy.table.QTable`
        ``flux_<band>``, ``fluxerr_<band>`` (for
        `~astro_galclass.semisupervised.photometry_features`), ``label``
        and ``snr_F444W``.
    cnn : dict
        ``'proba'`` and ``'embedding'`` arrays when ``classifier`` is given;
        empty otherwise.
    """
    from astropy.table import vstack

    from astro_galclass.semisupervised.features import cutout_photometry
    from astro_galclass.simulate import NIRCamSimulator

    sim = NIRCamSimulator(depth=depth, seed=seed)
    tables, proba, embedding = [], [], []
    remaining = int(n_sources)
    while remaining > 0:
        n = min(chunk, remaining)
        cutouts, truth = sim.sample(n)
        t = cutout_photometry(cutouts, depth=depth, bands=sim.bands,
                              pixel_scale=sim.pixel_scale)
        t['label'] = np.asarray(truth['label'], int)
        t['snr_F444W'] = np.asarray(truth['snr_F444W'], float)
        tables.append(t)
        if classifier is not None:
            proba.append(classifier.predict_proba(cutouts))
            embedding.append(classifier.embed(cutouts))
        remaining -= n
    cnn = {}
    if classifier is not None:
        cnn = {'proba': np.concatenate(proba), 'embedding': np.concatenate(embedding)}
    return vstack(tables), cnn


def label_fraction_benchmark(X, y, X_test, y_test, *, fractions=(0.01, 0.05, 0.2, 1.0),
                             repeats=3, seed=0, ssl_options=None, n_estimators=300,
                             snr_test=None, snr_min=10.0, n_jobs=1):
    """
    Semi-supervised pipeline versus a labelled-only Random Forest.

    For each fraction of labelled sources and each repeat, a random subset
    of the rows of ``X`` keeps its label (the others get -1). Both learners
    are then scored on the independent test set ``X_test``:

    - ``semi-supervised``: `SemiSupervisedClassifier` fitted on all rows of
      ``X`` with the partial labels;
    - ``labelled-only RF``: a Random Forest (balanced class weights, the
      same features) fitted on the labelled rows alone. At a fraction of 1
      it is the fully supervised Random Forest.

    Parameters
    ----------
    X, y : array-like
        Features and true classes of the field the learners see.
    X_test, y_test : array-like
        Features and true classes of independent sources.
    fractions : sequence of float, optional
        Fractions of labelled rows, in (0, 1].
    repeats : int, optional
        Random label draws per fraction below 1 (one at 1).
    seed : int, optional
    ssl_options : dict, optional
        Keyword arguments of `SemiSupervisedClassifier`.
    n_estimators : int, optional
        Trees of the labelled-only forest.
    snr_test : array-like, optional
        Signal-to-noise of the test sources; adds ``accuracy_bright``, the
        accuracy on those with ``snr_test >= snr_min``.
    snr_min : float, optional
    n_jobs : int, optional
        Processes for the forests (results do not depend on it).

    Returns
    -------
    table : `~astropy.table.QTable`
        One row per method and fraction: means and standard deviations over
        the repeats of accuracy, high-z completeness and contamination,
        labelled and pseudo-labelled counts, the share of repeats in which
        the semi-supervised model kept the unlabelled data
        (``uses_unlabelled``; see ``SemiSupervisedClassifier(safe=True)``),
        and fit time.
    """
    X, X_test = np.asarray(X, float), np.asarray(X_test, float)
    y, y_test = np.asarray(y, int), np.asarray(y_test, int)
    bright = None if snr_test is None else np.asarray(snr_test) >= snr_min
    rng = np.random.default_rng(seed)
    rows = []
    for fraction in fractions:
        fraction = float(fraction)
        if not 0 < fraction <= 1:
            msg = f'fractions must be in (0, 1], got {fraction}'
            raise ValueError(msg)
        runs = {'semi-supervised': [], 'labelled-only RF': []}
        for repeat in range(1 if fraction == 1 else int(repeats)):
            labelled = rng.uniform(size=len(y)) < fraction
            if len(np.unique(y[labelled])) < 2:
                msg = (f'a {fraction:.0%} label draw holds fewer than two classes; use '
                       'more sources or a larger fraction')
                raise ValueError(msg)
            y_partial = np.where(labelled, y, -1)
            options = {'random_state': repeat, 'n_jobs': n_jobs, **(ssl_options or {})}
            start = time.perf_counter()
            ssl = SemiSupervisedClassifier(**options).fit(X, y_partial)
            ssl_time = time.perf_counter() - start
            start = time.perf_counter()
            rf = RandomForestClassifier(n_estimators=n_estimators, class_weight='balanced',
                                        n_jobs=n_jobs, random_state=repeat)
            rf.fit(X[labelled], y[labelled])
            rf_time = time.perf_counter() - start
            for name, model, seconds, pseudo in (
                    ('semi-supervised', ssl, ssl_time, ssl.n_pseudo_labelled_),
                    ('labelled-only RF', rf, rf_time, 0)):
                pred = model.predict(X_test)
                result = selection_metrics(y_test, pred)
                if bright is not None:
                    result['accuracy_bright'] = float(np.mean(pred[bright] == y_test[bright]))
                result.update(n_labelled=int(labelled.sum()), n_pseudo=int(pseudo),
                              uses_unlabelled=float(getattr(model, 'uses_unlabelled_', False)),
                              fit_seconds=seconds)
                runs[name].append(result)
        for name, results in runs.items():
            row = {'method': name, 'label_fraction': fraction, 'repeats': len(results)}
            for key in results[0]:
                values = np.array([r[key] for r in results], float)
                row[key] = values.mean()
                if key in ('accuracy', 'highz_completeness', 'highz_contamination',
                           'accuracy_bright'):
                    row[f'{key}_std'] = values.std()
            rows.append(row)
    table = QTable(rows=rows)
    table.meta['n_field'] = len(y)
    table.meta['n_test'] = len(y_test)
    return table
