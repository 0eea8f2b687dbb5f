# Licensed under a 3-clause BSD style license - see LICENSE.rst
"""Simulated JWST/NIRCam data: a physical simulator, and a toy for tests."""

from .artifacts import *  # noqa: F403
from .morphology_simulator import *  # noqa: F403
from .nircam_simulator import *  # noqa: F403
from .toy import *  # noqa: F403
