# Licensed under a 3-clause BSD style license - see LICENSE.rst
"""
What surrounds a galaxy in a real photograph: field stars (bright ones with
diffraction spikes), faint background galaxies and close companions; and the
PSFs that blur them. Used by `MorphologySimulator` with ``realism='photograph'``.

Sources of the numbers (all at high Galactic latitude, SDSS r band):

- star counts: about 0.3-3 stars per arcmin^2 brighter than r = 22, rising
  by about 0.15 dex per magnitude at 16 < r < 22 (Bahcall & Soneira 1980,
  ApJS 44, 73; Juric et al. 2008, ApJ 673, 864);
- galaxy counts: about 1-4 per arcmin^2 brighter than r = 22, rising by
  about 0.45 dex per magnitude (Yasuda et al. 2001, AJ 122, 1104);
- close companions: about one galaxy in ten has a neighbour of comparable
  brightness within a few tens of kpc (close-pair fractions of SDSS,
  Patton et al. 2011, MNRAS 412, 591, scaled to pairs visible in the frame);
- seeing: a Moffat profile with beta = 2.5-4.8 (Trujillo et al. 2001, MNRAS
  328, 977; 4.765 for pure Kolmogorov turbulence) or a Gaussian.
"""

import numpy as np

from astro_galclass.simulate.sersic import sersic_b

#: Faintest field star or background galaxy drawn (SDSS r, AB).
FAINT_LIMIT = 22.0
#: Stars per arcmin^2 brighter than `FAINT_LIMIT`: log-uniform range.
STAR_DENSITY = (0.3, 3.0)
#: Slope d log N / dm of the star counts.
STAR_SLOPE = 0.15
#: Background galaxies per arcmin^2 brighter than `FAINT_LIMIT`: log-uniform range.
GALAXY_DENSITY = (1.0, 4.0)
#: Slope d log N / dm of the galaxy counts.
GALAXY_SLOPE = 0.45
#: Stars brighter than this (r, AB) show diffraction spikes and a halo.
SPIKE_LIMIT = 15.5


def magnitudes(rng, n, slope, bright, faint=FAINT_LIMIT):
    """``n`` magnitudes from counts with ``d log N / dm = slope`` in [bright, faint]."""
    a = 10 ** (slope * bright)
    b = 10 ** (slope * faint)
    return np.log10(a + rng.uniform(0, 1, n) * (b - a)) / slope


def psf_kernel(shape, fwhm, beta, oversample):
    """
    Fourier transform of a circular PSF on an oversampled grid of ``shape``.

    ``beta`` None gives a Gaussian, else a Moffat profile of that index;
    ``fwhm`` is in final pixels.
    """
    ny, nx = shape
    if beta is None:
        ky = np.fft.fftfreq(ny)[:, None]
        kx = np.fft.fftfreq(nx)[None, :]
        sigma = fwhm / 2.3548 * oversample
        return np.exp(-2 * np.pi ** 2 * sigma ** 2 * (kx ** 2 + ky ** 2))
    yy = np.fft.fftfreq(ny, 1 / ny)[:, None]
    xx = np.fft.fftfreq(nx, 1 / nx)[None, :]
    alpha = fwhm * oversample / (2 * np.sqrt(2 ** (1 / beta) - 1))
    kernel = (1 + (xx ** 2 + yy ** 2) / alpha ** 2) ** (-beta)
    return np.fft.fft2(kernel / kernel.sum())


def point(x, y, x0, y0, width=0.35):
    """A normalised compact spot (a star before the PSF)."""
    img = np.exp(-0.5 * ((x - x0) ** 2 + (y - y0) ** 2) / width ** 2)
    total = img.sum()
    return img / total if total > 0 else img


def spikes(x, y, x0, y0, length, angle, width=0.35):
    """Four diffraction spikes (two crossed lines) of unit total flux."""
    out = np.zeros_like(x)
    for a in (angle, angle + np.pi / 2):
        u = (x - x0) * np.cos(a) + (y - y0) * np.sin(a)
        v = -(x - x0) * np.sin(a) + (y - y0) * np.cos(a)
        out += np.exp(-0.5 * (v / width) ** 2 - np.abs(u) / length)
    total = out.sum()
    return out / total if total > 0 else out


def halo(x, y, x0, y0, scale):
    """The extended wings of a bright star (unit flux)."""
    r2 = (x - x0) ** 2 + (y - y0) ** 2
    img = (1 + r2 / scale ** 2) ** -1.5
    return img / img.sum()


def sersic(x, y, x0, y0, re, n, q, theta):
    """A normalised Sersic profile at (x0, y0)."""
    u = (x - x0) * np.cos(theta) + (y - y0) * np.sin(theta)
    v = -(x - x0) * np.sin(theta) + (y - y0) * np.cos(theta)
    r = np.sqrt(u ** 2 + (v / max(q, 0.05)) ** 2)
    img = np.exp(-sersic_b(n) * ((r / max(re, 0.2)) ** (1 / n) - 1))
    total = img.sum()
    return img / total if total > 0 else img


def add_field(out, x, y, row, rng, colours):
    """
    Add the field of one photograph to the noiseless ``out`` (3, H, W).

    ``out`` is in units of the central galaxy's total r flux; ``row`` holds
    the frame's size in arcsec, the galaxy's r magnitude and the number of
    stars and galaxies drawn (`MorphologySimulator.draw`).
    """
    half = x.max()
    scale = 2 * half / row['frame_arcsec']            # pixels per arcsec
    n_stars = int(row['n_stars'])
    mags = magnitudes(rng, n_stars, STAR_SLOPE, bright=min(row['mag_r'] - 2.0, 13.0))
    for mag in mags:
        flux = 10 ** (-0.4 * (mag - row['mag_r']))
        x0, y0 = rng.uniform(-half, half, 2)
        mix = rng.uniform(0, 1)
        colour = mix * np.asarray(colours['old']) + (1 - mix) * np.asarray(colours['young'])
        img = point(x, y, x0, y0)
        if mag < SPIKE_LIMIT:
            # diffraction spikes and a halo, both growing with brightness
            length = (1.5 + 2.0 * (SPIKE_LIMIT - mag)) * scale
            img = (0.8 * img + 0.1 * spikes(x, y, x0, y0, length, row['spike_angle'])
                   + 0.1 * halo(x, y, x0, y0, 0.8 * scale))
        out += flux * img[None] * colour[:, None, None]
    n_gal = int(row['n_galaxies'])
    for mag in magnitudes(rng, n_gal, GALAXY_SLOPE, bright=max(row['mag_r'] + 1.0, 16.0)):
        flux = 10 ** (-0.4 * (mag - row['mag_r']))
        x0, y0 = rng.uniform(-half, half, 2)
        re = np.exp(rng.uniform(np.log(0.4), np.log(2.5))) * scale * 10 ** (-0.1 * (mag - 19))
        n = rng.choice([1.0, 4.0])
        colour = np.asarray(colours['old' if n == 4.0 else 'disk'])
        out += flux * sersic(x, y, x0, y0, re, n, rng.uniform(0.3, 1), rng.uniform(0, np.pi))[
            None] * colour[:, None, None]
    if row['companion']:
        r90 = row['r90']
        sep = rng.uniform(1.0, 2.5) * r90
        ang = rng.uniform(0, 2 * np.pi)
        ratio = 10 ** rng.uniform(-1, 0)
        re = 0.4 * r90 * np.sqrt(ratio)
        n = rng.choice([1.0, 4.0])
        colour = np.asarray(colours['old' if n == 4.0 else 'disk'])
        out += ratio * sersic(x, y, sep * np.cos(ang), sep * np.sin(ang), re, n,
                              rng.uniform(0.3, 1), rng.uniform(0, np.pi))[None] * colour[
            :, None, None]
