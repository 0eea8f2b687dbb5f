# Licensed under a 3-clause BSD style license - see LICENSE.rst
"""Varied rendering: PSF shapes and noise textures beyond one renderer's (issue 32)."""

import math

import numpy as np
import pytest
from astropy import units as u

from astro_galclass.nircam import NIRCAM_BANDS, PSF_FWHM, resolve_depths
from astro_galclass.simulate import NIRCamSimulator
from astro_galclass.simulate._render import render_images
from astro_galclass.simulate._variation import NOISE_VARIANTS, PSF_VARIANTS


def _point_sources(n):
    truth = NIRCamSimulator(seed=2, class_fractions={'brown_dwarf': 1}).draw_sources(n)
    for band in NIRCAM_BANDS:
        truth[f'flux_{band}'] = np.full(n, 1000.0) * u.nJy
    return truth


def _fwhm(image):
    """FWHM (pixels) of a centred image from the area above half its maximum."""
    return 2 * math.sqrt((image >= image.max() / 2).sum() / math.pi)


def test_every_psf_variant_keeps_the_flux_and_its_width():
    truth = _point_sources(len(PSF_VARIANTS))
    scale = 0.015             # fine pixels, so that the half-maximum area is resolved
    images = render_images(truth, np.zeros((len(truth), 2)), scale, 96, bands=NIRCAM_BANDS,
                           psf_variants=np.arange(len(PSF_VARIANTS)))
    np.testing.assert_allclose(images.sum(axis=(2, 3)), 1000.0, rtol=0.02)
    band = NIRCAM_BANDS.index('F444W')
    published = PSF_FWHM['F444W'].to_value(u.arcsec) / scale
    for (family, params), image in zip(PSF_VARIANTS, images[:, band], strict=True):
        expected = published * params.get('width', 1.0)
        tolerance = 0.12 if family == 'halo' else 0.06   # a halo widens the core a little
        assert _fwhm(image) == pytest.approx(expected, rel=tolerance), (family, params)
    # the Moffat and halo PSFs hold more light outside the core than the Gaussian
    yy, xx = np.mgrid[:96, :96] - 47.5
    outside = np.hypot(xx, yy) > 3 * published
    wings = images[:, band][:, outside].sum(axis=1)
    gaussian = wings[0]
    assert all(wings[i] > 3 * gaussian + 1 for i, (family, _) in enumerate(PSF_VARIANTS)
               if family in ('moffat', 'halo'))


def test_every_noise_texture_keeps_the_depth():
    sim = NIRCamSimulator(depth='jades-medium', seed=5, rendering='varied')
    noise = sim._sky_noise()
    yy, xx = np.mgrid[:64, :64]
    aperture = (xx - 31.5) ** 2 + (yy - 31.5) ** 2 <= (0.16 / 0.03) ** 2
    expected = np.array(list(resolve_depths('jades-medium').values()))
    lag1 = []
    for variant in range(len(NOISE_VARIANTS)):
        images = noise.images(600, 0.03, 64, variants=np.full(600, variant))
        sigma = images[..., aperture].sum(axis=-1).std(axis=0)
        np.testing.assert_allclose(31.4 - 2.5 * np.log10(5 * sigma), expected, atol=0.1)
        lag1.append(np.corrcoef(images[:, 6, :, :-1].ravel(), images[:, 6, :, 1:].ravel())[0, 1])
    white, strong = NOISE_VARIANTS.index((0.0, 0.0)), NOISE_VARIANTS.index((1.5, 0.5))
    assert abs(lag1[white]) < 0.05 < lag1[0] < lag1[strong]


def test_varied_sample_records_its_variants():
    sim = NIRCamSimulator(seed=3, rendering='varied')
    cutouts, truth = sim.sample(40)
    assert np.isfinite(cutouts.value).all()
    assert set(truth['psf_variant']) <= set(range(len(PSF_VARIANTS)))
    assert set(truth['noise_variant']) <= set(range(len(NOISE_VARIANTS)))
    assert sim.settings()['rendering'] == 'varied'
    # the standard rendering draws no variants: its cutouts are unchanged
    assert 'psf_variant' not in NIRCamSimulator(seed=3).sample(2)[1].colnames
    with pytest.raises(ValueError, match="rendering must be 'standard' or 'varied', got 'x'"):
        NIRCamSimulator(rendering='x')
