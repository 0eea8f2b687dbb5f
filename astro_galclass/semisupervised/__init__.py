# Licensed under a 3-clause BSD style license - see LICENSE.rst
"""
Semi-supervised high-z selection: HDBSCAN clusters plus a Random Forest.
"""

from .benchmark import *  # noqa: F403
from .classifier import *  # noqa: F403
from .features import *  # noqa: F403
