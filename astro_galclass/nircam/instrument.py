# Licensed under a 3-clause BSD style license - see LICENSE.rst
"""
JWST/NIRCam instrument facts: bands, pixel scales, PSF widths, zero point.

Sources (see ``docs/simulate.rst`` for the full references):

* native pixel scales 0.031"/pix (short wave) and 0.063"/pix (long wave),
  Rieke et al. 2023, PASP 135, 028001;
* PSF FWHM, the empirical values of the JWST User Documentation (JDox)
  "NIRCam Point Spread Functions" page;
* the AB magnitude system (Oke & Gunn 1983): 0 AB is 3631 Jy, so that
  m_AB = 31.4 - 2.5 log10(f / nJy).
"""

import astropy.units as u

__all__ = ['AB_ZEROPOINT_NJY', 'DEFAULT_PIXEL_SCALE', 'LONG_WAVE_BANDS',
           'NATIVE_PIXEL_SCALE', 'NIRCAM_BANDS', 'PSF_FWHM', 'SHORT_WAVE_BANDS']

#: The seven broad bands of the JADES/CEERS-style selection, blue to red.
NIRCAM_BANDS = ('F090W', 'F115W', 'F150W', 'F200W', 'F277W', 'F356W', 'F444W')

#: The short-wave channel's broad bands (0.6-2.3 micron).
SHORT_WAVE_BANDS = NIRCAM_BANDS[:4]

#: The long-wave channel's broad bands (2.4-5 micron).
LONG_WAVE_BANDS = NIRCAM_BANDS[4:]

#: Native detector pixel scales by band.
NATIVE_PIXEL_SCALE = {
    **dict.fromkeys(SHORT_WAVE_BANDS, 0.031 * u.arcsec / u.pix),
    **dict.fromkeys(LONG_WAVE_BANDS, 0.063 * u.arcsec / u.pix),
}

#: Pixel scale of the model's cutouts: the 0.03"/pix grid to which JADES and
#: CEERS drizzle all seven bands.
DEFAULT_PIXEL_SCALE = 0.03 * u.arcsec / u.pix

#: Empirical PSF full width at half maximum by band (JDox).
PSF_FWHM = {
    'F090W': 0.033 * u.arcsec, 'F115W': 0.040 * u.arcsec,
    'F150W': 0.050 * u.arcsec, 'F200W': 0.066 * u.arcsec,
    'F277W': 0.092 * u.arcsec, 'F356W': 0.116 * u.arcsec,
    'F444W': 0.145 * u.arcsec,
}

#: AB magnitude of a flux density of 1 nJy: m_AB = 31.4 - 2.5 log10(f / nJy)
#: (2.5 log10(3631e9) = 31.40).
AB_ZEROPOINT_NJY = 31.4
