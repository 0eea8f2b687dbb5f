# Licensed under a 3-clause BSD style license - see LICENSE.rst
import astropy.units as u
import numpy as np

from astro_galclass.simulate import NIRCamSimulator, make_toy_field
from astro_galclass.simulate._field import FIELD_CENTER, footprint, paste_stamps


def test_paste_stamps_adds_overlaps_and_drops_what_falls_outside():
    rng = np.random.default_rng(0)
    image = rng.normal(size=(9, 11))
    stamps = rng.normal(size=(4, 5, 5))
    ox = np.array([-2, 3, 8, 3])
    oy = np.array([6, 2, -3, 2])
    expected = image.copy()
    for stamp, x0, y0 in zip(stamps, ox, oy, strict=True):
        for i in range(5):
            for j in range(5):
                if 0 <= y0 + i < 9 and 0 <= x0 + j < 11:
                    expected[y0 + i, x0 + j] += stamp[i, j]
    paste_stamps(image, stamps, ox, oy)
    np.testing.assert_allclose(image, expected, rtol=0, atol=1e-12)


def test_footprint_covers_most_of_the_array():
    mask = footprint((200, 300), np.random.default_rng(1))
    assert mask.shape == (200, 300)
    assert mask[100, 150]
    assert not mask[0, 0]
    assert 0.3 < mask.mean() < 0.9


def test_toy_and_physical_fields_share_the_field_centre():
    toy, _ = make_toy_field(n_sources=2, seed=0, field_size=4 * u.arcsec)
    sim = NIRCamSimulator(seed=0)
    images, _ = sim.make_field(n_sources=2, shape=(64, 64))
    for wcs in (toy['F090W'].wcs, images['F090W'].wcs, images['F444W'].wcs):
        np.testing.assert_allclose(wcs.wcs.crval, [FIELD_CENTER.ra.deg, FIELD_CENTER.dec.deg])
