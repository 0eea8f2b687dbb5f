# Licensed under a 3-clause BSD style license - see LICENSE.rst
"""
A second, independent renderer of `~astro_galclass.simulate.NIRCamSimulator`
sources, built on GalSim, for cross-renderer tests (issue 32).

A network trained on one renderer can learn that renderer's fingerprints
(its Gaussian PSF, its Gaussian-mixture Sersic profiles, its noise
kernel) instead of the sources. `render_galsim` draws the sources of the
same truth table with GalSim's own code, none of ours:

* galaxies are ``galsim.Sersic(n, half_light_radius=re * sqrt(q))`` sheared
  to axis ratio ``q`` at position angle ``theta``. The simulator's ``re`` is
  the half-light radius along the major axis (its Fourier profile is a
  function of ``re^2 (k_u^2 + q^2 k_v^2)``), and GalSim's shear keeps the
  area, so the circular radius ``re sqrt(q)`` becomes ``re`` along the
  major axis after the shear. ``theta`` is counter-clockwise from +x
  towards +y (array columns, then rows) in both codes. GalSim allows
  0.3 <= n <= 6.2 (`SERSIC_N_RANGE`): indices are clipped into that range
  (the simulator's own are within 0.5-6 already) and rounded to 0.01
  (`SERSIC_N_STEP`) so that GalSim's per-index set-up is shared between
  sources (it costs about 50 ms per distinct index);
* sources with ``re <= 0`` (brown dwarfs, little red dots) are
  ``galsim.DeltaFunction``;
* the PSF is GalSim's, not a Gaussian: an obscured Airy disc of JWST's
  6.5 m aperture (``galsim.Airy(lam, diam=6.5, obscuration=0.11)``) at each
  band's pivot wavelength (of the astro-sedpy NIRCam curves the simulator
  uses for its photometry), convolved with a Gaussian (jitter and charge
  diffusion) whose width brings the FWHM to the band's published FWHM
  (`~astro_galclass.nircam.PSF_FWHM`), the FWHM of the simulator's
  Gaussian PSF; or, with ``psf='moffat'``, a Moffat profile of beta = 2.5
  at that FWHM. `psf_table` measures them (FWHM from the Hankel transform
  of GalSim's Fourier profile up to its ``maxk``; the Moffat's, exact in
  GalSim, come out 0.3% wide as its transform is cut there)::

      band   pivot (nm)  Airy FWHM  Gaussian sigma  FWHM (")  Moffat FWHM
      F090W     902.4     0.0293       0.0074        0.0330      0.0331
      F115W    1154.1     0.0374       0.0070        0.0400      0.0401
      F150W    1500.9     0.0487       0.0058        0.0500      0.0501
      F200W    1987.6     0.0645       0.0072        0.0660      0.0662
      F277W    2776.2     0.0900       0.0095        0.0920      0.0922
      F356W    3565.5     0.1156       0.0047        0.1160      0.1163
      F444W    4401.7     0.1428       0.0129        0.1450      0.1454

  The Airy cores have the simulator's widths but their rings and wings
  hold light that a Gaussian keeps in its core: 3% of a point source's
  F444W flux falls outside a 64-pixel (1.92") cutout, and 0.81 of it
  (against the Gaussian's 0.96) within r = 0.16";
* images are drawn with ``method='auto'`` (integrated over the pixels), at
  the truth's sub-pixel offsets ``dx``, ``dy`` (pixels from the cutout
  centre ``(size - 1) / 2``; +x along the columns, +y along the rows, the
  simulator's convention);
* the noise is GalSim's correlated Gaussian noise: ``galsim.CorrelatedNoise``
  measured on a drizzle-like image (white ``galsim.GaussianNoise`` on the
  band's native pixels, drizzled with pixfrac = 1 onto the cutout grid),
  not the simulator's Gaussian kernel: neighbouring pixels correlate by
  about 0.26 in the short-wave bands (0 in the simulator) and 0.60 in the
  long-wave ones (0.51), so that at the same aperture depth the pixel
  noise is 0.65 (short wave) and 0.85 (long wave) of the simulator's. It
  is scaled so that the standard deviation of r = 0.16" aperture sums is
  the survey's (`~astro_galclass.nircam.aperture_noise`), measured on
  blank draws as the simulator calibrates its own (`noise_images`).

Examples
--------
Loaded by path, as ``benchmarks/`` is not a package::

    import importlib.util
    spec = importlib.util.spec_from_file_location('crossrender',
                                                  'benchmarks/crossrender.py')
    crossrender = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(crossrender)
    _, truth = NIRCamSimulator(seed=1).sample(100)
    cutouts = crossrender.render_galsim(truth, seed=1)   # (100, 7, 64, 64) nJy

About 40 ms per source for the seven bands and the noise (46 s for 1,200
sky-population sources on the development machine's two shared cores,
the set-up of each new Sersic index included), against about 1 ms for the
simulator's renderer.
"""

import functools
import math

import astropy.units as u
import numpy as np

from astro_galclass.nircam import (
    APERTURE_RADIUS,
    DEFAULT_PIXEL_SCALE,
    NATIVE_PIXEL_SCALE,
    NIRCAM_BANDS,
    PSF_FWHM,
    aperture_noise,
    resolve_depths,
)

__all__ = ['JWST_DIAMETER', 'JWST_OBSCURATION', 'MOFFAT_BETA', 'PSF_KINDS', 'SERSIC_N_RANGE',
           'SERSIC_N_STEP', 'aperture_mask', 'galsim_psf', 'noise_images', 'pivot_wavelength',
           'psf_table', 'render_galsim']

#: Primary mirror diameter (m) and the linear obscuration of the Airy PSF.
JWST_DIAMETER = 6.5
JWST_OBSCURATION = 0.11

#: Slope of the ``psf='moffat'`` option.
MOFFAT_BETA = 2.5

#: The PSF options of `render_galsim`.
PSF_KINDS = ('airy', 'moffat')

#: Sersic indices GalSim accepts; others are clipped into this range.
SERSIC_N_RANGE = (0.3, 6.2)

#: Sersic indices are rounded to this step (GalSim sets up each index once).
SERSIC_N_STEP = 0.01

_FWHM_TO_SIGMA = 1 / (2 * math.sqrt(2 * math.log(2)))

#: Most cutouts per side of the noise tiles, and the seed of the calibration draw.
_TILE = 16
_CALIBRATION_SEED = 12345


def _galsim():
    import galsim

    return galsim


def _scale(pixel_scale):
    """Arcsec per pixel, from a Quantity or a number."""
    return float(u.Quantity(pixel_scale, u.arcsec / u.pix).value)


@functools.cache
def pivot_wavelength(band):
    """
    Pivot wavelength of a NIRCam band, in nm.

    From the astro-sedpy throughput curve (``jwst_<band>``) with which the
    simulator computes its sources' fluxes.

    Parameters
    ----------
    band : str
        A band of `~astro_galclass.nircam.NIRCAM_BANDS`.

    Returns
    -------
    wavelength : float
        In nm (e.g. about 4402 for F444W).
    """
    from sedpy.observate import load_filters

    return float(load_filters([f'jwst_{band.lower()}'])[0].wave_pivot) / 10


def _airy(band):
    galsim = _galsim()
    return galsim.Airy(lam=pivot_wavelength(band), diam=JWST_DIAMETER,
                       obscuration=JWST_OBSCURATION, scale_unit=galsim.arcsec)


def _transform(profile):
    """(k, T(k)): the Fourier transform of a round profile along k_x, up to its maxk."""
    k = np.linspace(0, profile.maxk, 4001)
    # (an Airy disc's transform can be NaN exactly at its cut-off)
    return k, np.nan_to_num([profile.kValue(float(kk), 0.0).real for kk in k])


def _fwhm(k, transform):
    """
    FWHM (arcsec) of a round profile from its Fourier transform.

    The radial profile is the Hankel transform
    ``I(r) = (1 / 2 pi) int k T(k) J0(k r) dk`` (k in radians per arcsec,
    GalSim's convention), and the FWHM twice the radius where it falls to
    half of ``I(0)``.
    """
    from scipy.optimize import brentq
    from scipy.special import j0

    def profile(r):
        return np.trapezoid(k * transform * j0(k * r), k)

    half = profile(0.0) / 2
    hi = 1.0
    while profile(hi) > half:          # pragma: no cover - arcsec-sized PSFs only
        hi *= 2
    return 2 * brentq(lambda r: profile(r) - half, 0.0, hi, xtol=1e-7)


@functools.cache
def _jitter_sigma(band):
    """Sigma (arcsec) of the Gaussian that brings the Airy PSF to the band's FWHM."""
    from scipy.optimize import brentq

    target = PSF_FWHM[band].to_value(u.arcsec)
    k, airy = _transform(_airy(band))
    if _fwhm(k, airy) >= target:
        return 0.0

    def excess(sigma):
        return _fwhm(k, airy * np.exp(-(k * sigma) ** 2 / 2)) - target

    return float(brentq(excess, 0.0, target * _FWHM_TO_SIGMA, xtol=1e-7))


@functools.cache
def galsim_psf(band, kind='airy'):
    """
    The GalSim PSF of a band.

    Parameters
    ----------
    band : str
        A band of `~astro_galclass.nircam.NIRCAM_BANDS`.
    kind : {'airy', 'moffat'}, optional
        ``'airy'``: ``galsim.Airy`` of a 6.5 m aperture with obscuration
        0.11 at the band's pivot wavelength, convolved with the Gaussian
        that brings its FWHM to the band's (`~astro_galclass.nircam.PSF_FWHM`);
        ``'moffat'``: ``galsim.Moffat`` of beta 2.5 and that FWHM.

    Returns
    -------
    psf : `galsim.GSObject`
        Unit flux, sizes in arcsec.
    """
    galsim = _galsim()
    if kind not in PSF_KINDS:
        msg = f'psf must be one of {PSF_KINDS}, got {kind!r}'
        raise ValueError(msg)
    fwhm = PSF_FWHM[band].to_value(u.arcsec)
    if kind == 'moffat':
        return galsim.Moffat(beta=MOFFAT_BETA, fwhm=fwhm)
    sigma = _jitter_sigma(band)
    airy = _airy(band)
    return airy if sigma == 0 else galsim.Convolve(airy, galsim.Gaussian(sigma=sigma))


def psf_table(bands=NIRCAM_BANDS, kind='airy'):
    """
    The PSFs of `galsim_psf`, measured: one row per band.

    Parameters
    ----------
    bands : sequence of str, optional
    kind : {'airy', 'moffat'}, optional

    Returns
    -------
    table : `~astropy.table.Table`
        ``band``, ``pivot_nm``, ``fwhm_airy`` (the Airy disc alone, arcsec),
        ``jitter_sigma`` (the Gaussian's sigma, arcsec; 0 for Moffat),
        ``fwhm`` (the PSF's, arcsec) and ``fwhm_target`` (the band's
        published FWHM, that of the simulator's Gaussian).
    """
    from astropy.table import Table

    rows = []
    for band in bands:
        rows.append((band, pivot_wavelength(band), _fwhm(*_transform(_airy(band))),
                     _jitter_sigma(band) if kind == 'airy' else 0.0,
                     _fwhm(*_transform(galsim_psf(band, kind))),
                     PSF_FWHM[band].to_value(u.arcsec)))
    return Table(rows=rows, names=('band', 'pivot_nm', 'fwhm_airy', 'jitter_sigma', 'fwhm',
                                   'fwhm_target'))


def aperture_mask(size, pixel_scale, centre=None):
    """
    The pixels of an r = 0.16" aperture, as the simulator's noise calibration counts them.

    Pixels whose centres are within the radius of ``centre`` (default the
    cutout centre ``(size - 1) / 2``).

    Parameters
    ----------
    size : int
        Image side in pixels.
    pixel_scale : float or `~astropy.units.Quantity`
        Arcsec per pixel.
    centre : tuple of float, optional
        ``(x, y)`` in pixels.

    Returns
    -------
    mask : `~numpy.ndarray`
        ``(size, size)`` bool.
    """
    cx, cy = ((size - 1) / 2,) * 2 if centre is None else centre
    yy, xx = np.mgrid[:size, :size]
    return (xx - cx) ** 2 + (yy - cy) ** 2 <= (APERTURE_RADIUS / _scale(pixel_scale)) ** 2


def _drizzle_weights(n_out, out_scale, in_scale, phase):
    """
    Drizzle (pixfrac = 1) along one axis: the share of each input pixel in each output pixel.

    ``(n_out, n_in)``: the overlap of output pixel i and input pixel j (the
    input grid shifted by ``phase`` arcsec), over the output pixel's width.
    """
    out_edges = np.arange(n_out + 1) * out_scale
    n_in = int(np.ceil(n_out * out_scale / in_scale)) + 2
    in_edges = (np.arange(n_in + 1) - 1) * in_scale + phase
    lo = np.maximum(out_edges[:-1, None], in_edges[None, :-1])
    hi = np.minimum(out_edges[1:, None], in_edges[None, 1:])
    return np.clip(hi - lo, 0, None) / out_scale


@functools.cache
def _unit_noise(band, pixel_scale):
    """
    The band's GalSim noise model, before scaling to the depth.

    ``galsim.CorrelatedNoise`` measured on a drizzle-like image: white
    Gaussian noise (``galsim.GaussianNoise``) on a 512-pixel field of the
    band's native pixels, drizzled onto ``pixel_scale`` with pixfrac = 1
    (every output pixel the area-weighted mean of the native pixels it
    overlaps). Its correlations differ from the simulator's Gaussian kernel:
    neighbouring pixels correlate by about 0.26 in the short-wave bands
    (none in the simulator) and 0.60 in the long-wave ones (0.51), with a
    box's, not a Gaussian's, shape. One instance per band, so that GalSim
    keeps its square-root power spectra.
    """
    galsim = _galsim()
    native = NATIVE_PIXEL_SCALE[band].value
    weights = _drizzle_weights(512, pixel_scale, native, 0.43 * native)
    white = galsim.ImageD(weights.shape[1], weights.shape[1], scale=native)
    white.addNoise(galsim.GaussianNoise(galsim.BaseDeviate(_CALIBRATION_SEED), sigma=1.0))
    drizzled = galsim.ImageD(weights @ white.array @ weights.T, scale=pixel_scale)
    return galsim.CorrelatedNoise(drizzled, rng=galsim.BaseDeviate(0), correct_periodicity=True,
                                  subtract_mean=True)


def _draw_tile(band, pixel_scale, side, seed):
    """One ``side`` x ``side`` tile of the band's unit noise model (float64), from ``seed``."""
    galsim = _galsim()
    model = _unit_noise(band, pixel_scale)
    model.rng.reset(int(seed))
    img = galsim.ImageD(side, side, scale=pixel_scale)
    img.addNoise(model)
    return img.array


@functools.cache
def _unit_aperture_sigma(band, pixel_scale, size):
    """
    Standard deviation of r = 0.16" aperture sums of the unit noise model.

    Measured on one blank 1024-pixel tile (a fixed seed) with the aperture of
    a ``size`` cutout centred at every pixel (periodic, as GalSim draws the
    tile): about 11,000 independent apertures' worth, so within 1%.
    """
    side = max(1024, 4 * size)
    tile = _draw_tile(band, pixel_scale, side, _CALIBRATION_SEED)
    mask = np.zeros((side, side))
    mask[:size, :size] = aperture_mask(size, pixel_scale)
    sums = np.fft.irfft2(np.fft.rfft2(tile) * np.conj(np.fft.rfft2(mask)), s=tile.shape)
    return float(sums.std())


def _tile_seeds(seed, n_bands, n_tiles):
    """Seeds (n_bands, n_tiles) of GalSim's generators, from one integer seed."""
    ss = np.random.SeedSequence([int(seed), 32])
    return ss.generate_state(n_bands * n_tiles, dtype=np.uint32).reshape(n_bands, n_tiles) + 1


def noise_images(n, *, bands=NIRCAM_BANDS, pixel_scale=DEFAULT_PIXEL_SCALE, size=64,
                 depth='jades-deep', seed=0):
    """
    Blank cutouts of GalSim's correlated noise at the survey depth.

    Each band's noise is drawn by GalSim (``Image.addNoise`` of a
    ``galsim.CorrelatedNoise`` measured on a drizzle-like image of white
    noise at the band's native pixels) on square tiles of up to 16 x 16
    cutouts (fewer when ``n`` is small), cut into cutouts, and scaled so
    that the r = 0.16" aperture sums (`aperture_mask`) have the standard
    deviation
    ``aperture_noise(resolve_depths(depth, bands), bands)[band]``, that of
    the unit model being measured once on a blank draw.

    Parameters
    ----------
    n : int
        Number of cutouts.
    bands : sequence of str, optional
    pixel_scale : float or `~astropy.units.Quantity`, optional
        Arcsec per pixel.
    size : int, optional
        Cutout side in pixels.
    depth : str, dict or sequence, optional
        As `~astro_galclass.nircam.resolve_depths` takes it.
    seed : int, optional
        The same seed (and ``n``) gives the same noise.

    Returns
    -------
    noise : `~numpy.ndarray`
        ``(n, len(bands), size, size)`` float32, nJy per pixel.
    """
    bands = tuple(bands)
    scale = _scale(pixel_scale)
    sigma = aperture_noise(resolve_depths(depth, bands), bands)
    per_side = min(_TILE, max(1, math.ceil(math.sqrt(int(n)))))
    side = per_side * size
    per_tile = per_side * per_side
    n_tiles = -(-int(n) // per_tile)
    seeds = _tile_seeds(seed, len(bands), n_tiles)
    out = np.empty((int(n), len(bands), size, size), np.float32)
    for b, band in enumerate(bands):
        amplitude = sigma[band] / _unit_aperture_sigma(band, scale, size)
        for t in range(n_tiles):
            tile = _draw_tile(band, scale, side, seeds[b, t]) * amplitude
            cut = tile.reshape(per_side, size, per_side, size).transpose(0, 2, 1, 3)
            cut = cut.reshape(per_tile, size, size)
            lo = t * per_tile
            hi = min(lo + per_tile, int(n))
            out[lo:hi, b] = cut[:hi - lo]
    return out


def _column(truth, name, unit=None):
    col = truth[name]
    if unit is not None and hasattr(col, 'unit') and col.unit is not None:
        return np.asarray(u.Quantity(col).to_value(unit), float)
    return np.asarray(col, float)


def render_galsim(truth, *, bands=NIRCAM_BANDS, pixel_scale=DEFAULT_PIXEL_SCALE, size=64,
                  depth='jades-deep', seed=0, psf='airy', noise=True, offsets=None):
    """
    Cutouts of the sources of a truth table, rendered by GalSim.

    The same sources as `~astro_galclass.simulate.NIRCamSimulator` renders
    them (``re``, ``sersic_n``, ``axis_ratio``, ``theta``, ``flux_<band>``,
    ``dx``, ``dy``), drawn with GalSim's profiles, PSFs and noise (see the
    module's description).

    Parameters
    ----------
    truth : `~astropy.table.Table`
        From `~astro_galclass.simulate.NIRCamSimulator.sample`, or
        `~astro_galclass.simulate.NIRCamSimulator.draw_sources` with
        ``offsets``.
    bands : sequence of str, optional
        Bands to render, in this order (their ``flux_<band>`` columns).
    pixel_scale : float or `~astropy.units.Quantity`, optional
        Arcsec per pixel.
    size : int, optional
        Cutout side in pixels.
    depth : str, dict or sequence, optional
        Survey depth of the noise.
    seed : int, optional
        Seed of the noise; the same seed (and number of sources) gives the
        same cutouts.
    psf : {'airy', 'moffat'}, optional
        See `galsim_psf`.
    noise : bool, optional
        Add the sky noise (`noise_images`); ``False`` gives the noiseless
        images.
    offsets : `~numpy.ndarray`, optional
        ``(N, 2)`` positions (x, y; pixels) from the cutout centre
        ``(size - 1) / 2``; default the truth's ``dx``, ``dy`` (zero
        without them).

    Returns
    -------
    cutouts : `~numpy.ndarray`
        ``(N, len(bands), size, size)`` float32, nJy per pixel.
    """
    galsim = _galsim()
    bands = tuple(bands)
    scale = _scale(pixel_scale)
    n = len(truth)
    if offsets is None:
        offsets = (np.stack([_column(truth, 'dx', u.pix), _column(truth, 'dy', u.pix)], axis=1)
                   if 'dx' in truth.colnames and 'dy' in truth.colnames
                   else np.zeros((n, 2)))
    offsets = np.asarray(offsets, float)
    if offsets.shape != (n, 2):
        msg = f'offsets must be (N, 2) = ({n}, 2), got {offsets.shape}'
        raise ValueError(msg)
    re = _column(truth, 're', u.arcsec)
    point = ~(re > 0)
    sersic_n = np.clip(np.nan_to_num(_column(truth, 'sersic_n'), nan=1.0), *SERSIC_N_RANGE)
    sersic_n = np.round(sersic_n / SERSIC_N_STEP) * SERSIC_N_STEP
    q = np.clip(np.nan_to_num(_column(truth, 'axis_ratio'), nan=1.0), 1e-3, 1.0)
    theta = np.nan_to_num(_column(truth, 'theta', u.rad))
    flux = np.stack([_column(truth, f'flux_{b}', u.nJy) for b in bands], axis=1)
    psfs = [galsim_psf(b, psf) for b in bands]
    out = np.zeros((n, len(bands), size, size), np.float32)
    image = galsim.ImageF(size, size, scale=scale)
    # galaxies in order of Sersic index: GalSim sets up each index once
    for i in np.lexsort((np.arange(n), sersic_n, ~point)):
        if point[i]:
            shape = galsim.DeltaFunction()
        else:
            shape = galsim.Sersic(float(sersic_n[i]),
                                  half_light_radius=float(re[i] * math.sqrt(q[i])))
            shape = shape.shear(q=float(q[i]), beta=float(theta[i]) * galsim.radians)
        for b in range(len(bands)):
            if not flux[i, b] or not np.isfinite(flux[i, b]):
                continue
            obj = galsim.Convolve(shape.withFlux(float(flux[i, b])), psfs[b])
            obj.drawImage(image=image, offset=(float(offsets[i, 0]), float(offsets[i, 1])),
                          method='auto')
            out[i, b] = image.array
    if noise:
        out += noise_images(n, bands=bands, pixel_scale=scale, size=size, depth=depth,
                            seed=seed)
    return out
