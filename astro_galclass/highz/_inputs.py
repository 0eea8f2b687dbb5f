# Licensed under a 3-clause BSD style license - see LICENSE.rst
"""
Turn the cutout inputs users have into one array in nJy per model pixel.

`cutouts_to_array` reads any accepted form; `prepare_cutouts` does it for a
`~astro_galclass.HighZClassifier` (its bands, band subsets, grid), as every
method that takes cutouts does first.
"""

import warnings
from collections.abc import Mapping, Sequence

import astropy.units as u
import numpy as np
from astropy.nddata import NDData
from astropy.wcs import WCS
from astropy.wcs.utils import proj_plane_pixel_scales

from astro_galclass.exceptions import AstroGalclassUserWarning
from astro_galclass.highz.bands import check_band_subset
from astro_galclass.utils._images import unpack_image
from astro_galclass.utils._units import flux_conversion, resolve_units

__all__ = ['DEFAULT_CUTOUT_UNIT', 'check_data', 'cutouts_to_array', 'prepare_cutouts',
           'resolve_bands']

#: Unit assumed for plain arrays: flux density per pixel of the model grid.
DEFAULT_CUTOUT_UNIT = u.nJy

#: Relative tolerance on the pixel scale of cutouts that carry a WCS.
_SCALE_TOLERANCE = 0.02


#: Brightest |pixel| (nJy per 0.03" pixel) below which unitless cutouts cannot
#: be in nJy: the noise of the deepest NIRCam mosaics is about 0.01 nJy/pix.
_FAINTEST_PLAUSIBLE_NJY = 1e-4


def _warn_if_not_njy(values, what, stacklevel):
    """Warn when unitless data read in the default nJy look like another unit."""
    finite = values[np.isfinite(values)]
    if finite.size < 64:
        return
    sample = finite[::max(1, finite.size // 200_000)]
    brightest = float(np.max(np.abs(sample)))
    if 0 < brightest < _FAINTEST_PLAUSIBLE_NJY:
        msg = (f'{what} carry no unit and are read as nJy per pixel, but their brightest '
               f'pixel is {brightest:.2g} nJy, fainter than the noise of any NIRCam '
               'mosaic (about 0.01 nJy/pix): are they in Jy or uJy? Pass unit= to say')
        warnings.warn(msg, AstroGalclassUserWarning, stacklevel=stacklevel)
    elif sample.min() >= 10 and sample.max() <= 40 and np.ptp(sample) < 15:
        msg = (f'{what} carry no unit and are read as nJy per pixel, but every value lies '
               f'between {sample.min():.3g} and {sample.max():.3g} with no noise around zero: '
               'they look like magnitudes, which must be converted to flux first')
        warnings.warn(msg, AstroGalclassUserWarning, stacklevel=stacklevel)


def _to_model_flux(data, unit, pixel_scale, what):
    """Values in ``unit`` to nJy per model pixel (float32)."""
    factor = flux_conversion(unit, pixel_scale ** 2, what=what)
    return (np.asarray(data, dtype=np.float64) * factor).astype(np.float32)


def _check_cube_shape(shape, n_bands, size, what):
    expected = f'(N, {n_bands}, {size}, {size}) or ({n_bands}, {size}, {size})'
    if len(shape) not in (3, 4) or tuple(shape[-3:]) != (n_bands, size, size):
        msg = f'{what} must have shape {expected}, got {tuple(shape)}'
        raise ValueError(msg)


def _array_input(values, data_unit, mask, *, bands, size, pixel_scale, unit,
                 what):
    shape = np.shape(values)
    _check_cube_shape(shape, len(bands), size, what)
    if not (np.issubdtype(np.asarray(values).dtype, np.number)
            and not np.iscomplexobj(values)):
        msg = f'{what} must hold real numbers, got dtype {np.asarray(values).dtype}'
        raise TypeError(msg)
    resolved = resolve_units({what: data_unit}, unit, what=what,
                             default=DEFAULT_CUTOUT_UNIT, stacklevel=6)[what]
    out = _to_model_flux(values, resolved, pixel_scale, what)
    if data_unit is None and unit is None:
        _warn_if_not_njy(out, what, stacklevel=6)
    if mask is not None:
        out = np.where(np.broadcast_to(mask, out.shape), np.nan, out)
    return out.reshape((-1, len(bands), size, size))


def _check_wcs_scale(image, pixel_scale, what):
    wcs = image.wcs
    if not isinstance(wcs, WCS):
        return
    scale = proj_plane_pixel_scales(wcs.celestial).mean() * 3600
    if abs(scale / pixel_scale - 1) > _SCALE_TOLERANCE:
        msg = (f'{what} has a pixel scale of {scale:.4f} arcsec/pix but the '
               f'model expects {pixel_scale:.4f} arcsec/pix; resample it, or '
               'pass the mosaics to classify_catalog, which does')
        raise ValueError(msg)


def _dict_input(source, *, bands, size, pixel_scale, unit, what):
    keys = list(source)
    missing = [b for b in bands if b not in source]
    extra = [k for k in keys if k not in bands]
    if missing or extra:
        msg = (f'{what} must have exactly the bands {list(bands)}; got '
               f'{keys} (missing {missing}, unexpected {extra})')
        raise ValueError(msg)
    images = {b: unpack_image(source[b], f'{what}[{b!r}]') for b in bands}
    for image in images.values():
        if image.data.shape != (size, size):
            msg = (f'{image.label} must be a {size}x{size} image, got shape '
                   f'{image.data.shape}')
            raise ValueError(msg)
        if image.wcs is not None:
            _check_wcs_scale(image, pixel_scale, image.label)
    units = resolve_units({b: im.unit for b, im in images.items()}, unit,
                          what=f'bands of {what}', default=DEFAULT_CUTOUT_UNIT,
                          stacklevel=6)
    out = np.empty((len(bands), size, size), dtype=np.float32)
    for i, band in enumerate(bands):
        image = images[band]
        out[i] = _to_model_flux(image.data, units[band], pixel_scale, image.label)
        if image.mask is not None:
            out[i][image.mask] = np.nan
    if unit is None and all(im.unit is None for im in images.values()):
        _warn_if_not_njy(out, what, stacklevel=7)
    return out


def cutouts_to_array(cutouts, *, bands, size, pixel_scale, unit=None):
    """
    Cutouts in any accepted form -> ``(N, n_bands, size, size)`` float32.

    The result is in nJy per model pixel, with NaN where a pixel is NaN,
    infinite or masked in the input. The input is never modified.

    Parameters
    ----------
    cutouts : array, `~astropy.units.Quantity`, `~astropy.nddata.NDData`, \
dict or sequence of dict
        ``(N, n_bands, size, size)`` or ``(n_bands, size, size)`` arrays, or
        one dict band -> 2-D image per source.
    bands : tuple of str
        The model's band order.
    size : int
        The model's cutout size.
    pixel_scale : float
        The model's pixel scale, arcsec per pixel.
    unit : `~astropy.units.Unit`, optional
        Unit of unitless data (default nJy per model pixel).
    """
    kw = {'bands': bands, 'size': size, 'pixel_scale': pixel_scale,
          'unit': unit}
    if isinstance(cutouts, Mapping):
        return _dict_input(cutouts, what='cutouts', **kw)[None]
    if isinstance(cutouts, u.Quantity):
        return _array_input(cutouts.value, cutouts.unit, None,
                            what='cutouts', **kw)
    if isinstance(cutouts, NDData):
        data = np.asanyarray(cutouts.data)
        data_unit = cutouts.unit
        if isinstance(data, u.Quantity):
            data, data_unit = data.value, data.unit
        return _array_input(data, data_unit, cutouts.mask, what='cutouts', **kw)
    if isinstance(cutouts, np.ndarray):
        return _array_input(cutouts, None, None, what='cutouts', **kw)
    if (isinstance(cutouts, Sequence) and not isinstance(cutouts, str)
            and len(cutouts) > 0 and all(isinstance(c, Mapping) for c in cutouts)):
        with_units = [i for i, c in enumerate(cutouts)
                      if any(getattr(v, 'unit', None) is not None for v in c.values())]
        if with_units and len(with_units) != len(cutouts):
            msg = ('units must be given for all sources or for none; sources '
                   f'{with_units} carry units and the other '
                   f'{len(cutouts) - len(with_units)} do not')
            raise ValueError(msg)
        arrays = [_dict_input(c, what=f'cutouts[{i}]', **kw)
                  for i, c in enumerate(cutouts)]
        return np.stack(arrays)
    if isinstance(cutouts, Sequence) and not isinstance(cutouts, str):
        if len(cutouts) == 0:
            return np.empty((0, len(bands), size, size), dtype=np.float32)
        return _array_input(np.asarray(cutouts), None, None, what='cutouts',
                            **kw)
    msg = ('cutouts must be an array or Quantity of shape (N, n_bands, size, '
           'size), NDData, a dict band -> 2-D image, or a sequence of such '
           f'dicts; got {type(cutouts).__name__}')
    raise TypeError(msg)


def resolve_bands(classifier, bands, cutouts=None, what='bands'):
    """
    The bands given to a classifier (validated), in the order of the input.

    Parameters
    ----------
    classifier : `~astro_galclass.HighZClassifier`
        Its `bands`, `band_mask`, `min_bands` and `name` are used.
    bands : sequence of str or None
        The ``bands`` option; None takes them from dict cutouts, or all the
        model's bands.
    cutouts : optional
        The cutouts (dicts name their bands).
    what : str, optional
        How to name the bands in messages.

    Returns
    -------
    bands : tuple of str
    """
    if bands is None:
        first = cutouts if isinstance(cutouts, Mapping) else (
            cutouts[0] if (isinstance(cutouts, Sequence) and not isinstance(cutouts, str)
                           and len(cutouts) and isinstance(cutouts[0], Mapping))
            else None)
        if first is None:
            return classifier.bands
        bands = [b for b in classifier.bands if b in first] + [b for b in first
                                                              if b not in classifier.bands]
    given = check_band_subset(bands, classifier.bands, minimum=1, what=what)
    if set(given) != set(classifier.bands) and not classifier.band_mask:
        msg = (f'{what}: the model {classifier.name!r} needs all its bands '
               f'{list(classifier.bands)}, got {list(given)}; only a network with a '
               'band-availability input (LymanBreakCNN(band_mask=True), e.g. from '
               '"galclass train-highz --recipe bands") classifies band subsets')
        raise ValueError(msg)
    return check_band_subset(given, classifier.bands, minimum=classifier.min_bands, what=what)


def prepare_cutouts(classifier, cutouts, bands, unit):
    """
    Cutouts as a classifier's flux array, and the bands given.

    Call it directly from the public method that takes the cutouts: the
    warnings about their units point two frames up.

    Parameters
    ----------
    classifier : `~astro_galclass.HighZClassifier`
        Its `bands`, `cutout_size` and pixel scale are used.
    cutouts, bands, unit
        As in `~astro_galclass.HighZClassifier.classify`.

    Returns
    -------
    values : `~numpy.ndarray`
        ``(N, n_bands, size, size)`` nJy per pixel in the classifier's band
        order, NaN in bands not given.
    given : `~numpy.ndarray`
        ``(n_bands,)`` bool: the bands given.
    """
    given = resolve_bands(classifier, bands, cutouts)
    values = cutouts_to_array(cutouts, bands=given, size=classifier.cutout_size,
                              pixel_scale=classifier.metadata['pixel_scale'], unit=unit)
    model_bands = classifier.bands
    mask = np.isin(model_bands, given)
    if given == model_bands:
        return values, mask
    out = np.full((len(values), len(model_bands)) + values.shape[2:], np.nan,
                  dtype=values.dtype)
    for i, band in enumerate(given):
        out[:, model_bands.index(band)] = values[:, i]
    return out, mask


def check_data(values):
    """
    Refuse cutouts without a single finite value.

    Parameters
    ----------
    values : `~numpy.ndarray`
        Prepared cutouts.
    """
    if values.size and not np.isfinite(values).any():
        msg = ('the cutouts contain no finite value (all NaN, inf or '
               'masked); expected image data')
        raise ValueError(msg)
