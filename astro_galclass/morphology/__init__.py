# Licensed under a 3-clause BSD style license - see LICENSE.rst
"""
Galaxy morphology: Galaxy Zoo 2 vote fractions that respect the decision tree.
"""

from .tree import *  # noqa: F403
