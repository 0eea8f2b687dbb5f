# Licensed under a 3-clause BSD style license - see LICENSE.rst
"""Warnings and exceptions of astro_galclass."""

from astropy.utils.exceptions import AstropyUserWarning

__all__ = ['AstroGalclassUserWarning']


class AstroGalclassUserWarning(AstropyUserWarning):
    """Warning about the use of astro_galclass (input ignored, data assumed ...)."""
