# Licensed under a 3-clause BSD style license - see LICENSE.rst
"""
The output columns of a `~astro_galclass.HighZClassifier`.

``p_<class>`` (and ``p_<class>_std``), ``highz_class``, ``highz_ood``,
``highz_flags`` and, for networks with a band-availability input,
``highz_bands_used``: the same columns from `~astro_galclass.HighZClassifier.classify`
and from every way of classifying a catalog.
"""

import numpy as np
from astropy.table import Column, MaskedColumn

from astro_galclass.highz.flags import UNCLASSIFIED, HighZFlag
from astro_galclass.utils._tables import class_column

__all__ = ['result_columns']


def result_columns(classifier, probs, flags, ood=None, std=None, used=None):
    """
    The result columns of classified sources.

    Rows without probabilities are masked; one whose probabilities came out
    NaN from finite inputs gets ``IMPLAUSIBLE_FLUX`` (never a masked row
    without a flag saying why), and one whose ``highz_ood`` is above the
    classifier's `ood_threshold` gets ``OUT_OF_DISTRIBUTION``.

    Parameters
    ----------
    classifier : `~astro_galclass.HighZClassifier`
        Its `classes`, `bands` and `ood_threshold` are used.
    probs : `~numpy.ndarray`
        ``(N, n_classes)``, NaN rows where not classified.
    flags : `~numpy.ndarray`
        ``(N,)`` `~astro_galclass.highz.HighZFlag` bits (not modified).
    ood : `~numpy.ndarray`, optional
        ``(N,)`` ``highz_ood`` (NaN: no score).
    std : `~numpy.ndarray`, optional
        ``(N, n_classes)`` Monte Carlo dropout standard deviations.
    used : `~numpy.ndarray`, optional
        ``(N, n_bands)`` bool: bands each source was classified from.

    Returns
    -------
    columns : dict
        Column name -> column, in the order of the output table.
    """
    classes, bands = classifier.classes, classifier.bands
    unclassified = np.isnan(probs).any(axis=1)
    flags = flags.astype(np.int32)
    # never a masked row without a flag saying why: probabilities that
    # came out NaN from finite inputs mean values the network cannot use
    silent = unclassified & ((flags & UNCLASSIFIED) == 0)
    flags[silent] |= HighZFlag.IMPLAUSIBLE_FLUX
    columns = {}
    for i, name in enumerate(classes):
        columns[f'p_{name}'] = MaskedColumn(
            np.where(unclassified, 0.0, probs[:, i]), mask=unclassified,
            dtype=np.float64, description=f'probability of class {name}')
    if std is not None:
        for i, name in enumerate(classes):
            columns[f'p_{name}_std'] = MaskedColumn(
                np.where(unclassified, 0.0, std[:, i]), mask=unclassified,
                dtype=np.float64,
                description=f'Monte Carlo dropout standard deviation of p_{name}')
    best = np.argmax(np.nan_to_num(probs, nan=-1.0), axis=1) \
        if len(probs) else np.zeros(0, int)
    labels = np.array(classes)[best] if len(probs) else np.zeros(0, dtype='U1')
    columns['highz_class'] = class_column(labels, unclassified,
                                          description='most probable class')
    ood = np.full(len(probs), np.nan) if ood is None else ood
    no_score = ~np.isfinite(ood)
    columns['highz_ood'] = MaskedColumn(
        np.where(no_score, 0.0, ood), mask=no_score, dtype=np.float64,
        description='out-of-distribution score (larger: less like the training data)')
    threshold = classifier.ood_threshold
    if threshold is not None:
        flags[~no_score & (ood > threshold)] |= HighZFlag.OUT_OF_DISTRIBUTION
    columns['highz_flags'] = Column(
        flags, description='astro_galclass.highz.HighZFlag bits')
    if used is not None:
        bits = (used.astype(np.int64) << np.arange(len(bands))).sum(axis=1)
        bits[unclassified] = 0
        columns['highz_bands_used'] = Column(
            bits.astype(np.int16),
            description=f'bands used, bit i for band i of {list(bands)}')
    return columns
