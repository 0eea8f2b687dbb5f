# Licensed under a 3-clause BSD style license - see LICENSE.rst
"""
Deprecated: survey depths and aperture noise live in `astro_galclass.nircam`.

Importing a name from here still works for one release, with an
`~astropy.utils.exceptions.AstropyDeprecationWarning`.
"""

from astro_galclass.utils._deprecation import moved_names

__all__ = []

__getattr__ = moved_names('astro_galclass.simulate.surveys', dict.fromkeys(
    ('APERTURE_RADIUS', 'DEPTH_PRESETS', 'aperture_noise', 'drizzle_kernel_sigma',
     'resolve_depths'), 'astro_galclass.nircam'))
