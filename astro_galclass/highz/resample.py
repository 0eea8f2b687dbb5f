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

The sources of a chunk are processed together with NumPy gathers from one
window of the image that holds all their cutouts (several windows when they
are far apart, each at most `MAX_WINDOW_PIXELS`): there is no Python loop
over pixels or `~astropy.nddata.Cutout2D` calls, and a mosaic given as a FITS
path is read window by window, never whole.
"""

import math

import astropy.units as u
import numpy as np
from astropy.coordinates import SkyCoord

from astro_galclass.utils._images import unpack_image
from astro_galclass.utils._progress import progress_bar
from astro_galclass.utils._units import flux_conversion, pixel_scale_arcsec, resolve_units

__all__ = ['extract_cutouts']

#: Sources resampled together: bounds the memory of the intermediate arrays.
CHUNK_SIZE = 256

#: Largest image window (pixels) that sources share: one is read per group
#: of nearby sources, so that a mosaic is never read whole.
MAX_WINDOW_PIXELS = 4096 * 4096

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

        Parameters
        ----------
        coords : `~astropy.coordinates.SkyCoord`
            ``(N,)`` source positions; the Jacobian is measured with offsets
            of 1 arcsec east and north of each.
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

        Parameters
        ----------
        coords : `~astropy.coordinates.SkyCoord`
            ``(N,)`` positions of the cutout centres.
        unit : `~astropy.units.UnitBase`
            Unit of the band's pixel values (surface brightness or flux per
            pixel), converted to nJy per output pixel.

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
        finite = np.isfinite(x0) & np.isfinite(y0) & np.isfinite(det) & (det > 0)
        in_area = np.where(finite, 1.0 / np.where(finite, det, 1.0), 1.0)
        in_scale = np.sqrt(np.median(in_area[finite])) if finite.any() else 1.0
        k = max(1, math.ceil(self.pixel_scale / in_scale - 1e-3))
        factor = flux_conversion(unit, self.pixel_scale ** 2,
                                 in_pixel_area=in_area, what=self.image.label)
        factor = np.broadcast_to(np.asarray(factor, float), (n,))

        # Integer anchor pixel per source plus small float32 offsets: exact
        # enough (1e-5 pixel) and half the memory traffic of float64.
        far = -10.0 * max(self.data.shape) - 10
        x0 = np.where(finite, x0, far)
        y0 = np.where(finite, y0, far)
        jac = np.where(finite[:, None, None], jac, 0.0)
        ax = np.floor(x0)
        ay = np.floor(y0)
        lx0 = (x0 - ax).astype(np.float32)[:, None, None]
        ly0 = (y0 - ay).astype(np.float32)[:, None, None]
        j = jac.astype(np.float32)[:, :, :, None, None]
        sub = ((np.arange(k) + 0.5) / k - 0.5) * self.pixel_scale
        ax = ax.astype(np.intp)
        ay = ay.astype(np.intp)

        # the arithmetic of the data's type (at least float32), as one array
        dtype = np.result_type(self.data.dtype, np.float32)
        values = np.full((n, self.size, self.size), np.nan, dtype)
        outside = np.ones((n, self.size, self.size), bool)
        for group, (rows, cols) in self._windows(x0, y0, jac):
            data, bad = self.image.window(rows, cols)
            val_g = out_g = None
            for sy in sub:
                for sx in sub:
                    east = (self._east - sx).astype(np.float32)[None]    # (1, 1, size)
                    north = (self._north + sy).astype(np.float32)[None]  # (1, size, 1)
                    lx = lx0[group] + j[group, 0, 0] * east + j[group, 0, 1] * north
                    ly = ly0[group] + j[group, 1, 0] * east + j[group, 1, 1] * north
                    val, out = self._bilinear(ax[group], ay[group], lx, ly, data, bad,
                                              (rows.start, cols.start))
                    if val_g is None:
                        val_g, out_g = val, out
                    else:
                        val_g += val
                        out_g |= out
            values[group] = val_g
            outside[group] = out_g
        values *= (factor / (k * k)).astype(values.dtype)[:, None, None]
        # a position the WCS cannot place (e.g. the far side of the sky from a
        # TAN projection) is off the image, not a cutout of bad pixels
        outside[~finite] = True
        values[~finite] = np.nan
        return values.astype(np.float32, copy=False), outside

    def _windows(self, x0, y0, jac):
        """
        Groups of sources and the image window each group reads.

        Yields ``(indices, (rows, cols))``. A source's window holds every
        pixel its cutout's bilinear samples touch (the grid's corners mapped
        through the Jacobian, plus two pixels); sources in catalog order
        share a window while it stays below `MAX_WINDOW_PIXELS`. Sources
        whose cutout misses the image altogether are in no group (they stay
        NaN and outside).
        """
        ny, nx = self.data.shape
        half = (self.size / 2 + 0.5) * self.pixel_scale
        corners = np.array([[-half, -half], [-half, half], [half, -half], [half, half]])
        dx = np.einsum('nij,cj->nci', jac, corners)          # (N, 4, 2) pixel offsets
        x_lo = np.floor(x0 + dx[:, :, 0].min(axis=1)) - 2
        x_hi = np.ceil(x0 + dx[:, :, 0].max(axis=1)) + 2
        y_lo = np.floor(y0 + dx[:, :, 1].min(axis=1)) - 2
        y_hi = np.ceil(y0 + dx[:, :, 1].max(axis=1)) + 2
        hits = (x_hi >= 0) & (x_lo <= nx - 1) & (y_hi >= 0) & (y_lo <= ny - 1)
        x_lo = np.clip(x_lo, 0, nx - 2).astype(np.intp)
        x_hi = np.clip(x_hi, 1, nx - 1).astype(np.intp)
        y_lo = np.clip(y_lo, 0, ny - 2).astype(np.intp)
        y_hi = np.clip(y_hi, 1, ny - 1).astype(np.intp)
        group, box = [], None
        for i in np.flatnonzero(hits):
            new = (i, x_lo[i], x_hi[i], y_lo[i], y_hi[i])
            if box is not None:
                merged = (min(box[0], new[1]), max(box[1], new[2]),
                          min(box[2], new[3]), max(box[3], new[4]))
                area = (merged[1] - merged[0] + 1) * (merged[3] - merged[2] + 1)
                if area <= MAX_WINDOW_PIXELS:
                    group.append(i)
                    box = merged
                    continue
                yield np.array(group), (slice(box[2], box[3] + 1), slice(box[0], box[1] + 1))
            group, box = [i], new[1:]
        if group:
            yield np.array(group), (slice(box[2], box[3] + 1), slice(box[0], box[1] + 1))

    def _bilinear(self, ax, ay, lx, ly, data, bad, origin):
        """
        Bilinear interpolation at pixel ``(ax + lx, ay + ly)``; NaN where invalid.

        ``ax``, ``ay`` are integer anchors per source, ``lx``, ``ly`` float32
        offsets ``(N, size, size)``, all in the image's pixels; ``data`` and
        ``bad`` are the window of the image starting at pixel ``origin``
        (row, column) that holds every pixel read. Positions within the
        outer half pixel of the image use the edge pixels; beyond that they
        are outside.
        """
        ny, nx = self.data.shape
        a_x = ax[:, None, None]
        a_y = ay[:, None, None]
        fx0 = np.floor(lx)
        fy0 = np.floor(ly)
        ix = np.clip(a_x + fx0.astype(np.intp), 0, nx - 2)
        iy = np.clip(a_y + fy0.astype(np.intp), 0, ny - 2)
        # fractional position relative to the clipped pixel, clamped to [0, 1]
        fx = np.clip(lx + (a_x - ix).astype(np.float32), 0, 1)
        fy = np.clip(ly + (a_y - iy).astype(np.float32), 0, 1)
        outside = ((lx < (-0.5 - a_x).astype(np.float32))
                   | (lx >= (nx - 0.5 - a_x).astype(np.float32))
                   | (ly < (-0.5 - a_y).astype(np.float32))
                   | (ly >= (ny - 0.5 - a_y).astype(np.float32)))
        wx = data.shape[1]
        flat = data.reshape(-1)
        idx = (iy - origin[0]) * wx + (ix - origin[1])
        v00 = flat.take(idx)
        v01 = flat.take(idx + 1)
        v10 = flat.take(idx + wx)
        v11 = flat.take(idx + wx + 1)
        val = v00 + fx * (v01 - v00)
        val += fy * ((v10 + fx * (v11 - v10)) - val)
        invalid = outside | ~np.isfinite(val)
        if bad is not None:
            m = bad.reshape(-1)
            invalid |= m.take(idx) | m.take(idx + 1) | m.take(idx + wx) | m.take(idx + wx + 1)
        val[invalid] = np.nan
        return val, outside


def prepare_images(images, bands, *, unit=None):
    """
    Unpack and validate the band -> image mapping of `extract_cutouts`.

    Returns a dict band -> (`BandSampler`-ready image, unit). Bands of
    ``bands`` absent from ``images`` map to `None`.

    Parameters
    ----------
    images : dict
        Band name -> `~astropy.nddata.NDData`, `~astropy.nddata.CCDData`,
        FITS HDU or FITS path, each with a celestial WCS; every band must be
        one of ``bands``.
    bands : sequence of str
        The bands, in the order of the returned dict.
    unit : `~astropy.units.Unit` or str, optional
        Unit of images that carry none. Units are all or none.
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
        image = unpack_image(obj, f'image for {band}', lazy=True)
        if image.wcs is None:
            msg = (f'image for {band} has no celestial WCS; a WCS is needed to '
                   'place catalog positions on it')
            raise ValueError(msg)
        data = image.data
        if min(data.shape) < 2:
            msg = (f'image for {band} must be at least 2 x 2 pixels, got '
                   f'shape {data.shape}')
            raise ValueError(msg)
        finite, valid = _has_data(image)
        if not finite:
            msg = (f'image for {band} contains no finite pixel (all NaN or '
                   'inf); expected image data')
            raise ValueError(msg)
        if not valid:
            msg = (f'image for {band} is masked everywhere (its mask, or its weight, '
                   'error or context map, says no pixel has data); expected image data')
            raise ValueError(msg)
        unpacked[band] = image
    units = resolve_units({b: im.unit for b, im in unpacked.items()}, unit,
                          what='images', stacklevel=4)
    return {band: (unpacked[band], units[band]) if band in unpacked else None
            for band in bands}


#: Pixels per block when an image is scanned for data.
_SCAN_BLOCK = 1 << 20


def _has_data(image):
    """
    ``(any finite pixel, any finite pixel neither masked nor uncovered)``.

    Reads blocks of rows and stops at the first valid pixel, so that a mosaic
    with data is not read whole (and no image-sized temporary array is made).
    """
    ny, nx = image.data.shape
    rows = max(1, _SCAN_BLOCK // nx)
    finite = False
    for start in range(0, ny, rows):
        data, bad = image.window(slice(start, start + rows), slice(0, nx))
        ok = np.isfinite(data)
        if not ok.any():
            continue
        finite = True
        if bad is None or (ok & ~bad).any():
            return True, True
    return finite, False


def sample_chunk(prepared, coords, *, size, pixel_scale):
    """
    Cutouts of all bands for one chunk of positions.

    Returns values ``(N, n_bands, size, size)`` (NaN where no data) and
    ``outside`` of the same shape.

    Parameters
    ----------
    prepared : dict
        Band -> (image, unit) or `None`, as returned by `prepare_images`;
        its order is the band order of the output, and a `None` band is all
        NaN and outside.
    coords : `~astropy.coordinates.SkyCoord`
        ``(N,)`` positions of the cutout centres.
    size : int
        Cutout side in pixels.
    pixel_scale : float
        Cutout pixel scale in arcsec per pixel.
    """
    n = len(coords)
    n_bands = len(prepared)
    values = np.full((n, n_bands, size, size), np.nan, dtype=np.float32)
    outside = np.ones((n, n_bands, size, size), dtype=bool)
    for i, entry in enumerate(prepared.values()):
        if entry is None:
            continue
        image, unit = entry
        sampler = BandSampler(image, size=size, pixel_scale=pixel_scale)
        values[:, i], outside[:, i] = sampler.sample(coords, unit)
    return values, outside


def extract_cutouts(images, positions, *, bands, size=64,
                    pixel_scale=0.03 * u.arcsec / u.pix, unit=None, progress=True):
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
    progress : bool, optional
        Show a progress bar on stderr (only when it is a terminal).

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
    scale = pixel_scale_arcsec(pixel_scale)
    prepared = prepare_images(images, tuple(bands), unit=unit)
    coords = (positions.reshape((1,)) if positions.isscalar else positions).icrs
    values = np.empty((len(coords), len(prepared), size, size), np.float32)
    flags = np.zeros(len(coords), np.int32)
    with progress_bar(total=len(coords), progress=progress, unit='source',
                      desc='cutting out') as bar:
        for start in range(0, len(coords), CHUNK_SIZE):
            part = slice(start, start + CHUNK_SIZE)
            values[part], outside = sample_chunk(prepared, coords[part], size=size,
                                                 pixel_scale=scale)
            flags[part] = cutout_flags(values[part], outside)
            bar.update(len(values[part]))
    return u.Quantity(values, u.nJy, copy=False), flags

