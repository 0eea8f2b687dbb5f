# Licensed under a 3-clause BSD style license - see LICENSE.rst
"""
Varied rendering for `~astro_galclass.simulate.NIRCamSimulator`
(``rendering='varied'``): PSF shapes beyond one Gaussian and noise textures
beyond one drizzle kernel, drawn per source, so that a network trained on
the simulator learns colours and compactness rather than one renderer's
fingerprints (issue 32).

Every PSF is a Gaussian core, rendered exactly by the Fourier renderer
(aliases included), convolved with a mixture of Gaussians, the "wing
kernel", whose transform multiplies the noiseless spectrum:

- ``gaussian``: the band's Gaussian, its width scaled by 0.9 to 1.2 (seeing
  of the drizzled mosaics, PSF-matched images);
- ``moffat``: a Moffat profile of the band's FWHM (times a factor) and
  index beta, written as its scale mixture of Gaussians (the Gamma
  distribution of the precision, Gauss-generalised-Laguerre nodes), the
  narrowest component being the core; its power-law wings hold more light
  outside the core, as NIRCam PSFs do;
- ``halo``: the Gaussian core plus a broad Gaussian halo with a share ``w``
  of the light, a crude stand-in for the diffraction wings.

The wing kernel is applied at each frequency's base alias; the aliases it
misses are those of the broad components, which have no power near the
Nyquist frequency, so the error is negligible.

Noise textures (`NOISE_VARIANTS`): the drizzle kernel of each band scaled
by a factor, with a floor (a pixfrac < 1 or a resampling that correlates
even the short-wave bands), from white noise to strongly correlated noise.
The depth (aperture-sum noise) is kept for each.
"""

import functools
import math

import numpy as np
import torch
from scipy.special import roots_genlaguerre

from astro_galclass.simulate._photometry import psf_sigma_px

__all__ = ['NOISE_VARIANTS', 'PSF_VARIANTS', 'psf_core_factors', 'wing_transfer']

#: The PSF shapes of ``rendering='varied'``: (family, parameters); each
#: scales with the band's published FWHM.
PSF_VARIANTS = (
    ('gaussian', {'width': 1.0}),
    ('gaussian', {'width': 0.9}),
    ('gaussian', {'width': 1.1}),
    ('gaussian', {'width': 1.2}),
    ('moffat', {'beta': 2.5, 'width': 1.0}),
    ('moffat', {'beta': 3.5, 'width': 1.0}),
    ('moffat', {'beta': 4.5, 'width': 1.1}),
    ('moffat', {'beta': 2.5, 'width': 1.15}),
    ('halo', {'w': 0.15, 'h': 3.0}),
    ('halo', {'w': 0.3, 'h': 3.0}),
    ('halo', {'w': 0.2, 'h': 6.0}),
)

#: The noise textures of ``rendering='varied'``: (scale of the drizzle
#: kernel's width, floor in pixels); ``(1, 0)`` is the standard texture,
#: ``(0, 0)`` white noise.
NOISE_VARIANTS = ((1.0, 0.0), (0.0, 0.0), (0.7, 0.3), (1.5, 0.5))

_NODES = 8
_SIGMA_PER_FWHM = 1 / (2 * math.sqrt(2 * math.log(2)))


def _components(family, params, sigma):
    """Core variance and the wing kernel's (weights, variances) for one band's ``sigma``."""
    if family == 'gaussian':
        return (params['width'] * sigma) ** 2, np.ones(1), np.zeros(1)
    if family == 'halo':
        w = params['w']
        return sigma ** 2, np.array([1 - w, w]), np.array([0.0, (params['h'] * sigma) ** 2])
    # Moffat (1 + r^2/alpha^2)^-beta = mixture over t ~ Gamma(beta - 1) of
    # Gaussians of variance alpha^2 / (2 t)
    beta = params['beta']
    fwhm = params['width'] * sigma / _SIGMA_PER_FWHM
    alpha = fwhm / (2 * math.sqrt(2 ** (1 / beta) - 1))
    t, w = roots_genlaguerre(_NODES, beta - 2)
    w = w / w.sum()
    var = alpha ** 2 / (2 * t)
    core = var.min()
    return core, w, var - core


@functools.lru_cache(maxsize=16)
def _tables(bands, pixel_scale, p):
    """Per variant: core variance factors (bands,) and wing transfers (bands, p, p//2+1)."""
    sigma = psf_sigma_px(bands, pixel_scale).astype(float)
    k2 = np.fft.fftfreq(p)[:, None] ** 2 + np.fft.rfftfreq(p)[None, :] ** 2
    cores, wings = [], []
    for family, params in PSF_VARIANTS:
        core, wing = [], []
        for s in sigma:
            c, w, var = _components(family, params, s)
            core.append(c / s ** 2)
            wing.append(np.tensordot(w, np.exp(-2 * math.pi ** 2 * var[:, None, None]
                                               * k2[None]), axes=1))
        cores.append(core)
        wings.append(wing)
    return (torch.tensor(np.array(cores), dtype=torch.float32),
            torch.tensor(np.array(wings), dtype=torch.float32))


def psf_core_factors(variants, bands, pixel_scale, p):
    """Factors ``(N, bands)`` on each band's Gaussian variance for PSF ``variants`` ``(N,)``."""
    return _tables(tuple(bands), float(pixel_scale), int(p))[0][torch.as_tensor(variants)]


def wing_transfer(variants, bands, pixel_scale, p):
    """Wing-kernel transforms ``(N, bands, p, p//2+1)`` of PSF ``variants`` ``(N,)``."""
    return _tables(tuple(bands), float(pixel_scale), int(p))[1][torch.as_tensor(variants)]
