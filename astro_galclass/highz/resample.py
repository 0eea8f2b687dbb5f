# Licensed under a 3-clause BSD style license - see LICENSE.rst
"""
Vectorised extraction of resampled cutouts from mosaics.

Each band of a NIRCam data set may have its own pixel scale (0.031"/pix in
the short-wave and 0.063"/pix in the long-wave channel at native
resolution), orientation and footprint. For every source, the band's WCS is
linearised around the source position (a 2 x 2 Jacobian from pixel offsets
to east/north offsets on the sky, exact to well below a milli-pixel over a
2" cutout of a TAN mosaic), and the cutout grid of the model, north up and
east left, is mapped into the band's pixels. Values are interpolated
bilinearly as a surface brightness and multiplied by the area of the output
pixel, which conserves flux; when the output pixels are larger than the
input pixels, each output pixel averages ``k x k`` sub-samples so that it
integrates over its area rather than sampling one point.

All sources of a chunk are processed at once with NumPy gathers: there is no
Python loop over sources or `~astropy.nddata.Cutout2D` calls.
"""

import math

import astropy.units as u
import numpy as np
from astropy.coordinates import SkyCoord

from astro_galclass.utils._images import unpack_image
from astro_galclass.utils._units import check_flux_unit, flux_conversion

__all__ = ['extract_cutouts']

#: Step (arcsec) used to linearise a WCS around each source.
_JACOBIAN_STEP = 1.0 * u.arcsec


class BandSampler:
    """
    Samples one band's image on the model's cutout grid.

    Parameters
    ----------
    image : `~astro_galclass.utils._images.ImageData`
        The band's image, with a celestial WCS and a flux unit.
    size : int
        Cutout side in pixels.
    pixel_scale : float
        Cutout pixel scale in arcsec per pixel.
    """

    def __init__(self, image, *, size, pixel_scale):
        self.image = image
        self.size = size
        self.pixel_scale = pixel_scale
        self.data = image.data
        self.mask = image.mask
        c = (size - 1) / 2
        offsets = (np.arange(size) - c) * pixel_scale
        # east increases to the left (decreasing column), north upwards
        self._east = -offsets[None, :]                # (1, size) by column
        self._north = offsets[:, None]                # (size, 1) by row

    def jacobian(self, coords):
        """
        Pixel position and local Jacobian (pixels per arcsec) of each source.

        Returns ``x0, y0`` (N,) and ``jac`` (N, 2, 2) with
        ``[dx, dy] = jac @ [d_east, d_north]``.
        """
        wcs = self.image.wcs
        step = _JACOBIAN_STEP.to_value(u.arcsec)
        x0, y0 = wcs.world_to_pixel(coords)
        xe, ye = wcs.world_to_pixel(coords.spherical_offsets_by(_JACOBIAN_STEP,
                                                                0 * u.arcsec))
        xn, yn = wcs.world_to_pixel(coords.spherical_offsets_by(0 * u.arcsec,
                                                                _JACOBIAN_STEP))
        jac = np.empty((len(x0), 2, 2))
        jac[:, 0, 0] = (xe - x0) / step
        jac[:, 0, 1] = (xn - x0) / step
        jac[:, 1, 0] = (ye - y0) / step
        jac[:, 1, 1] = (yn - y0) / step
        return np.asarray(x0, float), np.asarray(y0, float), jac

    def sample(self, coords, unit):
        """
        Cutouts of this band around ``coords``.

        Returns
        -------
        values : `~numpy.ndarray`
            ``(N, size, size)`` float32 in nJy per output pixel, NaN where
            there is no valid data.
        outside : `~numpy.ndarray` of bool
            ``(N, size, size)``, True beyond the image's edge.
        """
        x0, y0, jac = self.jacobian(coords)
        n = len(x0)
        det = np.abs(jac[:, 0, 0] * jac[:, 1, 1] - jac[:, 0, 1] * jac[:, 1, 0])
        in_area = 1.0 / det                                   # arcsec2 per input pixel
        out_area = self.pixel_scale ** 2
        finite = np.isfinite(x0) & np.isfinite(y0) & np.isfinite(det) & (det > 0)
        in_scale = np.sqrt(np.median(in_area[finite])) if finite.any() else 1.0
        k = max(1, math.ceil(self.pixel_scale / in_scale - 1e-3))

        factor = flux_conversion(unit, out_area, in_pixel_area=in_area,
                                 what=self.image.label)
        factor = np.broadcast_to(np.asarray(factor, float), (n,))

        ny, nx = self.data.shape
        sub = ((np.arange(k) + 0.5) / k - 0.5) * self.pixel_scale
        values = np.zeros((n, self.size, self.size), dtype=np.float64)
        outside = np.zeros((n, self.size, self.size), dtype=bool)
        x0 = np.where(finite, x0, -1e9)
        y0 = np.where(finite, y0, -1e9)
        j = jac[:, :, :, None, None]
        for sy in sub:
            for sx in sub:
                east = (self._east - sx)[None]                # (1, 1, size)
                north = (self._north + sy)[None]              # (1, size, 1)
                x = x0[:, None, None] + j[:, 0, 0] * east + j[:, 0, 1] * north
                y = y0[:, None, None] + j[:, 1, 0] * east + j[:, 1, 1] * north
                val, out = self._bilinear(x, y, nx, ny)
                values += val
                outside |= out
        values *= factor[:, None, None] / (k * k)
        return values.astype(np.float32), outside

    def _bilinear(self, x, y, nx, ny):
        """Bilinear interpolation at pixel coordinates; NaN where invalid."""
        outside = (x < -0.5) | (x >= nx - 0.5) | (y < -0.5) | (y >= ny - 0.5)
        # clamp so that positions in the outer half pixel use the edge value
        xc = np.clip(x, 0, nx - 1)
        yc = np.clip(y, 0, ny - 1)
        ix = np.minimum(np.floor(xc).astype(np.intp), max(nx - 2, 0))
        iy = np.minimum(np.floor(yc).astype(np.intp), max(ny - 2, 0))
        fx = xc - ix
        fy = yc - iy
        ix1 = np.minimum(ix + 1, nx - 1)
        iy1 = np.minimum(iy + 1, ny - 1)
        data = self.data
        v00 = data[iy, ix]
        v01 = data[iy, ix1]
        v10 = data[iy1, ix]
        v11 = data[iy1, ix1]
        val = ((v00 * (1 - fx) + v01 * fx) * (1 - fy)
               + (v10 * (1 - fx) + v11 * fx) * fy)
        bad = outside | ~np.isfinite(val)
        if self.mask is not None:
            m = self.mask
            bad |= m[iy, ix] | m[iy, ix1] | m[iy1, ix] | m[iy1, ix1]
        val = np.where(bad, np.nan, val)
        return val, outside


def _check_units(images, unit):
    """Resolve each band's unit: all or none, ``unit`` filling in for none."""
    units = {band: image.unit for band, image in images.items()}
    with_unit = [b for b, un in units.items() if un is not None]
    if with_unit and len(with_unit) != len(units):
        described = ', '.join(f'{b}: {units[b]}' for b in units)
        msg = ('units must be given for all images or for none; got '
               f'{described}')
        raise ValueError(msg)
    if not with_unit:
        if unit is None:
            msg = ('the images carry no unit (NDData.unit or the FITS BUNIT '
                   'keyword); pass unit= (e.g. "MJy/sr" or "nJy") to say what '
                   'they are in')
            raise ValueError(msg)
        units = dict.fromkeys(units, u.Unit(unit))
    elif unit is not None:
        from astro_galclass.exceptions import AstroGalclassUserWarning
        import warnings
        warnings.warn(f'unit={unit!s} is ignored: the images carry their own '
                      'units, which are used', AstroGalclassUserWarning,
                      stacklevel=4)
    for band, un in units.items():
        check_flux_unit(un, f'image for {band}')
    return units


def prepare_images(images, bands, *, unit=None):
    """
    Unpack and validate the band -> image mapping of `extract_cutouts`.

    Returns a dict band -> (`BandSampler`-ready image, unit). Bands of
    ``bands`` absent from ``images`` map to `None`.
    """
    if not isinstance(images, dict):
        msg = ('images must be a dict mapping band names to NDData, CCDData, '
               f'FITS HDUs or paths, got {type(images).__name__}')
        raise TypeError(msg)
    unknown = [b for b in images if b not in bands]
    if unknown:
        msg = (f'images has bands {unknown} that the model does not use; '
               f'expected bands among {list(bands)}')
        raise ValueError(msg)
    if not images:
        msg = f'images is empty; expected images for the bands {list(bands)}'
        raise ValueError(msg)
    unpacked = {}
    for band, obj in images.items():
        image = unpack_image(obj, f'image for {band}')
        if image.wcs is None:
            msg = (f'image for {band} has no celestial WCS; a WCS is needed to '
                   'place catalog positions on it')
            raise ValueError(msg)
        data = image.data
        if not np.isfinite(data).any():
            msg = (f'image for {band} contains no finite pixel (all NaN or '
                   'inf); expected image data')
            raise ValueError(msg)
        if image.mask is not None and image.mask.all():
            msg = f'image for {band} is masked everywhere; expected image data'
            raise ValueError(msg)
        unpacked[band] = image
    units = _check_units(unpacked, unit)
    return {band: (unpacked[band], units[band]) if band in unpacked else None
            for band in bands}


def sample_chunk(prepared, coords, *, size, pixel_scale, samplers):
    """
    Cutouts of all bands for one chunk of positions.

    Returns values ``(N, n_bands, size, size)`` (NaN where no data) and
    ``outside`` of the same shape.
    """
    n = len(coords)
    n_bands = len(prepared)
    values = np.full((n, n_bands, size, size), np.nan, dtype=np.float32)
    outside = np.ones((n, n_bands, size, size), dtype=bool)
    for i, (band, entry) in enumerate(prepared.items()):
        if entry is None:
            continue
        image, unit = entry
        if band not in samplers:
            samplers[band] = BandSampler(image, size=size,
                                         pixel_scale=pixel_scale)
        values[:, i], outside[:, i] = samplers[band].sample(coords, unit)
    return values, outside


def extract_cutouts(images, positions, *, bands, size=64,
                    pixel_scale=0.03 * u.arcsec / u.pix, unit=None):
    """
    Extract flux-conserving cutouts of several bands around sky positions.

    Parameters
    ----------
    images : dict
        Band name -> `~astropy.nddata.NDData`, `~astropy.nddata.CCDData`,
        FITS HDU or FITS path, each with a celestial WCS and a flux unit
        (surface brightness such as MJy/sr, or flux per pixel such as nJy).
        Bands may differ in pixel scale, orientation and footprint.
    positions : `~astropy.coordinates.SkyCoord`
        Source positions.
    bands : sequence of str
        Band order of the output. Bands missing from ``images`` give NaN.
    size : int, optional
        Cutout side in pixels.
    pixel_scale : `~astropy.units.Quantity`, optional
        Cutout pixel scale (angle per pixel, or angle).
    unit : `~astropy.units.Unit` or str, optional
        Unit of images that carry none. Units are all or none.

    Returns
    -------
    cutouts : `~astropy.units.Quantity`
        ``(N, n_bands, size, size)`` in nJy per cutout pixel, north up and
        east left, the source at the array centre ``((size-1)/2,
        (size-1)/2)``; NaN where there is no valid data.
    flags : `~numpy.ndarray`
        ``(N,)`` `~astro_galclass.highz.HighZFlag` bits.

    Examples
    --------
    >>> import astropy.units as u
    >>> from astro_galclass.simulate import make_toy_field
    >>> from astro_galclass.highz import extract_cutouts
    >>> images, truth = make_toy_field(n_sources=3, seed=0)
    >>> cutouts, flags = extract_cutouts(images, truth['sky_centroid'],
    ...                                  bands=list(images))
    >>> cutouts.shape, cutouts.unit
    ((3, 7, 64, 64), Unit("nJy"))
    """
    from astro_galclass.highz.flags import cutout_flags

    if not isinstance(positions, SkyCoord):
        msg = f'positions must be a SkyCoord, got {type(positions).__name__}'
        raise TypeError(msg)
    scale = _pixel_scale_arcsec(pixel_scale)
    prepared = prepare_images(images, tuple(bands), unit=unit)
    coords = positions.reshape((1,)) if positions.isscalar else positions
    values, outside = sample_chunk(prepared, coords.icrs, size=size,
                                   pixel_scale=scale, samplers={})
    return values * u.nJy, cutout_flags(values, outside)


def _pixel_scale_arcsec(pixel_scale):
    """Pixel scale as a float in arcsec per pixel."""
    if not isinstance(pixel_scale, u.Quantity):
        msg = ('pixel_scale must be a Quantity (e.g. 0.03 * u.arcsec / u.pix), '
               f'got {type(pixel_scale).__name__}')
        raise TypeError(msg)
    try:
        value = pixel_scale.to_value(u.arcsec / u.pix)
    except u.UnitConversionError:
        try:
            value = pixel_scale.to_value(u.arcsec)
        except u.UnitConversionError as exc:
            msg = ('pixel_scale must be an angle per pixel (e.g. arcsec/pix), '
                   f'got unit {pixel_scale.unit}')
            raise ValueError(msg) from exc
    if not (np.isscalar(value) and np.isfinite(value) and value > 0):
        msg = f'pixel_scale must be a positive scalar, got {pixel_scale}'
        raise ValueError(msg)
    return float(value)
