# Licensed under a 3-clause BSD style license - see LICENSE.rst
"""
The sky population against published statistics (issue 13, part 1).

Every test names the published number it pins and where it comes from;
``benchmarks/studies/population_statistics.rst`` says where each was read.
"""

import numpy as np
import pytest

from astro_galclass.simulate import NIRCamSimulator
from astro_galclass.simulate.population import (
    GALAXY_NUMBER_COUNTS,
    UV_LUMINOSITY_FUNCTION,
    _low_z_density,
    draw_count_magnitudes,
    draw_high_z,
    draw_low_z_redshifts,
    galaxy_counts,
    galaxy_surface_density,
    high_z_surface_density,
    uv_luminosity_function,
)
from astro_galclass.simulate.sed import NIRCAM_BANDS, line_band_response


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


# -- number counts -------------------------------------------------------------

def test_counts_reproduce_cosmos2020_and_its_faint_slope():
    table = GALAXY_NUMBER_COUNTS
    # Weaver et al. 2022 (COSMOS2020) table 2, K_s, per 0.5 mag per deg^2
    for mag, log_n in zip(table['mag'], table['log_n'], strict=True):
        assert galaxy_counts(mag) * 3600 * 0.5 == pytest.approx(10 ** log_n)
    # faintward the slope of their K = 24.25-25.75 counts, 0.18 dex/mag
    assert np.log10(galaxy_counts(29.0) / galaxy_counts(28.0)) == pytest.approx(0.18)


@pytest.mark.parametrize(('m_limit', 'published', 'tolerance', 'source'), [
    # HST/NICMOS H-band counts, 4e5 deg^-2 = 111 arcmin^-2 to H = 24.75
    (24.75, 111.0, 0.25, 'Yan et al. 1998'),
    # CEERS DR1.0: > 80,000 galaxies over ~100 arcmin^2, F444W 5 sigma ~ 29.0
    (29.0, 800.0, 0.25, 'CEERS DR1.0, arXiv:2510.08743'),
    # JADES DR5: ~500,000 sources over ~469 arcmin^2, deep and medium tiers
    # (5 sigma ~ 29.5-30.5)
    (29.5, 1070.0, 0.25, 'JADES DR5, arXiv:2605.21599'),
])
def test_counts_match_published_surface_densities(m_limit, published, tolerance, source):
    assert galaxy_surface_density(m_limit) == pytest.approx(published, rel=tolerance), source


def test_count_magnitudes_follow_the_counts():
    mag = draw_count_magnitudes(200000, rng=np.random.default_rng(0), m_range=(23.0, 30.0))
    assert mag.min() >= 23.0 and mag.max() <= 30.0
    hist, _ = np.histogram(mag, bins=[26, 27, 28, 29])
    slope = np.diff(np.log10(hist))
    np.testing.assert_allclose(slope, 0.18, atol=0.02)


# -- redshifts and the z >= 4 share ---------------------------------------------

def test_high_z_densities_match_deep_field_candidates():
    # HUDF B-, V- and i-dropouts (z ~ 4, 5, 6): 504 + 204 + 54 over 11 arcmin^2
    # to z850 ~ 29 (Beckwith et al. 2006), a lower limit (incompleteness)
    hudf = (504 + 204 + 54) / 11.0
    model = high_z_surface_density(29.0, z_range=(3.5, 6.5))
    assert hudf < model < 2 * hudf
    # JADES DR5: 2081 z_phot > 8 candidates over 469 arcmin^2 (arXiv:2601.15959)
    jades = 2081 / 469
    model = high_z_surface_density(29.75, z_range=(8.0, 15.0))
    assert jades / 2 < model < 2 * jades
    # ... which is ~0.4 per cent of the ~500,000 JADES sources
    share = model / galaxy_surface_density(29.75)
    assert 0.002 < share < 0.008


def test_z_ge_4_share_rises_with_depth():
    # about one galaxy in ten at z >= 4 at m ~ 29 (issue 13's real field);
    # the faint counts are increasingly high-z
    shares = [high_z_surface_density(m) / galaxy_surface_density(m) for m in (28, 29, 30.5)]
    assert all(np.diff(shares) > 0)
    assert 0.06 < shares[1] < 0.15


@pytest.mark.parametrize('m_limit', [28.0, 30.6])
def test_low_z_density_runs_on_across_z_4(m_limit):
    # the same luminosity functions on both sides of the boundary: no step
    z, per_cell = _low_z_density(m_limit)
    below = per_cell[-1] / (z[1] - z[0])
    above = high_z_surface_density(m_limit, z_range=(4.0, 4.05)) / 0.05
    assert below == pytest.approx(above, rel=0.15)
    drawn = draw_low_z_redshifts(20000, rng=np.random.default_rng(1), m_limit=m_limit)
    assert drawn.min() >= 0.05 and drawn.max() < 4.0
    assert 1.0 < np.median(drawn) < 2.2
    interlopers = draw_low_z_redshifts(2000, rng=np.random.default_rng(1), m_limit=m_limit,
                                       z_min=1.0)
    assert interlopers.min() >= 1.0


# -- brown dwarfs ---------------------------------------------------------------

def test_brown_dwarfs_at_deep_field_densities():
    # UNCOVER T dwarfs, 0.094 arcmin^-2 (arXiv:2602.01894); JADES, 41 T/Y
    # candidates over ~469 arcmin^2 of its deep and medium tiers (Hainline
    # et al. 2026), most of that area at the medium depth
    medium = NIRCamSimulator(depth='jades-medium').sky_class_fractions()['density']
    assert medium['brown_dwarf'] == pytest.approx(0.094, rel=0.1)
    assert medium['brown_dwarf'] == pytest.approx(41 / 469, rel=0.15)
    # deeper fields see further along the line of sight
    deep = NIRCamSimulator(depth='jades-deep').sky_class_fractions()['density']
    shallow = NIRCamSimulator(depth='cosmos-web').sky_class_fractions()['density']
    assert shallow['brown_dwarf'] < medium['brown_dwarf'] < deep['brown_dwarf'] < 0.15


def test_brown_dwarfs_at_their_distances():
    # Hainline et al. (2026): JADES's T dwarfs lie out to 5-6 kpc, its Y
    # dwarfs out to 1-2 kpc; Hainline et al. (2024, ApJ 964, 66): candidates
    # at 0.1-4.2 kpc. Before the line-of-sight model, a J-band magnitude
    # drawn alike for every temperature put the 250-400 K dwarfs at a median
    # F444W of 17 (benchmarks/studies/population_check.py on the old code).
    from astro_galclass.simulate.population import brown_dwarf_absolute_f444w

    sim = NIRCamSimulator(depth='jades-medium', seed=2, population='sky',
                          class_fractions={'brown_dwarf': 1})
    dwarfs = sim.draw_sources(2000)
    m444 = np.asarray(dwarfs['mag_F444W'].value)
    teff = np.asarray(dwarfs['teff'])
    assert np.all(m444 <= sim.depths['F444W'] + 0.3)
    assert np.percentile(m444, 1) > 22
    distance = 10 ** ((m444 - brown_dwarf_absolute_f444w(teff)) / 5 + 1)      # pc
    t_dwarfs, y_dwarfs = distance[teff >= 500], distance[teff < 500]
    assert 4000 < np.percentile(t_dwarfs, 95) < 7000
    assert 1000 < np.percentile(y_dwarfs, 95) < 3000
    assert np.percentile(distance, 5) > 100
    # the absolute magnitudes: Y0 (450 K) M_W2 = 14.65 Vega (Tinney et al. 2014)
    assert brown_dwarf_absolute_f444w(450) == pytest.approx(14.65 + 3.339)


def test_brown_dwarf_temperature_mix():
    # Hainline et al. (2026): of JADES's 41 candidates, 10 have fits at Y
    # dwarf temperatures (Clopper-Pearson 95% interval 0.12-0.40). With a
    # third of the dwarfs per model family, Y dwarfs were 4.8% of the
    # simulated ones at JADES-medium depth (benchmarks/studies/
    # population_check.py at ccf16af); from the space densities of
    # Kirkpatrick et al. (2021) per Teff, 16%.
    from scipy.stats import beta

    from astro_galclass.simulate.population import (
        BROWN_DWARF_SPACE_DENSITY,
        draw_brown_dwarf_teff,
    )

    low, high = beta.ppf(0.025, 10, 32), beta.ppf(0.975, 11, 31)
    sim = NIRCamSimulator(depth='jades-medium', seed=4, population='sky',
                          class_fractions={'brown_dwarf': 1})
    teff = np.asarray(sim.draw_sources(3000)['teff'])
    assert low < np.mean(teff < 500) < high
    assert not low < 0.048 < high
    # the volume's mix follows the table: the 1200-1350 K bin (1.95) holds
    # more dwarfs than the 1050-1200 K one (1.11), as the census's spike at
    # the L/T transition
    volume = draw_brown_dwarf_teff(40000, rng=np.random.default_rng(0))
    edges, density = (np.asarray(BROWN_DWARF_SPACE_DENSITY[k]) for k in
                      ('teff_edges', 'density'))
    counts = np.histogram(volume, bins=np.clip(edges, 250, 1600))[0]
    expected = density * np.diff(np.clip(edges, 250, 1600))
    np.testing.assert_allclose(counts / counts.sum(), expected / expected.sum(), atol=0.01)
    assert volume.min() >= 250 and volume.max() <= 1600
    with pytest.raises(ValueError, match='teff_range must be an increasing pair'):
        draw_brown_dwarf_teff(3, rng=np.random.default_rng(0), teff_range=(900, 800))


# -- the class mix ----------------------------------------------------------------

def test_sky_population_draws_the_sky_class_mix():
    sim = NIRCamSimulator(depth='jades-deep', population='sky', seed=1)
    fractions = sim.sky_class_fractions()
    assert sim.class_fractions == pytest.approx(
        {c: fractions[c] for c in ('low_z', 'high_z', 'brown_dwarf')})
    assert sum(sim.class_fractions.values()) == pytest.approx(1.0)
    # at this depth about a quarter of the sources are at z >= 4, brown
    # dwarfs one in ~10^4
    assert 0.15 < fractions['high_z'] < 0.35
    assert 1e-5 < fractions['brown_dwarf'] < 1e-3
    truth = sim.draw_sources(4000)
    share = np.mean(truth['class'] == 'high_z')
    assert share == pytest.approx(fractions['high_z'], abs=0.03)
    # explicit class fractions still win (training mixes)
    assert NIRCamSimulator(population='sky', class_fractions={'high_z': 1}).class_fractions[
        'high_z'] == 1.0
    # a shallower field has fewer z >= 4 galaxies per source
    assert NIRCamSimulator(depth='ceers').sky_class_fractions()['high_z'] < fractions['high_z']


# -- UV slopes and emission lines -------------------------------------------------

@pytest.fixture(scope='module')
def young_sky():
    truth = NIRCamSimulator(seed=4, population='sky',
                            class_fractions={'high_z': 1}).draw_sources(8000)
    return truth[truth['kind'] == 'young']


@pytest.mark.parametrize(('z', 'published'), [(4, -2.03), (5, -2.14), (6, -2.24), (7, -2.30)])
def test_uv_slopes_at_m_uv_minus_18(young_sky, z, published):
    # Bouwens et al. 2014: mean beta at M_UV = -18 of -2.03, -2.14, -2.24 and
    # -2.30 at z ~ 4, 5, 6 and 7 (+-0.03-0.18 random, 0.06-0.13 systematic)
    sel = ((np.abs(np.asarray(young_sky['redshift']) - z) < 0.5)
           & (np.abs(young_sky['muv'].value + 18) < 0.5))
    assert sel.sum() > 50
    assert np.median(np.asarray(young_sky['beta'])[sel]) == pytest.approx(published, abs=0.15)


def _colour(truth, a, b, lo, hi):
    z = np.asarray(truth['redshift'])
    sel = (z >= lo) & (z < hi)
    return np.median(truth[f'mag_{a}'].value[sel] - truth[f'mag_{b}'].value[sel])


def test_emission_lines_redden_the_long_wave_colours(young_sky):
    # [OIII]+Hbeta in F444W at z ~ 7-8: a red F356W-F444W from lines of
    # median EW 780 A (Endsley et al. 2023)
    sky = _colour(young_sky, 'F356W', 'F444W', 6.9, 8.0)
    assert sky > 0.3
    balanced = NIRCamSimulator(seed=4, class_fractions={'high_z': 1}).draw_sources(4000)
    balanced = balanced[balanced['kind'] == 'young']
    assert sky > _colour(balanced, 'F356W', 'F444W', 6.9, 8.0) + 0.1
    # Halpha in [4.5]: [3.6]-[4.5] = 0.31-0.35 at z = 5.1-5.4 (Rasappu et
    # al. 2016), ~ F356W-F444W
    assert _colour(young_sky, 'F356W', 'F444W', 5.1, 5.4) == pytest.approx(0.33, abs=0.25)
    # JADES z >~ 9: median F356W-F444W 0.39 (Topping et al. 2024)
    assert _colour(young_sky, 'F356W', 'F444W', 9.0, 12.0) == pytest.approx(0.39, abs=0.3)


def test_line_response_integrates_to_the_band_average():
    # a "continuum of lines", one per Angstrom of unit equivalent width, is
    # the continuum itself: the response integrates to 1 over each band
    wave = np.linspace(5000.0, 60000.0, 200001)
    response = line_band_response(wave, NIRCAM_BANDS)
    np.testing.assert_allclose(np.trapezoid(response, wave, axis=0), 1.0, rtol=2e-3)


# -- red tails at 1 < z < 4 and line strengths at z >= 4 (issue 31) ---------------

@pytest.fixture(scope='module')
def low_z_sky():
    truth = NIRCamSimulator(depth='jades-deep', seed=5, population='sky',
                            class_fractions={'low_z': 1}).draw_sources(6000)
    z = np.asarray(truth['redshift'])
    return truth[(z > 1) & (z < 4)]


def test_red_kinds_at_their_published_fractions(low_z_sky):
    from astro_galclass.simulate.population_spectra import LOW_Z_RED_KINDS, sky_low_z_kind_shares

    # Tomczak et al. 2014 (ApJ 783, 85, table 2 fits): quiescent share of
    # all galaxies at 10^9-10^9.5 Msun is 0.6-5.8% at 1 < z < 2; the
    # simulation's 1 < z < 4 galaxies were 9.4% Balmer-break and 8.0% dusty
    # (issue 31: about 18%)
    kind = np.asarray(low_z_sky['kind'])
    quiescent, dusty = np.mean(kind == 'balmer_break'), np.mean(kind == 'dusty')
    assert 0.006 <= LOW_Z_RED_KINDS['balmer_break']['fraction'] <= 0.058
    # binomial, n ~ 5000: sigma ~ 0.003
    assert quiescent == pytest.approx(LOW_Z_RED_KINDS['balmer_break']['fraction'], abs=0.012)
    # below 10^10 Msun unobscured star-forming galaxies dominate (Martis et
    # al. 2016); non-dusty ones are ~80% of all even at >~10^9.5 Msun
    # (Deshmukh et al. 2018): dusty well under 20% here
    assert dusty == pytest.approx(LOW_Z_RED_KINDS['dusty']['fraction'], abs=0.012)
    assert quiescent + dusty < 0.12
    # the shares scale with the share of z >= 1 draws; all at z >= 1: as published
    shares = sky_low_z_kind_shares(0.5)
    assert sum(shares.values()) == pytest.approx(1.0)
    frac = shares['dusty'] / (shares['dusty'] + shares['balmer_break'] + 0.5 * shares['ordinary'])
    assert frac == pytest.approx(LOW_Z_RED_KINDS['dusty']['fraction'])


def test_dusty_galaxies_have_the_published_attenuation(low_z_sky):
    # A_V(stellar) = 0.2-0.4 below 10^9 Msun and ~1 only at 10^11 Msun
    # (Song et al. 2026, arXiv:2605.23049); the dusty tail at A_V ~ 1-3 on
    # the star-forming templates (own A_V 0.07-0.8), no longer the heaviest
    # templates (own A_V 1.4-2.9) plus 1-3 mag
    dusty = low_z_sky[low_z_sky['kind'] == 'dusty']
    av = dusty['av'].value
    assert 1.0 <= av.min() and av.max() <= 3.0
    assert 1.2 < np.median(av) < 1.6
    assert set(np.asarray(dusty['template'])) <= {f'fsps_QSF_12_v3_{i:03d}' for i in (7, 8, 9)}


@pytest.mark.parametrize(('blue', 'red'), [('F090W', 'F115W'), ('F115W', 'F150W')])
def test_short_wave_red_tail_at_1_z_4(low_z_sky, blue, red):
    # the red kinds are 9% of 1 < z < 4 galaxies (published fractions,
    # above): the 90th percentile of the colours must then be set by the
    # star-forming galaxies, within 0.15 mag of theirs alone; before issue
    # 31 it was 1.43 (F090W-F115W) and 1.37 (F115W-F150W), set by the 18%
    # of red kinds (dusty ones with A_V 2.4-6 in all)
    colour = low_z_sky[f'mag_{blue}'].value - low_z_sky[f'mag_{red}'].value
    ordinary = np.asarray(low_z_sky['kind']) == 'ordinary'
    p90 = np.percentile(colour, 90)
    assert p90 - np.percentile(colour[ordinary], 90) < 0.15
    assert p90 < 1.0
    z = np.asarray(low_z_sky['redshift'])
    for lo, hi in ((1, 2), (2, 3), (3, 4)):
        assert np.percentile(colour[(z >= lo) & (z < hi)], 90) < 1.1


def test_line_ew_medians_against_redshift():
    from astro_galclass.simulate.population_spectra import (
        draw_line_ews,
        line_ew_median,
        line_ew_sigma_ln,
    )

    # [OIII]+Hbeta: 780 A at z ~ 6.5-8 (Endsley et al. 2023, MNRAS 524, 2312);
    # z ~ 2, [OIII]5007 median e^4.24 = 69 A (Boyett et al. 2022) x 1.58
    assert line_ew_median('oiii_hbeta', 7.25) == pytest.approx(780.0)
    assert line_ew_median('oiii_hbeta', 2.0) == pytest.approx(np.exp(4.24) * 1.58, rel=0.01)
    assert line_ew_sigma_ln('oiii_hbeta', 2.0) == pytest.approx(1.33)
    # no longer 780 A from z = 4 on: rising with z, held above z = 7.25
    zs = np.array([4.0, 5.0, 6.0, 7.0, 7.25, 9.0])
    oiii = line_ew_median('oiii_hbeta', zs)
    assert np.all(np.diff(oiii[:5]) > 0) and oiii[-1] == pytest.approx(780.0)
    assert oiii[0] < 0.5 * 780
    # Halpha: Marmol-Queralto et al. 2016, (1 + z)^1.0 and 301 +/- 30 A at
    # z ~ 4.5 for 10^9.5-10^10.5 Msun (a deep field's galaxies are less
    # massive, higher EW); Faisst et al. 2016: 300-600 A at z ~ 6
    ha = line_ew_median('halpha', zs)
    assert ha[2] / ha[0] == pytest.approx(7 / 5)
    assert 301 - 30 < line_ew_median('halpha', 4.5) < 1.5 * 301
    assert 300 < line_ew_median('halpha', 6.0) < 600
    # Rasappu et al. 2016: mean Halpha+[NII]+[SII] 665 +/- 53 A at z =
    # 5.1-5.4; the log-normal's mean, with [NII]+[SII] 10% of Halpha
    ew = draw_line_ews(np.full(40000, 5.25), rng=np.random.default_rng(0))
    assert 1.1 * np.mean(ew['halpha']) == pytest.approx(665, rel=0.25)
    assert np.median(ew['halpha']) == pytest.approx(400, rel=0.03)
    with pytest.raises(ValueError, match="line must be 'halpha' or 'oiii_hbeta'"):
        line_ew_median('lyman_alpha', 5.0)


def _implied_colour(z, blue, red, line, rest, q=0.0):
    """Colour of a young galaxy (the sky's templates) with the published line EW."""
    from astro_galclass.simulate._sources import photometry_grid
    from astro_galclass.simulate.population_spectra import line_ew_median, line_ew_sigma_ln
    from astro_galclass.simulate.sed import TEMPLATE_NAMES, template_lines

    weights = np.zeros((1, len(TEMPLATE_NAMES)))
    weights[0, TEMPLATE_NAMES.index('erb2010')] = 0.8
    weights[0, TEMPLATE_NAMES.index('fsps_QSF_12_v3_007')] = 0.2
    flux = photometry_grid().fluxes(weights, np.array([0.2]), np.array([z]))[0]
    own = float(weights[0] @ template_lines()[line])
    ew = float(line_ew_median(line, z)) * np.exp(q * float(line_ew_sigma_ln(line, z)))
    flux = flux * (1 + (ew - own) * (1 + z) * line_band_response(rest * (1 + z)))
    bands = list(NIRCAM_BANDS)
    return -2.5 * np.log10(flux[bands.index(blue)] / flux[bands.index(red)])


@pytest.mark.parametrize(('lo', 'hi', 'blue', 'red', 'line', 'rest'), [
    # Halpha in F356W, F444W line-free; [OIII] in F277W
    (4.2, 4.9, 'F356W', 'F444W', 'halpha', 6564.6),
    # [OIII]+Hbeta in F356W, F277W line-free
    (5.5, 6.3, 'F277W', 'F356W', 'oiii_hbeta', 5008.2),
])
def test_long_wave_colours_follow_the_published_ews(young_sky, lo, hi, blue, red, line, rest):
    # the median and the 10th/90th percentiles of the colour as the
    # published EW median and scatter imply at the bin's centre (the
    # simulation spreads over the bin: its tails are narrower)
    z = np.asarray(young_sky['redshift'])
    sel = (z >= lo) & (z < hi)
    colour = young_sky[f'mag_{blue}'].value[sel] - young_sky[f'mag_{red}'].value[sel]
    mid = (lo + hi) / 2
    assert np.median(colour) == pytest.approx(_implied_colour(mid, blue, red, line, rest),
                                              abs=0.1)
    strong = _implied_colour(mid, blue, red, line, rest, q=1.2816)
    weak = _implied_colour(mid, blue, red, line, rest, q=-1.2816)
    tail = np.percentile(colour, 10) if blue == 'F356W' else np.percentile(colour, 90)
    near = np.percentile(colour, 90) if blue == 'F356W' else np.percentile(colour, 10)
    assert tail == pytest.approx(strong, abs=0.2)
    assert near == pytest.approx(weak, abs=0.15)


def test_f356w_is_boosted_less_at_z_4_to_7(young_sky):
    # issue 31: the 10th percentile of F356W-F444W at z >= 4 was -0.55 (the
    # simulation: 780 A [OIII]+Hbeta and 700 A Halpha from z = 4 on); with
    # Halpha ~ 350 A at z ~ 4.5 (Marmol-Queralto et al. 2016) the z ~ 4-5
    # boost of F356W is about 0.25 mag (median), not 0.4
    z = np.asarray(young_sky['redshift'])
    sel = (z >= 4.0) & (z < 5.0)
    colour = young_sky['mag_F356W'].value[sel] - young_sky['mag_F444W'].value[sel]
    assert -0.35 < np.median(colour) < -0.15
    assert np.percentile(colour, 10) > -0.6
