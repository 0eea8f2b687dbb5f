# Licensed under a 3-clause BSD style license - see LICENSE.rst
"""
What the high-redshift selection selects, and how a selection is scored.

The classes and their order are those of the high-z classifier's outputs;
the boundary is z = 4 (the Lyman break at 0.6 micron, blueward of F090W
above it, so that NIRCam alone sees only the UV continuum and the break).
"""

import numpy as np

__all__ = ['HIGHZ_CLASSES', 'Z_BOUNDARY', 'check_priors', 'prevalence_weights',
           'selection_metrics', 'selection_threshold', 'shift_priors']

#: Class names, in the order of the high-z classifier's outputs.
HIGHZ_CLASSES = ('low_z', 'high_z', 'brown_dwarf')

#: Redshift separating the ``low_z`` and ``high_z`` classes (z >= 4 is high-z).
Z_BOUNDARY = 4.0


def selection_metrics(y_true, y_pred, *, high_z=1, sample_weight=None):
    """
    Accuracy, high-z completeness and contamination of a set of predictions.

    The one convention of the package: completeness is the fraction of the
    true high-z sources that are selected, contamination the fraction of the
    selected sources that are not high-z. Either is NaN when undefined: no
    true high-z source (completeness) or an empty selection
    (contamination), never 0, which would read as a perfect score. Sources
    predicted as ``-1`` (not classified) count as not selected.

    Parameters
    ----------
    y_true, y_pred : array-like of int
        True and predicted class indices, ``(N,)``.
    high_z : int, optional
        Index of the high-z class (1 in `HIGHZ_CLASSES`).
    sample_weight : array-like, optional
        ``(N,)`` weight of each source, e.g. `prevalence_weights` to score a
        test set at the class mix of the sky rather than its own.

    Returns
    -------
    metrics : dict
        ``accuracy``, ``highz_completeness``, ``highz_contamination`` (floats,
        weighted when ``sample_weight`` is given), ``n_true`` and
        ``n_selected`` (ints, unweighted counts).

    Examples
    --------
    >>> from astro_galclass.nircam import selection_metrics
    >>> m = selection_metrics([0, 1, 1, 2], [0, 1, 0, 1])
    >>> m['accuracy'], m['highz_completeness'], m['highz_contamination']
    (0.5, 0.5, 0.5)
    >>> selection_metrics([0, 1], [0, 0])['highz_contamination']
    nan
    """
    y_true = np.asarray(y_true)
    y_pred = np.asarray(y_pred)
    if y_true.shape != y_pred.shape or y_true.ndim != 1:
        msg = ('y_true and y_pred must be 1-D arrays of the same length, got shapes '
               f'{y_true.shape} and {y_pred.shape}')
        raise ValueError(msg)
    true = y_true == high_z
    selected = y_pred == high_z
    n_true, n_selected = int(true.sum()), int(selected.sum())
    if sample_weight is None:
        return {
            'accuracy': float(np.mean(y_true == y_pred)) if len(y_true) else float('nan'),
            'highz_completeness': (float(np.sum(true & selected) / n_true) if n_true
                                   else float('nan')),
            'highz_contamination': (float(np.sum(selected & ~true) / n_selected)
                                    if n_selected else float('nan')),
            'n_true': n_true,
            'n_selected': n_selected,
        }
    w = np.asarray(sample_weight, float)
    if w.shape != y_true.shape or not np.all(np.isfinite(w)) or np.any(w < 0):
        msg = (f'sample_weight must be {len(y_true)} finite non-negative numbers, got '
               f'shape {w.shape}')
        raise ValueError(msg)
    w_true, w_selected = w[true].sum(), w[selected].sum()
    return {
        'accuracy': float(np.sum(w * (y_true == y_pred)) / w.sum()) if w.sum() > 0
        else float('nan'),
        'highz_completeness': (float(w[true & selected].sum() / w_true) if w_true > 0
                               else float('nan')),
        'highz_contamination': (float(w[selected & ~true].sum() / w_selected)
                                if w_selected > 0 else float('nan')),
        'n_true': n_true,
        'n_selected': n_selected,
    }


def check_priors(priors, classes=HIGHZ_CLASSES):
    """
    Class priors as an array in the order of ``classes``, checked and normalised.

    Parameters
    ----------
    priors : dict or array-like
        Class name -> expected fraction of the sources (every class of
        ``classes``, no other), or one number per class in that order. Any
        non-negative numbers with a positive sum; they are normalised.
    classes : sequence of str, optional
        The class order.

    Returns
    -------
    priors : `~numpy.ndarray`
        ``(len(classes),)`` fractions summing to 1.

    Raises
    ------
    TypeError
        When ``priors`` is neither a dict nor a sequence of numbers.
    ValueError
        For missing or unknown classes, or values that are negative, not
        finite or all zero.

    Examples
    --------
    >>> from astro_galclass.nircam import check_priors
    >>> check_priors({'low_z': 8, 'high_z': 1, 'brown_dwarf': 1})
    array([0.8, 0.1, 0.1])
    """
    classes = tuple(classes)
    if isinstance(priors, dict):
        unknown = sorted(set(priors) - set(classes))
        missing = [c for c in classes if c not in priors]
        if unknown or missing:
            msg = (f'priors must give a fraction for each class {classes}; '
                   f'missing {missing}, unknown {unknown}')
            raise ValueError(msg)
        values = [priors[c] for c in classes]
    elif isinstance(priors, str) or not np.iterable(priors):
        msg = ('priors must be a dict class -> fraction or one number per class, '
               f'got {type(priors).__name__}')
        raise TypeError(msg)
    else:
        values = list(priors)
    try:
        p = np.asarray(values, float)
    except (TypeError, ValueError):
        msg = f'priors must be numbers, got {values!r}'
        raise TypeError(msg) from None
    if p.shape != (len(classes),) or not np.all(np.isfinite(p)) or np.any(p < 0) \
            or not p.sum() > 0:
        msg = (f'priors must be {len(classes)} finite non-negative fractions with a '
               f'positive sum (classes {classes}), got {values!r}')
        raise ValueError(msg)
    return p / p.sum()


def shift_priors(probabilities, trained, target):
    """
    Class probabilities for another class mix than the one a model learnt.

    A classifier's probabilities assume the class mix of its training data.
    For a field with another mix, Bayes' theorem gives
    ``p'(c|x) ∝ p(c|x) target_c / trained_c`` (Saerens, Latinne & Decaestecker
    2002, Neural Computation 14, 21). Rows of NaN stay NaN.

    Parameters
    ----------
    probabilities : array-like
        ``(N, n_classes)`` probabilities under the ``trained`` mix.
    trained, target : array-like
        ``(n_classes,)`` class fractions (see `check_priors`); ``trained``
        must be positive where ``target`` is.

    Returns
    -------
    probabilities : `~numpy.ndarray`
        ``(N, n_classes)`` float64, rows summing to 1.

    Examples
    --------
    >>> import numpy as np
    >>> from astro_galclass.nircam import shift_priors
    >>> p = shift_priors([[0.5, 0.5, 0.0]], [1/3, 1/3, 1/3], [0.9, 0.1, 0.0])
    >>> np.round(p, 3)
    array([[0.9, 0.1, 0. ]])
    """
    p = np.asarray(probabilities, float)
    trained = np.asarray(trained, float)
    target = np.asarray(target, float)
    if p.ndim != 2 or trained.shape != (p.shape[1],) or target.shape != trained.shape:
        msg = (f'expected probabilities (N, K) and two (K,) priors, got {p.shape}, '
               f'{trained.shape} and {target.shape}')
        raise ValueError(msg)
    if np.any((trained <= 0) & (target > 0)):
        msg = (f'the training mix {trained} has no examples of a class that the target '
               f'mix {target} expects')
        raise ValueError(msg)
    ratio = np.divide(target, trained, out=np.zeros_like(target), where=trained > 0)
    q = p * ratio
    with np.errstate(invalid='ignore', divide='ignore'):
        return q / q.sum(axis=1, keepdims=True)


def prevalence_weights(labels, priors):
    """
    Weights that give a labelled test set another class mix.

    A simulated test set is drawn with some class mix (often equal thirds);
    weighting each source by ``priors_c / share_c`` of its class makes every
    weighted metric (`selection_metrics`) the one expected on a field with
    the mix ``priors``, e.g. the sky's, where high-z galaxies are a minority
    and contamination is correspondingly harder to keep low.

    Parameters
    ----------
    labels : array-like of int
        ``(N,)`` true class indices.
    priors : array-like
        ``(n_classes,)`` target class fractions (see `check_priors`).

    Returns
    -------
    weights : `~numpy.ndarray`
        ``(N,)``; their mean is 1.

    Examples
    --------
    >>> from astro_galclass.nircam import prevalence_weights
    >>> prevalence_weights([0, 1, 1, 2], [0.5, 0.25, 0.25])
    array([2. , 0.5, 0.5, 1. ])
    """
    labels = np.asarray(labels).astype(int)
    priors = np.asarray(priors, float)
    if labels.ndim != 1 or not len(labels):
        msg = f'labels must be a non-empty 1-D array of class indices, got shape {labels.shape}'
        raise ValueError(msg)
    if labels.min() < 0 or labels.max() >= len(priors):
        msg = (f'labels must be class indices in [0, {len(priors) - 1}], got values from '
               f'{labels.min()} to {labels.max()}')
        raise ValueError(msg)
    share = np.bincount(labels, minlength=len(priors)) / len(labels)
    if np.any((share == 0) & (priors > 0)):
        msg = (f'the test set has no source of a class with a positive prior: shares '
               f'{np.round(share, 4).tolist()}, priors {np.round(priors, 4).tolist()}')
        raise ValueError(msg)
    ratio = np.divide(priors / priors.sum(), share, out=np.zeros_like(share),
                      where=share > 0)
    return ratio[labels]


def selection_threshold(p_high_z, y_true, *, max_contamination=None, min_completeness=None,
                        high_z=1, sample_weight=None):
    """
    The ``p_high_z`` threshold that meets a contamination or completeness goal.

    For users who want a selection rather than an argmax: sources with
    ``p_high_z >= threshold`` are selected. With ``max_contamination``, the
    lowest threshold (the most complete selection) whose contamination does
    not exceed it; with ``min_completeness``, the highest threshold (the
    purest selection) that reaches it. Measure it on a labelled set, or a
    simulated one weighted to the sky's class mix (`prevalence_weights`), at
    the class mix of the probabilities you will threshold.

    Parameters
    ----------
    p_high_z : array-like
        ``(N,)`` high-z probabilities (NaN rows are ignored).
    y_true : array-like of int
        ``(N,)`` true class indices.
    max_contamination, min_completeness : float, optional
        Exactly one of them, in (0, 1).
    high_z : int, optional
        Index of the high-z class.
    sample_weight : array-like, optional
        ``(N,)`` weights, e.g. from `prevalence_weights`.

    Returns
    -------
    result : dict
        ``threshold``, and the ``highz_completeness``, ``highz_contamination``
        and ``n_selected`` it gives on this set.

    Raises
    ------
    ValueError
        When no threshold meets the goal (the message gives the best one).

    Examples
    --------
    >>> from astro_galclass.nircam import selection_threshold
    >>> p = [0.95, 0.9, 0.8, 0.6, 0.3, 0.1]
    >>> y = [1, 1, 0, 1, 0, 0]
    >>> selection_threshold(p, y, max_contamination=0.3)['threshold']
    0.6
    """
    if (max_contamination is None) == (min_completeness is None):
        msg = ('give exactly one of max_contamination and min_completeness, got '
               f'max_contamination={max_contamination}, min_completeness={min_completeness}')
        raise ValueError(msg)
    goal = max_contamination if min_completeness is None else min_completeness
    if not 0 < float(goal) < 1:
        msg = f'the goal must be a fraction in (0, 1), got {goal}'
        raise ValueError(msg)
    p = np.asarray(p_high_z, float)
    y = np.asarray(y_true)
    w = np.ones(len(p)) if sample_weight is None else np.asarray(sample_weight, float)
    if p.shape != y.shape or w.shape != p.shape or p.ndim != 1:
        msg = (f'p_high_z, y_true and sample_weight must be 1-D of one length, got '
               f'{p.shape}, {y.shape} and {w.shape}')
        raise ValueError(msg)
    ok = np.isfinite(p)
    p, y, w = p[ok], y[ok], w[ok]
    true = y == high_z
    if not w[true].sum() > 0:
        msg = 'the set has no high-z source: no threshold can be measured on it'
        raise ValueError(msg)
    order = np.argsort(-p, kind='stable')
    p, true, w = p[order], true[order], w[order]
    tp = np.cumsum(w * true)
    fp = np.cumsum(w * ~true)
    # cut only between distinct probabilities: ties are selected together
    last = np.r_[p[1:] != p[:-1], True]
    tp, fp, cuts = tp[last], fp[last], np.flatnonzero(last)
    completeness = tp / w[true].sum()
    with np.errstate(invalid='ignore', divide='ignore'):
        contamination = fp / (tp + fp)
    if max_contamination is not None:
        good = np.flatnonzero(contamination <= max_contamination)
        best = good[-1] if len(good) else None
        closest = f'the lowest contamination reachable is {np.nanmin(contamination):.4f}'
    else:
        good = np.flatnonzero(completeness >= min_completeness)
        best = good[0] if len(good) else None
        closest = f'the highest completeness reachable is {completeness.max():.4f}'
    if best is None:
        msg = f'no threshold meets the goal {goal} on this set: {closest}'
        raise ValueError(msg)
    return {'threshold': float(p[cuts[best]]),
            'highz_completeness': float(completeness[best]),
            'highz_contamination': float(contamination[best]),
            'n_selected': int(cuts[best] + 1)}
