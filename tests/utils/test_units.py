# Licensed under a 3-clause BSD style license - see LICENSE.rst
"""utils._units.pixel_scale_arcsec: one reading of a pixel scale for every module."""

import astropy.units as u
import numpy as np
import pytest

from astro_galclass.utils._units import pixel_scale_arcsec


def test_pixel_scale_in_any_angle_per_pixel():
    assert pixel_scale_arcsec(0.03 * u.arcsec / u.pix) == pytest.approx(0.03)
    assert pixel_scale_arcsec(30 * u.mas / u.pix) == pytest.approx(0.03)
    assert pixel_scale_arcsec(0.03 * u.arcsec) == pytest.approx(0.03)
    assert isinstance(pixel_scale_arcsec(np.float32(0.06) * u.arcsec / u.pix), float)


@pytest.mark.parametrize(('value', 'error', 'match'), [
    (0.03, TypeError, 'must be a Quantity'),
    (0.03 * u.m, ValueError, 'must be an angle per pixel'),
    (-0.03 * u.arcsec / u.pix, ValueError, 'must be a positive scalar'),
    ([0.03, 0.06] * u.arcsec / u.pix, ValueError, 'must be a positive scalar'),
])
def test_bad_pixel_scales(value, error, match):
    with pytest.raises(error, match=match):
        pixel_scale_arcsec(value)
