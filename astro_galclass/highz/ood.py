# Licensed under a 3-clause BSD style license - see LICENSE.rst
"""
An out-of-distribution score on the network's embedding.

The score of a source is its smallest squared Mahalanobis distance to the
class means of the training data in the penultimate-layer embedding, with
one covariance shared by the classes (Lee et al. 2018, NeurIPS, "A simple
unified framework for detecting out-of-distribution samples and
adversarial attacks"). The covariance is the Ledoit-Wolf shrinkage estimate
of scikit-learn, stable with a few thousand sources in 256 dimensions.
Sources unlike anything the network was trained on (artefacts, blends,
objects of other kinds) land far from every class mean.
"""

import numpy as np

__all__ = ['OOD_SCORE', 'fit_class_gaussians', 'mahalanobis_score']

#: What ``highz_ood`` measures, written into the weights metadata.
OOD_SCORE = ('smallest squared Mahalanobis distance to the class means of the '
             'penultimate-layer embedding, covariance shared by the classes '
             '(Lee et al. 2018), Ledoit-Wolf shrinkage')


def fit_class_gaussians(embedding, labels, n_classes):
    """
    Class means and the shared precision matrix of an embedding.

    Parameters
    ----------
    embedding : array-like
        ``(N, D)`` embeddings of in-distribution sources.
    labels : array-like of int
        ``(N,)`` class of each source.
    n_classes : int
        Number of classes; each must have at least two sources.

    Returns
    -------
    means : `~numpy.ndarray`
        ``(n_classes, D)``.
    precision : `~numpy.ndarray`
        ``(D, D)``, the inverse of the shared covariance.

    Examples
    --------
    >>> import numpy as np
    >>> from astro_galclass.highz.ood import fit_class_gaussians, mahalanobis_score
    >>> rng = np.random.default_rng(0)
    >>> x = rng.normal(size=(400, 3)) + np.repeat([[0, 0, 0], [5, 0, 0]], 200, axis=0)
    >>> means, precision = fit_class_gaussians(x, np.repeat([0, 1], 200), 2)
    >>> score = mahalanobis_score([[0, 0, 0], [2.5, 8, 0]], means, precision)
    >>> bool(score[0] < 1 < 30 < score[1])
    True
    """
    from sklearn.covariance import LedoitWolf

    x = np.asarray(embedding, float)
    labels = np.asarray(labels, int)
    if x.ndim != 2 or labels.shape != (len(x),):
        msg = (f'embedding must be (N, D) and labels (N,), got shapes {x.shape} and '
               f'{labels.shape}')
        raise ValueError(msg)
    counts = np.bincount(labels, minlength=n_classes)
    if counts.min() < 2:
        msg = f'every class needs at least two sources to fit; counts per class {counts}'
        raise ValueError(msg)
    means = np.stack([x[labels == c].mean(axis=0) for c in range(n_classes)])
    centred = x - means[labels]
    precision = LedoitWolf(assume_centered=True).fit(centred).precision_
    return means, precision


def mahalanobis_score(embedding, means, precision):
    """
    Smallest squared Mahalanobis distance of each row to the class means.

    Parameters
    ----------
    embedding : array-like
        ``(N, D)``.
    means : array-like
        ``(n_classes, D)``.
    precision : array-like
        ``(D, D)``.

    Returns
    -------
    score : `~numpy.ndarray`
        ``(N,)``; larger is less like the training data.
    """
    x = np.asarray(embedding, float)
    means = np.asarray(means, float)
    precision = np.asarray(precision, float)
    diff = x[:, None, :] - means[None, :, :]                  # (N, C, D)
    d2 = np.einsum('ncd,de,nce->nc', diff, precision, diff)
    return d2.min(axis=1) if len(x) else np.zeros(0)
