# Licensed under a 3-clause BSD style license - see LICENSE.rst
"""z >= 4 galaxies as a deep field has them (issue 13, part 1 begun)."""

import numpy as np
import pytest

from astro_galclass.simulate import NIRCamSimulator
from astro_galclass.simulate.population import (
    UV_LUMINOSITY_FUNCTION,
    draw_high_z,
    uv_luminosity_function,
)


def test_luminosity_function_matches_bouwens21_at_its_redshifts():
    # Bouwens et al. 2021, AJ 162, 47: at M = M*, phi = 0.4 ln10 phi* / e
    table = UV_LUMINOSITY_FUNCTION
    for z, phi, m_star, alpha in zip(table['z'], table['phi_star'], table['m_star'],
                                     table['alpha'], strict=True):
        assert uv_luminosity_function(m_star, z) == pytest.approx(
            0.4 * np.log(10) * phi / np.e)
        # the faint-end slope: one magnitude fainter, far below M*
        ratio = uv_luminosity_function(m_star + 5, z) / uv_luminosity_function(m_star + 4, z)
        assert ratio == pytest.approx(10 ** (-0.4 * (alpha + 1)), rel=0.02)
    # fewer galaxies at every magnitude as z grows past 4, also extrapolated
    zs = [4, 6, 8, 10, 12, 14]
    phis = [uv_luminosity_function(-20.0, z) for z in zs]
    assert all(np.diff(phis) < 0)


@pytest.mark.parametrize('m_limit', [28.0, 30.5])
def test_a_flux_limited_field_is_dominated_by_z_4_to_6(m_limit):
    # "on the sky z = 4-6 dominates the z >= 4 population (median about 5)"
    # and "z > 8 is rare" (issue 13; docs/science notes, citing the JADES
    # N(z) and the UV luminosity functions)
    z, muv = draw_high_z(20000, rng=np.random.default_rng(1), m_limit=m_limit)
    assert 4.5 < np.median(z) < 5.5
    assert np.mean(z < 6) > 0.7
    assert np.mean(z >= 8) < 0.06
    assert z.min() >= 4.0 and z.max() < 15.0
    # deeper fields reach fainter galaxies
    assert np.median(muv) > -20.0


def test_deeper_fields_reach_higher_redshifts():
    shallow, _ = draw_high_z(20000, rng=np.random.default_rng(2), m_limit=28.0)
    deep, _ = draw_high_z(20000, rng=np.random.default_rng(2), m_limit=30.5)
    assert np.mean(deep >= 8) > np.mean(shallow >= 8)


def test_simulator_sky_population():
    balanced = NIRCamSimulator(seed=3, class_fractions={'high_z': 1}).draw_sources(3000)
    sky = NIRCamSimulator(seed=3, class_fractions={'high_z': 1},
                          population='sky').draw_sources(3000)
    young_b = np.asarray(balanced['redshift'])[balanced['kind'] == 'young']
    young_s = np.asarray(sky['redshift'])[sky['kind'] == 'young']
    assert np.median(young_b) > 8.5 - 0.5        # uniform in 4-15
    assert 4.5 < np.median(young_s) < 5.5
    assert NIRCamSimulator(population='sky').settings()['population'] == 'sky'
    with pytest.raises(ValueError, match="population must be 'balanced' or 'sky'"):
        NIRCamSimulator(population='real')
    # the balanced population, that of the shipped models, is unchanged
    again = NIRCamSimulator(seed=3, class_fractions={'high_z': 1}).draw_sources(3000)
    np.testing.assert_array_equal(np.asarray(again['redshift']),
                                  np.asarray(balanced['redshift']))


def _near_ir_colours(population):
    truth = NIRCamSimulator(seed=5, class_fractions={'low_z': 1},
                            population=population).draw_sources(3000)
    z = np.asarray(truth['redshift'])
    star_forming = (z > 1) & (z < 3) & (np.asarray(truth['kind']) == 'ordinary')
    mag = {b: np.asarray(truth[f'mag_{b}'].value)[star_forming]
           for b in ('F090W', 'F115W', 'F150W', 'F444W')}
    return (np.median(mag['F090W'] - mag['F115W']), np.median(mag['F115W'] - mag['F150W']),
            np.median(mag['F150W'] - mag['F444W']))


def test_star_forming_low_z_galaxies_are_nearly_flat_in_f_nu():
    # galaxies at 1 < z < 3 near the detection limit are mostly star-forming
    # with nearly flat f_nu: colours of a few tenths of a magnitude across
    # F090W-F444W (Muzzin et al. 2013; Tomczak et al. 2014; the project's
    # science notes, section 6). The balanced population mixed any two of the
    # twelve FSPS templates by 1500 A flux, which made them 1.2-1.9 mag red
    # (issue 13); the sky population mixes star-forming templates by 5500 A
    # light.
    sky = _near_ir_colours('sky')
    assert all(abs(c) < 0.6 for c in sky), sky
    balanced = _near_ir_colours('balanced')
    assert all(c > 1.0 for c in balanced), balanced
