# Licensed under a 3-clause BSD style license - see LICENSE.rst
"""
What the high-redshift selection selects, and how a selection is scored.

The classes and their order are those of the high-z classifier's outputs;
the boundary is z = 4 (the Lyman break at 0.6 micron, blueward of F090W
above it, so that NIRCam alone sees only the UV continuum and the break).
"""

import numpy as np

__all__ = ['HIGHZ_CLASSES', 'Z_BOUNDARY', 'selection_metrics']

#: Class names, in the order of the high-z classifier's outputs.
HIGHZ_CLASSES = ('low_z', 'high_z', 'brown_dwarf')

#: Redshift separating the ``low_z`` and ``high_z`` classes (z >= 4 is high-z).
Z_BOUNDARY = 4.0


def selection_metrics(y_true, y_pred, *, high_z=1):
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

    Returns
    -------
    metrics : dict
        ``accuracy``, ``highz_completeness``, ``highz_contamination`` (floats),
        ``n_true`` and ``n_selected`` (ints).

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
    return {
        'accuracy': float(np.mean(y_true == y_pred)) if len(y_true) else float('nan'),
        'highz_completeness': (float(np.sum(true & selected) / n_true) if n_true
                               else float('nan')),
        'highz_contamination': (float(np.sum(selected & ~true) / n_selected) if n_selected
                                else float('nan')),
        'n_true': n_true,
        'n_selected': n_selected,
    }
