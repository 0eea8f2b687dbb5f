# Licensed under a 3-clause BSD style license - see LICENSE.rst
"""Simulated JWST/NIRCam data: a physical simulator, and a toy for tests."""

from astro_galclass.utils._deprecation import moved_names as _moved_names

from .artifacts import *  # noqa: F403
from .morphology_simulator import *  # noqa: F403
from .nircam_simulator import *  # noqa: F403
from .toy import *  # noqa: F403

__getattr__ = _moved_names('astro_galclass.simulate', {
    'CLASSES': ('astro_galclass.nircam', 'HIGHZ_CLASSES')})
