# Licensed under a 3-clause BSD style license - see LICENSE.rst
"""Simulated JWST/NIRCam data for tests, examples and benchmarks."""

from .toy import *  # noqa: F403
