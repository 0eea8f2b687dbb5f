# Licensed under a 3-clause BSD style license - see LICENSE.rst
"""
Training, calibration and evaluation of the package's classifiers.
"""

from astro_galclass.utils._deprecation import moved_names as _moved_names

from .augment import *  # noqa: F403
from .baselines import *  # noqa: F403
from .benchmark import *  # noqa: F403
from .calibration import *  # noqa: F403
from .data import *  # noqa: F403
from .evaluate import *  # noqa: F403
from .highz import *  # noqa: F403
from .morphology import *  # noqa: F403
from .trainer import *  # noqa: F403

__getattr__ = _moved_names('astro_galclass.training',
                           {'aperture_fluxes': 'astro_galclass.nircam'})
