# Licensed under a 3-clause BSD style license - see LICENSE.rst
"""
Semi-supervised high-z selection: HDBSCAN clusters plus a Random Forest.
"""

from astro_galclass.utils._deprecation import moved_names as _moved_names

from .benchmark import *  # noqa: F403
from .classifier import *  # noqa: F403
from .features import *  # noqa: F403

__getattr__ = _moved_names('astro_galclass.semisupervised',
                           {'selection_metrics': 'astro_galclass.nircam'})
