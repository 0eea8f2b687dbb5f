# Licensed under a 3-clause BSD style license - see LICENSE.rst
"""
Photometry helpers: AB magnitudes and nJy, flux per pixel, aperture fluxes.

Aperture sums use photutils' exact overlap of a circle with the pixel grid
(`~photutils.aperture.CircularAperture`).
"""

import numpy as np
from astropy import units as u
from photutils.aperture import CircularAperture

from astro_galclass.nircam.instrument import AB_ZEROPOINT_NJY, DEFAULT_PIXEL_SCALE

__all__ = ['aperture_fluxes', 'flux_per_pixel', 'mag_to_njy', 'njy_to_mag']


def mag_to_njy(mag):
    """
    Flux density in nJy of an AB magnitude.

    Parameters
    ----------
    mag : float or array-like
        AB magnitudes.

    Returns
    -------
    flux : float or `~numpy.ndarray`
        ``10 ** (-0.4 * (mag - 31.4))`` nJy (`AB_ZEROPOINT_NJY`); a Python
        float for a Python float.

    Examples
    --------
    >>> from astro_galclass.nircam import mag_to_njy
    >>> round(mag_to_njy(31.4), 6)
    1.0
    """
    if not np.isscalar(mag):
        mag = np.asarray(mag)
    return 10 ** (-0.4 * (mag - AB_ZEROPOINT_NJY))


def njy_to_mag(flux):
    """
    AB magnitude of a flux density in nJy.

    Parameters
    ----------
    flux : float or array-like
        Flux densities in nJy.

    Returns
    -------
    mag : `~numpy.ndarray` or float
        ``31.4 - 2.5 log10(flux)``; NaN for negative and inf for zero flux
        (no warning).

    Examples
    --------
    >>> from astro_galclass.nircam import njy_to_mag
    >>> float(njy_to_mag(100.0))
    26.4
    """
    with np.errstate(divide='ignore', invalid='ignore'):
        return AB_ZEROPOINT_NJY - 2.5 * np.log10(flux)


def flux_per_pixel(cutouts):
    """
    Cutouts as a float32 array in nJy per pixel.

    Parameters
    ----------
    cutouts : array-like or `~astropy.units.Quantity`
        ``(N, bands, size, size)``: plain numbers are taken to be nJy per
        pixel; a Quantity must be a flux density (per pixel or not).

    Returns
    -------
    flux : `~numpy.ndarray`
        ``(N, bands, size, size)`` float32 in nJy per pixel.

    Raises
    ------
    astropy.units.UnitsError
        For a Quantity that is not a flux density.
    ValueError
        For non-numeric data or another number of dimensions than four.

    Examples
    --------
    >>> import astropy.units as u
    >>> import numpy as np
    >>> from astro_galclass.nircam import flux_per_pixel
    >>> flux_per_pixel(np.ones((1, 7, 4, 4)) * u.uJy)[0, 0, 0, 0]
    np.float32(1000.0)
    """
    if isinstance(cutouts, u.Quantity):
        if cutouts.unit.is_equivalent(u.nJy / u.pix):
            flux = cutouts.to_value(u.nJy / u.pix)
        elif cutouts.unit.is_equivalent(u.nJy):
            flux = cutouts.to_value(u.nJy)
        else:
            msg = f'cutouts must be in flux units per pixel (e.g. nJy), got {cutouts.unit}'
            raise u.UnitsError(msg)
    else:
        flux = np.asarray(cutouts)
    if not np.issubdtype(flux.dtype, np.number) or flux.ndim != 4:
        msg = ('cutouts must be a numeric array of shape (N, bands, size, size), '
               f'got {flux.dtype} with shape {flux.shape}')
        raise ValueError(msg)
    return np.asarray(flux, np.float32)


def aperture_fluxes(cutouts, radii, *, pixel_scale=DEFAULT_PIXEL_SCALE):
    """
    Fluxes in circular apertures at the centre of each cutout.

    The aperture weights are photutils' exact overlap of a circle with the
    pixel grid (`~photutils.aperture.CircularAperture`), so that fractional
    pixels are counted correctly; they are applied to all cutouts at once.

    Parameters
    ----------
    cutouts : array-like or `~astropy.units.Quantity`
        ``(N, bands, size, size)`` in nJy per pixel (see `flux_per_pixel`).
    radii : `~astropy.units.Quantity`
        Aperture radii (angle).
    pixel_scale : `~astropy.units.Quantity`, optional
        Pixel scale of the cutouts.

    Returns
    -------
    fluxes : `~numpy.ndarray`
        ``(N, bands, len(radii))`` in nJy; NaN pixels count as zero.

    Examples
    --------
    >>> import astropy.units as u
    >>> import numpy as np
    >>> from astro_galclass.nircam import aperture_fluxes
    >>> flat = np.ones((1, 1, 64, 64))          # 1 nJy in every pixel
    >>> f = aperture_fluxes(flat, [0.3] * u.arcsec)   # r = 10 pixels
    >>> round(float(f[0, 0, 0]) / np.pi, 3)
    100.0
    """
    flux = np.nan_to_num(flux_per_pixel(cutouts))
    size = flux.shape[-1]
    scale = u.Quantity(pixel_scale).to_value(u.arcsec / u.pix)
    radii = np.atleast_1d(u.Quantity(radii).to_value(u.arcsec)) / scale
    centre = ((size - 1) / 2, (size - 1) / 2)
    weights = np.stack([CircularAperture(centre, r=r).to_mask(method='exact')
                        .to_image((size, size)) for r in radii]).astype(np.float32)
    return np.einsum('nbyx,ryx->nbr', flux, weights, optimize=True).astype(float)
