# Licensed under a 3-clause BSD style license - see LICENSE.rst
"""
What `~astro_galclass.simulate.NIRCamSimulator` measures of its sources: the
PSF widths in pixels, the share of a source's flux in the r = 0.16"
aperture, the aperture S/N, and the electrons detected per nJy.
"""

import math

import astropy.units as u
import numpy as np

from astro_galclass.nircam import (
    APERTURE_RADIUS,
    NIRCAM_BANDS,
    PSF_FWHM,
    resolve_depths,
)
from astro_galclass.simulate.sersic import MOG_SIGMAS, sersic_mog

__all__ = ['add_snr', 'aperture_fraction', 'electrons_per_njy', 'psf_sigma_px']

_FWHM_TO_SIGMA = 1 / (2 * math.sqrt(2 * math.log(2)))


def psf_sigma_px(bands, pixel_scale):
    """Gaussian sigma of each band's PSF in pixels of ``pixel_scale`` (arcsec), float32."""
    return np.array([PSF_FWHM[b].to_value(u.arcsec) * _FWHM_TO_SIGMA / pixel_scale
                     for b in bands], dtype=np.float32)


def aperture_fraction(truth, bands, pixel_scale):
    """Fraction of each source's flux in the r = 0.16" aperture, per band."""
    r_ap = APERTURE_RADIUS / pixel_scale
    psf2 = psf_sigma_px(bands, pixel_scale).astype(float) ** 2
    re_px = np.asarray(truth['re'].to_value(u.arcsec)) / pixel_scale
    n_s = np.asarray(truth['sersic_n'])
    q = np.asarray(truth['axis_ratio'])
    frac = np.empty((len(truth), len(bands)))
    amps = np.zeros((len(truth), len(MOG_SIGMAS)))
    gal = re_px > 0
    if gal.any():
        amps[gal] = sersic_mog(n_s[gal])
    s2 = (MOG_SIGMAS[None, :] * re_px[:, None]) ** 2 * q[:, None]     # (N, K)
    for b in range(len(bands)):
        total = s2 + psf2[b] + 1 / 12
        ee = 1 - np.exp(-r_ap ** 2 / (2 * total))
        point = 1 - np.exp(-r_ap ** 2 / (2 * (psf2[b] + 1 / 12)))
        frac[:, b] = np.where(gal, np.sum(amps * ee, axis=1), point)
    return frac


def add_snr(truth, bands, sigma_aperture, pixel_scale):
    """Add ``snr_<band>``, the S/N of the noiseless flux in the aperture, to ``truth``."""
    frac = aperture_fraction(truth, bands, pixel_scale)
    for i, band in enumerate(bands):
        flux = np.asarray(truth[f'flux_{band}'].to_value(u.nJy))
        truth[f'snr_{band}'] = flux * frac[:, i] / sigma_aperture[band]


def electrons_per_njy(depths):
    """
    Detected electrons per nJy of source flux, per band of `NIRCAM_BANDS`.

    Gains g (e-/s/nJy) and the planned JADES deep exposure times of
    Hainline's JADES noise model, scaled to the ``depths`` (band -> AB) with
    depth = d0 + 1.25 log10(t / t0).
    """
    gain = np.array([0.0268, 0.0297, 0.0392, 0.0452, 0.0375, 0.0433, 0.0379])
    t_deep = np.array([60500, 80800, 59300, 38800, 49100, 38800, 60500.0])
    deep = resolve_depths('jades-deep', NIRCAM_BANDS)
    shift = np.array([depths[b] - deep[b] for b in NIRCAM_BANDS])
    return gain * t_deep * 10 ** (shift / 1.25)
