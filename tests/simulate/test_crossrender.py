# Licensed under a 3-clause BSD style license - see LICENSE.rst
"""
The GalSim cross-renderer of ``benchmarks/crossrender.py`` (issue 32)
against the simulator's own renderer, on the same sources, noise-free; and
its noise at the survey depth.
"""

import importlib.util
from pathlib import Path

import astropy.units as u
import numpy as np
import pytest
from astropy.table import QTable

from astro_galclass.nircam import NIRCAM_BANDS, PSF_FWHM, aperture_noise, resolve_depths
from astro_galclass.simulate import NIRCamSimulator

pytest.importorskip('galsim')

SCRIPT = Path(__file__).parents[2] / 'benchmarks' / 'crossrender.py'
SCALE = 0.03
R_AP = 0.16 / SCALE


@pytest.fixture(scope='module')
def crossrender():
    spec = importlib.util.spec_from_file_location('crossrender', SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope='module')
def sim():
    return NIRCamSimulator(depth='jades-deep', seed=11, population='sky',
                           class_fractions={'low_z': 1, 'high_z': 1, 'brown_dwarf': 1})


@pytest.fixture(scope='module')
def drawn(sim, crossrender):
    """40 sky-population sources (a third brown dwarfs), noise-free, at offsets up to 2 px."""
    truth = sim.draw_sources(40)
    offsets = np.random.default_rng(2).uniform(-2, 2, (40, 2))
    ours = sim.render(truth, offsets=offsets, size=128)
    theirs = crossrender.render_galsim(truth, offsets=offsets, size=128, noise=False)
    return truth, offsets, ours, theirs


def _moments(images, size, weight_sigma=None):
    """Centroid (x, y) from the cutout centre, and the position angle (rad) of (N, size, size)."""
    yy, xx = np.mgrid[:size, :size] - (size - 1) / 2
    total = images.sum(axis=(1, 2))
    x0 = (images * xx).sum(axis=(1, 2)) / total
    y0 = (images * yy).sum(axis=(1, 2)) / total
    dx = xx[None] - x0[:, None, None]
    dy = yy[None] - y0[:, None, None]
    # a round weight keeps the orientation and cuts the Airy wings, whose
    # second moment diverges
    w = images * np.exp(-(dx ** 2 + dy ** 2) / (2 * weight_sigma ** 2))
    mxx, myy, mxy = ((w * m).sum(axis=(1, 2)) for m in (dx * dx, dy * dy, dx * dy))
    return x0, y0, 0.5 * np.arctan2(2 * mxy, mxx - myy), mxx + myy


def _truth(re, n, q, theta, flux=100.0):
    """A truth table of galaxies (re in arcsec, theta in rad), one flux in every band."""
    size = len(re)
    table = QTable({'re': np.asarray(re, float) * u.arcsec,
                    'sersic_n': np.asarray(n, float) + np.zeros(size),
                    'axis_ratio': np.asarray(q, float) + np.zeros(size),
                    'theta': np.asarray(theta, float) * u.rad})
    for band in NIRCAM_BANDS:
        table[f'flux_{band}'] = np.full(size, flux) * u.nJy
    return table


def test_psf_fwhm_matches_the_simulator(crossrender):
    airy = crossrender.psf_table(kind='airy')
    target = np.array([PSF_FWHM[b].to_value(u.arcsec) for b in NIRCAM_BANDS])
    np.testing.assert_allclose(airy['fwhm_target'], target)
    np.testing.assert_allclose(airy['fwhm'], target, rtol=0.005)
    # the Airy disc alone is narrower; the Gaussian only tops it up
    assert np.all(airy['fwhm_airy'] < target)
    assert np.all((airy['jitter_sigma'] > 0) & (airy['jitter_sigma'] < 0.25 * target))
    # pivot wavelengths of the NIRCam curves (JDox: 0.90 to 4.40 um)
    np.testing.assert_allclose(airy['pivot_nm'][[0, -1]], [902, 4402], rtol=0.01)
    moffat = crossrender.psf_table(kind='moffat')
    np.testing.assert_allclose(moffat['fwhm'], target, rtol=0.01)
    with pytest.raises(ValueError, match='psf must be one of'):
        crossrender.galsim_psf('F444W', 'gaussian')


def test_total_flux_agrees(drawn):
    truth, _, ours, theirs = drawn
    # wings inside the 3.84" cutout: sources under 0.15" (GalSim's Sersic
    # profiles are untruncated; the simulator's mixture stops at ~15 re)
    small = truth['re'] < 0.15 * u.arcsec
    assert small.sum() >= 20
    ratio = theirs[small].sum(axis=(2, 3)) / ours[small].sum(axis=(2, 3))
    np.testing.assert_allclose(ratio, 1, atol=0.02)
    flux = np.stack([truth[f'flux_{b}'].to_value(u.nJy) for b in NIRCAM_BANDS], axis=1)
    np.testing.assert_allclose(theirs[small].sum(axis=(2, 3)), flux[small], rtol=0.02)


def test_f444w_aperture_flux_agrees(drawn):
    from photutils.aperture import CircularAperture, aperture_photometry

    truth, offsets, ours, theirs = drawn
    c = (ours.shape[-1] - 1) / 2
    aperture = CircularAperture(c + offsets, r=R_AP)
    f444w = NIRCAM_BANDS.index('F444W')
    ratio = np.array([aperture_photometry(theirs[i, f444w], aperture[i])['aperture_sum'][0]
                      / aperture_photometry(ours[i, f444w], aperture[i])['aperture_sum'][0]
                      for i in range(len(truth))])
    # the Airy rings hold light that a Gaussian of the same FWHM keeps in
    # its core: GalSim puts 0.84 of the simulator's aperture flux in the
    # aperture for a point source (0.81 of its flux against 0.96), 0.85 to
    # 0.9 for galaxies, more the larger they are
    point = truth['re'] <= 0
    resolved = truth['re'] >= 0.1 * u.arcsec
    assert resolved.sum() >= 8
    assert np.all((ratio > 0.82) & (ratio < 1.0))
    assert np.all(np.abs(ratio[resolved] - 1) < 0.15)
    np.testing.assert_allclose(np.median(ratio[point]), 0.843, atol=0.01)


def test_centroids_agree(drawn):
    _, offsets, ours, theirs = drawn
    for b in range(len(NIRCAM_BANDS)):
        ox, oy, _, _ = _moments(ours[:, b], 128, weight_sigma=8)
        gx, gy, _, _ = _moments(theirs[:, b], 128, weight_sigma=8)
        np.testing.assert_allclose(gx, ox, atol=0.2)
        np.testing.assert_allclose(gy, oy, atol=0.2)
        np.testing.assert_allclose(gx, offsets[:, 0], atol=0.2)
        np.testing.assert_allclose(gy, offsets[:, 1], atol=0.2)


def test_offsets_and_orientation_conventions(sim, crossrender):
    # elongated galaxies at large, signed offsets: +dx along the columns,
    # +dy along the rows, theta counter-clockwise from +x towards +y
    theta = np.array([0.3, 1.2, 2.0, 2.8, -0.6, 0.0])
    truth = _truth(re=[0.25, 0.3, 0.2, 0.35, 0.25, 0.3], n=[1.0, 1.5, 0.8, 2.5, 1.0, 4.0],
                   q=[0.3, 0.5, 0.4, 0.55, 0.35, 0.45], theta=theta)
    offsets = np.array([[5.0, -3.0], [-4.0, 2.5], [0.4, 6.0], [-2.2, -5.1], [3.3, 3.3],
                        [0.0, -4.0]])
    ours = sim.render(truth, offsets=offsets, size=96)
    theirs = crossrender.render_galsim(truth, offsets=offsets, size=96, noise=False)
    f200w = NIRCAM_BANDS.index('F200W')
    ox, oy, opa, osize = _moments(ours[:, f200w], 96, weight_sigma=10)
    gx, gy, gpa, gsize = _moments(theirs[:, f200w], 96, weight_sigma=10)
    np.testing.assert_allclose(ox, offsets[:, 0], atol=0.2)
    np.testing.assert_allclose(oy, offsets[:, 1], atol=0.2)
    np.testing.assert_allclose(gx, offsets[:, 0], atol=0.2)
    np.testing.assert_allclose(gy, offsets[:, 1], atol=0.2)
    # position angles agree with each other and the truth, modulo pi
    for pa in (opa, gpa):
        diff = np.angle(np.exp(2j * (pa - theta))) / 2
        assert np.all(np.abs(np.degrees(diff)) < 10), np.degrees(diff)
    diff = np.angle(np.exp(2j * (gpa - opa))) / 2
    assert np.all(np.abs(np.degrees(diff)) < 10)
    # re is the major axis's half-light radius in both: the same weighted size
    np.testing.assert_allclose(gsize / osize, 1, atol=0.1)


def test_noise_matches_the_depth(crossrender):
    depth = 'jades-medium'
    sigma = aperture_noise(resolve_depths(depth, NIRCAM_BANDS), NIRCAM_BANDS)
    blank = crossrender.noise_images(128, depth=depth, seed=7)
    assert blank.shape == (128, 7, 64, 64)
    assert blank.dtype == np.float32
    # 25 apertures per cutout, 12 pixels apart (nearly independent sums)
    sums = []
    for cy in (8, 20, 32, 44, 56):
        for cx in (8, 20, 32, 44, 56):
            mask = crossrender.aperture_mask(64, SCALE, centre=(cx - 0.5, cy - 0.5))
            sums.append(blank[..., mask].sum(axis=-1))
    measured = np.concatenate(sums).std(axis=0)
    expected = np.array([sigma[b] for b in NIRCAM_BANDS])
    np.testing.assert_allclose(measured, expected, rtol=0.05)
    # correlated between pixels, more in the long-wave bands
    lag1 = [np.corrcoef(blank[:, b, :, :-1].ravel(), blank[:, b, :, 1:].ravel())[0, 1]
            for b in range(7)]
    assert all(0.15 < v < 0.4 for v in lag1[:4])
    assert all(0.5 < v < 0.75 for v in lag1[4:])


def test_deterministic_per_seed(sim, crossrender):
    truth = sim.draw_sources(3)
    a = crossrender.render_galsim(truth, seed=4)
    b = crossrender.render_galsim(truth, seed=4)
    c = crossrender.render_galsim(truth, seed=5)
    assert a.shape == (3, 7, 64, 64)
    assert a.dtype == np.float32
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)
    clean = crossrender.render_galsim(truth, noise=False)
    np.testing.assert_allclose((a - clean).std(), (c - clean).std(), rtol=0.2)
