# Licensed under a 3-clause BSD style license - see LICENSE.rst
"""Evaluation of the classifiers: metrics tables and diagnostic figures."""

import itertools

import numpy as np
from astropy.table import QTable
from sklearn.metrics import confusion_matrix, roc_auc_score, roc_curve

from astro_galclass.morphology.tree import GZ2_TREE
from astro_galclass.nircam import (
    HIGHZ_CLASSES,
    check_priors,
    prevalence_weights,
    selection_metrics,
)
from astro_galclass.training.calibration import (
    expected_calibration_error,
    reliability_curve,
)

__all__ = ['DEFAULT_SNR_BINS', 'binned_completeness', 'evaluate_highz', 'evaluate_morphology',
           'plot_highz_evaluation']

#: S/N slices of the evaluation table (F444W, r = 0.16" aperture).
DEFAULT_SNR_BINS = (('S/N >= 10', 10.0, np.inf), ('5 <= S/N < 10', 5.0, 10.0))


def _scores(result, n_classes):
    """(labels, probabilities or None) from probabilities (N, K) or labels (N,)."""
    result = np.asarray(result)
    if result.ndim == 2:
        if result.shape[1] != n_classes:
            msg = f'expected probabilities with {n_classes} columns, got {result.shape}'
            raise ValueError(msg)
        ok = np.all(np.isfinite(result), axis=1)
        pred = np.where(ok, np.argmax(np.nan_to_num(result), axis=1), -1)
        return pred, result
    if result.ndim == 1:
        return result.astype(int), None
    msg = f'expected probabilities (N, n_classes) or labels (N,), got shape {result.shape}'
    raise ValueError(msg)


def _truth_arrays(truth, snr_band):
    labels = np.asarray(truth['label'], int)
    snr = np.asarray(truth[f'snr_{snr_band}'], float)
    return labels, snr


def _metrics(pred, probs, labels, classes, weights=None):
    """One row of metrics for the examples given (weighted: at another class mix)."""
    n = len(labels)
    row = {'n': n}
    classified = pred >= 0
    w = np.ones(n) if weights is None else weights
    row['accuracy'] = np.sum(w * (pred == labels)) / w.sum() if n else np.nan
    hi = classes.index('high_z') if 'high_z' in classes else None
    for c, name in enumerate(classes):
        true_c = labels == c
        pred_c = pred == c
        row[f'recall_{name}'] = np.sum(w[pred_c & true_c]) / np.sum(w[true_c]) \
            if true_c.any() else np.nan
        row[f'precision_{name}'] = np.sum(w[pred_c & true_c]) / np.sum(w[pred_c]) \
            if pred_c.any() else np.nan
    if hi is not None:
        selection = selection_metrics(labels, pred, high_z=hi, sample_weight=weights)
        row['highz_completeness'] = selection['highz_completeness']
        row['highz_contamination'] = selection['highz_contamination']
    if probs is not None and classified.any():
        p = probs[classified]
        lab = labels[classified]
        wc = None if weights is None else weights[classified]
        row['ece'] = expected_calibration_error(p, lab, sample_weight=wc)
        present = np.unique(lab)
        row['roc_auc_high_z'] = (roc_auc_score(lab == hi, p[:, hi], sample_weight=wc)
                                 if hi is not None and len(present) > 1 else np.nan)
    else:
        row['ece'] = np.nan
        row['roc_auc_high_z'] = np.nan
    row['unclassified'] = int(np.sum(~classified))
    return row


def evaluate_highz(results, truth, *, classes=HIGHZ_CLASSES, snr_band='F444W',
                   snr_bins=DEFAULT_SNR_BINS, priors=None, mix='test set'):
    """
    Metrics of one or several classifiers on a labelled test set.

    Parameters
    ----------
    results : dict
        Model name -> probabilities ``(N, n_classes)`` or predicted class
        indices ``(N,)`` (for hard selections such as colour cuts, whose
        calibration error and ROC area are then NaN). Rows of NaN
        probabilities (sources not classified) count as wrong.
    truth : `~astropy.table.Table`
        With ``label`` (true class index) and ``snr_<snr_band>`` columns,
        as returned by `~astro_galclass.simulate.NIRCamSimulator.sample`.
    classes : sequence of str, optional
    snr_band : str, optional
        Band whose aperture S/N defines the slices.
    snr_bins : sequence of (str, float, float), optional
        ``(name, low, high)`` slices ``low <= S/N < high``.
    priors : dict or array-like, optional
        Score at this class mix instead of the test set's own: within each
        slice every source is weighted so that the classes have these
        shares (`~astro_galclass.nircam.prevalence_weights`), as on a field
        of the sky where high-z galaxies are a minority. A class that a
        slice does not hold (e.g. no faint brown dwarf) is left out of that
        slice's mix and the others renormalised. Give probabilities
        computed for the same mix (``predict_proba(priors=...)``).
    mix : str, optional
        Name of the class mix, written in the ``mix`` column.

    Returns
    -------
    table : `~astropy.table.QTable`
        One row per model and S/N slice: ``mix``, ``n``, ``accuracy``,
        ``recall_<class>``, ``precision_<class>``, ``highz_completeness``
        (recall of high_z), ``highz_contamination`` (1 - precision of
        high_z), ``ece`` (expected calibration error, 15 bins),
        ``roc_auc_high_z`` and ``unclassified``.

    Examples
    --------
    >>> import numpy as np
    >>> from astropy.table import QTable
    >>> from astro_galclass.training import evaluate_highz
    >>> truth = QTable({'label': [0, 1, 2, 1], 'snr_F444W': [20., 12., 30., 7.]})
    >>> probs = np.array([[.9, .05, .05], [.1, .8, .1], [.2, .2, .6], [.6, .3, .1]])
    >>> t = evaluate_highz({'cnn': probs}, truth)
    >>> [str(s) for s in t['snr_slice']], [float(a) for a in t['accuracy']]
    (['S/N >= 10', '5 <= S/N < 10'], [1.0, 0.0])
    """
    if not isinstance(results, dict) or not results:
        msg = ('results must be a non-empty dict: model name -> probabilities or labels; '
               f'got {type(results).__name__}')
        raise TypeError(msg)
    classes = tuple(classes)
    labels, snr = _truth_arrays(truth, snr_band)
    target = None if priors is None else check_priors(priors, classes)
    rows = []
    for name, result in results.items():
        pred, probs = _scores(result, len(classes))
        if len(pred) != len(labels):
            msg = f'{name}: {len(pred)} results for {len(labels)} test sources'
            raise ValueError(msg)
        for slice_name, lo, hi in snr_bins:
            sel = (snr >= lo) & (snr < hi)
            weights = (None if target is None or not sel.any()
                       else prevalence_weights(labels[sel], _present(target, labels[sel])))
            row = {'model': name, 'snr_slice': slice_name, 'mix': str(mix)}
            row.update(_metrics(pred[sel], None if probs is None else probs[sel],
                                labels[sel], classes, weights))
            rows.append(row)
    table = QTable(rows=[list(r.values()) for r in rows], names=list(rows[0]))
    for col in table.colnames[4:]:
        if table[col].dtype.kind == 'f':
            table[col].format = '.4f'
    table.meta['snr_band'] = snr_band
    if target is not None:
        table.meta['priors'] = dict(zip(classes, target.tolist(), strict=True))
    return table


def _present(target, labels):
    """
    The mix ``target`` over the classes a slice holds, renormalised.

    A slice without any source of a class (no brown dwarf is faint: they
    are all at high S/N) cannot be weighted to a mix that has that class;
    its share is spread over the others, as the sky has next to none of
    them there either.
    """
    present = np.bincount(labels, minlength=len(target)) > 0
    if not np.any(target[present] > 0):
        return target
    kept = np.where(present, target, 0.0)
    return kept / kept.sum()


def binned_completeness(pred, truth, *, by='redshift', bins=None, target='high_z',
                        classes=HIGHZ_CLASSES, snr_band='F444W'):
    """
    Completeness and contamination of one class in bins of a truth quantity.

    Parameters
    ----------
    pred : array-like
        Predicted class indices ``(N,)``.
    truth : `~astropy.table.Table`
    by : str, optional
        ``'redshift'`` or ``'snr'`` (the ``snr_<snr_band>`` column).
    bins : array-like, optional
        Bin edges; by default redshift 0 to 15 in steps of 1, or S/N 3 to 300
        in 10 logarithmic bins.
    target : str, optional
        The class whose completeness and contamination are measured (default
        ``'high_z'``); one of ``classes``.
    classes : sequence of str, optional
        Class names in the order of the class indices of ``pred`` and of
        ``truth['label']``.
    snr_band : str, optional
        Band of the ``snr_<snr_band>`` column used with ``by='snr'``
        (default ``'F444W'``).

    Returns
    -------
    table : `~astropy.table.QTable`
        ``low``, ``high``, ``n_true``, ``completeness`` (fraction of true
        ``target`` in the bin selected), ``n_selected``, ``contamination``
        (fraction of the sources selected in the bin that are not
        ``target``).
    """
    pred = np.asarray(pred, int)
    labels = np.asarray(truth['label'], int)
    c = list(classes).index(target)
    if by == 'snr':
        x = np.asarray(truth[f'snr_{snr_band}'], float)
        bins = np.geomspace(3, 300, 11) if bins is None else np.asarray(bins, float)
    elif by == 'redshift':
        x = truth['redshift']
        x = np.asarray(getattr(x, 'filled', lambda v: x)(np.nan), float)
        bins = np.arange(0, 15.5, 1.0) if bins is None else np.asarray(bins, float)
    else:
        msg = f"by must be 'redshift' or 'snr', got {by!r}"
        raise ValueError(msg)
    out = {'low': [], 'high': [], 'n_true': [], 'completeness': [],
           'n_selected': [], 'contamination': []}
    for lo, hi in itertools.pairwise(bins):
        sel = (x >= lo) & (x < hi)
        true_c = sel & (labels == c)
        chosen = sel & (pred == c)
        out['low'].append(lo)
        out['high'].append(hi)
        out['n_true'].append(int(true_c.sum()))
        out['completeness'].append(np.sum(chosen & true_c) / true_c.sum()
                                   if true_c.any() else np.nan)
        out['n_selected'].append(int(chosen.sum()))
        out['contamination'].append(np.sum(chosen & ~true_c) / chosen.sum()
                                    if chosen.any() else np.nan)
    return QTable(out)


def plot_highz_evaluation(probabilities, truth, *, classes=HIGHZ_CLASSES,
                          snr_band='F444W', baselines=None, figure=None):
    """
    Six diagnostic panels of a high-z classifier on a labelled test set.

    Confusion matrix (row-normalised), one-vs-rest ROC curves, reliability
    diagram with the expected calibration error, high-z completeness and
    contamination against S/N and against redshift, and the distribution
    of ``p_high_z`` per true class.

    Parameters
    ----------
    probabilities : array-like
        ``(N, n_classes)``.
    truth : `~astropy.table.Table`
        ``label``, ``redshift`` and ``snr_<snr_band>`` columns.
    classes : sequence of str, optional
        Class names in the order of the probability columns and of the
        labels; one must be ``'high_z'``.
    snr_band : str, optional
        Band whose aperture S/N is the x-axis of the completeness panel
        (default ``'F444W'``).
    baselines : dict, optional
        Name -> predicted labels, drawn beside the network in the
        completeness panels.
    figure : `matplotlib.figure.Figure`, optional

    Returns
    -------
    figure : `matplotlib.figure.Figure`
    """
    import matplotlib.pyplot as plt

    probs = np.asarray(probabilities, float)
    labels = np.asarray(truth['label'], int)
    pred, _ = _scores(probs, len(classes))
    ok = pred >= 0
    fig = figure or plt.figure(figsize=(15, 9), layout='constrained')
    axes = fig.subplots(2, 3).ravel()

    cm = confusion_matrix(labels[ok], pred[ok], labels=range(len(classes)),
                          normalize='true')
    axes[0].imshow(cm, vmin=0, vmax=1, cmap='Blues')
    for i in range(len(classes)):
        for j in range(len(classes)):
            axes[0].text(j, i, f'{cm[i, j]:.3f}', ha='center', va='center',
                         color='white' if cm[i, j] > 0.5 else 'black')
    axes[0].set(xticks=range(len(classes)), yticks=range(len(classes)),
                xticklabels=classes, yticklabels=classes, xlabel='predicted',
                ylabel='true', title='confusion matrix (rows sum to 1)')

    for c, name in enumerate(classes):
        fpr, tpr, _ = roc_curve(labels[ok] == c, probs[ok, c])
        auc = roc_auc_score(labels[ok] == c, probs[ok, c])
        axes[1].plot(fpr, tpr, label=f'{name} (AUC {auc:.4f})')
    axes[1].set(xscale='log', xlim=(1e-4, 1), ylim=(0, 1.01),
                xlabel='false-positive rate', ylabel='true-positive rate',
                title='ROC, one class vs the rest')
    axes[1].legend(loc='lower right')

    conf, acc, count = reliability_curve(probs[ok], labels[ok])
    ece = expected_calibration_error(probs[ok], labels[ok])
    axes[2].plot([0, 1], [0, 1], color='grey', lw=1)
    good = count > 0
    axes[2].plot(conf[good], acc[good], 'o-')
    axes[2].set(xlabel='confidence (top-class probability)', ylabel='accuracy',
                title=f'reliability (ECE = {ece:.4f})', xlim=(0.3, 1), ylim=(0.3, 1.01))

    curves = {'network': pred}
    curves.update(baselines or {})
    for name, p in curves.items():
        t = binned_completeness(p, truth, by='snr', snr_band=snr_band, classes=classes)
        mid = np.sqrt(t['low'] * t['high'])
        axes[3].plot(mid, t['completeness'], 'o-', label=f'{name} completeness')
        axes[3].plot(mid, t['contamination'], 's--', label=f'{name} contamination')
        t = binned_completeness(p, truth, by='redshift', classes=classes)
        mid = (t['low'] + t['high']) / 2
        sel = t['low'] >= 4
        axes[4].plot(mid[sel], t['completeness'][sel], 'o-', label=name)
    axes[3].set(xscale='log', xlabel=f'{snr_band} S/N (r = 0.16")', ylim=(-0.02, 1.02),
                title='high-z completeness and contamination vs S/N')
    axes[3].legend(fontsize='small')
    axes[4].set(xlabel='true redshift', ylabel='completeness', ylim=(-0.02, 1.02),
                title='high-z completeness vs redshift')
    axes[4].legend(fontsize='small')

    hi = list(classes).index('high_z')
    edges = np.linspace(0, 1, 41)
    for c, name in enumerate(classes):
        axes[5].hist(probs[ok & (labels == c), hi], bins=edges, histtype='step',
                     label=f'true {name}', log=True)
    axes[5].set(xlabel='p_high_z', ylabel='sources', title='p_high_z by true class')
    axes[5].legend()
    return fig


def evaluate_morphology(classifier, images, truth, *, reframe=True):
    """
    RMSE against Galaxy Zoo labels, overall and per question, and tree checks.

    Parameters
    ----------
    classifier : `~astro_galclass.morphology.MorphologyClassifier`
    images : array-like
        Anything `~astro_galclass.morphology.MorphologyClassifier.prepare`
        accepts.
    truth : `~astropy.table.Table`
        ``Class1.1`` ... columns; optionally ``smooth_truth`` (1 smooth, 0
        featured, -1 ambiguous), as the simulator writes.
    reframe : bool, optional
        Reframe the images as the classifier's training images (default
        True, as `~astro_galclass.morphology.MorphologyClassifier.classify`).

    Returns
    -------
    table : `~astropy.table.QTable`
        One row per question (``question``, ``rmse``) and a row ``all``;
        ``meta`` holds the largest tree-identity residual; with
        ``smooth_truth``, the smooth-versus-featured accuracy on unambiguous
        galaxies; with the simulator's ``expected_Class...`` columns (the
        infinite-volunteer fractions), ``rmse_vs_expected`` (the predictions
        against them) and ``vote_noise_rmse`` (the finite-volunteer labels
        against them: the part of the RMSE no model can remove).
    """
    predicted = classifier.predict_kaggle(images, reframe=reframe)
    target = GZ2_TREE.from_kaggle_table(truth)
    rows = [('all', float(np.sqrt(np.mean((predicted - target) ** 2))))]
    for q in GZ2_TREE.questions:
        s = GZ2_TREE.slice(q.number)
        rows.append((q.task, float(np.sqrt(np.mean((predicted[:, s] - target[:, s]) ** 2)))))
    table = QTable(rows=rows, names=('question', 'rmse'))
    table['rmse'].format = '.4f'
    table.meta['max_tree_residual'] = float(GZ2_TREE.identity_residuals(predicted).max())
    table.meta['n'] = len(target)
    expected_names = [f'expected_{c}' for c in GZ2_TREE.kaggle_columns]
    if all(name in truth.colnames for name in expected_names):
        expected = np.stack([np.asarray(truth[n], float) for n in expected_names], axis=1)
        table.meta['rmse_vs_expected'] = float(np.sqrt(np.mean((predicted - expected) ** 2)))
        table.meta['vote_noise_rmse'] = float(np.sqrt(np.mean((target - expected) ** 2)))
    if 'smooth_truth' in truth.colnames:
        st = np.asarray(truth['smooth_truth'])
        clear = st >= 0
        pred_smooth = predicted[:, 0] > predicted[:, 1]
        table.meta['smooth_featured_accuracy'] = (
            float(np.mean(pred_smooth[clear] == (st[clear] == 1))) if clear.any() else np.nan)
        table.meta['n_unambiguous'] = int(clear.sum())
    return table
