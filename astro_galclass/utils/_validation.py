# Licensed under a 3-clause BSD style license - see LICENSE.rst
"""Validation of keyword options, with messages that say what was expected."""

import math

import numpy as np

__all__ = ['check_positive_float', 'check_positive_int']


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
