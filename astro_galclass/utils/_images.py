# Licensed under a 3-clause BSD style license - see LICENSE.rst
"""
Unpack the image containers astronomers use into data, mask, WCS and unit.

Follows photutils' ``unpack_nddata`` pattern: `~astropy.nddata.NDData` and
`~astropy.nddata.CCDData` give their data, mask (True is bad), WCS and unit;
`~astropy.nddata.Cutout2D` its data and WCS; FITS HDUs or file paths their
data, header WCS and ``BUNIT``. Nothing here copies or modifies the data.

Coverage comes from the data's own maps where there are any: pixels with
zero or non-finite weight (an NDData ``uncertainty`` of weights or inverse
variance; a ``WHT`` extension, as JWST and grizli mosaics have) or
non-finite / non-positive error or variance (``uncertainty``; ``ERR``,
``VAR``, ``VAR_POISSON`` extensions), or no contributing exposure
(``CON``/``CONTEXT``), are masked: no data there, whatever the science
array holds (grizli writes 0).
"""

import mmap
import os
import weakref
from dataclasses import dataclass
from os import PathLike

import astropy.units as u
import numpy as np
from astropy.io import fits
from astropy.nddata import Cutout2D, NDData
from astropy.wcs import WCS

__all__ = ['ImageData', 'is_celestial_wcs', 'unpack_image']


@dataclass(frozen=True)
class ImageData:
    """Plain view of one 2-D image: data, bad-pixel mask, WCS and unit."""

    data: np.ndarray
    mask: np.ndarray | None
    wcs: object | None
    unit: u.UnitBase | None
    label: str
    #: A coverage map read window by window (`unpack_image` with ``lazy``):
    #: ``(array, kind)``, kind one of ``'weight'``, ``'error'``, ``'context'``.
    coverage: tuple | None = None

    def window(self, rows, cols):
        """
        The data of a window, and where it has none.

        Only the window is read: a FITS file opened lazily (`unpack_image`
        with ``lazy=True``) is read through a short-lived memory map of the
        window's rows, or `~astropy.io.fits.ImageHDU.section` for compressed
        or scaled images (`FitsSection`), so that reading a mosaic piece by
        piece holds no more than the piece in memory.

        Parameters
        ----------
        rows, cols : slice
            The window, with non-negative bounds inside the image.

        Returns
        -------
        data : `~numpy.ndarray`
        bad : `~numpy.ndarray` of bool or None
            True where the pixels are masked or not covered; None when the
            image has neither a mask nor a coverage map.
        """
        data = np.asarray(self.data[rows, cols])
        if self.mask is None and self.coverage is None:
            return data, None
        bad = np.zeros(data.shape, bool)
        if self.mask is not None:
            bad |= np.asarray(self.mask[rows, cols], bool)
        if self.coverage is not None:
            array, kind = self.coverage
            planes = len(array.shape) == 3
            values = array[:, rows, cols] if planes else array[rows, cols]
            bad |= _no_data(np.asarray(values), kind, planes=planes)
        return data, bad


#: FITS BITPIX -> the big-endian dtype of the stored pixels.
_BITPIX = {8: 'u1', 16: '>i2', 32: '>i4', 64: '>i8', -32: '>f4', -64: '>f8'}


class _OpenFile:
    """An open HDUList, closed when the last `FitsSection` reading it is gone."""

    def __init__(self, hdulist):
        self.hdulist = hdulist
        weakref.finalize(self, hdulist.close)


class FitsSection:
    """
    An image extension of an open FITS file, read window by window.

    Behaves enough like an array for this package (``shape``, ``ndim``,
    ``dtype``, slicing, `numpy.asarray`): slicing reads only the requested
    pixels, from a memory map of their rows that is closed at once (plain
    images) or through `~astropy.io.fits.ImageHDU.section` (compressed or
    scaled ones).

    Parameters
    ----------
    hdulist : `_OpenFile`
        The file, opened with ``memmap=False``; it stays open while an
        object reading it lives.
    hdu : `~astropy.io.fits.ImageHDU` or `~astropy.io.fits.CompImageHDU`
        The extension.
    """

    def __init__(self, hdulist, hdu):
        self._file = hdulist
        self._hdu = hdu
        self.shape = tuple(hdu.shape)
        self.ndim = len(self.shape)
        self.dtype = np.asarray(hdu.section[(slice(0, 1),) * self.ndim]).dtype
        self._direct = self._direct_layout(hdu)

    @staticmethod
    def _direct_layout(hdu):
        """``(filename, offset, dtype)`` of raw, unscaled 2-D pixels, else None."""
        if isinstance(hdu, fits.CompImageHDU) or len(hdu.shape) != 2:
            return None
        header = hdu.header
        if header.get('BZERO', 0) != 0 or header.get('BSCALE', 1) != 1:
            return None
        dtype = _BITPIX.get(header.get('BITPIX'))
        info = hdu.fileinfo()
        name = getattr(info.get('file'), 'name', None) if info else None
        if dtype is None or not isinstance(name, str) or not os.path.isfile(name):
            return None
        return name, info['datLoc'], np.dtype(dtype)

    def __getitem__(self, key):
        if (self._direct is not None and isinstance(key, tuple) and len(key) == 2
                and all(isinstance(k, slice) and k.step in (None, 1) for k in key)):
            return self._read_window(*key)
        return np.asarray(self._hdu.section[key])

    def _read_window(self, rows, cols):
        """
        Copy a window out of a short-lived memory map of its rows.

        The map is dropped once the window is copied, so the pages read do
        not stay in this process's resident memory (they remain in the
        kernel's page cache, shared and reclaimable).
        """
        filename, offset, dtype = self._direct
        ny, nx = self.shape
        r0, r1, _ = rows.indices(ny)
        c0, c1, _ = cols.indices(nx)
        if r1 <= r0 or c1 <= c0:
            return np.empty((max(r1 - r0, 0), max(c1 - c0, 0)), dtype)
        start = offset + r0 * nx * dtype.itemsize
        aligned = start - start % mmap.ALLOCATIONGRANULARITY
        count = (r1 - r0) * nx
        with open(filename, 'rb') as handle, \
                mmap.mmap(handle.fileno(), start - aligned + count * dtype.itemsize,
                          access=mmap.ACCESS_READ, offset=aligned) as mapped:
            rows_read = np.frombuffer(mapped, dtype, count=count, offset=start - aligned)
            window = np.array(rows_read.reshape(r1 - r0, nx)[:, c0:c1])
            del rows_read                 # the map closes only with no view left
        return window

    def __array__(self, dtype=None, copy=None):
        data = np.asarray(self._hdu.section[(slice(None),) * self.ndim])
        return data if dtype is None else data.astype(dtype)


def _no_data(values, kind, *, planes=False):
    """True where coverage ``values`` of ``kind`` say there is no data.

    A weight of zero or below, a non-finite or non-positive error or
    variance, and a context of no exposure (all bit planes, the first axis
    with ``planes``, zero or non-finite) mean none.
    """
    if kind == 'context':
        # a non-finite context (a damaged float map) is no data too
        exposed = (values != 0) & np.isfinite(values)
        return ~np.any(exposed, axis=0) if planes else ~exposed
    with np.errstate(invalid='ignore'):
        return ~np.isfinite(values) | (values <= 0)


def is_celestial_wcs(wcs):
    """True for a 2-D WCS (astropy or APE 14, e.g. gwcs) whose world is the sky."""
    try:
        types = list(wcs.world_axis_physical_types)
        ndim = wcs.pixel_n_dim
    except AttributeError:
        return False
    return (ndim == 2 and len(types) == 2
            and all(isinstance(t, str) and t.startswith('pos.') for t in types))


def _unit_from_header(header, label):
    bunit = header.get('BUNIT')
    if bunit is None or not str(bunit).strip():
        return None
    try:
        return u.Unit(str(bunit).strip())
    except ValueError as exc:
        msg = f'{label}: cannot parse BUNIT = {bunit!r} as a unit ({exc})'
        raise ValueError(msg) from exc


def _wcs_from_header(header, label):
    wcs = WCS(header)
    if wcs.naxis > 2 and wcs.has_celestial:
        wcs = wcs.celestial
    return wcs if wcs.has_celestial else None


def _from_hdu(hdu, label):
    if hdu.data is None or hdu.data.ndim != 2:
        shape = None if hdu.data is None else hdu.data.shape
        msg = f'{label}: expected a 2-D image HDU, got data of shape {shape}'
        raise ValueError(msg)
    return ImageData(hdu.data, None, _wcs_from_header(hdu.header, label),
                     _unit_from_header(hdu.header, label), label)


#: Extensions that give a FITS mosaic's coverage, in order of preference:
#: name -> whether the map is a weight (larger is better) or an error.
COVERAGE_EXTENSIONS = {'WHT': 'weight', 'ERR': 'error', 'VAR': 'error',
                       'VAR_POISSON': 'error', 'CON': 'context', 'CONTEXT': 'context'}


def _checked_coverage(array, kind, shape, label, name):
    """``(array, kind)`` of a coverage map of the image's shape, or None to ignore it."""
    if not isinstance(array, FitsSection):
        array = np.asanyarray(array)
    if isinstance(array, u.Quantity):
        array = array.value
    if kind == 'context':
        # a context map of another shape (e.g. a drizzle bit-plane layout
        # this reader does not know) says nothing about these pixels
        ok = array.shape[1:] == shape if array.ndim == 3 else array.shape == shape
        return (array, kind) if ok else None
    if array.shape != shape:
        msg = (f'{label}: the {name} map has shape {array.shape}, the image {shape}; '
               'expected the same shape')
        raise ValueError(msg)
    return array, kind


def _fits_coverage(hdulist, shape, label, *, lazy=None):
    """
    ``(array, kind)`` of the first coverage extension present, or None.

    With ``lazy`` (the `_OpenFile` of ``hdulist``) the map is a `FitsSection`.
    """
    for name, kind in COVERAGE_EXTENSIONS.items():
        if name in hdulist and len(hdulist[name].shape):
            array = FitsSection(lazy, hdulist[name]) if lazy else hdulist[name].data
            return _checked_coverage(array, kind, shape, label, name)
    return None


def _nddata_coverage(obj, shape, label):
    """``(array, kind)`` of an NDData uncertainty, or None."""
    from astropy.nddata import InverseVariance

    unc = getattr(obj, 'uncertainty', None)
    if unc is None or getattr(unc, 'array', None) is None:
        return None
    kind = 'weight' if isinstance(unc, InverseVariance) else 'error'
    return _checked_coverage(unc.array, kind, shape, label,
                             f'{type(unc).__name__} uncertainty')


def _with_coverage(image, coverage, lazy):
    """``image`` with its coverage map: kept lazily, or merged into the mask."""
    if coverage is None:
        return image
    if lazy:
        return ImageData(image.data, image.mask, image.wcs, image.unit, image.label,
                         coverage)
    array, kind = coverage
    no_data = _no_data(array, kind, planes=array.ndim == 3)
    if not no_data.any():
        return image
    mask = no_data if image.mask is None else (image.mask | no_data)
    return ImageData(image.data, mask, image.wcs, image.unit, image.label)


def _image_hdu(hdulist, label):
    """The 'SCI' extension (JWST pipeline files), else the first 2-D image."""
    if 'SCI' in hdulist:
        return hdulist['SCI']
    for hdu in hdulist:
        is_image = isinstance(hdu, (fits.PrimaryHDU, fits.ImageHDU,
                                    fits.CompImageHDU))
        if is_image and len(hdu.shape) == 2:       # the header's shape: no data read
            return hdu
    msg = f'{label}: the FITS file holds no 2-D image extension'
    raise ValueError(msg)


def _lazy_fits(path, label):
    """A FITS file's image and coverage, read window by window (`FitsSection`)."""
    hdulist = fits.open(path, memmap=False, lazy_load_hdus=True)
    try:
        hdu = _image_hdu(hdulist, label)
        if len(hdu.shape) != 2:
            msg = f'{label}: expected a 2-D image HDU, got data of shape {hdu.shape}'
            raise ValueError(msg)
        handle = _OpenFile(hdulist)
        data = FitsSection(handle, hdu)
        image = ImageData(data, None, _wcs_from_header(hdu.header, label),
                          _unit_from_header(hdu.header, label), label)
        return _with_coverage(image, _fits_coverage(hdulist, data.shape, label, lazy=handle),
                              True)
    except BaseException:
        hdulist.close()
        raise


def unpack_image(obj, label, *, lazy=False):
    """
    Return an `ImageData` for ``obj``.

    Parameters
    ----------
    obj : `~astropy.nddata.NDData`, `~astropy.nddata.Cutout2D`, FITS HDU or \
HDUList, str or path-like, `~astropy.units.Quantity` or array
        One 2-D image.
    label : str
        Name of the input used in error messages (e.g. ``"image for F444W"``).
    lazy : bool, optional
        Read the image window by window (`ImageData.window`): a FITS file
        given by path is opened without memory mapping and read through
        ``section`` (`FitsSection`), and a coverage map (weight, error or
        context) is kept as it is instead of being merged into the mask. A
        mosaic is then never read whole, and memory holds only the windows
        being read.
    """
    if isinstance(obj, NDData):
        data = np.asanyarray(obj.data)
        unit = obj.unit
        if isinstance(data, u.Quantity):
            unit, data = data.unit, data.value
        mask = None if obj.mask is None else np.asarray(obj.mask, dtype=bool)
        wcs = obj.wcs if (obj.wcs is not None and is_celestial_wcs(obj.wcs)) \
            else None
        image = ImageData(data, mask, wcs, unit, label)
        if data.ndim == 2 and (mask is None or mask.shape == data.shape):
            image = _with_coverage(image, _nddata_coverage(obj, data.shape, label), lazy)
    elif isinstance(obj, Cutout2D):
        image = ImageData(np.asarray(obj.data), None, obj.wcs, None, label)
    elif isinstance(obj, (fits.PrimaryHDU, fits.ImageHDU, fits.CompImageHDU)):
        image = _from_hdu(obj, label)
    elif isinstance(obj, fits.HDUList):
        image = _from_hdu(_image_hdu(obj, label), label)
        image = _with_coverage(image, _fits_coverage(obj, image.data.shape, label), lazy)
    elif isinstance(obj, (str, PathLike)) and lazy:
        try:
            image = _lazy_fits(obj, label)
        except (OSError, FileNotFoundError) as exc:
            msg = f'{label}: cannot read {obj!s} as a FITS image ({exc})'
            raise ValueError(msg) from exc
    elif isinstance(obj, (str, PathLike)):
        try:
            with fits.open(obj) as hdulist:
                image = _from_hdu(_image_hdu(hdulist, label), label)
                image = _with_coverage(image, _fits_coverage(hdulist, image.data.shape,
                                                             label), False)
        except (OSError, FileNotFoundError) as exc:
            msg = f'{label}: cannot read {obj!s} as a FITS image ({exc})'
            raise ValueError(msg) from exc
    elif isinstance(obj, u.Quantity):
        image = ImageData(obj.value, None, None, obj.unit, label)
    elif isinstance(obj, np.ndarray) or np.ndim(obj) == 2:
        image = ImageData(np.asarray(obj), None, None, None, label)
    else:
        msg = (f'{label}: expected NDData, CCDData, Cutout2D, a FITS HDU or '
               f'path, a Quantity or an array, got {type(obj).__name__}')
        raise TypeError(msg)

    if image.data.ndim != 2:
        msg = f'{label}: expected a 2-D image, got shape {image.data.shape}'
        raise ValueError(msg)
    if not np.issubdtype(image.data.dtype, np.number) \
            or np.issubdtype(image.data.dtype, np.complexfloating):
        msg = f'{label}: expected real numbers, got dtype {image.data.dtype}'
        raise TypeError(msg)
    if image.mask is not None and image.mask.shape != image.data.shape:
        msg = (f'{label}: mask shape {image.mask.shape} does not match the '
               f'data shape {image.data.shape}')
        raise ValueError(msg)
    return image
