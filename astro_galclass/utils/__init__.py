# Licensed under a 3-clause BSD style license - see LICENSE.rst
"""Helpers shared by the classifiers (private modules)."""
