# Licensed under a 3-clause BSD style license - see LICENSE.rst
"""The ground floor: NIRCam facts, photometry and the selection's definitions."""

import importlib
import subprocess
import sys

import astropy.units as u
import numpy as np
import pytest
from astropy.utils.exceptions import AstropyDeprecationWarning

from astro_galclass import nircam
from astro_galclass.nircam import (
    AB_ZEROPOINT_NJY,
    HIGHZ_CLASSES,
    NIRCAM_BANDS,
    aperture_fluxes,
    aperture_noise,
    flux_per_pixel,
    mag_to_njy,
    njy_to_mag,
    selection_metrics,
)


def test_import_needs_no_torch_or_scikit_learn():
    code = ('import sys, astro_galclass.nircam; '
            'print(sorted({m.split(".")[0] for m in sys.modules} & {"torch", "sklearn"}))')
    out = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == '[]'


def test_ab_zero_point():
    # 0 AB = 3631 Jy (Oke & Gunn 1983)
    assert AB_ZEROPOINT_NJY == pytest.approx((1 * u.nJy).to_value(u.ABmag), abs=2e-3)
    mags = np.array([20.0, 27.5, 31.4])
    np.testing.assert_allclose(njy_to_mag(mag_to_njy(mags)), mags)
    np.testing.assert_allclose(mag_to_njy(mags), (mags * u.ABmag).to_value(u.nJy), rtol=1e-3)
    assert isinstance(mag_to_njy(25.0), float)
    assert njy_to_mag(0.0) == np.inf and np.isnan(njy_to_mag(-1.0))


def test_aperture_noise_is_a_fifth_of_the_depth():
    noise = aperture_noise({b: 30.0 for b in NIRCAM_BANDS})
    assert set(noise) == set(NIRCAM_BANDS)
    assert noise['F444W'] == pytest.approx(10 ** (-0.4 * (30.0 - 31.4)) / 5)


def test_flux_per_pixel_and_aperture_fluxes():
    flat = np.ones((2, 3, 32, 32))
    assert flux_per_pixel(flat * u.uJy).max() == 1000.0
    assert flux_per_pixel(flat).dtype == np.float32
    with pytest.raises(u.UnitsError, match='flux units per pixel'):
        flux_per_pixel(flat * u.m)
    with pytest.raises(ValueError, match=r'shape \(N, bands, size, size\)'):
        flux_per_pixel(np.ones((3, 32, 32)))
    f = aperture_fluxes(flat, [0.15, 0.3] * u.arcsec)
    assert f.shape == (2, 3, 2)
    np.testing.assert_allclose(f[0, 0], np.pi * np.array([5.0, 10.0]) ** 2, rtol=1e-6)


def test_selection_metrics_one_convention():
    m = selection_metrics([0, 1, 1, 2, 1], [0, 1, 0, 1, -1])
    assert m['accuracy'] == pytest.approx(0.4)
    assert m['highz_completeness'] == pytest.approx(1 / 3)
    assert m['highz_contamination'] == pytest.approx(0.5)
    assert (m['n_true'], m['n_selected']) == (3, 2)
    # undefined figures are NaN, never 0 (which would read as perfect)
    assert np.isnan(selection_metrics([0, 1], [0, 0])['highz_contamination'])
    assert np.isnan(selection_metrics([0, 2], [0, 1])['highz_completeness'])
    with pytest.raises(ValueError, match='same length'):
        selection_metrics([0, 1], [0])
    assert HIGHZ_CLASSES.index('high_z') == 1


def test_evaluation_and_semisupervised_benchmark_agree():
    from astro_galclass.training import evaluate_highz

    truth = {'label': np.array([0, 1, 1, 2, 0]), 'snr_F444W': np.full(5, 50.0)}
    pred = np.array([0, 1, 0, 1, 0])
    row = evaluate_highz({'m': pred}, truth)
    ref = selection_metrics(truth['label'], pred)
    assert row['highz_completeness'][0] == pytest.approx(ref['highz_completeness'])
    assert row['highz_contamination'][0] == pytest.approx(ref['highz_contamination'])


@pytest.mark.parametrize(('module', 'name', 'new'), [
    ('astro_galclass.highz.nircam', 'NIRCAM_BANDS', 'NIRCAM_BANDS'),
    ('astro_galclass.highz.nircam', 'PSF_FWHM', 'PSF_FWHM'),
    ('astro_galclass.highz', 'NIRCAM_BANDS', 'NIRCAM_BANDS'),
    ('astro_galclass.highz', 'HIGHZ_CLASSES', 'HIGHZ_CLASSES'),
    ('astro_galclass.simulate.surveys', 'aperture_noise', 'aperture_noise'),
    ('astro_galclass.simulate.surveys', 'DEPTH_PRESETS', 'DEPTH_PRESETS'),
    ('astro_galclass.simulate', 'CLASSES', 'HIGHZ_CLASSES'),
    ('astro_galclass.simulate.nircam_simulator', 'CLASSES', 'HIGHZ_CLASSES'),
    ('astro_galclass.semisupervised', 'selection_metrics', 'selection_metrics'),
])
def test_old_import_paths_warn_and_still_work(module, name, new):
    old = importlib.import_module(module)
    with pytest.warns(AstropyDeprecationWarning, match=f'moved to astro_galclass.nircam.{new}'):
        value = getattr(old, name)
    assert value is getattr(nircam, new)
    with pytest.raises(AttributeError, match='has no attribute'):
        getattr(old, "NOT_A_NAME")  # noqa: B009


@pytest.mark.parametrize(('module', 'forbidden'), [
    ('astro_galclass.nircam', ('astro_galclass.highz', 'astro_galclass.simulate',
                               'astro_galclass.training', 'astro_galclass.semisupervised')),
    ('astro_galclass.simulate', ('astro_galclass.highz', 'astro_galclass.training')),
    ('astro_galclass.semisupervised', ('astro_galclass.training', 'astro_galclass.highz')),
])
def test_layers_import_only_downward(module, forbidden):
    code = (f'import sys, {module}; '
            f'print(sorted(m for m in sys.modules if m.startswith({forbidden!r})))')
    out = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == '[]'


@pytest.mark.parametrize(('preset', 'published'), [
    # 5-sigma, r = 0.16", FLARE/surveys.py (stephenmwilkins/flare); bands observed only
    ('ceers', {'F115W': 29.15, 'F150W': 28.90, 'F200W': 28.95, 'F356W': 28.95,
               'F444W': 28.96}),
    ('primer', {'F090W': 28.57, 'F115W': 28.84, 'F150W': 29.03, 'F200W': 29.11,
                'F277W': 29.08, 'F356W': 29.02, 'F444W': 28.54}),
    ('cosmos-web', {'F115W': 27.13, 'F150W': 27.38, 'F277W': 27.82, 'F444W': 27.49}),
])
def test_survey_presets_match_the_published_depths(preset, published):
    from astro_galclass.nircam import NIRCAM_BANDS, SURVEY_BANDS, resolve_depths

    depths = resolve_depths(preset)
    for band, depth in published.items():
        assert depths[band] == depth
    assert set(published) <= set(SURVEY_BANDS[preset])
    # a band the survey lacks carries a neighbour's depth, never a new number
    for band in set(NIRCAM_BANDS) - set(SURVEY_BANDS[preset]):
        assert depths[band] in set(published.values())
