# Licensed under a 3-clause BSD style license - see LICENSE.rst
"""Probability calibration: temperature scaling and calibration error."""

import numpy as np
from scipy.optimize import minimize_scalar
from scipy.special import log_softmax, softmax

__all__ = ['expected_calibration_error', 'fit_temperature', 'reliability_curve']


def _check_logits_labels(logits, labels):
    logits = np.asarray(logits, float)
    labels = np.asarray(labels)
    if logits.ndim != 2 or labels.shape != (len(logits),):
        msg = (f'expected logits (N, n_classes) and labels (N,), got '
               f'{logits.shape} and {labels.shape}')
        raise ValueError(msg)
    if len(labels) == 0:
        msg = 'at least one example is needed, got none'
        raise ValueError(msg)
    return logits, labels.astype(int)


def fit_temperature(logits, labels, *, bounds=(0.05, 20.0)):
    """
    Temperature that minimises the negative log-likelihood of ``labels``.

    Temperature scaling (Guo et al. 2017, "On Calibration of Modern Neural
    Networks") divides the logits by one scalar ``T`` fitted on held-out
    data. It changes no decision (the arg-max is unchanged), only how
    confident the probabilities are.

    Parameters
    ----------
    logits : array-like
        ``(N, n_classes)`` network outputs before the softmax, on a
        validation set not used for the gradient steps.
    labels : array-like of int
        ``(N,)`` true classes.
    bounds : tuple of float, optional
        Search interval for ``T``.

    Returns
    -------
    temperature : float

    Examples
    --------
    >>> import numpy as np
    >>> from astro_galclass.training import fit_temperature
    >>> rng = np.random.default_rng(0)
    >>> labels = rng.integers(0, 3, 5000)
    >>> logits = 4.0 * np.eye(3)[labels] + rng.normal(0, 2.0, (5000, 3))
    >>> t_over = fit_temperature(3 * logits, labels)   # over-confident
    >>> t = fit_temperature(logits, labels)
    >>> bool(abs(t_over / t - 3) < 0.05)
    True
    """
    logits, labels = _check_logits_labels(logits, labels)
    rows = np.arange(len(labels))

    def nll(log_t):
        return -np.mean(log_softmax(logits / np.exp(log_t), axis=1)[rows, labels])

    res = minimize_scalar(nll, bounds=np.log(bounds), method='bounded',
                          options={'xatol': 1e-5})
    return float(np.exp(res.x))


def reliability_curve(probabilities, labels, *, n_bins=15, sample_weight=None):
    """
    Confidence against accuracy in bins of the top-class probability.

    Parameters
    ----------
    probabilities : array-like
        ``(N, n_classes)`` predicted class probabilities; the largest of each
        row is the confidence, its column the predicted class.
    labels : array-like of int
        ``(N,)`` true classes.
    n_bins : int, optional
        Number of equal-width confidence bins in [0, 1] (default 15).
    sample_weight : array-like, optional
        ``(N,)`` weight of each example (e.g.
        `~astro_galclass.nircam.prevalence_weights`); means are weighted.

    Returns
    -------
    confidence, accuracy, count : `~numpy.ndarray`
        Mean confidence, fraction correct and number of examples (summed
        weights when weighted) in each of ``n_bins`` equal-width bins in
        [0, 1] (NaN for empty bins).
    """
    p = np.asarray(probabilities, float)
    labels = np.asarray(labels).astype(int)
    if p.ndim != 2 or labels.shape != (len(p),):
        msg = (f'expected probabilities (N, n_classes) and labels (N,), got '
               f'{p.shape} and {labels.shape}')
        raise ValueError(msg)
    conf = p.max(axis=1)
    correct = p.argmax(axis=1) == labels
    edges = np.linspace(0, 1, n_bins + 1)
    which = np.clip(np.digitize(conf, edges[1:-1]), 0, n_bins - 1)
    if sample_weight is None:
        count = np.bincount(which, minlength=n_bins).astype(float)
        with np.errstate(invalid='ignore', divide='ignore'):
            mean_conf = np.bincount(which, conf, n_bins) / count
            accuracy = np.bincount(which, correct, n_bins) / count
        return mean_conf, accuracy, count.astype(int)
    w = np.asarray(sample_weight, float)
    if w.shape != labels.shape:
        msg = f'sample_weight must have shape {labels.shape}, got {w.shape}'
        raise ValueError(msg)
    count = np.bincount(which, w, n_bins)
    with np.errstate(invalid='ignore', divide='ignore'):
        mean_conf = np.bincount(which, w * conf, n_bins) / count
        accuracy = np.bincount(which, w * correct, n_bins) / count
    return mean_conf, accuracy, count


def expected_calibration_error(probabilities, labels, *, n_bins=15, sample_weight=None):
    """
    Expected calibration error of the top-class probability.

    ``ECE = sum_b (n_b / N) |accuracy_b - confidence_b|`` over ``n_bins``
    equal-width confidence bins (Naeini et al. 2015; Guo et al. 2017).

    Parameters
    ----------
    probabilities : array-like
        ``(N, n_classes)`` predicted class probabilities; the largest of each
        row is the confidence, its column the predicted class.
    labels : array-like of int
        ``(N,)`` true classes.
    n_bins : int, optional
        Number of equal-width confidence bins in [0, 1] (default 15).
    sample_weight : array-like, optional
        ``(N,)`` weight of each example, e.g. to measure the calibration at
        the class mix of the sky (`~astro_galclass.nircam.prevalence_weights`).

    Returns
    -------
    float

    Examples
    --------
    >>> import numpy as np
    >>> from astro_galclass.training import expected_calibration_error
    >>> p = np.array([[0.9, 0.1], [0.9, 0.1], [0.6, 0.4], [0.6, 0.4]])
    >>> round(expected_calibration_error(p, [0, 0, 0, 1]), 3)
    0.1
    """
    conf, acc, count = reliability_curve(probabilities, labels, n_bins=n_bins,
                                         sample_weight=sample_weight)
    ok = count > 0
    return float(np.sum(count[ok] * np.abs(acc[ok] - conf[ok])) / count.sum())


def softmax_with_temperature(logits, temperature):
    """
    Probabilities from logits divided by ``temperature``.

    Parameters
    ----------
    logits : array-like
        ``(N, n_classes)`` network outputs before the softmax.
    temperature : float
        The temperature ``T`` (as from `fit_temperature`); the softmax is
        taken over each row of ``logits / T``.

    Returns
    -------
    `~numpy.ndarray`
        ``(N, n_classes)`` probabilities.
    """
    return softmax(np.asarray(logits, float) / float(temperature), axis=1)
