# Licensed under a 3-clause BSD style license - see LICENSE.rst
"""
Conversion of image units to flux per pixel.

Images come either as a flux density per pixel (nJy, uJy, "nJy / pix") or as
a surface brightness (MJy/sr as in JWST pipeline products, nJy/arcsec2). Both
are brought to nJy per pixel of a given pixel area.
"""

import warnings

import astropy.units as u
import numpy as np

from astro_galclass.exceptions import AstroGalclassUserWarning

__all__ = ['check_flux_unit', 'flux_conversion', 'pixel_scale_arcsec', 'resolve_units']

_PER_PIXEL = 'per_pixel'
_SURFACE = 'surface_brightness'


def _unit_kind(unit, what):
    """Return (kind, factor) so that value * factor is nJy [/ arcsec2]."""
    unit = u.Unit(unit)
    if isinstance(unit, u.FunctionUnitBase):
        # AB magnitudes convert to nJy, but not by a factor: refuse them
        msg = (f'{what} has unit {unit!s}, a logarithmic unit (magnitudes); expected '
               'a flux density such as nJy or MJy/sr. Convert first, e.g. '
               "(values * u.ABmag).to(u.nJy) or astro_galclass.nircam.mag_to_njy")
        raise ValueError(msg)
    if unit.is_equivalent(u.nJy):
        return _PER_PIXEL, unit.to(u.nJy)
    if unit.is_equivalent(u.nJy / u.pix):
        return _PER_PIXEL, unit.to(u.nJy / u.pix)
    if unit.is_equivalent(u.nJy / u.arcsec**2):
        return _SURFACE, unit.to(u.nJy / u.arcsec**2)
    msg = (f'{what} has unit {unit!s}, which is neither a spectral flux '
           'density per pixel (e.g. nJy, uJy) nor a surface brightness '
           '(e.g. MJy/sr); convert it to f_nu first (JWST images in DN/s '
           'are calibrated with the PHOTMJSR header keyword)')
    raise ValueError(msg)


def check_flux_unit(unit, what):
    """Raise a clear `ValueError` when ``unit`` is not a flux unit we handle."""
    _unit_kind(unit, what)


def resolve_units(units, unit, *, what, default=None, stacklevel=2):
    """
    Apply the package's rule for units: all or none.

    Parameters
    ----------
    units : dict
        Label -> unit (or `None`) of each related input.
    unit : `~astropy.units.UnitBase`, str or None
        The user's ``unit=`` option, used for inputs that carry no unit.
    what : str
        How to name the inputs in messages (``"images"``).
    default : `~astropy.units.UnitBase`, optional
        Unit of unitless inputs when ``unit`` is `None`; without it, unitless
        inputs are an error.
    stacklevel : int
        Passed to `warnings.warn`, so that the warning points at the user's
        call.

    Returns
    -------
    dict
        Label -> unit, every unit checked to be a flux unit.
    """
    given = {k: v for k, v in units.items() if v is not None}
    if given and len(given) != len(units):
        described = ', '.join(f'{k}: {v}' for k, v in units.items())
        msg = f'units must be given for all {what} or for none; got {described}'
        raise ValueError(msg)
    if given:
        if unit is not None:
            warnings.warn(f'unit={unit!s} is ignored: the {what} carry their own '
                          'units, which are used', AstroGalclassUserWarning,
                          stacklevel=stacklevel)
        resolved = given
    elif unit is not None:
        resolved = dict.fromkeys(units, u.Unit(unit))
    elif default is not None:
        resolved = dict.fromkeys(units, u.Unit(default))
    else:
        msg = (f'the {what} carry no unit (NDData.unit or the FITS BUNIT '
               'keyword); pass unit= (e.g. "MJy/sr" or "nJy") to say what they '
               'are in')
        raise ValueError(msg)
    for label, value in resolved.items():
        check_flux_unit(value, label)
    return resolved


def flux_conversion(unit, out_pixel_area, *, in_pixel_area=None, what='data'):
    """
    Factor and kind needed to turn values in ``unit`` into nJy per output pixel.

    Parameters
    ----------
    unit : `~astropy.units.UnitBase`
        Unit of the input values.
    out_pixel_area : float
        Area of an output pixel in arcsec2.
    in_pixel_area : float or array, optional
        Area of an input pixel in arcsec2. Needed only when the input is a
        flux per pixel and the pixel grids differ (resampling); when `None`
        the input pixels are taken to be the output pixels.
    what : str
        How to name the input in error messages.

    Returns
    -------
    factor : float or array
        Multiply the input values by this to get nJy per output pixel.
    """
    kind, factor = _unit_kind(unit, what)
    if kind == _SURFACE:
        return factor * out_pixel_area
    if in_pixel_area is None:
        return factor
    return factor * out_pixel_area / in_pixel_area


def pixel_scale_arcsec(pixel_scale):
    """
    A pixel scale as a float in arcsec per pixel, or a clear error.

    Parameters
    ----------
    pixel_scale : `~astropy.units.Quantity`
        A scalar angle per pixel (e.g. ``0.03 * u.arcsec / u.pix``) or an
        angle (taken per pixel).

    Returns
    -------
    scale : float
        Positive and finite, in arcsec per pixel.
    """
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
