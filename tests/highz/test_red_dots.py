# Licensed under a 3-clause BSD style license - see LICENSE.rst
"""The little-red-dot selection and the LITTLE_RED_DOT flag."""

import astropy.units as u
import numpy as np
import pytest
from astropy.coordinates import SkyCoord
from astropy.nddata import NDData
from astropy.table import QTable

from astro_galclass import HighZClassifier
from astro_galclass.highz import (
    LITTLE_RED_DOT_COMPACTNESS,
    LITTLE_RED_DOT_CUTS,
    HighZFlag,
    little_red_dots,
)
from astro_galclass.nircam import NIRCAM_BANDS, PSF_FWHM, SURVEY_BANDS, mag_to_njy
from astro_galclass.simulate import LITTLE_RED_DOT_MAGNITUDES, NIRCamSimulator, inject_artifacts
from astro_galclass.simulate.toy import make_toy_field, render_gaussians

SCALE = 0.03


def _source(mags, *, size_fwhm=0.0, n=20, depth='jades-deep', seed=0):
    """``n`` noisy cutouts of one circular Gaussian source with ``mags`` (F090W ... F444W)."""
    cutouts = NIRCamSimulator(depth=depth, seed=seed).noise(n).value.astype(float)
    yy, xx = np.mgrid[:64, :64]
    r2 = (xx - 31.5) ** 2 + (yy - 31.5) ** 2
    for b, band in enumerate(NIRCAM_BANDS):
        fwhm = np.hypot(PSF_FWHM[band].to_value(u.arcsec), size_fwhm) / SCALE
        g = np.exp(-0.5 * r2 / (fwhm / 2.3548) ** 2)
        cutouts[:, b] += mag_to_njy(mags[b]) * g / g.sum()
    return cutouts


LRD = np.array(LITTLE_RED_DOT_MAGNITUDES) - 1.0       # F444W = 24.4


def test_injected_little_red_dots_are_selected_and_noise_is_not():
    lrd = inject_artifacts(NIRCamSimulator(seed=1).noise(30), 'little_red_dot',
                           rng=np.random.default_rng(2))
    assert little_red_dots(lrd).all()
    ceers = [NIRCAM_BANDS.index(b) for b in SURVEY_BANDS['ceers']]
    assert little_red_dots(lrd[:, ceers], bands=SURVEY_BANDS['ceers']).all()
    assert not little_red_dots(NIRCamSimulator(seed=1).noise(30)).any()
    # a flat spectrum of the same F444W: not red
    assert not little_red_dots(_source(np.full(7, LRD[-1]))).any()


def test_each_colour_cut_matters():
    assert little_red_dots(_source(LRD)).all()
    # red in the optical, but red in the UV too (F115W - F150W = F150W -
    # F200W = 1.2): a dusty galaxy, not V-shaped
    dusty = LRD.copy()
    dusty[:4] = LRD[3] + np.array([3.6, 2.4, 1.2, 0.0])
    assert not little_red_dots(_source(dusty)).any()
    # F277W - F444W = 0.4 and F200W - F277W = 0.3: below both red cuts
    mild = LRD.copy()
    mild[4:] = LRD[6] + np.array([0.4, 0.2, 0.0])
    mild[:4] = mild[4] + 0.3
    assert not little_red_dots(_source(mild)).any()


def test_brown_dwarfs_blue_in_the_near_infrared_are_not_selected():
    dwarf = LRD.copy()
    dwarf[1] = LRD[3] - 1.0                 # F115W - F200W = -1.0
    dwarf[2] = LRD[3] - 0.3
    assert not little_red_dots(_source(dwarf)).any()
    # without F115W the brown-dwarf cut cannot be made; red2 still selects
    no_f115w = _source(dwarf)
    no_f115w[:, 1] = np.nan
    assert little_red_dots(no_f115w).all()


def test_extended_and_faint_sources_are_not_selected():
    # the same colours spread over FWHM 0.4": the F444W light in r = 0.2"
    # over that in r = 0.1" is above the compactness limit
    assert not little_red_dots(_source(LRD, size_fwhm=0.4)).any()
    assert LITTLE_RED_DOT_COMPACTNESS == 1.7
    # F444W at 31: S/N below 10 at JADES-deep, the colours are noise
    assert not little_red_dots(_source(LRD + 6.6)).any()
    assert little_red_dots(_source(LRD + 6.6), min_snr=0.0).mean() < 0.9


def test_aperture_noise_of_correlated_noise():
    # drizzled noise is correlated: the outskirts' autocovariance gives the
    # r = 0.16" aperture noise the simulator was calibrated to, where the
    # pixel scatter taken as white noise gives about half of it
    from astro_galclass.highz.red_dots import _aperture_noise
    from astro_galclass.nircam import aperture_noise

    blank = NIRCamSimulator(seed=3).noise(100).value[:, -1].astype(float)
    truth = aperture_noise('jades-deep')['F444W']
    estimate = _aperture_noise(blank, SCALE, 0.16)
    assert np.median(estimate) == pytest.approx(truth, rel=0.1)
    white = 1.4826 * np.median(np.abs(blank - np.median(blank))) * np.sqrt(np.pi) * 0.16 / SCALE
    assert white < 0.7 * truth


def test_missing_and_unexposed_bands():
    cutouts = _source(LRD, n=4)
    no_red = cutouts.copy()
    no_red[:, -1] = np.nan
    assert not little_red_dots(no_red).any()
    # a flat source whose F277W core is unexposed (exact zeros) would look
    # infinitely red in F277W - F444W: that band counts as missing
    flat = _source(np.full(7, 25.0), n=4)
    flat[:, 4] = 0.0
    assert not little_red_dots(flat).any()


def test_cosmos_web_bands_use_the_single_colour_cut():
    bands = SURVEY_BANDS['cosmos-web']
    keep = [NIRCAM_BANDS.index(b) for b in bands]
    assert LITTLE_RED_DOT_CUTS['cosmos-web'] == (('F277W', 'F444W', '>', 1.5),)
    redder = LRD.copy()
    redder[4] = LRD[6] + 2.0
    assert little_red_dots(_source(redder, depth='cosmos-web')[:, keep], bands=bands).all()
    bluer = LRD.copy()
    bluer[4] = LRD[6] + 1.0
    assert not little_red_dots(_source(bluer, depth='cosmos-web')[:, keep], bands=bands).any()
    # without F444W nothing can be selected
    assert not little_red_dots(_source(redder)[:, :6], bands=NIRCAM_BANDS[:6]).any()


def test_input_is_not_modified_and_bad_input():
    cutouts = _source(LRD, n=3).astype(np.float32)
    before = cutouts.copy()
    little_red_dots(cutouts * u.nJy)
    np.testing.assert_array_equal(cutouts, before)
    with pytest.raises(ValueError, match=r'cutouts must be \(N, 7, size, size\).*got shape '
                                         r'\(3, 6, 64, 64\)'):
        little_red_dots(cutouts[:, :6])
    assert little_red_dots(np.zeros((0, 7, 64, 64))).shape == (0,)


@pytest.fixture(scope='module')
def shipped():
    return HighZClassifier.pretrained(device='cpu')


def test_classify_sets_the_flag(shipped):
    cutouts = np.concatenate([_source(LRD, n=5), _source(np.full(7, 26.0), n=5)])
    flags = np.asarray(shipped.classify(cutouts)['highz_flags'])
    red_dot = (flags & HighZFlag.LITTLE_RED_DOT) != 0
    np.testing.assert_array_equal(red_dot, [True] * 5 + [False] * 5)
    # classified all the same (the network calls them brown dwarfs)
    assert not np.any(flags & HighZFlag.BAND_MISSING)


def test_classify_catalog_sets_the_flag(shipped):
    images, _ = make_toy_field(n_sources=1, seed=5, unit='nJy', noise=0.5)
    ny, nx = images['F444W'].data.shape
    centre = images['F444W'].wcs.pixel_to_world((nx - 1) / 2, (ny - 1) / 2)
    lrd = centre.spherical_offsets_by(4 * u.arcsec, 3 * u.arcsec)
    flat = centre.spherical_offsets_by(-4 * u.arcsec, -3 * u.arcsec)
    both = SkyCoord([lrd, flat])
    mags = {'lrd': LRD, 'flat': np.full(7, LRD[-1])}
    for b, band in enumerate(NIRCAM_BANDS):
        image = images[band]
        fluxes = np.array([mag_to_njy(mags['lrd'][b]), mag_to_njy(mags['flat'][b])])
        data = image.data + render_gaussians(image.wcs, image.data.shape, both, fluxes,
                                             PSF_FWHM[band])
        images[band] = NDData(data.astype(np.float32), wcs=image.wcs, unit=image.unit)
    result = shipped.classify_catalog(QTable({'sky_centroid': both}), images, progress=False)
    flags = np.asarray(result['highz_flags'])
    assert not np.any(flags & (HighZFlag.BAND_MISSING | HighZFlag.PARTIAL_OVERLAP))
    assert flags[0] & HighZFlag.LITTLE_RED_DOT
    assert not flags[1] & HighZFlag.LITTLE_RED_DOT
