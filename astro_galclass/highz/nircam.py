# Licensed under a 3-clause BSD style license - see LICENSE.rst
"""
Deprecated: the NIRCam facts live in `astro_galclass.nircam`.

Importing a name from here still works for one release, with an
`~astropy.utils.exceptions.AstropyDeprecationWarning`.
"""

from astro_galclass.utils._deprecation import moved_names

__all__ = []

__getattr__ = moved_names('astro_galclass.highz.nircam', dict.fromkeys(
    ('DEFAULT_PIXEL_SCALE', 'LONG_WAVE_BANDS', 'NATIVE_PIXEL_SCALE', 'NIRCAM_BANDS',
     'PSF_FWHM', 'SHORT_WAVE_BANDS'), 'astro_galclass.nircam'))
