# Licensed under a 3-clause BSD style license - see LICENSE.rst
"""The photometric physics of the simulator against published numbers."""

import numpy as np
import pytest

from astro_galclass.nircam import NIRCAM_BANDS
from astro_galclass.simulate.sed import (
    TEMPLATE_NAMES,
    BrownDwarfColours,
    band_weights,
    calzetti_k,
    igm_transmission,
    load_template,
    uv_slope,
)

WAVE = np.geomspace(6000.0, 52000.0, 3000)


def test_filters_are_the_real_nircam_curves():
    weights = band_weights(WAVE)
    assert weights.shape == (3000, 7)
    np.testing.assert_allclose(weights.sum(axis=0), 1)
    # pivot-like mean wavelengths of the seven bands (JDox: 0.90 ... 4.40 um)
    mean = np.exp(np.log(WAVE) @ weights) / 1e4
    np.testing.assert_allclose(mean, [0.90, 1.15, 1.50, 1.99, 2.76, 3.56, 4.40],
                               atol=0.03)
    # not top hats: the F444W curve rises over several hundred Angstrom
    f444 = weights[:, 6] / weights[:, 6].max()
    rising = WAVE[(f444 > 0.1) & (f444 < 0.9) & (WAVE < 44000)]
    assert np.ptp(rising) > 300


def test_calzetti_law():
    assert calzetti_k(5500.0) == pytest.approx(4.05, abs=0.01)      # k(V) = R_V
    assert calzetti_k(1500.0) == pytest.approx(10.33, abs=0.05)      # Calzetti+00 eq. 4
    k = calzetti_k(np.geomspace(900, 50000, 200))
    assert np.all(np.diff(k) <= 1e-12)                               # monotonic
    assert k.min() >= 0


@pytest.mark.parametrize(('band', 'z_half'), [(0, 6.45), (1, 8.45), (2, 11.35)])
def test_lyman_break_drops_out_where_published(band, z_half):
    # flat f_nu source: the band keeps half its flux at the tabulated redshift
    # (science notes, Madau and Inoue agree to 0.05 in z); the real filter
    # edges shift it by a little
    weights = band_weights(WAVE)[:, band]
    z = np.linspace(z_half - 1.5, z_half + 1.5, 121)
    kept = np.array([igm_transmission(WAVE, zz) @ weights for zz in z])
    z_found = np.interp(0.5, kept[::-1], z[::-1])
    assert z_found == pytest.approx(z_half, abs=0.25)


def test_forest_transmission_at_z5():
    # mean transmission at 1050-1170 A rest is 0.28 at z = 5 (Inoue); Madau
    # 1995 is similar
    wave = np.linspace(1050, 1170, 50) * 6
    assert igm_transmission(wave, 5.0).mean() == pytest.approx(0.28, abs=0.12)


def test_templates_and_uv_slopes():
    assert len(TEMPLATE_NAMES) == 14
    wave, fnu = load_template('erb2010')
    assert np.interp(1500, wave, fnu) == pytest.approx(1.0)
    assert -2.9 < uv_slope(wave, fnu) < -2.0                         # young, blue LBG
    wave, fnu = load_template('post_starburst')
    # a Balmer/4000 A break: much brighter red-ward
    assert np.interp(4500, wave, fnu) > 3 * np.interp(3500, wave, fnu)
    with pytest.raises(ValueError, match='unknown template'):
        load_template('nope')


def test_brown_dwarf_grids():
    bd = BrownDwarfColours()
    assert set(bd.grid) == {'sonora_bobcat', 'lowz', 'sonora_cholla'}
    assert bd.colours.shape == (len(bd), 7)
    np.testing.assert_array_equal(bd.colours[:, NIRCAM_BANDS.index('F444W')], 0)
    # Sonora Bobcat, 500 K, log g = 5, [M/H] = 0: F277W - F444W = 5.33 and
    # F115W - F277W = -2.68 (science notes, from the same grid)
    sel = (bd.grid == 'sonora_bobcat') & (bd.teff == 500)
    c = bd.colours[sel]
    i115, i277 = NIRCAM_BANDS.index('F115W'), NIRCAM_BANDS.index('F277W')
    assert np.any(np.isclose(c[:, i277], 5.33, atol=0.02)
                  & np.isclose(c[:, i115] - c[:, i277], -2.68, atol=0.02))
