# Licensed under a 3-clause BSD style license - see LICENSE.rst
"""
Mosaics: the field centre and TAN WCS of the simulated fields, stamps pasted
into mosaics, and the observed footprint of a mosaic. Used by
`~astro_galclass.simulate.NIRCamSimulator.make_field` and
`~astro_galclass.simulate.make_toy_field`.
"""

import astropy.units as u
import numpy as np
from astropy.coordinates import SkyCoord
from astropy.nddata import NDData
from astropy.wcs import WCS

from astro_galclass.nircam import APERTURE_RADIUS, LONG_WAVE_BANDS, NATIVE_PIXEL_SCALE
from astro_galclass.simulate._render import render_images

__all__ = ['FIELD_CENTER', 'footprint', 'make_mosaics', 'make_tan_wcs', 'paste_stamps']

#: A position in GOODS-South, the JADES deep field: the default field centre.
FIELD_CENTER = SkyCoord(53.16 * u.deg, -27.78 * u.deg)


def make_tan_wcs(center, pixel_scale, shape, *, rotation=0 * u.deg):
    """
    A gnomonic (TAN) WCS with north up and east left, optionally rotated.

    Parameters
    ----------
    center : `~astropy.coordinates.SkyCoord`
        Sky position of the array centre.
    pixel_scale : `~astropy.units.Quantity`
        Angle per pixel.
    shape : tuple of int
        ``(ny, nx)`` of the image.
    rotation : `~astropy.units.Quantity`, optional
        Position angle of the image's +y axis, east of north.

    Returns
    -------
    wcs : `~astropy.wcs.WCS`
        Celestial WCS with ``pixel_shape`` set.
    """
    scale = u.Quantity(pixel_scale).to_value(u.deg / u.pix)
    theta = u.Quantity(rotation).to_value(u.rad)
    wcs = WCS(naxis=2)
    wcs.wcs.ctype = ['RA---TAN', 'DEC--TAN']
    wcs.wcs.crval = [center.icrs.ra.deg, center.icrs.dec.deg]
    wcs.wcs.crpix = [(shape[1] + 1) / 2, (shape[0] + 1) / 2]
    wcs.wcs.cdelt = [-scale, scale]
    wcs.wcs.pc = [[np.cos(theta), -np.sin(theta)], [np.sin(theta), np.cos(theta)]]
    wcs.wcs.cunit = ['deg', 'deg']
    wcs.wcs.radesys = 'ICRS'
    wcs.pixel_shape = (shape[1], shape[0])
    return wcs


def paste_stamps(image, stamps, ox, oy):
    """
    Add square ``stamps`` (N, s, s) into ``image``, in place.

    ``ox``, ``oy`` (N,) are the integer column and row of each stamp's
    first pixel in ``image``; the parts of stamps outside ``image`` are
    dropped, and overlapping stamps add up.
    """
    s = stamps.shape[1]
    ny, nx = image.shape
    rows = oy[:, None, None] + np.arange(s)[None, :, None]
    cols = ox[:, None, None] + np.arange(s)[None, None, :]
    rows, cols = np.broadcast_arrays(rows, cols)
    inside = (rows >= 0) & (rows < ny) & (cols >= 0) & (cols < nx)
    np.add.at(image, (rows[inside], cols[inside]), stamps[inside])


def footprint(shape, rng):
    """A rotated rectangle covering most of the array: True where observed."""
    ny, nx = shape
    yy, xx = np.mgrid[:ny, :nx]
    angle = np.deg2rad(rng.uniform(10, 25))
    cx, cy = (nx - 1) / 2 + rng.normal(0, 0.01 * nx), (ny - 1) / 2 + rng.normal(0, 0.01 * ny)
    u_ = (xx - cx) * np.cos(angle) + (yy - cy) * np.sin(angle)
    v_ = -(xx - cx) * np.sin(angle) + (yy - cy) * np.cos(angle)
    half = 0.5 * min(nx, ny) * 0.82
    return (np.abs(u_) < half) & (np.abs(v_) < half)


def make_mosaics(truth, positions, *, center, width, height, bands, sigma_aperture, rng,
                 nan_border=True, electrons_per_njy=None, stamp=64):
    """
    Noisy mosaics at the native NIRCam pixel scales, one per band.

    Parameters
    ----------
    truth : `~astropy.table.QTable`
        Sources, as `~astro_galclass.simulate.NIRCamSimulator.draw_sources`
        returns them.
    positions : `~astropy.coordinates.SkyCoord`
        Sky position of each source.
    center : `~astropy.coordinates.SkyCoord`
        Field centre, the centre of every mosaic.
    width, height : float
        Size of the field, arcsec.
    bands : tuple of str
        NIRCam bands, in the order of the flux columns.
    sigma_aperture : dict
        Band -> 1-sigma noise (nJy) of an r = 0.16" aperture sum; the pixel
        noise is white, at that depth.
    rng : `numpy.random.Generator`
        Draws the footprints and the noise.
    nan_border : bool, optional
        Mark pixels outside a rotated footprint per channel as NaN.
    electrons_per_njy : `~numpy.ndarray`, optional
        Detected electrons per nJy, per band: when given, the sources'
        Poisson noise (Gaussian) is added.
    stamp : int, optional
        Side (pixels) of the stamp each source is rendered in.

    Returns
    -------
    images : dict
        Band -> `~astropy.nddata.NDData` in MJy/sr with a TAN WCS.
    """
    images = {}
    short = [b for b in bands if b not in LONG_WAVE_BANDS]
    long_ = [b for b in bands if b in LONG_WAVE_BANDS]
    for channel in (short, long_):
        scale = NATIVE_PIXEL_SCALE[channel[0]].value
        shape_c = (round(height / scale), round(width / scale))
        wcs = make_tan_wcs(center, scale * u.arcsec / u.pix, shape_c)
        x, y = wcs.world_to_pixel(positions)
        ox = np.floor(x).astype(int) - stamp // 2 + 1
        oy = np.floor(y).astype(int) - stamp // 2 + 1
        offsets = np.stack([x - ox - (stamp - 1) / 2, y - oy - (stamp - 1) / 2], axis=1)
        stamps = render_images(truth, offsets, scale, stamp, bands=bands)
        observed = footprint(shape_c, rng) if nan_border else None
        for band in channel:
            b = bands.index(band)
            image = np.zeros(shape_c, dtype=np.float64)
            paste_stamps(image, stamps[:, b], ox, oy)
            sigma = sigma_aperture[band] / np.sqrt(np.pi * (APERTURE_RADIUS / scale) ** 2)
            noise = sigma * rng.standard_normal(shape_c)
            if electrons_per_njy is not None:
                noise += np.sqrt(np.clip(image, 0, None) / electrons_per_njy[b]) \
                    * rng.standard_normal(shape_c)
            image += noise
            if observed is not None:
                image[~observed] = np.nan
            pixel_area = (scale * u.arcsec) ** 2
            data = (image * u.nJy / pixel_area).to_value(u.MJy / u.sr)
            images[band] = NDData(data.astype(np.float32), wcs=wcs.deepcopy(),
                                  unit=u.MJy / u.sr)
    return images
