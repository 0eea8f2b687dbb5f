# Licensed under a 3-clause BSD style license - see LICENSE.rst
"""
A toy multi-band field: Gaussian sources on Gaussian noise.

It exists to exercise the mechanics of the classifiers (WCS handling,
resampling, units, flags) in tests, examples and benchmarks. It is *not* a
physical model of galaxies: the colours are random and carry no class.
"""

import astropy.units as u
import numpy as np
from astropy.nddata import NDData
from astropy.table import QTable
from astropy.wcs.utils import proj_plane_pixel_scales
from scipy.special import ndtr

from astro_galclass.nircam import (
    LONG_WAVE_BANDS,
    NATIVE_PIXEL_SCALE,
    NIRCAM_BANDS,
    PSF_FWHM,
)
from astro_galclass.simulate._field import FIELD_CENTER, make_tan_wcs, paste_stamps

__all__ = ['make_tan_wcs', 'make_toy_field', 'render_gaussians']


def render_gaussians(wcs, shape, positions, fluxes, fwhm):
    """
    Image of circular Gaussian sources, integrated over each pixel.

    Parameters
    ----------
    wcs : `~astropy.wcs.WCS`
        Celestial WCS of the image (square pixels).
    shape : tuple of int
        ``(ny, nx)``.
    positions : `~astropy.coordinates.SkyCoord`
        Source centres.
    fluxes : `~astropy.units.Quantity` or array
        Total flux of each source; the image is in the same unit per pixel.
    fwhm : `~astropy.units.Quantity`
        Full width at half maximum, scalar or one per source.

    Returns
    -------
    image : `~numpy.ndarray`
        Flux per pixel; its sum is the total flux of the sources inside.
    """
    fluxes = u.Quantity(fluxes).value
    scale = proj_plane_pixel_scales(wcs.celestial).mean() * 3600  # arcsec
    sigma = np.broadcast_to(u.Quantity(fwhm).to_value(u.arcsec) / scale
                            / (2 * np.sqrt(2 * np.log(2))), fluxes.shape)
    x, y = wcs.world_to_pixel(positions)
    x, y = np.atleast_1d(x), np.atleast_1d(y)
    image = np.zeros(shape)
    if fluxes.size == 0:
        return image
    half = int(np.ceil(6 * sigma.max())) + 1
    ox = np.round(x).astype(int) - half                     # first column of each stamp
    oy = np.round(y).astype(int) - half
    ix = ox[:, None] + np.arange(2 * half + 1)              # (N, stamp)
    iy = oy[:, None] + np.arange(2 * half + 1)
    s = sigma[:, None]
    px = ndtr((ix + 0.5 - x[:, None]) / s) - ndtr((ix - 0.5 - x[:, None]) / s)
    py = ndtr((iy + 0.5 - y[:, None]) / s) - ndtr((iy - 0.5 - y[:, None]) / s)
    stamps = fluxes[:, None, None] * py[:, :, None] * px[:, None, :]
    paste_stamps(image, stamps, ox, oy)
    return image


def make_toy_field(n_sources=20, *, field_size=20 * u.arcsec, seed=None,
                   bands=NIRCAM_BANDS, pixel_scales=None, noise=0.05,
                   unit='MJy/sr', lw_offset=0 * u.arcsec):
    """
    Seven toy NIRCam mosaics with Gaussian sources, and their truth table.

    Parameters
    ----------
    n_sources : int, optional
        Number of sources, placed uniformly over the field.
    field_size : `~astropy.units.Quantity`, optional
        Side of the square field.
    seed : int, optional
        Seed of the random generator.
    bands : sequence of str, optional
        NIRCam bands to make.
    pixel_scales : dict, optional
        Band -> angle per pixel; the native NIRCam scales by default
        (0.031"/pix short wave, 0.063"/pix long wave).
    noise : float, optional
        Standard deviation of the white pixel noise, nJy per pixel.
    unit : str or `~astropy.units.Unit`, optional
        Unit of the images: ``'MJy/sr'`` as JWST pipeline products, or a flux
        per pixel such as ``'nJy'``.
    lw_offset : `~astropy.units.Quantity`, optional
        Shift of the long-wave footprints to the east, to give the bands
        different footprints.

    Returns
    -------
    images : dict
        Band -> `~astropy.nddata.NDData` with a TAN WCS and ``unit``.
    truth : `~astropy.table.QTable`
        ``id``, ``sky_centroid``, the intrinsic Gaussian FWHM ``size_fwhm``
        and ``flux_<band>`` (total flux in nJy).

    Examples
    --------
    >>> from astro_galclass.simulate import make_toy_field
    >>> images, truth = make_toy_field(n_sources=5, seed=1)
    >>> list(images)[:2], images['F444W'].unit
    (['F090W', 'F115W'], Unit("MJy / sr"))
    >>> len(truth)
    5
    """
    rng = np.random.default_rng(seed)
    unit = u.Unit(unit)
    side = u.Quantity(field_size).to_value(u.arcsec)
    pixel_scales = dict(NATIVE_PIXEL_SCALE if pixel_scales is None else pixel_scales)

    # positions uniform in the tangent plane of the field
    offsets = (rng.uniform(-0.5, 0.5, size=(2, n_sources)) * side) * u.arcsec
    positions = FIELD_CENTER.spherical_offsets_by(offsets[0], offsets[1])
    total = 10 ** rng.uniform(np.log10(5), np.log10(500), n_sources)  # nJy
    size_fwhm = rng.uniform(0.0, 0.15, n_sources) * u.arcsec

    truth = QTable()
    truth['id'] = np.arange(1, n_sources + 1)
    truth['sky_centroid'] = positions
    truth['size_fwhm'] = size_fwhm

    images = {}
    for band in bands:
        scale = u.Quantity(pixel_scales[band]).to(u.arcsec / u.pix)
        npix = int(np.ceil(side / scale.value))
        center = FIELD_CENTER
        if band in LONG_WAVE_BANDS:
            center = FIELD_CENTER.spherical_offsets_by(lw_offset, 0 * u.arcsec)
        wcs = make_tan_wcs(center, scale, (npix, npix))
        flux = total * rng.lognormal(0.0, 0.3, n_sources)
        fwhm = np.hypot(PSF_FWHM[band].to_value(u.arcsec),
                        size_fwhm.to_value(u.arcsec)) * u.arcsec
        image = render_gaussians(wcs, (npix, npix), positions, flux, fwhm)
        image += rng.normal(0.0, noise, image.shape)
        pixel_area = (scale * u.pix) ** 2
        if unit.is_equivalent(u.nJy / u.sr):
            data = (image * u.nJy / pixel_area).to_value(unit)
        else:
            data = (image * u.nJy).to_value(unit)
        images[band] = NDData(data.astype(np.float32), wcs=wcs, unit=unit)
        truth[f'flux_{band}'] = flux * u.nJy
    return images, truth
