# Licensed under a 3-clause BSD style license - see LICENSE.rst
"""The field-wide zero-point check (`zero_point_offsets`)."""

import astropy.units as u
import numpy as np
import pytest

from astro_galclass.highz import zero_point_offsets
from astro_galclass.nircam import NIRCAM_BANDS
from astro_galclass.simulate import NIRCamSimulator

# The docstring example's settings, so that the simulated reference is
# drawn once per test process.
N_REFERENCE = 2000


@pytest.fixture(scope='module')
def field():
    """1,500 sky-population sources (seed 3, not the reference's seed 0)."""
    cutouts, _ = NIRCamSimulator(seed=3, population='sky').sample(1500)
    cutouts.setflags(write=False)
    return cutouts


def dimmed(cutouts, band, mag):
    out = cutouts.copy()
    out[:, NIRCAM_BANDS.index(band)] *= 10 ** (-0.4 * mag)
    return out


def check(table, wrong=None, mag=0.5):
    offset = table['offset'].to_value(u.mag)
    error = table['offset_err'].to_value(u.mag)
    for band, o, e, suspect in zip(table['band'], offset, error, table['suspect'],
                                   strict=True):
        if band == wrong:
            assert abs(o - mag) < 0.1, (band, o)
            assert suspect
        else:
            assert abs(o) < max(0.1, 3 * e), (band, o, e)
            assert not suspect, band


def test_a_right_field_has_no_suspect_band(field):
    table = zero_point_offsets(field, n_reference=N_REFERENCE)
    check(table)
    assert list(table['band']) == list(NIRCAM_BANDS)
    assert np.all(table['offset_err'] > 0 * u.mag)
    assert table.meta['reference_band'] == 'F444W'
    assert table.meta['n_reference_used'] >= 50


@pytest.mark.parametrize('band', ['F150W', 'F444W'])
def test_a_band_half_a_magnitude_too_faint_is_found(field, band):
    # F444W is the reference band: its error shows against all the others.
    before = field.copy()
    check(zero_point_offsets(dimmed(field, band, 0.5), n_reference=N_REFERENCE), band)
    assert np.array_equal(field, before)


def test_a_brighter_band_and_a_pixel_area_error(field):
    # A long-wave mosaic converted from MJy/sr with the short-wave pixel
    # area is (0.063 / 0.031)**2 = 4.1 times too faint: 1.54 mag.
    check(zero_point_offsets(dimmed(field, 'F090W', -0.5), n_reference=N_REFERENCE),
          'F090W', -0.5)
    table = zero_point_offsets(dimmed(field, 'F356W', 2.5 * np.log10((0.063 / 0.031) ** 2)),
                               n_reference=N_REFERENCE)
    check(table, 'F356W', 1.54)


def test_a_band_subset_and_missing_data(field):
    bands = ('F115W', 'F150W', 'F277W', 'F444W')          # COSMOS-Web
    index = [NIRCAM_BANDS.index(b) for b in bands]
    values = field.to_value(u.nJy)[:, index].copy()
    values[::3, 0] = np.nan                               # F115W missing for a third
    table = zero_point_offsets(values, bands=bands, n_reference=N_REFERENCE)
    check(table)
    n = dict(zip(table['band'], table['n_sources'], strict=True))
    assert n['F115W'] < 0.75 * n['F150W']
    values[:, 1] *= 10 ** (-0.4 * 0.5)
    check(zero_point_offsets(values, bands=bands, n_reference=N_REFERENCE), 'F150W')
    # a band without any data: NaN offset, not suspect, no warning
    values[:, 0] = np.nan
    table = zero_point_offsets(values, bands=bands, n_reference=N_REFERENCE)
    assert table['n_sources'][0] == 0 and np.isnan(table['offset'][0])
    assert not table['suspect'][0] and table['suspect'][1]


def test_bad_input_gets_clear_errors(field):
    with pytest.raises(ValueError, match='at least 50 sources with F444W S/N >= 20'):
        zero_point_offsets(field[:20], n_reference=N_REFERENCE)
    with pytest.raises(ValueError, match=r"unknown band.*'F410M'.*F090W"):
        zero_point_offsets(field[:, :3], bands=('F150W', 'F200W', 'F410M'))
    with pytest.raises(ValueError, match='blue to red'):
        zero_point_offsets(field[:, :3], bands=('F200W', 'F150W', 'F115W'))
    with pytest.raises(ValueError, match='at least three'):
        zero_point_offsets(field[:, :2], bands=('F150W', 'F444W'))
    with pytest.raises(ValueError, match=r'shape \(N, 7, size, size\)'):
        zero_point_offsets(field[:, :6])
    with pytest.raises(ValueError, match='must be in nJy'):
        zero_point_offsets(field.value * u.mag)
    with pytest.raises(ValueError, match='pixel_scale must be an angle per pixel'):
        zero_point_offsets(field, pixel_scale=0.03 * u.m)
    with pytest.raises(ValueError, match='tolerance must be a positive number'):
        zero_point_offsets(field, tolerance=-1)
    with pytest.raises(ValueError, match='n_reference must be an int >= 50'):
        zero_point_offsets(field, n_reference=10)
    with pytest.raises(ValueError, match='all seven wide bands'):
        zero_point_offsets(field, depth=dict.fromkeys(NIRCAM_BANDS[1:], 29.0))
