# Licensed under a 3-clause BSD style license - see LICENSE.rst
"""
Little red dots in the sky population against published statistics (issue 31, item 5).

Each test names the published number it pins and where it comes from
(`astro_galclass.simulate.population_lrd` gives the references).
"""

import math

import numpy as np
import pytest
from astropy.cosmology import Planck18

from astro_galclass.highz.red_dots import little_red_dots
from astro_galclass.nircam import DEPTH_PRESETS
from astro_galclass.simulate import NIRCamSimulator
from astro_galclass.simulate._sources import SourceDrawer
from astro_galclass.simulate.population_lrd import (
    LITTLE_RED_DOT_COUNTS,
    LITTLE_RED_DOT_SED,
    draw_little_red_dot_redshifts,
    little_red_dot_band_fluxes,
    little_red_dot_redshift_share,
    little_red_dot_surface_density,
)


@pytest.fixture(scope='module')
def lrd_sample():
    """Little red dots only, at JADES-deep depth, with their cutouts."""
    mp = pytest.MonkeyPatch()
    # every galaxy a little red dot (the sky's share is ~0.1%)
    mp.setattr(SourceDrawer, '_pick_little_red_dots', lambda self, labels: labels < 2)
    try:
        sim = NIRCamSimulator(depth='jades-deep', seed=4, population='sky',
                              class_fractions={'high_z': 1})
        yield sim.sample(240)
    finally:
        mp.undo()


def test_surface_density_matches_the_kokorev24_census():
    # Kokorev et al. 2024 (arXiv:2401.09981): 260 LRDs at 4 < z < 9 over
    # ~640 arcmin^2, F444W < 27.7: 0.41 +- 0.025 (Poisson) arcmin^-2
    density = little_red_dot_surface_density(27.7, z_range=(4.0, 9.0))
    assert density == pytest.approx(260 / 640, abs=2 * math.sqrt(260) / 640)
    # Akins et al. 2024 (arXiv:2406.10341): 434 over 0.54 deg^2 of
    # COSMOS-Web with a redder cut (F277W - F444W > 1.5): a subset, fewer
    assert little_red_dot_surface_density(27.7, z_range=(4.0, math.inf)) > 434 / (0.54 * 3600)


def test_deep_density_within_the_jades_census():
    # JADES GOODS-N/S census (arXiv:2604.07138): 412 LRDs over 349.6
    # arcmin^2 (1.18 arcmin^-2) with a broad colour selection, of which
    # the classic extreme cuts keep <~ 25%
    broad = 412 / 349.6
    for depth in ('jades-medium', 'jades-deep'):
        density = NIRCamSimulator(depth=depth).sky_class_fractions()['density']
        lrd = density['little_red_dot_high_z'] + density['little_red_dot_low_z']
        assert 0.25 * broad < lrd < broad + 2 * math.sqrt(412) / 349.6


def test_bright_little_red_dots_are_rare():
    # Ma et al. 2025 (arXiv:2509.02662): one LRD candidate with K < 23.7
    # (F444W ~ 22 or brighter for their red colours) at 4.5 < z < 4.9 over
    # 15 deg^2; the model expects a handful, not hundreds
    expected = (little_red_dot_surface_density(22.0, z_range=(4.5, 4.9)) * 15 * 3600)
    assert expected < 10
    # and the counts rise to the faint end
    mags = [24.0, 26.0, 27.7, 29.0, 30.5]
    assert np.all(np.diff([little_red_dot_surface_density(m) for m in mags]) > 0)


def test_redshift_distribution():
    # Kokorev et al. 2024: 4 < z < 9; Akins et al. 2024: z ~ 5-9;
    # Kocevski et al. 2025 (arXiv:2404.03576): numbers rise from z ~ 8
    # to lower z and decline below z ~ 4.5; a peak at z ~ 5 (Pacucci &
    # Loeb 2025, arXiv:2506.03244, summarising these samples)
    z = draw_little_red_dot_redshifts(20000, rng=np.random.default_rng(1),
                                      z_range=(4.0, math.inf))
    assert 5.0 < np.median(z) < 6.5
    assert np.mean(z < 9.0) > 0.97
    assert np.mean(z >= 8.0) < 0.1
    # below z = 4: the comoving densities of Ma et al. 2025
    # (arXiv:2504.08032: 10^-5.3 at 2.7 < z < 3.7 against 10^-4.5 at z > 4)
    # times the volume leave 10-20% of a field's LRDs at z < 4
    assert 0.10 < little_red_dot_redshift_share(0.0, 4.0) < 0.20
    volume = Planck18.differential_comoving_volume
    ratio = (little_red_dot_redshift_share(3.1, 3.3) / volume(3.2).value) \
        / (little_red_dot_redshift_share(4.9, 5.1) / volume(5.0).value)
    assert ratio == pytest.approx(10 ** (-5.3 + 4.5), rel=0.05)


def test_class_follows_redshift_and_balanced_has_none():
    sim = NIRCamSimulator(depth='jades-deep', seed=2, population='sky')
    density = sim.sky_class_fractions()['density']
    for cls in ('low_z', 'high_z'):
        assert 0 < density[f'little_red_dot_{cls}'] < density[cls]
    mp = pytest.MonkeyPatch()
    mp.setattr(SourceDrawer, '_pick_little_red_dots', lambda self, labels: labels < 2)
    try:
        truth = NIRCamSimulator(depth='jades-deep', seed=2, population='sky',
                                class_fractions={'low_z': 1, 'high_z': 1}).draw_sources(400)
    finally:
        mp.undo()
    z = np.asarray(truth['redshift'])
    assert set(truth['kind']) == {'little_red_dot'}
    np.testing.assert_array_equal(np.asarray(truth['class']) == 'high_z', z >= 4.0)
    assert z.min() >= 1.7
    balanced = NIRCamSimulator(seed=2).draw_sources(600)
    assert 'little_red_dot' not in set(balanced['kind'])


def test_v_shaped_spectra():
    # Setton et al. 2024 (arXiv:2411.03424): the V turns over at the Balmer
    # limit, 3645 A; Kocevski et al. 2025: beta_UV < -0.37, beta_opt > 0
    sed = LITTLE_RED_DOT_SED
    assert sed['turnover'] == 3645.0
    assert sed['beta_uv'][2][1] <= -0.37 and sed['beta_opt'][2][0] >= 0
    z = np.full(3, 5.5)
    ratio, _ = little_red_dot_band_fluxes(z, np.full(3, -1.5), np.full(3, 1.5),
                                          np.array([0.0, 400.0, 1000.0]))
    mag = -2.5 * np.log10(ratio)
    # blue UV (F115W ~ F150W ~ F200W), red optical (F277W - F444W > 1)
    assert abs(mag[0, 1] - mag[0, 2]) < 0.3 and mag[0, 4] > 1.0
    # broad Halpha at 4.2 micron lifts F444W: every other band falls relative to it
    assert np.all(np.diff(mag[:, 4]) > 0)


def test_drawn_little_red_dots_pass_the_published_selection(lrd_sample):
    # the colour cuts of Labbé et al. 2025 / Kokorev et al. 2024 (red1,
    # red2) and F444W compactness: the samples they define are LRDs, so
    # most bright simulated LRDs at z < 8 must pass (above z ~ 8 the
    # turnover moves into F356W and the colour cuts miss them)
    cutouts, truth = lrd_sample
    selected = little_red_dots(cutouts)
    z = np.asarray(truth['redshift'])
    bright = (np.asarray(truth['snr_F444W']) >= 14) & (z >= 4) & (z < 8)
    assert bright.sum() > 80
    assert selected[bright].mean() > 0.6
    # and their r = 0.2" / 0.1" F444W flux ratios are those of point sources
    assert np.all(np.asarray(truth['re'].value)[bright] < 0.03)


def test_compact():
    # Kokorev et al. 2024: point-source-like cores, <r_eff> < 130 pc
    mp = pytest.MonkeyPatch()
    mp.setattr(SourceDrawer, '_pick_little_red_dots', lambda self, labels: labels < 2)
    try:
        truth = NIRCamSimulator(seed=5, population='sky',
                                class_fractions={'high_z': 1}).draw_sources(500)
    finally:
        mp.undo()
    z = np.asarray(truth['redshift'])
    r_pc = np.asarray(truth['re'].value) / Planck18.arcsec_per_kpc_proper(z).value * 1e3
    assert np.mean(r_pc) < 130 and r_pc.max() <= 150.0 + 1e-6


@pytest.mark.parametrize('depth', ['jades-medium', 'jades-deep'])
def test_several_times_more_common_than_brown_dwarfs(depth):
    # Langeroodi & Hjorth 2023 (ApJL 957, L27): 3 of 14 UNCOVER LRD
    # candidates were brown dwarfs, so colour-selected LRDs outnumber the
    # dwarfs that pass the same cuts by ~11/3; all dwarfs of the field
    # (T and Y, Hainline et al. 2026: 41 over ~470 arcmin^2, 0.09 arcmin^-2)
    # are still several times fewer than the LRDs at JADES depth
    density = NIRCamSimulator(depth=depth).sky_class_fractions()['density']
    lrd = density['little_red_dot_high_z'] + density['little_red_dot_low_z']
    assert lrd / density['brown_dwarf'] > 3.0


@pytest.mark.parametrize('depth', list(DEPTH_PRESETS))
def test_sky_mix_counts_them_at_every_depth(depth):
    f = NIRCamSimulator(depth=depth).sky_class_fractions()
    density = f['density']
    assert sum(f[c] for c in ('low_z', 'high_z', 'brown_dwarf')) == pytest.approx(1.0)
    limit = NIRCamSimulator(depth=depth).depths['F444W'] + 0.3
    assert density['little_red_dot_high_z'] == pytest.approx(
        little_red_dot_surface_density(limit, z_range=(4.0, math.inf)))
    assert density['little_red_dot_low_z'] == pytest.approx(
        little_red_dot_surface_density(limit, z_range=(0.0, 4.0)))
    assert LITTLE_RED_DOT_COUNTS['m_bright'] < limit
