# Licensed under a 3-clause BSD style license - see LICENSE.rst
"""Validation of keyword options, with messages that say what was expected."""

import math

import numpy as np

__all__ = ['check_class_labels', 'check_positive_float', 'check_positive_int']


def check_positive_int(name, value, minimum=1):
    """``value`` as an int, or a clear error if it is not an int >= ``minimum``."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        msg = f'{name} must be an int, got {type(value).__name__} ({value!r})'
        raise TypeError(msg)
    if value < minimum:
        msg = f'{name} must be >= {minimum}, got {value}'
        raise ValueError(msg)
    return int(value)


def check_positive_float(name, value):
    """``value`` as a float, or a clear error if it is not finite and > 0."""
    try:
        value = float(value)
    except (TypeError, ValueError):
        msg = f'{name} must be a number, got {type(value).__name__} ({value!r})'
        raise TypeError(msg) from None
    if not value > 0 or not math.isfinite(value):
        msg = f'{name} must be a finite positive number, got {value}'
        raise ValueError(msg)
    return value


def check_class_labels(labels, classes, n, *, name='labels'):
    """
    Class labels as int64 indices into ``classes``: the one label check.

    Every entry point that takes labels (training, fine-tuning, fitting the
    out-of-distribution statistics, the command line) uses it, so that all
    of them accept the same things: one label per item, each a class index
    (int, ``0 <= i < len(classes)``) or a class name from ``classes``.

    Parameters
    ----------
    labels : array-like
        ``(n,)`` class indices or class names.
    classes : sequence of str
        The class names, in the order of the indices.
    n : int
        The number of items labelled.
    name : str, optional
        What the labels are called in messages.

    Returns
    -------
    indices : `~numpy.ndarray`
        ``(n,)`` int64.
    """
    classes = tuple(classes)
    labels = np.asarray(labels)
    if labels.shape != (n,):
        msg = (f'{name} must be one class index or class name per item ({n}), got shape '
               f'{labels.shape}')
        raise ValueError(msg)
    if labels.dtype.kind in 'USO':
        values = [str(v) for v in labels]
        unknown = sorted(set(values) - set(classes))
        if unknown:
            msg = f'{name}: unknown class names {unknown[:5]}; the classes are {classes}'
            raise ValueError(msg)
        return np.array([classes.index(v) for v in values], np.int64)
    if labels.dtype.kind not in 'iu':
        msg = (f'{name} must be class indices (int) or class names (str), got dtype '
               f'{labels.dtype}')
        raise TypeError(msg)
    if labels.size and (labels.min() < 0 or labels.max() >= len(classes)):
        msg = (f'{name} must be class indices in [0, {len(classes) - 1}] (classes {classes}), '
               f'got values from {labels.min()} to {labels.max()}')
        raise ValueError(msg)
    return labels.astype(np.int64)
