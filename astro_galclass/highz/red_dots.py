# Licensed under a 3-clause BSD style license - see LICENSE.rst
"""
Little red dots: the published photometric selection, applied to cutouts.

"Little red dots" are compact sources at z ~ 4-9 with a blue rest-frame UV
and a steeply rising red rest-frame optical continuum, many of them
broad-line AGN (Matthee et al. 2024, ApJ 963, 129; Greene et al. 2024, ApJ
964, 39). The simulator that trained the shipped high-z models has none:
no AGN, no point sources other than brown dwarfs. The network's embedding
puts them with brown dwarfs and red galaxies, so the ``highz_ood`` score
does not see them (model card). What sets them apart is what their
discoverers selected them by: colours and compactness. `little_red_dots`
applies those selections to cutouts, and the classifier flags the sources
it picks (``HighZFlag.LITTLE_RED_DOT``).

The selections (`LITTLE_RED_DOT_CUTS`):

- ``'red1'`` and ``'red2'``: the colour cuts of Labbé et al. (2025, ApJ
  978, 92; arXiv:2306.07320; its sample is F444W < 27.7), as used for the
  UNCOVER spectroscopic sample (Greene et al. 2024) and, modified, by the
  census of Kokorev et al. (2024, ApJ 968, 38; red1 for z < 6, red2 for
  z > 6): a flat UV (``F115W - F150W < 0.8`` or ``F150W - F200W < 0.8``)
  and a red optical continuum (``F200W - F277W > 0.7`` and ``F200W - F356W >
  1.0``, or ``F277W - F356W > 0.6`` and ``F277W - F444W > 0.7``), for z ~
  4-6 and z > 6 respectively;
- ``'cosmos-web'``: for band sets without F200W or F356W (COSMOS-Web has
  F115W, F150W, F277W, F444W), ``F277W - F444W > 1.5`` (Akins et al.
  2024, arXiv:2406.10341);
- compact in F444W: the flux in an aperture of diameter 0.4" over the
  flux in one of 0.2" below 1.7 (Labbé et al. 2025; Greene et al. 2024).
  A point source has 1.36 with the simulator's Gaussian PSF (more with
  the real PSF's wings, on which the limit was set); galaxies larger than
  the F444W PSF have more.

The selection picks what these colours pick on the sky: besides little
red dots, galaxies whose emission lines redden the long-wave colours
(Hainline et al. 2025, ApJ 979, 138) and some brown dwarfs
(`LITTLE_RED_DOT_NOT_DWARF`). It marks a source that the high-z models
cannot be trusted on, not an AGN.

Colours are measured in r = 0.3" apertures (nearly total for compact
sources in every band), and only where F444W has S/N >= 10 in r = 0.16"
(the noise from the autocovariance of the cutout's outskirts, since
drizzled and resampled noise is correlated): fainter, the colours are
noise.
Each cut is written as a flux ratio, so that a band without detection
(negative flux) still counts as faint.
"""

import warnings

import astropy.units as u
import numpy as np
from astropy.stats import mad_std

from astro_galclass.highz.flags import zero_core_bands
from astro_galclass.nircam import (
    DEFAULT_PIXEL_SCALE,
    NIRCAM_BANDS,
    aperture_fluxes,
    flux_per_pixel,
)

__all__ = ['LITTLE_RED_DOT_COMPACTNESS', 'LITTLE_RED_DOT_CUTS', 'LITTLE_RED_DOT_NOT_DWARF',
           'little_red_dots']

#: Colour selections of little red dots: name -> cuts ``(blue band, red
#: band, '<' or '>', limit in mag)`` on the colour ``blue - red``, all of
#: which must hold. ``'cosmos-web'`` is used only where neither of the
#: others has all its bands.
LITTLE_RED_DOT_CUTS = {
    'red1': (('F115W', 'F150W', '<', 0.8), ('F200W', 'F277W', '>', 0.7),
             ('F200W', 'F356W', '>', 1.0)),
    'red2': (('F150W', 'F200W', '<', 0.8), ('F277W', 'F356W', '>', 0.6),
             ('F277W', 'F444W', '>', 0.7)),
    'cosmos-web': (('F277W', 'F444W', '>', 1.5),),
}

#: Brown dwarfs pass the colour cuts (Langeroodi & Hjorth 2023, ApJL 957,
#: L27: 3 of 14 UNCOVER candidates) but are far bluer in the near-IR:
#: a source is kept only if ``F115W - F200W`` is above this (a UV slope
#: beta > -2.8 at 1.15-2 micron, bluer than any galaxy's UV continuum),
#: where both bands are given.
LITTLE_RED_DOT_NOT_DWARF = ('F115W', 'F200W', -0.5)

#: Largest F444W flux ratio r = 0.2" / r = 0.1" of a compact source.
LITTLE_RED_DOT_COMPACTNESS = 1.7

#: Aperture radii (arcsec): colours, the S/N of F444W, and compactness.
_COLOUR_RADIUS, _SNR_RADIUS, _INNER, _OUTER = 0.3, 0.16, 0.1, 0.2
#: Pixels beyond this radius (arcsec) give each band's noise.
_NOISE_RADIUS = 0.75


def _aperture_noise(images, pixel_scale, radius):
    """
    Noise (nJy) of the sum over an aperture of ``radius`` (arcsec), per image.

    From the autocovariance of each image's outskirts (beyond
    `_NOISE_RADIUS`; pixels more than 5 robust sigma from the median left
    out), summed with the aperture's own autocorrelation: mosaic noise is
    correlated by drizzling and resampling, and a white-noise estimate
    would put the aperture noise 2-3 times too low.
    """
    size = images.shape[-1]
    yy, xx = np.mgrid[:size, :size]
    centre = (size - 1) / 2
    r = np.hypot(xx - centre, yy - centre) * pixel_scale
    outskirts = r > _NOISE_RADIUS
    with warnings.catch_warnings():
        warnings.simplefilter('ignore', RuntimeWarning)      # all-NaN: a band without data
        sky = images[:, outskirts]
        median = np.nanmedian(sky, axis=-1)
        sigma = mad_std(sky, axis=-1, ignore_nan=True)
    with np.errstate(invalid='ignore', over='ignore'):     # inf: a unit error, flagged elsewhere
        residual = images - median[:, None, None]
        keep = outskirts & np.isfinite(images) & (np.abs(residual) <= 5 * sigma[:, None, None])
    residual = np.where(keep, residual, 0.0)
    # zero padding wide enough that the lags within the aperture do not wrap
    pad = int(16 * np.ceil((size + 2 * radius / pixel_scale + 2) / 16))
    spectrum = np.fft.rfft2(residual, s=(pad, pad))
    pairs = np.fft.irfft2(np.abs(np.fft.rfft2(keep.astype(float), s=(pad, pad))) ** 2,
                          s=(pad, pad))
    products = np.fft.irfft2(np.abs(spectrum) ** 2, s=(pad, pad))
    aperture = (np.hypot(xx - centre, yy - centre) <= radius / pixel_scale).astype(float)
    overlap = np.fft.irfft2(np.abs(np.fft.rfft2(aperture, s=(pad, pad))) ** 2, s=(pad, pad))
    lags = overlap > 0.5                                  # lags inside the aperture's extent
    with np.errstate(invalid='ignore', divide='ignore'):
        covariance = products[:, lags] / np.maximum(pairs[:, lags], 1.0)
        variance = covariance @ overlap[lags]
    variance[~np.isfinite(variance) | ~(sigma > 0)] = np.nan
    return np.sqrt(np.maximum(variance, 0.0))


def little_red_dots(cutouts, *, bands=NIRCAM_BANDS, pixel_scale=DEFAULT_PIXEL_SCALE,
                    min_snr=10.0):
    """
    Which cutouts hold a source that passes the little-red-dot selection.

    Parameters
    ----------
    cutouts : array-like or `~astropy.units.Quantity`
        ``(N, len(bands), size, size)`` in nJy per pixel, the source at the
        centre; NaN in a band without data.
    bands : sequence of str, optional
        The bands of the second axis. A selection counts only where all
        its bands are given and have data in the apertures.
    pixel_scale : `~astropy.units.Quantity`, optional
        Pixel scale of the cutouts.
    min_snr : float, optional
        Smallest S/N of F444W in r = 0.16" for a source to be tested.

    Returns
    -------
    selected : `~numpy.ndarray`
        ``(N,)`` bool: compact in F444W and inside one of the colour
        selections of `LITTLE_RED_DOT_CUTS`. Always False without F444W.

    Examples
    --------
    >>> import numpy as np
    >>> from astro_galclass.simulate import NIRCamSimulator, inject_artifacts
    >>> from astro_galclass.highz.red_dots import little_red_dots
    >>> sim = NIRCamSimulator(seed=0)
    >>> lrd = inject_artifacts(sim.noise(3), 'little_red_dot', rng=np.random.default_rng(1))
    >>> little_red_dots(lrd)
    array([ True,  True,  True])
    >>> little_red_dots(sim.noise(2))
    array([False, False])
    """
    bands = [str(b).upper() for b in bands]
    values = flux_per_pixel(cutouts)
    if values.shape[1] != len(bands):
        msg = (f'cutouts must be (N, {len(bands)}, size, size) for bands {bands}, '
               f'got shape {values.shape}')
        raise ValueError(msg)
    n = len(values)
    if 'F444W' not in bands or n == 0:
        return np.zeros(n, bool)
    scale = u.Quantity(pixel_scale).to_value(u.arcsec / u.pix)
    size = values.shape[-1]
    centre = (size - 1) / 2
    yy, xx = np.mgrid[:size, :size]
    inside = np.hypot(xx - centre, yy - centre) <= _COLOUR_RADIUS / scale + 1
    # a band counts where its apertures are observed and its core is not
    # unexposed zeros (a zero F277W would make any source "red")
    has_data = np.isfinite(values[..., inside]).all(axis=-1) & ~zero_core_bands(values)
    with np.errstate(over='ignore', invalid='ignore'):     # unit errors: flagged elsewhere
        flux = aperture_fluxes(values, [_COLOUR_RADIUS, _SNR_RADIUS, _INNER, _OUTER] * u.arcsec,
                               pixel_scale=pixel_scale)
    red = bands.index('F444W')
    noise = _aperture_noise(values[:, red].astype(float), scale, _SNR_RADIUS)
    with np.errstate(invalid='ignore', divide='ignore'):
        bright = has_data[:, red] & (flux[:, red, 1] >= min_snr * noise)
        compact = flux[:, red, 3] < LITTLE_RED_DOT_COMPACTNESS * flux[:, red, 2]
    colour = flux[:, :, 0]

    def passes(cuts):
        # per source: whether the cuts can be tested (all bands with data), and hold
        if not {b for cut in cuts for b in cut[:2]} <= set(bands):
            return np.zeros(n, bool), np.zeros(n, bool)
        testable, ok = np.ones(n, bool), np.ones(n, bool)
        for blue, redder, op, limit in cuts:
            i, j = bands.index(blue), bands.index(redder)
            testable &= has_data[:, i] & has_data[:, j]
            # blue - red > limit  <=>  f_red > 10**(0.4 limit) f_blue
            excess = colour[:, j] - 10 ** (0.4 * limit) * colour[:, i]
            ok &= (excess > 0) if op == '>' else (excess < 0)
        return testable, testable & ok

    (test1, red1), (test2, red2) = (passes(LITTLE_RED_DOT_CUTS[k]) for k in ('red1', 'red2'))
    # the COSMOS-Web cut only where neither UNCOVER selection can be tested
    fallback = passes(LITTLE_RED_DOT_CUTS['cosmos-web'])[1] & ~test1 & ~test2
    selected = red1 | red2 | fallback
    blue, redder, limit = LITTLE_RED_DOT_NOT_DWARF
    if blue in bands and redder in bands:
        i, j = bands.index(blue), bands.index(redder)
        # F115W - F200W <= -0.5  <=>  f_F200W <= 10**(-0.2) f_F115W
        dwarf = colour[:, j] - 10 ** (0.4 * limit) * colour[:, i] <= 0
        selected &= ~(has_data[:, i] & has_data[:, j] & dwarf)
    return bright & compact & selected
