# Licensed under a 3-clause BSD style license - see LICENSE.rst
"""
astro_galclass: machine-learning classification of galaxies for Astropy users.

Importing the package loads no weights and touches no device: classifiers
choose their device when they are created.
"""

try:
    from ._version import version as __version__
except ImportError:  # pragma: no cover - not installed from a git checkout
    __version__ = '0.0.0'

from .highz import HighZClassifier

__all__ = ['HighZClassifier', '__version__']
